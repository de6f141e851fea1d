import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { cellToParent, getResolution } from 'h3-js';
import { h3Cells, tieToPlace } from './index.ts';

// Hand-made places: two square districts sharing the meridian 118.80 as their border.
// At 32°N, 0.0001° of longitude ≈ 9.44 m and 0.0001° of latitude ≈ 11.09 m.
describe('tie-to-place', () => {
  let db: TestDatabase;
  const q = async (sql: string, values: unknown[] = []) => (await db.pool.query(sql, values)).rows;
  const sq = (x0: number, y0: number, x1: number, y1: number) =>
    `SRID=4326;MULTIPOLYGON(((${x0} ${y0},${x1} ${y0},${x1} ${y1},${x0} ${y1},${x0} ${y0})))`;

  before(async () => {
    db = await createTestDatabase('geodata_tie');
    await q(`INSERT INTO regions (adcode, name, level, geom) VALUES
      (320102, '西区', 'district', $1), (320104, '东区', 'district', $2)`, [sq(118.7, 32.0, 118.8, 32.1), sq(118.8, 32.0, 118.9, 32.1)]);
    await q(`INSERT INTO buildings (external_id, footprint) VALUES
      ('big', $1), ('small', $2), ('lone', $3)`,
      [sq(118.7500, 32.0500, 118.7530, 32.0530), sq(118.7531, 32.0510, 118.7532, 32.0511), sq(118.8500, 32.0500, 118.8501, 32.0501)]);
    await q(`INSERT INTO units (external_id, name, point) VALUES
      ('inside-big', '容纳优先', ST_SetSRID(ST_MakePoint(118.75295, 32.0510), 4326)),
      ('near-lone', '40 m 外', ST_SetSRID(ST_MakePoint(118.8501 + 0.00042, 32.05005), 4326)),
      ('far', '60 m 外', ST_SetSRID(ST_MakePoint(118.8500, 32.0501 + 0.00054), 4326)),
      ('on-border', '边界上', ST_SetSRID(ST_MakePoint(118.8, 32.07), 4326)),
      ('abroad', '省外', ST_SetSRID(ST_MakePoint(121.47, 31.23), 4326)),
      ('nowhere', '无坐标', NULL)`);
    await q(`INSERT INTO stations (external_id, name, point) VALUES
      ('s-west', '西站', ST_SetSRID(ST_MakePoint(118.75, 32.05), 4326)),
      ('s-out', '省外站', ST_SetSRID(ST_MakePoint(121.47, 31.23), 4326))`);
  });
  after(async () => db?.drop());

  it('ties regions by point-in-polygon and footprints by containment, else nearest within the tolerance', async () => {
    const report = await tieToPlace(db.pool);
    const units = Object.fromEntries(
      (await q(`SELECT u.external_id, u.region_adcode, b.external_id AS building FROM units u LEFT JOIN buildings b ON b.id = u.building_id`))
        .map((r) => [r.external_id, [r.region_adcode, r.building]]),
    );
    assert.deepEqual(units, {
      // Inside "big" although "small" lies ~1 m away: containment wins over distance.
      'inside-big': [320102, 'big'],
      'near-lone': [320104, 'lone'],
      far: [320104, null],
      // On the shared border: ST_Covers counts it; one of the two districts, not none.
      'on-border': [units['on-border']![0], null],
      abroad: [null, null],
      nowhere: [null, null],
    });
    assert.ok([320102, 320104].includes(units['on-border']![0] as number));
    const stations = await q(`SELECT external_id, region_adcode FROM stations ORDER BY external_id`);
    assert.deepEqual(stations, [{ external_id: 's-out', region_adcode: null }, { external_id: 's-west', region_adcode: 320102 }]);
    const buildings = await q(`SELECT external_id, region_adcode FROM buildings ORDER BY external_id`);
    assert.deepEqual(buildings.map((b) => b.region_adcode), [320102, 320104, 320102]);
    assert.deepEqual(
      report.map((r) => [r.kind, r.externalId, r.reason]),
      [
        ['station', 's-out', 'point lies in no known district'],
        ['unit', 'far', 'no building footprint contains it or lies within the tolerance'],
        ['unit', 'on-border', 'no building footprint contains it or lies within the tolerance'],
        ['unit', 'abroad', 'point lies in no known district'],
        ['unit', 'nowhere', 'no coordinates'],
      ].sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0)),
    );
  });

  it('a wider tolerance ties the 60 m unit; H3 cells nest', async () => {
    await tieToPlace(db.pool, { units: null }, { toleranceM: 100 });
    assert.equal((await q(`SELECT b.external_id FROM units u JOIN buildings b ON b.id = u.building_id WHERE u.external_id = 'far'`))[0]?.external_id, 'lone');
    const c = h3Cells([118.75, 32.05]);
    assert.equal(getResolution(c.r9), 9);
    assert.equal(cellToParent(c.r9, 8), c.r8);
    assert.equal(cellToParent(c.r9, 7), c.r7);
  });
});
