// SQL of the units API. Every function returns {text, values}; values are $n parameters and
// the jurisdiction predicate comes from scopePredicate (auth/scope.ts).
import type { Scope } from '../auth/scope.ts';
import { scopePredicate } from '../auth/scope.ts';
import type { Query } from '../db/pool.ts';
import type { UnitListQuery } from '@firelink/common';

const SUMMARY_COLUMNS = `
  u.id, u.external_id, u.name, u.address, u.category, u.high_risk, u.has_control_room, u.onboarding_state,
  u.under_construction, u.region_adcode, r.name AS region_name,
  CASE WHEN u.point IS NULL THEN NULL ELSE json_build_array(ST_X(u.point), ST_Y(u.point)) END AS lon_lat,
  u.h3_r9, u.drawings_due::text AS drawings_due, u.version, u.updated_at,
  (SELECT count(*) FILTER (WHERE d.online) FROM devices d WHERE d.unit_id = u.id)::int AS devices_online,
  (SELECT count(*) FROM devices d WHERE d.unit_id = u.id)::int AS devices_total,
  (SELECT count(*) FROM alarms a WHERE a.unit_id = u.id AND a.state <> 'closed')::int AS open_alarms`;

export function listUnits(scope: Scope, q: UnitListQuery): Query {
  const values: unknown[] = [];
  const where = [scopePredicate(scope, { region: 'u.region_adcode', unit: 'u.id' }, values)];
  if (q.region !== undefined) {
    values.push(q.region);
    const p = `$${values.length}`;
    // A city or province code covers its districts, as in the scope rule.
    where.push(`(u.region_adcode = ${p} OR (u.region_adcode / 100) * 100 = ${p} OR (u.region_adcode / 10000) * 10000 = ${p})`);
  }
  if (q.state?.length) {
    values.push(q.state);
    where.push(`u.onboarding_state = ANY($${values.length}::text[])`);
  }
  if (q.category) {
    values.push(q.category);
    where.push(`u.category = $${values.length}`);
  }
  if (q.underConstruction !== undefined) {
    values.push(q.underConstruction);
    where.push(`u.under_construction = $${values.length}`);
  }
  // With a search text the page is ranked (unit finder): exact name, name prefix, name
  // substring, then address or external id; ties in id order. Without one, id order.
  let rank = '0';
  if (q.q) {
    const escaped = q.q.replace(/[\\%_]/g, (m) => `\\${m}`);
    values.push(`%${escaped}%`, `${escaped}%`, q.q);
    const [any, prefix, exact] = [`$${values.length - 2}`, `$${values.length - 1}`, `$${values.length}`];
    where.push(`(u.name ILIKE ${any} OR u.address ILIKE ${any} OR u.external_id ILIKE ${any})`);
    rank = `CASE WHEN lower(u.name) = lower(${exact}) THEN 0 WHEN u.name ILIKE ${prefix} THEN 1 WHEN u.name ILIKE ${any} THEN 2 ELSE 3 END`;
  }
  if (q.bbox) {
    values.push(...q.bbox);
    const n = values.length;
    where.push(`u.point && ST_MakeEnvelope($${n - 3}, $${n - 2}, $${n - 1}, $${n}, 4326)`);
  }
  values.push(q.limit, q.offset);
  // Page first, then compute the per-row counts (devices, open alarms) for that page only;
  // ordered by id so paging through everything (the wall loads every unit) is stable.
  return {
    text: `WITH f AS (SELECT u.id, ${rank} AS rank FROM units u WHERE ${where.join(' AND ')}),
                page AS (SELECT id, rank FROM f ORDER BY rank, id LIMIT $${values.length - 1} OFFSET $${values.length})
           -- The count row stays even when the page is empty (u.id is then NULL).
           SELECT ${SUMMARY_COLUMNS}, t.total
           FROM (SELECT count(*) AS total FROM f) t
           LEFT JOIN (page JOIN units u ON u.id = page.id LEFT JOIN regions r ON r.adcode = u.region_adcode) ON true
           ORDER BY page.rank, u.id`,
    values,
  };
}

