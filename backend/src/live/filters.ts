// Who gets which stream message: the caller's jurisdiction first, then the subscription's
// filters. The SQL twin (replay from stream_log) lives in queries.ts; keep them in step.
import type { LiveFilters } from '@firelink/common';
import { scopeAllows, type Scope } from '../auth/scope.ts';

/** What the stream knows about a message without parsing it (stream_log's columns). */
export interface StreamMeta {
  kind: string | null;
  priority: number | null;
  regionAdcode: number | null;
  unitId: number | null;
  lonLatWgs84: readonly [number, number] | null;
}

export function messageMatches(scope: Scope, f: LiveFilters, m: StreamMeta): boolean {
  if (!scopeAllows(scope, m)) return false;
  if (f.regions?.length && !scopeAllows({ kind: 'regions', adcodes: f.regions }, m)) return false;
  if (f.kinds?.length && (m.kind == null || !(f.kinds as readonly string[]).includes(m.kind))) return false;
  if (f.minPriority != null && (m.priority == null || m.priority > f.minPriority)) return false;
  if (f.bbox) {
    if (!m.lonLatWgs84) return false;
    const [w, s, e, n] = f.bbox;
    const [lon, lat] = m.lonLatWgs84;
    if (lon < w || lon > e || lat < s || lat > n) return false;
  }
  return true;
}
