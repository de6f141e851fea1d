// SQL of the station workspace: orders (dispatch rows with their alarm, unit and point),
// station states, the station's units, the familiarisation pack, visits, statistics.
import { STATION_UNIT_FLAG } from '@firelink/common';
import { scopePredicate, type Scope } from '../auth/scope.ts';
import type { Query } from '../db/pool.ts';

// ---- orders ----

const ORDER_COLUMNS = `d.id, d.alarm_id, d.station_id, s.name AS station_name, s.region_adcode AS station_region,
  d.at, d.acknowledged_at, d.turned_out_at, d.on_scene_at, d.returning_at, d.released_at, d.note,
  a.kind AS alarm_kind, a.region_adcode AS alarm_region,
  COALESCE(a.unit_id, NULL) AS unit_id, u.name AS unit_name, u.address AS unit_address, u.category AS unit_category,
  u.high_risk AS unit_high_risk, u.control_room_phone, u.contacts,
  p.floor, p.label AS point_label, p.component_type,
  ST_X(COALESCE(d.location, a.location, u.point)) AS lon, ST_Y(COALESCE(d.location, a.location, u.point)) AS lat`;
const ORDER_FROM = `dispatches d JOIN stations s ON s.id = d.station_id
  LEFT JOIN alarms a ON a.id = d.alarm_id LEFT JOIN units u ON u.id = a.unit_id LEFT JOIN points p ON p.id = a.point_id`;

/** Who sees an order: its station's account, or a jurisdiction holding its alarm or its station. */
export type OrderViewer = { kind: 'station'; stationId: number } | { kind: 'scope'; scope: Scope };

function viewerPredicate(v: OrderViewer, values: unknown[]): string {
  if (v.kind === 'station') {
    values.push(v.stationId);
    return `d.station_id = $${values.length}`;
  }
  const byAlarm = scopePredicate(v.scope, { region: 'COALESCE(a.region_adcode, s.region_adcode)', unit: 'a.unit_id' }, values);
  const byStation = scopePredicate(v.scope, { region: 's.region_adcode' }, values);
  return `(${byAlarm} OR ${byStation})`;
}

export function orderByIdQuery(id: number): Query {
  return { text: `SELECT ${ORDER_COLUMNS} FROM ${ORDER_FROM} WHERE d.id = $1`, values: [id] };
}

export function listOrdersQuery(v: OrderViewer, f: { open: boolean | null; limit: number }): Query {
  const values: unknown[] = [f.open, f.limit];
  const where = viewerPredicate(v, values);
  return {
    text: `SELECT ${ORDER_COLUMNS} FROM ${ORDER_FROM}
           WHERE ($1::boolean IS NULL OR (d.released_at IS NULL) = $1::boolean) AND ${where}
           ORDER BY d.at DESC, d.id DESC LIMIT $2`,
    values,
  };
}

/** The order's id if the viewer may see it (for refusals before any change). */
export function orderVisibleQuery(v: OrderViewer, id: number): Query {
  const values: unknown[] = [id];
  const where = viewerPredicate(v, values);
  return { text: `SELECT d.id, d.station_id FROM ${ORDER_FROM} WHERE d.id = $1 AND ${where}`, values };
}

// ---- stations ----

const STATION_COLUMNS = `s.id, s.name, s.class, s.status, s.status_changed_at, s.region_adcode, s.phone,
  ST_X(s.point) AS lon, ST_Y(s.point) AS lat,
  COALESCE((SELECT json_agg(json_build_object('id', d.id, 'alarm_id', d.alarm_id, 'at', d.at,
              'acknowledged_at', d.acknowledged_at, 'turned_out_at', d.turned_out_at, 'on_scene_at', d.on_scene_at,
              'returning_at', d.returning_at) ORDER BY d.at)
            FROM dispatches d WHERE d.station_id = s.id AND d.released_at IS NULL), '[]'::json) AS open`;

export function stationStateQuery(id: number): Query {
  return { text: `SELECT ${STATION_COLUMNS} FROM stations s WHERE s.id = $1`, values: [id] };
}