/**
 * GET /api/units/positions: every located unit in the scope as ONE row of packed columns,
 * each in id order and big-endian (PostgreSQL's send functions): n, ids (int8 each),
 * lonlat (float4 lon, float4 lat), regions (int4, 0 = none), sf (byte state, byte flags).
 * Aggregating server-side is ~4× faster than 100,000 result rows through node-pg.
 * State and flags follow common/src/unit-positions.ts; state uses the frontend's rule
 * (fire > unopened > offline > fault > normal) over the unit's open alarms and devices.
 */
export function unitPositions(scope: Scope): Query {
  const values: unknown[] = [];
  const pred = scopePredicate(scope, { region: 'u.region_adcode', unit: 'u.id' }, values);
  // Devices and open alarms are aggregated per unit in derived tables and hash-joined (not
  // CTEs, whose joins the planner misestimated by 1000×, which turned on JIT: +250 ms). The
  // sorted subquery feeds one plain aggregate: every column sees the rows in the same order,
  // so the columns stay aligned (sorted once, not once per column).
  return {
    text: `SELECT count(*)::int AS n,
             COALESCE(string_agg(int8send(x.id), ''::bytea), ''::bytea) AS ids,
             COALESCE(string_agg(float4send(x.lon) || float4send(x.lat), ''::bytea), ''::bytea) AS lonlat,
             COALESCE(string_agg(int4send(x.region), ''::bytea), ''::bytea) AS regions,
             COALESCE(string_agg(int2send(x.sf::int2), ''::bytea), ''::bytea) AS sf
           FROM (
             SELECT y.id, y.lon, y.lat, y.region,
                    (CASE WHEN y.fire THEN 2 WHEN NOT y.open THEN 4 WHEN y.host_offline OR NOT y.online THEN 3 WHEN y.fault THEN 1 ELSE 0 END) * 256
                    + (CASE WHEN y.open THEN 1 ELSE 0 END) + (CASE WHEN y.online THEN 2 ELSE 0 END) + (CASE WHEN y.has_control_room THEN 4 ELSE 0 END)
                    + (CASE WHEN y.high_risk THEN 8 ELSE 0 END) + (CASE WHEN y.under_construction THEN 16 ELSE 0 END) AS sf
             FROM (
               SELECT u.id, ST_X(u.point)::float4 AS lon, ST_Y(u.point)::float4 AS lat, COALESCE(u.region_adcode, 0) AS region,
                      u.onboarding_state = 'open' AS open, u.has_control_room, u.high_risk, u.under_construction,
                      CASE WHEN d.unit_id IS NULL THEN u.onboarding_state = 'open' ELSE d.any_online END AS online,
                      COALESCE(a.fire, false) AS fire, COALESCE(a.host_offline, false) AS host_offline, COALESCE(a.fault, false) AS fault
               FROM units u
               LEFT JOIN (SELECT unit_id, bool_or(online) AS any_online FROM devices WHERE unit_id IS NOT NULL GROUP BY unit_id) d ON d.unit_id = u.id
               LEFT JOIN (SELECT unit_id, bool_or(kind = 'fire') AS fire, bool_or(kind = 'host_offline') AS host_offline,
                                 bool_or(kind IN ('fault', 'off_duty')) AS fault
                          FROM alarms WHERE state <> 'closed' AND unit_id IS NOT NULL GROUP BY unit_id) a ON a.unit_id = u.id
               WHERE u.point IS NOT NULL AND ${pred}
               ORDER BY u.id
             ) y
           ) x`,
    values,
  };
}

