// SQL of the live stream: append messages to stream_log (ids are the stream ids) and
// replay them for a client that resumes. Filters mirror filters.ts exactly.
import type { LiveFilters } from '@firelink/common';
import { scopePredicate, type Scope } from '../auth/scope.ts';
import type { Query } from '../db/pool.ts';
import type { StreamMeta } from './filters.ts';

export interface StreamRow {
  type: string;
  meta: StreamMeta;
  /** The message without its id (stored as jsonb, sent as {id, ...payload}). */
  payload: unknown;
}

/**
 * Appends rows in array order. Row k gets the k-th smallest id: ids come from the
 * sequence as rows leave the ORDER BY, so sorting the returned ids restores the order.
 * `payloadJson[k]` is JSON.stringify(rows[k].payload) when the caller has it already (the
 * hub reuses it for the WebSocket frame). The payloads travel as one JSON array text
 * (no per-element array escaping), unnested in lockstep with the columns (ROWS FROM).
 */
export function appendStream(rows: StreamRow[], payloadJson: string[] = rows.map((r) => JSON.stringify(r.payload))): Query {
  return {
    text: `INSERT INTO stream_log (type, kind, priority, region_adcode, unit_id, location, payload)
           SELECT t.type, t.kind, t.priority, t.region, t.unit,
                  CASE WHEN t.lon IS NULL OR t.lat IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326) END,
                  t.payload
             FROM ROWS FROM (unnest($1::text[], $2::text[], $3::smallint[], $4::int[], $5::bigint[], $6::float8[], $7::float8[]),
                             jsonb_array_elements($8::jsonb))
                  WITH ORDINALITY AS t(type, kind, priority, region, unit, lon, lat, payload, ord)
            ORDER BY t.ord
           RETURNING id`,
    values: [
      rows.map((r) => r.type),
      rows.map((r) => r.meta.kind),
      rows.map((r) => r.meta.priority),
      rows.map((r) => r.meta.regionAdcode),
      rows.map((r) => r.meta.unitId),
      rows.map((r) => r.meta.lonLatWgs84?.[0] ?? null),
      rows.map((r) => r.meta.lonLatWgs84?.[1] ?? null),
      `[${payloadJson.join(',')}]`,
    ],
  };
}

/** Ids written after `afterId`, oldest first (an append whose answer was lost finds its rows). */
export function streamIdsAfter(afterId: number): Query {
  return { text: `SELECT id FROM stream_log WHERE id > $1 ORDER BY id`, values: [afterId] };
}

export function streamHead(): Query {
  return { text: `SELECT COALESCE(max(id), 0) AS head, COALESCE(min(id), 0) AS tail FROM stream_log`, values: [] };
}

/**
 * Messages after `afterId` up to `upTo` the subscriber may see, oldest first. `upTo` is what
 * this node has handed on (its stream log's head): a row committed but not yet handed on comes
 * by the fan-out, so a replay never sends it a second time (several API nodes tailing one
 * stream_log see rows committed by others before their tail reads them).
 */
export function replayStream(afterId: number, upTo: number, scope: Scope, f: LiveFilters, limit: number): Query {
  const values: unknown[] = [afterId, upTo];
  const where = ['s.id > $1', 's.id <= $2', scopePredicate(scope, { region: 's.region_adcode', unit: 's.unit_id' }, values)];
  if (f.regions?.length) where.push(scopePredicate({ kind: 'regions', adcodes: f.regions }, { region: 's.region_adcode' }, values));
  if (f.kinds?.length) {
    values.push(f.kinds);
    where.push(`s.kind = ANY($${values.length}::text[])`);
  }
  if (f.minPriority != null) {
    values.push(f.minPriority);
    where.push(`s.priority <= $${values.length}`);
  }
  if (f.bbox) {
    values.push(...f.bbox);
    const n = values.length;
    // Inclusive on the edges, like filters.ts.
    where.push(`ST_Intersects(s.location, ST_MakeEnvelope($${n - 3}, $${n - 2}, $${n - 1}, $${n}, 4326))`);
  }
  values.push(limit);
  return {
    text: `SELECT s.id, s.payload FROM stream_log s WHERE ${where.join(' AND ')} ORDER BY s.id LIMIT $${values.length}`,
    values,
  };
}

/** Drops messages older than the retention window (resume past it gets a snapshot). */
export function pruneStream(keepHours: number): Query {
  return { text: `DELETE FROM stream_log WHERE at < now() - make_interval(hours => $1)`, values: [keepHours] };
}
