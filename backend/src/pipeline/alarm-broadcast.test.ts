// The alarm stage appends and sends a batch's changes while the next batch's rules run: the
// stream keeps the changes in their order and each message shows the state of its own
// change, not a later batch's.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { TestClient, createSession, insertEvents, seedPlace, startLiveServer, type LiveServer, type Place } from '../live/test-support.ts';
import { waitFor } from '../devtools/test-support.ts';

describe('alarm broadcast overlapping the next batch', { timeout: 60_000 }, () => {
  let db: TestDatabase;
  let live: LiveServer;
  let place: Place;
  let token: string;

  before(async () => {
    db = await createTestDatabase('alarm_broadcast');
    place = await seedPlace(db.pool);
    // One event per batch, so that each change below is a batch of its own.
    live = await startLiveServer(db.url, { live: { pipeline: { maxBatch: 1 } } });
    token = (await createSession(db.pool, { username: 'wall-overlap', role: 'admin' })).token;
  });
  after(async () => {
    await live?.server.close();
    await db?.drop();
  });

  /** Delays each batch's stream append and sending by `ms`; counts those under way. */
  function slowBroadcast(ms: number): { inFlight: () => number; restore: () => void } {
    const alarms = live.parts.alarms;
    const publishRows = alarms.publishRows.bind(alarms);
    let inFlight = 0;
    alarms.publishRows = async (rows) => {
      inFlight++;
      await new Promise((r) => setTimeout(r, ms));
      try {
        return await publishRows(rows);
      } finally {
        inFlight--;
      }
    };
    return { inFlight: () => inFlight, restore: () => (alarms.publishRows = publishRows) };
  }

  it('keeps each change in order with its own state while a slow broadcast overlaps the next batch', async () => {
    const c = await TestClient.connect(live.wsUrl, token);
    c.send({ type: 'subscribe', filters: {} });
    await c.waitFor((m) => m.type === 'snapshot');
    // Each batch's broadcast is slowed down; the rules of the next batch run meanwhile.
    const alarms = live.parts.alarms;
    const slow = slowBroadcast(200);
    const applyEvents = alarms.applyEvents.bind(alarms);
    let appliedDuringBroadcast = 0;
    let applied = 0;
    alarms.applyEvents = async (events) => {
      if (slow.inFlight() > 0) appliedDuringBroadcast++;
      try {
        return await applyEvents(events);
      } finally {
        applied++;
      }
    };
    const u = place.units[1]!;
    const point = u.pointIds[2]!;
    const kinds = ['fault', 'fault_cleared', 'fault', 'fault_cleared'] as const;
    try {
      // Committed in order, published together: the alarm stage takes them one batch at a time.
      const events = [];
      for (const kind of kinds) events.push(...(await insertEvents(db.pool, [{ kind, unit: u, point }])));
      await live.bus.publish(events);
      await live.parts.pipeline.idle();
      assert.equal(applied, 4);
    } finally {
      slow.restore();
      alarms.applyEvents = applyEvents;
    }
    assert.ok(appliedDuringBroadcast >= 2, `rules ran during a broadcast ${appliedDuringBroadcast} times`);
    const id = Number((await db.pool.query(`SELECT id FROM alarms WHERE point_id = $1 AND kind = 'fault'`, [point])).rows[0].id);
    const mine = await waitFor('four changes of the alarm on the stream', () => {
      const m = c.messages.flatMap((x) => ((x.type === 'alarm_opened' || x.type === 'alarm_updated' || x.type === 'alarm_closed') && x.alarm.id === id ? [x] : []));
      return m.length >= 4 && m;
    });
    assert.deepEqual(
      mine.map((m) => [m.type, m.alarm.state]),
      [
        ['alarm_opened', 'open'],
        ['alarm_closed', 'closed'],
        ['alarm_opened', 'open'],
        ['alarm_closed', 'closed'],
      ],
    );
    const versions = mine.map((m) => m.alarm.version);
    assert.deepEqual(versions, [...versions].sort((a, b) => a - b));
    assert.equal(new Set(versions).size, 4, `versions ${versions.join(',')}`);
    await c.close();
  });

  // Bug guarded: a batch queued while the stage awaited its last broadcast was left in the
  // queue with no stage running, and idle() spun on it for ever.
  it('takes a batch that arrives while the last broadcast is still being sent', async () => {
    const slow = slowBroadcast(300);
    const u = place.units[0]!;
    try {
      await live.bus.publish(await insertEvents(db.pool, [{ kind: 'fault', unit: u, point: u.pointIds[0] }]));
      await waitFor('the first broadcast under way', () => slow.inFlight() === 1);
      await live.bus.publish(await insertEvents(db.pool, [{ kind: 'fault', unit: u, point: u.pointIds[1] }]));
      await Promise.race([
        live.parts.pipeline.idle(),
        new Promise((_, reject) => setTimeout(() => reject(new Error('the pipeline did not become idle within 5 s')), 5000)),
      ]);
    } finally {
      slow.restore();
    }
    const open = await db.pool.query(`SELECT count(*)::int AS n FROM alarms WHERE unit_id = $1 AND kind = 'fault' AND state = 'open'`, [u.id]);
    assert.equal(open.rows[0].n, 2);
  });
});
