import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { seedDemoSubset } from '@firelink/geodata';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { bruteForceTopStations } from './brute-force.ts';
import { seededRandom } from '@firelink/common';
import { suggestStations } from './suggest.ts';

describe('dispatch suggestions on the demo city (geodata seed)', () => {
  let db: TestDatabase;
  let box: { xmin: number; ymin: number; xmax: number; ymax: number };
  before(async () => {
    db = await createTestDatabase('dispatch_demo');
    await seedDemoSubset(db.pool, { units: 20, maxPointsPerUnit: 5 });
    const r = await db.pool.query(
      `SELECT ST_XMin(e) AS xmin, ST_YMin(e) AS ymin, ST_XMax(e) AS xmax, ST_YMax(e) AS ymax
       FROM (SELECT ST_Extent(geom) AS e FROM roads) x`,
    );
    box = r.rows[0];
  });
  after(async () => db?.drop());

  it('the top k by ETA equals brute-force routing to every station (12 random points, k = 1, 3, 5)', async () => {
    const counts = await db.pool.query(`SELECT (SELECT count(*) FROM roads)::int AS roads, (SELECT count(*) FROM stations WHERE status = 'available')::int AS stations`);
    assert.ok(counts.rows[0].roads > 100, 'the demo subset has a road network');
    assert.ok(counts.rows[0].stations >= 5, 'the demo subset has stations');
    const rnd = seededRandom(77);
    let road = 0;
    for (let i = 0; i < 12; i++) {
      const lon = box.xmin + rnd() * (box.xmax - box.xmin);
      const lat = box.ymin + rnd() * (box.ymax - box.ymin);
      const truth = await bruteForceTopStations(db.pool, lon, lat);
      for (const k of [1, 3, 5]) {
        const r = await suggestStations(db.pool, { lon, lat, k });
        const where = `point ${i} (${lon}, ${lat}) k=${k}`;
        assert.deepEqual(r.suggestions.map((s) => s.stationId), truth.slice(0, k).map((t) => t.id), where);
        r.suggestions.forEach((s, j) => assert.ok(Math.abs(s.etaSeconds - truth[j]!.eta) <= 0.051, `${where}: ${s.etaSeconds} vs ${truth[j]!.eta}`));
        road += r.suggestions.filter((s) => s.method === 'road').length;
      }
    }
    assert.ok(road > 0, 'some suggestions go by road');
  });
});
