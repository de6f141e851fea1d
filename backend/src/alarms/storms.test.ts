// Alarm storms and flapping points, end to end on the real pipeline: committed
// events on the bus → alarm rules → groups in PostgreSQL → REST and the WebSocket stream.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { stormDetailResponseSchema, stormListResponseSchema, stormMessageSchema, type StormGroup } from '@firelink/common';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import type { Principal } from '../auth/scope.ts';
import { ADMIN, TestClient, createSession, publishEvents, seedPlace, startLiveServer, type LiveServer, type Place } from '../live/test-support.ts';

let db: TestDatabase;
let live: LiveServer;
let place: Place;
let clockMs = Date.now();
let principal: Principal = ADMIN;
type Unit = Place['units'][number];

before(async () => {
  db = await createTestDatabase('storms');
  place = await seedPlace(db.pool);
  live = await startLiveServer(db.url, { principal: () => principal, live: { now: () => clockMs, escalationCheckMs: 3600_000 } });
});
after(async () => {
  await live?.server.close();
  await db?.drop();
});

const publish = (specs: Parameters<typeof publishEvents>[2]) => publishEvents(live, db.pool, specs);

async function get(path: string) {
  const res = await fetch(live.baseUrl + path);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** `n` units with a device each in one district (unit-level events only). */
async function seedUnits(n: number, adcode: number, label: string): Promise<Unit[]> {
  const r = await db.pool.query(
    `WITH u AS (
       INSERT INTO units (name, region_adcode, point, onboarding_state)
       SELECT $2 || g, $3, ST_SetSRID(ST_MakePoint(118.77 + g * 0.001, 32.06), 4326), 'open' FROM generate_series(1, $1) g RETURNING id)
     INSERT INTO devices (unit_id, address, online) SELECT id, 700000 + id, true FROM u RETURNING id, unit_id`,
    [n, label, adcode],
  );
  return r.rows.map((x) => ({ id: Number(x.unit_id), deviceId: Number(x.id), pointIds: [], regionAdcode: adcode, lonLat: [118.77, 32.06] as [number, number] }));
}

describe('flapping points', () => {
  it('a point that faults again soon after its clearing stays one alarm with a flap count; held open from the 2nd flap', async () => {
    const u = place.units[0]!;
    const point = u.pointIds[2]!;
    const rowsOfPoint = async () => (await db.pool.query(`SELECT id, state, flap_count, cleared_at, event_count FROM alarms WHERE point_id = $1 AND kind = 'fault' ORDER BY id`, [point])).rows;
    await publish([{ kind: 'fault', unit: u, point }]);
    await publish([{ kind: 'fault_cleared', unit: u, point }]);
    assert.equal((await rowsOfPoint())[0].state, 'closed');
    // Back in fault within the flap window: the same alarm reopens.
    await publish([{ kind: 'fault', unit: u, point }]);
    let rows = await rowsOfPoint();
    assert.equal(rows.length, 1);
    assert.deepEqual([rows[0].state, rows[0].flap_count, rows[0].event_count], ['open', 1, 2]);
    await publish([{ kind: 'fault_cleared', unit: u, point }, { kind: 'fault', unit: u, point }]);
    rows = await rowsOfPoint();
    assert.deepEqual([rows.length, rows[0].state, rows[0].flap_count], [1, 'open', 2]);
    // Flapped twice: a clearing now only marks it cleared; the alarm stays for an operator.
    await publish([{ kind: 'fault_cleared', unit: u, point }]);
    rows = await rowsOfPoint();
    assert.equal(rows[0].state, 'open');
    assert.ok(rows[0].cleared_at);
    await publish([{ kind: 'fault', unit: u, point }, { kind: 'fault_cleared', unit: u, point }, { kind: 'fault', unit: u, point }]);
    rows = await rowsOfPoint();
    assert.deepEqual([rows.length, rows[0].state, rows[0].flap_count, rows[0].cleared_at], [1, 'open', 4, null]);
    const detail = await get(`/api/alarms/${rows[0].id}`);
    assert.equal(detail.status, 200, JSON.stringify(detail.body));
    assert.equal((detail.body.alarm as { flapCount: number }).flapCount, 4);
    const steps = (await db.pool.query(`SELECT step FROM alarm_steps WHERE alarm_id = $1 ORDER BY id`, [rows[0].id])).rows.map((s) => s.step);
    assert.deepEqual(steps.filter((s) => s === 'reopened').length, 2);
    // Closed by an operator: the next fault is a new alarm (only clearings are undone by flapping).
    await db.pool.query(`UPDATE alarms SET state = 'closed', stage = 'closed', closed_at = now(), closed_by = 1 WHERE id = $1`, [rows[0].id]);
    await publish([{ kind: 'fault', unit: u, point }]);
    assert.equal((await rowsOfPoint()).length, 2);
  });

  it('an auto-closed alarm older than the flap window is not reopened', async () => {
    const u = place.units[1]!;
    const point = u.pointIds[0]!;
    await publish([{ kind: 'supervisory', unit: u, point }, { kind: 'supervisory_cleared', unit: u, point }]);
    clockMs += 11 * 60_000;
    await publish([{ kind: 'supervisory', unit: u, point }]);
    const rows = (await db.pool.query(`SELECT state, flap_count FROM alarms WHERE point_id = $1 AND kind = 'supervisory' ORDER BY id`, [point])).rows;
    assert.deepEqual(rows.map((r) => [r.state, r.flap_count]), [['closed', 0], ['open', 0]]);
    clockMs = Date.now();
  });
});

describe('storm groups', () => {
  let gulou: Unit[];
  let xuanwuOperator: Principal;
  let gulouOperator: Principal;
  before(async () => {
    gulou = await seedUnits(30, 320106, '鼓楼风暴单位');
    gulouOperator = { userId: null, username: 'gulou', role: 'operator', scope: { kind: 'regions', adcodes: [320106] } };
    xuanwuOperator = { userId: null, username: 'xuanwu', role: 'operator', scope: { kind: 'regions', adcodes: [320102] } };
  });

  it('many units of one district with mains-power faults within 2 minutes become one group, on the stream and in the API', async () => {
    const { token } = await createSession(db.pool, { username: 'storm-gulou', role: 'operator', regions: [320106] });
    const { token: tokenXw } = await createSession(db.pool, { username: 'storm-xuanwu', role: 'operator', regions: [320102] });
    const client = await TestClient.connect(live.wsUrl, token);
    const other = await TestClient.connect(live.wsUrl, tokenXw);
    for (const c of [client, other]) {
      c.send({ type: 'subscribe', filters: {} });
      await c.waitFor((m) => m.type === 'snapshot');
    }
    // 19 units: below the threshold (20), no group.
    await publish(gulou.slice(0, 19).map((unit) => ({ kind: 'mains_power_fault' as const, unit })));
    assert.equal(Number((await db.pool.query(`SELECT count(*) FROM alarm_groups WHERE scope = 'area'`)).rows[0].count), 0);
    // The 20th forms the group with all 20; later ones join it.
    await publish([{ kind: 'mains_power_fault', unit: gulou[19]! }]);
    await publish(gulou.slice(20, 30).map((unit) => ({ kind: 'mains_power_fault' as const, unit })));
    principal = gulouOperator;
    const list = stormListResponseSchema.parse((await get('/api/alarms/storms')).body);
    const g = list.groups.find((x) => x.scope === 'area')!;
    assert.ok(g, 'an area group');
    assert.deepEqual(
      [g.alarmKind, g.cause, g.regionAdcode, g.regionName, g.units, g.members, g.open, g.endedAt],
      ['fault', 'mains_power_fault', 320106, '鼓楼区', 30, 30, 30, null],
    );
    const detail = stormDetailResponseSchema.parse((await get(`/api/alarms/storms/${g.id}`)).body);
    assert.equal(detail.alarms.length, 30);
    assert.ok(detail.alarms.every((a) => a.kind === 'fault' && a.regionAdcode === 320106));
    // The stream carries the group to 鼓楼's operator, and its latest count within a second.
    const msg = await client.waitFor((m) => m.type === 'storm' && (m as { group: StormGroup }).group.members === 30, 3000);
    assert.ok(stormMessageSchema.safeParse(msg).success);
    // 玄武's operator neither sees it on the stream nor reads it.
    principal = xuanwuOperator;
    assert.equal(stormListResponseSchema.parse((await get('/api/alarms/storms')).body).groups.length, 0);
    assert.equal((await get(`/api/alarms/storms/${g.id}`)).status, 404);
    assert.ok(!other.messages.some((m) => m.type === 'storm'));
    // Restorations close the members; the group then counts none open.
    await publish(gulou.map((unit) => ({ kind: 'mains_power_restored' as const, unit })));
    principal = ADMIN;
    const after = stormDetailResponseSchema.parse((await get(`/api/alarms/storms/${g.id}`)).body);
    assert.equal(after.group.open, 0);
    assert.equal(Number((await db.pool.query(`SELECT count(*) FROM alarms WHERE trigger_kind = 'mains_power_fault'`)).rows[0].count), 30, 'no duplicate alarm');
    await client.close();
    await other.close();
  });

  it('three points of one unit faulting together form a unit group; a group quiet for 10 minutes ends', async () => {
    const u = place.units[1]!;
    principal = ADMIN;
    await publish(u.pointIds.map((point) => ({ kind: 'fault' as const, unit: u, point })));
    const groups = stormListResponseSchema.parse((await get('/api/alarms/storms')).body).groups.filter((x) => x.scope === 'unit');
    assert.equal(groups.length, 1);
    assert.deepEqual([groups[0]!.unitId, groups[0]!.unitName, groups[0]!.members, groups[0]!.cause], [u.id, '测试单位2', 3, 'fault']);
    // 11 minutes later (quiet 10 min), the next alarms at the unit do not join it: it has ended.
    await publish(u.pointIds.map((point) => ({ kind: 'fault_cleared' as const, unit: u, point })));
    clockMs += 11 * 60_000;
    await publish([...u.pointIds, ...u.pointIds].map((point) => ({ kind: 'supervisory' as const, unit: u, point })));
    const ended = (await db.pool.query(`SELECT ended_at FROM alarm_groups WHERE id = $1`, [groups[0]!.id])).rows[0];
    assert.ok(ended.ended_at, 'the quiet fault group ended');
    clockMs = Date.now();
  });
});
