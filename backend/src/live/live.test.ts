import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { serverMessageSchema, type ServerMessage } from '@firelink/common';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import WebSocket from 'ws';
import { BATCH_MAX_BYTES } from './hub.ts';
import { createSession, publishEvents, seedPlace, startLiveServer, TestClient, type LiveServer, type Place } from './test-support.ts';

let db: TestDatabase;
let live: LiveServer;
let place: Place;
let adminToken: string;
let gulouToken: string;

const HIGH_WATER = 64 * 1024;

before(async () => {
  db = await createTestDatabase('live_ws');
  place = await seedPlace(db.pool);
  adminToken = (await createSession(db.pool, { username: 'wall', role: 'admin' })).token;
  gulouToken = (await createSession(db.pool, { username: 'gulou', role: 'supervisor', regions: [320106] })).token;
  live = await startLiveServer(db.url, {
    live: { hub: { highWaterBytes: HIGH_WATER, lowWaterBytes: 16 * 1024, maxConnections: 12, replayPage: 200, lagCheckMs: 20 } },
  });
});
after(async () => {
  await live?.server.close();
  await db?.drop();
});

const publish = (specs: Parameters<typeof publishEvents>[2]) => publishEvents(live, db.pool, specs);

const deltas = (c: TestClient) => c.messages.filter((m) => ['alarm_opened', 'alarm_updated', 'alarm_closed', 'event', 'device_status'].includes(m.type));
const eventIds = (c: TestClient) =>
  c.messages.flatMap((m) => (m.type === 'event' ? [m.event.id] : []));

function assertIncreasing(ms: ServerMessage[]) {
  for (let i = 1; i < ms.length; i++) assert.ok(ms[i]!.id > ms[i - 1]!.id, `stream ids increase (${ms[i - 1]!.id} then ${ms[i]!.id})`);
}

