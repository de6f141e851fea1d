// The server enforces each alarm kind's procedure (common/src/procedures.ts): steps outside
// the table answer 409 with the refusal code, each step is recorded with who, when, note and
// what it carried.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { alarmDetailSchema, type AlarmDto } from '@firelink/common';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import type { Principal } from '../auth/scope.ts';
import { publishEvents, seedPlace, startLiveServer, type LiveServer, type Place } from '../live/test-support.ts';

let db: TestDatabase;
let live: LiveServer;
let place: Place;
const OP: Principal = { userId: null, username: 'op2', role: 'operator', scope: { kind: 'regions', adcodes: [320100] } };

before(async () => {
  db = await createTestDatabase('alarm_procedures');
  place = await seedPlace(db.pool);
  live = await startLiveServer(db.url, { principal: () => OP, live: { escalationCheckMs: 3600_000 } });
});
after(async () => {
  await live?.server.close();
  await db?.drop();
});

const publish = (specs: Parameters<typeof publishEvents>[2]) => publishEvents(live, db.pool, specs);

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(live.baseUrl + path, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function openAlarm(unitId: number, kind: string): Promise<AlarmDto> {
  const r = await api('GET', `/api/alarms?kind=${kind}&unitId=${unitId}&state=active`);
  const list = r.body.alarms as AlarmDto[];
  assert.equal(list.length, 1, `one active ${kind} alarm`);
  return list[0]!;
}

/** Takes a step and expects 200; returns the alarm after it. */
async function step(a: AlarmDto, name: string, body: Record<string, unknown> = {}): Promise<AlarmDto> {
  const r = await api('POST', `/api/alarms/${a.id}/steps/${name}`, { version: a.version, ...body });
  assert.equal(r.status, 200, `${name}: ${JSON.stringify(r.body)}`);
  return (r.body as { alarm: AlarmDto }).alarm;
}

const CALL = { number: '13800000000', answeredBy: '物业经理张某', outcome: 'confirmed', durationS: 63 };

describe('alarm procedures on the server', () => {
  it('host offline: no verdict, no dispatch; contact, cause, deadline, closed on recovery and confirmation', async () => {
    const u = place.units[0]!;
    await publish([{ kind: 'host_offline', unit: u }]);
    let a = await openAlarm(u.id, 'host_offline');
    assert.equal(a.stage, 'open');
    a = await step(a, 'ack', { note: '已知悉' });
    const verdict = await api('POST', `/api/alarms/${a.id}/verify`, { version: a.version, verdict: 'fire' });
    assert.equal(verdict.status, 409);
    assert.equal(verdict.body.refusal, 'not_in_stage');
    assert.match(String(verdict.body.message), /host_offline alarm at stage acknowledged takes call/);
    const dispatch = await api('POST', `/api/alarms/${a.id}/dispatch`, { version: a.version });
    assert.equal(dispatch.status, 409);
    const noCall = await api('POST', `/api/alarms/${a.id}/steps/call`, { version: a.version });
    assert.equal(noCall.status, 409);
    assert.equal(noCall.body.refusal, 'call_required');

    a = await step(a, 'call', { call: CALL, note: '单位称停电' });
    assert.equal(a.stage, 'contacted');
    const badCause = await api('POST', `/api/alarms/${a.id}/steps/cause`, { version: a.version, cause: 'dust_steam' });
    assert.equal(badCause.status, 409);
    assert.equal(badCause.body.refusal, 'cause_unknown');
    a = await step(a, 'cause', { cause: 'power_cut' });
    assert.equal(a.cause, 'power_cut');
    const deadline = new Date(Date.now() + 48 * 3_600_000).toISOString();
    a = await step(a, 'deadline', { deadlineAt: deadline, note: '限48小时内恢复' });
    assert.equal(a.stage, 'rectifying');
    assert.equal(a.deadlineAt, deadline);
    const early = await api('POST', `/api/alarms/${a.id}/close`, { version: a.version, note: '已恢复' });
    assert.equal(early.status, 409);
    assert.equal(early.body.refusal, 'needs_recovery');

    // Recovery marks the alarm cleared but keeps it open for the operator's confirmation.
    await publish([{ kind: 'host_online', unit: u }]);
    a = await openAlarm(u.id, 'host_offline');
    assert.ok(a.clearedAt);
    assert.equal(a.stage, 'rectifying');
    a = await step(a, 'close', { note: '供电恢复，电话确认主机运行正常' });
    assert.equal(a.state, 'closed');

    const d = alarmDetailSchema.parse((await api('GET', `/api/alarms/${a.id}`)).body);
    const ours = d.steps.filter((s) => s.actorName === 'op2');
    assert.deepEqual(ours.map((s) => s.step), ['acknowledged', 'called', 'cause', 'deadline', 'closed']);
    assert.deepEqual(ours.map((s) => s.note), ['已知悉', '单位称停电', null, '限48小时内恢复', '供电恢复，电话确认主机运行正常']);
    assert.deepEqual(ours[2]!.detail, { cause: 'power_cut' });
    assert.deepEqual(d.calls?.map((c) => [c.number, c.answeredBy, c.outcome, c.durationS, c.actorName]), [['13800000000', '物业经理张某', 'confirmed', 63, 'op2']]);
    const audit = await db.pool.query(`SELECT action FROM audit_log WHERE entity = 'alarm' AND entity_id = $1 AND actor_name = 'op2' ORDER BY id`, [String(a.id)]);
    assert.deepEqual(audit.rows.map((r) => r.action), ['alarm.ack', 'alarm.call', 'alarm.cause', 'alarm.deadline', 'alarm.close']);
  });

  it('fault: follow-up with the fault type default deadline; the clearing signal closes it', async () => {
    const u = place.units[1]!;
    await publish([{ kind: 'mains_power_fault', unit: u, point: u.pointIds[0] }]);
    let a = await openAlarm(u.id, 'fault');
    a = await step(a, 'ack');
    const t0 = Date.now();
    a = await step(a, 'follow_up', { note: '已通知维保单位' });
    assert.equal(a.stage, 'following_up');
    const dh = (Date.parse(a.deadlineAt!) - t0) / 3_600_000;
    assert.ok(dh > 23.9 && dh < 24.1, `mains power fault deadline 24 h (got ${dh})`);
    await publish([{ kind: 'mains_power_restored', unit: u, point: u.pointIds[0] }]);
    const r = await db.pool.query(`SELECT state, stage FROM alarms WHERE id = $1`, [a.id]);
    assert.deepEqual(r.rows[0], { state: 'closed', stage: 'closed' });
  });

  it('supervisory: acknowledge, note (required), close', async () => {
    const u = place.units[1]!;
    await publish([{ kind: 'supervisory', unit: u, point: u.pointIds[1] }]);
    let a = await openAlarm(u.id, 'supervisory');
    a = await step(a, 'ack');
    const close = await api('POST', `/api/alarms/${a.id}/close`, { version: a.version });
    assert.equal(close.status, 409);
    const noNote = await api('POST', `/api/alarms/${a.id}/steps/note`, { version: a.version, note: ' ' });
    assert.equal(noNote.body.refusal, 'note_required');
    a = await step(a, 'note', { note: '阀门已复位' });
    a = await step(a, 'close');
    assert.equal(a.state, 'closed');
  });

  it('false alarms carry a cause from the list and are counted by cause', async () => {
    const u = place.units[0]!;
    for (const [i, cause] of (['dust_steam', 'dust_steam', 'construction'] as const).entries()) {
      await publish([{ kind: 'fire', unit: u, point: u.pointIds[i] }]);
      const list = (await api('GET', `/api/alarms?kind=fire&unitId=${u.id}&state=open`)).body.alarms as AlarmDto[];
      let a = list.find((x) => x.pointId === u.pointIds[i])!;
      a = await step(a, 'ack');
      a = await step(a, 'call', { call: { ...CALL, outcome: 'denied' } });
      const noCause = await api('POST', `/api/alarms/${a.id}/verify`, { version: a.version, verdict: 'false_alarm' });
      assert.equal(noCause.status, 409);
      assert.equal(noCause.body.refusal, 'cause_required');
      a = await step(a, 'verdict', { verdict: 'false_alarm', cause, note: '现场核查无火情' });
      assert.equal(a.cause, cause);
      await step(a, 'close', { note: '已通知单位清洁探测器' });
    }
    const stats = await api('GET', '/api/alarms/false-alarm-causes');
    assert.equal(stats.status, 200);
    assert.deepEqual(stats.body, { rows: [{ cause: 'dust_steam', count: 2 }, { cause: 'construction', count: 1 }], total: 3 });
    const none = await api('GET', `/api/alarms/false-alarm-causes?from=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`);
    assert.deepEqual(none.body, { rows: [], total: 0 });
  });

  it('an unknown step name is a 400', async () => {
    const u = place.units[0]!;
    await publish([{ kind: 'fire', unit: u, point: u.pointIds[0] }]);
    const a = await openAlarm(u.id, 'fire');
    const r = await api('POST', `/api/alarms/${a.id}/steps/bogus`, { version: a.version });
    assert.equal(r.status, 400);
  });
});