export function listStationStatesQuery(v: OrderViewer): Query {
  if (v.kind === 'station') return stationStateQuery(v.stationId);
  const values: unknown[] = [];
  const where = scopePredicate(v.scope, { region: 's.region_adcode' }, values);
  return { text: `SELECT ${STATION_COLUMNS} FROM stations s WHERE ${where} ORDER BY s.id`, values };
}

export function ownStationQuery(userId: number): Query {
  return { text: 'SELECT station_id FROM users WHERE id = $1', values: [userId] };
}

export function coverageQuery(stationId: number): Query {
  return { text: `SELECT ST_AsGeoJSON(geom, 6)::json AS geom FROM station_coverage WHERE station_id = $1`, values: [stationId] };
}

export function regionNamesQuery(scope: Scope): Query {
  const values: unknown[] = [];
  const where = scopePredicate(scope, { region: 'r.adcode' }, values);
  return { text: `SELECT r.adcode, r.name FROM regions r WHERE r.level = 'district' AND ${where} ORDER BY r.adcode`, values };
}

// ---- the station's units ----

/**
 * The station's matching units in one query and one row: the count, one page of the list
 * (the list's columns only) and the map's points as JSON columns of plain numbers. Each
 * unit's open alarms and last visit are looked up once (the filters, the order and the
 * flags read them from the matched set). A unit is due a familiarisation visit when none
 * was recorded in the last 12 months.
 */
