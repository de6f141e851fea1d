// The analyst view's calls to /api/stats (backend/src/analytics/routes.ts), validated with
// the shared contracts in common/src/analytics.ts.
import {
  statsConnectionSchema,
  statsPrioritiesSchema,
  statsRatesSchema,
  statsTrendSchema,
  type StatsConnection,
  type StatsPriorities,
  type StatsRates,
  type StatsTrend,
} from '@firelink/common';
import { api } from '../../api/http.ts';
import type { Metric } from './view-model.ts';

export type Rates = StatsRates;
export type Trend = StatsTrend;
export type Priorities = StatsPriorities;
export type Connection = StatsConnection;

function qs(p: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(p)) if (v !== undefined) q.set(k, String(v));
  return q.toString();
}

export const fetchRates = (p: { by: 'h3' | 'region' | 'unit'; res?: number; from: string; to: string; metric: Metric }, signal?: AbortSignal) =>
  api(`/api/stats/rates?${qs(p)}`, statsRatesSchema, { signal });
export const fetchTrend = (p: { interval: 'day' | 'week' | 'month'; from: string; to: string; metric: Metric }, signal?: AbortSignal) =>
  api(`/api/stats/trend?${qs(p)}`, statsTrendSchema, { signal });
export const fetchPriorities = (p: { from: string; to: string; limit: number }, signal?: AbortSignal) =>
  api(`/api/stats/priorities?${qs(p)}`, statsPrioritiesSchema, { signal });
export const fetchConnection = (signal?: AbortSignal) => api('/api/stats/connection', statsConnectionSchema, { signal });
