// Pure helpers of the analyst view: time windows, colour ramp, value formatting, trend path.
// No DOM, no fetch: tested under node:test.

export const METRICS = [
  'false_alarm_rate',
  'fault_rate',
  'intact_rate',
  'host_offline_hours',
  'off_duty_count',
  'duty_answer_s',
  'false_alarm_per_100_points_30d',
  'disabled_rate',
] as const;
export type Metric = (typeof METRICS)[number];

export const WINDOWS = { d1: 1, d7: 7, d30: 30, d90: 90, d365: 365 } as const;
export type WindowKey = keyof typeof WINDOWS;

const HOUR_MS = 3600_000;

/** [from, to) ending at the next whole hour (the rollups' grain), as ISO strings. */
export function windowRange(key: WindowKey, nowMs: number): { from: string; to: string } {
  const to = Math.ceil(nowMs / HOUR_MS) * HOUR_MS;
  return { from: new Date(to - WINDOWS[key] * 24 * HOUR_MS).toISOString(), to: new Date(to).toISOString() };
}

/** Trend bucket for a window: days up to 90 days, months beyond. */
export function trendInterval(key: WindowKey): 'day' | 'month' {
  return WINDOWS[key] > 90 ? 'month' : 'day';
}

/** Higher is worse for every metric except the intact rate. */
export function higherIsWorse(m: Metric): boolean {
  return m !== 'intact_rate';
}

// Yellow → orange → dark red (ColorBrewer YlOrRd, 5 classes).
const RAMP: Array<[number, number, number]> = [
  [255, 255, 178],
  [254, 204, 92],
  [253, 141, 60],
  [240, 59, 32],
  [189, 0, 38],
];

/** RGBA for a value within [min, max]; grey for no value. */
export function colorFor(value: number | null, min: number, max: number, m: Metric): [number, number, number, number] {
  if (value == null || !Number.isFinite(value)) return [160, 160, 160, 90];
  let f = max > min ? (value - min) / (max - min) : 0.5;
  f = Math.min(1, Math.max(0, f));
  if (!higherIsWorse(m)) f = 1 - f;
  const c = RAMP[Math.min(RAMP.length - 1, Math.floor(f * RAMP.length))]!;
  return [c[0], c[1], c[2], 190];
}

export function extent(values: ReadonlyArray<number | null>): [number, number] {
  const v = values.filter((x): x is number => x != null && Number.isFinite(x));
  return v.length ? [Math.min(...v), Math.max(...v)] : [0, 0];
}

export function formatValue(m: Metric, v: number | null | undefined, locale = 'zh-CN'): string {
  if (v == null || !Number.isFinite(v)) return '—';
  if (m === 'false_alarm_rate' || m === 'intact_rate' || m === 'disabled_rate') return `${(v * 100).toFixed(1)} %`;
  return v.toLocaleString(locale === 'en' ? 'en' : 'zh-CN', { maximumFractionDigits: 2 });
}

/** SVG polyline points for a series in a w × h box (nulls are skipped). */
export function trendPoints(values: ReadonlyArray<number | null>, w: number, h: number, pad = 4): string {
  const [, max] = extent(values);
  const top = max > 0 ? max : 1;
  const n = values.length;
  return values
    .map((v, i) => (v == null ? null : `${(pad + (n <= 1 ? 0 : (i * (w - 2 * pad)) / (n - 1))).toFixed(1)},${(h - pad - ((h - 2 * pad) * v) / top).toFixed(1)}`))
    .filter((p): p is string => p !== null)
    .join(' ');
}

/** Query string for an export link of the same table (format=csv|xlsx). */
export function exportHref(path: string, params: Record<string, string | number | undefined>, format: 'csv' | 'xlsx'): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  q.set('format', format);
  return `${path}?${q.toString()}`;
}

/**
 * Rates over fewer than this many units of denominator (alarms, points, hours…) are marked
 * "small sample" and ranked after the rest: 1 false alarm of 2 is 50 % but says little.
 */
export const MIN_SAMPLE = 10;

export function isSmallSample(denominator: number | null | undefined): boolean {
  return denominator == null || denominator < MIN_SAMPLE;
}

/** League order: adequate samples first (worst first), small samples after them (same order). */
export function leagueOrder<T extends { value: number | null | undefined; denominator: number | null | undefined }>(rows: readonly T[], m: Metric): T[] {
  const worse = (a: T, b: T) => {
    const va = a.value ?? -Infinity;
    const vb = b.value ?? -Infinity;
    return higherIsWorse(m) ? vb - va : va - vb;
  };
  return [...rows].sort((a, b) => Number(isSmallSample(a.denominator)) - Number(isSmallSample(b.denominator)) || worse(a, b));
}
