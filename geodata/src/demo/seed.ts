// Loads the synthetic demo city into PostGIS: regions, water, roads with their pgRouting
// topology, buildings, units (each with a UITD, facility systems and points), stations.
// Rows go in as a few large set-based statements (JSON arrays expanded by PostgreSQL, and
// points generated in SQL), so the full demo loads in well under a minute.
import type pg from 'pg';
import { loadRegions, readShippedDistricts } from '../regions/load.ts';
import { h3Cells, tieToPlace } from '../tie/index.ts';
import { bumpGeodataVersion } from '../tie/queries.ts';
import { FULL_DEMO, generateDemoCity, type DemoCity, type DemoOptions, type DistrictGeometry } from './generate.ts';
import { seedDemoWaterSources } from '../water/hydrants.ts';

export interface SeedReport {
  regions: number;
  buildings: number;
  units: number;
  devices: number;
  points: number;
  stations: number;
  roads: number;
  vertices: number;
  untied: number;
  seconds: number;
}

type Pool = pg.Pool;
type Client = pg.PoolClient;

function shippedDistricts(): DistrictGeometry[] {
  return readShippedDistricts().features.map((f) => ({
    adcode: f.properties.adcode,
    geometry: f.geometry as DistrictGeometry['geometry'],
  }));
}

