// The analyst view's calls to /api/stats (backend/src/analytics/routes.ts), zod-validated.
import { z } from 'zod';
import { api } from '../../api/http.ts';
import type { Metric } from './view-model.ts';

const part = z.object({ value: z.number().nullable(), numerator: z.number(), denominator: z.number() });
export const ratesSchema = z.object({
  by: z.string(),
  res: z.number().nullable(),
  from: z.string(),
  to: z.string(),
  rows: z.array(z.object({ key: z.string(), name: z.string().nullable(), units: z.number(), metrics: z.record(part) })),
});
export type Rates = z.infer<typeof ratesSchema>;

export const trendSchema = z.object({
  interval: z.string(),
  rows: z.array(z.object({ bucket: z.string(), metric: z.string(), numerator: z.number(), denominator: z.number(), value: z.number().nullable() })),
});
export type Trend = z.infer<typeof trendSchema>;

export const prioritiesSchema = z.object({
  rows: z.array(
    z.object({
      unit_id: z.number(),
      name: z.string(),
      region_name: z.string().nullable(),
      high_risk: z.boolean(),
      score: z.number(),
      false_alarms: z.number(),
      fault_events: z.number(),
      off_duty_count: z.number(),
      host_offline_hours: z.number(),
    }),
  ),
});
export type Priorities = z.infer<typeof prioritiesSchema>;

const share = z.object({ numerator: z.number(), denominator: z.number(), pct: z.number().nullable(), target_pct: z.number().nullable(), target_date: z.string().nullable() });
export const connectionSchema = z.object({
  rows: z.array(
    z.object({
      region_adcode: z.number(),
      name: z.string().nullable(),
      units: z.number(),
      control_room: share,
      high_risk: share,
      full: share,
      funnel: z.record(z.number()),
    }),
  ),
});
export type Connection = z.infer<typeof connectionSchema>;

function qs(p: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(p)) if (v !== undefined) q.set(k, String(v));
  return q.toString();
}

export const fetchRates = (p: { by: 'h3' | 'region' | 'unit'; res?: number; from: string; to: string; metric: Metric }, signal?: AbortSignal) =>
  api(`/api/stats/rates?${qs(p)}`, ratesSchema, { signal });
export const fetchTrend = (p: { interval: string; from: string; to: string; metric: Metric }, signal?: AbortSignal) =>
  api(`/api/stats/trend?${qs(p)}`, trendSchema, { signal });
export const fetchPriorities = (p: { from: string; to: string; limit: number }, signal?: AbortSignal) =>
  api(`/api/stats/priorities?${qs(p)}`, prioritiesSchema, { signal });
export const fetchConnection = (signal?: AbortSignal) => api('/api/stats/connection', connectionSchema, { signal });
