// GET /api/units/positions over real HTTP and PostGIS with real bearer sessions: the packed
// layout, the map state per unit, jurisdiction, the JSON form, and ETag revalidation.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  decodeUnitPositions,
  UNIT_POSITION_FLAG,
  UNIT_POSITION_STATE,
  UNIT_POSITIONS_CONTENT_TYPE,
  unitPositionsJsonSchema,
  type UnitPositions,
} from '@firelink/common';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { seedDemoSubset } from '@firelink/geodata';
import { createTestUser, type TestUser } from '../auth/testing.ts';
import { startTestServer, type TestServer } from '../devtools/test-support.ts';
import { loadOnboardingConfig } from '../onboarding/config.ts';
import { onboardingFeature } from '../onboarding/feature.ts';
import { etagMatches } from './positions.ts';

let db: TestDatabase;
let server: TestServer;
let base: string;
let admin: TestUser;
let district: TestUser;
let unitUser: TestUser;
let districtCode: number;
/** Units picked for each state: fire, fault, offline (device down), unopened. */
const picked = { fire: 0, fault: 0, offline: 0, unopened: 0, normal: 0 };

async function get(user: TestUser | null, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, { headers: { ...(user?.headers ?? {}), ...headers } });
  return { res, bytes: new Uint8Array(await res.arrayBuffer()) };
}

const indexOf = (p: UnitPositions, id: number) => p.ids.indexOf(id);

before(async () => {
  db = await createTestDatabase('unit-positions');
  await seedDemoSubset(db.pool, { units: 60, roads: false, maxPointsPerUnit: 2 });
  const p = db.pool;
  // Pick open units that have one device each, in id order, and give each a distinct state.
  const open = (
    await p.query(`SELECT u.id FROM units u WHERE u.onboarding_state = 'open' AND u.point IS NOT NULL
                     AND (SELECT count(*) FROM devices d WHERE d.unit_id = u.id) >= 1 ORDER BY u.id LIMIT 4`)
  ).rows.map((r) => Number(r.id));
  assert.equal(open.length, 4, 'the demo subset has open units with devices');
  [picked.fire, picked.fault, picked.offline, picked.normal] = open as [number, number, number, number];
  await p.query(`UPDATE devices SET online = true WHERE unit_id = ANY($1::bigint[])`, [open]);
  await p.query(`UPDATE devices SET online = false WHERE unit_id = $1`, [picked.offline]);
  await p.query(`INSERT INTO alarms (unit_id, kind, priority, region_adcode) SELECT id, 'fire', 1, region_adcode FROM units WHERE id = $1`, [picked.fire]);
  // A fault plus a closed fire: closed alarms do not count.
  await p.query(`INSERT INTO alarms (unit_id, kind, priority, region_adcode) SELECT id, 'fault', 4, region_adcode FROM units WHERE id = $1`, [picked.fault]);
  await p.query(`INSERT INTO alarms (unit_id, kind, priority, region_adcode, state) SELECT id, 'fire', 1, region_adcode, 'closed' FROM units WHERE id = $1`, [picked.fault]);
  // The demo subset may open every unit: make the last one (not among the picked) unopened.
  picked.unopened = Number((await p.query(`SELECT max(id) AS id FROM units WHERE point IS NOT NULL`)).rows[0].id);
  assert.ok(!open.includes(picked.unopened));
  await p.query(`UPDATE units SET onboarding_state = 'collecting' WHERE id = $1`, [picked.unopened]);
  districtCode = Number(
    (await p.query(`SELECT region_adcode FROM units WHERE region_adcode IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`)).rows[0].region_adcode,
  );
  admin = await createTestUser(p, { role: 'admin' });
  district = await createTestUser(p, { role: 'supervisor', regions: [districtCode] });
  unitUser = await createTestUser(p, { role: 'unit_user', units: [picked.fault] });
  server = await startTestServer(db.url, [onboardingFeature({ config: loadOnboardingConfig({}) })]);
  base = server.base;
});
after(async () => {
  await server?.close();
  await db?.drop();
});

