// Import SQL: one set-based upsert per layer over a JSON array of records ($1), keyed by
// external id (regions by adcode). Geometry arrives as GeoJSON in WGS84.
import type pg from 'pg';
import type { ImportLayer } from './map.ts';

export interface Sql {
  text: string;
  values: unknown[];
}

const GEOM = `ST_SetSRID(ST_GeomFromGeoJSON(r.geometry), 4326)`;
const POLY = `ST_Multi(ST_CollectionExtract(ST_MakeValid(${GEOM}), 3))`;

const UPSERTS: Record<ImportLayer, string> = {
  regions: `
    INSERT INTO regions (adcode, name, level, geom, label_point, source)
    SELECT r.adcode, r.name,
           CASE WHEN r.adcode % 10000 = 0 THEN 'province' WHEN r.adcode % 100 = 0 THEN 'city' ELSE 'district' END,
           ${POLY}, ST_PointOnSurface(${POLY}), 'import'
      FROM jsonb_to_recordset($1::jsonb) AS r(adcode int, name text, geometry jsonb)
    ON CONFLICT (adcode) DO UPDATE SET name = EXCLUDED.name, geom = EXCLUDED.geom, label_point = EXCLUDED.label_point,
      source = EXCLUDED.source, updated_at = now()
    RETURNING adcode AS id`,
  units: `
    INSERT INTO units (external_id, name, address, category, high_risk, has_control_room, control_room_phone,
                       onboarding_state, point, h3_r7, h3_r8, h3_r9)
    SELECT r.external_id, r.name, r.address, r.category, c.high_risk, r.has_control_room, r.control_room_phone,
           coalesce(r.onboarding_state, 'registered'), CASE WHEN r.geometry IS NULL THEN NULL ELSE ${GEOM} END,
           r.h3_r7, r.h3_r8, r.h3_r9
      FROM jsonb_to_recordset($1::jsonb) AS r(external_id text, name text, address text, category text,
           has_control_room boolean, control_room_phone text, onboarding_state text, geometry jsonb,
           h3_r7 text, h3_r8 text, h3_r9 text)
      JOIN unit_categories c ON c.code = r.category
    ON CONFLICT (external_id) DO UPDATE SET name = EXCLUDED.name, address = EXCLUDED.address,
      category = EXCLUDED.category, high_risk = EXCLUDED.high_risk, has_control_room = EXCLUDED.has_control_room,
      control_room_phone = EXCLUDED.control_room_phone,
      -- onboarding_state is set on insert only: the onboarding workflow owns it afterwards.
      point = EXCLUDED.point, h3_r7 = EXCLUDED.h3_r7, h3_r8 = EXCLUDED.h3_r8, h3_r9 = EXCLUDED.h3_r9,
      -- A moved unit is tied again (region, footprint).
      region_adcode = CASE WHEN ST_Equals(units.point, EXCLUDED.point) THEN units.region_adcode END,
      building_id = CASE WHEN ST_Equals(units.point, EXCLUDED.point) THEN units.building_id END,
      version = units.version + 1, updated_at = now()
    RETURNING id`,
  buildings: `
    INSERT INTO buildings (external_id, name, footprint, floors_above, floors_below, height_m)
    SELECT r.external_id, r.name, ${POLY}, r.floors_above, r.floors_below, r.height_m
      FROM jsonb_to_recordset($1::jsonb) AS r(external_id text, name text, geometry jsonb, floors_above int,
           floors_below int, height_m real)
    ON CONFLICT (external_id) DO UPDATE SET name = EXCLUDED.name, footprint = EXCLUDED.footprint,
      floors_above = EXCLUDED.floors_above, floors_below = EXCLUDED.floors_below, height_m = EXCLUDED.height_m,
      region_adcode = NULL, updated_at = now()
    RETURNING id`,
  stations: `
    INSERT INTO stations (external_id, name, class, point, phone)
    SELECT r.external_id, r.name, r.class,
           CASE WHEN r.geometry->>'type' = 'Point' THEN ${GEOM} ELSE ST_PointOnSurface(${GEOM}) END, r.phone
      FROM jsonb_to_recordset($1::jsonb) AS r(external_id text, name text, class text, phone text, geometry jsonb)
    ON CONFLICT (external_id) DO UPDATE SET name = EXCLUDED.name, class = EXCLUDED.class, point = EXCLUDED.point,
      phone = EXCLUDED.phone, region_adcode = NULL
    RETURNING id`,
  // Multi-part lines become one edge per part: external id "id#k" (k from 1).
  roads: `
    INSERT INTO roads (external_id, name, class, oneway, is_bridge, speed_kmh, length_m, geom)
    SELECT CASE WHEN d.n > 1 THEN r.external_id || '#' || d.k ELSE r.external_id END, r.name, r.class,
           CASE WHEN r.oneway = -1 THEN 1 ELSE r.oneway END, r.is_bridge, r.speed_kmh,
           ST_Length(d.geom::geography), d.geom
      FROM jsonb_to_recordset($1::jsonb) AS r(external_id text, name text, class text, oneway int, is_bridge boolean,
           speed_kmh real, geometry jsonb)
      CROSS JOIN LATERAL (
        -- A line one-way against its digitised direction (oneway = -1) is reversed so that
        -- source → target is always the allowed direction.
        SELECT (x).path[1] AS k, CASE WHEN r.oneway = -1 THEN ST_Reverse((x).geom) ELSE (x).geom END AS geom,
               ST_NumGeometries(${GEOM}) AS n
          FROM (SELECT ST_Dump(ST_Multi(${GEOM})) AS x) y) d
    ON CONFLICT (external_id) DO UPDATE SET name = EXCLUDED.name, class = EXCLUDED.class, oneway = EXCLUDED.oneway,
      is_bridge = EXCLUDED.is_bridge, speed_kmh = EXCLUDED.speed_kmh, length_m = EXCLUDED.length_m, geom = EXCLUDED.geom,
      source = NULL, target = NULL, cost_s = NULL, reverse_cost_s = NULL
    RETURNING id`,
  // Water sources: tied to their district on write; a moved or re-statused source updates in place.
  water_sources: `
    INSERT INTO water_sources (external_id, kind, name, status, status_changed_at, flow_lps, capacity_m3, address, point, region_adcode)
    SELECT r.external_id, r.kind, r.name, r.status, now(), r.flow_lps, r.capacity_m3, r.address, ${GEOM},
           (SELECT rg.adcode FROM regions rg WHERE rg.level = 'district' AND ST_Covers(rg.geom, ${GEOM}) ORDER BY rg.adcode LIMIT 1)
      FROM jsonb_to_recordset($1::jsonb) AS r(external_id text, kind text, name text, status text, flow_lps real,
           capacity_m3 real, address text, geometry jsonb)
    ON CONFLICT (external_id) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name, flow_lps = EXCLUDED.flow_lps,
      capacity_m3 = EXCLUDED.capacity_m3, address = EXCLUDED.address, point = EXCLUDED.point, region_adcode = EXCLUDED.region_adcode,
      status_changed_at = CASE WHEN water_sources.status = EXCLUDED.status THEN water_sources.status_changed_at ELSE now() END,
      status = EXCLUDED.status, updated_at = now()
    RETURNING id`,
  points: `
    WITH rec AS (
      SELECT r.*, u.id AS unit_id, d.id AS device_id
        FROM jsonb_to_recordset($1::jsonb) AS r(external_id text, unit_external_id text, system_type int,
             system_address int, component_type int, component_address bigint, floor int, label text, geometry jsonb)
        JOIN units u ON u.external_id = r.unit_external_id
        JOIN LATERAL (SELECT id FROM devices WHERE unit_id = u.id ORDER BY id LIMIT 1) d ON TRUE
    ), sys AS (
      INSERT INTO facility_systems (device_id, system_type, system_address)
      SELECT DISTINCT device_id, system_type, system_address FROM rec
      ON CONFLICT (device_id, system_type, system_address) DO UPDATE SET label = facility_systems.label
      RETURNING id, device_id, system_type, system_address
    )
    INSERT INTO points (external_id, unit_id, system_id, component_type, component_address, floor, position, label)
    SELECT r.external_id, r.unit_id, s.id, r.component_type, r.component_address, r.floor,
           CASE WHEN r.geometry IS NULL THEN NULL ELSE ${GEOM} END, r.label
      FROM rec r JOIN sys s USING (device_id, system_type, system_address)
    ON CONFLICT (external_id) DO UPDATE SET unit_id = EXCLUDED.unit_id, system_id = EXCLUDED.system_id,
      component_type = EXCLUDED.component_type, component_address = EXCLUDED.component_address,
      floor = EXCLUDED.floor, position = EXCLUDED.position, label = EXCLUDED.label
    RETURNING id`,
  landuse: `
    INSERT INTO land_use (external_id, class, name, geom)
    SELECT r.external_id, r.class, r.name, ${POLY}
      FROM jsonb_to_recordset($1::jsonb) AS r(external_id text, class text, name text, geometry jsonb)
    ON CONFLICT (external_id) DO UPDATE SET class = EXCLUDED.class, name = EXCLUDED.name, geom = EXCLUDED.geom
    RETURNING id`,
  water: `
    INSERT INTO water (external_id, class, name, geom)
    SELECT r.external_id, r.class, r.name, ${POLY}
      FROM jsonb_to_recordset($1::jsonb) AS r(external_id text, class text, name text, geometry jsonb)
    ON CONFLICT (external_id) DO UPDATE SET class = EXCLUDED.class, name = EXCLUDED.name, geom = EXCLUDED.geom
    RETURNING id`,
};

