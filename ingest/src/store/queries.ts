// SQL of the ingest store. Named functions return {text, values}; values are always $n.
// Every statement is set-based (arrays in, unnest in SQL) so a whole batch of frames
// costs a handful of round trips and one commit.

import type { Query } from '@firelink/common';
import type { BatchSnapshot, FrameKeys, StatusKeys } from '../domain/batch-plan.ts';

export type { Query, FrameKeys, StatusKeys };

/** Registry: device → unit → region and H3 cell. */
export function findDevices(addresses: number[]): Query {
  return {
    text: `SELECT d.address, d.id, d.unit_id, u.region_adcode, u.h3_r9
             FROM devices d LEFT JOIN units u ON u.id = d.unit_id
            WHERE d.protocol = 'gb26875' AND d.address = ANY($1::bigint[])`,
    values: [addresses],
  };
}

export interface EventRow {
  dedupe_key: string;
  source: string;
  kind: string;
  device_id: number | null;
  device_address: number | null;
  unit_id: number | null;
  point_id: number | null;
  system_type: number | null;
  system_address: number | null;
  component_type: number | null;
  component_address: number | null;
  region_adcode: number | null;
  h3_r9: string | null;
  status: number | null;
  value: number | null;
  description: string | null;
  /** ISO local time of the device clock (Asia/Shanghai). */
  device_time: string | null;
  received_at: string;
  /** Raw frame bytes, hex. */
  raw: string | null;
  payload: Record<string, unknown>;
}

/**
 * The events insert (idempotent on dedupe_key; RETURNING the rows actually inserted), with
 * the rows as one jsonb parameter `param`: used alone and as writeBatch's last part.
 */
function eventsInsertSql(param: string): string {
  return `INSERT INTO events (dedupe_key, source, kind, device_id, device_address, unit_id, point_id, system_type,
                               system_address, component_type, component_address, region_adcode, h3_r9, status, value,
                               description, device_time, received_at, raw, payload)
           SELECT x.dedupe_key, x.source, x.kind, x.device_id, x.device_address, x.unit_id, x.point_id, x.system_type,
                  x.system_address, x.component_type, x.component_address, x.region_adcode, x.h3_r9, x.status, x.value,
                  x.description, x.device_time::timestamp AT TIME ZONE 'Asia/Shanghai', x.received_at,
                  decode(x.raw, 'hex'), x.payload
             FROM jsonb_to_recordset(${param}::jsonb) AS x(dedupe_key text, source text, kind text, device_id bigint,
                  device_address bigint, unit_id bigint, point_id bigint, system_type smallint, system_address smallint,
                  component_type smallint, component_address bigint, region_adcode integer, h3_r9 text, status integer,
                  value double precision, description text, device_time text, received_at timestamptz, raw text, payload jsonb)
           ON CONFLICT (dedupe_key) DO NOTHING
           RETURNING id, dedupe_key`;
}

/**
 * Point states from three arrays at `$first…$first+2` (ids, states, in_fault); `$1` is the
 * batch time (a changed state records it). Shared by both batch writes. A point whose state
 * and fault flag are already those is not written at all (no new row version, no index
 * entries): most status uploads repeat the state the point is in.
 */
function pointStatesUpdateSql(first: number): string {
  return `UPDATE points p SET state = k.state, in_fault = k.in_fault,
                    state_changed_at = CASE WHEN p.state IS DISTINCT FROM k.state THEN $1::timestamptz ELSE p.state_changed_at END
               FROM unnest($${first}::bigint[], $${first + 1}::text[], $${first + 2}::boolean[]) AS k(id, state, in_fault)
              WHERE p.id = k.id AND (p.state IS DISTINCT FROM k.state OR p.in_fault IS DISTINCT FROM k.in_fault)`;
}

/** Inserts events idempotently; returns the ids of those actually inserted. */
export function insertEvents(rows: EventRow[]): Query {
  return { text: eventsInsertSql('$1'), values: [JSON.stringify(rows)] };
}

