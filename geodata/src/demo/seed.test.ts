import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { generateDemoCity, FULL_DEMO } from './generate.ts';
import { seedDemoSubset } from './seed.ts';
import { readShippedDistricts } from '../regions/load.ts';

describe('demo city', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase('geodata_seed');
  });
  after(async () => db?.drop());

  it('is deterministic from the seed', () => {
    const districts = readShippedDistricts().features.map((f) => ({ adcode: f.properties.adcode, geometry: f.geometry as never }));
    const opts = { ...FULL_DEMO, nanjingUnits: 40, unitsPerOtherCity: 2, fillerBuildingShare: 0 };
    const a = generateDemoCity(districts, opts);
    const b = generateDemoCity(districts, opts);
    assert.deepEqual(a.units.map((u) => [u.externalId, u.lonLatWgs84, u.pointCount]), b.units.map((u) => [u.externalId, u.lonLatWgs84, u.pointCount]));
    assert.equal(a.roads.length, b.roads.length);
    const c = generateDemoCity(districts, { ...opts, seed: 7 });
    assert.notDeepEqual(a.units.map((u) => u.lonLatWgs84), c.units.map((u) => u.lonLatWgs84));
  });

  it('the full demo meets the issue\'s sizes (generation only)', () => {
    const districts = readShippedDistricts().features.map((f) => ({ adcode: f.properties.adcode, geometry: f.geometry as never }));
    const city = generateDemoCity(districts, FULL_DEMO);
    const nanjing = city.units.filter((u) => Math.floor(u.districtAdcode / 100) === 3201);
    assert.ok(nanjing.length >= 2000, `${nanjing.length} Nanjing units`);
    assert.ok(city.units.length - nanjing.length >= 12 * 20, 'a sprinkle in every other city');
    const counts = city.units.map((u) => u.pointCount).sort((a, b) => a - b);
    assert.ok(counts[0]! >= 50 && counts[counts.length - 1]! <= 3000);
    const median = counts[counts.length >> 1]!;
    assert.ok(median >= 100 && median <= 500, `median ${median} points: most units a few hundred`);
    assert.ok(city.stations.length >= 50 && city.stations.length <= 75, `${city.stations.length} stations`);
    assert.equal(new Set(city.units.map((u) => u.deviceAddress)).size, city.units.length, 'unique UITD addresses');
    assert.ok(city.units.every((u) => u.deviceAddress < 2 ** 48));
    const open = city.units.filter((u) => u.onboardingState === 'open').length / city.units.length;
    assert.ok(open > 0.75 && open < 0.95, `open share ${open}`);
    assert.ok(new Set(city.units.map((u) => u.onboardingState)).size === 5, 'every pre-open state occurs');
  });

  it('loads a tied, routable, labelled subset', async () => {
    const report = await seedDemoSubset(db.pool, { units: 60, unitsPerOtherCity: 1 });
    assert.equal(report.units, 72);
    assert.equal(report.untied, 0, 'every unit, station and building ties to a district and a footprint');
    const q = async (sql: string) => (await db.pool.query(sql)).rows[0];
    // Regions: 1 province, 13 cities, 95 districts; Nanjing has 11; current codes.
    assert.deepEqual(await q(`SELECT count(*) FILTER (WHERE level='city')::int AS cities,
        count(*) FILTER (WHERE level='district')::int AS districts,
        count(*) FILTER (WHERE parent_adcode=320100)::int AS nanjing,
        bool_or(adcode=320613 AND name='崇川区') AS chongchuan, bool_or(adcode=320614) AS haimen,
        bool_or(adcode=320602) AS stale FROM regions`),
      { cities: 13, districts: 95, nanjing: 11, chongchuan: true, haimen: true, stale: false });
    // Every unit: synthetic, labelled, in Nanjing's districts or another city's, with a building
    // whose footprint contains the unit point, a UITD, and 50..60 points on real floors.
    const u = await q(`SELECT count(*)::int AS n, bool_and(u.synthetic AND u.name LIKE '%模拟%') AS labelled,
        bool_and(ST_Covers(b.footprint, u.point)) AS inside, bool_and(ST_Covers(r.geom, u.point)) AS in_region,
        bool_and(u.h3_r9 IS NOT NULL) AS h3,
        (SELECT count(DISTINCT unit_id)::int FROM devices WHERE protocol='gb26875') AS devices,
        (SELECT min(c)::int FROM (SELECT count(*) AS c FROM points GROUP BY unit_id) x) AS min_points,
        (SELECT max(c)::int FROM (SELECT count(*) AS c FROM points GROUP BY unit_id) x) AS max_points,
        (SELECT bool_and(p.floor BETWEEN -bb.floors_below AND bb.floors_above AND p.floor <> 0)
           FROM points p JOIN units uu ON uu.id = p.unit_id JOIN buildings bb ON bb.id = uu.building_id) AS floors_ok
      FROM units u JOIN buildings b ON b.id = u.building_id JOIN regions r ON r.adcode = u.region_adcode`);
    assert.deepEqual(u, { n: 72, labelled: true, inside: true, in_region: true, h3: true, devices: 72, min_points: 50, max_points: 60, floors_ok: true });
    assert.ok((await q(`SELECT count(*)::int AS n FROM units WHERE region_adcode / 100 = 3201`)).n === 60);
    // Roads: topology filled, one-way edges have a negative reverse cost, bridges exist,
    // and no non-bridge edge crosses the water.
    const r = await q(`SELECT count(*)::int AS n, bool_and(source IS NOT NULL AND target IS NOT NULL AND cost_s > 0) AS topo,
        count(*) FILTER (WHERE oneway = 1 AND reverse_cost_s < 0)::int AS oneway,
        count(*) FILTER (WHERE is_bridge)::int AS bridges,
        (SELECT count(*)::int FROM roads rr JOIN water w ON ST_Intersects(rr.geom, w.geom) WHERE NOT rr.is_bridge) AS wet
      FROM roads`);
    assert.ok(r.n > 5000 && r.topo && r.oneway > 50 && r.bridges > 5, JSON.stringify(r));
    assert.equal(r.wet, 0);
    const v = await q(`SELECT count(*)::int AS dangling FROM roads r
        WHERE NOT EXISTS (SELECT 1 FROM road_vertices v WHERE v.id = r.source)
           OR NOT EXISTS (SELECT 1 FROM road_vertices v WHERE v.id = r.target)`);
    assert.equal(v.dangling, 0);
    // pgRouting finds a route from downtown across the Yangtze to 浦口.
    const route = await q(`SELECT count(*)::int AS steps, max(agg_cost) AS seconds FROM pgr_dijkstra(
        'SELECT id, source, target, cost_s AS cost, reverse_cost_s AS reverse_cost FROM roads',
        (SELECT id FROM road_vertices ORDER BY geom <-> ST_SetSRID(ST_MakePoint(118.784, 32.041), 4326) LIMIT 1),
        (SELECT id FROM road_vertices ORDER BY geom <-> ST_SetSRID(ST_MakePoint(118.64, 32.07), 4326) LIMIT 1))`);
    assert.ok(route.steps > 10 && route.seconds > 300, JSON.stringify(route));
    const s = await q(`SELECT count(*)::int AS n, bool_and(region_adcode IS NOT NULL) AS tied FROM stations`);
    assert.ok(s.n >= 50 && s.n <= 75 && s.tied, JSON.stringify(s));
  });
});
