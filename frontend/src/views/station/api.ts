// The station workspace's HTTP and stream clients: /api/station, /api/water, /ws/station,
// responses validated with the shared schemas (common/src/station.ts).
import {
  CSRF_COOKIE,
  CSRF_HEADER,
  STATION_WS_PATH,
  stationHomeSchema,
  stationStateListSchema,
  stationStatsSchema,
  stationStreamMessageSchema,
  stationUnitListSchema,
  unitPackSchema,
  dispatchOrderSchema,
  keyPartListSchema,
  type StationStreamMessage,
} from '@firelink/common';
import { z } from 'zod';
import { ApiError, api } from '../../api/http.ts';
import { s } from './strings.ts';

export const fetchHome = (signal?: AbortSignal) => api('/api/station/home', stationHomeSchema, { signal });
export const fetchUnits = (q: Record<string, string>, signal?: AbortSignal) => api(`/api/station/units?${new URLSearchParams(q)}`, stationUnitListSchema, { signal });
export const fetchStations = (signal?: AbortSignal) => api('/api/station/stations', stationStateListSchema, { signal });
export const fetchStats = (days: number, signal?: AbortSignal) => api(`/api/station/stats?days=${days}`, stationStatsSchema, { signal });
export const fetchPack = (id: number, signal?: AbortSignal) => api(`/api/station/units/${id}/pack`, unitPackSchema, { signal });
export const reportProgress = (orderId: number, progress: string) =>
  api(`/api/station/orders/${orderId}/progress`, z.object({ order: dispatchOrderSchema }), { method: 'POST', body: { progress } });
export const addVisit = (unitId: number, note: string) => api(`/api/station/units/${unitId}/visits`, z.object({ visit: z.object({ id: z.number().int() }) }), { method: 'POST', body: { note } });
export const fetchKeyParts = (unitId: number, signal?: AbortSignal) => api(`/api/station/units/${unitId}/key-parts`, keyPartListSchema, { signal });
export const addKeyPart = (unitId: number, body: { floor: number | null; name: string; hazard: string }) => api(`/api/station/units/${unitId}/key-parts`, null, { method: 'POST', body });
export const patchKeyPart = (unitId: number, partId: number, body: { planPx?: [number, number] | null }) =>
  api(`/api/station/units/${unitId}/key-parts/${partId}`, null, { method: 'PATCH', body });
export const deleteKeyPart = (unitId: number, partId: number) => api(`/api/station/units/${unitId}/key-parts/${partId}`, null, { method: 'DELETE' });
export const deleteFile = (unitId: number, fileId: number) => api(`/api/station/units/${unitId}/files/${fileId}`, null, { method: 'DELETE' });
/** Where a pack file (plan, photo) is read; `download` asks for an attachment. */
export const fileUrl = (unitId: number, fileId: number, download = false) => `/api/station/units/${unitId}/files/${fileId}${download ? '?download=1' : ''}`;

/** Sends a file's bytes as the body (plans: /plans, photos: /visits/:id/photos), with its name and the CSRF token. */
export async function uploadPackFile(path: string, file: File, title?: string): Promise<void> {
  const headers: Record<string, string> = { 'Content-Type': file.type || 'application/octet-stream' };
  const m = new RegExp(`(?:^|; )${CSRF_COOKIE}=([^;]*)`).exec(document.cookie);
  if (m) headers[CSRF_HEADER] = decodeURIComponent(m[1]!);
  const q = new URLSearchParams({ name: file.name });
  if (title) q.set('title', title);
  const res = await fetch(`${path}?${q}`, { method: 'POST', headers, body: file, credentials: 'same-origin' });
  if (!res.ok) {
    const b = (await res.json().catch(() => ({}))) as { error?: string; message?: string };
    throw new ApiError(res.status, b.error ?? `http_${res.status}`, b.message ?? `upload failed (HTTP ${res.status})`, b);
  }
}

/** The screen's own words for a failed request: never the server's (English) text. */
export function errorText(locale: string, err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 409) return s(locale, 'errConflict');
    if (err.status === 403) return s(locale, 'errForbidden');
    if (err.status === 404) return s(locale, 'errNotFound');
    if (err.status === 400) return s(locale, 'errInvalid');
    if (err.code === 'unit_quota_exceeded') return s(locale, 'errQuota');
    if (err.status === 413) return s(locale, 'errTooLarge');
    if (err.code === 'visit_rate_limited') {
      const wait = (err.body as { retryAfterS?: unknown } | undefined)?.retryAfterS;
      return s(locale, 'errRate', { n: typeof wait === 'number' ? Math.ceil(wait) : 60 });
    }
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
