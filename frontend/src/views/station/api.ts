// The station workspace's HTTP and stream clients: /api/station, /api/water, /ws/station,
// responses validated with the shared schemas (common/src/station.ts).
import {
  STATION_WS_PATH,
  WATER_LIST_MAX,
  stationHomeSchema,
  stationStateListSchema,
  stationStatsSchema,
  stationStreamMessageSchema,
  stationUnitListSchema,
  unitPackSchema,
  waterSourceListSchema,
  dispatchOrderSchema,
  type StationStreamMessage,
  type WaterSourceDto,
} from '@firelink/common';
import { z } from 'zod';
import { ApiError, api } from '../../api/http.ts';
import { s } from './strings.ts';

export const fetchHome = (signal?: AbortSignal) => api('/api/station/home', stationHomeSchema, { signal });
export const fetchUnits = (q: Record<string, string>, signal?: AbortSignal) => api(`/api/station/units?${new URLSearchParams(q)}`, stationUnitListSchema, { signal });
export const fetchStations = (signal?: AbortSignal) => api('/api/station/stations', stationStateListSchema, { signal });
export const fetchStats = (days: number, signal?: AbortSignal) => api(`/api/station/stats?days=${days}`, stationStatsSchema, { signal });
export const fetchPack = (id: number, signal?: AbortSignal) => api(`/api/station/units/${id}/pack`, unitPackSchema, { signal });
/** Pages of the water layer fetched for the area at most (WATER_LIST_MAX each: 20,000 sources). */
const WATER_PAGES_MAX = 10;

/** The water sources in `bbox`, page by page (the server answers at most WATER_LIST_MAX at once). */
export async function fetchWater(bbox: [number, number, number, number], signal?: AbortSignal): Promise<{ sources: WaterSourceDto[]; truncated: boolean }> {
  const sources: WaterSourceDto[] = [];
  let afterId: number | null = null;
  for (let page = 0; page < WATER_PAGES_MAX; page++) {
    const q = new URLSearchParams({ bbox: bbox.join(','), limit: String(WATER_LIST_MAX) });
    if (afterId != null) q.set('afterId', String(afterId));
    const r = await api(`/api/water/sources?${q}`, waterSourceListSchema, { signal });
    sources.push(...r.sources);
    if (r.nextAfterId == null) return { sources, truncated: false };
    afterId = r.nextAfterId;
  }
  return { sources, truncated: true };
}
export const reportProgress = (orderId: number, progress: string) =>
  api(`/api/station/orders/${orderId}/progress`, z.object({ order: dispatchOrderSchema }), { method: 'POST', body: { progress } });
export const addVisit = (unitId: number, note: string) => api(`/api/station/units/${unitId}/visits`, null, { method: 'POST', body: { note } });
export const addKeyPart = (unitId: number, body: { floor: number | null; name: string; hazard: string }) => api(`/api/station/units/${unitId}/key-parts`, null, { method: 'POST', body });

/** The screen's own words for a failed request: never the server's (English) text. */
export function errorText(locale: string, err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 409) return s(locale, 'errConflict');
    if (err.status === 403) return s(locale, 'errForbidden');
    if (err.status === 404) return s(locale, 'errNotFound');
    if (err.status === 400) return s(locale, 'errInvalid');
  }
  return s(locale, 'errGeneric');
}

/**
 * Keeps /ws/station open: every (re)connection starts with a station_hello holding the
 * open orders and station states, so nothing is lost while away. Returns the closer.
 */
export function openStationStream(onMessage: (m: StationStreamMessage) => void, onState: (connected: boolean) => void): () => void {
  let ws: WebSocket | null = null;
  let closed = false;
  let delay = 500;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const connect = () => {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    ws = new WebSocket(`${proto}//${location.host}${STATION_WS_PATH}`);
    ws.onmessage = (e) => {
      let raw: unknown;
      try {
        raw = JSON.parse(String(e.data));
      } catch {
        return;
      }
      const m = stationStreamMessageSchema.safeParse(raw);
      if (!m.success) return;
      if (m.data.type === 'station_hello') {
        delay = 500;
        onState(true);
      }
      onMessage(m.data);
    };
    ws.onclose = () => {
      onState(false);
      if (closed) return;
      timer = setTimeout(connect, delay);
      delay = Math.min(10_000, delay * 2);
    };
  };
  connect();
  return () => {
    closed = true;
    if (timer) clearTimeout(timer);
    ws?.close();
  };
}