/** Records unregistered addresses (unique); `surface` is true when an event should be raised (first sight, or hourly). */
export function touchUnregistered(addresses: number[], peers: Array<string | null>, frames: number[], at: string): Query {
  return {
    text: `INSERT INTO ingest_unregistered_devices AS u (device_address, first_seen_at, last_seen_at, last_event_at, last_peer, frames)
           SELECT k.a, $4, $4, $4, k.p, k.n FROM unnest($1::bigint[], $2::text[], $3::int[]) AS k(a, p, n) ORDER BY k.a
           ON CONFLICT (device_address) DO UPDATE SET
             last_seen_at = EXCLUDED.last_seen_at, frames = u.frames + EXCLUDED.frames, last_peer = EXCLUDED.last_peer,
             last_event_at = CASE WHEN u.last_event_at < EXCLUDED.last_seen_at - interval '1 hour' THEN EXCLUDED.last_seen_at ELSE u.last_event_at END
           RETURNING device_address, (xmax = 0) AS inserted, last_event_at = $4::timestamptz AS surface`,
    values: [addresses, peers, frames, at],
  };
}

export function insertRawFrames(addresses: Array<number | null>, peers: Array<string | null>, reasons: string[], hex: string[], at: string): Query {
  return {
    text: `INSERT INTO raw_frames (received_at, protocol, device_address, peer, reason, bytes)
           SELECT $1, 'gb26875', k.a, k.p, k.r, decode(k.h, 'hex') FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[]) AS k(a, p, r, h)`,
    values: [at, addresses, peers, reasons, hex],
  };
}

/** Marks the latest unanswered duty check of a device answered (late answers to a missed check count too). */
export function answerDutyCheck(deviceId: number, at: string): Query {
  return {
    text: `UPDATE duty_checks SET answered_at = $2, response_s = EXTRACT(EPOCH FROM ($2::timestamptz - sent_at))
            WHERE id = (SELECT id FROM duty_checks WHERE device_id = $1 AND answered_at IS NULL
                           AND sent_at > $2::timestamptz - interval '1 day'
                         ORDER BY (missed_at IS NULL) DESC, sent_at DESC LIMIT 1)
           RETURNING id, response_s, missed_at IS NOT NULL AS late`,
    values: [deviceId, at],
  };
}

// ---------------------------------------------------------------------------------------
// The batch path in two statements (plus BEGIN/COMMIT): a read phase that claims receipts
// and reads (and locks) everything normalization needs, and a write phase that applies
// its results. They take empty arrays for the parts a batch does not need. The fast-path
// pair are named (prepared once per connection): their lookups are per-key LATERAL
// index probes, so a cached generic plan stays index-driven and skips ~1 ms of parse and
// planning per batch. The transaction pair joins unnest() to big tables, where a generic
// plan degraded as the tables grew; they stay unnamed (custom plans).

export interface ReadBatchInput {
  frames: FrameKeys & { receivedAt: string[] };
  /** Distinct source addresses of the batch. */
  addresses: number[];
  status: StatusKeys;
  /** Points by (device address, system type, system address, component address). */
  points: { address: number[]; systemType: number[]; systemAddress: number[]; componentAddress: number[] };
  /** Addresses whose host power state is read (and locked). */
  health: number[];
}

export interface ReadBatchRow {
  /** [device_address, serial, time_label] of the receipts that were new. */
  claimed: Array<[number, number, string]>;
  /** [address, id, unit_id, region_adcode, h3_r9]. */
  devices: Array<[number, number, number | null, number | null, string | null]>;
  /** [device_address, adu_type, system_type, system_address, component_address, status]. */
  statuses: Array<[number, number, number, number, number, number]>;
  /** [device_address, system_type, system_address, component_address, point id]. */
  points: Array<[number, number, number, number, number]>;
  /** [device_address, host_offline, offline_reason]. */
  health: Array<[number, boolean, string | null]>;
}

/** The read phase's tuples (compact JSON on the wire) as the planner's named rows. */
export function snapshotOf(row: ReadBatchRow): BatchSnapshot {
  return {
    claimed: row.claimed.map(([address, serial, timeLabel]) => ({ address: Number(address), serial, timeLabel })),
    devices: row.devices.map(([address, deviceId, unitId, regionAdcode, h3R9]) => ({
      address: Number(address),
      deviceId: Number(deviceId),
      unitId: unitId === null ? null : Number(unitId),
      regionAdcode,
      h3R9,
    })),
    statuses: row.statuses.map(([address, aduType, systemType, systemAddress, componentAddress, status]) => ({
      address: Number(address),
      aduType,
      systemType,
      systemAddress,
      componentAddress,
      status,
    })),
    points: row.points.map(([address, systemType, systemAddress, componentAddress, pointId]) => ({
      address: Number(address),
      systemType,
      systemAddress,
      componentAddress,
      pointId: Number(pointId),
    })),
    health: row.health.map(([address, hostOffline, offlineReason]) => ({ address: Number(address), hostOffline, offlineReason })),
  };
}

