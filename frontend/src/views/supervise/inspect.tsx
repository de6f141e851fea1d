// Inspections: the plan generated from the risk ranking (bands by frequency), the inspection
// form (checklist, findings, rectification order, re-inspection), the records with photos,
// and cases (立案查处) opened from an inspection and closed with their outcome.
import { useEffect, useState } from 'react';
import type { CaseDto, InspectionDto, PlanBand, PlanRow } from '@firelink/common';
import type { Locale } from '../../lib/i18n.ts';
import {
  closeCase,
  createInspection,
  fetchBands,
  fetchCases,
  fetchInspection,
  fetchInspections,
  fetchPlan,
  generatePlan,
  openCase,
  photoUrl,
  uploadPhoto,
  type InspectionInput,
} from './work-api.ts';
import { codeName, ws, type WorkKey } from './work-strings.ts';
import { Status, errText, shanghaiToday, type Msg } from './work-ui.tsx';
import { ListTable } from './list-table.tsx';
import { DateSelects } from '../../lib/date-selects.tsx';

const CHECK_KEYS: WorkKey[] = ['ck1', 'ck2', 'ck3', 'ck4', 'ck5'];

export interface InspectTarget {
  unitId: number;
  unitName: string;
  reinspectionOf?: { id: number; orderNo: string };
}