describe('WebSocket /ws', () => {
  it('refuses an upgrade without a session (401)', async () => {
    await assert.rejects(TestClient.connect(live.wsUrl, 'not-a-valid-token-at-all'), /HTTP 401/);
    const ws = new WebSocket(live.wsUrl);
    const status = await new Promise<number>((r) => ws.once('unexpected-response', (_q, res) => r(res.statusCode ?? 0)));
    assert.equal(status, 401);
  });

  it('sends hello, snapshot of open alarms, then deltas carrying the unit coordinates', async () => {
    const u = place.units[0]!;
    await publish([{ kind: 'fault', unit: u, point: u.pointIds[1] }]);
    const c = await TestClient.connect(live.wsUrl, adminToken);
    const hello = await c.waitFor((m) => m.type === 'hello');
    assert.equal(hello.type === 'hello' && hello.user.username, 'wall');
    c.send({ type: 'subscribe', filters: {} });
    const snap = await c.waitFor((m) => m.type === 'snapshot');
    assert.ok(snap.type === 'snapshot' && snap.reason === 'initial' && snap.alarms.some((a) => a.kind === 'fault' && a.unitId === u.id));

    await publish([{ kind: 'fire', unit: u, point: u.pointIds[0] }]);
    const ev = await c.waitFor((m) => m.type === 'event' && m.event.kind === 'fire');
    assert.ok(ev.type === 'event');
    assert.deepEqual(ev.event.lonLatWgs84, u.lonLat);
    assert.equal(ev.event.unitName, '测试单位1');
    assert.equal(ev.event.pointLabel, '1F 感烟 1');
    const opened = await c.waitFor((m) => m.type === 'alarm_opened');
    assert.ok(opened.type === 'alarm_opened' && opened.alarm.kind === 'fire' && opened.alarm.priority === 1);
    assert.deepEqual(opened.alarm.lonLatWgs84, u.lonLat);
    assert.ok(opened.id > snap.id);
    for (const m of c.messages) serverMessageSchema.parse(m);
    assertIncreasing(deltas(c));

    c.send({ type: 'ping', t: 42 });
    const pong = await c.waitFor((m) => m.type === 'pong');
    assert.equal(pong.type === 'pong' && pong.t, 42);
    c.send({ type: 'subscribe', filters: { minPriority: 9 } });
    const err = await c.waitFor((m) => m.type === 'error');
    assert.equal(err.type === 'error' && err.code, 'invalid_message');
    await c.close();
  });

  it('filters by jurisdiction, kinds, minimum priority and bbox', async () => {
    const [xuanwu, gulou] = [place.units[0]!, place.units[1]!];
    const scoped = await TestClient.connect(live.wsUrl, gulouToken);
    scoped.send({ type: 'subscribe', filters: {} });
    const firesOnly = await TestClient.connect(live.wsUrl, adminToken);
    firesOnly.send({ type: 'subscribe', filters: { minPriority: 1 } });
    const box = await TestClient.connect(live.wsUrl, adminToken);
    const [lon, lat] = xuanwu.lonLat;
    box.send({ type: 'subscribe', filters: { bbox: [lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01], kinds: ['supervisory'] } });
    await Promise.all([scoped, firesOnly, box].map((c) => c.waitFor((m) => m.type === 'snapshot')));

    await publish([
      { kind: 'supervisory', unit: xuanwu, point: xuanwu.pointIds[2] },
      { kind: 'supervisory', unit: gulou, point: gulou.pointIds[2] },
      { kind: 'fire', unit: gulou, point: gulou.pointIds[0], description: 'marker' },
    ]);
    await scoped.waitFor((m) => m.type === 'event' && m.event.description === 'marker');
    await firesOnly.waitFor((m) => m.type === 'event' && m.event.description === 'marker');
    await box.waitFor((m) => m.type === 'alarm_opened' && m.alarm.kind === 'supervisory');
    // Everything below arrives before the marker's alarm message on every connection.
    await new Promise((r) => setTimeout(r, 100));

    const regionOf = (m: ServerMessage) =>
      m.type === 'event' ? m.event.regionAdcode : 'alarm' in m ? m.alarm.regionAdcode : m.type === 'device_status' ? m.regionAdcode : null;
    assert.ok(deltas(scoped).length > 0);
    assert.ok(deltas(scoped).every((m) => regionOf(m) === 320106), 'a Gulou supervisor sees only Gulou');
    assert.ok(deltas(firesOnly).every((m) => (m.type === 'event' ? ['fire', 'fire_cleared', 'reset'].includes(m.event.kind) : 'alarm' in m && m.alarm.priority === 1)));
    assert.ok(deltas(box).length > 0);
    assert.ok(deltas(box).every((m) => 'alarm' in m ? m.alarm.unitId === xuanwu.id : m.type === 'event' && m.event.unitId === xuanwu.id));
    await Promise.all([scoped, firesOnly, box].map((c) => c.close()));
  });

  it('batch subscribers get the same deltas, in order and scoped, coalesced into batch frames', async () => {
    const [xuanwu, gulou] = [place.units[0]!, place.units[1]!];
    const single = await TestClient.connect(live.wsUrl, adminToken);
    single.send({ type: 'subscribe', filters: {} });
    const batched = await TestClient.connect(live.wsUrl, adminToken);
    batched.send({ type: 'subscribe', filters: {}, batch: true });
    const scopedBatch = await TestClient.connect(live.wsUrl, gulouToken);
    scopedBatch.send({ type: 'subscribe', filters: {}, batch: true });
    const all = [single, batched, scopedBatch];
    await Promise.all(all.map((c) => c.waitFor((m) => m.type === 'snapshot')));

    const specs = Array.from({ length: 30 }, (_, i) => ({ kind: 'analog_value' as const, unit: i % 2 ? gulou : xuanwu, point: (i % 2 ? gulou : xuanwu).pointIds[1], description: `b${i}` }));
    await publish([...specs, { kind: 'fault', unit: gulou, point: gulou.pointIds[2], description: 'batch-end' }]);
    await Promise.all(all.map((c) => c.waitFor((m) => m.type === 'event' && m.event.description === 'batch-end')));

    const ids = (c: TestClient) => deltas(c).filter((m) => m.type === 'event').map((m) => m.id);
    assert.equal(single.batchFrames, 0, 'clients that did not ask for batches get single messages');
    assert.ok(batched.batchFrames > 0 && batched.batchFrames < 31, `deltas were coalesced (${batched.batchFrames} batch frames for 31 events)`);
    assert.deepEqual(ids(batched), ids(single), 'a batch client sees exactly what a single-message client sees');
    assertIncreasing(deltas(batched));
    for (const m of batched.messages) serverMessageSchema.parse(m);
    const scopedEvents = deltas(scopedBatch).filter((m) => m.type === 'event');
    assert.ok(scopedEvents.length >= 16);
    assert.ok(scopedEvents.every((m) => m.type === 'event' && m.event.regionAdcode === 320106), 'scope applies inside batches');
    await Promise.all(all.map((c) => c.close()));
  });

  it('reconnect with resume misses nothing', async () => {
    const u = place.units[1]!;
    const steady = await TestClient.connect(live.wsUrl, adminToken);
    steady.send({ type: 'subscribe', filters: {} });
    const wall = await TestClient.connect(live.wsUrl, adminToken);
    wall.send({ type: 'subscribe', filters: {} });
    await Promise.all([steady, wall].map((c) => c.waitFor((m) => m.type === 'snapshot')));
    await publish([{ kind: 'fault', unit: u, point: u.pointIds[0] }]);
    await wall.waitFor((m) => m.type === 'alarm_opened');
    const lastSeen = wall.lastId();
    await wall.close(); // the wall loses its network

    const missed = await publish(
      Array.from({ length: 40 }, (_, i) => ({ kind: (i % 2 ? 'fault' : 'host_offline') as 'fault' | 'host_offline', unit: u, point: i % 2 ? u.pointIds[1] : null })),
    );
    await publish([{ kind: 'host_online', unit: u }]);

    const back = await TestClient.connect(live.wsUrl, adminToken);
    back.send({ type: 'subscribe', filters: {}, resumeFrom: lastSeen });
    const sub = await back.waitFor((m) => m.type === 'subscribed');
    assert.equal(sub.type === 'subscribed' && sub.mode, 'resume');
    await back.waitFor((m) => m.type === 'alarm_closed');
    await publish([{ kind: 'fire', unit: u, point: u.pointIds[1], description: 'after-resume' }]);
    await back.waitFor((m) => m.type === 'event' && m.event.description === 'after-resume');
    await steady.waitFor((m) => m.type === 'event' && m.event.description === 'after-resume');

    // Everything the steady client got after lastSeen, the resumed client got too, in order.
    const want = deltas(steady).filter((m) => m.id > lastSeen).map((m) => m.id);
    const got = deltas(back).map((m) => m.id);
    assert.deepEqual(got, want);
    for (const e of missed) assert.ok(eventIds(back).includes(e.id), `event ${e.id} replayed`);
    assert.ok(back.messages.some((m) => m.type === 'device_status' && m.online === false));
    assert.ok(!back.messages.some((m) => m.type === 'snapshot'), 'resume does not need a snapshot');
    await Promise.all([steady, back].map((c) => c.close()));
  });

  for (const batch of [false, true]) it(`a client that stops reading does not grow server memory; it is resynced without loss once it reads again${batch ? ' (batch: true)' : ''}`, async () => {
    const u = place.units[0]!;
    const slow = await TestClient.connect(live.wsUrl, adminToken);
    slow.send({ type: 'subscribe', filters: {}, batch });
    await slow.waitFor((m) => m.type === 'snapshot');
    const firstId = live.parts.hub.headId;
    const socket = (slow.ws as unknown as { _socket: import('node:net').Socket })._socket;
    socket.pause(); // stops reading: the kernel buffers fill, then the server's send buffer

    const filler = 'x'.repeat(4000);
    const published: number[] = [];
    let lagged = false;
    let maxBuffered = 0;
    let maxPending = 0;
    let afterLag = 0;
    for (let round = 0; round < 60 && afterLag < 3; round++) {
      const evs = await publish(Array.from({ length: 250 }, () => ({ kind: 'analog_value' as const, unit: u, description: filler })));
      published.push(...evs.map((e) => e.id));
      const s = live.parts.hub.stats();
      maxBuffered = Math.max(maxBuffered, s.maxBufferedBytes);
      maxPending = Math.max(maxPending, s.maxPending);
      lagged ||= s.byMode.lagging > 0;
      if (lagged) afterLag++;
    }
    assert.ok(lagged, 'the stalled client was detected as lagging');
    // Bounded: the high-water mark plus at most one frame (~4.5 kB) or one batch frame (≤ BATCH_MAX_BYTES + one message) over it.
    assert.ok(maxBuffered <= HIGH_WATER + (batch ? BATCH_MAX_BYTES : 0) + 8 * 1024, `send buffer stayed bounded (max ${maxBuffered} bytes)`);
    assert.ok(maxPending <= live.parts.hub.opts.pendingMax);
    assert.ok(published.length * 4000 > 10 * HIGH_WATER, 'far more was published than the bound');

    socket.resume();
    const last = published[published.length - 1]!;
    await slow.waitFor((m) => m.type === 'event' && m.event.id === last, 20_000);
    const got = new Set(eventIds(slow));
    const missing = published.filter((id) => !got.has(id));
    assert.deepEqual(missing, [], 'every event arrives after the resync');
    assertIncreasing(deltas(slow).filter((m) => m.id > firstId));
    await slow.close();
  });

  it('refuses connections past the limit with 503', async () => {
    const clients: TestClient[] = [];
    for (let i = 0; i < 12; i++) clients.push(await TestClient.connect(live.wsUrl, adminToken));
    await assert.rejects(TestClient.connect(live.wsUrl, adminToken), /HTTP 503/);
    await Promise.all(clients.map((c) => c.close()));
    await new Promise((r) => setTimeout(r, 50));
    const again = await TestClient.connect(live.wsUrl, adminToken);
    await again.close();
  });
});

describe('WebSocket heartbeat', () => {
  it('drops a client that stops answering pings', async () => {
    const hb = await startLiveServer(db.url, { live: { hub: { heartbeatMs: 100 } } });
    try {
      const c = await TestClient.connect(hb.wsUrl, adminToken);
      const socket = (c.ws as unknown as { _socket: import('node:net').Socket })._socket;
      assert.equal(hb.parts.hub.connectionCount, 1);
      socket.pause(); // no more pongs
      const t0 = Date.now();
      while (hb.parts.hub.connectionCount > 0 && Date.now() - t0 < 3000) await new Promise((r) => setTimeout(r, 20));
      assert.equal(hb.parts.hub.connectionCount, 0, 'dropped after a missed pong');
      assert.ok(Date.now() - t0 < 2000);
      socket.destroy();
    } finally {
      await hb.server.close();
    }
  });
});
