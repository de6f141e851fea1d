// Responsibility (责任分配): districts in my jurisdiction with their units and holders; a whole
// district assigned to one supervisor at once, or one unit reassigned; the audited history.
import { useEffect, useState } from 'react';
import type { SupervisorDto } from '@firelink/common';
import { formatTime, type Locale } from '../../lib/i18n.ts';
import { assignRegion, assignUnit, fetchAssignmentHistory, fetchAssignmentRegions, fetchAssignmentUnits, fetchSupervisors, type AssignmentUnit } from './work-api.ts';
import { ws } from './work-strings.ts';
import { Status, errText, type Msg } from './work-ui.tsx';
import { adm } from './admin-strings.ts';
import { ListTable } from './list-table.tsx';

type Region = Awaited<ReturnType<typeof fetchAssignmentRegions>>['items'][number];
type History = Awaited<ReturnType<typeof fetchAssignmentHistory>>['items'];

/** A supervisor may hold a unit when their jurisdiction covers its district (a city code covers its districts). */
const covers = (s: SupervisorDto, adcode: number) => s.regions.some((r) => r === adcode || r === Math.floor(adcode / 100) * 100 || r === Math.floor(adcode / 10_000) * 10_000);

export function AssignSection({ locale }: { locale: Locale }) {
  const [regions, setRegions] = useState<Region[] | null>(null);
  const [sups, setSups] = useState<SupervisorDto[]>([]);
  const [region, setRegion] = useState<number | null>(null);
  const [units, setUnits] = useState<AssignmentUnit[] | null>(null);
  const [history, setHistory] = useState<History>([]);
  const [bulkSup, setBulkSup] = useState('');
  const [onlyUnassigned, setOnlyUnassigned] = useState(false);
  const [note, setNote] = useState('');
  const [rowSup, setRowSup] = useState<Record<number, string>>({});
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<Msg>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    fetchAssignmentRegions().then((r) => setRegions(r.items), (e: unknown) => setMsg({ ok: false, text: errText(locale, e) }));
    fetchSupervisors().then((r) => setSups(r.items), () => undefined);
    fetchAssignmentHistory().then((r) => setHistory(r.items), () => undefined);
  }, [reload]);
  useEffect(() => {
    if (region == null) return;
    setUnits(null);
    fetchAssignmentUnits(region).then((r) => setUnits(r.items), (e: unknown) => setMsg({ ok: false, text: errText(locale, e) }));
  }, [region, reload]);

  const eligible = region == null ? [] : sups.filter((s) => covers(s, region));
  const run = async (f: () => Promise<string>) => {
    setBusy(true);
    setMsg(null);
    try {
      setMsg({ ok: true, text: await f() });
      setReload((k) => k + 1);
    } catch (e) {
      setMsg({ ok: false, text: errText(locale, e) });
    } finally {
      setBusy(false);
    }
  };
  const picked = regions?.find((r) => r.adcode === region);

  return (
    <div className="sv-work sv-two" data-testid="sv-assign">
      <section className="sv-card">
        <ListTable
          rows={regions}
          empty={adm(locale, 'noRegions')}
          headings={[{ label: ws(locale, 'regions') }, { label: ws(locale, 'units'), num: true }, { label: ws(locale, 'unassigned'), num: true }, { label: ws(locale, 'holders') }]}
          row={(r) => (
            <tr key={r.adcode} className={r.adcode === region ? 'sv-picked' : ''} onClick={() => setRegion(r.adcode)} data-testid="sv-assign-region">
                <td>{r.name}</td>
                <td className="num">{r.units}</td>
                <td className={r.unassigned > 0 ? 'num sv-overdue' : 'num'}>{r.unassigned}</td>
              <td>{r.holders.map((h) => h.name).join('、') || ws(locale, 'none')}</td>
            </tr>
          )}
        />
        <h3>{ws(locale, 'history')}</h3>
        <ol className="sv-steps" data-testid="sv-assign-history">
          {history.map((h) => (
            <li key={h.id}>
              <span className="sv-time">{formatTime(h.at, locale, 'minute')}</span>{' '}
              {ws(locale, h.kind === 'region' ? 'histRegion' : 'histUnit', { actor: h.actorName, entity: h.entityName, sup: h.supervisorName ?? '—', n: h.units })}
              {h.note && <div className="sv-step-note">{h.note}</div>}
            </li>
          ))}
        </ol>
      </section>
      <section className="sv-card">
        {!picked && <div className="sv-empty">{ws(locale, 'pickRegion')}</div>}
        {picked && (
          <>
            <h2>
              {ws(locale, 'bulkTitle')} · {picked.name}
            </h2>
            <div className="sv-form-row">
              <label>
                {ws(locale, 'supervisor')}
                <select value={bulkSup} onChange={(e) => setBulkSup(e.target.value)} data-testid="sv-assign-sup">
                  <option value="">{ws(locale, 'choose')}</option>
                  {eligible.map((s) => (
                    <option key={s.id} value={s.id}>
                      {s.displayName}（{s.units}）
                    </option>
                  ))}
                </select>
              </label>
              <label>
                {ws(locale, 'note')}
                <input value={note} onChange={(e) => setNote(e.target.value)} placeholder={ws(locale, 'notePh')} maxLength={500} />
              </label>
              <label className="sv-check">
                <input type="checkbox" checked={onlyUnassigned} onChange={(e) => setOnlyUnassigned(e.target.checked)} /> {ws(locale, 'onlyUnassigned')}
              </label>
              <button
                type="button"
                className="primary"
                disabled={busy || !bulkSup}
                onClick={() => void run(async () => ws(locale, 'assigned', await assignRegion(picked.adcode, Number(bulkSup), onlyUnassigned, note.trim())))}
                data-testid="sv-assign-bulk"
              >
                {ws(locale, 'assignAll')}
              </button>
            </div>
            <Status msg={msg} />
            <ListTable
              rows={units}
              empty={ws(locale, 'emptyRegionUnits')}
              testId="sv-assign-units"
              selectable={false}
              headings={[{ label: ws(locale, 'unit') }, { label: ws(locale, 'current') }, { label: ws(locale, 'reassign') }]}
              row={(u) => (
                <tr key={u.unitId} data-testid="sv-assign-unit">
                  <td>
                    {u.name}
                    <div className="sv-muted sv-small">{u.address ?? ''}</div>
                  </td>
                  <td>{u.supervisorName ?? <span className="sv-overdue">{ws(locale, 'unassigned')}</span>}</td>
                  <td>
                    <div className="sv-inline">
                    <select value={rowSup[u.unitId] ?? ''} onChange={(e) => setRowSup({ ...rowSup, [u.unitId]: e.target.value })}>
                      <option value="">{ws(locale, 'choose')}</option>
                      {eligible.filter((s) => s.id !== u.supervisorId).map((s) => (
                        <option key={s.id} value={s.id}>
                          {s.displayName}
                        </option>
                      ))}
                    </select>
                    <button type="button" disabled={busy || !rowSup[u.unitId]} onClick={() => void run(async () => (await assignUnit(u.unitId, Number(rowSup[u.unitId]), note.trim()), ws(locale, 'saved')))}>
                      {ws(locale, 'apply')}
                    </button>
                    </div>
                  </td>
                </tr>
              )}
            />
          </>
        )}
        {!picked && <Status msg={msg} />}
      </section>
    </div>
  );
}