describe('GET /api/units/positions', () => {
  it('packs every located unit: ids ascending, Float32 lon/lat, region, flags, map state', async () => {
    const { res, bytes } = await get(admin, '/api/units/positions');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type')?.split(';')[0], UNIT_POSITIONS_CONTENT_TYPE);
    const p = decodeUnitPositions(bytes);
    const rows = (
      await db.pool.query(
        `SELECT id, ST_X(point) AS lon, ST_Y(point) AS lat, COALESCE(region_adcode, 0) AS region, onboarding_state = 'open' AS open,
                has_control_room, high_risk
           FROM units WHERE point IS NOT NULL ORDER BY id`,
      )
    ).rows;
    assert.equal(p.count, rows.length);
    assert.equal(res.headers.get('x-unit-count'), String(rows.length));
    assert.equal(bytes.byteLength, 16 + 18 * rows.length);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      assert.equal(p.ids[i], Number(r.id));
      assert.ok(Math.abs(p.lonLat[2 * i]! - r.lon) < 1e-5 && Math.abs(p.lonLat[2 * i + 1]! - r.lat) < 1e-5, `position of unit ${r.id}`);
      assert.equal(p.regions[i], r.region);
      const f = p.flags[i]!;
      assert.equal((f & UNIT_POSITION_FLAG.open) !== 0, r.open, `open flag of ${r.id}`);
      assert.equal((f & UNIT_POSITION_FLAG.hasControlRoom) !== 0, r.has_control_room);
      assert.equal((f & UNIT_POSITION_FLAG.highRisk) !== 0, r.high_risk);
    }
    const state = (id: number) => p.states[indexOf(p, id)];
    assert.equal(state(picked.fire), UNIT_POSITION_STATE.fire);
    assert.equal(state(picked.fault), UNIT_POSITION_STATE.fault, 'open fault alarm; the closed fire does not count');
    assert.equal(state(picked.offline), UNIT_POSITION_STATE.offline);
    assert.equal(p.flags[indexOf(p, picked.offline)]! & UNIT_POSITION_FLAG.online, 0);
    assert.equal(state(picked.normal), UNIT_POSITION_STATE.normal);
    assert.equal(state(picked.unopened), UNIT_POSITION_STATE.unopened);
  });

  it('is scoped: a district supervisor gets only that district, a unit user only their unit, no session gets 401', async () => {
    const d = decodeUnitPositions((await get(district, '/api/units/positions')).bytes);
    const expected = (
      await db.pool.query(`SELECT id FROM units WHERE point IS NOT NULL AND region_adcode = $1 ORDER BY id`, [districtCode])
    ).rows.map((r) => Number(r.id));
    assert.ok(expected.length > 0);
    assert.deepEqual(Array.from(d.ids), expected);
    assert.ok(d.regions.every((r) => r === districtCode));
    const u = decodeUnitPositions((await get(unitUser, '/api/units/positions')).bytes);
    assert.deepEqual(Array.from(u.ids), [picked.fault]);
    const nobody = await createTestUser(db.pool, { role: 'unit_user' });
    const empty = await get(nobody, '/api/units/positions');
    assert.equal(empty.res.status, 200);
    assert.equal(empty.bytes.byteLength, 16, 'no units: a bare header');
    assert.equal(decodeUnitPositions(empty.bytes).count, 0);
    assert.equal((await get(null, '/api/units/positions')).res.status, 401);
  });

  it('?format=json gives the same columns as arrays', async () => {
    const bin = decodeUnitPositions((await get(admin, '/api/units/positions')).bytes);
    const { res, bytes } = await get(admin, '/api/units/positions?format=json');
    assert.equal(res.status, 200);
    const j = unitPositionsJsonSchema.parse(JSON.parse(new TextDecoder().decode(bytes)));
    assert.equal(j.count, bin.count);
    assert.deepEqual(j.ids, Array.from(bin.ids));
    assert.deepEqual(j.states, Array.from(bin.states));
    assert.deepEqual(j.flags, Array.from(bin.flags));
    assert.ok(j.lonLat.every((x, i) => Math.abs(x - bin.lonLat[i]!) < 1e-5));
    assert.equal((await get(admin, '/api/units/positions?format=xml')).res.status, 400);
  });

  it('ETag: If-None-Match answers 304 without a body until a unit state changes', async () => {
    const first = await get(admin, '/api/units/positions');
    const etag = first.res.headers.get('etag')!;
    assert.match(etag, /^"bin-[\w-]+"$/);
    assert.match(first.res.headers.get('cache-control') ?? '', /private/);
    const again = await get(admin, '/api/units/positions', { 'if-none-match': etag });
    assert.equal(again.res.status, 304);
    assert.equal(again.bytes.byteLength, 0);
    // Another jurisdiction's body differs, so its tag does not validate this one.
    const other = (await get(district, '/api/units/positions')).res.headers.get('etag');
    assert.notEqual(other, etag);
    // A new open alarm changes the unit's state byte → a new body and tag.
    await db.pool.query(`INSERT INTO alarms (unit_id, kind, priority, region_adcode) SELECT id, 'fire', 1, region_adcode FROM units WHERE id = $1`, [picked.normal]);
    const changed = await get(admin, '/api/units/positions', { 'if-none-match': etag });
    assert.equal(changed.res.status, 200);
    assert.notEqual(changed.res.headers.get('etag'), etag);
    const p = decodeUnitPositions(changed.bytes);
    assert.equal(p.states[indexOf(p, picked.normal)], UNIT_POSITION_STATE.fire);
  });

  it('etagMatches follows the weak comparison of If-None-Match', () => {
    assert.ok(etagMatches('"a"', '"a"'));
    assert.ok(etagMatches('W/"a"', '"a"'));
    assert.ok(etagMatches('"x", "a"', '"a"'));
    assert.ok(etagMatches('*', '"a"'));
    assert.ok(!etagMatches('"b"', '"a"'));
    assert.ok(!etagMatches(undefined, '"a"'));
  });
});
