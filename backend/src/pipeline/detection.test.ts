// Detection from every signal GB/T 26875.3 carries, end to end: frames
// from a simulated UITD over real TCP → the event store (real PostgreSQL) → the bus → the
// pipeline and the alarm rules. Each signal raises the right alarm with the right reason:
// the UITD's monitored-line fault (type 21 bit 6, a switched-off panel) takes the host
// offline with reason line_fault; the panel's mains + backup power (type 1) with reason
// panel_power; the panel's single power fault and bus fault are faults; the UITD's manual
// alarm (type 24 bit 2) is a fire-priority alarm; a disabled (屏蔽) point opens a spell
// with its start time and the clearing signal ends it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ALARM_PRIORITY } from '@firelink/common';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { SimulatedUitd } from '@firelink/ingest';
import { alarmFromRow } from '../alarms/dto.ts';
import { alarmsByIds } from '../alarms/queries.ts';
import { ensureRegions } from '../auth/testing.ts';
import { ingestFeature } from '../devices/feature.ts';
import { startTestServer, waitFor, type TestServer } from '../devtools/test-support.ts';
import { liveFeature, type LiveParts } from './feature.ts';

const XUANWU = 320102;

describe('detection over TCP: each signal raises the right alarm with the right reason', () => {
  let db: TestDatabase;
  let server: TestServer;
  let gbPort = 0;
  let live: LiveParts;
  let nextAddress = 990_001;

  /** A unit with one UITD (system 1/1, points 1–3), connected over TCP. */
  const unitWithUitd = async (name: string) => {
    const p = db.pool;
    const unitId = Number(
      (
        await p.query(
          `INSERT INTO units (name, address, region_adcode, point, onboarding_state) VALUES ($1, '中山路1号', $2, ST_SetSRID(ST_MakePoint(118.79, 32.05), 4326), 'open') RETURNING id`,
          [name, XUANWU],
        )
      ).rows[0].id,
    );
    const address = nextAddress++;
    const deviceId = Number((await p.query(`INSERT INTO devices (unit_id, address) VALUES ($1, $2) RETURNING id`, [unitId, address])).rows[0].id);
    const s = Number((await p.query(`INSERT INTO facility_systems (device_id, system_type, system_address) VALUES ($1, 1, 1) RETURNING id`, [deviceId])).rows[0].id);
    const points: number[] = [];
    for (let k = 1; k <= 3; k++) {
      const r = await p.query(`INSERT INTO points (unit_id, system_id, component_type, component_address, floor, label) VALUES ($1, $2, 42, $3, 1, $4) RETURNING id`, [unitId, s, k, `1F 感烟 ${k}`]);
      points.push(Number(r.rows[0].id));
    }
    const uitd = new SimulatedUitd({ port: gbPort, address });
    await uitd.connect();
    return { unitId, deviceId, address, points, uitd };
  };

  /** The unit's alarms of a kind with how they were raised (first event's kind and payload). */
  const alarmsOf = async (unitId: number, kind: string) =>
    (
      await db.pool.query(
        `SELECT a.id, a.state, a.stage, a.priority, a.point_id, a.cleared_at, e.kind AS first_kind, e.payload AS first_payload
           FROM alarms a LEFT JOIN events e ON e.id = a.first_event_id
          WHERE a.unit_id = $1 AND a.kind = $2 ORDER BY a.id`,
        [unitId, kind],
      )
    ).rows;

  before(async () => {
    db = await createTestDatabase('detection');
    await ensureRegions(db.pool, [XUANWU]);
    server = await startTestServer(db.url, [liveFeature({ expose: (x) => (live = x) }), ingestFeature({ onStarted: (h) => (gbPort = h.port) })], {
      env: { FIRELINK_DEMO: '0', DUTY_CHECKS_PER_SHIFT: '0' },
    });
  });

  after(async () => {
    await server?.close();
    await db?.drop();
  });

  it('the UITD monitored-line fault (type 21 bit 6) takes the host offline with reason line_fault, not a fault; its end brings the host back', async () => {
    const u = await unitWithUitd('线路故障单位');
    await u.uitd.sendUitdStatus(0x41); // normal + monitored-line fault: the panel was switched off
    const [alarm] = await waitFor('host offline alarm', async () => {
      const rows = await alarmsOf(u.unitId, 'host_offline');
      return rows.length === 1 && rows;
    });
    assert.equal(alarm.first_kind, 'host_offline');
    assert.equal(alarm.first_payload.reason, 'line_fault');
    const dto = alarmFromRow((await db.pool.query(alarmsByIds([Number(alarm.id)]))).rows[0]);
    assert.equal(dto.reason, 'line_fault', 'the alarm DTO names why the host went offline');
    assert.equal(alarm.priority, ALARM_PRIORITY.host_offline);
    assert.equal(alarm.state, 'open');
    const health = await db.pool.query(`SELECT host_offline, offline_reason FROM ingest_device_health WHERE device_address = $1`, [u.address]);
    assert.deepEqual(health.rows[0], { host_offline: true, offline_reason: 'line_fault' });
    await live.pipeline.idle();
    assert.deepEqual(await alarmsOf(u.unitId, 'fault'), [], 'a line fault is a host-offline alarm, not a fault');

    await u.uitd.sendUitdStatus(0x01); // the panel is back
    await waitFor('host offline cleared', async () => (await alarmsOf(u.unitId, 'host_offline'))[0]?.cleared_at != null);
    const back = await db.pool.query(`SELECT payload FROM events WHERE device_address = $1 AND kind = 'host_online'`, [u.address]);
    assert.deepEqual(back.rows.map((r) => r.payload.reason), ['line_fault_restored']);
    // Nobody worked on it: the clearing signal closes it (the host-offline procedure's closeOnClear).
    assert.equal((await alarmsOf(u.unitId, 'host_offline'))[0].state, 'closed');
    u.uitd.close();
  });

  it('the panel losing mains and backup power (type 1 bits 8 + 9) takes the host offline with reason panel_power', async () => {
    const u = await unitWithUitd('主机断电单位');
    await u.uitd.sendSystemStatus(0x0301); // normal + mains + backup power fault
    const [alarm] = await waitFor('host offline alarm', async () => {
      const rows = await alarmsOf(u.unitId, 'host_offline');
      return rows.length === 1 && rows;
    });
    assert.equal(alarm.first_payload.reason, 'panel_power');
    assert.equal(alarmFromRow((await db.pool.query(alarmsByIds([Number(alarm.id)]))).rows[0]).reason, 'panel_power');
    // A UITD status frame cannot bring back a host whose panel has no power.
    await u.uitd.sendUitdStatus(0x01);
    await live.pipeline.idle();
    const health = await db.pool.query(`SELECT host_offline, offline_reason FROM ingest_device_health WHERE device_address = $1`, [u.address]);
    assert.deepEqual(health.rows[0], { host_offline: true, offline_reason: 'panel_power' });
    await u.uitd.sendSystemStatus(0x0001);
    await waitFor('host back', async () => (await alarmsOf(u.unitId, 'host_offline'))[0]?.cleared_at != null);
    const back = await db.pool.query(`SELECT payload FROM events WHERE device_address = $1 AND kind = 'host_online'`, [u.address]);
    assert.deepEqual(back.rows.map((r) => r.payload.reason), ['panel_power_restored']);
    u.uitd.close();
  });

  it('the UITD losing its own power keeps reason power; a line fault during it takes over when the power returns', async () => {
    const u = await unitWithUitd('传输装置断电单位');
    await u.uitd.sendUitdStatus(0x19); // mains + backup power fault
    await waitFor('host offline', async () => (await alarmsOf(u.unitId, 'host_offline')).length === 1);
    await u.uitd.sendUitdStatus(0x41); // power back, but the line to the panel is down
    await live.pipeline.idle();
    const health = await db.pool.query(`SELECT host_offline, offline_reason FROM ingest_device_health WHERE device_address = $1`, [u.address]);
    assert.deepEqual(health.rows[0], { host_offline: true, offline_reason: 'line_fault' });
    const events = await db.pool.query(`SELECT kind, payload->>'reason' AS reason FROM events WHERE device_address = $1 AND kind IN ('host_offline', 'host_online') ORDER BY id`, [u.address]);
    assert.deepEqual(events.rows, [
      { kind: 'host_offline', reason: 'power' },
      { kind: 'host_offline', reason: 'line_fault' },
    ]);
    const alarms = await alarmsOf(u.unitId, 'host_offline');
    assert.equal(alarms.length, 1, 'the same host-offline alarm, not a second one');
    assert.equal(alarms[0].cleared_at, null);
    u.uitd.close();
  });

  it("the panel's single power fault and its bus fault (type 1) are fault alarms with their reason", async () => {
    const u = await unitWithUitd('主机故障单位');
    await u.uitd.sendSystemStatus(0x0101); // mains power fault only: runs on batteries
    const [mains] = await waitFor('fault alarm', async () => {
      const rows = await alarmsOf(u.unitId, 'fault');
      return rows.length === 1 && rows;
    });
    assert.equal(mains.first_kind, 'mains_power_fault');
    assert.equal(mains.point_id, null, 'a unit-level fault');
    assert.deepEqual(await alarmsOf(u.unitId, 'host_offline'), [], 'one power source left: the host is not offline');
    // Mains back (closes the fault: its clearing signal), then the bus fails.
    await u.uitd.sendSystemStatus(0x0001);
    await waitFor('fault closed', async () => (await alarmsOf(u.unitId, 'fault'))[0]?.state === 'closed');
    await u.uitd.sendSystemStatus(0x0401);
    const bus = await waitFor('bus fault alarm', async () => {
      const rows = (await alarmsOf(u.unitId, 'fault')).filter((a) => a.state !== 'closed');
      return rows.length === 1 && rows[0];
    });
    assert.equal(bus.first_kind, 'fault');
    assert.equal(bus.first_payload.bit, 'busFault');
    u.uitd.close();
  });

  it("the UITD's manual alarm (type 24 bit 2) raises the unit's fire alarm, fire priority, fire procedure", async () => {
    const u = await unitWithUitd('手动报警单位');
    await u.uitd.sendUpload(24, [{ operationFlags: 0x04, operator: 7, time: '2026-12-04T10:00:00' }]);
    const [fire] = await waitFor('fire alarm', async () => {
      const rows = await alarmsOf(u.unitId, 'fire');
      return rows.length === 1 && rows;
    });
    assert.equal(fire.first_kind, 'manual_alarm');
    assert.equal(fire.priority, ALARM_PRIORITY.fire);
    assert.equal(fire.stage, 'open');
    assert.equal(fire.first_payload.operator, 7);
    // A plain operation record (self-test, bit 4) raises nothing.
    await u.uitd.sendUpload(24, [{ operationFlags: 0x10, operator: 7, time: '2026-12-04T10:01:00' }]);
    await live.pipeline.idle();
    const kinds = await db.pool.query(`SELECT kind FROM events WHERE device_address = $1 ORDER BY id`, [u.address]);
    assert.deepEqual(kinds.rows.map((r) => r.kind), ['manual_alarm', 'operation']);
    assert.equal((await alarmsOf(u.unitId, 'fire')).length, 1);
    u.uitd.close();
  });

  it('a disabled (屏蔽) point opens a spell with its start (a point, or a whole system); the clearing signal ends it', async () => {
    const u = await unitWithUitd('屏蔽点位单位');
    await u.uitd.sendComponentStatus({ componentAddress: 2, componentType: 42 }, 0x0009); // in operation + disabled
    const spell = await waitFor('disabled spell', async () => (await db.pool.query(`SELECT * FROM disabled_spells WHERE unit_id = $1`, [u.unitId])).rows[0]);
    assert.equal(Number(spell.point_id), u.points[1]);
    assert.equal(spell.until, null);
    const since = (spell.since as Date).toISOString();
    // The whole system disabled too (type 1 bit 3): a spell without a component.
    await u.uitd.sendSystemStatus(0x0009);
    await waitFor('system spell', async () => (await db.pool.query(`SELECT 1 FROM disabled_spells WHERE unit_id = $1 AND component_address IS NULL`, [u.unitId])).rows.length === 1);
    await u.uitd.sendComponentStatus({ componentAddress: 2, componentType: 42 }, 0x0001); // enabled again
    const ended = await waitFor('spell ended', async () => (await db.pool.query(`SELECT * FROM disabled_spells WHERE unit_id = $1 AND point_id IS NOT NULL`, [u.unitId])).rows.find((r) => r.until));
    assert.equal((ended.since as Date).toISOString(), since);
    assert.ok(ended.until > ended.since);
    const rows = await db.pool.query(`SELECT count(*)::int AS n, count(*) FILTER (WHERE until IS NULL)::int AS open FROM disabled_spells WHERE unit_id = $1`, [u.unitId]);
    assert.deepEqual(rows.rows[0], { n: 2, open: 1 });
    u.uitd.close();
  });
});