export function upsert(layer: ImportLayer, rows: unknown[]): Sql {
  return { text: UPSERTS[layer], values: [JSON.stringify(rows)] };
}

/** Units (by external id) that are missing or have no device to hang points on. */
export function missingPointUnits(unitExternalIds: string[]): Sql {
  return {
    text: `SELECT x AS external_id FROM unnest($1::text[]) AS x
            WHERE NOT EXISTS (SELECT 1 FROM units u JOIN devices d ON d.unit_id = u.id WHERE u.external_id = x)`,
    values: [[...new Set(unitExternalIds)]],
  };
}

export { clearRegionParts as clearParts } from '../tie/queries.ts';

/** Districts and cities hang under the city/province their code names, when present. */
export function regionParents(): Sql {
  return {
    text: `UPDATE regions r SET parent_adcode = p.adcode
             FROM regions p
            WHERE r.parent_adcode IS NULL AND r.level <> 'province'
              AND p.adcode = CASE WHEN r.level = 'district' THEN (r.adcode / 100) * 100 ELSE (r.adcode / 10000) * 10000 END`,
    values: [],
  };
}

/**
 * pgRouting topology for edges without one: endpoints snapped to 1e-7° (~1 cm) become
 * road_vertices (reused when a vertex is already there), then source/target and costs in
 * seconds; reverse_cost_s = -1 marks one-way edges. Edges are joined at their end points
 * only (OSM ways meeting mid-way are not split; see geodata/SOURCES.md).
 */
