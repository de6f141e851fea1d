// Setup of supervision (目标与机构): the annex-1 stage targets of each city and district of my
// jurisdiction (several dated stages per metric; list, edit, save as a whole), and the testing
// agencies (消防设施检测机构) registered in it (list, create, edit). Admins see every region
// and agency; a supervisor their jurisdiction (the server checks it again).
import { useEffect, useMemo, useState } from 'react';
import { STAGE_METRICS, type LeagueRow, type StageMetric } from '@firelink/common';
import type { Locale } from '../../lib/i18n.ts';
import { useSession } from '../../lib/session-react.tsx';
import { createTestingAgency, fetchLeagueRegions, fetchStageTargets, fetchTestingAgencies, saveStageTargets, updateTestingAgency, type StageTarget, type TestingAgency } from './admin-api.ts';
import { adm } from './admin-strings.ts';
import { Status, errText, type Msg } from './work-ui.tsx';
import { ListTable } from './list-table.tsx';

interface StageDraft {
  metric: StageMetric;
  dueOn: string;
  targetPct: string;
}

const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const validDate = (v: string) => DATE.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`));

/** Checks the drafts as the API will (date, 0 < target ≤ 100, one date per metric); null when fine. */
export function stageDraftError(locale: Locale, drafts: readonly StageDraft[]): string | null {
  const seen = new Set<string>();
  for (const [i, d] of drafts.entries()) {
    const pct = Number(d.targetPct);
    if (!validDate(d.dueOn.trim()) || d.targetPct.trim() === '' || !(pct > 0 && pct <= 100)) return adm(locale, 'badStage', { n: i + 1 });
    const key = `${d.metric}|${d.dueOn.trim()}`;
    if (seen.has(key)) return adm(locale, 'dupStage');
    seen.add(key);
  }
  return null;
}

function StageChips({ locale, stages }: { locale: Locale; stages: StageTarget[] }) {
  if (stages.length === 0) return <span className="sv-muted">{adm(locale, 'noStages')}</span>;
  return (
    <span className="sv-stages">
      {stages.map((s) => (
        <span key={`${s.metric}${s.dueOn}`} className="sv-stage">
          {s.dueOn} ≥ {s.targetPct}%
        </span>
      ))}
    </span>
  );
}

function TargetsCard({ locale }: { locale: Locale }) {
  const [regions, setRegions] = useState<LeagueRow[] | null>(null);
  const [stages, setStages] = useState<StageTarget[]>([]);
  const [editing, setEditing] = useState<LeagueRow | null>(null);
  const [drafts, setDrafts] = useState<StageDraft[]>([]);
  const [msg, setMsg] = useState<Msg>(null);
  const [busy, setBusy] = useState(false);
  const load = () =>
    Promise.all([fetchLeagueRegions(), fetchStageTargets()]).then(
      ([l, t]) => {
        setRegions(l.items);
        setStages(t.items);
      },
      (e: unknown) => setMsg({ ok: false, text: errText(locale, e) }),
    );
  useEffect(() => {
    void load();
  }, []);
  const of = (adcode: number, metric: StageMetric) => stages.filter((s) => s.regionAdcode === adcode && s.metric === metric).sort((a, b) => a.dueOn.localeCompare(b.dueOn));
  const edit = (r: LeagueRow) => {
    setMsg(null);
    setEditing(r);
    setDrafts(stages.filter((s) => s.regionAdcode === r.adcode).map((s) => ({ metric: s.metric, dueOn: s.dueOn, targetPct: String(s.targetPct) })));
  };
  const problem = editing ? stageDraftError(locale, drafts) : null;
  const save = async () => {
    if (!editing || problem) return;
    setBusy(true);
    setMsg(null);
    try {
      await saveStageTargets(
        editing.adcode,
        drafts.map((d) => ({ metric: d.metric, dueOn: d.dueOn.trim(), targetPct: Number(d.targetPct) })),
      );
      setEditing(null);
      setMsg({ ok: true, text: adm(locale, 'saved') });
      await load();
    } catch (e) {
      setMsg({ ok: false, text: errText(locale, e) });
    } finally {
      setBusy(false);
    }
  };
  const set = (i: number, patch: Partial<StageDraft>) => setDrafts((ds) => ds.map((d, j) => (j === i ? { ...d, ...patch } : d)));
  return (
    <section className="sv-card" data-testid="sv-targets">
      <h2>{adm(locale, 'targetsTitle')}</h2>
      <div className="sv-muted sv-small">{adm(locale, 'targetsHint')}</div>
      {editing && (
        <div className="sv-subform sv-form" data-testid="sv-targets-form">
          <h3>{adm(locale, 'editingRegion', { region: editing.name })}</h3>
          <table className="sv-table sv-static">
            <thead>
              <tr>
                <th>{adm(locale, 'metric')}</th>
                <th>{adm(locale, 'dueOn')}</th>
                <th>{adm(locale, 'targetPct')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {drafts.map((d, i) => (
                <tr key={i}>
                  <td>
                    <select value={d.metric} onChange={(e) => set(i, { metric: e.target.value as StageMetric })} data-testid="sv-stage-metric">
                      {STAGE_METRICS.map((m) => (
                        <option key={m} value={m}>
                          {adm(locale, `metric_${m}`)}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>
                    <input value={d.dueOn} onChange={(e) => set(i, { dueOn: e.target.value })} placeholder="yyyy-mm-dd" maxLength={10} className="sv-narrow" data-testid="sv-stage-due" />
                  </td>
                  <td>
                    <input value={d.targetPct} onChange={(e) => set(i, { targetPct: e.target.value.replace(/[^\d.]/g, '') })} inputMode="decimal" className="sv-narrow" data-testid="sv-stage-pct" />
                  </td>
                  <td>
                    <button type="button" className="sv-link" onClick={() => setDrafts((ds) => ds.filter((_, j) => j !== i))}>
                      {adm(locale, 'remove')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {problem && <div className="sv-error">{problem}</div>}
          <div className="sv-actions">
            <button type="button" onClick={() => setDrafts((ds) => [...ds, { metric: 'high_risk', dueOn: '', targetPct: '' }])} data-testid="sv-stage-add">
              {adm(locale, 'addStage')}
            </button>
            <button type="button" className="primary" disabled={busy || problem != null} onClick={() => void save()} data-testid="sv-stage-save">
              {adm(locale, 'save')}
            </button>
            <button type="button" onClick={() => setEditing(null)}>
              {adm(locale, 'cancel')}
            </button>
          </div>
        </div>
      )}
      <Status msg={msg} />
      <ListTable
        rows={regions}
        empty={adm(locale, 'noRegions')}
        testId="sv-targets-list"
        selectable={false}
        headings={[{ label: adm(locale, 'region') }, ...STAGE_METRICS.map((m) => ({ label: adm(locale, `metric_${m}`) })), {}]}
        row={(r) => (
          <tr key={r.adcode} className={editing?.adcode === r.adcode ? 'sv-picked' : ''}>
            <td>{r.level === 'district' ? <span className="sv-indent">{r.name}</span> : <b>{r.name}</b>}</td>
            {STAGE_METRICS.map((m) => (
              <td key={m}>
                <StageChips locale={locale} stages={of(r.adcode, m)} />
              </td>
            ))}
            <td>
              <button type="button" className="sv-link" onClick={() => edit(r)} data-testid={`sv-targets-edit-${r.adcode}`}>
                {adm(locale, 'edit')}
              </button>
            </td>
          </tr>
        )}
      />
    </section>
  );
}

function AgenciesCard({ locale, regions }: { locale: Locale; regions: Array<{ adcode: number; name: string }> }) {
  const { me } = useSession();
  const admin = me?.role === 'admin';
  const [items, setItems] = useState<TestingAgency[] | null>(null);
  const [editing, setEditing] = useState<TestingAgency | 'new' | null>(null);
  const [name, setName] = useState('');
  const [licenseNo, setLicenseNo] = useState('');
  const [region, setRegion] = useState('');
  const [msg, setMsg] = useState<Msg>(null);
  const [busy, setBusy] = useState(false);
  const load = () => fetchTestingAgencies().then((r) => setItems(r.items), (e: unknown) => setMsg({ ok: false, text: errText(locale, e) }));
  useEffect(() => {
    void load();
  }, []);
  const open = (a: TestingAgency | 'new') => {
    setMsg(null);
    setEditing(a);
    setName(a === 'new' ? '' : a.name);
    setLicenseNo(a === 'new' ? '' : (a.licenseNo ?? ''));
    setRegion(a === 'new' ? (admin ? '' : String(regions[0]?.adcode ?? '')) : String(a.regionAdcode ?? ''));
  };
  const save = async () => {
    if (!editing) return;
    if (!name.trim()) {
      setMsg({ ok: false, text: adm(locale, 'nameRequired') });
      return;
    }
    setBusy(true);
    setMsg(null);
    try {
      if (editing === 'new') await createTestingAgency({ name: name.trim(), licenseNo: licenseNo.trim() || null, regionAdcode: region ? Number(region) : null });
      else await updateTestingAgency(editing.id, { name: name.trim(), licenseNo: licenseNo.trim() || null, version: editing.version });
      setEditing(null);
      setMsg({ ok: true, text: adm(locale, 'saved') });
      await load();
    } catch (e) {
      setMsg({ ok: false, text: errText(locale, e) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="sv-card" data-testid="sv-agencies">
      <div className="sv-toolbar">
        <h2>{adm(locale, 'agenciesTitle')}</h2>
        <button type="button" onClick={() => open('new')} data-testid="sv-agency-new">
          {adm(locale, 'newAgency')}
        </button>
      </div>
      {editing && (
        <div className="sv-subform sv-form" data-testid="sv-agency-form">
          <div className="sv-form-row">
            <label className="sv-grow">
              {adm(locale, 'agencyName')}
              <input value={name} onChange={(e) => setName(e.target.value)} maxLength={120} data-testid="sv-agency-name" />
            </label>
            <label>
              {adm(locale, 'licenseNo')}
              <input value={licenseNo} onChange={(e) => setLicenseNo(e.target.value)} maxLength={60} data-testid="sv-agency-license" />
            </label>
            {editing === 'new' && (
              <label>
                {adm(locale, 'agencyRegion')}
                <select value={region} onChange={(e) => setRegion(e.target.value)} data-testid="sv-agency-region">
                  {admin && <option value="">{adm(locale, 'cityWide')}</option>}
                  {regions.map((r) => (
                    <option key={r.adcode} value={r.adcode}>
                      {r.name}
                    </option>
                  ))}
                </select>
              </label>
            )}
          </div>
          <div className="sv-actions">
            <button type="button" className="primary" disabled={busy} onClick={() => void save()} data-testid="sv-agency-save">
              {editing === 'new' ? adm(locale, 'add') : adm(locale, 'save')}
            </button>
            <button type="button" onClick={() => setEditing(null)}>
              {adm(locale, 'cancel')}
            </button>
          </div>
        </div>
      )}
      <Status msg={msg} />
      <ListTable
        rows={items}
        empty={adm(locale, 'emptyTestingAgencies')}
        testId="sv-agency-list"
        selectable={false}
        headings={[{ label: adm(locale, 'agencyName') }, { label: adm(locale, 'licenseNo') }, { label: adm(locale, 'agencyRegion') }, { label: adm(locale, 'testedUnits'), num: true }, {}]}
        row={(a) => (
          <tr key={a.id} className={editing !== 'new' && editing?.id === a.id ? 'sv-picked' : ''}>
            <td>{a.name}</td>
            <td>{a.licenseNo ?? '—'}</td>
            <td>{a.regionName ?? adm(locale, 'cityWide')}</td>
            <td className="num">{a.units}</td>
            <td>
              {a.editable && (
                <button type="button" className="sv-link" onClick={() => open(a)} data-testid="sv-agency-edit">
                  {adm(locale, 'edit')}
                </button>
              )}
            </td>
          </tr>
        )}
      />
    </section>
  );
}

export function SetupSection({ locale }: { locale: Locale }) {
  const [regions, setRegions] = useState<LeagueRow[]>([]);
  useEffect(() => {
    fetchLeagueRegions().then((r) => setRegions(r.items), () => setRegions([]));
  }, []);
  const regionList = useMemo(() => regions.map((r) => ({ adcode: r.adcode, name: r.name })), [regions]);
  return (
    <div className="sv-work" data-testid="sv-setup">
      <div className="sv-two">
        <TargetsCard locale={locale} />
        <AgenciesCard locale={locale} regions={regionList} />
      </div>
    </div>
  );
}
