import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import JSZip from 'jszip';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { wgs84ToBd09, wgs84ToGcj02 } from '../crs/index.ts';
import { loadRegions } from '../regions/load.ts';
import { importFile, type ImportReport } from './import.ts';
import { writeShapefile } from './testing/shapefile-writer.ts';
import { writeXlsx } from './xlsx.ts';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = (name: string) => join(here, 'fixtures', name);
const SHARED = join(here, '..', '..', '..', '..', 'shared', 'geodata');

// Expected outputs live in fixtures/expected; FIRELINK_UPDATE_FIXTURES=1 rewrites them on purpose.
function expectFixture(name: string, actual: unknown): void {
  const file = fixture(join('expected', name));
  if (process.env.FIRELINK_UPDATE_FIXTURES === '1' || !existsSync(file)) {
    writeFileSync(file, JSON.stringify(actual, null, 2) + '\n');
  }
  assert.deepEqual(actual, JSON.parse(readFileSync(file, 'utf8')), `${name} differs; rerun with FIRELINK_UPDATE_FIXTURES=1 if the change is intended`);
}

/** A square footprint of side `m` metres around a WGS84 point, clockwise (ESRI order). */
function square([lon, lat]: [number, number], m: number): Array<[number, number]> {
  const dx = m / 2 / (111320 * Math.cos((lat * Math.PI) / 180));
  const dy = m / 2 / 110900;
  return [[lon - dx, lat - dy], [lon - dx, lat + dy], [lon + dx, lat + dy], [lon + dx, lat - dy], [lon - dx, lat - dy]];
}
const east = ([lon, lat]: [number, number], m: number): [number, number] => [lon + m / (111320 * Math.cos((lat * Math.PI) / 180)), lat];

const brief = (r: ImportReport) => ({
  read: r.read, imported: r.imported, skipped: r.skipped, rejected: r.rejected, committed: r.committed,
  untied: r.untied.map((u) => ({ kind: u.kind, externalId: u.externalId, reason: u.reason })),
});

