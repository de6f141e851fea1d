// Overdue procedure deadlines against the real database: a host-offline alarm past its
// rectification deadline reminds the unit's contacts by SMS (outbox), alerts the duty chief,
// writes the duty log and makes a follow-up task for the unit's supervisor (the supervision
// room's createManual); a fault past its repair deadline also reminds the maintenance agency
// and makes no task; each deadline is reminded once; closed alarms and future deadlines none.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { createTestUser, ensureRegions } from '../auth/testing.ts';
import { loadConfig } from '../kernel/config.ts';
import { createLogger } from '../logger.ts';
import { startServer, type RunningServer } from '../main.ts';
import type { DeadlineWatch } from './deadlines.ts';
import { dutyFeature } from './feature.ts';

const XUANWU = 320102;
const HOUR = 3_600_000;

describe('overdue procedure deadlines', () => {
  let db: TestDatabase;
  let server: RunningServer;
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
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', FIRELINK_DEMO: '0', DUTY_WATCH_MS: '3600000' });
    server = await startServer({
      config,
      databaseUrl: db.url,
      logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
      features: [dutyFeature({ now: () => clock, expose: (_c, _a, d) => (watch = d) })],
    });
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
});