/** Registry rows (address, id, unit_id, region_adcode, h3_r9) of the addresses at `$p`, one index probe each. */
function registrySql(p: number): string {
  return `SELECT d.address, d.id, d.unit_id, u.region_adcode, u.h3_r9
               FROM unnest($${p}::bigint[]) AS k(address)
               CROSS JOIN LATERAL (SELECT d.* FROM devices d WHERE d.protocol = 'gb26875' AND d.address = k.address LIMIT 1) d
               LEFT JOIN LATERAL (SELECT u.region_adcode, u.h3_r9 FROM units u WHERE u.id = d.unit_id LIMIT 1) u ON true`;
}

/** Point ids for the (address, system type, system address, component address) keys at `$first…$first+3`. */
function pointsSql(first: number): string {
  return `SELECT k.address, k.system_type, k.system_address, k.component_address, p.id
               FROM unnest($${first}::bigint[], $${first + 1}::smallint[], $${first + 2}::smallint[], $${first + 3}::bigint[]) AS k(address, system_type, system_address, component_address)
               CROSS JOIN LATERAL (
                 SELECT p.id FROM devices d
                   JOIN facility_systems s ON s.device_id = d.id AND s.system_type = k.system_type AND s.system_address = k.system_address
                   JOIN points p ON p.system_id = s.id AND p.component_address = k.component_address
                  WHERE d.protocol = 'gb26875' AND d.address = k.address LIMIT 1) p`;
}

/** Receipts + registry + locked last statuses + points + locked host power, one round trip. */
export function readBatch(i: ReadBatchInput): Query {
  return {
    text: `WITH claimed AS (
             INSERT INTO ingest_frames (device_address, serial, time_label, received_at)
             SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::timestamptz[])
             ON CONFLICT DO NOTHING
             RETURNING device_address, serial, time_label
           ), dev AS (
             ${registrySql(5)}
           ), st AS (
             SELECT s.device_address, s.adu_type, s.system_type, s.system_address, s.component_address, s.status
               FROM ingest_last_status s
               JOIN unnest($6::bigint[], $7::smallint[], $8::smallint[], $9::smallint[], $10::bigint[])
                    AS k(device_address, adu_type, system_type, system_address, component_address)
                 ON s.device_address = k.device_address AND s.adu_type = k.adu_type AND s.system_type = k.system_type
                AND s.system_address = k.system_address AND s.component_address = k.component_address
              ORDER BY 1, 2, 3, 4, 5
                FOR UPDATE OF s
           ), pts AS (
             ${pointsSql(11)}
           ), hl AS (
             SELECT device_address, host_offline, offline_reason FROM ingest_device_health
              WHERE device_address = ANY($15::bigint[]) ORDER BY device_address FOR UPDATE
           )
           SELECT (SELECT coalesce(json_agg(json_build_array(device_address, serial, time_label)), '[]') FROM claimed) AS claimed,
                  (SELECT coalesce(json_agg(json_build_array(address, id, unit_id, region_adcode, h3_r9)), '[]') FROM dev) AS devices,
                  (SELECT coalesce(json_agg(json_build_array(device_address, adu_type, system_type, system_address, component_address, status)), '[]') FROM st) AS statuses,
                  (SELECT coalesce(json_agg(json_build_array(address, system_type, system_address, component_address, id)), '[]') FROM pts) AS points,
                  (SELECT coalesce(json_agg(json_build_array(device_address, host_offline, offline_reason)), '[]') FROM hl) AS health`,
    values: [
      i.frames.address, i.frames.serial, i.frames.timeLabel, i.frames.receivedAt,
      i.addresses,
      i.status.address, i.status.aduType, i.status.systemType, i.status.systemAddress, i.status.componentAddress,
      i.points.address, i.points.systemType, i.points.systemAddress, i.points.componentAddress,
      i.health,
    ],
  };
}

