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

/** One `disabled` / `disabled_cleared` event as the disabled-spell statements read it. */
export interface DisabledSignal {
  kind: 'disabled' | 'disabled_cleared';
  eventId: number;
  unitId: number;
  deviceId: number | null;
  pointId: number | null;
  systemType: number | null;
  systemAddress: number | null;
  componentAddress: number | null;
  regionAdcode: number | null;
  at: string;
}

/**
 * One disabled (屏蔽) signal: `disabled` opens a spell for its target (a repeat keeps the
 * first `since`), `disabled_cleared` ends the open one. The pipeline applies them in event
 * order, one statement each (panels send few of them).
 */
export function applyDisabledSignal(s: DisabledSignal): Query {
  if (s.kind === 'disabled') {
    return {
      text: `INSERT INTO disabled_spells (unit_id, device_id, point_id, system_type, system_address, component_address, region_adcode, since, first_event_id, last_event_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
             ON CONFLICT (unit_id, COALESCE(device_id, 0), COALESCE(system_type, -1), COALESCE(system_address, -1), COALESCE(component_address, -1)) WHERE until IS NULL
             DO UPDATE SET last_event_id = EXCLUDED.last_event_id, point_id = COALESCE(disabled_spells.point_id, EXCLUDED.point_id)`,
      values: [s.unitId, s.deviceId, s.pointId, s.systemType, s.systemAddress, s.componentAddress, s.regionAdcode, s.at, s.eventId],
    };
  }
  return {
    text: `UPDATE disabled_spells SET until = $6, last_event_id = $7
            WHERE unit_id = $1 AND COALESCE(device_id, 0) = COALESCE($2::bigint, 0)
              AND COALESCE(system_type, -1) = COALESCE($3::int, -1) AND COALESCE(system_address, -1) = COALESCE($4::int, -1)
              AND COALESCE(component_address, -1) = COALESCE($5::bigint, -1) AND until IS NULL`,
    values: [s.unitId, s.deviceId, s.systemType, s.systemAddress, s.componentAddress, s.at, s.eventId],
  };
}

/** Which of `eventIds` are already linked to an alarm. */
export function linkedEvents(eventIds: number[]): Query {
  return { text: `SELECT event_id FROM alarm_events WHERE event_id = ANY($1::bigint[])`, values: [eventIds] };
}
