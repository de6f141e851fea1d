// Per-unit order in the scale-out worker: a unit's events reach the alarm rules in the order
// they were committed even when one of them comes late — a worker died holding it (JetStream
// redelivers it after the ack wait, to another worker) or its ingest node died before
// publishing it (the catch-up sweep finds it). A fault raised, cleared and raised again must
// end with the fault alarm open: the late clearing must not close the alarm the newer raise
// holds open. Real NATS JetStream (a stream of the test's own) and real PostGIS; the worker
// role runs in this process.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { connect } from 'nats';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { configSchema } from '../kernel/config.ts';
import { createLogger } from '../logger.ts';
import { insertEvents, seedPlace, type Place } from '../live/test-support.ts';
import { deleteStream, JetStreamBus } from './jetstream-bus.ts';
import { loadClusterConfig, startRole, type RunningRole } from './roles.ts';
import { NATS_URL, natsReachable } from './test-support.ts';


const skip = (await natsReachable()) ? false : `NATS is not reachable at ${NATS_URL}: start nats-server -js (or set NATS_URL) to run the ordering test`;

describe('scale-out worker: one unit\'s events in commit order after a failure', { skip }, () => {
  let db: TestDatabase;
  let place: Place;
  const streams: string[] = [];
  const logger = createLogger('silent');

  before(async () => {
    db = await createTestDatabase('cluster_order');
    place = await seedPlace(db.pool);
  });
  after(async () => {
    for (const s of streams) await deleteStream(NATS_URL, s).catch(() => {});
    await db?.drop();
  });

  const startWorker = (stream: string): Promise<RunningRole> =>
    startRole('worker', {
      config: configSchema.parse({ PORT: '0', HOST: '127.0.0.1', FIRELINK_DEMO: '0', DUTY_CHECKS_PER_SHIFT: '0', FIRE_ESCALATE_AFTER_S: '3600', LOG_LEVEL: 'fatal' }),
      cluster: loadClusterConfig({ NATS_URL, NATS_STREAM: stream, NATS_ACK_WAIT_S: '2', CLUSTER_SWEEP_MS: '300', CLUSTER_SWEEP_GRACE_S: '2', CLUSTER_LEADER_RETRY_MS: '300' }),
      databaseUrl: db.url,
      logger,
      onLeaderLost: () => {},
    });

  const processed = async (ids: number[], timeoutMs: number) => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const r = await db.pool.query(`SELECT count(*)::int AS n FROM processed_events WHERE event_id = ANY($1::bigint[])`, [ids]);
      if (r.rows[0].n === ids.length) return;
      if (Date.now() > until) assert.fail(`events ${ids.join(', ')} not all processed within ${timeoutMs} ms (${r.rows[0].n})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const faultAlarms = async (pointId: number) =>
    (await db.pool.query(`SELECT id, state, last_event_id FROM alarms WHERE kind = 'fault' AND point_id = $1 ORDER BY id`, [pointId])).rows.map((r) => ({ id: Number(r.id), state: String(r.state), last: Number(r.last_event_id) }));

  /** After raise, clear, raise: the point's one open fault alarm, and its last event the newer raise. */
  async function assertRaiseHeldOpen(point: number, raisedId: number): Promise<void> {
    const alarms = await faultAlarms(point);
    const open = alarms.filter((a) => a.state !== 'closed');
    assert.equal(open.length, 1, `after raise, clear, raise the fault alarm is open (alarms: ${JSON.stringify(alarms)})`);
    assert.equal(open[0]!.last, raisedId, 'its last event is the newer raise');
  }

  /** Raised and processed: the point's fault alarm is open. Returns the point. */
  async function openFault(stream: string, unitIndex: number, pointIndex: number): Promise<{ unit: Place['units'][number]; point: number }> {
    const unit = place.units[unitIndex]!;
    const point = unit.pointIds[pointIndex]!;
    const w = await startWorker(stream);
    try {
      const [e0] = await insertEvents(db.pool, [{ kind: 'fault', unit, point, description: 'fault raised' }]);
      const bus = await JetStreamBus.connect({ url: NATS_URL, stream, name: 'order-test', logger });
      await bus.publish([e0!]);
      await bus.close();
      await processed([e0!.id], 15_000);
    } finally {
      await w.close();
    }
    const open = (await faultAlarms(point)).filter((a) => a.state !== 'closed');
    assert.equal(open.length, 1, 'the first raise opened the fault alarm');
    return { unit, point };
  }

  it('a clearing redelivered after a dead worker\'s ack wait is applied before the newer raise, not after it', { timeout: 60_000 }, async () => {
    const stream = `FLTEST_${randomBytes(4).toString('hex')}`;
    streams.push(stream);
    const { unit, point } = await openFault(stream, 0, 0);
    const [cleared] = await insertEvents(db.pool, [{ kind: 'fault_cleared', unit, point, description: 'fault cleared' }]);
    const bus = await JetStreamBus.connect({ url: NATS_URL, stream, name: 'order-test', logger });
    // A worker takes the clearing from the shared consumer and dies before its ack.
    await bus.publish([cleared!]);
    const nc = await connect({ servers: NATS_URL });
    const dying = await nc.jetstream().consumers.get(stream, 'workers');
    const held = await dying.fetch({ max_messages: 1, expires: 5000 });
    let taken = 0;
    for await (const _m of held) taken++;
    assert.equal(taken, 1, 'the dying worker holds the clearing, unacked');
    await nc.close();
    // Another worker is up; the newer raise comes and goes to it at once, the clearing only after the ack wait.
    const w = await startWorker(stream);
    const [raised] = await insertEvents(db.pool, [{ kind: 'fault', unit, point, description: 'fault raised again' }]);
    await bus.publish([raised!]);
    await bus.close();
    try {
      await processed([cleared!.id, raised!.id], 20_000);
      const b = await JetStreamBus.connect({ url: NATS_URL, stream, name: 'order-test', logger });
      const until = Date.now() + 15_000;
      while (Date.now() < until && (await b.backlog()) > 0) await new Promise((r) => setTimeout(r, 200));
      await b.close();
      await new Promise((r) => setTimeout(r, 500));
      await assertRaiseHeldOpen(point, raised!.id);
    } finally {
      await w.close();
    }
  });

  it('a clearing its ingest node never published (found by the catch-up sweep) is applied before the newer raise, not after it', { timeout: 60_000 }, async () => {
    const stream = `FLTEST_${randomBytes(4).toString('hex')}`;
    streams.push(stream);
    const { unit, point } = await openFault(stream, 1, 0);
    const w = await startWorker(stream);
    try {
      // The clearing is committed, its ingest node dies before publishing; the device's next frame goes through another.
      const [cleared, raised] = await insertEvents(db.pool, [
        { kind: 'fault_cleared', unit, point, description: 'fault cleared, never published' },
        { kind: 'fault', unit, point, description: 'fault raised again' },
      ]);
      const bus = await JetStreamBus.connect({ url: NATS_URL, stream, name: 'order-test', logger });
      await bus.publish([raised!]);
      await bus.close();
      await processed([cleared!.id, raised!.id], 20_000);
      // Past the sweep's grace and a few sweeps: nothing left for it to apply late.
      await new Promise((r) => setTimeout(r, 3000));
      await assertRaiseHeldOpen(point, raised!.id);
    } finally {
      await w.close();
    }
  });

  it('a worker starting after both were committed (its start-up catch-up of raising events) applies the clearing first', { timeout: 60_000 }, async () => {
    const stream = `FLTEST_${randomBytes(4).toString('hex')}`;
    streams.push(stream);
    const { unit, point } = await openFault(stream, 0, 1);
    // Committed while no worker ran and never published: the start-up catch-up takes the raise, the sweep the clearing.
    const [cleared, raised] = await insertEvents(db.pool, [
      { kind: 'fault_cleared', unit, point, description: 'fault cleared while no worker ran' },
      { kind: 'fault', unit, point, description: 'fault raised again while no worker ran' },
    ]);
    const w = await startWorker(stream);
    try {
      await processed([cleared!.id, raised!.id], 20_000);
      await new Promise((r) => setTimeout(r, 3000));
      await assertRaiseHeldOpen(point, raised!.id);
    } finally {
      await w.close();
    }
  });
});
