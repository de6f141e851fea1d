// POST /api/alarms/:id/dispatch with stationIds: the alarm transition and DISPATCH's
// records (dispatches rows, station status, audit) commit together or not at all.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { transitionResponseSchema, type AlarmDto } from '@firelink/common';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import type { Principal } from '../auth/scope.ts';
import { ADMIN, insertEvents, seedPlace, startLiveServer, type LiveServer, type Place } from '../live/test-support.ts';

let db: TestDatabase;
let live: LiveServer;
let place: Place;
let principal: Principal = ADMIN;
const stations: Record<'xuanwu1' | 'xuanwu2' | 'broken' | 'gulou', number> = { xuanwu1: 0, xuanwu2: 0, broken: 0, gulou: 0 };

before(async () => {
  db = await createTestDatabase('alarms-dispatch');
  place = await seedPlace(db.pool);
  live = await startLiveServer(db.url, { principal: () => principal, live: { escalationCheckMs: 3600_000 } });
  const add = async (name: string, lon: number, lat: number, adcode: number, status = 'available') =>
    Number(
      (
        await db.pool.query(
          `INSERT INTO stations (name, point, region_adcode, status) VALUES ($1, ST_SetSRID(ST_MakePoint($2, $3), 4326), $4, $5) RETURNING id`,
          [name, lon, lat, adcode, status],
        )
      ).rows[0].id,
    );
  stations.xuanwu1 = await add('玄武一站', 118.8, 32.05, 320102);
  stations.xuanwu2 = await add('玄武二站', 118.81, 32.04, 320102);
  stations.broken = await add('玄武三站', 118.79, 32.06, 320102, 'out_of_service');
  stations.gulou = await add('鼓楼站', 118.76, 32.07, 320106);
});
after(async () => {
  await live?.server.close();
  await db?.drop();
});

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(live.baseUrl + path, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A fresh fire alarm at the unit's point k, acknowledged and verified as fire. */
async function verifiedFire(k: number): Promise<AlarmDto> {
  principal = ADMIN;
  const u = place.units[0]!;
  const events = await insertEvents(db.pool, [{ kind: 'fire', unit: u, point: u.pointIds[k] }]);
  await live.bus.publish(events);
  await live.parts.pipeline.idle();
  const r = await db.pool.query(`SELECT id FROM alarms WHERE point_id = $1 AND state = 'open'`, [u.pointIds[k]]);
  const id = Number(r.rows[0].id);
  const a = (await api('GET', `/api/alarms/${id}`)).body.alarm as AlarmDto;
  const acked = (await api('POST', `/api/alarms/${id}/ack`, { version: a.version })).body.alarm as AlarmDto;
  const called = (
    await api('POST', `/api/alarms/${id}/steps/call`, {
      version: acked.version,
      call: { number: '025-84000000', answeredBy: '保安', outcome: 'confirmed', durationS: 20 },
    })
  ).body.alarm as AlarmDto;
  const v = await api('POST', `/api/alarms/${id}/verify`, { version: called.version, verdict: 'fire' });
  assert.equal(v.status, 200);
  return v.body.alarm as AlarmDto;
}

const stationStatus = async (id: number) => (await db.pool.query(`SELECT status FROM stations WHERE id = $1`, [id])).rows[0].status as string;
const dispatchRows = async (alarmId: number) =>
  (await db.pool.query(`SELECT station_id, by_user, note, eta_s FROM dispatches WHERE alarm_id = $1 ORDER BY station_id`, [alarmId])).rows;

describe('POST /api/alarms/:id/dispatch with stationIds', () => {
  it('records one dispatch per station, marks the stations dispatched and the alarm dispatched, in one transaction', async () => {
    const a = await verifiedFire(0);
    principal = { userId: null, username: 'disp1', role: 'dispatcher', scope: { kind: 'regions', adcodes: [320102] } };
    const res = await api('POST', `/api/alarms/${a.id}/dispatch`, { version: a.version, note: '出动两站', stationIds: [stations.xuanwu2, stations.xuanwu1] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const body = transitionResponseSchema.parse(res.body);
    assert.equal(body.alarm.state, 'dispatched');
    assert.equal(body.alarm.version, a.version + 1);
    assert.deepEqual(body.dispatches?.map((d) => d.stationId).sort((x, y) => x - y), [stations.xuanwu1, stations.xuanwu2].sort((x, y) => x - y));
    assert.ok(body.dispatches!.every((d) => d.etaSeconds !== null && d.etaSeconds > 0), 'ETA from the alarm location');
    const rows = await dispatchRows(a.id);
    assert.equal(rows.length, 2);
    assert.ok(rows.every((r) => r.note === '出动两站'));
    assert.equal(await stationStatus(stations.xuanwu1), 'dispatched');
    assert.equal(await stationStatus(stations.xuanwu2), 'dispatched');
    const audit = await db.pool.query(
      `SELECT action FROM audit_log WHERE actor_name = 'disp1' AND action IN ('alarm.dispatch', 'dispatch.record') ORDER BY id`,
    );
    assert.deepEqual(audit.rows.map((r) => r.action), ['alarm.dispatch', 'dispatch.record', 'dispatch.record']);
  });

  it('a busy or out-of-service station rejects the request and rolls the alarm back to verified', async () => {
    const a = await verifiedFire(1);
    principal = ADMIN;
    // xuanwu1 is still dispatched from the previous test.
    const busy = await api('POST', `/api/alarms/${a.id}/dispatch`, { version: a.version, stationIds: [stations.xuanwu1] });
    assert.equal(busy.status, 409);
    assert.match(String(busy.body.message), /already dispatched/);
    const broken = await api('POST', `/api/alarms/${a.id}/dispatch`, { version: a.version, stationIds: [stations.broken] });
    assert.equal(broken.status, 409);
    assert.match(String(broken.body.message), /out of service/);
    const cur = (await api('GET', `/api/alarms/${a.id}`)).body.alarm as AlarmDto;
    assert.equal(cur.state, 'verified');
    assert.equal(cur.version, a.version, 'the transition was rolled back');
    assert.equal((await dispatchRows(a.id)).length, 0);
    const steps = await db.pool.query(`SELECT step FROM alarm_steps WHERE alarm_id = $1 AND step = 'dispatched'`, [a.id]);
    assert.equal(steps.rows.length, 0);
    assert.equal(await stationStatus(stations.broken), 'out_of_service');
  });

  it('an unknown station is a 404 and nothing changes; without stationIds the transition alone happens', async () => {
    const a = await verifiedFire(2);
    principal = { userId: null, username: 'disp2', role: 'dispatcher', scope: { kind: 'regions', adcodes: [320102] } };
    const out = await api('POST', `/api/alarms/${a.id}/dispatch`, { version: a.version, stationIds: [stations.xuanwu2, 987654] });
    assert.equal(out.status, 404);
    assert.match(String(out.body.message), /987654 do not exist/);
    assert.equal(await stationStatus(stations.xuanwu2), 'dispatched', 'unchanged (still out from the first test)');
    assert.equal(((await api('GET', `/api/alarms/${a.id}`)).body.alarm as AlarmDto).version, a.version);
    const empty = await api('POST', `/api/alarms/${a.id}/dispatch`, { version: a.version, stationIds: [] });
    assert.equal(empty.status, 400, 'an empty list is a client error, not "no stations"');
    const plain = await api('POST', `/api/alarms/${a.id}/dispatch`, { version: a.version });
    assert.equal(plain.status, 200);
    const body = transitionResponseSchema.parse(plain.body);
    assert.equal(body.alarm.state, 'dispatched');
    assert.equal(body.dispatches, undefined);
    assert.equal((await dispatchRows(a.id)).length, 0);
  });

  it('sends a neighbouring district\'s station for the caller\'s alarm (mutual aid), marked in the audit', async () => {
    // A fourth point on the unit (the first three have alarms from the tests above).
    const u = place.units[0]!;
    const pt = await db.pool.query(
      `INSERT INTO points (unit_id, system_id, component_type, component_address, floor, label)
       SELECT unit_id, system_id, 31, 4, 4, '4F 感烟 4' FROM points WHERE id = $1 RETURNING id`,
      [u.pointIds[0]],
    );
    u.pointIds.push(Number(pt.rows[0].id));
    const a = await verifiedFire(3);
    principal = { userId: null, username: 'disp3', role: 'dispatcher', scope: { kind: 'regions', adcodes: [320102] } };
    const res = await api('POST', `/api/alarms/${a.id}/dispatch`, { version: a.version, stationIds: [stations.gulou] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(await stationStatus(stations.gulou), 'dispatched');
    const audit = await db.pool.query(`SELECT after FROM audit_log WHERE actor_name = 'disp3' AND action = 'dispatch.record'`);
    assert.equal(audit.rows[0].after.mutualAid, true);
    assert.equal(audit.rows[0].after.stationId, stations.gulou);
  });
});
