// buildingId in unit writes and the floor-plan routes, over real HTTP and PostGIS: a district
// supervisor could bind a unit of their district to another district's building, then read and
// overwrite that building's floor plans and transforms; a maintainer could repoint its unit.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { seedDemoSubset } from '@firelink/geodata';
import { createTestUser, type TestUser } from '../auth/testing.ts';
import { startTestServer, type TestServer } from '../devtools/test-support.ts';
import { loadOnboardingConfig } from '../onboarding/config.ts';
import { onboardingFeature } from '../onboarding/feature.ts';

let db: TestDatabase;
let server: TestServer;
let base: string;
let admin: TestUser;
let supA: TestUser;
let maintainer: TestUser;
/** District A (the supervisor's) and B, each with a unit bound to a building of its district. */
const A = { adcode: 0, unit: 0, building: 0, otherBuilding: 0, lonLat: [0, 0] as [number, number] };
const B = { adcode: 0, unit: 0, building: 0 };

const PNG = (() => {
  const png = Buffer.alloc(64);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(png);
  png.writeUInt32BE(600, 16);
  png.writeUInt32BE(400, 20);
  return png;
})();

async function call(who: TestUser, method: string, path: string, body?: unknown, type = 'application/json') {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...who.headers, ...(body !== undefined ? { 'content-type': type } : {}) },
    body: body === undefined ? undefined : Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) };
}

const planOf = async (buildingId: number) =>
  (await db.pool.query(`SELECT floor, transform, width_px FROM floor_plans WHERE building_id = $1 ORDER BY floor`, [buildingId])).rows;

before(async () => {
  db = await createTestDatabase('unit-building-scope');
  await seedDemoSubset(db.pool, { units: 80, roads: false, maxPointsPerUnit: 1 });
  const p = db.pool;
  // Two districts that each have a unit bound to a building of the same district.
  const bound = (
    await p.query(`SELECT u.id, u.region_adcode, u.building_id, ST_X(u.point) AS lon, ST_Y(u.point) AS lat
                     FROM units u JOIN buildings b ON b.id = u.building_id AND b.region_adcode = u.region_adcode
                    ORDER BY u.region_adcode, u.id`)
  ).rows;
  const districts = [...new Set(bound.map((r) => Number(r.region_adcode)))];
  assert.ok(districts.length >= 2, 'the demo subset has bound units in two districts');
  const a = bound.find((r) => Number(r.region_adcode) === districts[0])!;
  const b = bound.find((r) => Number(r.region_adcode) === districts[1])!;
  Object.assign(A, { adcode: Number(a.region_adcode), unit: Number(a.id), building: Number(a.building_id), lonLat: [Number(a.lon), Number(a.lat)] });
  Object.assign(B, { adcode: Number(b.region_adcode), unit: Number(b.id), building: Number(b.building_id) });
  A.otherBuilding = Number(
    (await p.query(`SELECT id FROM buildings WHERE region_adcode = $1 AND id <> $2 ORDER BY id LIMIT 1`, [A.adcode, A.building])).rows[0].id,
  );
  // B's building has a plan with a known transform.
  await p.query(`INSERT INTO floor_plans (building_id, floor, image, mime_type, width_px, height_px, transform) VALUES ($1, 2, $2, 'image/png', 600, 400, '{1,0,0,1,0,0}')`, [B.building, PNG]);
  admin = await createTestUser(p, { role: 'admin' });
  supA = await createTestUser(p, { role: 'supervisor', regions: [A.adcode] });
  maintainer = await createTestUser(p, { role: 'maintainer', units: [A.unit] });
  server = await startTestServer(db.url, [onboardingFeature({ config: loadOnboardingConfig({}) })]);
  base = server.base;
});
after(async () => {
  await server?.close();
  await db?.drop();
});