/** One unit within the scope, with its detail columns; `forUpdate` locks the row. */
export function getUnit(scope: Scope, id: number, forUpdate = false): Query {
  const values: unknown[] = [id];
  const pred = scopePredicate(scope, { region: 'u.region_adcode', unit: 'u.id' }, values);
  return {
    text: `SELECT ${SUMMARY_COLUMNS},
             u.control_room_phone, u.contacts, u.maintenance_agency_id, u.building_id,
             u.verified_detection_points, u.verified_linkage_points, u.point_total_note,
             u.opened_at, u.construction_accepted_at,
             ma.name AS agency_name, ma.phone AS agency_phone
           FROM units u
           LEFT JOIN regions r ON r.adcode = u.region_adcode
           LEFT JOIN maintenance_agencies ma ON ma.id = u.maintenance_agency_id
           WHERE u.id = $1 AND ${pred}${forUpdate ? ' FOR NO KEY UPDATE OF u' : ''}`,
    values,
  };
}

export function getBuilding(buildingId: number): Query {
  return {
    text: `SELECT id, name, floors_above, floors_below, height_m, ST_AsGeoJSON(footprint, 7)::json AS footprint,
             ST_XMin(footprint) AS min_lon, ST_YMin(footprint) AS min_lat
           FROM buildings WHERE id = $1`,
    values: [buildingId],
  };
}

export function unitPoints(unitId: number): Query {
  return {
    text: `SELECT p.id, fs.system_type, fs.system_address, p.component_type, p.component_address, p.floor, p.label,
             p.state, p.in_fault, p.position_local_x, p.position_local_y,
             CASE WHEN p.position IS NULL THEN NULL ELSE json_build_array(ST_X(p.position), ST_Y(p.position)) END AS lon_lat
           FROM points p LEFT JOIN facility_systems fs ON fs.id = p.system_id
           WHERE p.unit_id = $1
           ORDER BY p.floor NULLS LAST, fs.system_type, p.component_address`,
    values: [unitId],
  };
}

export function floorPlans(buildingId: number): Query {
  return {
    text: `SELECT floor, transform, width_px, height_px, image IS NOT NULL AS has_image FROM floor_plans WHERE building_id = $1 ORDER BY floor`,
    values: [buildingId],
  };
}

export function unitDevices(unitId: number): Query {
  return {
    text: `SELECT id, address, protocol, model, online, last_seen_at FROM devices WHERE unit_id = $1 ORDER BY id`,
    values: [unitId],
  };
}

export function recentEvents(unitId: number, limit: number): Query {
  return {
    text: `SELECT id, kind, point_id, description, received_at FROM events WHERE unit_id = $1 ORDER BY received_at DESC, id DESC LIMIT $2`,
    values: [unitId, limit],
  };
}

/** The unit's disabled (屏蔽) facts over the last `days` days (disabled_unit_facts, migration 1300). */
export function disabledFacts(unitId: number, days: number): Query {
  return {
    text: `SELECT * FROM disabled_unit_facts(now() - make_interval(days => $2), now()) WHERE unit_id = $1`,
    values: [unitId, days],
  };
}

/** What of the unit is disabled now, longest first: points (with their label) and whole systems. */
export function disabledTargets(unitId: number, limit: number): Query {
  return {
    text: `SELECT s.point_id, p.label, s.system_type, s.system_address, s.component_address, s.since
             FROM disabled_spells s LEFT JOIN points p ON p.id = s.point_id
            WHERE s.unit_id = $1 AND s.until IS NULL
            ORDER BY s.since, s.id LIMIT $2`,
    values: [unitId, limit],
  };
}

export function passingAcceptance(unitId: number): Query {
  return { text: `SELECT EXISTS (SELECT 1 FROM acceptance_checks WHERE unit_id = $1 AND result = 'pass') AS passed`, values: [unitId] };
}

export function categories(): Query {
  return { text: `SELECT code, name_zh, name_en, high_risk FROM unit_categories ORDER BY code` };
}

export function categoryHighRisk(code: string): Query {
  return { text: `SELECT high_risk FROM unit_categories WHERE code = $1`, values: [code] };
}