export async function buildRoadTopology(db: Pick<pg.PoolClient, 'query'>): Promise<void> {
  await db.query(`
    WITH ends AS (
      SELECT DISTINCT ST_SnapToGrid(p, 0.0000001) AS geom
        FROM roads r, LATERAL (VALUES (ST_StartPoint(r.geom)), (ST_EndPoint(r.geom))) AS e(p)
       WHERE r.source IS NULL OR r.target IS NULL
    ), fresh AS (
      SELECT e.geom FROM ends e
       WHERE NOT EXISTS (SELECT 1 FROM road_vertices v WHERE v.geom && ST_Expand(e.geom, 0.0000001)
                           AND ST_DWithin(v.geom, e.geom, 0.0000001))
    )
    INSERT INTO road_vertices (id, geom)
    SELECT (SELECT coalesce(max(id), 0) FROM road_vertices) + row_number() OVER (ORDER BY ST_X(geom), ST_Y(geom)), geom
      FROM fresh`);
  await db.query(`
    UPDATE roads r SET
      source = (SELECT v.id FROM road_vertices v ORDER BY v.geom <-> ST_StartPoint(r.geom) LIMIT 1),
      target = (SELECT v.id FROM road_vertices v ORDER BY v.geom <-> ST_EndPoint(r.geom) LIMIT 1),
      length_m = coalesce(r.length_m, ST_Length(r.geom::geography))
     WHERE r.source IS NULL OR r.target IS NULL`);
  await db.query(`
    UPDATE roads SET cost_s = length_m / (coalesce(speed_kmh, 30) / 3.6),
                     reverse_cost_s = CASE WHEN oneway <> 0 THEN -1 ELSE length_m / (coalesce(speed_kmh, 30) / 3.6) END
     WHERE cost_s IS NULL`);
}
