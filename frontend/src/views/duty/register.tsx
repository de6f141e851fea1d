// The alarm handling register (接处警登记表): search by unit, kind, verdict, region, operator
// and dates; CSV and Excel exports of the same filters with Chinese (or English) headers.
import { useState, type FormEvent } from 'react';
import { ALARM_KINDS, ALARM_VERDICTS, FALSE_ALARM_CAUSES, OFF_DUTY_CAUSES, causeLabel, unitDistrictsSchema } from '@firelink/common';
import { api } from '../../api/http.ts';
import { useI18n } from '../../lib/i18n-react.tsx';
import { formatTime } from '../../lib/i18n.ts';
import { Link } from '../../lib/router-react.tsx';
import { errorText, fetchRegister, registerParams, type RegisterFilters } from './api.ts';
import { Panel, shanghaiDay, useLoad } from './shared.tsx';
import { codeLabel, s } from './strings.ts';

const PAGE = 20;
/** Cause codes of every procedure, once each (false-alarm causes first). */
const CAUSES = [...FALSE_ALARM_CAUSES, ...OFF_DUTY_CAUSES].filter((c, i, all) => all.findIndex((x) => x.code === c.code) === i);

export function Register() {
  const { locale } = useI18n();
  const [now] = useState(() => Date.now());
  const initial: RegisterFilters = { unit: '', kind: '', verdict: '', cause: '', region: '', operator: '', from: shanghaiDay(now, -6), to: shanghaiDay(now, 1) };
  const [form, setForm] = useState<RegisterFilters>(initial);
  const [applied, setApplied] = useState<RegisterFilters>(initial);
  const [offset, setOffset] = useState(0);
  const { data, error } = useLoad((sig) => fetchRegister(applied, { limit: PAGE, offset }, sig), [applied, offset]);
  // Districts with units in the caller's jurisdiction, by name (not a code to type).
  const { data: districts } = useLoad((sig) => api('/api/units/districts', unitDistrictsSchema, { signal: sig }), []);
  const [formError, setFormError] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (form.from && form.to && form.from >= form.to) {
      setFormError(s(locale, 'err.fromAfterTo'));
      return;
    }
    setFormError(null);
    setOffset(0);
    setApplied({ ...form });
  };
  const href = (format: 'csv' | 'xlsx') => `/api/duty/register?${registerParams(applied, { format, lang: locale === 'en' ? 'en' : 'zh-CN' })}`;
  const field = (name: keyof RegisterFilters, label: string, type = 'text') => (
    <label>
      {label}
      <input type={type} name={name} value={form[name]} onChange={(e) => setForm({ ...form, [name]: e.target.value })} />
    </label>
  );
  return (
    <Panel
      title={s(locale, 'register')}
      testId="duty-register"
      wide
      actions={
        <span className="duty-exports">
          <a href={href('csv')} data-testid="export-csv" download>
            {s(locale, 'exportCsv')}
          </a>
          <a href={href('xlsx')} data-testid="export-xlsx" download>
            {s(locale, 'exportXlsx')}
          </a>
        </span>
      }
    >
      <form className="duty-filters" onSubmit={submit} data-testid="register-filters">
        {field('unit', s(locale, 'unit'))}
        <label>
          {s(locale, 'kind')}
          <select name="kind" value={form.kind} onChange={(e) => setForm({ ...form, kind: e.target.value })}>
            <option value="">{s(locale, 'all')}</option>
            {ALARM_KINDS.map((k) => (
              <option key={k} value={k}>
                {codeLabel(locale, 'kind', k)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {s(locale, 'verdict')}
          <select name="verdict" value={form.verdict} onChange={(e) => setForm({ ...form, verdict: e.target.value })}>
            <option value="">{s(locale, 'all')}</option>
            {ALARM_VERDICTS.map((v) => (
              <option key={v} value={v}>
                {codeLabel(locale, 'verdictv', v)}
              </option>
            ))}
            <option value="none">{s(locale, 'verdict.none')}</option>
          </select>
        </label>
        <label>
          {s(locale, 'cause')}
          <select name="cause" value={form.cause} onChange={(e) => setForm({ ...form, cause: e.target.value })}>
            <option value="">{s(locale, 'all')}</option>
            {CAUSES.map((c) => (
              <option key={c.code} value={c.code}>
                {locale === 'en' ? c.en : c.zh}
              </option>
            ))}
          </select>
        </label>
        <label>
          {s(locale, 'region')}
          <select name="region" value={form.region} onChange={(e) => setForm({ ...form, region: e.target.value })} data-testid="register-region">
            <option value="">{s(locale, 'all')}</option>
            {(districts?.districts ?? []).map((d) => (
              <option key={d.adcode} value={String(d.adcode)}>
                {locale === 'en' ? (d.nameEn ?? d.name) : d.name}
                {d.cityName ? ` · ${d.cityName}` : ''}
              </option>
            ))}
          </select>
        </label>
        {field('operator', s(locale, 'operator'))}
        {field('from', s(locale, 'from'), 'date')}
        {field('to', s(locale, 'to'), 'date')}
        <button type="submit" className="primary" data-testid="register-search">
          {s(locale, 'search')}
        </button>
      </form>
      {formError != null && <div className="duty-error" data-testid="register-error">{formError}</div>}
      {formError == null && error != null && <div className="duty-error" data-testid="register-error">{errorText(locale, error)}</div>}
      <table className="duty-table duty-register-table">
        <thead>
          <tr>
            <th>{s(locale, 'openedAt')}</th>
            <th>{s(locale, 'kind')}</th>
            <th>{s(locale, 'unit')}</th>
            <th>{s(locale, 'state')}</th>
            <th>{s(locale, 'verdict')}</th>
            <th>{s(locale, 'verifiedBy')}</th>
            <th>{s(locale, 'closedAt')}</th>
            <th>{s(locale, 'steps')}</th>
          </tr>
        </thead>
        <tbody>
          {data && data.rows.length === 0 && (
            <tr>
              <td colSpan={8} className="duty-muted">
                {s(locale, 'empty')}
              </td>
            </tr>
          )}
          {data?.rows.map((r) => (
            <tr key={r.id} data-testid="register-row" data-kind={r.kind}>
              <td className="duty-time">{formatTime(r.openedAt, locale, 'minute')}</td>
              <td>
                <span className={`duty-kind k-${r.kind}`}>{codeLabel(locale, 'kind', r.kind)}</span>
              </td>
              <td>
                <Link href={`/desk/${r.id}`}>{r.unitName ?? `#${r.id}`}</Link>
                {r.pointLabel && <div className="duty-muted">{r.pointLabel}</div>}
              </td>
              <td>{codeLabel(locale, 'state', r.state)}</td>
              <td>
                {r.verdict ? codeLabel(locale, 'verdictv', r.verdict) : '—'}
                {r.cause && <div className="duty-muted">{causeLabel(r.kind, r.cause, locale)}</div>}
              </td>
              <td>{r.verifiedBy ?? '—'}</td>
              <td className="duty-time">{formatTime(r.closedAt, locale, 'minute')}</td>
              <td className="duty-steps">
                {r.steps.map((st, i) => (
                  <span key={i}>
                    {formatTime(st.at, locale, 'time')} {codeLabel(locale, 'step', st.step)}
                    {st.actorName && st.actorName !== 'system' ? ` ${st.actorName}` : ''}
                    {/* The pipeline's own notes (event ids, timeouts) are technical English: on the English screen only. */}
                    {st.note && ((st.actorName && st.actorName !== 'system') || locale === 'en') ? `：${st.note}` : ''}
                  </span>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {data && (
        <div className="duty-pager">
          <span data-testid="register-total">{s(locale, 'total', { n: data.total })}</span>
          <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
            {s(locale, 'prev')}
          </button>
          <button type="button" disabled={offset + PAGE >= data.total} onClick={() => setOffset(offset + PAGE)}>
            {s(locale, 'next')}
          </button>
        </div>
      )}
    </Panel>
  );
}
