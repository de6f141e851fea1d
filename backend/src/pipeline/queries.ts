// Enrichment of committed events with where they are: unit name, building, point label,
// floor and WGS84 position (the point's when drawn, else the unit's).
import type { Query } from '../db/pool.ts';

export function unitPlaces(ids: number[]): Query {
  return {
    text: `SELECT id, name, building_id, region_adcode, ST_X(point) AS lon, ST_Y(point) AS lat FROM units WHERE id = ANY($1::bigint[])`,
    values: [ids],
  };
}

export function pointPlaces(ids: number[]): Query {
  return {
    text: `SELECT id, label, floor, ST_X(position) AS lon, ST_Y(position) AS lat FROM points WHERE id = ANY($1::bigint[])`,
    values: [ids],
  };
}

/**
 * Raising events (fire, fault, …) of registered units in the window that no alarm links:
 * committed by ingest but never run through the alarm rules (the process stopped between
 * commit and pipeline). Clearing events are not replayed: applied late they could clear a
 * newer alarm.
 */
export function unprocessedRaisingEvents(kinds: string[], windowMinutes: number, limit: number): Query {
  return {
    text: `SELECT e.id, e.dedupe_key, e.source, e.kind, e.device_id, e.device_address, e.unit_id, e.point_id,
                  e.system_type, e.system_address, e.component_type, e.component_address, e.region_adcode, e.h3_r9,
                  e.status, e.value, e.description, e.device_time, e.received_at, e.payload
             FROM events e
            WHERE e.received_at > now() - make_interval(mins => $2)
              AND e.kind = ANY($1::text[]) AND e.unit_id IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM alarm_events ae WHERE ae.event_id = e.id)
            ORDER BY e.id LIMIT $3`,
    values: [kinds, windowMinutes, limit],
  };
}