async function insertCity(c: Client, city: DemoCity, stage: (what: string) => void): Promise<void> {
  await c.query(
    `INSERT INTO water (external_id, class, name, geom, synthetic)
     SELECT w.external_id, w.class, w.name, ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(w.geometry), 4326)), true
       FROM jsonb_to_recordset($1::jsonb) AS w(external_id text, class text, name text, geometry jsonb)
     ON CONFLICT (external_id) DO NOTHING`,
    [JSON.stringify(city.water.map((w) => ({ external_id: w.externalId, class: w.class, name: w.name, geometry: w.geometry })))],
  );
  if (city.roads.length > 0) {
    await c.query(
      `INSERT INTO road_vertices (id, geom)
       SELECT v.id, ST_SetSRID(ST_MakePoint(v.lon, v.lat), 4326)
         FROM jsonb_to_recordset($1::jsonb) AS v(id bigint, lon float8, lat float8)
       ON CONFLICT (id) DO NOTHING`,
      [JSON.stringify(city.vertices.map((v) => ({ id: v.id, lon: v.lonLatWgs84[0], lat: v.lonLatWgs84[1] })))],
    );
    // cost_s = length / speed; a one-way edge's reverse cost is -1 (pgRouting: not traversable).
    await c.query(
      `INSERT INTO roads (external_id, name, class, oneway, is_bridge, speed_kmh, length_m, source, target,
                          cost_s, reverse_cost_s, geom, synthetic)
       SELECT r.external_id, r.name, r.class, r.oneway, r.is_bridge, r.speed_kmh, r.length_m, r.source, r.target,
              r.length_m / (r.speed_kmh / 3.6),
              CASE WHEN r.oneway = 1 THEN -1 ELSE r.length_m / (r.speed_kmh / 3.6) END,
              ST_SetSRID(ST_MakeLine(ST_MakePoint(r.x1, r.y1), ST_MakePoint(r.x2, r.y2)), 4326), true
         FROM jsonb_to_recordset($1::jsonb) AS r(external_id text, name text, class text, oneway smallint,
              is_bridge boolean, speed_kmh float8, length_m float8, source bigint, target bigint,
              x1 float8, y1 float8, x2 float8, y2 float8)
       ON CONFLICT (external_id) DO NOTHING`,
      [
        JSON.stringify(
          city.roads.map((r) => ({
            external_id: r.externalId, name: r.name, class: r.class, oneway: r.oneway, is_bridge: r.isBridge,
            speed_kmh: r.speedKmh, length_m: Math.round(r.lengthM * 10) / 10, source: r.source, target: r.target,
            x1: r.line[0]![0], y1: r.line[0]![1], x2: r.line[1]![0], y2: r.line[1]![1],
          })),
        ),
      ],
    );
  }
  await c.query(
    `INSERT INTO buildings (external_id, name, footprint, floors_above, floors_below, height_m, synthetic)
     SELECT b.external_id, b.name, ST_Multi(ST_SetSRID(ST_MakePolygon(ST_GeomFromGeoJSON(
              json_build_object('type', 'LineString', 'coordinates', b.ring)::text)), 4326)),
            b.floors_above, b.floors_below, b.height_m, true
       FROM jsonb_to_recordset($1::jsonb) AS b(external_id text, name text, ring jsonb, floors_above int,
            floors_below int, height_m real)
     ON CONFLICT (external_id) DO NOTHING`,
    [
      JSON.stringify(
        city.buildings.map((b) => ({
          external_id: b.externalId, name: b.name, ring: b.ring, floors_above: b.floorsAbove,
          floors_below: b.floorsBelow, height_m: b.heightM,
        })),
      ),
    ],
  );
  const unitsJson = JSON.stringify(
    city.units.map((u) => {
      const h3 = h3Cells(u.lonLatWgs84);
      return {
        external_id: u.externalId, name: u.name, address: u.address, category: u.category,
        has_control_room: u.hasControlRoom, control_room_phone: u.controlRoomPhone, onboarding_state: u.onboardingState,
        lon: u.lonLatWgs84[0], lat: u.lonLatWgs84[1], building: u.buildingExternalId, h3_r7: h3.r7, h3_r8: h3.r8,
        h3_r9: h3.r9, contacts: u.contacts, opened_at: u.openedAt, address_uitd: u.deviceAddress, n: u.pointCount,
      };
    }),
  );
  await c.query(
    `INSERT INTO units (external_id, name, address, category, high_risk, has_control_room, control_room_phone,
                        onboarding_state, point, building_id, h3_r7, h3_r8, h3_r9, contacts, opened_at, synthetic,
                        point_total_note)
     SELECT u.external_id, u.name, u.address, u.category, cat.high_risk, u.has_control_room, u.control_room_phone,
            u.onboarding_state, ST_SetSRID(ST_MakePoint(u.lon, u.lat), 4326), b.id, u.h3_r7, u.h3_r8, u.h3_r9,
            u.contacts, u.opened_at, true, '模拟数据 / synthetic demo data'
       FROM jsonb_to_recordset($1::jsonb) AS u(external_id text, name text, address text, category text,
            has_control_room boolean, control_room_phone text, onboarding_state text, lon float8, lat float8,
            building text, h3_r7 text, h3_r8 text, h3_r9 text, contacts jsonb, opened_at timestamptz)
       JOIN unit_categories cat ON cat.code = u.category
       LEFT JOIN buildings b ON b.external_id = u.building
     ON CONFLICT (external_id) DO NOTHING`,
    [unitsJson],
  );
  stage('inserted water, roads, buildings, units');
  await c.query(
    `INSERT INTO devices (unit_id, address, protocol, model)
     SELECT un.id, u.address_uitd, 'gb26875', 'UITD-模拟'
       FROM jsonb_to_recordset($1::jsonb) AS u(external_id text, address_uitd bigint)
       JOIN units un ON un.external_id = u.external_id
     ON CONFLICT (protocol, address) DO NOTHING`,
    [unitsJson],
  );
  // One fire alarm controller per UITD (system type 1, address 1); a second panel above
  // 1,500 points, which is also where loop addressing wraps.
  await c.query(
    `INSERT INTO facility_systems (device_id, system_type, system_address, label)
     SELECT d.id, 1, s.addr, format('火灾报警控制器 %s 号（模拟）', s.addr)
       FROM jsonb_to_recordset($1::jsonb) AS u(external_id text, n int)
       JOIN units un ON un.external_id = u.external_id
       JOIN devices d ON d.unit_id = un.id
       CROSS JOIN LATERAL generate_series(1, CASE WHEN u.n > 1500 THEN 2 ELSE 1 END) AS s(addr)
     ON CONFLICT DO NOTHING`,
    [unitsJson],
  );
  // Points: positions by ST_GeneratePoints seeded with the unit id (deterministic),
  // spread round-robin over the floors; every 20th a manual call point, every 20th (+10)
  // a hydrant button, every 10th (+3) a heat detector, every 50th (+7) a gas detector.
  await c.query(
    `INSERT INTO points (unit_id, system_id, component_type, component_address, floor, position,
                         position_local_x, position_local_y, label)
     SELECT un.id, fs.id,
            CASE WHEN g.k % 20 = 0 THEN 23 WHEN g.k % 20 = 10 THEN 24 WHEN g.k % 10 = 3 THEN 31
                 WHEN g.k % 50 = 7 THEN 11 ELSE 42 END,
            (((g.k - 1) % 1500) / 200 + 1) * 65536 + ((g.k - 1) % 1500) % 200 + 1,
            fl.floor, g.geom,
            ((ST_X(g.geom) - ST_XMin(b.footprint)) * 111320 * cos(radians(ST_Y(g.geom))))::real,
            ((ST_Y(g.geom) - ST_YMin(b.footprint)) * 110900)::real,
            format('%s %s回路 %s 号', CASE WHEN fl.floor < 0 THEN 'B' || -fl.floor ELSE fl.floor || 'F' END,
                   ((g.k - 1) % 1500) / 200 + 1, ((g.k - 1) % 1500) % 200 + 1)
       FROM jsonb_to_recordset($1::jsonb) AS u(external_id text, n int)
       JOIN units un ON un.external_id = u.external_id
       JOIN buildings b ON b.id = un.building_id
       JOIN devices d ON d.unit_id = un.id
       CROSS JOIN LATERAL (SELECT (dp).path[1] AS k, (dp).geom AS geom
                             FROM (SELECT ST_Dump(ST_GeneratePoints(b.footprint, u.n, un.id::int)) AS dp) x) g
       JOIN facility_systems fs ON fs.device_id = d.id AND fs.system_type = 1
                               AND fs.system_address = CASE WHEN g.k > 1500 THEN 2 ELSE 1 END
       CROSS JOIN LATERAL (
         SELECT CASE WHEN (g.k - 1) % (b.floors_above + b.floors_below) < b.floors_above
                     THEN (g.k - 1) % (b.floors_above + b.floors_below) + 1
                     ELSE -((g.k - 1) % (b.floors_above + b.floors_below) - b.floors_above + 1) END::smallint AS floor
       ) fl
     ON CONFLICT DO NOTHING`,
    [unitsJson],
  );
  stage('inserted devices, systems, points');
  await c.query(
    `UPDATE units un SET verified_detection_points = p.detection, verified_linkage_points = p.linkage,
            maintenance_agency_id = NULL
       FROM (SELECT unit_id, count(*) FILTER (WHERE component_type IN (11, 31, 42))::int AS detection,
                    count(*) FILTER (WHERE component_type IN (23, 24))::int AS linkage
               FROM points GROUP BY unit_id) p
      WHERE p.unit_id = un.id AND un.synthetic AND un.onboarding_state IN ('verified', 'reviewed', 'open')
        AND un.verified_detection_points IS NULL`,
  );
  await c.query(
    `INSERT INTO stations (external_id, name, class, point, apparatus, phone, synthetic)
     SELECT s.external_id, s.name, s.class, ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326), s.apparatus, s.phone, true
       FROM jsonb_to_recordset($1::jsonb) AS s(external_id text, name text, class text, lon float8, lat float8,
            apparatus jsonb, phone text)
     ON CONFLICT (external_id) DO NOTHING`,
    [
      JSON.stringify(
        city.stations.map((s) => ({
          external_id: s.externalId, name: s.name, class: s.class, lon: s.lonLatWgs84[0], lat: s.lonLatWgs84[1],
          apparatus: s.apparatus, phone: s.phone,
        })),
      ),
    ],
  );
}

