// SQL of the scale-out roles: the processed-event marker (exactly-once alarm stage), the
// catch-up sweep, and the shared stream log (append under one lock, tail by id).
import type { Query } from '../db/pool.ts';

/** Marks events processed; returns the ids this statement inserted (not processed before). */
export function claimEvents(ids: number[]): Query {
  return {
    text: `INSERT INTO processed_events (event_id) SELECT unnest($1::bigint[]) ON CONFLICT DO NOTHING RETURNING event_id`,
    values: [ids],
  };
}

/** Of these ids, those already processed (a redelivery after the alarm stage committed). */
export function processedAmong(ids: number[]): Query {
  return { text: `SELECT event_id FROM processed_events WHERE event_id = ANY($1::bigint[])`, values: [ids] };
}

/**
 * Events committed between `windowMinutes` ago and `graceSeconds` ago that no worker has
 * processed: an ingest node died between commit and publish, or a worker's alarm stage
 * failed. Oldest first.
 */
export function unprocessedEvents(windowMinutes: number, graceSeconds: number, limit: number): Query {
  return {
    text: `SELECT e.id, e.dedupe_key, e.source, e.kind, e.device_id, e.device_address, e.unit_id, e.point_id,
                  e.system_type, e.system_address, e.component_type, e.component_address, e.region_adcode, e.h3_r9,
                  e.status, e.value, e.description, e.device_time, e.received_at, e.payload
             FROM events e
            WHERE e.received_at > now() - make_interval(mins => $1)
              AND e.received_at < now() - make_interval(secs => $2)
              AND NOT EXISTS (SELECT 1 FROM processed_events p WHERE p.event_id = e.id)
            ORDER BY e.id LIMIT $3`,
    values: [windowMinutes, graceSeconds, limit],
  };
}

/**
 * Committed events of these units and kinds older than `beforeId`, received since `since`, that no
 * worker has processed: a batch's predecessors still held by a dead worker (redelivered only
 * after the ack wait) or never published (the sweep would find them later). Oldest first.
 */
export function unprocessedBefore(unitIds: number[], kinds: readonly string[], beforeId: number, since: string, limit: number): Query {
  return {
    text: `SELECT e.id, e.dedupe_key, e.source, e.kind, e.device_id, e.device_address, e.unit_id, e.point_id,
                  e.system_type, e.system_address, e.component_type, e.component_address, e.region_adcode, e.h3_r9,
                  e.status, e.value, e.description, e.device_time, e.received_at, e.payload
             FROM events e
            WHERE e.unit_id = ANY($1::bigint[]) AND e.received_at >= $3::timestamptz AND e.id < $2 AND e.kind = ANY($5::text[])
              AND NOT EXISTS (SELECT 1 FROM processed_events p WHERE p.event_id = e.id)
            ORDER BY e.id LIMIT $4`,
    values: [unitIds, beforeId, since, limit, kinds],
  };
}

/** Drops markers older than the sweep's window (they are never looked up again). */
export function pruneProcessed(keepHours: number): Query {
  return { text: `DELETE FROM processed_events WHERE processed_at < now() - make_interval(hours => $1)`, values: [keepHours] };
}

/** The channel a shared-stream-log append notifies (payload: its last id). */
export const STREAM_CHANNEL = 'firelink_stream_log';

/**
 * Appends under a transaction-scoped advisory lock: ids are drawn from the sequence only
 * while the lock is held and the lock is released at commit, so rows become visible in id
 * order and a reader of `id > head` never passes an id that commits later.
 */
export function lockStream(key: number): Query {
  return { text: `SELECT pg_advisory_xact_lock($1)`, values: [key] };
}

export function notifyStream(lastId: number): Query {
  return { text: `SELECT pg_notify($1, $2)`, values: [STREAM_CHANNEL, String(lastId)] };
}

/** Committed stream messages after `afterId`, oldest first, with what filters read. */
export function tailStream(afterId: number, limit: number): Query {
  return {
    text: `SELECT id, kind, priority, region_adcode, unit_id, ST_X(location) AS lon, ST_Y(location) AS lat, payload::text AS payload
             FROM stream_log WHERE id > $1 ORDER BY id LIMIT $2`,
    values: [afterId, limit],
  };
}

/** This node's connected screens (its whole row, rewritten). */
export function upsertPresence(node: string, screensJson: string): Query {
  return {
    text: `INSERT INTO cluster_presence (node, screens, seen_at) VALUES ($1, $2::jsonb, now())
           ON CONFLICT (node) DO UPDATE SET screens = EXCLUDED.screens, seen_at = EXCLUDED.seen_at`,
    values: [node, screensJson],
  };
}

/** Every node's screens refreshed within `staleMs`; older rows (a dead node's) are removed. */
export function livePresence(staleMs: number): Query {
  return {
    text: `WITH gone AS (DELETE FROM cluster_presence WHERE seen_at < now() - make_interval(secs => $1 / 1000.0))
           SELECT node, screens FROM cluster_presence WHERE seen_at >= now() - make_interval(secs => $1 / 1000.0)`,
    values: [staleMs],
  };
}

export function deletePresence(node: string): Query {
  return { text: `DELETE FROM cluster_presence WHERE node = $1`, values: [node] };
}
