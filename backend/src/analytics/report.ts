// Periodic report per region (daily, weekly, monthly) as HTML with inline SVG charts drawn
// here (no chart library, no CDN), and as PDF printed by headless Chromium.
import { SHANGHAI_OFFSET_MS, shanghaiDate } from '@firelink/common';
import type { Pool } from '../db/pool.ts';
import type { Scope } from '../auth/scope.ts';
import { connectionQuery, prioritiesQuery, ratesQuery, regionNameQuery, trendQuery, type Metric, type TrendInterval } from './queries.ts';

export type ReportPeriod = 'daily' | 'weekly' | 'monthly';

const DAY_MS = 86_400_000;

/** The report window [from, to) for the Shanghai calendar period containing `date` (YYYY-MM-DD). */
export function reportWindow(period: ReportPeriod, date: string): { from: Date; to: Date } {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const dayStart = Date.UTC(y, m - 1, d) - SHANGHAI_OFFSET_MS;
  if (period === 'daily') return { from: new Date(dayStart), to: new Date(dayStart + DAY_MS) };
  if (period === 'weekly') {
    const dow = (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7; // Monday = 0
    const from = dayStart - dow * DAY_MS;
    return { from: new Date(from), to: new Date(from + 7 * DAY_MS) };
  }
  return { from: new Date(Date.UTC(y, m - 1, 1) - SHANGHAI_OFFSET_MS), to: new Date(Date.UTC(y, m, 1) - SHANGHAI_OFFSET_MS) };
}

const REPORT_METRICS: Metric[] = ['false_alarm_rate', 'fault_rate', 'intact_rate', 'disabled_rate', 'host_offline_hours', 'off_duty_count', 'duty_answer_s'];
const LABEL: Record<Metric, string> = {
  false_alarm_rate: '误报率 False-alarm rate',
  false_alarm_per_100_points_30d: '误报 / 100 点 / 30 天',
  fault_rate: '故障率 Faults / 100 points / 30 d',
  intact_rate: '完好率 Intact rate',
  host_offline_hours: '主机关机 Host offline h / unit',
  off_duty_count: '脱岗 Off-duty / unit',
  duty_answer_s: '查岗应答 Duty-check answer s',
  disabled_rate: '屏蔽率 Disabled points',
};

function esc(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
function fmt(v: number | null | undefined, metric?: Metric): string {
  if (v == null || !Number.isFinite(v)) return '—';
  if (metric === 'false_alarm_rate' || metric === 'intact_rate' || metric === 'disabled_rate') return `${(v * 100).toFixed(1)} %`;
  return v.toFixed(2);
}

/** A line chart of one or more series over the same x labels, as inline SVG. */
export function lineChartSvg(title: string, labels: string[], series: Array<{ name: string; values: Array<number | null>; color: string }>): string {
  const W = 640, H = 220, L = 48, R = 12, T = 28, B = 36;
  const all = series.flatMap((s) => s.values).filter((v): v is number => v != null && Number.isFinite(v));
  const max = Math.max(1e-9, ...all) * 1.1;
  const x = (i: number) => L + (labels.length <= 1 ? 0 : (i * (W - L - R)) / (labels.length - 1));
  const y = (v: number) => T + (H - T - B) * (1 - v / max);
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => `<line x1="${L}" x2="${W - R}" y1="${y(max * f)}" y2="${y(max * f)}" stroke="#ddd"/><text x="${L - 4}" y="${y(max * f) + 4}" font-size="10" text-anchor="end">${(max * f).toPrecision(2)}</text>`)
    .join('');
  const step = Math.max(1, Math.ceil(labels.length / 8));
  const xl = labels.map((l, i) => (i % step === 0 || i === labels.length - 1 ? `<text x="${x(i)}" y="${H - B + 14}" font-size="10" text-anchor="middle">${esc(l)}</text>` : '')).join('');
  const lines = series
    .map((s, k) => {
      const pts = s.values.map((v, i) => (v == null ? null : `${x(i).toFixed(1)},${y(v).toFixed(1)}`)).filter(Boolean);
      // Dots too: a series with one non-empty bucket has no line to draw.
      const dots = s.values.map((v, i) => (v == null ? '' : `<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="2.5" fill="${s.color}"/>`)).join('');
      return `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.join(' ')}"/>${dots}` +
        `<rect x="${L + k * 180}" y="${H - 14}" width="10" height="10" fill="${s.color}"/><text x="${L + 14 + k * 180}" y="${H - 5}" font-size="11">${esc(s.name)}</text>`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img"><title>${esc(title)}</title><text x="${L}" y="16" font-size="13" font-weight="bold">${esc(title)}</text>${grid}${xl}${lines}</svg>`;
}

/** Horizontal bars (0–100 %) with a target tick per bar, as inline SVG. */
export function barChartSvg(title: string, bars: Array<{ label: string; pct: number | null; target: number | null }>): string {
  const W = 640, row = 22, T = 28, L = 150, R = 60;
  const H = T + bars.length * row + 10;
  const x = (p: number) => L + ((W - L - R) * Math.min(100, Math.max(0, p))) / 100;
  const body = bars
    .map((b, i) => {
      const yy = T + i * row;
      const pct = b.pct ?? 0;
      const color = b.target != null && pct < b.target ? '#d9534f' : '#2e7d32';
      const tick = b.target != null ? `<line x1="${x(b.target)}" x2="${x(b.target)}" y1="${yy}" y2="${yy + row - 6}" stroke="#000" stroke-width="2"/>` : '';
      return `<text x="${L - 6}" y="${yy + 12}" font-size="11" text-anchor="end">${esc(b.label)}</text>` +
        `<rect x="${L}" y="${yy}" width="${x(pct) - L}" height="${row - 6}" fill="${color}"/>${tick}` +
        `<text x="${x(pct) + 4}" y="${yy + 12}" font-size="11">${b.pct == null ? '—' : `${pct.toFixed(1)} %`}</text>`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img"><title>${esc(title)}</title><text x="${L}" y="16" font-size="13" font-weight="bold">${esc(title)}</text>${body}</svg>`;
}

export interface ReportOpts {
  region: number;
  period: ReportPeriod;
  date: string;
  scope: Scope;
  /** SUPERVISION_DISABLED_POINT_DAYS: the inspection ranking's disabled term. */
  disabledDays: number;
}

/** Builds the report's HTML (self-contained: inline CSS and SVG). */
export async function buildRegionReport(pool: Pool, o: ReportOpts): Promise<{ html: string; title: string }> {
  const { from, to } = reportWindow(o.period, o.date);
  const region = (await pool.query<{ adcode: number; name: string; name_en: string | null }>(regionNameQuery(o.region))).rows[0];
  const regionName = region?.name ?? String(o.region);
  const rates = await pool.query<{ metric: Metric; numerator: number; denominator: number; value: number | null }>(
    ratesQuery({ by: 'region', res: 9, from, to, metrics: REPORT_METRICS, scope: o.scope, region: o.region }),
  );
  // Aggregate across districts when the report region is a city or province.
  const agg = new Map<Metric, { num: number; den: number }>();
  for (const r of rates.rows) {
    const a = agg.get(r.metric) ?? { num: 0, den: 0 };
    a.num += r.numerator ?? 0;
    a.den += r.denominator ?? 0;
    agg.set(r.metric, a);
  }
  const scale = (m: Metric) => (m === 'fault_rate' || m === 'false_alarm_per_100_points_30d' ? 100 : 1);
  // Trend: the periods before and including this one.
  const trend: { interval: TrendInterval; from: Date } =
    o.period === 'daily'
      ? { interval: 'day', from: new Date(from.getTime() - 13 * DAY_MS) }
      : o.period === 'weekly'
        ? { interval: 'week', from: new Date(from.getTime() - 11 * 7 * DAY_MS) }
        : { interval: 'month', from: reportWindow('monthly', shiftMonths(o.date, -11)).from };
  const series = await pool.query<{ bucket: Date; metric: Metric; value: number | null }>(
    trendQuery({ interval: trend.interval, from: trend.from, to, metrics: ['false_alarm_rate', 'fault_rate'], scope: o.scope, region: o.region }),
  );
  const buckets = [...new Set(series.rows.map((r) => r.bucket.getTime()))].sort((a, b) => a - b);
  const val = (m: Metric) => buckets.map((b) => series.rows.find((r) => r.bucket.getTime() === b && r.metric === m)?.value ?? null);
  const labels = buckets.map((b) => shanghaiDate(new Date(b)).slice(o.period === 'monthly' ? 0 : 5, o.period === 'monthly' ? 7 : 10));
  const prio = await pool.query<{ unit_id: number; name: string; score: number; false_alarms: number; fault_events: number; off_duty_count: number; host_offline_hours: number; high_risk: boolean }>(
    prioritiesQuery({ from, to, scope: o.scope, region: o.region, limit: 10, disabledDays: o.disabledDays }),
  );
  const conn = await pool.query<{ region_adcode: number; name: string | null; control_room_units: number; control_room_open: number; high_risk_units: number; high_risk_open: number; target_control_room_pct: number | null; target_high_risk_pct: number | null }>(
    connectionQuery({ scope: o.scope }),
  );
  const inRegion = conn.rows.filter((c) => [c.region_adcode, Math.floor(c.region_adcode / 100) * 100, Math.floor(c.region_adcode / 10000) * 10000].includes(o.region));
  const pct = (a: number, b: number) => (b > 0 ? (100 * a) / b : null);

  const periodZh = { daily: '日报', weekly: '周报', monthly: '月报' }[o.period];
  const title = `${regionName} 消防设施联网监测${periodZh} ${shanghaiDate(from)} – ${shanghaiDate(new Date(to.getTime() - 1))}`;
  const rateRows = REPORT_METRICS.map((m) => {
    const a = agg.get(m);
    const v = a && a.den > 0 ? (scale(m) * a.num) / a.den : null;
    return `<tr><td>${esc(LABEL[m])}</td><td class="n">${fmt(v, m)}</td><td class="n">${a ? a.num.toFixed(2).replace(/\.00$/, '') : '—'}</td><td class="n">${a ? a.den.toFixed(2).replace(/\.00$/, '') : '—'}</td></tr>`;
  }).join('');
  const prioRows = prio.rows
    .map((p, i) => `<tr><td>${i + 1}</td><td>${esc(p.name)}${p.high_risk ? ' ⚠' : ''}</td><td class="n">${p.score.toFixed(1)}</td><td class="n">${p.false_alarms}</td><td class="n">${p.fault_events}</td><td class="n">${p.off_duty_count}</td><td class="n">${p.host_offline_hours.toFixed(1)}</td></tr>`)
    .join('');
  const bars = inRegion.flatMap((c) => [
    { label: `${c.name ?? c.region_adcode} 控制室`, pct: pct(c.control_room_open, c.control_room_units), target: c.target_control_room_pct },
    { label: `${c.name ?? c.region_adcode} 高危`, pct: pct(c.high_risk_open, c.high_risk_units), target: c.target_high_risk_pct },
  ]);
  const html = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;margin:24px;color:#222}h1{font-size:20px}h2{font-size:16px;margin-top:24px}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:3px 8px}th{background:#f3f3f3}.n{text-align:right}.muted{color:#777;font-size:11px}</style></head>
<body><h1>${esc(title)}</h1>
<p class="muted">区域 Region ${o.region} · 时间 Asia/Shanghai · 生成 ${esc(new Date().toISOString())} · 口径见 README「Analytics」</p>
<h2>指标 Rates</h2><table><tr><th>指标 Metric</th><th>值 Value</th><th>分子 Numerator</th><th>分母 Denominator</th></tr>${rateRows}</table>
<h2>趋势 Trend</h2>${lineChartSvg('误报率 / 故障率', labels, [
    { name: '误报率 false-alarm rate', values: val('false_alarm_rate'), color: '#d9534f' },
    { name: '故障率 fault rate', values: val('fault_rate'), color: '#1f77b4' },
  ])}
<h2>联网接入率 Connection rate vs target</h2>${bars.length ? barChartSvg('接入率 (黑线为目标)', bars) : '<p>—</p>'}
<h2>重点检查单位 Inspection priorities</h2><table><tr><th>#</th><th>单位 Unit</th><th>评分 Score</th><th>误报</th><th>故障</th><th>脱岗</th><th>关机 h</th></tr>${prioRows}</table>
</body></html>`;
  return { html, title };
}

function shiftMonths(date: string, n: number): string {
  const [y, m] = date.split('-').map(Number) as [number, number];
  const d = new Date(Date.UTC(y, m - 1 + n, 1));
  return d.toISOString().slice(0, 10);
}
