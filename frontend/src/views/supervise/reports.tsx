// Reports (报表): daily, weekly and monthly reports per city and district made on schedule,
// and the per-unit monthly statistics table (CSV / Excel with Chinese headers).
import { useEffect, useState } from 'react';
import type { SupervisionReportDto } from '@firelink/common';
import { formatTime, type Locale } from '../../lib/i18n.ts';
import { fetchReports, monthlyUrl } from './work-api.ts';
import { reportDownloadUrl } from './admin-api.ts';
import { adm } from './admin-strings.ts';
import { codeName, ws } from './work-strings.ts';
import { Status, errText, shanghaiToday, type Msg } from './work-ui.tsx';
import { ListTable } from './list-table.tsx';
import { DateSelects } from '../../lib/date-selects.tsx';

const FIGURES = ['units', 'open_units', 'tasks_created', 'tasks_closed', 'tasks_overdue', 'inspections', 'rectify_orders', 'cases_opened', 'false_alarms', 'fault_events'] as const;

/** Where the report's notices stand: sent, pending, failed, or not sent because no endpoint is configured. */
function DeliveryText({ locale, d }: { locale: Locale; d: SupervisionReportDto['delivery'] }) {
  if (!d) return <>—</>;
  const parts: string[] = [];
  if (d.notConfigured > 0) parts.push(adm(locale, 'delivery_not_configured'));
  if (d.sent > 0) parts.push(adm(locale, 'delivery_sent', { n: d.sent }));
  if (d.pending > 0) parts.push(adm(locale, 'delivery_pending', { n: d.pending }));
  if (d.failed > 0) parts.push(adm(locale, 'delivery_failed', { n: d.failed }));
  return <span className={d.failed > 0 || d.notConfigured > 0 ? 'sv-overdue' : ''}>{parts.length ? parts.join(' · ') : '—'}</span>;
}

export function ReportsSection({ locale }: { locale: Locale }) {
  const [period, setPeriod] = useState('');
  const [items, setItems] = useState<SupervisionReportDto[] | null>(null);
  const [month, setMonth] = useState(shanghaiToday().slice(0, 7));
  const [msg, setMsg] = useState<Msg>(null);
  useEffect(() => {
    fetchReports(period).then((r) => setItems(r.items), (e: unknown) => setMsg({ ok: false, text: errText(locale, e) }));
  }, [period]);
  return (
    <div className="sv-work" data-testid="sv-reports">
      <section className="sv-card sv-toolbar">
        <h2>{ws(locale, 'monthly')}</h2>
        <label>
          {ws(locale, 'month')} <DateSelects kind="month" value={month} onChange={setMonth} locale={locale} testId="sv-report-month" />
        </label>
        <a className="sv-button" href={monthlyUrl(month, 'csv')} data-testid="sv-monthly-csv">
          {ws(locale, 'downloadCsv')}
        </a>
        <a className="sv-button" href={monthlyUrl(month, 'xlsx')}>
          {ws(locale, 'downloadXlsx')}
        </a>
      </section>
      <section className="sv-card">
        <div className="sv-seg">
          {['', 'daily', 'weekly', 'monthly'].map((p) => (
            <button key={p} type="button" className={period === p ? 'active' : ''} onClick={() => setPeriod(p)}>
              {p ? codeName(locale, 'period', p) : ws(locale, 'allPeriods')}
            </button>
          ))}
        </div>
        <Status msg={msg} />
        <ListTable
          rows={items}
          empty={ws(locale, 'emptyReports')}
          testId="sv-report-list"
          selectable={false}
          headings={[
            { label: ws(locale, 'period') },
            { label: ws(locale, 'regions') },
            { label: ws(locale, 'span') },
            ...FIGURES.map((f) => ({ label: codeName(locale, 'r', f), num: true })),
            { label: ws(locale, 'generatedAt') },
            { label: adm(locale, 'delivery') },
            {},
          ]}
          row={(r) => (
            <tr key={r.id}>
              <td>{codeName(locale, 'period', r.period)}</td>
              <td>{r.regionName}</td>
              <td className="sv-time">{r.periodStart === r.periodEnd ? r.periodStart : `${r.periodStart} ~ ${r.periodEnd}`}</td>
              {FIGURES.map((f) => (
                <td key={f} className="num">
                  {r.content[f] ?? '—'}
                </td>
              ))}
              <td className="sv-time">{formatTime(r.generatedAt, locale, 'minute')}</td>
              <td className="sv-delivery" data-testid="sv-report-delivery">
                <DeliveryText locale={locale} d={r.delivery} />
              </td>
              <td>
                <a href={reportDownloadUrl(r.id, 'xlsx')} data-testid="sv-report-download">
                  {adm(locale, 'download')}
                </a>
              </td>
            </tr>
          )}
        />
      </section>
    </div>
  );
}
