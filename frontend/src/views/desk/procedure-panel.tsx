// The procedure panel of the desk: the alarm kind's steps that are valid now (from the
// shared table in common/src/procedures.ts), one form per step with a note field, the call
// record where the step has one, the verdict and false-alarm cause, the cause list, the
// deadline with the procedure's default.
import { DateSelects } from '../../lib/date-selects.tsx';
import { useEffect, useMemo, useState } from 'react';
import {
  commStatusSchema,
  dutyCheckDtoSchema,
  availableSteps,
  blockedSteps,
  CALL_OUTCOMES,
  defaultDeadlineH,
  procedureFor,
  stageOf,
  type AlarmCall,
  type AlarmDto,
  type AlarmStepBody,
  type AlarmVerdict,
  type CallOutcome,
  type CommStatus,
  type DutyCheckDto,
  type ProcedureStepId,
  type StepRule,
} from '@firelink/common';
import { api, ApiError } from '../../api/http.ts';
import { errorText } from '../../lib/errors.ts';
import { useI18n } from '../../lib/i18n-react.tsx';
import { formatTime } from '../../lib/i18n.ts';
import { deskText, type DeskTextKey } from './strings.ts';
import './procedure.css';

const VERDICTS: AlarmVerdict[] = ['fire', 'false_alarm', 'test', 'fault'];
const SHANGHAI_OFFSET_MS = 8 * 3_600_000;

/** `YYYY-MM-DDTHH:mm` in Asia/Shanghai, the value a datetime-local input shows. */
const toShanghaiInput = (ms: number) => new Date(ms + SHANGHAI_OFFSET_MS).toISOString().slice(0, 16);
const fromShanghaiInput = (v: string) => `${v}:00+08:00`;

export function stepLabelKey(kind: string, step: ProcedureStepId, rule?: StepRule, forward119Configured = true): DeskTextKey {
  if (step === 'call' && kind !== 'fire') return 'step.call.contact';
  // Without a 119 endpoint nothing is forwarded: the step only dispatches (119 by phone).
  if (step === 'dispatch' && !forward119Configured) return 'step.dispatch.phone';
  if (step === 'close' && kind === 'fire') return 'step.close.fire';
  if (step === 'close' && rule?.guard === 'cleared') return 'step.close.recovered';
  return `step.${step}` as DeskTextKey;
}

/**
 * The 119 communication test's state for a fire alarm: when the last test failed, the
 * operator is told that forwarding may not arrive (GET /api/duty/comm-test, read per alarm).
 */
function Comm119Warning({ alarmId }: { alarmId: number }) {
  const { locale } = useI18n();
  const [status, setStatus] = useState<CommStatus | null>(null);
  useEffect(() => {
    const ac = new AbortController();
    // A role without the duty status (or a server without a 119 endpoint) shows nothing.
    api('/api/duty/comm-test', commStatusSchema, { signal: ac.signal, quiet401: true }).then(setStatus, () => setStatus(null));
    return () => ac.abort();
  }, [alarmId]);
  if (!status?.configured || !status.failing) return null;
  return (
    <div className="error" role="alert" data-testid="comm119-failing">
      {deskText(locale, 'comm119Failing', { time: status.failingSince ? formatTime(status.failingSince, locale, 'minute') : '—' })}
    </div>
  );
}

/** 查岗 of the alarm's unit from the desk: sends it, then shows the answer time (or why not). */
function DutyCheckButton({ unitId }: { unitId: number }) {
  const { locale } = useI18n();
  const tx = (k: DeskTextKey, p?: Record<string, string | number>) => deskText(locale, k, p);
  const [check, setCheck] = useState<DutyCheckDto | null>(null);
  // Why the last request was refused (null: it was not); 429s say a check is pending or the rate.
  const [failed, setFailed] = useState<string | null>(null);
  useEffect(() => {
    setCheck(null);
    setFailed(null);
  }, [unitId]);
  // Poll until the check is answered, missed or could not be sent.
  const waiting = check !== null && (check.status === 'pending' || check.status === 'sent');
  useEffect(() => {
    if (!waiting || !check) return;
    const ac = new AbortController();
    const t = setInterval(() => {
      api(`/api/duty/duty-checks/${check.id}`, dutyCheckDtoSchema, { signal: ac.signal }).then(setCheck, () => {});
    }, 2000);
    return () => {
      clearInterval(t);
      ac.abort();
    };
  }, [waiting, check?.id]);
  const send = () => {
    setFailed(null);
    api('/api/duty/duty-checks', dutyCheckDtoSchema, { method: 'POST', body: { unitId } }).then(setCheck, (err: unknown) => setFailed(err instanceof ApiError && err.status === 429 ? errorText(locale, err) : tx('dutyCheck.failed')));
  };
  const min = Math.round((check?.timeoutS ?? 0) / 60);
  const at = (iso: string | null) => (iso ? formatTime(iso, locale, 'time') : '—');
  return (
    <div className="duty-check" data-testid="duty-check">
      <button type="button" onClick={send} disabled={waiting} title={tx('dutyCheckHint')} data-testid="duty-check-send">
        {tx('dutyCheck')}
      </button>
      {check && (
        <span className="meta" data-testid="duty-check-status" data-status={check.status}>
          {check.status === 'answered'
            ? tx('dutyCheck.answered', { seconds: Math.round(check.responseS ?? 0), time: at(check.answeredAt) })
            : check.status === 'sent'
              ? tx('dutyCheck.sent', { time: at(check.sentAt), min })
              : check.status === 'missed'
                ? tx('dutyCheck.missed', { min })
                : tx(`dutyCheck.${check.status}`)}
        </span>
      )}
      {failed && <span className="error" data-testid="duty-check-error">{failed}</span>}
    </div>
  );
}

