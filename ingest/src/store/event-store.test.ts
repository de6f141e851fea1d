// The store's two write paths against a real PostGIS: the fast path (unlocked read + one
// compare-and-set statement in autocommit) and the locked transaction it falls back to.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { encodeAdu, encodeFrame, FrameDecoder, parseAdu, type Frame } from '../codec/index.ts';
import { EventStore } from './event-store.ts';
import pg from 'pg';
import * as q from './queries.ts';

const DEVICE = 0x0000_0a0b_0c0d;
const STRANGER = 0x0000_0a0b_0c0e;
const POINT = 0x0001_0007;

function frame(serial: number, type: number, objects: object[], source = DEVICE, time = '2026-11-29T10:05:00'): Frame {
  const bytes = encodeFrame({ serial, source, destination: 0, command: 2, adu: encodeAdu({ type, objects }), time });
  const [f] = new FrameDecoder().push(bytes);
  assert.ok(f && !(f instanceof Error));
  return f;
}
const component = (status: number) => [{ systemType: 1, systemAddress: 1, componentType: 42, componentAddress: POINT, status, time: '2026-11-29T10:05:00' }];

describe('EventStore write paths', () => {
  let db: TestDatabase;
  let pointId: number;

  before(async () => {
    db = await createTestDatabase('ingest_store');
    await db.pool.query(`INSERT INTO regions (adcode, name, level) VALUES (330106, '西湖区', 'district') ON CONFLICT (adcode) DO NOTHING`);
    const unit = await db.pool.query(`INSERT INTO units (name, onboarding_state, h3_r9, region_adcode) VALUES ('仓库', 'open', '8931aa42a1bffff', 330106) RETURNING id`);
    const dev = await db.pool.query(`INSERT INTO devices (unit_id, address) VALUES ($1, $2) RETURNING id`, [unit.rows[0].id, DEVICE]);
    const sys = await db.pool.query(`INSERT INTO facility_systems (device_id, system_type, system_address) VALUES ($1, 1, 1) RETURNING id`, [dev.rows[0].id]);
    const pt = await db.pool.query(`INSERT INTO points (unit_id, system_id, component_type, component_address) VALUES ($1, $2, 42, $3) RETURNING id`, [unit.rows[0].id, sys.rows[0].id, POINT]);
    pointId = Number(pt.rows[0].id);
  });

  after(async () => {
    await db?.drop();
  });

  it('fast path: transitions, enrichment and idempotent resends; a batch with an unregistered device takes the transaction', async () => {
    const store = new EventStore(db.pool, { lanes: 1 });
    const fire = frame(1, 2, component(0x0003));
    const normal = frame(2, 2, component(0x0001));
    // One batch: the fire, its resend, then the reset.
    const [a, b, c] = await Promise.all([store.storeFrame(fire, parseAdu(fire.adu), 'p'), store.storeFrame(fire, parseAdu(fire.adu), 'p'), store.storeFrame(normal, parseAdu(normal.adu), 'p')]);
    assert.equal(store.timing.fastBatches, store.timing.batches);
    assert.ok(store.timing.fastBatches >= 1);
    assert.deepEqual([a!.duplicate, b!.duplicate, c!.duplicate], [false, true, false]);
    assert.deepEqual(a!.events.map((e) => e.kind), ['fire']);
    assert.deepEqual(c!.events.map((e) => e.kind), ['fire_cleared']);
    assert.equal(a!.events[0]!.pointId, pointId);
    assert.equal(a!.events[0]!.regionAdcode, 330106);
    assert.equal(a!.events[0]!.h3R9, '8931aa42a1bffff');
    const st = await db.pool.query(`SELECT status FROM ingest_last_status WHERE device_address = $1 AND component_address = $2`, [DEVICE, POINT]);
    assert.equal(st.rows[0].status, 1);
    const p = await db.pool.query(`SELECT state FROM points WHERE id = $1`, [pointId]);
    assert.equal(p.rows[0].state, 'normal');
    // A later resend of the fire: confirmed as a duplicate, nothing new.
    const again = await store.storeFrame(fire, parseAdu(fire.adu), 'p');
    assert.equal(again.duplicate, true);
    assert.equal(again.events.length, 0);

    const fast = store.timing.fastBatches;
    const fault = frame(3, 2, component(0x0005));
    const stranger = frame(1, 2, component(0x0003), STRANGER);
    const [d, e] = await Promise.all([store.storeFrame(fault, parseAdu(fault.adu), 'p'), store.storeFrame(stranger, parseAdu(stranger.adu), 'q')]);
    assert.equal(store.timing.fastBatches, fast, 'the batch with an unregistered device used the transaction');
    assert.deepEqual(d!.events.map((x) => x.kind), ['fault']);
    assert.ok(e!.events.some((x) => x.kind === 'unregistered_device'));
    const n = await db.pool.query(`SELECT count(*)::int AS n FROM events WHERE device_address = $1`, [DEVICE]);
    assert.equal(n.rows[0].n, 3); // fire, fire_cleared, fault
  });

  it('the fast write statement aborts and writes nothing when a receipt appeared or a status moved after the read', async () => {
    const at = new Date().toISOString();
    const event: q.EventRow = {
      dedupe_key: 'gb:test:cas', source: 'gb26875', kind: 'fault', device_id: null, device_address: DEVICE, unit_id: null, point_id: null,
      system_type: 1, system_address: 1, component_type: 42, component_address: POINT, region_adcode: null, h3_r9: null, status: 5,
      value: null, description: null, device_time: null, received_at: at, raw: null, payload: {},
    };
    const key = { address: [DEVICE], aduType: [2], systemType: [1], systemAddress: [1], componentAddress: [POINT] };
    const none = { ids: [], states: [], inFault: [] };
    const noSystems = { deviceId: [], systemType: [], systemAddress: [], status: [] };
    const noHealth = { address: [], hostOffline: [], reason: [], powerLost: [], prevExists: [], prevOffline: [], prevReason: [] };
    const cur = await db.pool.query(`SELECT status FROM ingest_last_status WHERE device_address = $1 AND component_address = $2`, [DEVICE, POINT]);
    const stored = Number(cur.rows[0].status);
    // The read saw another status than the stored one.
    await assert.rejects(
      db.pool.query(q.writeBatchFast({ frames: { address: [DEVICE], serial: [900], timeLabel: ['2026-11-29T11:00:00'], receivedAt: [at] }, status: { ...key, status: [5], prev: [stored + 100] }, pointStates: none, systems: noSystems, health: noHealth, events: [event], at })),
      (err: { code?: string; message: string }) => err.code === '40001' && /status/.test(err.message),
    );
    // The read saw no row, but there is one.
    await assert.rejects(
      db.pool.query(q.writeBatchFast({ frames: { address: [DEVICE], serial: [901], timeLabel: ['2026-11-29T11:00:00'], receivedAt: [at] }, status: { ...key, status: [5], prev: [null] }, pointStates: none, systems: noSystems, health: noHealth, events: [event], at })),
      (err: { code?: string }) => err.code === '40001',
    );
    // The receipt exists already (frame 1 above).
    await assert.rejects(
      db.pool.query(q.writeBatchFast({ frames: { address: [DEVICE], serial: [1], timeLabel: ['2026-11-29T10:05:00'], receivedAt: [at] }, status: { ...key, status: [5], prev: [stored] }, pointStates: none, systems: noSystems, health: noHealth, events: [event], at })),
      (err: { code?: string; message: string }) => err.code === '40001' && /receipt/.test(err.message),
    );
    const left = await db.pool.query(
      `SELECT (SELECT count(*)::int FROM events WHERE dedupe_key = 'gb:test:cas') AS events,
              (SELECT count(*)::int FROM ingest_frames WHERE device_address = $1 AND serial IN (900, 901)) AS receipts,
              (SELECT status FROM ingest_last_status WHERE device_address = $1 AND component_address = $2) AS status`,
      [DEVICE, POINT],
    );
    assert.deepEqual(left.rows[0], { events: 0, receipts: 0, status: stored });
    // With what the read saw still true, it commits everything.
    const ok = await db.pool.query(q.writeBatchFast({ frames: { address: [DEVICE], serial: [900], timeLabel: ['2026-11-29T11:00:00'], receivedAt: [at] }, status: { ...key, status: [5], prev: [stored] }, pointStates: none, systems: noSystems, health: noHealth, events: [event], at }));
    assert.equal(ok.rows[0].ok, true);
    assert.equal(ok.rows[0].events.length, 1);
  });
  it('host power on the fast path: system/UITD status writes by compare-and-set; a state moved after the read sends the batch to the transaction', async () => {
    const store = new EventStore(db.pool, { lanes: 1 });
    try {
      const health = () => db.pool.query(`SELECT host_offline, offline_reason FROM ingest_device_health WHERE device_address = $1`, [DEVICE]).then((r) => r.rows[0] ?? null);
      // UITD power lost (mains + backup): host offline, on the fast path.
      const lost = frame(1000, 21, [{ status: 0x18, time: '2026-11-29T10:06:00' }]);
      const r1 = await store.storeFrame(lost, parseAdu(lost.adu), 'p');
      assert.deepEqual(r1.events.map((e) => e.kind), ['mains_power_fault', 'backup_power_fault', 'host_offline']);
      assert.equal(store.timing.fastBatches, store.timing.batches, 'a host power change is written on the fast path');
      assert.deepEqual(await health(), { host_offline: true, offline_reason: 'power' });
      // A system status word is recorded on the system.
      const sys = frame(1001, 1, [{ systemType: 1, systemAddress: 1, status: 0x0001, time: '2026-11-29T10:06:01' }]);
      await store.storeFrame(sys, parseAdu(sys.adu), 'p');
      const s = await db.pool.query(`SELECT s.status FROM facility_systems s JOIN devices d ON d.id = s.device_id WHERE d.address = $1`, [DEVICE]);
      assert.equal(s.rows[0].status, 1);
      assert.equal(store.timing.fastBatches, store.timing.batches);

      // The write statement refuses a host power state that moved after the read.
      const at = new Date().toISOString();
      const none = { ids: [], states: [], inFault: [] };
      const noSystems = { deviceId: [], systemType: [], systemAddress: [], status: [] };
      const noStatus = { address: [], aduType: [], systemType: [], systemAddress: [], componentAddress: [], status: [], prev: [] };
      const back = { address: [DEVICE], hostOffline: [false], reason: [null], powerLost: [false] };
      const write = (prev: { prevExists: boolean[]; prevOffline: boolean[]; prevReason: Array<string | null> }, serial: number) =>
        db.pool.query(q.writeBatchFast({ frames: { address: [DEVICE], serial: [serial], timeLabel: ['2026-11-29T12:00:00'], receivedAt: [at] }, status: noStatus, pointStates: none, systems: noSystems, health: { ...back, ...prev }, events: [], at }));
      await assert.rejects(write({ prevExists: [true], prevOffline: [false], prevReason: [null] }, 1100), (err: { code?: string; message: string }) => err.code === '40001' && /host power/.test(err.message));
      await assert.rejects(write({ prevExists: [false], prevOffline: [false], prevReason: [null] }, 1101), (err: { code?: string }) => err.code === '40001');
      assert.deepEqual(await health(), { host_offline: true, offline_reason: 'power' }, 'nothing written');
      const receipts = await db.pool.query(`SELECT count(*)::int AS n FROM ingest_frames WHERE device_address = $1 AND serial IN (1100, 1101)`, [DEVICE]);
      assert.equal(receipts.rows[0].n, 0);

      // Through the store: the offline sweep marks the host silent between the fast path's read
      // and its write (a connection that runs it just before the write statement). The write
      // refuses, and the transaction decides against the state it locked: a silent host is not
      // brought back by a status word (no host_online), the sweep's state stays.
      const sweepPool = new pg.Pool({ connectionString: db.url, max: 1 });
      const racing = new EventStore(db.pool, { lanes: 1, fastPathPool: sweepPool });
      const connect = sweepPool.connect.bind(sweepPool) as () => Promise<pg.PoolClient>;
      (sweepPool as unknown as { connect: () => Promise<pg.PoolClient> }).connect = async () => {
        const client = await connect();
        const query = client.query.bind(client) as (q: { name?: string }) => Promise<unknown>;
        (client as unknown as { query: (q: { name?: string }) => Promise<unknown> }).query = async (qq) => {
          if (qq.name?.startsWith('ingest_write_batch_fast')) await db.pool.query(`UPDATE ingest_device_health SET offline_reason = 'silent' WHERE device_address = $1`, [DEVICE]);
          return query(qq);
        };
        return client;
      };
      try {
        const restored = frame(1002, 21, [{ status: 0x00, time: '2026-11-29T10:06:02' }]);
        const r3 = await racing.storeFrame(restored, parseAdu(restored.adu), 'p');
        assert.deepEqual([racing.timing.batches, racing.timing.fastBatches], [1, 0], 'the refused fast write fell back to the transaction');
        assert.ok(!r3.events.some((e) => e.kind === 'host_online' || e.kind === 'host_offline'), 'no host power event');
        assert.ok(r3.events.length > 0, 'the power restorations are stored');
        assert.deepEqual(await health(), { host_offline: true, offline_reason: 'silent' });
        const again = await racing.storeFrame(restored, parseAdu(restored.adu), 'p');
        assert.equal(again.duplicate, true, 'stored once');
      } finally {
        await sweepPool.end();
      }
    } finally {
      await store.close();
    }
  });
  it('events keep no row locks on the registry; deleting a point, device or unit clears its id in the log', async () => {
    // A second unit of its own, so the other tests' rows stay.
    const unit = await db.pool.query(`INSERT INTO units (name, onboarding_state, h3_r9) VALUES ('临时仓库', 'open', '8931aa42a1bffff') RETURNING id`);
    const unitId = Number(unit.rows[0].id);
    const dev = await db.pool.query(`INSERT INTO devices (unit_id, address) VALUES ($1, $2) RETURNING id`, [unitId, STRANGER + 1]);
    const deviceId = Number(dev.rows[0].id);
    const sys = await db.pool.query(`INSERT INTO facility_systems (device_id, system_type, system_address) VALUES ($1, 1, 1) RETURNING id`, [deviceId]);
    const pt = await db.pool.query(`INSERT INTO points (unit_id, system_id, component_type, component_address) VALUES ($1, $2, 42, $3) RETURNING id`, [unitId, sys.rows[0].id, POINT]);
    const lockers = () => db.pool.query(`SELECT (SELECT xmax::text FROM units WHERE id = $1) AS unit, (SELECT xmax::text FROM devices WHERE id = $2) AS device`, [unitId, deviceId]).then((r) => r.rows[0]);
    const before = await lockers();
    const store = new EventStore(db.pool, { lanes: 1 });
    const fire = frame(1, 2, component(0x0003), STRANGER + 1);
    const [stored] = (await store.storeFrame(fire, parseAdu(fire.adu), 'p')).events;
    assert.deepEqual([stored!.unitId, stored!.deviceId, stored!.pointId], [unitId, deviceId, Number(pt.rows[0].id)]);
    // Storing took no lock on the registry rows: their locker (xmax) is the one they had.
    assert.deepEqual(await lockers(), before);
    const ids = () => db.pool.query(`SELECT unit_id, device_id, point_id FROM events WHERE id = $1`, [stored!.id]).then((r) => r.rows[0]);
    await db.pool.query(`DELETE FROM points WHERE id = $1`, [pt.rows[0].id]);
    assert.deepEqual(await ids(), { unit_id: unitId, device_id: deviceId, point_id: null });
    await db.pool.query(`DELETE FROM facility_systems WHERE device_id = $1`, [deviceId]);
    await db.pool.query(`DELETE FROM devices WHERE id = $1`, [deviceId]);
    assert.deepEqual(await ids(), { unit_id: unitId, device_id: null, point_id: null });
    await db.pool.query(`DELETE FROM units WHERE id = $1`, [unitId]);
    assert.deepEqual(await ids(), { unit_id: null, device_id: null, point_id: null });
  });
  it('deleting events by hand removes their alarm links and clears the ids alarms keep of them', async () => {
    const store = new EventStore(db.pool, { lanes: 1 });
    const fire = frame(700, 2, component(0x0003));
    const [e] = (await store.storeFrame(fire, parseAdu(fire.adu), 'p')).events;
    const alarm = await db.pool.query(
      `INSERT INTO alarms (unit_id, kind, priority, first_event_id, last_event_id) VALUES ($1, 'fire', 1, $2, $2) RETURNING id`,
      [e!.unitId, e!.id],
    );
    await db.pool.query(`INSERT INTO alarm_events (alarm_id, event_id) VALUES ($1, $2)`, [alarm.rows[0].id, e!.id]);
    await db.pool.query(`DELETE FROM events WHERE id = $1`, [e!.id]);
    const left = await db.pool.query(
      `SELECT first_event_id, last_event_id, (SELECT count(*)::int FROM alarm_events WHERE alarm_id = a.id) AS links FROM alarms a WHERE id = $1`,
      [alarm.rows[0].id],
    );
    assert.deepEqual(left.rows[0], { first_event_id: null, last_event_id: null, links: 0 });
  });
  it('the fast path keeps one generic plan per statement on connections of its own: nothing is planned per batch', async () => {
    const store = new EventStore(db.pool, { lanes: 1 });
    try {
      for (let serial = 800; serial < 806; serial++) {
        const f = frame(serial, 2, component(serial % 2 ? 0x0001 : 0x0003));
        await store.storeFrame(f, parseAdu(f.adu), 'p');
      }
      assert.equal(store.timing.fastBatches, 6);
      // The one connection of the fast path (lanes: 1) answers for its own prepared statements.
      const fastPool = (store as unknown as { fastPool: typeof db.pool }).fastPool;
      assert.notEqual(fastPool, db.pool);
      const r = await fastPool.query(`SELECT name, generic_plans, custom_plans FROM pg_prepared_statements WHERE name LIKE 'ingest_%' ORDER BY name`);
      assert.deepEqual(r.rows.map((x) => [x.name, Number(x.generic_plans) >= 6, Number(x.custom_plans)]), [
        ['ingest_read_batch_fast_v4', true, 0],
        ['ingest_write_batch_fast_v4', true, 0],
      ]);
    } finally {
      await store.close();
    }
  });
});
