// The analyst view, mounted by the app at /analyst: H3 heatmap with metric and time pickers,
// region league table with connection rate against targets, trend chart, inspection ranking
// linking to /units/:id, CSV/XLSX exports of every table and the region report.
import { DateSelects } from '../../lib/date-selects.tsx';
import { useEffect, useMemo, useState } from 'react';
import { H3HexagonLayer } from '@deck.gl/geo-layers';
import type { PickingInfo } from '@deck.gl/core';
import { REPORT_PDF_ROLES, shanghaiDate } from '@firelink/common';
import { useI18n } from '../../lib/i18n-react.tsx';
import { useSession } from '../../lib/session-react.tsx';
import { Link } from '../../lib/router-react.tsx';
import { CommandMap } from '../../map/command-map.tsx';
import { fetchConnection, fetchPriorities, fetchRates, fetchTrend, type Connection, type Priorities, type Rates, type Trend } from './api.ts';
import { metricName, s } from './strings.ts';
import {
  METRICS,
  WINDOWS,
  colorFor,
  exportHref,
  extent,
  formatValue,
  higherIsWorse,
  isSmallSample,
  leagueOrder,
  MIN_SAMPLE,
  trendInterval,
  trendPoints,
  windowRange,
  type Metric,
  type WindowKey,
} from './view-model.ts';
import './analyst.css';
import { errorText } from '../../lib/errors.ts';

interface Cell {
  key: string;
  value: number | null;
  numerator: number;
  denominator: number;
  units: number;
}

function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): { data: T | null; error: string | null } {
  const { locale } = useI18n();
  const [state, setState] = useState<{ data: T | null; error: string | null }>({ data: null, error: null });
  useEffect(() => {
    const ac = new AbortController();
    load(ac.signal).then(
      (data) => setState({ data, error: null }),
      (err: Error) => {
        if (!ac.signal.aborted) setState({ data: null, error: errorText(locale, err) });
      },
    );
    return () => ac.abort();
  }, deps);
  return state;
}

function Exports({ path, params }: { path: string; params: Record<string, string | number | undefined> }) {
  const { locale } = useI18n();
  return (
    <span className="ana-export">
      {s(locale, 'export')}: <a href={exportHref(path, params, 'csv')}>CSV</a> · <a href={exportHref(path, params, 'xlsx')}>XLSX</a>
    </span>
  );
}