export interface WriteBatchInput {
  /** Keys unique within one call. */
  status: StatusKeys & { status: number[] };
  pointStates: { ids: number[]; states: string[]; inFault: boolean[] };
  systems: { deviceId: number[]; systemType: number[]; systemAddress: number[]; status: number[] };
  /** One entry per address at most. */
  health: { address: number[]; hostOffline: boolean[]; reason: Array<string | null>; powerLost: boolean[] };
  events: EventRow[];
  at: string;
}

/** Last statuses, point states, system statuses, host power and the events, one round trip; returns the events inserted. */
export function writeBatch(w: WriteBatchInput): Query {
  return {
    text: `WITH ls AS (
             INSERT INTO ingest_last_status (device_address, adu_type, system_type, system_address, component_address, status, updated_at)
             SELECT k.*, $1::timestamptz FROM unnest($2::bigint[], $3::smallint[], $4::smallint[], $5::smallint[], $6::bigint[], $7::int[])
               AS k(device_address, adu_type, system_type, system_address, component_address, status)
             ORDER BY 1, 2, 3, 4, 5
             ON CONFLICT (device_address, adu_type, system_type, system_address, component_address)
             DO UPDATE SET status = EXCLUDED.status, updated_at = EXCLUDED.updated_at
           ), ps AS (
             ${pointStatesUpdateSql(8)}
           ), ss AS (
             UPDATE facility_systems s SET status = k.status, status_at = $1::timestamptz
               FROM unnest($11::bigint[], $12::smallint[], $13::smallint[], $14::int[]) AS k(device_id, system_type, system_address, status)
              WHERE s.device_id = k.device_id AND s.system_type = k.system_type AND s.system_address = k.system_address
           ), hl AS (
             INSERT INTO ingest_device_health (device_address, host_offline, offline_reason, power_lost, changed_at)
             SELECT k.*, $1::timestamptz FROM unnest($15::bigint[], $16::boolean[], $17::text[], $18::boolean[]) AS k
             ON CONFLICT (device_address) DO UPDATE SET host_offline = EXCLUDED.host_offline,
               offline_reason = EXCLUDED.offline_reason, power_lost = EXCLUDED.power_lost, changed_at = EXCLUDED.changed_at
           )
           ${eventsInsertSql('$19')}`,
    values: [
      w.at,
      w.status.address, w.status.aduType, w.status.systemType, w.status.systemAddress, w.status.componentAddress, w.status.status,
      w.pointStates.ids, w.pointStates.states, w.pointStates.inFault,
      w.systems.deviceId, w.systems.systemType, w.systems.systemAddress, w.systems.status,
      w.health.address, w.health.hostOffline, w.health.reason, w.health.powerLost,
      JSON.stringify(w.events),
    ],
  };
}

/**
 * Fast-path read (no transaction, no locks): existing receipts, registry, last statuses,
 * points, host power. Same parameters as readBatch; `claimed` lists the receipts that
 * ALREADY exist (the frames that are resends).
 */
export function readBatchFast(i: ReadBatchInput): Query & { name: string } {
  return {
    name: 'ingest_read_batch_fast_v4',
    // Every part is a per-key LATERAL lookup (unique-index probes), so its cost follows
    // the batch, not the size of ingest_frames, ingest_last_status or points.
    text: `WITH seen AS (
             SELECT k.device_address, k.serial, k.time_label
               FROM unnest($1::bigint[], $2::int[], $3::text[]) AS k(device_address, serial, time_label)
               CROSS JOIN LATERAL (SELECT 1 FROM ingest_frames f
                                    WHERE f.device_address = k.device_address AND f.serial = k.serial AND f.time_label = k.time_label LIMIT 1) f
           ), dev AS (
             ${registrySql(4)}
           ), st AS (
             SELECT s.device_address, s.adu_type, s.system_type, s.system_address, s.component_address, s.status
               FROM unnest($5::bigint[], $6::smallint[], $7::smallint[], $8::smallint[], $9::bigint[])
                    AS k(device_address, adu_type, system_type, system_address, component_address)
               CROSS JOIN LATERAL (SELECT s.* FROM ingest_last_status s
                                    WHERE s.device_address = k.device_address AND s.adu_type = k.adu_type AND s.system_type = k.system_type
                                      AND s.system_address = k.system_address AND s.component_address = k.component_address LIMIT 1) s
           ), pts AS (
             ${pointsSql(10)}
           ), hl AS (
             SELECT k.device_address, h.host_offline, h.offline_reason
               FROM unnest($14::bigint[]) AS k(device_address)
               CROSS JOIN LATERAL (SELECT h.host_offline, h.offline_reason FROM ingest_device_health h
                                    WHERE h.device_address = k.device_address LIMIT 1) h
           )
           SELECT (SELECT coalesce(json_agg(json_build_array(device_address, serial, time_label)), '[]') FROM seen) AS claimed,
                  (SELECT coalesce(json_agg(json_build_array(address, id, unit_id, region_adcode, h3_r9)), '[]') FROM dev) AS devices,
                  (SELECT coalesce(json_agg(json_build_array(device_address, adu_type, system_type, system_address, component_address, status)), '[]') FROM st) AS statuses,
                  (SELECT coalesce(json_agg(json_build_array(address, system_type, system_address, component_address, id)), '[]') FROM pts) AS points,
                  (SELECT coalesce(json_agg(json_build_array(device_address, host_offline, offline_reason)), '[]') FROM hl) AS health`,
    values: [
      i.frames.address, i.frames.serial, i.frames.timeLabel,
      i.addresses,
      i.status.address, i.status.aduType, i.status.systemType, i.status.systemAddress, i.status.componentAddress,
      i.points.address, i.points.systemType, i.points.systemAddress, i.points.componentAddress,
      i.health,
    ],
  };
}