export interface ProcedurePanelProps {
  alarm: AlarmDto;
  calls: AlarmCall[];
  phone: string | null;
  stations: Array<{ stationId: number; name: string }> | null;
  busy: boolean;
  error: string | null;
  onStep: (step: ProcedureStepId, body: Omit<AlarmStepBody, 'version'>) => Promise<boolean>;
  /** false: this server sends nothing to 119 (no endpoint), so the texts say to phone 119. */
  forward119Configured?: boolean;
}

export function ProcedurePanel({ alarm, calls, phone, stations, busy, error, onStep, forward119Configured = true }: ProcedurePanelProps) {
  const { t, locale } = useI18n();
  const tx = (k: DeskTextKey, p?: Record<string, string | number>) => deskText(locale, k, p);
  const proc = procedureFor(alarm.kind);
  const p = { kind: alarm.kind, stage: stageOf(alarm), verdict: alarm.verdict, cleared: alarm.clearedAt != null };
  const steps = availableSteps(p);
  const blocked = blockedSteps(p);
  const callBeforeVerdict = steps.some((s) => s.step === 'call') && !steps.some((s) => s.step === 'verdict') && (proc?.steps.some((r) => r.step === 'verdict' && r.from.includes('called')) ?? false);
  const stepKey = steps.map((s) => s.step).join(',');
  const [chosen, setChosen] = useState<ProcedureStepId | null>(steps[0]?.step ?? null);
  // A new stage (or another alarm) starts at its first valid step with an empty form.
  useEffect(() => setChosen(steps[0]?.step ?? null), [alarm.id, p.stage, stepKey]);
  const rule = steps.find((s) => s.step === chosen) ?? null;

  const [note, setNote] = useState('');
  const [number, setNumber] = useState('');
  const [answeredBy, setAnsweredBy] = useState('');
  const [outcome, setOutcome] = useState<CallOutcome | ''>('');
  const [durationS, setDurationS] = useState('');
  const [verdict, setVerdict] = useState<AlarmVerdict | null>(null);
  const [cause, setCause] = useState('');
  // Stations to dispatch (the nearest preselected); none: 119 dispatches.
  const [stationIds, setStationIds] = useState<number[]>([]);
  // A true-fire verdict forwards to 119: the dispatcher confirms it once more before it goes.
  const [confirmFire, setConfirmFire] = useState(false);
  const hours = defaultDeadlineH(alarm.kind) ?? 24;
  const [deadline, setDeadline] = useState('');
  // Reset on a new alarm, step or stage only (the station list is a new array on every render).
  const firstStation = stations?.[0]?.stationId ?? null;
  useEffect(() => {
    setNote('');
    setNumber(phone ?? '');
    setAnsweredBy('');
    setOutcome('');
    setDurationS('');
    setVerdict(null);
    setCause('');
    setStationIds(firstStation === null ? [] : [firstStation]);
    setConfirmFire(false);
    setDeadline(toShanghaiInput(Date.now() + hours * 3_600_000));
  }, [alarm.id, chosen, p.stage, phone, firstStation, hours]);

  const needsCause = rule?.cause === 'always' || (rule?.cause === 'false_alarm' && verdict === 'false_alarm');
  const missing = useMemo(() => {
    if (!rule) return true;
    if (rule.note === 'required' && note.trim() === '') return true;
    // The duration may stay empty (no answer, busy, unreachable: 0 s); if given, it is a number of seconds.
    if (rule.call && (number.trim().length < 3 || !outcome || (durationS !== '' && !(Number(durationS) >= 0)))) return true;
    if (rule.verdict && !verdict) return true;
    if (needsCause && !cause) return true;
    return false;
  }, [rule, note, number, outcome, durationS, verdict, needsCause, cause]);

  const submit = async (confirmed = false) => {
    if (!rule || missing) return;
    if (rule.verdict && verdict === 'fire' && !confirmed) {
      setConfirmFire(true);
      return;
    }
    setConfirmFire(false);
    const body: Omit<AlarmStepBody, 'version'> = {};
    if (note.trim()) body.note = note.trim();
    if (rule.call && outcome) body.call = { number: number.trim(), answeredBy: answeredBy.trim(), outcome, durationS: durationS === '' ? 0 : Math.round(Number(durationS)) };
    if (rule.verdict && verdict) body.verdict = verdict;
    if (needsCause) body.cause = cause;
    if (rule.deadline && deadline) body.deadlineAt = fromShanghaiInput(deadline);
    if (rule.step === 'dispatch' && stationIds.length > 0) body.stationIds = stationIds;
    await onStep(rule.step, body);
  };

  const causes = proc?.causes ?? [];
  const label = (c: { zh: string; en: string }) => (locale === 'en' ? c.en : c.zh);
  const colon = locale === 'en' ? ': ' : '：';
  const paren = (x: string) => (locale === 'en' ? ` (${x})` : `（${x}）`);

  return (
    <section className="procedure" data-testid="procedure">
      <h3>
        {tx('procedure')} · {tx('stageLabel')}
        {colon}
        <span data-testid="detail-stage">{tx(`stage.${p.stage}` as DeskTextKey)}</span>
        {alarm.kind !== 'fire' && alarm.kind !== 'supervisory' && p.stage !== 'closed' && (
          <span className={`recovery ${p.cleared ? 'ok' : ''}`}>{p.cleared ? tx('recovered') : tx('notRecovered')}</span>
        )}
      </h3>
      {alarm.deadlineAt && (
        <div className="meta" data-testid="deadline-shown">
          {tx('deadlineAt')}
          {colon}
          {formatTime(alarm.deadlineAt, locale, 'minute')}
        </div>
      )}
      {alarm.kind === 'fire' && p.stage !== 'closed' && <Comm119Warning alarmId={alarm.id} />}
      {alarm.unitId !== null && p.stage !== 'closed' && alarm.kind !== 'fire' && <DutyCheckButton unitId={alarm.unitId} />}
      {steps.length === 0 && blocked.length === 0 && <div className="meta">{tx('noSteps')}</div>}
      <div className="steps" role="tablist">
        {steps.map((s) => (
          <button
            key={s.step}
            type="button"
            role="tab"
            aria-selected={s.step === chosen}
            className={`${s.step === chosen ? 'chosen' : ''} ${s.step === 'dispatch' ? 'danger' : ''}`}
            onClick={() => setChosen(s.step)}
            data-testid={`step-${s.step}`}
          >
            {tx(stepLabelKey(alarm.kind, s.step, s, forward119Configured))}
            {s.step === 'ack' && <kbd>A</kbd>}
          </button>
        ))}
        {blocked.map((b) => (
          <button key={`b-${b.rule.step}`} type="button" disabled title={tx(`refusal.${b.refusal}` as DeskTextKey)} data-testid={`step-${b.rule.step}-blocked`}>
            {tx(stepLabelKey(alarm.kind, b.rule.step, b.rule, forward119Configured))}
          </button>
        ))}
      </div>
      {blocked.map((b) => (
        <div key={`why-${b.rule.step}`} className="meta">
          {tx(`refusal.${b.refusal}` as DeskTextKey)}
        </div>
      ))}
      {/* The verdict is not offered yet: say what opens it (an operator who reached nobody asked). */}
      {callBeforeVerdict && (
        <div className="meta" data-testid="hint-call-first">
          {tx('hint.callBeforeVerdict')}
        </div>
      )}
      {rule && (
        <form
          className="step-form"
          data-testid="step-form"
          onSubmit={(e) => {
            e.preventDefault();
            void submit();
          }}
        >
          {rule.call && (
            <fieldset data-testid="call-form">
              <legend>{tx('call')}</legend>
              <label>
                {tx('callNumber')}
                <input value={number} onChange={(e) => setNumber(e.target.value)} inputMode="tel" data-testid="call-number" />
              </label>
              <label>
                {tx('callAnsweredBy')}
                <input value={answeredBy} onChange={(e) => setAnsweredBy(e.target.value)} data-testid="call-answered-by" />
              </label>
              <label>
                {tx('callOutcome')}
                <select value={outcome} onChange={(e) => setOutcome(e.target.value as CallOutcome)} data-testid="call-outcome">
                  <option value="">{tx('choose')}</option>
                  {CALL_OUTCOMES.map((o) => (
                    <option key={o.code} value={o.code}>
                      {label(o)}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                {tx('callDuration')}
                <input type="number" min={0} step={1} value={durationS} onChange={(e) => setDurationS(e.target.value)} data-testid="call-duration" />
              </label>
            </fieldset>
          )}
          {rule.verdict && (
            <fieldset>
              <legend>{tx('verdict')}</legend>
              <div className="verdicts">
                {VERDICTS.map((v) => (
                  <button
                    key={v}
                    type="button"
                    className={`${verdict === v ? 'chosen' : ''} ${v === 'fire' ? 'danger' : ''}`}
                    aria-pressed={verdict === v}
                    onClick={() => {
                      setVerdict(v);
                      setConfirmFire(false);
                    }}
                    data-testid={`verdict-${v}`}
                  >
                    {t(`action.verify.${v}`)}
                  </button>
                ))}
              </div>
              <div className={forward119Configured ? 'meta' : 'meta warn'} data-testid="forward-note">
                {tx(forward119Configured ? 'forwardNote' : 'forwardNoteOff')}
              </div>
            </fieldset>
          )}
          {needsCause && (
            <label>
              {rule.verdict ? tx('falseCause') : tx('cause')}
              <select value={cause} onChange={(e) => setCause(e.target.value)} data-testid="cause">
                <option value="">{tx('choose')}</option>
                {causes.map((c) => (
                  <option key={c.code} value={c.code}>
                    {label(c)}
                  </option>
                ))}
              </select>
            </label>
          )}
          {rule.deadline && (
            <label>
              {alarm.kind === 'fault' ? tx('followUpDeadline') : tx('deadline')}
              {paren(tx('deadlineDefault', { hours }))}
              <DateSelects kind="datetime" value={deadline} onChange={setDeadline} locale={locale} testId="deadline" />
            </label>
          )}
          {rule.step === 'dispatch' && (
            <fieldset className="dispatch-stations" data-testid="dispatch-stations">
              <legend>{tx('dispatchTo')}</legend>
              {(stations ?? []).map((s, i) => (
                <label key={s.stationId} className="check">
                  <input
                    type="checkbox"
                    checked={stationIds.includes(s.stationId)}
                    onChange={(e) => setStationIds((cur) => (e.target.checked ? [...cur, s.stationId] : cur.filter((x) => x !== s.stationId)))}
                    data-testid={`dispatch-station-${s.stationId}`}
                  />
                  <span>{s.name}</span>
                  {i === 0 && <span className="meta">{tx('nearestStation')}</span>}
                </label>
              ))}
              {stationIds.length === 0 && <div className="meta" data-testid="dispatch-none">{tx('noStation')}</div>}
            </fieldset>
          )}
          <label>
            <span>
              {tx('note')}
              {rule.note === 'required' && <span className="req">*</span>}
            </span>
            <textarea value={note} onChange={(e) => setNote(e.target.value)} rows={2} placeholder={tx('notePlaceholder')} data-testid="note" />
          </label>
          {confirmFire && rule.verdict && verdict === 'fire' ? (
            <div className="confirm-fire" role="alertdialog" aria-labelledby="confirm-fire-text" data-testid="confirm-fire-box">
              <p id="confirm-fire-text">{tx(forward119Configured ? 'confirmFire' : 'confirmFireOff')}</p>
              <div className="confirm-actions">
                <button type="button" className="danger" disabled={busy} onClick={() => void submit(true)} data-testid="confirm-fire">
                  {tx(forward119Configured ? 'confirmFireYes' : 'confirmFireYesOff')}
                </button>
                <button type="button" onClick={() => setConfirmFire(false)} data-testid="confirm-fire-cancel">
                  {tx('confirmFireNo')}
                </button>
              </div>
            </div>
          ) : (
            <button type="submit" className={rule.step === 'dispatch' || verdict === 'fire' ? 'danger' : 'primary'} disabled={busy || missing} data-testid="step-submit">
              {tx('submit')} · {tx(stepLabelKey(alarm.kind, rule.step, rule, forward119Configured))}
              {rule.step === 'dispatch' && stationIds.length > 0 ? ` (${stationIds.length})` : ''}
            </button>
          )}
        </form>
      )}
      {error && (
        <div className="error" role="alert" data-testid="step-error">
          {error}
        </div>
      )}
      {calls.length > 0 && (
        <div className="calls" data-testid="calls">
          <h4>{tx('callsMade')}</h4>
          <ul>
            {calls.map((c) => (
              <li key={c.id}>
                {formatTime(c.at, locale, 'time')} · {c.number} · {c.answeredBy || tx('nobody')} · {label(CALL_OUTCOMES.find((o) => o.code === c.outcome) ?? { zh: c.outcome, en: c.outcome })} ·{' '}
                {tx('seconds', { n: c.durationS })}
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
