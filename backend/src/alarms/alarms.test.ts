import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { alarmDetailSchema, alarmListResponseSchema, type AlarmDto } from '@firelink/common';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import type { Principal } from '../auth/scope.ts';
import { ADMIN, insertEvents, publishEvents, seedPlace, startLiveServer, type LiveServer, type Place } from '../live/test-support.ts';

let db: TestDatabase;
let live: LiveServer;
let place: Place;
let clockMs = Date.now();
let principal: Principal = ADMIN;

before(async () => {
  db = await createTestDatabase('alarms');
  place = await seedPlace(db.pool);
  live = await startLiveServer(db.url, { principal: () => principal, live: { now: () => clockMs, escalationCheckMs: 3600_000 } });
});
after(async () => {
  await live?.server.close();
  await db?.drop();
});

const publish = (specs: Parameters<typeof publishEvents>[2]) => publishEvents(live, db.pool, specs);

async function openAlarms(unitId: number, kind: string) {
  const r = await db.pool.query(`SELECT * FROM alarms WHERE unit_id = $1 AND kind = $2 AND state <> 'closed'`, [unitId, kind]);
  return r.rows;
}

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(live.baseUrl + path, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('alarm pipeline', () => {
  it('a fire event opens one alarm at the point; repeats update count and last seen', async () => {
    const u = place.units[0]!;
    const [e1] = await publish([{ kind: 'fire', unit: u, point: u.pointIds[0] }]);
    const [e2] = await publish([{ kind: 'fire', unit: u, point: u.pointIds[0] }]);
    const rows = await openAlarms(u.id, 'fire');
    assert.equal(rows.length, 1);
    assert.equal(rows[0].event_count, 2);
    assert.equal(Number(rows[0].priority), 1);
    assert.equal(Number(rows[0].first_event_id), e1!.id);
    assert.equal(Number(rows[0].last_event_id), e2!.id);
    assert.equal(rows[0].region_adcode, u.regionAdcode);
    const links = await db.pool.query(`SELECT count(*)::int AS n FROM alarm_events WHERE alarm_id = $1`, [rows[0].id]);
    assert.equal(links.rows[0].n, 2);
    const steps = await db.pool.query(`SELECT step FROM alarm_steps WHERE alarm_id = $1`, [rows[0].id]);
    assert.deepEqual(steps.rows.map((s) => s.step), ['opened']);
  });

  it('concurrent duplicate events open exactly one alarm (alarms_one_open_idx)', async () => {
    const u = place.units[1]!;
    const events = await insertEvents(
      db.pool,
      Array.from({ length: 24 }, () => ({ kind: 'fire' as const, unit: u, point: u.pointIds[2] })),
    );
    // 24 transactions racing on the same unit + point + kind, each on its own connection.
    const changes = await Promise.all(events.map((e) => live.parts.alarms.applyEvents([e])));
    const rows = await openAlarms(u.id, 'fire');
    assert.equal(rows.length, 1);
    assert.equal(rows[0].event_count, 24);
    assert.equal(changes.flat().filter((c) => 'change' in c && c.change.type === 'alarm_opened').length, 1);
  });

  it('fault cleared closes an unacknowledged fault alarm; fire cleared only marks the fire alarm', async () => {
    const u = place.units[0]!;
    await publish([{ kind: 'fault', unit: u, point: u.pointIds[1] }]);
    const [fault] = await openAlarms(u.id, 'fault');
    await publish([{ kind: 'fault_cleared', unit: u, point: u.pointIds[1] }]);
    const closed = await db.pool.query(`SELECT state, cleared_at FROM alarms WHERE id = $1`, [fault.id]);
    assert.equal(closed.rows[0].state, 'closed');
    assert.ok(closed.rows[0].cleared_at);

    await publish([{ kind: 'fire_cleared', unit: u, point: u.pointIds[0] }]);
    const [fire] = await openAlarms(u.id, 'fire');
    assert.equal(fire.state, 'open');
    assert.ok(fire.cleared_at, 'fire alarm marked cleared');
    // A new fire event while open un-clears it rather than opening another alarm.
    await publish([{ kind: 'fire', unit: u, point: u.pointIds[0] }]);
    const again = await openAlarms(u.id, 'fire');
    assert.equal(again.length, 1);
    assert.equal(again[0].cleared_at, null);
  });

  it('host back online closes the acknowledged host_offline alarm; a reset closes open supervisory alarms', async () => {
    const u = place.units[1]!;
    await publish([{ kind: 'host_offline', unit: u }]);
    const [off] = await openAlarms(u.id, 'host_offline');
    assert.equal(Number(off.priority), 2);
    const ack = await api('POST', `/api/alarms/${off.id}/ack`, { version: off.version });
    assert.equal(ack.status, 200);
    await publish([{ kind: 'host_online', unit: u }]);
    const r = await db.pool.query(`SELECT state FROM alarms WHERE id = $1`, [off.id]);
    assert.equal(r.rows[0].state, 'closed');

    await publish([{ kind: 'supervisory', unit: u, point: u.pointIds[0] }, { kind: 'duty_check_missed', unit: u }]);
    assert.equal((await openAlarms(u.id, 'supervisory')).length, 1);
    await publish([{ kind: 'reset', unit: u }]);
    assert.equal((await openAlarms(u.id, 'supervisory')).length, 0);
    assert.equal((await openAlarms(u.id, 'off_duty')).length, 1, 'reset does not touch off-duty alarms');
    await publish([{ kind: 'duty_check_answered', unit: u }]);
    assert.equal((await openAlarms(u.id, 'off_duty')).length, 0);
  });
});

describe('catch-up at start', () => {
  it('raising events committed but never processed open their alarm on recover(); processed ones are not replayed', async () => {
    const u = place.units[1]!;
    // Committed by ingest, never published (the process stopped in between).
    const [lost] = await insertEvents(db.pool, [{ kind: 'supervisory', unit: u, point: u.pointIds[1] }]);
    assert.ok((await live.parts.pipeline.recover()) >= 1);
    const rows = await openAlarms(u.id, 'supervisory');
    assert.equal(rows.length, 1);
    assert.equal(Number(rows[0].first_event_id), lost!.id);
    assert.equal(await live.parts.pipeline.recover(), 0);
    assert.equal((await openAlarms(u.id, 'supervisory'))[0].event_count, 1);
  });
});

describe('alarm REST', () => {
  it('lists with filters and gives detail with timeline and steps', async () => {
    const list = await api('GET', '/api/alarms?state=active&kind=fire');
    assert.equal(list.status, 200);
    const parsed = alarmListResponseSchema.parse(list.body);
    assert.ok(parsed.alarms.length >= 2);
    assert.ok(parsed.alarms.every((a) => a.kind === 'fire' && a.state !== 'closed'));
    const u0 = place.units[0]!;
    const inBox = alarmListResponseSchema.parse(
      (await api('GET', `/api/alarms?bbox=${u0.lonLat[0] - 0.001},${u0.lonLat[1] - 0.001},${u0.lonLat[0] + 0.001},${u0.lonLat[1] + 0.001}`)).body,
    );
    assert.ok(inBox.alarms.length > 0 && inBox.alarms.every((a) => a.unitId === u0.id));
    const byRegion = alarmListResponseSchema.parse((await api('GET', '/api/alarms?region=320106')).body);
    assert.ok(byRegion.alarms.length > 0 && byRegion.alarms.every((a) => a.regionAdcode === 320106));
    const bad = await api('GET', '/api/alarms?state=bogus');
    assert.equal(bad.status, 400);

    const fire = parsed.alarms.find((a) => a.unitId === u0.id)!;
    const d = await api('GET', `/api/alarms/${fire.id}`);
    assert.equal(d.status, 200);
    const detail = alarmDetailSchema.parse(d.body);
    assert.equal(detail.alarm.unitName, '测试单位1');
    assert.equal(detail.alarm.pointLabel, '1F 感烟 1');
    assert.equal(detail.alarm.floor, 1);
    assert.deepEqual(detail.alarm.lonLatWgs84, u0.lonLat);
    assert.ok(detail.events.length >= 3, 'timeline has the fire events and the clear');
    assert.ok(detail.events.some((e) => e.kind === 'fire_cleared'));
    assert.deepEqual(detail.steps.map((s) => s.step).slice(0, 2), ['opened', 'cleared']);
  });

  it('ack → verify fire → dispatch → close, with 409 on a stale version and audit rows', async () => {
    const u = place.units[0]!;
    let a = (await api('GET', `/api/alarms?kind=fire&unitId=${u.id}&state=open`)).body.alarms as AlarmDto[];
    const alarm = a[0]!;
    principal = { userId: null, username: 'op1', role: 'operator', scope: { kind: 'regions', adcodes: [320100] } };
    const ack = await api('POST', `/api/alarms/${alarm.id}/ack`, { version: alarm.version, note: '已电话联系' });
    assert.equal(ack.status, 200);
    const acked = (ack.body as { alarm: AlarmDto }).alarm;
    assert.equal(acked.state, 'acknowledged');
    assert.equal(acked.version, alarm.version + 1);

    const stale = await api('POST', `/api/alarms/${alarm.id}/verify`, { version: alarm.version, verdict: 'fire' });
    assert.equal(stale.status, 409);
    assert.equal((stale.body.current as AlarmDto).version, acked.version);
    const early = await api('POST', `/api/alarms/${alarm.id}/dispatch`, { version: acked.version });
    assert.equal(early.status, 409);
    assert.match(String(early.body.message), /fire alarm at stage acknowledged takes call/);

    // The procedure wants the verification call before a verdict.
    const noCall = await api('POST', `/api/alarms/${alarm.id}/verify`, { version: acked.version, verdict: 'fire' });
    assert.equal(noCall.status, 409);
    assert.equal(noCall.body.refusal, 'not_in_stage');
    const called = await api('POST', `/api/alarms/${alarm.id}/steps/call`, {
      version: acked.version,
      note: '消控室确认有烟',
      call: { number: '025-84000000', answeredBy: '值班员李某', outcome: 'confirmed', durationS: 35 },
    });
    assert.equal(called.status, 200, JSON.stringify(called.body));
    const calledAlarm = (called.body as { alarm: AlarmDto }).alarm;
    assert.equal(calledAlarm.state, 'acknowledged');
    assert.equal(calledAlarm.stage, 'called');
    const ver = await api('POST', `/api/alarms/${alarm.id}/verify`, { version: calledAlarm.version, verdict: 'fire', note: '现场确认' });
    assert.equal(ver.status, 200);
    const verified = (ver.body as { alarm: AlarmDto }).alarm;
    assert.equal(verified.verdict, 'fire');
    const ob = await db.pool.query(`SELECT channel, status, payload FROM outbox WHERE ref_entity = 'alarm' AND ref_id = $1`, [String(alarm.id)]);
    assert.equal(ob.rows.length, 1, 'verified fire queued for 119');
    assert.equal(ob.rows[0].payload.alarm.id, alarm.id);

    const dis = await api('POST', `/api/alarms/${alarm.id}/dispatch`, { version: verified.version });
    assert.equal(dis.status, 200);
    const dispatchedVersion = (dis.body as { alarm: AlarmDto }).alarm.version;
    const noOutcome = await api('POST', `/api/alarms/${alarm.id}/close`, { version: dispatchedVersion });
    assert.equal(noOutcome.status, 409, 'a fire alarm closes with its outcome');
    assert.equal(noOutcome.body.refusal, 'note_required');
    const cl = await api('POST', `/api/alarms/${alarm.id}/close`, { version: dispatchedVersion, note: '明火已扑灭，无人员伤亡' });
    assert.equal(cl.status, 200);
    assert.equal((cl.body as { alarm: AlarmDto }).alarm.state, 'closed');

    const steps = await db.pool.query(`SELECT step, actor_name, note FROM alarm_steps WHERE alarm_id = $1 ORDER BY id`, [alarm.id]);
    const ours = steps.rows.filter((s) => s.actor_name === 'op1');
    assert.deepEqual(ours.map((s) => s.step), ['acknowledged', 'called', 'verified', 'dispatched', 'closed']);
    assert.equal(ours[2].note, '现场确认');
    const calls = await db.pool.query(`SELECT number, answered_by, outcome, duration_s, actor_name FROM alarm_calls WHERE alarm_id = $1`, [alarm.id]);
    assert.deepEqual(calls.rows, [{ number: '025-84000000', answered_by: '值班员李某', outcome: 'confirmed', duration_s: 35, actor_name: 'op1' }]);
    const audit = await db.pool.query(`SELECT action FROM audit_log WHERE entity = 'alarm' AND entity_id = $1 AND actor_name = 'op1' ORDER BY id`, [String(alarm.id)]);
    assert.deepEqual(audit.rows.map((r) => r.action), ['alarm.ack', 'alarm.call', 'alarm.verify', 'alarm.dispatch', 'alarm.close']);
    // A new fire at the same point now opens a new alarm (the old one is closed).
    await publish([{ kind: 'fire', unit: u, point: u.pointIds[0] }]);
    a = (await api('GET', `/api/alarms?kind=fire&unitId=${u.id}&state=open`)).body.alarms as AlarmDto[];
    assert.equal(a.length, 1);
    assert.notEqual(a[0]!.id, alarm.id);
  });

  it('scope: another district sees 404, an analyst cannot transition, unauthenticated gets 401', async () => {
    const u = place.units[0]!; // Xuanwu 320102
    principal = ADMIN;
    const a = ((await api('GET', `/api/alarms?kind=fire&unitId=${u.id}&state=open`)).body.alarms as AlarmDto[])[0]!;
    principal = { userId: null, username: 'gulou', role: 'operator', scope: { kind: 'regions', adcodes: [320106] } };
    assert.equal((await api('GET', `/api/alarms/${a.id}`)).status, 404);
    assert.equal((await api('POST', `/api/alarms/${a.id}/ack`, { version: a.version })).status, 404);
    const list = alarmListResponseSchema.parse((await api('GET', '/api/alarms')).body);
    assert.ok(list.alarms.every((x) => x.regionAdcode === 320106));
    principal = { userId: null, username: 'ana', role: 'analyst', scope: { kind: 'all' } };
    assert.equal((await api('POST', `/api/alarms/${a.id}/ack`, { version: a.version })).status, 403);
    principal = undefined as unknown as Principal;
    assert.equal((await api('GET', '/api/alarms')).status, 401);
    principal = ADMIN;
  });

  it('an unacknowledged fire alarm escalates after FIRE_ESCALATE_AFTER_S (injected clock)', async () => {
    const u = place.units[1]!;
    await publish([{ kind: 'fire', unit: u, point: u.pointIds[1] }]);
    const [fire] = (await openAlarms(u.id, 'fire')).filter((r) => Number(r.point_id) === u.pointIds[1]);
    const escalatedAt = async () => (await db.pool.query(`SELECT escalated_at FROM alarms WHERE id = $1`, [fire.id])).rows[0].escalated_at;
    clockMs = Date.parse(fire.opened_at.toISOString()) + 29_000;
    await live.parts.alarms.escalate(); // may escalate older fire alarms of earlier tests, not this one
    assert.equal(await escalatedAt(), null);
    clockMs += 1_000; // default FIRE_ESCALATE_AFTER_S = 30
    assert.ok((await live.parts.alarms.escalate()) >= 1);
    const r = await db.pool.query(`SELECT escalated_at FROM alarms WHERE id = $1`, [fire.id]);
    assert.ok(r.rows[0].escalated_at);
    assert.equal(await live.parts.alarms.escalate(), 0, 'escalates once');
    const steps = await db.pool.query(`SELECT step FROM alarm_steps WHERE alarm_id = $1 ORDER BY id`, [fire.id]);
    assert.deepEqual(steps.rows.map((s) => s.step), ['opened', 'escalated']);
  });
});

// The alarm rules' links, steps and storm memberships carry no foreign key (migration 1902):
// a statement-level trigger removes them with their alarm, as ON DELETE CASCADE did.
describe('deleting alarms', () => {
  it('removes their event links, steps and storm memberships, and no other alarm\'s', async () => {
    const u = place.units[0]!;
    await publish([
      { kind: 'fault', unit: u, point: u.pointIds[0] },
      { kind: 'fault', unit: u, point: u.pointIds[1] },
    ]);
    const [gone, kept] = (await openAlarms(u.id, 'fault')).sort((a, b) => Number(a.point_id) - Number(b.point_id));
    assert.ok(gone && kept, 'two fault alarms opened');
    const group = await db.pool.query(
      `INSERT INTO alarm_groups (scope, alarm_kind, trigger_kind, unit_id, started_at, last_at) VALUES ('unit', 'fault', 'fault', $1, now(), now()) RETURNING id`,
      [u.id],
    );
    await db.pool.query(`INSERT INTO alarm_group_members (group_id, alarm_id, unit_id) VALUES ($1, $2, $4), ($1, $3, $4)`, [group.rows[0].id, gone.id, kept.id, u.id]);
    const tables = ['alarm_events', 'alarm_steps', 'alarm_group_members'];
    const count = async (table: string, alarmId: number) => (await db.pool.query(`SELECT count(*)::int AS n FROM ${table} WHERE alarm_id = $1`, [alarmId])).rows[0].n as number;
    for (const t of tables) assert.ok((await count(t, gone.id)) > 0, `${t} has rows of the alarm before`);
    await db.pool.query(`DELETE FROM alarms WHERE id = $1`, [gone.id]);
    for (const t of tables) {
      assert.equal(await count(t, gone.id), 0, `${t}: the deleted alarm's rows are gone`);
      assert.ok((await count(t, kept.id)) > 0, `${t}: the other alarm's rows are kept`);
    }
  });
});
