import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { seedDemoSubset } from '../demo/seed.ts';
import { DEMO_HYDRANT_SPACING_M } from './hydrants.ts';

describe('demo water sources', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase('demo_water');
    await seedDemoSubset(db.pool, { units: 200, maxPointsPerUnit: 1 });
  });
  after(async () => db?.drop());

  it('puts hydrants along the streets, about one per spacing, with some not usable, each in a district', async () => {
    const r = (
      await db.pool.query(
        `SELECT count(*) FILTER (WHERE kind = 'hydrant')::int AS hydrants,
                count(*) FILTER (WHERE kind = 'hydrant' AND status <> 'usable')::int AS not_usable,
                count(*) FILTER (WHERE region_adcode IS NULL)::int AS unplaced,
                (SELECT sum(length_m) FROM roads WHERE class NOT IN ('motorway', 'motorway_link'))::float8 AS street_m,
                max(ST_Distance(w.point::geography, (SELECT r.geom FROM roads r ORDER BY r.geom <-> w.point LIMIT 1)::geography))
                  FILTER (WHERE kind = 'hydrant') AS max_off_road_m
         FROM water_sources w`,
      )
    ).rows[0];
    assert.ok(r.hydrants > 0);
    const expected = r.street_m / DEMO_HYDRANT_SPACING_M;
    assert.ok(r.hydrants > expected * 0.8 && r.hydrants < expected * 1.3, `${r.hydrants} hydrants for ${Math.round(r.street_m)} m of street`);
    assert.ok(r.not_usable / r.hydrants > 0.03 && r.not_usable / r.hydrants < 0.12, `${r.not_usable} of ${r.hydrants} not usable`);
    assert.ok(r.max_off_road_m < 1, `hydrants lie on the streets (max ${r.max_off_road_m} m off)`);
    assert.ok(r.unplaced / r.hydrants < 0.02, `${r.unplaced} outside every district`);
  });
});
