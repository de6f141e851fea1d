// End to end over real TCP into a real PostGIS: confirm after commit, idempotent resends,
// deny on bad checksum, peer isolation, unregistered devices, power loss, duty checks and
// device health.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessEventBus, type StoredEvent } from '@firelink/common';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { encodeAdu, encodeFrame } from '../codec/index.ts';
import { RawPeer } from './raw-peer.ts';
import { EventStore } from '../store/event-store.ts';
import { startGb26875Server, type Gb26875Server } from './gb26875-server.ts';
import { SimulatedUitd } from '../sim/simulated-uitd.ts';
import { DutyChecks } from '../health/duty-checks.ts';
import { DeviceHealth } from '../health/device-health.ts';

const DEVICE = 0x0000_0102_0304;
const POINT = 0x0001_0023;
const T = '2026-11-29T10:05:00';

function upload(serial: number, type: number, objects: object[], source = DEVICE, time = T): Buffer {
  return encodeFrame({ serial, source, destination: 0, command: 2, adu: encodeAdu({ type, objects }), time });
}

describe('GB/T 26875.3 TCP server', () => {
  let db: TestDatabase;
  let server: Gb26875Server;
  let store: EventStore;
  const bus = new InProcessEventBus((err) => {
    throw err;
  });
  const published: StoredEvent[] = [];
  let unitId: number;
  let pointId: number;
  let deviceId: number;

  before(async () => {
    db = await createTestDatabase('ingest_server');
    const unit = await db.pool.query(
      `INSERT INTO units (name, onboarding_state, h3_r9, point) VALUES ('测试大厦', 'open', '8931aa42a1bffff', ST_SetSRID(ST_MakePoint(120.15, 30.28), 4326)) RETURNING id`,
    );
    unitId = Number(unit.rows[0].id);
    const dev = await db.pool.query(`INSERT INTO devices (unit_id, address) VALUES ($1, $2) RETURNING id`, [unitId, DEVICE]);
    deviceId = Number(dev.rows[0].id);
    const sys = await db.pool.query(`INSERT INTO facility_systems (device_id, system_type, system_address) VALUES ($1, 1, 1) RETURNING id`, [deviceId]);
    const pt = await db.pool.query(`INSERT INTO points (unit_id, system_id, component_type, component_address, floor) VALUES ($1, $2, 42, $3, 3) RETURNING id`, [unitId, sys.rows[0].id, POINT]);
    pointId = Number(pt.rows[0].id);
    store = new EventStore(db.pool);
    bus.subscribe(async (events) => {
      // Published only after commit: every event is already visible to another connection.
      const r = await db.pool.query(`SELECT count(*)::int AS n FROM events WHERE id = ANY($1::bigint[])`, [events.map((e) => e.id)]);
      assert.equal(r.rows[0].n, events.length);
      published.push(...events);
    });
    server = await startGb26875Server({ port: 0, host: '127.0.0.1', store, bus, clockSyncOnConnect: false });
  });

  after(async () => {
    await server?.close();
    await db?.drop();
  });

  it('confirms a fire after commit, enriched with unit, point and H3, and publishes it', async () => {
    const uitd = new SimulatedUitd({ port: server.port, address: DEVICE });
    await uitd.connect();
    const r = await uitd.sendFire({ componentAddress: POINT, description: '三层东走廊烟感' }, T);
    assert.equal(r.denied, false);
    assert.equal(r.resends, 0);
    uitd.close();
    const rows = await db.pool.query(`SELECT kind, unit_id, point_id, h3_r9, description, device_time, status FROM events WHERE device_address = $1 ORDER BY id`, [DEVICE]);
    assert.deepEqual(
      rows.rows.map((x) => [x.kind, Number(x.unit_id), Number(x.point_id), x.h3_r9, x.description, x.status]),
      [['fire', unitId, pointId, '8931aa42a1bffff', '三层东走廊烟感', 2]],
    );
    // Device time is the panel's Asia/Shanghai clock.
    assert.equal((rows.rows[0].device_time as Date).toISOString(), '2026-11-29T02:05:00.000Z');
    const fire = published.find((e) => e.kind === 'fire')!;
    assert.equal(fire.unitId, unitId);
    assert.equal(fire.pointId, pointId);
    const p = await db.pool.query(`SELECT state FROM points WHERE id = $1`, [pointId]);
    assert.equal(p.rows[0].state, 'fire');
  });

  it('stores a resend once and confirms both; clears are transitions against the stored status', async () => {
    const peer = await RawPeer.open(server.port);
    const fault = upload(100, 2, [{ systemType: 1, systemAddress: 1, componentType: 42, componentAddress: POINT, status: 0x0005, time: T }], DEVICE, '2026-11-29T10:06:00');
    peer.socket.write(fault);
    await peer.waitFor((f) => f.length >= 1);
    peer.socket.write(fault); // the device did not see the confirm and resends
    await peer.waitFor((f) => f.length >= 2);
    assert.deepEqual(peer.frames.map((f) => [f.command, f.serial, f.source, f.destination]), [
      [3, 100, 0, DEVICE],
      [3, 100, 0, DEVICE],
    ]);
    // Back to normal: the fault and the fire drop.
    peer.socket.write(upload(101, 2, [{ systemType: 1, systemAddress: 1, componentType: 42, componentAddress: POINT, status: 0x0001, time: T }], DEVICE, '2026-11-29T10:07:00'));
    await peer.waitFor((f) => f.length >= 3);
    peer.socket.destroy();
    const rows = await db.pool.query(`SELECT kind FROM events WHERE device_address = $1 AND payload->>'serial' IN ('100', '101') ORDER BY id`, [DEVICE]);
    assert.deepEqual(rows.rows.map((x) => x.kind).sort(), ['fault', 'fault_cleared', 'fire_cleared']);
    const p = await db.pool.query(`SELECT state, in_fault FROM points WHERE id = $1`, [pointId]);
    assert.deepEqual(p.rows[0], { state: 'normal', in_fault: false });
  });

  it('a resend that arrives while the original is still being committed is confirmed and stored once', async () => {
    const peer = await RawPeer.open(server.port);
    const frame = upload(200, 3, [{ systemType: 11, systemAddress: 1, componentType: 99, componentAddress: 5, analogType: 4, value: 6, time: T }], DEVICE, '2026-11-29T10:09:00');
    peer.socket.write(Buffer.concat([frame, frame, frame]));
    await peer.waitFor((f) => f.filter((x) => x.serial === 200).length >= 3);
    peer.socket.destroy();
    const rows = await db.pool.query(`SELECT count(*)::int AS n FROM events WHERE device_address = $1 AND payload->>'serial' = '200'`, [DEVICE]);
    assert.equal(rows.rows[0].n, 1);
  });

  it('talks to a device that sends its frames as ASCII hex text, and answers it in kind', async () => {
    const uitd = new SimulatedUitd({ port: server.port, address: DEVICE, asciiHex: true });
    await uitd.connect();
    const r = await uitd.sendFault({ componentAddress: POINT, componentType: 42 }, '2026-11-29T10:08:30');
    assert.equal(r.denied, false, 'confirmed (the confirm came back as hex text the device could read)');
    assert.equal(r.resends, 0);
    const back = await uitd.sendNormal({ componentAddress: POINT, componentType: 42 }, '2026-11-29T10:08:40');
    assert.equal(back.denied, false);
    uitd.close();
    const rows = await db.pool.query(`SELECT kind FROM events WHERE device_address = $1 AND device_time >= '2026-11-29T02:08:30Z' ORDER BY id`, [DEVICE]);
    assert.deepEqual(rows.rows.map((x) => x.kind), ['fault', 'fault_cleared']);
  });

  it('denies a bad checksum, and one misbehaving peer does not disturb another', async () => {
    const bad = await RawPeer.open(server.port);
    const good = await RawPeer.open(server.port);
    bad.socket.write(encodeFrame({ serial: 5, source: DEVICE + 1, destination: 0, command: 2, adu: encodeAdu({ type: 28, objects: [{ time: T }] }), time: T }, { badChecksum: true }));
    await bad.waitFor((f) => f.length >= 1);
    assert.deepEqual([bad.frames[0]!.command, bad.frames[0]!.serial, bad.frames[0]!.destination], [6, 5, DEVICE + 1]);
    // Now flood garbage: the server closes that peer once its garbage budget (64 KiB) is spent.
    bad.socket.write(Buffer.alloc(70 * 1024, 0x11));
    await bad.waitFor(() => bad.closed);
    good.socket.write(upload(1, 21, [{ status: 0x01, time: T }], DEVICE, '2026-11-29T10:08:00'));
    await good.waitFor((f) => f.some((x) => x.command === 3 && x.serial === 1));
    good.socket.destroy();
  });

  it('stores frames from an unregistered device and surfaces it', async () => {
    const stranger = 0x0000_0999_0001;
    const peer = await RawPeer.open(server.port);
    peer.socket.write(upload(1, 2, [{ systemType: 1, systemAddress: 1, componentType: 42, componentAddress: 9, status: 0x0002, time: T }], stranger));
    await peer.waitFor((f) => f.length >= 1);
    peer.socket.write(upload(2, 2, [{ systemType: 1, systemAddress: 1, componentType: 42, componentAddress: 9, status: 0x0000, time: T }], stranger));
    await peer.waitFor((f) => f.length >= 2);
    peer.socket.destroy();
    const rows = await db.pool.query(`SELECT kind, device_id FROM events WHERE device_address = $1 ORDER BY id`, [stranger]);
    assert.deepEqual(rows.rows.map((x) => [x.kind, x.device_id]), [
      ['fire', null],
      ['unregistered_device', null],
      ['fire_cleared', null],
    ]);
    const raw = await db.pool.query(`SELECT count(*)::int AS n FROM raw_frames WHERE device_address = $1 AND reason = 'unregistered_device'`, [stranger]);
    assert.equal(raw.rows[0].n, 2);
  });

  it('raises host offline when mains and backup power are lost, and clears it when power returns', async () => {
    const uitd = new SimulatedUitd({ port: server.port, address: DEVICE });
    await uitd.connect();
    await uitd.sendUitdStatus(0x19, '2026-11-29T11:00:00'); // normal + mains + backup power fault
    await uitd.sendUitdStatus(0x01, '2026-11-29T11:01:00');
    uitd.close();
    const rows = await db.pool.query(
      `SELECT kind FROM events WHERE device_address = $1 AND kind IN ('host_offline', 'host_online', 'mains_power_fault', 'backup_power_restored') ORDER BY id`,
      [DEVICE],
    );
    assert.deepEqual(rows.rows.map((x) => x.kind), ['mains_power_fault', 'host_offline', 'backup_power_restored', 'host_online']);
  });

  it('sends duty checks, records answers with their response time, and raises missed ones', async () => {
    const answering = new SimulatedUitd({ port: server.port, address: DEVICE, dutyAnswer: { probability: 1, minDelayMs: 50, maxDelayMs: 60 } });
    await answering.connect();
    await answering.sendHeartbeat(); // the server learns which connection is this device
    const duty = new DutyChecks({ pool: db.pool, store, server, bus, policy: { shiftHours: 8, perShift: 1, timeoutMinutes: 1 } });
    assert.equal(await duty.sendNow([DEVICE]), 1);
    const until = Date.now() + 5000;
    let answered: { response_s: number } | undefined;
    while (!answered && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
      answered = (await db.pool.query(`SELECT response_s FROM duty_checks WHERE device_id = $1 AND answered_at IS NOT NULL`, [deviceId])).rows[0];
    }
    assert.ok(answered && answered.response_s > 0 && answered.response_s < 5, `response ${answered?.response_s}`);
    const ev = await db.pool.query(`SELECT payload FROM events WHERE kind = 'duty_check_answered' AND device_id = $1`, [deviceId]);
    assert.equal(ev.rows.length, 1);
    assert.equal(ev.rows[0].payload.late, false);
    answering.close();

    const silent = new SimulatedUitd({ port: server.port, address: DEVICE, dutyAnswer: { probability: 0, minDelayMs: 0, maxDelayMs: 0 } });
    await silent.connect();
    await silent.sendHeartbeat();
    assert.equal(await duty.sendNow([DEVICE]), 1);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(silent.stats.dutyChecks, 1);
    silent.close();
    // Two minutes later (the timeout is one minute) the check is missed.
    const later = new DutyChecks({ pool: db.pool, store, server, bus, policy: { shiftHours: 8, perShift: 1, timeoutMinutes: 1 }, now: () => new Date(Date.now() + 120_000) });
    assert.equal(await later.markMissed(), 1);
    assert.equal(await later.markMissed(), 0);
    const missed = published.filter((e) => e.kind === 'duty_check_missed');
    assert.equal(missed.length, 1);
    assert.equal(missed[0]!.unitId, unitId);
  });

  it('tracks online/offline from traffic: silence raises host offline, traffic clears it', async () => {
    let clock = Date.now();
    const health = new DeviceHealth({ pool: db.pool, store, bus, offlineAfterS: 60, now: () => new Date(clock) });
    health.touch(DEVICE, '127.0.0.1:1');
    await health.flush();
    const d1 = await db.pool.query(`SELECT online FROM devices WHERE id = $1`, [deviceId]);
    assert.equal(d1.rows[0].online, true);
    clock += 61_000;
    await health.sweep();
    clock += 1_000;
    await health.sweep(); // raised once, not per sweep
    health.touch(DEVICE, '127.0.0.1:2');
    await health.flush();
    const kinds = published.filter((e) => e.deviceAddress === DEVICE && (e.kind === 'host_offline' || e.kind === 'host_online') && e.payload.reason !== 'power' && e.payload.reason !== 'power_restored');
    assert.deepEqual(kinds.map((e) => [e.kind, e.payload.reason]), [
      ['host_offline', 'silent'],
      ['host_online', 'traffic'],
    ]);
    const d2 = await db.pool.query(`SELECT online, last_peer FROM devices WHERE id = $1`, [deviceId]);
    assert.deepEqual(d2.rows[0], { online: true, last_peer: '127.0.0.1:2' });
  });
});
