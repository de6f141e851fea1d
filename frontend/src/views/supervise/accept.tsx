// Acceptance (验收记录): the signals the center received from a device in the test window,
// the inspector's sign-off, and the printable record (PDF) and file export.
import { useEffect, useState } from 'react';
import { ACCEPTANCE_SIGNALS, type AcceptanceEvidence, type AcceptanceRecord } from '@firelink/common';
import { formatTime, type Locale } from '../../lib/i18n.ts';
import { acceptanceExportUrl, acceptancePrintUrl, fetchEvidence, signAcceptance } from './work-api.ts';
import { fetchTestingAgencies, type TestingAgency } from './admin-api.ts';
import { adm } from './admin-strings.ts';
import type { PickedUnit } from '../../lib/unit-search-react.ts';
import { DevicePicker, UnitPicker, type PickedDevice } from './pickers.tsx';
import { codeName, ws } from './work-strings.ts';
import { Status, errText, type Msg } from './work-ui.tsx';

/**
 * "yyyy-mm-dd hh:mm" in Shanghai wall time ↔ ISO instant. A text field, not datetime-local:
 * the browser shows that as "12/05/2026, 01:13 AM" in an English browser, on the Chinese screen too.
 */
const toLocalInput = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ');
const WALL_TIME = /^(\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]))[ T]([01]\d|2[0-3]):([0-5]\d)$/;
const fromLocalInput = (v: string) => new Date(`${v.trim().replace(' ', 'T')}:00+08:00`).toISOString();
const validWallTime = (v: string) => WALL_TIME.test(v.trim()) && !Number.isNaN(Date.parse(`${v.trim().replace(' ', 'T')}:00+08:00`));

