// Handover: the pending handover of the post (what was handed over, accepted by the incoming
// operator), or the form with which the outgoing operator hands over; recent handovers.
import { useState, type FormEvent } from 'react';
import type { DutyUser, HandoverAlarm, HandoverDto } from '@firelink/common';
import { useI18n } from '../../lib/i18n-react.tsx';
import { formatTime } from '../../lib/i18n.ts';
import { Link } from '../../lib/router-react.tsx';
import { acceptHandover, createHandover, errorText, fetchHandovers } from './api.ts';
import { Panel, useLoad } from './shared.tsx';
import { codeLabel, s } from './strings.ts';

function AlarmList({ alarms, testId }: { alarms: HandoverAlarm[]; testId: string }) {
  const { locale } = useI18n();
  if (alarms.length === 0) return <div className="duty-muted">{s(locale, 'empty')}</div>;
  return (
    <ul className="duty-alarms" data-testid={testId}>
      {alarms.map((a) => (
        <li key={a.id}>
          <span className={`duty-kind k-${a.kind}`}>{codeLabel(locale, 'kind', a.kind)}</span>
          <Link href={`/desk/${a.id}`}>{a.unitName ?? `#${a.id}`}</Link>
          <span className="duty-muted">
            {formatTime(a.openedAt, locale, 'minute')} · {codeLabel(locale, 'state', a.state)}
          </span>
        </li>
      ))}
    </ul>
  );
}

function Summary({ h }: { h: HandoverDto }) {
  const { locale } = useI18n();
  const sum = h.summary;
  const pairs = (rec: Record<string, number>, group: 'kind' | 'verdictv') =>
    Object.entries(rec)
      .map(([k, n]) => `${codeLabel(locale, group, k)} ${n}`)
      .join('，') || '—';
  return (
    <dl className="duty-summary" data-testid="handover-summary">
      <dt>{s(locale, 'sumOpened')}</dt>
      <dd data-testid="sum-opened">{sum.opened}</dd>
      <dt>{s(locale, 'sumClosed')}</dt>
      <dd>{sum.closed}</dd>
      <dt>{s(locale, 'sumFalse')}</dt>
      <dd data-testid="sum-false">{sum.falseAlarms}</dd>
      <dt>{s(locale, 'byKind')}</dt>
      <dd>{pairs(sum.alarmsByKind, 'kind')}</dd>
      <dt>{s(locale, 'verdicts')}</dt>
      <dd>{pairs(sum.verdicts, 'verdictv')}</dd>
      <dt>{s(locale, 'sumLog')}</dt>
      <dd>{sum.logEntries}</dd>
      <dt>{s(locale, 'sumComm')}</dt>
      <dd>{s(locale, 'sumCommValue', sum.commTests)}</dd>
    </dl>
  );
}

function HandoverCard({ h, myId, onAccepted }: { h: HandoverDto; myId: number | null; onAccepted: () => void }) {
  const { locale } = useI18n();
  const [note, setNote] = useState('');
  const [error, setError] = useState<string | null>(null);
  const mine = myId !== null && h.fromUserId === myId;
  const accept = async () => {
    setError(null);
    try {
      await acceptHandover(h.id, note);
      onAccepted();
    } catch (err) {
      setError(errorText(locale, err, 'err.409.ownHandover'));
    }
  };
  return (
    <div className={`duty-handover${h.acceptedAt ? '' : ' pending'}`} data-testid="handover-card" data-pending={h.acceptedAt ? 'false' : 'true'}>
      <div className="duty-handover-head">
        <strong>{h.acceptedAt ? s(locale, 'handover') : s(locale, 'pendingHandover')}</strong>
        <span>{s(locale, 'handedBy', { name: h.fromName, at: formatTime(h.createdAt, locale, 'minute') })}</span>
        {h.toName && (
          <span>
            → {s(locale, 'handoverTo')}：{h.toName}
          </span>
        )}
      </div>
      <div className="duty-muted">{s(locale, 'shiftWindow', { from: formatTime(h.shiftStart, locale, 'minute'), to: formatTime(h.shiftEnd, locale, 'minute') })}</div>
      {h.notes && <p className="duty-notes" data-testid="handover-notes">{h.notes}</p>}
      <Summary h={h} />
      <h4>
        {s(locale, 'openAlarms')} ({h.openAlarms.length})
      </h4>
      <AlarmList alarms={h.openAlarms} testId="handover-open" />
      <h4>
        {s(locale, 'pendingAlarms', { n: h.pendingAfterHours })} ({h.pendingAlarms.length})
      </h4>
      <AlarmList alarms={h.pendingAlarms} testId="handover-pending" />
      {h.acceptedAt ? (
        <div className="duty-ok" data-testid="handover-accepted">
          {s(locale, 'acceptedBy', { name: h.acceptedName ?? '', at: formatTime(h.acceptedAt, locale, 'minute') })}
          {h.acceptNote ? `：${h.acceptNote}` : ''}
        </div>
      ) : (
        !mine && (
          <div className="duty-actions">
            <input name="acceptNote" placeholder={s(locale, 'acceptNote')} value={note} maxLength={2000} onChange={(e) => setNote(e.target.value)} />
            <button type="button" className="primary" onClick={() => void accept()} data-testid="handover-accept">
              {s(locale, 'accept')}
            </button>
            {error && <span className="duty-error">{error}</span>}
          </div>
        )
      )}
    </div>
  );
}

