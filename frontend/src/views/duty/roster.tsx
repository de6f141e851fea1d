// The roster of a post: shifts from yesterday to the day after tomorrow, who is on duty now,
// and (admins, supervisors) adding and removing shifts.
import { DateSelects } from '../../lib/date-selects.tsx';
import { useState, type FormEvent } from 'react';
import { shiftCreateSchema, type DutyUser, type ShiftCreate } from '@firelink/common';
import { useI18n } from '../../lib/i18n-react.tsx';
import { formatTime } from '../../lib/i18n.ts';
import { createShift, deleteShift, errorText, fetchShifts } from './api.ts';
import { Panel, fromShanghaiInput, toShanghaiInput, useLoad } from './shared.tsx';
import { codeLabel, s } from './strings.ts';

const HOUR = 3600_000;

export function Roster({ post, users, canEdit, reloadKey }: { post: number; users: DutyUser[]; canEdit: boolean; reloadKey: number }) {
  const { locale } = useI18n();
  const [key, setKey] = useState(0);
  const [now] = useState(() => Date.now());
  const from = new Date(now - 24 * HOUR).toISOString();
  const to = new Date(now + 72 * HOUR).toISOString();
  const { data, error } = useLoad((sig) => fetchShifts(post, from, to, sig), [post, key, reloadKey]);
  const startDefault = Math.ceil(now / HOUR) * HOUR;
  const [form, setForm] = useState({ userId: '', dutyRole: 'operator', startsAt: toShanghaiInput(startDefault), endsAt: toShanghaiInput(startDefault + 8 * HOUR), note: '', phone: '' });
  const [phoneError, setPhoneError] = useState<string | null>(null);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setMessage(null);
    const phone = form.phone.replace(/[\s-]/g, '');
    const body: ShiftCreate = {
      regionAdcode: post,
      userId: Number(form.userId),
      dutyRole: form.dutyRole as 'operator' | 'chief',
      startsAt: fromShanghaiInput(form.startsAt),
      endsAt: fromShanghaiInput(form.endsAt),
      note: form.note,
      ...(phone ? { phone } : {}),
    };
    // The server's own rule (common shiftCreateSchema) checks the number before it is sent;
    // a duty chief without one would get no duty alert (the SMS has nowhere to go).
    const phoneIssue = shiftCreateSchema.safeParse(body).error?.issues.some((i) => i.path[0] === 'phone');
    const err = phoneIssue ? s(locale, 'phoneInvalid') : !phone && body.dutyRole === 'chief' ? s(locale, 'phoneRequiredChief') : null;
    setPhoneError(err);
    if (err) return;
    try {
      await createShift(body);
      setMessage({ ok: true, text: s(locale, 'saved') });
      setForm((f) => ({ ...f, note: '', phone: '' }));
      setKey((k) => k + 1);
    } catch (err) {
      setMessage({ ok: false, text: errorText(locale, err) });
    }
  };
  const remove = async (id: number) => {
    try {
      await deleteShift(id);
      setKey((k) => k + 1);
    } catch (err) {
      setMessage({ ok: false, text: errorText(locale, err) });
    }
  };

  const shifts = data?.shifts ?? [];
  return (
    <Panel title={s(locale, 'roster')} testId="duty-roster">
      {error != null && <div className="duty-error">{errorText(locale, error)}</div>}
      <table className="duty-table">
        <thead>
          <tr>
            <th>{s(locale, 'person')}</th>
            <th>{s(locale, 'dutyRole')}</th>
            <th>{s(locale, 'starts')}</th>
            <th>{s(locale, 'ends')}</th>
            <th>{s(locale, 'phone')}</th>
            <th>{s(locale, 'note')}</th>
            {canEdit && <th />}
          </tr>
        </thead>
        <tbody>
          {data && shifts.length === 0 && (
            <tr>
              <td colSpan={canEdit ? 7 : 6} className="duty-muted">
                {s(locale, 'empty')}
              </td>
            </tr>
          )}
          {shifts.map((x) => {
            const onDuty = Date.parse(x.startsAt) <= now && now < Date.parse(x.endsAt);
            return (
              <tr key={x.id} className={onDuty ? 'duty-now' : ''} data-testid="shift-row">
                <td>
                  {x.userName}
                  {onDuty && <span className="duty-tag">{s(locale, 'onDutyNow')}</span>}
                </td>
                <td>{codeLabel(locale, 'role', x.dutyRole)}</td>
                <td>{formatTime(x.startsAt, locale, 'minute')}</td>
                <td>{formatTime(x.endsAt, locale, 'minute')}</td>
                <td data-testid="shift-phone">{x.phone ?? '—'}</td>
                <td>{x.note}</td>
                {canEdit && (
                  <td>
                    <button type="button" className="duty-link" onClick={() => void remove(x.id)}>
                      {s(locale, 'remove')}
                    </button>
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
      {canEdit && (
        <form className="duty-form" onSubmit={(e) => void submit(e)} data-testid="shift-form">
          <h3>{s(locale, 'addShift')}</h3>
          <label>
            {s(locale, 'person')}
            <select name="userId" value={form.userId} required onChange={(e) => setForm({ ...form, userId: e.target.value })}>
              <option value="" />
              {users.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.displayName}
                </option>
              ))}
            </select>
          </label>
          <label>
            {s(locale, 'dutyRole')}
            <select name="dutyRole" value={form.dutyRole} onChange={(e) => setForm({ ...form, dutyRole: e.target.value })}>
              <option value="operator">{codeLabel(locale, 'role', 'operator')}</option>
              <option value="chief">{codeLabel(locale, 'role', 'chief')}</option>
            </select>
          </label>
          <label>
            {s(locale, 'starts')}
            <DateSelects kind="datetime" name="startsAt" value={form.startsAt} onChange={(v) => setForm({ ...form, startsAt: v })} locale={locale} minuteStep={15} />
          </label>
          <label>
            {s(locale, 'ends')}
            <DateSelects kind="datetime" name="endsAt" value={form.endsAt} onChange={(v) => setForm({ ...form, endsAt: v })} locale={locale} minuteStep={15} />
          </label>
          <label className="duty-wide">
            {s(locale, 'phone')}
            <input
              type="tel"
              name="phone"
              inputMode="tel"
              autoComplete="tel"
              maxLength={24}
              placeholder="13800000000"
              value={form.phone}
              aria-invalid={phoneError != null}
              aria-describedby="shift-phone-hint"
              onChange={(e) => {
                setForm({ ...form, phone: e.target.value });
                setPhoneError(null);
              }}
            />
            <span id="shift-phone-hint" className={phoneError ? 'duty-error' : 'duty-muted'} data-testid="shift-phone-hint">
              {phoneError ?? s(locale, 'phoneHint')}
            </span>
          </label>
          <label className="duty-wide">
            {s(locale, 'note')}
            <input name="note" value={form.note} maxLength={500} onChange={(e) => setForm({ ...form, note: e.target.value })} />
          </label>
          <div className="duty-actions">
            <button type="submit" className="primary">
              {s(locale, 'save')}
            </button>
            {message && <span className={message.ok ? 'duty-ok' : 'duty-error'}>{message.text}</span>}
          </div>
        </form>
      )}
    </Panel>
  );
}
