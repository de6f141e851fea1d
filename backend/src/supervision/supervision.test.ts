// Supervision over real HTTP, real PostGIS and real bearer sessions. Alarms come through the
// real pipeline: host offline, a fault, a disabled point and fire alarms as GB/T 26875 frames
// over TCP from a simulated UITD; a missed duty check as a committed event on the bus. The
// rules run on an injected clock: every rule fires, runs are idempotent, overdue tasks
// escalate to the chief once, and a 鼓楼 supervisor sees and touches nothing of 玄武.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { EventBus, TaskDetail, TaskDto } from '@firelink/common';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { SimulatedUitd } from '@firelink/ingest';
import { createTestUser, ensureRegions, type TestUser } from '../auth/testing.ts';
import { startTestServer, waitFor, type TestServer } from '../devtools/test-support.ts';
import { ingestFeature } from '../devices/feature.ts';
import { liveFeature, type LiveParts } from '../pipeline/feature.ts';
import { insertEvents } from '../live/test-support.ts';
import { supervisionFeature } from './feature.ts';
import type { SupervisionService } from './service.ts';

const XUANWU = 320102;
const GULOU = 320106;
const NANJING = 320100;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const DEVICE_X = 880_001;
const DEVICE_X2 = 880_002;


describe('supervision', () => {
  let db: TestDatabase;
  let server: TestServer;
  let gbPort = 0;
  let bus: EventBus;
  let live: LiveParts;
  let service: SupervisionService;
  const t0 = Date.now();
  let clock = new Date(t0);
  let admin: TestUser, operator: TestUser, supX: TestUser, supX2: TestUser, supG: TestUser, chief: TestUser;
  let unitX: number, unitX2: number, unitG: number, deviceX: number;

  const call: TestServer['call'] = (...a) => server.call(...a);
  const tasks = async (user: TestUser, query = 'view=all') => (await call(user, 'GET', `/api/supervision/tasks?${query}`)).body.items as TaskDto[];
  const openAlarms = async (unitId: number, kind: string) =>
    (await db.pool.query(`SELECT id, version, first_event_id FROM alarms WHERE unit_id = $1 AND kind = $2 AND state <> 'closed' ORDER BY id`, [unitId, kind])).rows;

  before(async () => {
    db = await createTestDatabase('supervision');
    const p = db.pool;
    await ensureRegions(p, [XUANWU, GULOU]);
    await p.query(`UPDATE regions SET name = '玄武区' WHERE adcode = $1`, [XUANWU]);
    await p.query(`UPDATE regions SET name = '鼓楼区' WHERE adcode = $1`, [GULOU]);
    const unit = async (name: string, adcode: number, lonLat: [number, number]) =>
      Number(
        (
          await p.query(
            `INSERT INTO units (name, address, region_adcode, point, onboarding_state) VALUES ($1, '中山路1号', $2, ST_SetSRID(ST_MakePoint($3, $4), 4326), 'open') RETURNING id`,
            [name, adcode, lonLat[0], lonLat[1]],
          )
        ).rows[0].id,
      );
    unitX = await unit('新街口百货', XUANWU, [118.797, 32.048]);
    unitX2 = await unit('玄武湖宾馆', XUANWU, [118.79, 32.07]);
    unitG = await unit('鼓楼医院', GULOU, [118.769, 32.066]);
    const device = async (unitId: number, address: number) => {
      const d = Number((await p.query(`INSERT INTO devices (unit_id, address) VALUES ($1, $2) RETURNING id`, [unitId, address])).rows[0].id);
      const s = Number((await p.query(`INSERT INTO facility_systems (device_id, system_type, system_address) VALUES ($1, 1, 1) RETURNING id`, [d])).rows[0].id);
      for (let k = 1; k <= 3; k++) {
        await p.query(`INSERT INTO points (unit_id, system_id, component_type, component_address, floor, label) VALUES ($1, $2, 42, $3, 1, $4)`, [unitId, s, k, `1F 点位 ${k}`]);
      }
      return d;
    };
    deviceX = await device(unitX, DEVICE_X);
    await device(unitX2, DEVICE_X2);
    // 鼓楼医院 opened with a point not yet drawn and its drawings deadline passed (the onboarding rule).
    await p.query(`INSERT INTO points (unit_id, component_type, component_address, label) VALUES ($1, 42, 9, '未标注点位')`, [unitG]);
    await p.query(`UPDATE units SET drawings_due = current_date - 3 WHERE id = $1`, [unitG]);

    admin = await createTestUser(p, { role: 'admin' });
    operator = await createTestUser(p, { role: 'operator', regions: [NANJING] });
    supX = await createTestUser(p, { role: 'supervisor', regions: [XUANWU], username: 'sup_xuanwu' });
    supX2 = await createTestUser(p, { role: 'supervisor', regions: [XUANWU], username: 'sup_xuanwu_2' });
    supG = await createTestUser(p, { role: 'supervisor', regions: [GULOU], username: 'sup_gulou' });
    chief = await createTestUser(p, { role: 'supervisor', regions: [NANJING], username: 'chief_nanjing' });

    server = await startTestServer(
      db.url,
      [
        (ctx) => {
          bus = ctx.bus;
          return { name: 'test-bus' };
        },
        liveFeature({ expose: (x) => (live = x) }),
        ingestFeature({ onStarted: (h) => (gbPort = h.port) }),
        supervisionFeature({
          options: {
            rules: { hostOfflineHours: 24, offDutyHours: 12, faultRepairHours: 72, falseAlarmCount: 3, falseAlarmWindowDays: 30, disabledPointDays: 7 },
            taskDays: 7,
            everyMs: 0,
            now: () => clock,
          },
          expose: (s) => (service = s),
        }),
      ],
      { env: { FIRELINK_DEMO: '0' } },
    );
  });

  after(async () => {
    await server?.close();
    await db?.drop();
  });

  it('responsibility: a chief per supervisor (admin), bulk assignment by region within one jurisdiction, audited', async () => {
    assert.equal((await call(supX, 'PUT', `/api/supervision/supervisors/${supX.userId}/chief`, { chiefId: chief.userId })).status, 403);
    assert.equal((await call(admin, 'PUT', `/api/supervision/supervisors/${supX.userId}/chief`, { chiefId: chief.userId })).status, 200);
    assert.equal((await call(admin, 'PUT', `/api/supervision/supervisors/${supX.userId}/chief`, { chiefId: supX.userId })).status, 400);
    assert.equal((await call(admin, 'PUT', `/api/supervision/supervisors/${operator.userId}/chief`, { chiefId: chief.userId })).status, 404);

    // 鼓楼 cannot assign 玄武, nor be assigned to a 玄武 unit.
    assert.equal((await call(supG, 'POST', '/api/supervision/assign-region', { regionAdcode: XUANWU, supervisorId: supG.userId })).status, 404);
    assert.equal((await call(supG, 'PUT', `/api/supervision/units/${unitX}/responsible`, { supervisorId: supG.userId })).status, 404);
    assert.equal((await call(supX, 'PUT', `/api/supervision/units/${unitX}/responsible`, { supervisorId: supG.userId })).status, 404);
    assert.equal((await call(supX, 'POST', '/api/supervision/assign-region', { regionAdcode: XUANWU, supervisorId: 'x' })).status, 400);

    const bulk = await call(supX, 'POST', '/api/supervision/assign-region', { regionAdcode: XUANWU, supervisorId: supX2.userId, note: '片区划分' });
    assert.equal(bulk.status, 200, JSON.stringify(bulk.body));
    assert.deepEqual([bulk.body.units, bulk.body.changed], [2, 2]);
    // Reassign one unit: audited with the supervisor before.
    const one = await call(supX, 'PUT', `/api/supervision/units/${unitX}/responsible`, { supervisorId: supX.userId, note: '调整' });
    assert.equal(one.status, 200);
    assert.equal((await call(supX, 'POST', '/api/supervision/assign-region', { regionAdcode: XUANWU, supervisorId: supX.userId, onlyUnassigned: true })).body.changed, 0);
    assert.equal((await call(supX, 'PUT', `/api/supervision/units/${unitX2}/responsible`, { supervisorId: supX.userId })).status, 200);
    assert.equal((await call(supG, 'POST', '/api/supervision/assign-region', { regionAdcode: GULOU, supervisorId: supG.userId })).body.changed, 1);

    const audit = await db.pool.query(`SELECT action, entity_id, actor_name, before, after FROM audit_log WHERE action LIKE 'supervision.%' ORDER BY id`);
    const reassign = audit.rows.find((a) => a.action === 'supervision.assign' && a.entity_id === String(unitX));
    assert.ok(reassign, JSON.stringify(audit.rows));
    assert.deepEqual(reassign.before, [{ unitId: unitX, supervisorId: supX2.userId }]);
    assert.equal(reassign.after.supervisorId, supX.userId);
    assert.equal(reassign.actor_name, 'sup_xuanwu');
    assert.ok(audit.rows.some((a) => a.action === 'supervision.chief' && a.after.chiefId === chief.userId));
    assert.ok(audit.rows.some((a) => a.action === 'supervision.assign_region' && a.entity_id === String(XUANWU) && a.after.units.length === 2));

    const resp = await call(supX, 'GET', `/api/supervision/units/${unitX}/responsible`);
    assert.deepEqual([resp.body.supervisorId, resp.body.chiefId], [supX.userId, chief.userId]);
    assert.equal((await call(supG, 'GET', `/api/supervision/units/${unitX}/responsible`)).status, 404);
    const sups = (await call(supG, 'GET', '/api/supervision/supervisors')).body.items as Array<{ id: number }>;
    assert.deepEqual(sups.map((s) => s.id), [supG.userId]);
  });

  it('every rule fires from real alarms on the injected clock; a second run creates nothing', async () => {
    // Over TCP: host power lost (主机关机), a fault, a disabled (屏蔽) point; fires on unitX2.
    const uitd = new SimulatedUitd({ port: gbPort, address: DEVICE_X });
    await uitd.connect();
    await uitd.sendUitdStatus(0x19); // mains + backup power fault: host offline
    await uitd.sendFault({ componentAddress: 1 });
    await uitd.sendComponentStatus({ componentAddress: 2 }, 0x0009); // in operation + disabled
    uitd.close();
    const fires = new SimulatedUitd({ port: gbPort, address: DEVICE_X2 });
    await fires.connect();
    for (const k of [1, 2, 3]) await fires.sendFire({ componentAddress: k });
    fires.close();
    // A missed duty check, committed and published as ingest does.
    const missed = await insertEvents(db.pool, [{ kind: 'duty_check_missed', unit: { id: unitX, deviceId: deviceX, pointIds: [], regionAdcode: XUANWU, lonLat: [0, 0] } }]);
    await bus.publish(missed);
    await live.pipeline.idle();

    await waitFor('host offline alarm', async () => (await openAlarms(unitX, 'host_offline')).length === 1);
    // The power loss also raises a unit-level fault (mains/backup power): two fault alarms.
    await waitFor('fault alarms', async () => (await openAlarms(unitX, 'fault')).length === 2);
    await waitFor('off duty alarm', async () => (await openAlarms(unitX, 'off_duty')).length === 1);
    await waitFor('disabled point', async () => (await db.pool.query(`SELECT 1 FROM points p JOIN facility_systems s ON s.id = p.system_id WHERE s.device_id = $1 AND p.state = 'disabled'`, [deviceX])).rows.length === 1);
    const fireAlarms = await waitFor('three fire alarms', async () => {
      const rows = await openAlarms(unitX2, 'fire');
      return rows.length === 3 && rows;
    });
    // The operator works each fire through the alarm procedure: acknowledge, call the unit, verdict false alarm.
    for (const a of fireAlarms) {
      let version = Number(a.version);
      for (const [step, body] of [
        ['ack', {}],
        ['call', { call: { number: '025-84561234', answeredBy: '值班员', outcome: 'denied', durationS: 40 } }],
        ['verdict', { verdict: 'false_alarm', cause: 'smoking_cooking', note: '厨房油烟' }],
      ] as const) {
        const r = await call(operator, 'POST', `/api/alarms/${a.id}/steps/${step}`, { version, ...body });
        assert.equal(r.status, 200, `${step}: ${JSON.stringify(r.body)}`);
        version = r.body.alarm.version;
      }
    }

    // One hour later: only what does not wait for a deadline.
    clock = new Date(t0 + HOUR);
    const first = await service.runOnce();
    assert.equal(first.created, 2);
    let all = await tasks(admin);
    assert.deepEqual(all.map((t) => [t.unitId, t.reason]).sort(), [
      [unitX2, 'repeated_false_alarms'],
      [unitG, 'drawings_overdue'],
    ].sort());
    const falseTask = all.find((t) => t.reason === 'repeated_false_alarms')!;
    assert.deepEqual(falseTask.evidence.alarmIds, fireAlarms.map((a) => Number(a.id)).sort((a, b) => a - b));
    assert.equal(falseTask.assigneeId, supX.userId);
    assert.equal(all.find((t) => t.reason === 'drawings_overdue')!.evidence.figures.daysLate! >= 2, true);

    // Eight days later: host offline (24 h), off duty (12 h), fault repair (72 h), disabled point (7 d).
    clock = new Date(t0 + 8 * DAY);
    const second = await service.runOnce();
    assert.equal(second.created, 4);
    assert.equal(second.escalated, 1); // the false-alarm task, due at +7 d 1 h
    all = await tasks(admin);
    const ofX = all.filter((t) => t.unitId === unitX);
    assert.deepEqual(ofX.map((t) => t.reason).sort(), ['fault_overdue', 'host_offline', 'off_duty', 'points_disabled']);
    const offline = ofX.find((t) => t.reason === 'host_offline')!;
    const [offlineAlarm] = await openAlarms(unitX, 'host_offline');
    assert.deepEqual(offline.evidence.alarmIds, [Number(offlineAlarm.id)]);
    assert.ok(offline.evidence.eventIds.includes(Number(offlineAlarm.first_event_id)));
    const linked = await db.pool.query(`SELECT event_id FROM alarm_events WHERE alarm_id = $1 ORDER BY event_id`, [offlineAlarm.id]);
    assert.deepEqual(offline.evidence.eventIds, linked.rows.map((r) => Number(r.event_id)));
    const ev = await db.pool.query(`SELECT kind, source FROM events WHERE id = ANY($1::bigint[])`, [offline.evidence.eventIds]);
    assert.deepEqual([...new Set(ev.rows.map((e) => `${e.source}:${e.kind}`))], ['gb26875:host_offline']);
    assert.equal(ofX.find((t) => t.reason === 'points_disabled')!.evidence.pointIds.length, 1);
    assert.deepEqual(ofX.find((t) => t.reason === 'fault_overdue')!.evidence.alarmIds, (await openAlarms(unitX, 'fault')).map((a) => Number(a.id)));
    assert.equal(offline.dueAt, new Date(t0 + 15 * DAY).toISOString());
    assert.ok(ofX.every((t) => t.assigneeId === supX.userId && t.state === 'open'));

    // Idempotent: the same snapshot again creates nothing, and so does a concurrent pair of runs.
    const again = await Promise.all([service.evaluate(), service.evaluate()]);
    assert.deepEqual(again.map((r) => r.created), [0, 0]);
    const n = await db.pool.query(`SELECT count(*)::int AS n FROM supervision_tasks`);
    assert.equal(n.rows[0].n, 6);

    // Notices went to the outbox for the assignees, one per task.
    const notices = await db.pool.query(`SELECT recipient, payload FROM outbox WHERE channel = 'supervision' ORDER BY id`);
    assert.equal(notices.rows.filter((r) => r.payload.kind === 'task_created').length, 6);
    assert.equal(notices.rows.filter((r) => r.recipient === `user:${supX.userId}` && r.payload.kind === 'task_created').length, 5);
    assert.match(String(notices.rows.find((r) => r.payload.taskId === offline.id)!.payload.text), /新街口百货：主机关机\/离线未恢复，请于.*前核查处理/);
  });

  it('scoping: a 鼓楼 supervisor sees and touches nothing of 玄武; other roles get 403', async () => {
    const mineG = await tasks(supG);
    assert.deepEqual(mineG.map((t) => t.unitId), [unitG]);
    assert.deepEqual((await tasks(supG, 'view=all')).map((t) => t.unitId), [unitG]);
    const x = (await tasks(supX)).find((t) => t.reason === 'host_offline')!;
    assert.equal((await call(supG, 'GET', `/api/supervision/tasks/${x.id}`)).status, 404);
    assert.equal((await call(supG, 'POST', `/api/supervision/tasks/${x.id}/transition`, { to: 'in_progress', version: x.version })).status, 404);
    assert.equal((await call(supG, 'POST', `/api/supervision/tasks/${x.id}/notes`, { note: '越权' })).status, 404);
    assert.equal((await call(supG, 'POST', '/api/supervision/tasks', { unitId: unitX, detail: '越权' })).status, 404);
    assert.equal((await call(supG, 'GET', `/api/supervision/tasks?view=all&unit=${unitX}`)).status, 404);
    assert.equal((await call(operator, 'GET', '/api/supervision/tasks')).status, 403);
    assert.equal((await call(supX, 'POST', '/api/supervision/evaluate')).status, 403);
    // A 玄武 colleague reads the task but may not move it.
    const seen = await call(supX2, 'GET', `/api/supervision/tasks/${x.id}`);
    assert.equal(seen.status, 200);
    assert.deepEqual(seen.body.next, []);
    assert.equal((await call(supX2, 'POST', `/api/supervision/tasks/${x.id}/transition`, { to: 'in_progress', version: x.version })).status, 403);
    // A bad body is refused at the boundary.
    assert.equal((await call(supX, 'POST', `/api/supervision/tasks/${x.id}/transition`, { to: 'done', version: x.version })).status, 400);
    assert.equal((await call(supX, 'GET', '/api/supervision/tasks?view=everything')).status, 400);
  });

  it('states follow the table; notes and a task by hand; overdue tasks escalate to the chief once', async () => {
    const mine = await tasks(supX, 'view=mine');
    const x = mine.find((t) => t.reason === 'host_offline')!;
    assert.deepEqual(x.next, ['in_progress']);
    const skip = await call(supX, 'POST', `/api/supervision/tasks/${x.id}/transition`, { to: 'closed', version: x.version });
    assert.equal(skip.status, 409);
    let d = (await call(supX, 'POST', `/api/supervision/tasks/${x.id}/transition`, { to: 'in_progress', version: x.version, note: '已电话联系单位' })).body as TaskDetail;
    assert.equal(d.state, 'in_progress');
    assert.equal((await call(supX, 'POST', `/api/supervision/tasks/${x.id}/transition`, { to: 'checked', version: x.version })).status, 409); // stale version
    d = (await call(supX, 'POST', `/api/supervision/tasks/${x.id}/notes`, { note: '单位称已断电检修' })).body as TaskDetail;
    assert.deepEqual(d.steps.map((s) => s.kind), ['created', 'transition', 'note']);
    assert.equal(d.alarms[0]!.kind, 'host_offline');

    const manual = await call(supX, 'POST', '/api/supervision/tasks', { unitId: unitX, detail: '复查消防控制室值班记录', dueDays: 3 });
    assert.equal(manual.status, 201, JSON.stringify(manual.body));
    assert.deepEqual([manual.body.reason, manual.body.origin, manual.body.assigneeId], ['manual', 'manual', supX.userId]);

    // Past the deadline (created at +8 d with 7 days): escalated to the chief, once.
    const waiting = (await tasks(admin)).filter((t) => t.assigneeId === supX.userId && ['open', 'in_progress', 'checked'].includes(t.state) && t.escalatedAt === null);
    assert.equal(waiting.length, 5); // 4 rule tasks + the one by hand; the false-alarm task escalated at +8 d already
    clock = new Date(t0 + 16 * DAY);
    const r = await service.runOnce();
    assert.equal(r.created, 0);
    assert.equal(r.escalated, waiting.length);
    assert.equal(await service.escalate(), 0);
    const chiefView = await tasks(chief, 'view=mine');
    assert.ok(chiefView.length === 6 && chiefView.every((t) => t.escalatedToName === 'chief_nanjing' && t.overdue));
    const escalations = await db.pool.query(`SELECT recipient, payload FROM outbox WHERE channel = 'supervision' AND payload->>'kind' = 'task_escalated'`);
    assert.equal(escalations.rows.length, 6);
    assert.ok(escalations.rows.every((e) => e.recipient === `user:${chief.userId}`));
    assert.ok((await tasks(supG)).every((t) => t.escalatedAt === null)); // 鼓楼 has no chief
    // The chief may act on an escalated task.
    const y = (await call(chief, 'GET', `/api/supervision/tasks/${x.id}`)).body as TaskDetail;
    assert.deepEqual(y.next, ['checked']);
    for (const to of ['checked', 'rectified', 'closed'] as const) {
      const cur = (await call(chief, 'GET', `/api/supervision/tasks/${x.id}`)).body as TaskDetail;
      const res = await call(to === 'checked' ? chief : supX, 'POST', `/api/supervision/tasks/${x.id}/transition`, { to, version: cur.version, note: to });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
    const audit = await db.pool.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'supervision.task.transition' AND entity_id = $1`, [String(x.id)]);
    assert.equal(audit.rows[0].n, 4);
    // Closed on the same evidence (the host is still off): the rule does not raise it again.
    assert.equal((await service.evaluate()).created, 0);
  });

  it('reassigning a unit hands its unfinished tasks to the new supervisor and tells them', async () => {
    const before = (await tasks(admin)).filter((t) => t.unitId === unitX2 && t.state !== 'closed');
    assert.equal(before.length, 1);
    const res = await call(supX, 'PUT', `/api/supervision/units/${unitX2}/responsible`, { supervisorId: supX2.userId, note: '人员调整' });
    assert.equal(res.status, 200);
    const after = (await tasks(supX2, 'view=mine')).filter((t) => t.unitId === unitX2);
    assert.deepEqual(after.map((t) => [t.id, t.assigneeId, t.escalatedAt]), [[before[0]!.id, supX2.userId, null]]);
    const told = await db.pool.query(`SELECT 1 FROM outbox WHERE channel = 'supervision' AND recipient = $1 AND payload->>'kind' = 'task_reassigned'`, [`user:${supX2.userId}`]);
    assert.equal(told.rows.length, 1);
  });
});
