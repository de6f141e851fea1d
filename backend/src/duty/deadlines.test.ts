// Overdue procedure deadlines against the real database: a host-offline alarm past its
// rectification deadline reminds the unit's contacts by SMS (outbox), alerts the duty chief,
// writes the duty log and makes a follow-up task for the unit's supervisor (the supervision
// room's createManual); a fault past its repair deadline also reminds the maintenance agency
// and makes no task; each deadline is reminded once; closed alarms and future deadlines none.
// The watch's follow-up task and the supervision rule's task for the same overdue alarm are one
// task (bug: the watch made a 'manual' task and the 24 h rule a second one for the same alarm).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { createTestUser, ensureRegions } from '../auth/testing.ts';
import { startTestServer, type TestServer } from '../devtools/test-support.ts';
import { SupervisionService } from '../supervision/service.ts';
import type { DeadlineWatch } from './deadlines.ts';
import { dutyFeature } from './feature.ts';

const XUANWU = 320102;
const HOUR = 3_600_000;

describe('overdue procedure deadlines', () => {
  let db: TestDatabase;
  let server: TestServer;
  let watch: DeadlineWatch;
  let unitId: number;
  let chiefId: number;
  const clock = new Date();

  let otherUnit: number;
  const alarm = async (kind: string, deadlineH: number | null, state = 'acknowledged', unit = unitId) =>
    Number(
      (
        await db.pool.query(
          `INSERT INTO alarms (unit_id, kind, priority, state, stage, region_adcode, deadline_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
          [unit, kind, kind === 'fault' ? 4 : 2, state, state === 'closed' ? 'closed' : kind === 'fault' ? 'following_up' : 'rectifying', XUANWU, deadlineH === null ? null : new Date(clock.getTime() + deadlineH * HOUR)],
        )
      ).rows[0].id,
    );

  before(async () => {
    db = await createTestDatabase('duty_deadlines');
    await ensureRegions(db.pool, [XUANWU]);
    const agency = Number((await db.pool.query(`INSERT INTO maintenance_agencies (name, phone) VALUES ('金陵消防维保', '02588880000') RETURNING id`)).rows[0].id);
    const contacts = [
      { role: 'responsible', name: '张总', phone: '13900000001' },
      { role: 'control_room', name: '消控室', phone: '02566660000' },
      { role: 'other', name: '保洁', phone: '13900000009' },
    ];
    unitId = Number(
      (await db.pool.query(`INSERT INTO units (name, region_adcode, onboarding_state, contacts, maintenance_agency_id) VALUES ('新街口商场', $1, 'open', $2, $3) RETURNING id`, [XUANWU, JSON.stringify(contacts), agency])).rows[0].id,
    );
    otherUnit = Number((await db.pool.query(`INSERT INTO units (name, region_adcode, onboarding_state) VALUES ('玄武饭店', $1, 'open') RETURNING id`, [XUANWU])).rows[0].id);
    chiefId = (await createTestUser(db.pool, { role: 'supervisor', regions: [XUANWU] })).userId;
    // The chief is rostered for the city post: it covers the district's units.
    await ensureRegions(db.pool, [320100]);
    await db.pool.query(`INSERT INTO duty_shifts (region_adcode, user_id, duty_role, starts_at, ends_at, phone) VALUES (320100, $1, 'chief', now() - interval '1 hour', now() + interval '7 hours', '13800000002')`, [chiefId]);
    server = await startTestServer(db.url, [dutyFeature({ now: () => clock, expose: (_c, _a, d) => (watch = d) })], { env: { FIRELINK_DEMO: '0', DUTY_WATCH_MS: '3600000' } });
  });

  after(async () => {
    await server?.close();
    await db?.drop();
  });

  it('reminds each overdue deadline once: SMS to the unit (and agency for a fault), the chief, the log; a supervisor task for host offline', async () => {
    const offline = await alarm('host_offline', -2);
    const fault = await alarm('fault', -1);
    await alarm('host_offline', +5, 'acknowledged', otherUnit); // not due yet
    await alarm('off_duty', -3, 'closed'); // closed: nothing
    await alarm('fault', null, 'acknowledged', otherUnit); // no deadline

    const done = await watch.runOnce();
    assert.deepEqual(done.map((d) => d.alarmId).sort((a, b) => a - b), [offline, fault].sort((a, b) => a - b));
    const sms = await db.pool.query(`SELECT recipient, payload FROM outbox WHERE channel = 'sms' ORDER BY payload->>'alarmId', recipient`);
    const byAlarm = (id: number) => sms.rows.filter((r) => Number(r.payload.alarmId) === id).map((r) => r.recipient).sort();
    assert.deepEqual(byAlarm(offline), ['02566660000', '13900000001'], 'the unit\'s responsible person and control room, not "other" contacts');
    assert.deepEqual(byAlarm(fault), ['02566660000', '02588880000', '13900000001'], 'a fault reminds the maintenance agency too');
    assert.match(sms.rows[0].payload.text, /新街口商场：.*期限 \d{4}-\d{2}-\d{2} \d{2}:\d{2} 已过/);
    const chief = await db.pool.query(`SELECT recipient, payload FROM outbox WHERE channel = 'duty_alert' ORDER BY id`);
    assert.deepEqual(chief.rows.map((r) => [r.recipient, r.payload.kind, r.payload.userId]), [
      ['13800000002', 'deadline_overdue', chiefId],
      ['13800000002', 'deadline_overdue', chiefId],
    ]);
    const log = await db.pool.query(`SELECT ref_id FROM duty_log WHERE entry_kind = 'deadline_overdue' ORDER BY ref_id::bigint`);
    assert.equal(log.rows.length, 2);
    // The host-offline deadline became the supervisor's follow-up task; the fault did not.
    const tasks = await db.pool.query(`SELECT id, unit_id, origin, detail FROM supervision_tasks`);
    assert.equal(tasks.rows.length, 1);
    assert.equal(Number(tasks.rows[0].unit_id), unitId);
    assert.match(tasks.rows[0].detail, new RegExp(`主机关机告警 #${offline} 的整改期限`));
    assert.equal(done.find((d) => d.alarmId === offline)!.taskId, Number(tasks.rows[0].id));
    assert.equal(done.find((d) => d.alarmId === fault)!.taskId, null);

    // Once per deadline.
    assert.deepEqual(await watch.runOnce(), []);
    // A new (later) deadline that passes again is reminded again.
    await db.pool.query(`UPDATE alarms SET deadline_at = $2 WHERE id = $1`, [fault, new Date(clock.getTime() - 10 * 60_000)]);
    assert.deepEqual((await watch.runOnce()).map((d) => d.alarmId), [fault]);
  });
  it('one follow-up task per unit and reason: the watch and the supervision rule raise it once between them', async () => {
    const rules = { hostOfflineHours: 24, offDutyHours: 24, faultRepairHours: 72, falseAlarmCount: 3, falseAlarmWindowDays: 30, disabledPointDays: 30 };
    const supervision = new SupervisionService(db.pool, { rules, taskDays: 7, everyMs: 0, now: () => clock });
    const unit = async (name: string) => Number((await db.pool.query(`INSERT INTO units (name, region_adcode, onboarding_state) VALUES ($1, $2, 'open') RETURNING id`, [name, XUANWU])).rows[0].id);
    // Opened 30 h ago: past both the procedure deadline and the rule's 24 h.
    const oldAlarm = async (u: number, kind: string, deadlineH: number) =>
      Number(
        (
          await db.pool.query(
            `INSERT INTO alarms (unit_id, kind, priority, state, stage, region_adcode, opened_at, deadline_at) VALUES ($1, $2, 2, 'acknowledged', 'rectifying', $3, $4, $5) RETURNING id`,
            [u, kind, XUANWU, new Date(clock.getTime() - 30 * HOUR), new Date(clock.getTime() + deadlineH * HOUR)],
          )
        ).rows[0].id,
      );
    const tasksOf = async (u: number) => (await db.pool.query(`SELECT id, reason, origin, evidence, state FROM supervision_tasks WHERE unit_id = $1 ORDER BY id`, [u])).rows;

    // Watch first, then the rule: the rule finds the watch's task.
    const u1 = await unit('鼓楼医院');
    const a1 = await oldAlarm(u1, 'host_offline', -1);
    const first = (await watch.runOnce()).find((d) => d.alarmId === a1)!;
    assert.ok(first.taskId != null);
    await supervision.evaluate();
    let t1 = await tasksOf(u1);
    assert.deepEqual(t1.map((t) => [Number(t.id), t.reason, t.origin]), [[first.taskId, 'host_offline', 'rule']]);
    assert.deepEqual(t1[0].evidence.alarmIds, [a1]);
    // A second deadline of the same alarm passing again: the same task, no second one.
    await db.pool.query(`UPDATE alarms SET deadline_at = $2 WHERE id = $1`, [a1, new Date(clock.getTime() - 10 * 60_000)]);
    assert.equal((await watch.runOnce()).find((d) => d.alarmId === a1)!.taskId, first.taskId);
    t1 = await tasksOf(u1);
    assert.equal(t1.length, 1);

    // Rule first, then the watch: the watch's reminder names the rule's task.
    const u2 = await unit('玄武湖公园');
    const a2 = await oldAlarm(u2, 'off_duty', +1);
    await supervision.evaluate();
    const ruled = await tasksOf(u2);
    assert.deepEqual(ruled.map((t) => [t.reason, t.origin]), [['off_duty', 'rule']]);
    await db.pool.query(`UPDATE alarms SET deadline_at = $2 WHERE id = $1`, [a2, new Date(clock.getTime() - 5 * 60_000)]);
    assert.equal((await watch.runOnce()).find((d) => d.alarmId === a2)!.taskId, Number(ruled[0].id));
    assert.equal((await tasksOf(u2)).length, 1);
    const reminder = await db.pool.query(`SELECT task_id FROM alarm_deadline_reminders WHERE alarm_id = $1`, [a2]);
    assert.equal(Number(reminder.rows[0].task_id), Number(ruled[0].id));
  });
});