describe('importers', () => {
  let db: TestDatabase;
  const dir = mkdtempSync(join(tmpdir(), 'firelink-import-'));
  // Hand-made places in 玄武区 (WGS84).
  const P1: [number, number] = [118.8, 32.05];
  const P2: [number, number] = [118.81, 32.05];
  const P3: [number, number] = [118.83, 32.06];

  before(async () => {
    db = await createTestDatabase('geodata_import');
    await loadRegions(db.pool);
  });
  after(async () => db?.drop());

  it('imports building footprints from a zipped Shapefile (UTF-8 .cpg, Chinese attributes)', async () => {
    const { shp, dbf, shx } = writeShapefile(
      'polygon',
      [
        { rings: [square(P1, 60)], attrs: { ID: 'B-1', NAME: '测试大厦', FLOORS: '12', HEIGHT: '45' } },
        { rings: [square(P2, 40)], attrs: { ID: 'B-2', NAME: '测试仓库', FLOORS: '2', HEIGHT: '' } },
        { rings: [[[118.8, 32.0], [118.8, 32.0], [118.8, 32.0]]], attrs: { ID: 'B-3', NAME: '坏环', FLOORS: 'x', HEIGHT: '' } },
      ],
      ['ID', 'NAME', 'FLOORS', 'HEIGHT'],
    );
    const zip = new JSZip();
    zip.file('footprints.shp', shp).file('footprints.dbf', dbf).file('footprints.shx', shx).file('footprints.cpg', 'UTF-8');
    const path = join(dir, 'footprints.zip');
    writeFileSync(path, await zip.generateAsync({ type: 'nodebuffer' }));
    const r = await importFile(db.pool, { layer: 'buildings', file: path });
    expectFixture('buildings-shapefile.report.json', brief(r));
    const rows = (await db.pool.query(`SELECT external_id, name, floors_above, height_m, region_adcode,
        round(ST_Area(footprint::geography)) AS area_m2 FROM buildings ORDER BY external_id`)).rows;
    expectFixture('buildings-shapefile.rows.json', rows);
  });

  it('imports units from CSV with Chinese headers in GCJ-02, ties them, and upserts on re-import', async () => {
    const g = (p: [number, number]) => wgs84ToGcj02(...p).map((v) => v.toFixed(7)).join(',');
    const csv = [
      '单位编号,单位名称,地址,单位类别,消防控制室,经度,纬度',
      `U-001,测试商场（模拟）,玄武区测试路1号,商场市场,是,${g(P1)}`,
      `U-002,测试仓储（模拟）,玄武区测试路2号,warehouse,否,${g(east(P2, 35))}`,
      `U-003,孤立单位（模拟）,玄武区测试路3号,office,是,${g(P3)}`,
      `U-004,坐标颠倒,地址,office,是,32.05,118.80`,
      `U-005,类别错误,地址,火箭发射场,是,${g(P1)}`,
      `U-006,,地址,office,是,${g(P1)}`,
    ].join('\n');
    const path = join(dir, 'units.csv');
    writeFileSync(path, '\ufeff' + csv);
    const r = await importFile(db.pool, { layer: 'units', file: path, crs: 'gcj02' });
    expectFixture('units-csv.report.json', brief(r));
    const q = `SELECT u.external_id, u.name, u.category, u.high_risk, u.has_control_room, u.region_adcode, b.external_id AS building,
                 u.h3_r9 IS NOT NULL AS h3, round(ST_X(u.point)::numeric, 6) AS lon, round(ST_Y(u.point)::numeric, 6) AS lat, u.version
               FROM units u LEFT JOIN buildings b ON b.id = u.building_id ORDER BY u.external_id`;
    const rows = (await db.pool.query(q)).rows;
    expectFixture('units-csv.rows.json', rows);
    // GCJ-02 in, WGS84 stored: U-001 lands on P1 to ~1 cm.
    assert.ok(Math.abs(Number(rows[0].lon) - P1[0]) < 2e-6 && Math.abs(Number(rows[0].lat) - P1[1]) < 2e-6);
    // Re-import: same ids → updated rows, not new ones.
    writeFileSync(path, csv.replace('测试商场（模拟）', '测试商场（改名）'));
    const again = await importFile(db.pool, { layer: 'units', file: path, crs: 'gcj02' });
    assert.equal(again.imported, 3);
    const after2 = (await db.pool.query(`SELECT count(*)::int AS n, max(version) AS v, bool_or(name = '测试商场（改名）') AS renamed FROM units`)).rows[0];
    assert.deepEqual(after2, { n: 3, v: 2, renamed: true });
  });

  it('imports stations from XLSX with BD-09 coordinates and ties each to its district', async () => {
    const b = (p: [number, number]) => wgs84ToBd09(...p);
    const sheet = await writeXlsx(
      [
        ['编号', '站名', '等级', '值班电话', '经度', '纬度'],
        ['S-1', '测试特勤站', '特勤站', '025-1119', ...b(east(P1, 500))],
        ['S-2', '测试小型站', '小型站', '', ...b(P3)],
        ['S-3', '等级未知站', '超级站', '', ...b(P3)],
        ['S-4', '上海的站', '一级站', '', ...b([121.47, 31.23])],
      ],
      '消防站',
    );
    const path = join(dir, 'stations.xlsx');
    writeFileSync(path, sheet);
    const r = await importFile(db.pool, { layer: 'stations', file: path, crs: 'bd09' });
    expectFixture('stations-xlsx.report.json', brief(r));
    const rows = (await db.pool.query(`SELECT external_id, name, class, phone, region_adcode FROM stations ORDER BY external_id`)).rows;
    expectFixture('stations-xlsx.rows.json', rows);
  });

  it('imports an Overpass GeoJSON road extract into a routable pgRouting network', async () => {
    const r = await importFile(db.pool, { layer: 'roads', file: fixture('roads-overpass.geojson') });
    expectFixture('roads-overpass.report.json', brief(r));
    const rows = (await db.pool.query(`SELECT external_id, class, oneway, is_bridge, speed_kmh, source IS NOT NULL AND target IS NOT NULL AS topo,
        round(cost_s) AS cost_s, CASE WHEN reverse_cost_s < 0 THEN -1 ELSE round(reverse_cost_s) END AS reverse_cost_s
      FROM roads ORDER BY external_id`)).rows;
    expectFixture('roads-overpass.rows.json', rows);
    // Routing respects the one-way street: north via 单行小街 is allowed, south is not.
    const route = async (from: [number, number], to: [number, number]) =>
      (await db.pool.query(`SELECT array_agg(r.external_id ORDER BY d.seq) AS path FROM pgr_dijkstra(
          'SELECT id, source, target, cost_s AS cost, reverse_cost_s AS reverse_cost FROM roads',
          (SELECT id FROM road_vertices ORDER BY geom <-> ST_SetSRID(ST_MakePoint($1, $2), 4326) LIMIT 1),
          (SELECT id FROM road_vertices ORDER BY geom <-> ST_SetSRID(ST_MakePoint($3, $4), 4326) LIMIT 1)) d
        JOIN roads r ON r.id = d.edge`, [...from, ...to])).rows[0].path;
    assert.deepEqual(await route([118.8, 32.05], [118.8, 32.055]), ['way/1002']);
    assert.deepEqual(await route([118.8, 32.055], [118.8, 32.05]), ['way/1003', 'way/1001']);
  });

  it('imports points and rejects rows with row numbers; a database failure leaves nothing behind', async () => {
    const unit = (await db.pool.query(`SELECT id FROM units WHERE external_id = 'U-001'`)).rows[0].id;
    await db.pool.query(`INSERT INTO devices (unit_id, address) VALUES ($1, 123456789012)`, [unit]);
    const r = await importFile(db.pool, { layer: 'points', file: fixture('points.csv') });
    expectFixture('points-csv.report.json', brief(r));
    const rows = (await db.pool.query(`SELECT p.external_id, p.component_type, p.component_address, p.floor, p.label,
        s.system_type, s.system_address FROM points p JOIN facility_systems s ON s.id = p.system_id ORDER BY p.external_id`)).rows;
    expectFixture('points-csv.rows.json', rows);
    // Two new ids for one address (same system, loop 5 point 5) violate UNIQUE(system_id,
    // component_address) in the second batch: the whole import rolls back, batch one too.
    const path = join(dir, 'clash.csv');
    writeFileSync(path, '点位编号,单位编号,回路,点位\nQ-1,U-001,5,5\nQ-2,U-001,5,5\n');
    await assert.rejects(importFile(db.pool, { layer: 'points', file: path, batchSize: 1 }), /duplicate key/);
    const n = (await db.pool.query(`SELECT count(*)::int AS n FROM points WHERE external_id LIKE 'Q-%'`)).rows[0].n;
    assert.equal(n, 0);
  });

  it('picks the right layer out of a Geofabrik free-shapefile zip (pois → fire stations, water polygons)', async () => {
    const pois = writeShapefile('point', [
      { rings: [[east(P1, 800)]], attrs: { osm_id: '9001', code: '2110', fclass: 'fire_station', name: '玄武消防救援站' } },
      { rings: [[east(P1, 900)]], attrs: { osm_id: '9002', code: '2301', fclass: 'restaurant', name: '饭店' } },
    ], ['osm_id', 'code', 'fclass', 'name']);
    const water = writeShapefile('polygon', [
      { rings: [square(P3, 300)], attrs: { osm_id: '9100', code: '8200', fclass: 'water', name: '测试湖' } },
    ], ['osm_id', 'code', 'fclass', 'name']);
    const zip = new JSZip();
    for (const [stem, f] of [['gis_osm_pois_free_1', pois], ['gis_osm_water_a_free_1', water], ['gis_osm_waterways_free_1', pois]] as const) {
      zip.file(`${stem}.shp`, f.shp).file(`${stem}.dbf`, f.dbf).file(`${stem}.shx`, f.shx).file(`${stem}.cpg`, 'UTF-8');
    }
    const path = join(dir, 'jiangsu-latest-free.shp.zip');
    writeFileSync(path, await zip.generateAsync({ type: 'nodebuffer' }));
    const s = await importFile(db.pool, { layer: 'stations', file: path });
    assert.deepEqual([s.read, s.imported, s.skipped], [2, 1, 1]);
    const st = (await db.pool.query(`SELECT name, region_adcode FROM stations WHERE external_id = '9001'`)).rows;
    assert.deepEqual(st, [{ name: '玄武消防救援站', region_adcode: 320102 }]);
    const w = await importFile(db.pool, { layer: 'water', file: path });
    assert.equal(w.imported, 1);
    const lake = (await db.pool.query(`SELECT class, name, round(ST_Area(geom::geography) / 1000) AS area_1000m2 FROM water WHERE external_id = '9100'`)).rows;
    assert.deepEqual(lake, [{ class: 'water', name: '测试湖', area_1000m2: 90 }]);
  });

  it('imports regions (GCJ-02 GeoJSON): levels and parents from the codes, then ties to them', async () => {
    // Hand-made squares in Xinjiang, far from the shipped Jiangsu districts.
    const sqG = (x0: number, y0: number, x1: number, y1: number) => ({
      type: 'Polygon',
      coordinates: [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]].map(([x, y]) => wgs84ToGcj02(x!, y!))],
    });
    const fc = {
      type: 'FeatureCollection',
      features: [
        { type: 'Feature', properties: { adcode: 659000, name: '测试市' }, geometry: sqG(87.5, 43.7, 87.7, 43.9) },
        { type: 'Feature', properties: { adcode: 659001, name: '西测试区' }, geometry: sqG(87.5, 43.7, 87.6, 43.9) },
        { type: 'Feature', properties: { 区划代码: '659002', 名称: '东测试区' }, geometry: sqG(87.6, 43.7, 87.7, 43.9) },
        { type: 'Feature', properties: { adcode: 12, name: '坏代码' }, geometry: sqG(87.6, 43.7, 87.7, 43.9) },
      ],
    };
    const path = join(dir, 'regions.geojson');
    writeFileSync(path, JSON.stringify(fc));
    const r = await importFile(db.pool, { layer: 'regions', file: path, crs: 'gcj02' });
    assert.deepEqual([r.imported, r.rejected], [3, [{ row: 4, reason: 'adcode must be a 6-digit national code (e.g. 320102)' }]]);
    const rows = (await db.pool.query(`SELECT adcode, name, level, parent_adcode,
        round(ST_XMin(geom)::numeric, 5) AS xmin FROM regions WHERE adcode BETWEEN 659000 AND 659999 ORDER BY adcode`)).rows;
    assert.deepEqual(rows, [
      { adcode: 659000, name: '测试市', level: 'city', parent_adcode: null, xmin: '87.50000' },
      { adcode: 659001, name: '西测试区', level: 'district', parent_adcode: 659000, xmin: '87.50000' },
      { adcode: 659002, name: '东测试区', level: 'district', parent_adcode: 659000, xmin: '87.60000' },
    ]);
    await db.pool.query(`INSERT INTO stations (external_id, name, point) VALUES ('xj', '测试站', ST_SetSRID(ST_MakePoint(87.65, 43.8), 4326))`);
    const { tieToPlace } = await import('../tie/index.ts');
    await tieToPlace(db.pool, { stations: null });
    assert.equal((await db.pool.query(`SELECT region_adcode FROM stations WHERE external_id = 'xj'`)).rows[0].region_adcode, 659002);
  });

  it('imports the Geofabrik-layout land use and water of Nanjing', { skip: !existsSync(SHARED) && `reference geodata not found at ${SHARED}` }, async () => {
    for (const [layer, file] of [['landuse', 'nanjing_osm_landuse_wgs84.geojson'], ['water', 'nanjing_osm_water_wgs84.geojson']] as const) {
      const src = JSON.parse(readFileSync(join(SHARED, file), 'utf8')) as { features: Array<{ properties: { osm_id: string; fclass: string } }> };
      // Clipping split a few OSM polygons into parts sharing an osm_id: one row per id.
      // (A same id with another class is another object: way and relation ids collide.)
      const ids = new Map(src.features.map((f) => [`${f.properties.osm_id}/${f.properties.fclass}`, f.properties.fclass]));
      const byClass: Record<string, number> = {};
      for (const c of ids.values()) byClass[c] = (byClass[c] ?? 0) + 1;
      const r = await importFile(db.pool, { layer, file: join(SHARED, file), batchSize: 1000 });
      assert.deepEqual(r.rejected, []);
      assert.equal(r.read, src.features.length);
      assert.equal(r.imported, ids.size);
      const table = layer === 'landuse' ? 'land_use' : 'water';
      // (The Geofabrik-zip test's lake, osm_id 9100, shares this database.)
      const got = (await db.pool.query(`SELECT class, count(*)::int AS n FROM ${table} WHERE external_id <> '9100' GROUP BY class`)).rows;
      assert.deepEqual(Object.fromEntries(got.map((x) => [x.class, x.n])), byClass);
      const valid = (await db.pool.query(`SELECT bool_and(ST_IsValid(geom)) AS ok, bool_and(external_id IS NOT NULL) AS ids FROM ${table}`)).rows[0];
      assert.deepEqual(valid, { ok: true, ids: true });
    }
    // Re-import upserts by osm_id: no duplicates.
    const before = (await db.pool.query('SELECT count(*)::int AS n FROM water')).rows[0].n;
    await importFile(db.pool, { layer: 'water', file: join(SHARED, 'nanjing_osm_water_wgs84.geojson') });
    assert.equal((await db.pool.query('SELECT count(*)::int AS n FROM water')).rows[0].n, before);
  });
});