export function InspectionForm({ locale, target, onDone, onCancel }: { locale: Locale; target: InspectTarget; onDone: (i: InspectionDto) => void; onCancel: () => void }) {
  const today = shanghaiToday();
  const [date, setDate] = useState(today);
  const [ok, setOk] = useState<boolean[]>(CHECK_KEYS.map(() => true));
  const [findings, setFindings] = useState('');
  const [result, setResult] = useState<'pass' | 'rectify'>('pass');
  // A rectification deadline starts 15 days after the inspection; the supervisor moves it.
  const [rectifyBy, setRectifyBy] = useState(() => new Date(Date.parse(`${today}T00:00:00Z`) + 15 * 86_400_000).toISOString().slice(0, 10));
  const [rectifyItems, setRectifyItems] = useState('');
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<Msg>(null);
  const submit = async () => {
    setBusy(true);
    setMsg(null);
    try {
      const body: InspectionInput = {
        unitId: target.unitId,
        inspectedOn: date,
        checklist: CHECK_KEYS.map((k, i) => ({ item: ws('zh-CN', k), ok: ok[i]!, note: '' })),
        findings: findings.trim(),
        result,
        rectifyItems: rectifyItems.trim(),
        ...(result === 'rectify' ? { rectifyBy } : {}),
        ...(target.reinspectionOf ? { reinspectionOf: target.reinspectionOf.id } : {}),
      };
      onDone(await createInspection(body));
    } catch (e) {
      setMsg({ ok: false, text: errText(locale, e) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="sv-card sv-form" data-testid="sv-inspection-form">
      <h2>{target.reinspectionOf ? ws(locale, 'newReinspection', { unit: target.unitName, order: target.reinspectionOf.orderNo }) : ws(locale, 'newInspection', { unit: target.unitName })}</h2>
      <label>
        {ws(locale, 'inspectedOn')}
        <DateSelects kind="date" value={date} onChange={(v) => setDate(v > today ? today : v)} locale={locale} testId="sv-inspected-on" />
      </label>
      <fieldset>
        <legend>{ws(locale, 'checklist')}</legend>
        {CHECK_KEYS.map((k, i) => (
          <label key={k} className="sv-check">
            <input type="checkbox" checked={ok[i]} onChange={(e) => setOk(ok.map((v, j) => (j === i ? e.target.checked : v)))} data-testid={`sv-ck-${i}`} /> {ws(locale, k)}
          </label>
        ))}
      </fieldset>
      <label>
        {ws(locale, 'findings')}
        <textarea rows={2} value={findings} onChange={(e) => setFindings(e.target.value)} maxLength={4000} data-testid="sv-findings" />
      </label>
      <div className="sv-form-row">
        {(['pass', 'rectify'] as const).map((r) => (
          <label key={r} className="sv-check">
            <input type="radio" name="sv-result" checked={result === r} onChange={() => setResult(r)} data-testid={`sv-result-${r}`} /> {codeName(locale, 'result', r)}
          </label>
        ))}
      </div>
      {result === 'rectify' && (
        <div className="sv-form-row">
          <label>
            {ws(locale, 'rectifyBy')}
            <DateSelects kind="date" value={rectifyBy} onChange={setRectifyBy} locale={locale} testId="sv-rectify-by" />
          </label>
          <label className="sv-grow">
            {ws(locale, 'rectifyItems')}
            <input value={rectifyItems} onChange={(e) => setRectifyItems(e.target.value)} maxLength={4000} data-testid="sv-rectify-items" />
          </label>
        </div>
      )}
      <div className="sv-actions">
        <button type="button" className="primary" disabled={busy || (result === 'rectify' && !rectifyBy)} onClick={() => void submit()} data-testid="sv-inspection-save">
          {ws(locale, 'save')}
        </button>
        <button type="button" onClick={onCancel}>
          {ws(locale, 'cancel')}
        </button>
      </div>
      <Status msg={msg} />
    </div>
  );
}

export function PlanSection({ locale, onInspect }: { locale: Locale; onInspect: (t: InspectTarget) => void }) {
  const [bands, setBands] = useState<PlanBand[]>([]);
  const [view, setView] = useState<'mine' | 'all'>('all');
  const [rows, setRows] = useState<PlanRow[] | null>(null);
  const [msg, setMsg] = useState<Msg>(null);
  const [busy, setBusy] = useState(false);
  const [reload, setReload] = useState(0);
  useEffect(() => {
    fetchBands().then((b) => setBands(b.bands), () => undefined);
  }, []);
  useEffect(() => {
    fetchPlan(view).then((p) => setRows(p.items), (e: unknown) => setMsg({ ok: false, text: errText(locale, e) }));
  }, [view, reload]);
  const gen = async () => {
    setBusy(true);
    try {
      const r = await generatePlan(90);
      setMsg({ ok: true, text: ws(locale, 'generated', { n: r.units }) });
      setReload((k) => k + 1);
    } catch (e) {
      setMsg({ ok: false, text: errText(locale, e) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="sv-work" data-testid="sv-plan">
      <div className="sv-toolbar">
        <span className="sv-muted">{ws(locale, 'bands', { list: bands.map((b) => `${codeName(locale, 'band', b.band)}：${ws(locale, b.uptoPct === 100 ? 'bandRest' : 'bandItem', { pct: b.uptoPct, days: b.everyDays })}`).join('；') })}</span>
        <div className="sv-seg">
          {(['mine', 'all'] as const).map((v) => (
            <button key={v} type="button" className={view === v ? 'active' : ''} onClick={() => setView(v)}>
              {ws(locale, v)}
            </button>
          ))}
        </div>
        <button type="button" className="primary" disabled={busy} onClick={() => void gen()} data-testid="sv-plan-generate">
          {ws(locale, 'generate')}
        </button>
      </div>
      <Status msg={msg} />
      <section className="sv-card">
        <ListTable
          rows={rows}
          empty={ws(locale, 'emptyPlan')}
          testId="sv-plan-list"
          headings={[
            { label: ws(locale, 'unit') },
            { label: ws(locale, 'regions') },
            { label: ws(locale, 'band') },
            { label: ws(locale, 'every') },
            { label: ws(locale, 'score'), num: true },
            { label: ws(locale, 'rank'), num: true },
            { label: ws(locale, 'nextDue') },
            { label: ws(locale, 'lastDone') },
            { label: ws(locale, 'holders') },
            {},
          ]}
          row={(r) => (
            <tr key={r.unitId} data-testid="sv-plan-row">
              <td>{r.unitName}</td>
              <td>{r.regionName ?? '—'}</td>
              <td>
                <span className={`sv-band sv-band-${r.band}`}>{codeName(locale, 'band', r.band)}</span>
              </td>
              <td>{ws(locale, 'everyDays', { n: r.everyDays })}</td>
              <td className="num">{r.score.toFixed(1)}</td>
              <td className="num">{ws(locale, 'rankOf', { rank: r.rankInRegion, total: r.regionUnits })}</td>
              <td className={r.overdue ? 'sv-overdue sv-time' : 'sv-time'}>{r.nextDue}</td>
              <td className="sv-time">{r.lastInspectedOn ?? ws(locale, 'never')}</td>
              <td>{r.supervisorName ?? '—'}</td>
              <td>
                <button type="button" className="sv-link" onClick={() => onInspect({ unitId: r.unitId, unitName: r.unitName })} data-testid="sv-plan-inspect">
                  {ws(locale, 'record')}
                </button>
              </td>
            </tr>
          )}
        />
      </section>
    </div>
  );
}

function CaseForm({ locale, inspection, onDone }: { locale: Locale; inspection: InspectionDto; onDone: () => void }) {
  const [caseNo, setCaseNo] = useState('');
  const [basis, setBasis] = useState('');
  const [facts, setFacts] = useState(inspection.findings);
  const [msg, setMsg] = useState<Msg>(null);
  const submit = async () => {
    try {
      await openCase({ unitId: inspection.unitId, caseNo: caseNo.trim(), basis: basis.trim(), facts: facts.trim(), openedOn: shanghaiToday(), inspectionId: inspection.id });
      onDone();
    } catch (e) {
      setMsg({ ok: false, text: errText(locale, e) });
    }
  };
  return (
    <div className="sv-form sv-subform" data-testid="sv-case-form">
      <h3>{ws(locale, 'newCase', { unit: inspection.unitName })}</h3>
      <label>
        {ws(locale, 'caseNo')}
        <input value={caseNo} onChange={(e) => setCaseNo(e.target.value)} maxLength={64} data-testid="sv-case-no" />
      </label>
      <label>
        {ws(locale, 'basis')}
        <input value={basis} onChange={(e) => setBasis(e.target.value)} maxLength={2000} data-testid="sv-case-basis" />
      </label>
      <label>
        {ws(locale, 'facts')}
        <textarea rows={2} value={facts} onChange={(e) => setFacts(e.target.value)} maxLength={4000} />
      </label>
      <button type="button" className="primary" disabled={!caseNo.trim() || !basis.trim()} onClick={() => void submit()} data-testid="sv-case-save">
        {ws(locale, 'openCaseBtn')}
      </button>
      <Status msg={msg} />
    </div>
  );
}

function InspectionDetail({ locale, id, onReinspect, onChanged }: { locale: Locale; id: number; onReinspect: (t: InspectTarget) => void; onChanged: () => void }) {
  const [i, setI] = useState<InspectionDto | null>(null);
  const [msg, setMsg] = useState<Msg>(null);
  const [caseOpen, setCaseOpen] = useState(false);
  const load = () => fetchInspection(id).then(setI, (e: unknown) => setMsg({ ok: false, text: errText(locale, e) }));
  useEffect(() => {
    setI(null);
    setCaseOpen(false);
    void load();
  }, [id]);
  if (!i) return <div className="sv-card sv-muted">{msg?.text ?? ws(locale, 'loading')}</div>;
  const upload = async (f: File | undefined) => {
    if (!f) return;
    try {
      await uploadPhoto(i.id, f, '');
      setMsg({ ok: true, text: ws(locale, 'saved') });
      await load();
    } catch (e) {
      setMsg({ ok: false, text: errText(locale, e) });
    }
  };
  return (
    <div className="sv-card" data-testid="sv-inspection">
      <h2>
        {i.unitName} · {i.inspectedOn}
      </h2>
      <dl className="sv-facts">
        <dt>{ws(locale, 'inspector')}</dt>
        <dd>{i.inspectorName}</dd>
        <dt>{ws(locale, 'result')}</dt>
        <dd data-testid="sv-inspection-result">
          {codeName(locale, 'result', i.result)}
          {i.orderNo && ` · ${ws(locale, 'orderNo')} ${i.orderNo}`}
        </dd>
        {i.result === 'rectify' && (
          <>
            <dt>{ws(locale, 'rectifyItems')}</dt>
            <dd>
              {i.rectifyItems || '—'} ·{' '}
              {i.rectifiedOn ? ws(locale, 'rectified', { date: i.rectifiedOn }) : <b className={i.orderOverdue ? 'sv-overdue' : ''}>{i.orderOverdue ? ws(locale, 'orderOverdue') : ws(locale, 'pendingFix', { date: i.rectifyBy ?? '' })}</b>}
            </dd>
          </>
        )}
        <dt>{ws(locale, 'findings')}</dt>
        <dd>{i.findings || '—'}</dd>
      </dl>
      <h3>{ws(locale, 'checklist')}</h3>
      <ul className="sv-checklist">
        {i.checklist.map((c, k) => (
          <li key={k} className={c.ok ? '' : 'sv-overdue'}>
            {c.ok ? '✔' : '✘'} {c.item}
            {c.note && ` · ${c.note}`}
          </li>
        ))}
      </ul>
      <h3>{ws(locale, 'photos')}</h3>
      <div className="sv-photos">
        {i.photos.map((p) => (
          <a key={p.id} href={photoUrl(i.id, p.id)} target="_blank" rel="noreferrer">
            <img src={photoUrl(i.id, p.id)} alt={p.caption || ws(locale, 'photos')} />
          </a>
        ))}
        <div className="sv-upload">
          {/* The native file button would speak the browser's language: a label styled as our button opens it. */}
          <label className="sv-button">
            {ws(locale, 'addPhoto')}
            <input type="file" hidden accept="image/jpeg,image/png,image/webp" onChange={(e) => void upload(e.target.files?.[0])} data-testid="sv-photo-input" />
          </label>
          <span className="sv-muted sv-small">{ws(locale, 'photoHint')}</span>
        </div>
      </div>
      <div className="sv-actions">
        {i.result === 'rectify' && !i.rectifiedOn && (
          <button type="button" className="primary" onClick={() => onReinspect({ unitId: i.unitId, unitName: i.unitName, reinspectionOf: { id: i.id, orderNo: i.orderNo ?? '' } })} data-testid="sv-reinspect">
            {ws(locale, 'reinspect')}
          </button>
        )}
        <button type="button" onClick={() => setCaseOpen(!caseOpen)} data-testid="sv-open-case">
          {ws(locale, 'openCaseBtn')}
        </button>
      </div>
      {caseOpen && (
        <CaseForm
          locale={locale}
          inspection={i}
          onDone={() => {
            setCaseOpen(false);
            setMsg({ ok: true, text: ws(locale, 'saved') });
            onChanged();
          }}
        />
      )}
      <Status msg={msg} />
    </div>
  );
}

export function InspectionsSection({ locale, pickId, onReinspect }: { locale: Locale; pickId: number | null; onReinspect: (t: InspectTarget) => void }) {
  const [openOnly, setOpenOnly] = useState(false);
  const [items, setItems] = useState<InspectionDto[] | null>(null);
  const [picked, setPicked] = useState<number | null>(pickId);
  const [msg, setMsg] = useState<Msg>(null);
  const [reload, setReload] = useState(0);
  useEffect(() => {
    fetchInspections(openOnly).then((r) => setItems(r.items), (e: unknown) => setMsg({ ok: false, text: errText(locale, e) }));
  }, [openOnly, reload]);
  return (
    <div className="sv-work sv-two" data-testid="sv-inspections">
      <section className="sv-card">
        <label className="sv-check">
          <input type="checkbox" checked={openOnly} onChange={(e) => setOpenOnly(e.target.checked)} /> {ws(locale, 'openOrders')}
        </label>
        <Status msg={msg} />
        <ListTable
          rows={items}
          empty={ws(locale, 'emptyInspections')}
          headings={[{ label: ws(locale, 'inspectedOn') }, { label: ws(locale, 'unit') }, { label: ws(locale, 'result') }, { label: ws(locale, 'rectifyBy') }, { label: ws(locale, 'inspector') }]}
          row={(i) => (
            <tr key={i.id} className={i.id === picked ? 'sv-picked' : ''} onClick={() => setPicked(i.id)} data-testid="sv-inspection-row">
              <td className="sv-time">{i.inspectedOn}</td>
              <td>
                {i.unitName}
                {i.reinspectionOf != null && <span className="sv-muted sv-small"> · {ws(locale, 'reinspect')}</span>}
              </td>
              <td>{codeName(locale, 'result', i.result)}</td>
              <td className={i.orderOverdue ? 'sv-overdue sv-time' : 'sv-time'}>{i.result === 'rectify' ? (i.rectifiedOn ? ws(locale, 'rectified', { date: i.rectifiedOn }) : i.rectifyBy) : '—'}</td>
              <td>{i.inspectorName}</td>
            </tr>
          )}
        />
      </section>
      <section>{picked == null ? <div className="sv-card sv-muted">{ws(locale, 'pickInspection')}</div> : <InspectionDetail locale={locale} id={picked} onReinspect={onReinspect} onChanged={() => setReload((k) => k + 1)} />}</section>
    </div>
  );
}

function CloseForm({ locale, c, onDone }: { locale: Locale; c: CaseDto; onDone: () => void }) {
  const [outcome, setOutcome] = useState('');
  const [fine, setFine] = useState('');
  const [msg, setMsg] = useState<Msg>(null);
  const submit = async () => {
    try {
      await closeCase(c.id, { outcome: outcome.trim(), closedOn: shanghaiToday(), version: c.version, ...(fine ? { fineYuan: Number(fine) } : {}) });
      onDone();
    } catch (e) {
      setMsg({ ok: false, text: errText(locale, e) });
    }
  };
  return (
    <div className="sv-form-row">
      <input placeholder={ws(locale, 'outcome')} value={outcome} onChange={(e) => setOutcome(e.target.value)} maxLength={4000} data-testid="sv-case-outcome" />
      <input placeholder={ws(locale, 'fine')} type="number" min={0} value={fine} onChange={(e) => setFine(e.target.value)} className="sv-narrow" />
      <button type="button" className="primary" disabled={!outcome.trim()} onClick={() => void submit()} data-testid="sv-case-close">
        {ws(locale, 'closeCase')}
      </button>
      <Status msg={msg} />
    </div>
  );
}

export function CasesSection({ locale }: { locale: Locale }) {
  const [items, setItems] = useState<CaseDto[] | null>(null);
  const [msg, setMsg] = useState<Msg>(null);
  const [reload, setReload] = useState(0);
  useEffect(() => {
    fetchCases().then((r) => setItems(r.items), (e: unknown) => setMsg({ ok: false, text: errText(locale, e) }));
  }, [reload]);
  return (
    <div className="sv-work" data-testid="sv-cases">
      <Status msg={msg} />
      <section className="sv-card">
        <ListTable
          rows={items}
          empty={ws(locale, 'emptyCases')}
          selectable={false}
          headings={[{ label: ws(locale, 'caseNo') }, { label: ws(locale, 'unit') }, { label: ws(locale, 'basis') }, { label: ws(locale, 'openedOn') }, { label: ws(locale, 'caseState') }, { label: ws(locale, 'outcome') }]}
          row={(c) => (
            <tr key={c.id} data-testid="sv-case-row">
              <td>{c.caseNo}</td>
              <td>{c.unitName}</td>
              <td>
                {c.basis}
                {c.facts && <div className="sv-muted sv-small">{c.facts}</div>}
              </td>
              <td className="sv-time">{c.openedOn}</td>
              <td>{ws(locale, c.state === 'open' ? 'caseOpen' : 'caseClosed')}</td>
              <td>
                {c.state === 'closed' ? (
                  <>
                    {c.outcome}
                    {c.fineYuan != null && <div className="sv-muted sv-small">{ws(locale, 'fine')}：{c.fineYuan}</div>}
                    <div className="sv-muted sv-small">{c.closedOn}</div>
                  </>
                ) : (
                  <CloseForm locale={locale} c={c} onDone={() => setReload((k) => k + 1)} />
                )}
              </td>
            </tr>
          )}
        />
      </section>
    </div>
  );
}