export interface WriteBatchFastInput {
  /** Receipts of the frames the read found new (unique keys). */
  frames: FrameKeys & { receivedAt: string[] };
  /** Keys unique; `prev` is the status the read saw (null: no row). */
  status: StatusKeys & { status: number[]; prev: Array<number | null> };
  pointStates: { ids: number[]; states: string[]; inFault: boolean[] };
  /** System status words (last per system; one device's frames are written by one lane, in order). */
  systems: WriteBatchInput['systems'];
  /** Host power changes; `prev*` is the row as read (`prevExists` false: no row). */
  health: WriteBatchInput['health'] & { prevExists: boolean[]; prevOffline: boolean[]; prevReason: Array<string | null> };
  events: EventRow[];
  at: string;
}

/**
 * Fast-path write: ONE statement in autocommit, so it commits atomically when it returns.
 * Claims the receipts and moves the last statuses and host power states only from the
 * values the read saw (compare-and-set); if any receipt already exists or any status or
 * host power state moved meanwhile (the offline sweep, a silent host back), ingest_assert
 * aborts the whole statement and nothing is written.
 */
export function writeBatchFast(w: WriteBatchFastInput): Query & { name: string } {
  return {
    name: 'ingest_write_batch_fast_v4',
    text: `WITH claimed AS (
             INSERT INTO ingest_frames (device_address, serial, time_label, received_at)
             SELECT * FROM unnest($2::bigint[], $3::int[], $4::text[], $5::timestamptz[])
             ON CONFLICT DO NOTHING
             RETURNING 1
           ), k AS (
             SELECT * FROM unnest($6::bigint[], $7::smallint[], $8::smallint[], $9::smallint[], $10::bigint[], $11::int[], $12::int[])
               AS k(device_address, adu_type, system_type, system_address, component_address, status, prev)
           ), lu AS (
             -- Each key is found by a primary-key probe and updated by its row address (a TID
             -- join): a generic plan of a plain UPDATE … FROM k hash-joined k to a scan of the
             -- whole table, whose cost grows with the fleet.
             UPDATE ingest_last_status s SET status = m.status, updated_at = $1::timestamptz
               FROM (SELECT k.status, k.prev, x.ctid AS row
                       FROM k CROSS JOIN LATERAL (
                         SELECT s.ctid FROM ingest_last_status s
                          WHERE s.device_address = k.device_address AND s.adu_type = k.adu_type
                            AND s.system_type = k.system_type AND s.system_address = k.system_address
                            AND s.component_address = k.component_address LIMIT 1) x
                      WHERE k.prev IS NOT NULL) m
              WHERE s.ctid = m.row AND s.status = m.prev
             RETURNING 1
           ), li AS (
             INSERT INTO ingest_last_status (device_address, adu_type, system_type, system_address, component_address, status, updated_at)
             SELECT k.device_address, k.adu_type, k.system_type, k.system_address, k.component_address, k.status, $1::timestamptz
               FROM k WHERE k.prev IS NULL
              ORDER BY 1, 2, 3, 4, 5
             ON CONFLICT DO NOTHING
             RETURNING 1
           ), ps AS (
             ${pointStatesUpdateSql(13)}
           ), ss AS (
             -- Found by unique-key probe, updated by row address (as lu).
             UPDATE facility_systems s SET status = m.status, status_at = $1::timestamptz
               FROM (SELECT k.status, x.ctid AS row
                       FROM unnest($17::bigint[], $18::smallint[], $19::smallint[], $20::int[]) AS k(device_id, system_type, system_address, status)
                       CROSS JOIN LATERAL (
                         SELECT s.ctid FROM facility_systems s
                          WHERE s.device_id = k.device_id AND s.system_type = k.system_type AND s.system_address = k.system_address LIMIT 1) x) m
              WHERE s.ctid = m.row
           ), hk AS (
             SELECT * FROM unnest($21::bigint[], $22::boolean[], $23::text[], $24::boolean[], $25::boolean[], $26::boolean[], $27::text[])
               AS k(device_address, host_offline, offline_reason, power_lost, prev_exists, prev_offline, prev_reason)
           ), hu AS (
             UPDATE ingest_device_health h
                SET host_offline = m.host_offline, offline_reason = m.offline_reason, power_lost = m.power_lost, changed_at = $1::timestamptz
               FROM (SELECT k.host_offline, k.offline_reason, k.power_lost, k.prev_offline, k.prev_reason, x.ctid AS row
                       FROM hk k CROSS JOIN LATERAL (
                         SELECT h.ctid FROM ingest_device_health h WHERE h.device_address = k.device_address LIMIT 1) x
                      WHERE k.prev_exists) m
              WHERE h.ctid = m.row AND h.host_offline = m.prev_offline AND h.offline_reason IS NOT DISTINCT FROM m.prev_reason
             RETURNING 1
           ), hi AS (
             INSERT INTO ingest_device_health (device_address, host_offline, offline_reason, power_lost, changed_at)
             SELECT k.device_address, k.host_offline, k.offline_reason, k.power_lost, $1::timestamptz
               FROM hk k WHERE NOT k.prev_exists ORDER BY 1
             ON CONFLICT DO NOTHING
             RETURNING 1
           ), ev AS (
             ${eventsInsertSql('$16')}
           )
           SELECT ingest_assert((SELECT count(*) FROM claimed) = cardinality($2::bigint[]),
                                'ingest: a frame of this batch was stored concurrently (receipt exists)')
              AND ingest_assert((SELECT count(*) FROM lu) + (SELECT count(*) FROM li) = cardinality($6::bigint[]),
                                'ingest: a last status of this batch changed since it was read')
              AND ingest_assert((SELECT count(*) FROM hu) + (SELECT count(*) FROM hi) = cardinality($21::bigint[]),
                                'ingest: a host power state of this batch changed since it was read') AS ok,
                  (SELECT coalesce(json_agg(json_build_array(id, dedupe_key)), '[]') FROM ev) AS events`,
    values: [
      w.at,
      w.frames.address, w.frames.serial, w.frames.timeLabel, w.frames.receivedAt,
      w.status.address, w.status.aduType, w.status.systemType, w.status.systemAddress, w.status.componentAddress, w.status.status, w.status.prev,
      w.pointStates.ids, w.pointStates.states, w.pointStates.inFault,
      JSON.stringify(w.events),
      w.systems.deviceId, w.systems.systemType, w.systems.systemAddress, w.systems.status,
      w.health.address, w.health.hostOffline, w.health.reason, w.health.powerLost, w.health.prevExists, w.health.prevOffline, w.health.prevReason,
    ],
  };
}

/**
 * One batch of retention: deletes up to `batch` rows of `table` received more than `days`
 * ago, oldest first (short transactions; the caller repeats until a batch comes back short).
 */
export function purgeOlderThan(table: 'ingest_frames' | 'raw_frames', days: number, batch: number): Query {
  // ingest_frames has no id: its rows are addressed by ctid inside the one statement.
  const key = table === 'raw_frames' ? 'id' : 'ctid';
  return {
    text: `DELETE FROM ${table} t USING (
             SELECT ${key} AS k FROM ${table} WHERE received_at < now() - $1 * interval '1 day' LIMIT $2
           ) old WHERE t.${key} = old.k`,
    values: [days, batch],
  };
}