export function Handover({ post, users, myId, canAct, reloadKey, onChange }: { post: number; users: DutyUser[]; myId: number | null; canAct: boolean; reloadKey: number; onChange: () => void }) {
  const { locale } = useI18n();
  const [key, setKey] = useState(0);
  const { data, error } = useLoad((sig) => fetchHandovers(post, sig), [post, key, reloadKey]);
  const [form, setForm] = useState({ toUserId: '', notes: '', pendingAfterHours: '24' });
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  // Handing over cannot be taken back: the form asks once more before it is sent.
  const [confirming, setConfirming] = useState(false);
  const [sending, setSending] = useState(false);
  const changed = () => {
    setKey((k) => k + 1);
    onChange();
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setMessage(null);
    setConfirming(true);
  };
  const send = async () => {
    setSending(true);
    try {
      await createHandover({
        regionAdcode: post,
        notes: form.notes,
        pendingAfterHours: Number(form.pendingAfterHours) || 24,
        ...(form.toUserId ? { toUserId: Number(form.toUserId) } : {}),
      });
      setForm({ ...form, notes: '' });
      setMessage({ ok: true, text: s(locale, 'handedOver') });
      changed();
    } catch (err) {
      setMessage({ ok: false, text: errorText(locale, err) });
    } finally {
      setSending(false);
      setConfirming(false);
    }
  };
  const toName = users.find((u) => String(u.id) === form.toUserId)?.displayName ?? s(locale, 'anyone');
  const list = data?.handovers ?? [];
  const pending = list.find((h) => !h.acceptedAt);
  const recent = list.filter((h) => h.acceptedAt).slice(0, 3);
  return (
    <Panel title={s(locale, 'handover')} testId="duty-handover">
      {error != null && <div className="duty-error">{errorText(locale, error)}</div>}
      {pending && <HandoverCard h={pending} myId={myId} onAccepted={changed} />}
      {data && !pending && canAct && (
        <form className="duty-form" onSubmit={submit} data-testid="handover-form">
          <label>
            {s(locale, 'handoverTo')}
            <select name="toUserId" value={form.toUserId} onChange={(e) => setForm({ ...form, toUserId: e.target.value })}>
              <option value="">{s(locale, 'anyone')}</option>
              {users
                .filter((u) => u.id !== myId)
                .map((u) => (
                  <option key={u.id} value={u.id}>
                    {u.displayName}
                  </option>
                ))}
            </select>
          </label>
          <label>
            {s(locale, 'pendingAfter', { n: form.pendingAfterHours || 24 })}
            <input type="number" name="pendingAfterHours" min={1} max={720} value={form.pendingAfterHours} onChange={(e) => setForm({ ...form, pendingAfterHours: e.target.value })} />
          </label>
          <label className="duty-wide">
            {s(locale, 'handoverNotes')}
            <textarea name="notes" rows={3} maxLength={4000} value={form.notes} onChange={(e) => setForm({ ...form, notes: e.target.value })} />
          </label>
          {confirming ? (
            <div className="duty-actions duty-confirm" role="alertdialog" aria-labelledby="handover-confirm-text" data-testid="handover-confirm">
              <p id="handover-confirm-text">{s(locale, 'confirmHandover', { to: toName })}</p>
              <button type="button" className="primary" disabled={sending} onClick={() => void send()} data-testid="handover-confirm-yes">
                {s(locale, 'confirmHandoverYes')}
              </button>
              <button type="button" disabled={sending} onClick={() => setConfirming(false)} data-testid="handover-confirm-no">
                {s(locale, 'confirmHandoverNo')}
              </button>
            </div>
          ) : (
            <div className="duty-actions">
              <button type="submit" className="primary" data-testid="handover-create">
                {s(locale, 'createHandover')}
              </button>
              {message && <span className={message.ok ? 'duty-ok' : 'duty-error'}>{message.text}</span>}
            </div>
          )}
        </form>
      )}
      {data && !pending && !canAct && <div className="duty-muted">{s(locale, 'noPendingHandover')}</div>}
      {recent.length > 0 && (
        <>
          <h3>{s(locale, 'recentHandovers')}</h3>
          <ul className="duty-recent" data-testid="handover-recent">
            {recent.map((h) => (
              <li key={h.id}>
                {formatTime(h.createdAt, locale, 'minute')} · {h.fromName} → {h.acceptedName} · {s(locale, 'openAlarms')} {h.openAlarms.length} ·{' '}
                {s(locale, 'sumFalse')} {h.summary.falseAlarms}
              </li>
            ))}
          </ul>
        </>
      )}
    </Panel>
  );
}