export function AnalystView(_props: { path?: string }) {
  const { locale } = useI18n();
  const { me } = useSession();
  // PDF reports are rendered by the server's Chromium for these roles only; others get the printable HTML.
  const reportFormat = me && (REPORT_PDF_ROLES as readonly string[]).includes(me.role) ? 'pdf' : 'html';
  const [metric, setMetric] = useState<Metric>('false_alarm_rate');
  const [win, setWin] = useState<WindowKey>('d30');
  const [res, setRes] = useState(8);
  const [picked, setPicked] = useState<Cell | null>(null);
  // Recomputed when the window changes, so a view left open keeps its window fixed.
  const range = useMemo(() => windowRange(win, Date.now()), [win]);

  const cells = useLoad<Rates>((sig) => fetchRates({ by: 'h3', res, ...range, metric }, sig), [res, range, metric]);
  const regions = useLoad<Rates>((sig) => fetchRates({ by: 'region', ...range, metric }, sig), [range, metric]);
  const trend = useLoad<Trend>((sig) => fetchTrend({ interval: trendInterval(win), ...range, metric }, sig), [win, range, metric]);
  const prio = useLoad<Priorities>((sig) => fetchPriorities({ ...range, limit: 25 }, sig), [range]);
  const conn = useLoad<Connection>((sig) => fetchConnection(sig), []);

  const hexData = useMemo<Cell[]>(
    () =>
      (cells.data?.rows ?? []).map((r) => {
        const m = r.metrics[metric];
        return { key: r.key, units: r.units, value: m?.value ?? null, numerator: m?.numerator ?? 0, denominator: m?.denominator ?? 0 };
      }),
    [cells.data, metric],
  );
  const [lo, hi] = useMemo(() => extent(hexData.map((c) => c.value)), [hexData]);
  const layers = useMemo(
    () => [
      new H3HexagonLayer<Cell>({
        id: 'analyst-h3',
        data: hexData,
        getHexagon: (d) => d.key,
        getFillColor: (d) => colorFor(d.value, lo, hi, metric),
        getLineColor: [255, 255, 255, 120],
        lineWidthMinPixels: 1,
        extruded: false,
        pickable: true,
        updateTriggers: { getFillColor: [lo, hi, metric] },
      }),
    ],
    [hexData, lo, hi, metric],
  );

  const connByRegion = useMemo(() => new Map((conn.data?.rows ?? []).map((c) => [String(c.region_adcode), c])), [conn.data]);
  // Worst first; districts with too small a sample (1 of 2 = 50 %) after the others, marked.
  const league = useMemo(
    () =>
      leagueOrder(
        (regions.data?.rows ?? []).map((r) => ({ row: r, value: r.metrics[metric]?.value ?? null, denominator: r.metrics[metric]?.denominator ?? null })),
        metric,
      ).map((x) => x.row),
    [regions.data, metric],
  );
  const trendValues = (trend.data?.rows ?? []).filter((r) => r.metric === metric);
  // The region report: the district and the day it covers are chosen, not implied by the metric.
  const [reportRegion, setReportRegion] = useState<string>('');
  const [reportPeriod, setReportPeriod] = useState<'daily' | 'weekly' | 'monthly'>('weekly');
  const [reportDate, setReportDate] = useState<string>(() => shanghaiDate());
  const regionOptions = useMemo(
    () => [...(regions.data?.rows ?? [])].filter((r) => /^\d{6}$/.test(r.key)).sort((a, b) => (a.name ?? a.key).localeCompare(b.name ?? b.key, 'zh-CN')),
    [regions.data],
  );
  const reportDateOk = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/.test(reportDate);

  return (
    <div className="ana-page" data-testid="analyst">
      <div className="ana-controls">
        <label>
          {s(locale, 'metric')}{' '}
          <select value={metric} onChange={(e) => setMetric(e.target.value as Metric)} data-testid="ana-metric">
            {METRICS.map((m) => (
              <option key={m} value={m}>
                {metricName(locale, m)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {s(locale, 'window')}{' '}
          <select value={win} onChange={(e) => setWin(e.target.value as WindowKey)} data-testid="ana-window">
            {(Object.keys(WINDOWS) as WindowKey[]).map((w) => (
              <option key={w} value={w}>
                {s(locale, w)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {s(locale, 'res')}{' '}
          <select value={res} onChange={(e) => setRes(Number(e.target.value))}>
            {[6, 7, 8, 9].map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <Exports path="/api/stats/rates" params={{ by: 'h3', res, ...range, metric }} />
        <span className="ana-report" data-testid="ana-report">
          {s(locale, 'report')}:{' '}
          <select value={reportRegion} onChange={(e) => setReportRegion(e.target.value)} data-testid="ana-report-region" aria-label={s(locale, 'region')}>
            <option value="">{locale === 'en' ? 'Choose a district' : '选择地区'}</option>
            {regionOptions.map((r) => (
              <option key={r.key} value={r.key}>
                {r.name ?? r.key}
              </option>
            ))}
          </select>
          <select value={reportPeriod} onChange={(e) => setReportPeriod(e.target.value as 'daily' | 'weekly' | 'monthly')} data-testid="ana-report-period">
            {(['daily', 'weekly', 'monthly'] as const).map((p) => (
              <option key={p} value={p}>
                {s(locale, p)}
              </option>
            ))}
          </select>
          {/* Year, month (and day) lists in the UI's language: a monthly report picks a month. */}
          <DateSelects
            kind={reportPeriod === 'monthly' ? 'month' : 'date'}
            value={reportDate}
            onChange={(v) => setReportDate(v.length === 7 ? `${v}-01` : v)}
            locale={locale}
            years={[2020, Number(shanghaiDate().slice(0, 4))]}
            testId="ana-report-date"
          />
          {reportRegion && reportDateOk ? (
            <a href={`/api/stats/report?region=${reportRegion}&period=${reportPeriod}&date=${reportDate}&format=${reportFormat}`} target="_blank" rel="noreferrer" data-testid="ana-report-link">
              {locale === 'en' ? 'Open report' : '生成报告'}
            </a>
          ) : (
            <span className="ana-hint">{locale === 'en' ? 'choose a district' : '请选择地区'}</span>
          )}
        </span>
      </div>

      <section className="ana-map">
        <h2>
          {s(locale, 'heatmap')} · {metricName(locale, metric)}
        </h2>
        {cells.error && <p className="ana-error">{s(locale, 'error', { message: cells.error })}</p>}
        <CommandMap extra={layers} onPick={(info: PickingInfo) => setPicked((info.object as Cell | undefined) ?? null)} className="ana-mapbox" />
        {picked && (
          <div className="ana-pick" data-testid="ana-pick">
            <b>{picked.key}</b> · {s(locale, 'value')} {formatValue(metric, picked.value, locale)} = {picked.numerator.toFixed(2)} / {picked.denominator.toFixed(2)} ·{' '}
            {s(locale, 'units')} {picked.units}
          </div>
        )}
        <div className="ana-legend" data-testid="ana-legend">
          {formatValue(metric, higherIsWorse(metric) ? lo : hi, locale)} <span className="ana-ramp" /> {formatValue(metric, higherIsWorse(metric) ? hi : lo, locale)}
          <span className="ana-legend-note">{locale === 'en' ? '(darker = worse)' : '（颜色越深越差）'}</span>
          <span className="ana-nodata" /> {locale === 'en' ? 'no data in the window' : '时段内无数据'}
        </div>
      </section>

      <section>
        <h2>{s(locale, 'trend')}</h2>
        <Exports path="/api/stats/trend" params={{ interval: trendInterval(win), ...range, metric }} />
        {/* Rows whose values are all empty (no alarms to rate) are no chart: an empty frame read as broken. */}
        {!trendValues.some((r) => r.value != null) ? (
          <p>{trend.error ? s(locale, 'error', { message: trend.error }) : s(locale, trend.data ? 'empty' : 'loading')}</p>
        ) : (
          <svg className="ana-trend" viewBox="0 0 600 160" role="img" aria-label={s(locale, 'trend')} fill="currentColor">
            <polyline fill="none" stroke="#d9534f" strokeWidth="2" points={trendPoints(trendValues.map((r) => r.value), 600, 140)} />
            {/* A line needs two points: every value is also a dot (one day of data is not a blank chart). */}
            {trendPoints(trendValues.map((r) => r.value), 600, 140)
              .split(' ')
              .filter(Boolean)
              .map((pt, i) => {
                const [x, y] = pt.split(',').map(Number);
                return <circle key={i} cx={x} cy={y} r={trendValues.length === 1 ? 5 : 2.5} fill="#d9534f" data-testid="ana-trend-dot" />;
              })}
            <text x="4" y="156" fontSize="11">
              {trendValues[0]?.bucket.slice(0, 10)}
            </text>
            <text x="596" y="156" fontSize="11" textAnchor="end">
              {trendValues[trendValues.length - 1]?.bucket.slice(0, 10)}
            </text>
            <text x="4" y="12" fontSize="11">
              {formatValue(metric, extent(trendValues.map((r) => r.value))[1], locale)}
            </text>
          </svg>
        )}
      </section>

      <section>
        <h2>{s(locale, 'league')}</h2>
        <Exports path="/api/stats/rates" params={{ by: 'region', ...range, metric }} />
        <table className="ana-table" data-testid="ana-league">
          <thead>
            <tr>
              <th>{s(locale, 'region')}</th>
              <th>{metricName(locale, metric)}</th>
              <th>{s(locale, 'numerator')}</th>
              <th>{s(locale, 'denominator')}</th>
              <th>{s(locale, 'controlRoom')}</th>
              <th>{s(locale, 'highRisk')}</th>
            </tr>
          </thead>
          <tbody>
            {league.map((r) => {
              const m = r.metrics[metric];
              const c = connByRegion.get(r.key);
              const share = (x: Connection['rows'][number]['control_room'] | undefined) =>
                x ? `${x.pct == null ? '—' : `${x.pct.toFixed(1)} %`} / ${s(locale, 'target')} ${x.target_pct ?? '—'} %${x.target_date ? ` (${x.target_date})` : ''}` : '—';
              const below = (x: Connection['rows'][number]['control_room'] | undefined) => x != null && x.pct != null && x.target_pct != null && x.pct < x.target_pct;
              return (
                <tr key={r.key} className={isSmallSample(m?.denominator) ? 'ana-small' : ''} data-small={isSmallSample(m?.denominator) ? '1' : '0'}>
                  <td>{r.name ?? r.key}</td>
                  <td>
                    {formatValue(metric, m?.value, locale)}
                    {isSmallSample(m?.denominator) && m?.value != null && (
                      <span className="ana-small-tag" title={locale === 'en' ? `fewer than ${MIN_SAMPLE} in the denominator: not comparable` : `分母不足 ${MIN_SAMPLE}，不宜比较`}>
                        {locale === 'en' ? 'small sample' : '样本少'}
                      </span>
                    )}
                  </td>
                  <td>{m?.numerator.toFixed(2).replace(/\.00$/, '')}</td>
                  <td>{m?.denominator.toFixed(2).replace(/\.00$/, '')}</td>
                  <td className={below(c?.control_room) ? 'ana-below' : ''}>{share(c?.control_room)}</td>
                  <td className={below(c?.high_risk) ? 'ana-below' : ''}>{share(c?.high_risk)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
        <Exports path="/api/stats/connection" params={{}} />
      </section>

      <section>
        <h2>{s(locale, 'ranking')}</h2>
        <p className="ana-hint">{s(locale, 'scoreHint')}</p>
        <Exports path="/api/stats/priorities" params={{ ...range, limit: 500 }} />
        <table className="ana-table" data-testid="ana-ranking">
          <thead>
            <tr>
              <th>#</th>
              <th>{s(locale, 'unit')}</th>
              <th>{s(locale, 'region')}</th>
              <th>{s(locale, 'score')}</th>
              <th>{s(locale, 'falseAlarms')}</th>
              <th>{s(locale, 'faults')}</th>
              <th>{s(locale, 'offDuty')}</th>
              <th>{s(locale, 'offlineH')}</th>
              <th>{s(locale, 'disabled')}</th>
            </tr>
          </thead>
          <tbody>
            {(prio.data?.rows ?? []).map((p, i) => (
              <tr key={p.unit_id}>
                <td>{i + 1}</td>
                <td>
                  <Link href={`/units/${p.unit_id}`}>{p.name}</Link>
                  {p.high_risk ? ' ⚠' : ''}
                </td>
                <td>{p.region_name ?? '—'}</td>
                <td>{p.score.toFixed(1)}</td>
                <td>{p.false_alarms}</td>
                <td>{p.fault_events}</td>
                <td>{p.off_duty_count}</td>
                <td>{p.host_offline_hours.toFixed(1)}</td>
                <td>{p.disabled_now > 0 ? s(locale, 'disabledValue', { n: p.disabled_now, days: p.disabled_days ?? 0 }) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}

export default AnalystView;
