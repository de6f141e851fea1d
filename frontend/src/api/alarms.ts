// Alarm REST calls (common/src/live.ts) and dispatch suggestions (DISPATCH's API).
import { alarmDetailSchema, transitionResponseSchema, type AlarmStepBody, type AlarmVerdict, type ProcedureStepId } from '@firelink/common';
import { z } from 'zod';
import { api } from './http.ts';

export const getAlarmDetail = (id: number, signal?: AbortSignal) => api(`/api/alarms/${id}`, alarmDetailSchema, { signal });

export type Transition = { action: 'ack' } | { action: 'verify'; verdict: AlarmVerdict } | { action: 'dispatch'; stationIds?: number[] } | { action: 'close' };

export function transition(id: number, version: number, tr: Transition) {
  const body: Record<string, unknown> = { version };
  if (tr.action === 'verify') body.verdict = tr.verdict;
  if (tr.action === 'dispatch' && tr.stationIds) body.stationIds = tr.stationIds;
  return api(`/api/alarms/${id}/${tr.action}`, transitionResponseSchema, { method: 'POST', body });
}

/** A step of the alarm kind's procedure (POST /api/alarms/:id/steps/:step); 409 carries `refusal`. */
export function takeStep(id: number, step: ProcedureStepId, body: AlarmStepBody) {
  return api(`/api/alarms/${id}/steps/${step}`, transitionResponseSchema, { method: 'POST', body });
}

// Dispatch suggestions: parsed loosely (only what the desk draws) so a richer response
// never breaks the desk.
const lineString = z.object({ type: z.literal('LineString'), coordinates: z.array(z.tuple([z.number(), z.number()]).rest(z.number())) });
const suggestion = z
  .object({
    stationId: z.number(),
    name: z.string().optional(),
    stationName: z.string().optional(),
    etaS: z.number().nullable().optional(),
    etaSeconds: z.number().nullable().optional(),
    distanceMeters: z.number().nullable().optional(),
    route: lineString.nullable().optional(),
    path: lineString.nullable().optional(),
  })
  .passthrough();
type SuggestionRaw = z.infer<typeof suggestion>;
const suggestResponse = z.union([
  z.array(suggestion),
  z.object({ suggestions: z.array(suggestion) }).transform((r) => r.suggestions),
  z.object({ stations: z.array(suggestion) }).transform((r) => r.stations),
]);
export interface Suggestion {
  stationId: number;
  name: string;
  etaS: number | null;
  distanceMeters: number | null;
  pathWgs84: Array<[number, number]> | null;
  /** The station's district and phone (tell apart stations of the same name). */
  regionAdcode?: number | null;
  phone?: string | null;
}

export async function suggestStations(lonLatWgs84: [number, number], k = 3, signal?: AbortSignal): Promise<Suggestion[]> {
  const r = await api(`/api/dispatch/suggest?lon=${lonLatWgs84[0]}&lat=${lonLatWgs84[1]}&k=${k}`, suggestResponse, { signal });
  const list: SuggestionRaw[] = r;
  return list.map((s) => {
    const line = s.route ?? s.path ?? null;
    return {
      stationId: s.stationId,
      name: s.name ?? s.stationName ?? '—',
      etaS: s.etaS ?? s.etaSeconds ?? null,
      distanceMeters: s.distanceMeters ?? null,
      regionAdcode: typeof s.regionAdcode === 'number' ? s.regionAdcode : null,
      phone: typeof s.phone === 'string' && s.phone ? s.phone : null,
      pathWgs84: line ? line.coordinates.map((c: number[]) => [c[0]!, c[1]!] as [number, number]) : null,
    };
  });
}

// H3 heatmap cells from ANALYTICS: GET /api/stats/rates?by=h3&res=8&metric=…
const ratesH3 = z.object({
  rows: z.array(z.object({ key: z.string(), metrics: z.record(z.object({ value: z.number().nullable() }).passthrough()) }).passthrough()),
});
export type HeatMetric = 'fault_rate' | 'false_alarm_rate';

/** Cells with a value, scaled 0…1 against the largest (the legend says "relative"). */
export async function heatCells(metric: HeatMetric, signal?: AbortSignal): Promise<Array<{ h3: string; value: number }>> {
  const r = await api(`/api/stats/rates?by=h3&res=8&metric=${metric}`, ratesH3, { signal });
  const cells = r.rows.flatMap((row) => {
    const v = row.metrics[metric]?.value;
    return v === null || v === undefined ? [] : [{ h3: row.key, value: v }];
  });
  const max = Math.max(0, ...cells.map((c) => c.value));
  return max > 0 ? cells.map((c) => ({ h3: c.h3, value: c.value / max })) : cells;
}

/** The nearest usable water sources of an alarm's place by road (GET /api/water/alarms/:id/nearest). */
const nearestWaterResponse = z.object({
  alarmId: z.number(),
  sources: z.array(
    z
      .object({
        rank: z.number().int(),
        id: z.number().int(),
        kind: z.enum(['hydrant', 'pool', 'natural']),
        name: z.string().nullable(),
        flowLps: z.number().nullable(),
        capacityM3: z.number().nullable(),
        address: z.string().nullable(),
        distanceMeters: z.number(),
        method: z.enum(['road', 'straight']),
      })
      .passthrough(),
  ),
});
export type NearestWater = z.infer<typeof nearestWaterResponse>['sources'][number];

export const nearestWaterForAlarm = (alarmId: number, k: number, signal?: AbortSignal) =>
  api(`/api/water/alarms/${alarmId}/nearest?k=${k}`, nearestWaterResponse, { signal }).then((r) => r.sources);