export function stationUnitsQuery(
  scope: Scope,
  f: { q: string | null; category: string | null; minHeightM: number | null; highRisk: boolean | null; openAlarms: boolean | null; visitDue: boolean | null; limit: number; offset: number; pointsMax: number },
): Query {
  const values: unknown[] = [];
  const where = [scopePredicate(scope, { region: 'u.region_adcode', unit: 'u.id' }, values), `u.onboarding_state <> 'closed'`];
  if (f.q) {
    values.push(`%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    where.push(`(u.name ILIKE $${values.length} OR u.address ILIKE $${values.length})`);
  }
  if (f.category) {
    values.push(f.category);
    where.push(`u.category = $${values.length}`);
  }
  if (f.minHeightM != null) {
    values.push(f.minHeightM);
    where.push(`COALESCE(b.height_m, b.floors_above * 3.0) >= $${values.length}`);
  }
  if (f.highRisk != null) {
    values.push(f.highRisk);
    where.push(`u.high_risk = $${values.length}`);
  }
  // Open alarms per unit from the partial index of open alarms, once for all units (a
  // per-unit subquery ran 5,000 times); the last visit from the (unit, visited_at) index.
  const openAlarms = 'COALESCE(oa.n, 0)';
  const visitDue = `COALESCE(lv.at < now() - interval '12 months', true)`;
  if (f.openAlarms != null) where.push(f.openAlarms ? `${openAlarms} > 0` : `${openAlarms} = 0`);
  if (f.visitDue != null) where.push(`${f.visitDue ? '' : 'NOT '}${visitDue}`);
  values.push(f.limit, f.offset, f.pointsMax);
  const [limit, offset, pointsMax] = [values.length - 2, values.length - 1, values.length];
  // The points' four columns come from one aggregate over one ordered row source, so they line up.
  return {
    text: `WITH m AS MATERIALIZED (
             SELECT u.id, u.name, u.address, u.category, u.high_risk,
                    COALESCE(b.height_m, CASE WHEN b.id IS NULL THEN NULL ELSE b.floors_above * 3.0 END)::float8 AS height_m,
                    ${openAlarms} AS open_alarms, lv.at AS last_visit_at, ${visitDue} AS visit_due,
                    round(ST_X(u.point) * 100000) / 100000 AS lon, round(ST_Y(u.point) * 100000) / 100000 AS lat
             FROM units u LEFT JOIN buildings b ON b.id = u.building_id
                  LEFT JOIN (SELECT a.unit_id, count(*)::int AS n FROM alarms a WHERE a.state <> 'closed' AND a.unit_id IS NOT NULL GROUP BY a.unit_id) oa ON oa.unit_id = u.id
                  LEFT JOIN LATERAL (SELECT max(v.visited_at) AS at FROM unit_visits v WHERE v.unit_id = u.id) lv ON true
             WHERE ${where.join(' AND ')}
           )
           SELECT (SELECT count(*)::int FROM m) AS total,
                  (SELECT COALESCE(json_agg(p), '[]') FROM (
                     SELECT id, name, address, category, high_risk, height_m, open_alarms, last_visit_at, visit_due FROM m
                     ORDER BY open_alarms DESC, high_risk DESC, name, id LIMIT $${limit} OFFSET $${offset}) p) AS page,
                  (SELECT count(*)::int FROM m WHERE lon IS NOT NULL) AS located,
                  (SELECT json_build_object('ids', COALESCE(json_agg(id), '[]'), 'lon', COALESCE(json_agg(lon), '[]'), 'lat', COALESCE(json_agg(lat), '[]'),
                                            'flags', COALESCE(json_agg((CASE WHEN high_risk THEN ${STATION_UNIT_FLAG.highRisk} ELSE 0 END) | (CASE WHEN open_alarms > 0 THEN ${STATION_UNIT_FLAG.openAlarms} ELSE 0 END)
                                                                       | (CASE WHEN visit_due THEN ${STATION_UNIT_FLAG.visitDue} ELSE 0 END)), '[]'))
                     FROM (SELECT * FROM m WHERE lon IS NOT NULL ORDER BY id LIMIT $${pointsMax}) pts) AS points`,
    values,
  };
}

/** A unit's place for its pack; the caller has checked the unit is in its jurisdiction. */
export function unitPlaceQuery(unitId: number): Query {
  return {
    text: `SELECT u.id, u.name, u.address, u.category, u.high_risk, u.control_room_phone, u.contacts, u.region_adcode,
                  ST_X(u.point) AS lon, ST_Y(u.point) AS lat,
                  b.id AS building_id, b.name AS building_name, b.floors_above, b.floors_below, b.height_m
           FROM units u LEFT JOIN buildings b ON b.id = u.building_id WHERE u.id = $1`,
    values: [unitId],
  };
}

export function pointsByFloorQuery(unitId: number): Query {
  return {
    text: `SELECT p.floor, p.component_type, count(*)::int AS n FROM points p WHERE p.unit_id = $1
           GROUP BY p.floor, p.component_type ORDER BY p.floor NULLS LAST, p.component_type`,
    values: [unitId],
  };
}

export function systemsQuery(unitId: number): Query {
  return {
    text: `SELECT fs.system_type, count(*)::int AS n FROM facility_systems fs JOIN devices dv ON dv.id = fs.device_id
           WHERE dv.unit_id = $1 GROUP BY fs.system_type ORDER BY fs.system_type`,
    values: [unitId],
  };
}

export function keyPartsQuery(unitId: number): Query {
  return { text: `SELECT id, floor, name, hazard, plan_x_px, plan_y_px FROM unit_key_parts WHERE unit_id = $1 ORDER BY floor NULLS LAST, id`, values: [unitId] };
}

/** One key part of a unit, locked for a change, with the station of the account that recorded it (null: the supervision side, an administrator or a deleted account). */
export function keyPartQuery(unitId: number, partId: number): Query {
  return {
    text: `SELECT k.id, k.floor, k.name, k.hazard, k.plan_x_px, k.plan_y_px, (SELECT u.station_id FROM users u WHERE u.id = k.created_by) AS author_station_id
             FROM unit_key_parts k WHERE k.unit_id = $1 AND k.id = $2 FOR UPDATE OF k`,
    values: [unitId, partId],
  };
}

export function updateKeyPartQuery(partId: number, v: { floor: number | null; name: string; hazard: string; planPx: [number, number] | null }): Query {
  return {
    text: `UPDATE unit_key_parts SET floor = $2, name = $3, hazard = $4, plan_x_px = $5, plan_y_px = $6, updated_at = now()
           WHERE id = $1 RETURNING id, floor, name, hazard, plan_x_px, plan_y_px`,
    values: [partId, v.floor, v.name, v.hazard, v.planPx?.[0] ?? null, v.planPx?.[1] ?? null],
  };
}

export function deleteKeyPartQuery(unitId: number, partId: number): Query {
  return { text: `DELETE FROM unit_key_parts WHERE unit_id = $1 AND id = $2 RETURNING id, floor, name`, values: [unitId, partId] };
}

/** Plan sizes of the unit's building's floors that have an image. */
export function floorPlanSizesQuery(unitId: number): Query {
  return {
    text: `SELECT fp.floor, fp.width_px, fp.height_px FROM units u JOIN floor_plans fp ON fp.building_id = u.building_id
           WHERE u.id = $1 AND fp.image IS NOT NULL AND fp.width_px IS NOT NULL ORDER BY fp.floor`,
    values: [unitId],
  };
}

// ---- pack files: plans (预案) and visit photos ----

const FILE_COLUMNS = `f.id, f.kind, f.visit_id, f.title, f.file_name, f.mime_type, f.size_bytes, f.by_name, f.by_user, f.station_id, f.created_at`;

export function unitFilesQuery(unitId: number): Query {
  return { text: `SELECT ${FILE_COLUMNS} FROM unit_files f WHERE f.unit_id = $1 ORDER BY f.created_at DESC, f.id DESC`, values: [unitId] };
}

export function fileContentQuery(unitId: number, fileId: number): Query {
  return { text: `SELECT ${FILE_COLUMNS}, f.content FROM unit_files f WHERE f.unit_id = $1 AND f.id = $2`, values: [unitId, fileId] };
}

/** Files of the kind already kept for the unit (plans) or the visit (photos); locks the unit's row so that two uploads count in turn. */
/**
 * Serialises a unit's file writes (its row lock). Run it in its own statement before
 * countFilesQuery: a statement that waited on the lock still reads the snapshot it took
 * before the wait, and would not see the files its competitors just committed.
 */
export function lockUnitFilesQuery(unitId: number): Query {
  return { text: `SELECT 1 FROM units WHERE id = $1 FOR UPDATE`, values: [unitId] };
}

/** The unit's files of `kind` (of one visit for photos) and the bytes all its files use. */
export function countFilesQuery(unitId: number, kind: 'plan' | 'visit_photo', visitId: number | null): Query {
  return {
    text: `SELECT (SELECT count(*)::int FROM unit_files WHERE unit_id = $1 AND kind = $2 AND ($3::bigint IS NULL OR visit_id = $3)) AS n,
                  (SELECT COALESCE(sum(size_bytes), 0)::float8 FROM unit_files WHERE unit_id = $1) AS used_bytes`,
    values: [unitId, kind, visitId],
  };
}

export function insertFileQuery(v: {
  unitId: number; kind: 'plan' | 'visit_photo'; visitId: number | null; title: string; fileName: string; mime: string; content: Buffer;
  stationId: number | null; byUser: number | null; byName: string;
}): Query {
  return {
    text: `INSERT INTO unit_files (unit_id, kind, visit_id, title, file_name, mime_type, size_bytes, content, station_id, by_user, by_name)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
           RETURNING id, kind, visit_id, title, file_name, mime_type, size_bytes, by_name, by_user, station_id, created_at`,
    values: [v.unitId, v.kind, v.visitId, v.title, v.fileName, v.mime, v.content.length, v.content, v.stationId, v.byUser, v.byName],
  };
}

/** Bytes of plans and photos the unit keeps (its upload quota's use). */
export function unitFileBytesQuery(unitId: number): Query {
  return { text: `SELECT COALESCE(sum(size_bytes), 0)::float8 AS used_bytes FROM unit_files WHERE unit_id = $1`, values: [unitId] };
}

export function deleteFileQuery(unitId: number, fileId: number): Query {
  return { text: `DELETE FROM unit_files WHERE unit_id = $1 AND id = $2 RETURNING id, kind, title, file_name`, values: [unitId, fileId] };
}

export function visitOfUnitQuery(unitId: number, visitId: number): Query {
  return { text: `SELECT id, station_id, by_user FROM unit_visits WHERE unit_id = $1 AND id = $2`, values: [unitId, visitId] };
}

/** Holds the account's visit-rate lock to the end of the transaction: two requests count in turn. */
export function lockVisitRateQuery(userId: number): Query {
  return { text: `SELECT pg_advisory_xact_lock(hashtextextended('unit_visit_rate:' || $1::text, 0))`, values: [userId] };
}

/** Visits the account recorded within the last `windowS` seconds, and in how many seconds the oldest of them leaves the window. */
export function recentVisitsByUserQuery(userId: number, windowS: number): Query {
  return {
    text: `SELECT count(*)::int AS n, EXTRACT(EPOCH FROM min(created_at) + make_interval(secs => $2) - now())::float8 AS frees_in_s
           FROM unit_visits WHERE by_user = $1 AND created_at > now() - make_interval(secs => $2)`,
    values: [userId, windowS],
  };
}

export function visitsQuery(unitId: number): Query {
  return {
    text: `SELECT id, station_id, by_name, visited_at, note, visited_at >= now() - interval '12 months' AS recent
           FROM unit_visits WHERE unit_id = $1 ORDER BY visited_at DESC, id DESC LIMIT 50`,
    values: [unitId],
  };
}

export function insertVisitQuery(v: { unitId: number; stationId: number | null; byUser: number | null; byName: string; visitedAt: string | null; note: string }): Query {
  return {
    text: `INSERT INTO unit_visits (unit_id, station_id, by_user, by_name, visited_at, note)
           VALUES ($1, $2, $3, $4, COALESCE($5::timestamptz, now()), $6)
           RETURNING id, unit_id, station_id, by_name, visited_at, note`,
    values: [v.unitId, v.stationId, v.byUser, v.byName, v.visitedAt, v.note],
  };
}

export function insertKeyPartQuery(v: { unitId: number; floor: number | null; name: string; hazard: string; planPx: [number, number] | null; byUser: number | null }): Query {
  return {
    text: `INSERT INTO unit_key_parts (unit_id, floor, name, hazard, plan_x_px, plan_y_px, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)
           RETURNING id, unit_id, floor, name, hazard, plan_x_px, plan_y_px`,
    values: [v.unitId, v.floor, v.name, v.hazard, v.planPx?.[0] ?? null, v.planPx?.[1] ?? null, v.byUser],
  };
}

export function displayNameQuery(userId: number): Query {
  return { text: 'SELECT display_name FROM users WHERE id = $1', values: [userId] };
}

// ---- statistics ----

/**
 * Turnout (sent → turned out) and travel (turned out → on scene) seconds per station, oldest
 * first. A report that skips steps fills them with its own time (dispatch/progress.ts): a
 * step whose time equals the next step's was not reported on its own, so it counts in
 * neither figure (a jump straight to 'available' would read as 0 s of travel).
 */
export function stationTimesQuery(v: OrderViewer, days: number): Query {
  const values: unknown[] = [days];
  const where = v.kind === 'station' ? ((values.push(v.stationId), `s.id = $${values.length}`)) : scopePredicate(v.scope, { region: 's.region_adcode' }, values);
  return {
    text: `SELECT s.id, s.name, count(d.id)::int AS dispatches,
                  COALESCE(array_agg(EXTRACT(EPOCH FROM d.turned_out_at - d.at)::float8 ORDER BY d.at) FILTER (WHERE d.turned_out_at IS NOT NULL AND (d.on_scene_at IS NULL OR d.on_scene_at > d.turned_out_at)), '{}') AS turnout,
                  COALESCE(array_agg(EXTRACT(EPOCH FROM d.on_scene_at - d.turned_out_at)::float8 ORDER BY d.at)
                    FILTER (WHERE d.on_scene_at > d.turned_out_at AND (d.returning_at IS NULL OR d.returning_at > d.on_scene_at)), '{}') AS travel
           FROM stations s LEFT JOIN dispatches d ON d.station_id = s.id AND d.at >= now() - make_interval(days => $1)
           WHERE ${where}
           GROUP BY s.id, s.name ORDER BY s.id`,
    values,
  };
}