describe('buildingId must name a building of the caller’s jurisdiction and the unit’s district', () => {
  it('POST /api/units: another district’s building is not found and nothing is created', async () => {
    const count = async () => Number((await db.pool.query('SELECT count(*) FROM units')).rows[0].count);
    const n = await count();
    const r = await call(supA, 'POST', '/api/units', { name: '越权单位', lonLatWgs84: A.lonLat, buildingId: B.building });
    assert.equal(r.status, 404, r.text);
    assert.match(r.json().message, /no such building in your jurisdiction/);
    const none = await call(supA, 'POST', '/api/units', { name: '无此建筑', lonLatWgs84: A.lonLat, buildingId: 999_999_999 });
    assert.equal(none.status, 404, 'a missing building answers the same');
    assert.equal(await count(), n);
    const ok = await call(supA, 'POST', '/api/units', { name: '本区单位', lonLatWgs84: A.lonLat, buildingId: A.building });
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.json().building.id, A.building);
  });

  it('an administrator may name any building, but only one of the unit’s district', async () => {
    const r = await call(admin, 'POST', '/api/units', { name: '跨区绑定', lonLatWgs84: A.lonLat, buildingId: B.building });
    assert.equal(r.status, 400, r.text);
    assert.match(r.json().message, /own district/);
  });

  it('PATCH /api/units/:id: a supervisor cannot repoint a unit to another district’s building', async () => {
    const v = Number((await db.pool.query('SELECT version FROM units WHERE id = $1', [A.unit])).rows[0].version);
    const r = await call(supA, 'PATCH', `/api/units/${A.unit}`, { version: v, buildingId: B.building });
    assert.equal(r.status, 404, r.text);
    assert.equal(Number((await db.pool.query('SELECT building_id FROM units WHERE id = $1', [A.unit])).rows[0].building_id), A.building);
  });

  it('PATCH by a maintainer: the unit stays in its district and its building; category and oversight fields are refused', async () => {
    const v = () => db.pool.query('SELECT version FROM units WHERE id = $1', [A.unit]).then((x) => Number(x.rows[0].version));
    const before = (await db.pool.query('SELECT region_adcode, building_id, category FROM units WHERE id = $1', [A.unit])).rows[0];
    // Out of every district (the probe's [100, 1]): its alarms would reach no operator.
    const nowhere = await call(maintainer, 'PATCH', `/api/units/${A.unit}`, { version: await v(), lonLatWgs84: [100, 1] });
    assert.equal(nowhere.status, 403, nowhere.text);
    // Into a building of another district, by location instead of buildingId.
    const inB = (await db.pool.query('SELECT ST_X(ST_PointOnSurface(footprint)) AS lon, ST_Y(ST_PointOnSurface(footprint)) AS lat FROM buildings WHERE id = $1', [B.building])).rows[0];
    const moved = await call(maintainer, 'PATCH', `/api/units/${A.unit}`, { version: await v(), lonLatWgs84: [Number(inB.lon), Number(inB.lat)] });
    assert.equal(moved.status, 403, moved.text);
    for (const field of [{ category: 'hotel' }, { underConstruction: true }, { externalId: 'x-1' }]) {
      const r = await call(maintainer, 'PATCH', `/api/units/${A.unit}`, { version: await v(), ...field });
      assert.equal(r.status, 403, `${JSON.stringify(field)}: ${r.text}`);
    }
    const after = (await db.pool.query('SELECT region_adcode, building_id, category FROM units WHERE id = $1', [A.unit])).rows[0];
    assert.deepEqual(after, before, 'nothing changed');
    // What a maintainer collects still goes through.
    const ok = await call(maintainer, 'PATCH', `/api/units/${A.unit}`, { version: await v(), controlRoomPhone: '025-12345678' });
    assert.equal(ok.status, 200, ok.text);
  });

  it('PATCH by a maintainer: only buildings its units are bound to', async () => {
    const v = () => db.pool.query('SELECT version FROM units WHERE id = $1', [A.unit]).then((x) => Number(x.rows[0].version));
    for (const foreign of [B.building, A.otherBuilding]) {
      const r = await call(maintainer, 'PATCH', `/api/units/${A.unit}`, { version: await v(), buildingId: foreign });
      assert.equal(r.status, 404, `building ${foreign}: ${r.text}`);
      assert.ok(!r.text.includes('footprint'));
    }
    const same = await call(maintainer, 'PATCH', `/api/units/${A.unit}`, { version: await v(), buildingId: A.building });
    assert.equal(same.status, 200, same.text);
    assert.equal(same.json().building.id, A.building);
  });

  it('floor plans and transforms act on the building’s scope: a unit bound to a foreign building reaches none of it', async () => {
    // A binding made before the check existed (or by an import): the unit is A's, the building B's.
    const rogue = Number(
      (await db.pool.query(`INSERT INTO units (name, region_adcode, point, building_id) VALUES ('旧绑定', $1, ST_SetSRID(ST_MakePoint($2, $3), 4326), $4) RETURNING id`, [A.adcode, ...A.lonLat, B.building])).rows[0].id,
    );
    const before = await planOf(B.building);
    const detail = await call(supA, 'GET', `/api/units/${rogue}`);
    assert.equal(detail.status, 200);
    assert.equal(detail.json().building, null, 'the foreign footprint is not shown');
    assert.ok(detail.json().floors.every((f: { hasPlan: boolean }) => !f.hasPlan));
    assert.equal((await call(supA, 'GET', `/api/units/${rogue}/floors/2/plan`)).status, 404);
    assert.equal((await call(supA, 'PUT', `/api/units/${rogue}/floors/2/plan`, PNG, 'image/png')).status, 404);
    assert.equal((await call(supA, 'PUT', `/api/units/${rogue}/floors/2/plan/transform`, { transform: [9, 9, 9, 9, 9, 9] })).status, 404);
    assert.deepEqual(await planOf(B.building), before, 'B’s plan is unchanged');
    // The admin (whose jurisdiction holds both) still reaches it.
    assert.equal((await call(admin, 'GET', `/api/units/${rogue}/floors/2/plan`)).status, 200);
    // A's own building works for A's supervisor.
    assert.equal((await call(supA, 'PUT', `/api/units/${A.unit}/floors/1/plan`, PNG, 'image/png')).status, 200);
    assert.equal((await call(supA, 'GET', `/api/units/${A.unit}/floors/1/plan`)).status, 200);
  });
});
