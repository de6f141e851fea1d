import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { seededRandom } from '@firelink/common';
import { loadGridNetwork, type GridNetwork } from '../dispatch/grid-network.ts';
import { nearestWaterSources } from './nearest.ts';
import { bruteForceNearestWater, scatterWaterSources } from './testing.ts';

describe('nearest water sources on a generated network (pruned = brute force)', () => {
  let db: TestDatabase;
  let grid: GridNetwork;
  before(async () => {
    db = await createTestDatabase('water_nearest');
    // 30 × 30 vertices at 200 m (a 6 km square, one-way and missing streets), 1,500 sources.
    grid = await loadGridNetwork(db.pool, { originLon: 118.7, originLat: 32.0, cols: 30, rows: 30, spacingM: 200, stations: 5, seed: 13 });
    await scatterWaterSources(db.pool, grid.bbox, 1500, 21);
    await db.pool.query('ANALYZE');
  });
  after(async () => db?.drop());

  it('returns exactly the brute-force nearest k by road at 25 random points (k = 1, 3, 5, 10)', async () => {
    const rnd = seededRandom(99);
    const { west, south, east, north } = grid.bbox;
    let maxRounds = 0;
    let routed = 0;
    const brute = await bruteForceNearestWater(db.pool);
    for (let i = 0; i < 25; i++) {
      const lon = west + rnd() * (east - west);
      const lat = south + rnd() * (north - south);
      const truth = await brute(lon, lat);
      for (const k of [1, 3, 5, 10]) {
        const r = await nearestWaterSources(db.pool, { lon, lat, k });
        maxRounds = Math.max(maxRounds, r.stats.rounds);
        routed += r.stats.candidatesRouted;
        const where = `point ${i} (${lon}, ${lat}) k=${k}`;
        assert.deepEqual(r.sources.map((s) => s.id), truth.slice(0, k).map((t) => t.id), where);
        r.sources.forEach((s, j) => {
          assert.equal(s.method, 'road');
          assert.ok(Math.abs(s.distanceMeters - truth[j]!.d) <= 0.2, `${where}: ${s.distanceMeters} vs ${truth[j]!.d}`);
          assert.ok(s.distanceMeters + 0.5 >= s.straightMeters, `${where}: road ${s.distanceMeters} shorter than straight ${s.straightMeters}`);
        });
      }
    }
    assert.ok(routed < 25 * 4 * 1500 * 0.1, `the prefilter prunes: routed ${routed}`);
    assert.ok(maxRounds >= 1);
  });

  it('never offers a source that is out of service or under repair', async () => {
    const { west, south, east, north } = grid.bbox;
    const r = await nearestWaterSources(db.pool, { lon: (west + east) / 2, lat: (south + north) / 2, k: 50 });
    const ids = r.sources.map((s) => s.id);
    const bad = await db.pool.query(`SELECT count(*)::int AS n FROM water_sources WHERE id = ANY($1::bigint[]) AND status <> 'usable'`, [ids]);
    assert.equal(bad.rows[0].n, 0);
    assert.equal(r.sources.length, 50);
  });

  it('ranks by straight distance when the point is off the network', async () => {
    const { west, east, south } = grid.bbox;
    const r = await nearestWaterSources(db.pool, { lon: (west + east) / 2, lat: south - 0.02, k: 3 });
    assert.equal(r.sources.length, 3);
    for (const s of r.sources) assert.equal(s.method, 'straight');
    const d = r.sources.map((s) => s.straightMeters);
    assert.deepEqual(d, [...d].sort((a, b) => a - b));
  });
});