async function counts(c: Client): Promise<Omit<SeedReport, 'untied' | 'seconds'>> {
  const r = await c.query(
    `SELECT (SELECT count(*) FROM regions)::int AS regions, (SELECT count(*) FROM buildings)::int AS buildings,
            (SELECT count(*) FROM units)::int AS units, (SELECT count(*) FROM devices)::int AS devices,
            (SELECT count(*) FROM points)::int AS points, (SELECT count(*) FROM stations)::int AS stations,
            (SELECT count(*) FROM roads)::int AS roads, (SELECT count(*) FROM road_vertices)::int AS vertices`,
  );
  return r.rows[0];
}

/**
 * Seeds the demo city in one transaction. Idempotent at the row level (external ids), but
 * meant for an empty database: `seedDemoIfEmpty` is what `npm start` calls.
 */
export async function seedDemo(
  pool: Pool,
  options: Partial<DemoOptions> = {},
  log: (m: string) => void = () => {},
): Promise<SeedReport> {
  const t0 = performance.now();
  let tPrev = t0;
  const stage = (what: string) => {
    const now = performance.now();
    log(`demo seed: ${what} in ${((now - tPrev) / 1000).toFixed(1)} s`);
    tPrev = now;
  };
  const opts = { ...FULL_DEMO, ...options };
  const city = generateDemoCity(shippedDistricts(), opts);
  stage('generated the city');
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    const regions = await loadRegions(c);
    stage('loaded regions');
    await insertCity(c, city, stage);
    const untied = await tieToPlace(c);
    stage('tied to place');
    await seedDemoWaterSources(c);
    stage('placed water sources');
    await c.query(bumpGeodataVersion());
    await c.query('COMMIT');
    const n = await counts(c);
    return { ...n, regions: n.regions || regions, untied: untied.length, seconds: (performance.now() - t0) / 1000 };
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    c.release();
  }
}

/** Seeds the full demo only when `regions` is empty; returns null when it did nothing. */
export async function seedDemoIfEmpty(
  pool: Pool,
  options: Partial<DemoOptions> = {},
  log?: (m: string) => void,
): Promise<SeedReport | null> {
  const r = await pool.query('SELECT count(*)::int AS n FROM regions');
  if (r.rows[0].n > 0) return null;
  return seedDemo(pool, options, log);
}

/**
 * A small, fast, deterministic subset for other features' tests: all regions, the Nanjing
 * road network (unless `roads: false`), `units` Nanjing units with up to `maxPointsPerUnit`
 * points each, stations, no filler buildings, no other cities. A couple of seconds.
 */
export async function seedDemoSubset(
  pool: Pool,
  opts: { units?: number; roads?: boolean; maxPointsPerUnit?: number; unitsPerOtherCity?: number; seed?: number } = {},
): Promise<SeedReport> {
  return seedDemo(pool, {
    nanjingUnits: opts.units ?? 50,
    unitsPerOtherCity: opts.unitsPerOtherCity ?? 0,
    maxPointsPerUnit: opts.maxPointsPerUnit ?? 60,
    roads: opts.roads ?? true,
    fillerBuildingShare: 0,
    ...(opts.seed != null ? { seed: opts.seed } : {}),
  });
}