/** Columns a create/update may write, in the database's names. */
export interface UnitRow {
  external_id: string | null;
  name: string;
  address: string | null;
  category: string;
  high_risk: boolean;
  has_control_room: boolean;
  control_room_phone: string | null;
  under_construction: boolean;
  lon: number | null;
  lat: number | null;
  building_id: number | null;
  region_adcode: number | null;
  h3_r7: string | null;
  h3_r8: string | null;
  h3_r9: string | null;
  contacts: unknown;
  maintenance_agency_id: number | null;
  verified_detection_points: number | null;
  verified_linkage_points: number | null;
  point_total_note: string | null;
  drawings_due: string | null;
}

const ROW_COLS: Array<keyof UnitRow> = [
  'external_id', 'name', 'address', 'category', 'high_risk', 'has_control_room', 'control_room_phone', 'under_construction',
  'building_id', 'region_adcode', 'h3_r7', 'h3_r8', 'h3_r9', 'contacts', 'maintenance_agency_id',
  'verified_detection_points', 'verified_linkage_points', 'point_total_note', 'drawings_due',
];

function rowValues(r: UnitRow): unknown[] {
  return ROW_COLS.map((c) => (c === 'contacts' ? JSON.stringify(r[c]) : r[c]));
}

export function insertUnit(r: UnitRow): Query {
  const values = [...rowValues(r), r.lon, r.lat];
  const n = ROW_COLS.length;
  return {
    text: `INSERT INTO units (${ROW_COLS.join(', ')}, point)
           VALUES (${ROW_COLS.map((_, i) => `$${i + 1}`).join(', ')},
                   CASE WHEN $${n + 1}::float8 IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint($${n + 1}, $${n + 2}), 4326) END)
           RETURNING id`,
    values,
  };
}

export function updateUnit(id: number, version: number, r: UnitRow): Query {
  const values = [...rowValues(r), r.lon, r.lat, id, version];
  const n = ROW_COLS.length;
  return {
    text: `UPDATE units SET ${ROW_COLS.map((c, i) => `${c} = $${i + 1}`).join(', ')},
             point = CASE WHEN $${n + 1}::float8 IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint($${n + 1}, $${n + 2}), 4326) END,
             version = version + 1, updated_at = now()
           WHERE id = $${n + 3} AND version = $${n + 4}
           RETURNING id, version`,
    values,
  };
}

/**
 * The districts that hold units in the scope, with their city's name (two cities may each
 * have a 鼓楼区) and the number of units: the unit finder's district filter.
 */
export function unitDistricts(scope: Scope): Query {
  const values: unknown[] = [];
  const pred = scopePredicate(scope, { region: 'u.region_adcode', unit: 'u.id' }, values);
  return {
    text: `SELECT r.adcode, r.name, r.name_en, c.name AS city_name, count(*)::int AS units
           FROM units u JOIN regions r ON r.adcode = u.region_adcode
           LEFT JOIN regions c ON c.adcode = r.parent_adcode
           WHERE ${pred}
           GROUP BY r.adcode, r.name, r.name_en, c.name
           ORDER BY r.adcode`,
    values,
  };
}

/** Point classes and whether each point is placed, for the completeness rules and drawing progress. */
export function pointStats(unitId: number): Query {
  return {
    text: `SELECT fs.system_type, p.component_type, p.position IS NOT NULL AS placed
           FROM points p LEFT JOIN facility_systems fs ON fs.id = p.system_id WHERE p.unit_id = $1`,
    values: [unitId],
  };
}

/** The GB/T 26875 device addresses registered to a unit. */
export function uitdAddresses(unitId: number): Query {
  return { text: `SELECT address FROM devices WHERE unit_id = $1 AND protocol = 'gb26875'`, values: [unitId] };
}

/** A unit's place after tie-to-place. */
export function unitPlace(unitId: number): Query {
  return { text: 'SELECT region_adcode, building_id FROM units WHERE id = $1', values: [unitId] };
}

/** The maintenance agency a user works for (null when none). */
export function agencyOfUser(userId: number): Query {
  return { text: `SELECT maintenance_agency_id FROM users WHERE id = $1`, values: [userId] };
}