export function AcceptSection({ locale }: { locale: Locale }) {
  const [unit, setUnit] = useState<PickedUnit | null>(null);
  const [device, setDevice] = useState<PickedDevice | null>(null);
  const [agencies, setAgencies] = useState<TestingAgency[]>([]);
  const [agencyId, setAgencyId] = useState('');
  const [from, setFrom] = useState(toLocalInput(Date.now() - 2 * 3_600_000));
  const [to, setTo] = useState(toLocalInput(Date.now()));
  const [ev, setEv] = useState<AcceptanceEvidence | null>(null);
  const [result, setResult] = useState<'pass' | 'fail'>('pass');
  const [signature, setSignature] = useState('');
  const [notes, setNotes] = useState('');
  const [record, setRecord] = useState<AcceptanceRecord | null>(null);
  const [msg, setMsg] = useState<Msg>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    fetchTestingAgencies().then((r) => setAgencies(r.items), () => setAgencies([]));
  }, []);
  // A new unit or device is a new record: the evidence read for the previous one goes.
  useEffect(() => {
    setEv(null);
    setRecord(null);
  }, [unit?.id, device?.id]);

  const read = async () => {
    if (!unit || !device) return;
    setMsg(null);
    setRecord(null);
    try {
      const e = await fetchEvidence(unit.id, device.id, fromLocalInput(from), fromLocalInput(to));
      setEv(e);
      setResult(e.complete ? 'pass' : 'fail');
    } catch (e) {
      setEv(null);
      setMsg({ ok: false, text: errText(locale, e) });
    }
  };
  const sign = async () => {
    if (!ev) return;
    setBusy(true);
    setMsg(null);
    try {
      const r = await signAcceptance({ unitId: ev.unitId, deviceId: ev.deviceId, windowFrom: ev.windowFrom, windowTo: ev.windowTo, result, notes: notes.trim(), signature: signature.trim(), ...(agencyId ? { testingAgencyId: Number(agencyId) } : {}) });
      setRecord(r);
      setMsg({ ok: true, text: ws(locale, 'signedOk', { result: codeName(locale, 'result', r.result === 'pass' ? 'pass' : 'fail') }) });
    } catch (e) {
      setMsg({ ok: false, text: errText(locale, e) });
    } finally {
      setBusy(false);
    }
  };
  const signals = record?.signals ?? ev?.signals;
  return (
    <div className="sv-work" data-testid="sv-accept">
      <section className="sv-card sv-form sv-open">
        <h2>{ws(locale, 'acceptTitle')}</h2>
        <div className="sv-form-row">
          <label>
            {adm(locale, 'pickUnit')}
            <UnitPicker locale={locale} value={unit} onPick={setUnit} testId="sv-accept-unit" />
          </label>
          <label>
            {adm(locale, 'pickDevice')}
            <DevicePicker locale={locale} unitId={unit?.id ?? null} value={device} onPick={setDevice} testId="sv-accept-device" />
          </label>
          <label>
            {ws(locale, 'windowFrom')}
            <input value={from} onChange={(e) => setFrom(e.target.value)} placeholder="yyyy-mm-dd hh:mm" maxLength={16} aria-invalid={!validWallTime(from)} className={validWallTime(from) ? 'sv-time-in' : 'sv-time-in invalid'} data-testid="sv-accept-from" />
          </label>
          <label>
            {ws(locale, 'windowTo')}
            <input value={to} onChange={(e) => setTo(e.target.value)} placeholder="yyyy-mm-dd hh:mm" maxLength={16} aria-invalid={!validWallTime(to)} className={validWallTime(to) ? 'sv-time-in' : 'sv-time-in invalid'} data-testid="sv-accept-to" />
          </label>
          <button type="button" className="primary" disabled={!unit || !device || !validWallTime(from) || !validWallTime(to)} title={!unit || !device ? adm(locale, 'pickUnitFirst') : undefined} onClick={() => void read()} data-testid="sv-accept-read">
            {ws(locale, 'readSignals')}
          </button>
        </div>
        <div className="sv-muted sv-small">{ws(locale, 'ownAgency')}</div>
        {signals && (
          <table className="sv-table" data-testid="sv-accept-signals">
            <thead>
              <tr>
                <th>{ws(locale, 'signal')}</th>
                <th>{ws(locale, 'received')}</th>
                <th className="num">{ws(locale, 'count')}</th>
                <th>{ws(locale, 'firstAt')}</th>
              </tr>
            </thead>
            <tbody>
              {ACCEPTANCE_SIGNALS.map((k) => (
                <tr key={k}>
                  <td>{codeName(locale, 'sig', k)}</td>
                  <td className={signals[k].received ? 'sv-okc' : 'sv-overdue'}>{signals[k].received ? `✔ ${ws(locale, 'yes')}` : `✘ ${ws(locale, 'no')}`}</td>
                  <td className="num">{signals[k].count}</td>
                  <td className="sv-time">{formatTime(signals[k].firstAt, locale)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {ev && !record && (
          <>
            {!ev.complete && <div className="sv-overdue">{ws(locale, 'incomplete')}</div>}
            <div className="sv-form-row">
              {(['pass', 'fail'] as const).map((r) => (
                <label key={r} className="sv-check">
                  <input type="radio" name="sv-acc-result" checked={result === r} disabled={r === 'pass' && !ev.complete} onChange={() => setResult(r)} /> {codeName(locale, 'result', r)}
                </label>
              ))}
              <label>
                {adm(locale, 'testingAgency')}
                <select value={agencyId} onChange={(e) => setAgencyId(e.target.value)} data-testid="sv-accept-agency">
                  <option value="">{adm(locale, 'noTestingAgency')}</option>
                  {agencies.map((a) => (
                    <option key={a.id} value={a.id}>
                      {a.name}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                {ws(locale, 'signature')}
                <input value={signature} onChange={(e) => setSignature(e.target.value)} maxLength={64} data-testid="sv-accept-signature" />
              </label>
              <label className="sv-grow">
                {ws(locale, 'note')}
                <input value={notes} onChange={(e) => setNotes(e.target.value)} maxLength={2000} />
              </label>
              <button type="button" className="primary" disabled={busy || !signature.trim()} onClick={() => void sign()} data-testid="sv-accept-sign">
                {ws(locale, 'sign')}
              </button>
            </div>
          </>
        )}
        <Status msg={msg} />
        {record && (
          <div className="sv-actions">
            <a className="sv-button" href={acceptancePrintUrl(record.id)} target="_blank" rel="noreferrer" data-testid="sv-accept-print">
              {ws(locale, 'printPdf')}
            </a>
            <a className="sv-button" href={acceptanceExportUrl(record.id)} data-testid="sv-accept-export">
              {ws(locale, 'exportFile')}
            </a>
          </div>
        )}
      </section>
    </div>
  );
}
