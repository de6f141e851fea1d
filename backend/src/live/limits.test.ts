// Upgrades that must always be answered, and the per-socket, per-user and per-IP limits of /ws.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WS_CLOSE } from '@firelink/common';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { createSession, seedPlace, startLiveServer, TestClient, type LiveServer } from './test-support.ts';

let db: TestDatabase;
let live: LiveServer;
let wallToken: string;
let gulouToken: string;

before(async () => {
  db = await createTestDatabase('live_limits');
  await seedPlace(db.pool);
  wallToken = (await createSession(db.pool, { username: 'wall', role: 'admin' })).token;
  gulouToken = (await createSession(db.pool, { username: 'gulou', role: 'supervisor', regions: [320106] })).token;
  live = await startLiveServer(db.url, { live: { limits: { maxPerUser: 3, maxPerIp: 6, messagesPerS: 5, messageBurst: 20 } } });
});
after(async () => {
  await live?.server.close();
  await db?.drop();
});

/** Sends a raw upgrade request; resolves with what the server sent and whether it closed within `withinMs`. */
function rawUpgrade(port: number, path: string, withinMs: number, headers = ''): Promise<{ response: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let response = '';
    const t = setTimeout(() => {
      s.destroy();
      resolve({ response, closed: false });
    }, withinMs);
    s.on('data', (d) => (response += d.toString('latin1')));
    s.on('error', () => {});
    // The client never closes its side first: only the server can end this exchange.
    s.on('end', () => {
      clearTimeout(t);
      s.destroy();
      resolve({ response, closed: true });
    });
    s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${headers}\r\n`);
  });
}

describe('upgrade requests are always answered', () => {
  // Bug: an Upgrade to any path but /ws was never answered nor closed; each left a server
  // socket in CLOSE-WAIT until file descriptors ran out.
  it('answers an upgrade to any other path with 404 and closes the socket', { timeout: 10_000 }, async () => {
    const paths = ['/', '/api/health', '/wss', '/ws/extra', '/tiles/x', '/%2e%2e/ws'];
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => rawUpgrade(live.server.httpPort, paths[i % paths.length]!, 2000)));
    for (const r of results) {
      assert.match(r.response, /^HTTP\/1\.1 404 /, `answered: ${JSON.stringify(r.response.slice(0, 40))}`);
      assert.equal(r.closed, true, 'the server closed the connection');
    }
  });

  it('answers an unauthenticated upgrade to /ws with 401 and closes it', async () => {
    const r = await rawUpgrade(live.server.httpPort, '/ws', 2000);
    assert.match(r.response, /^HTTP\/1\.1 401 /);
    assert.equal(r.closed, true);
  });

  it('closes an upgrade whose authentication never completes, after UPGRADE_TIMEOUT_MS', { timeout: 10_000 }, async () => {
    const stuck = await startLiveServer(db.url, { env: { UPGRADE_TIMEOUT_MS: '300' }, live: { authenticate: () => new Promise(() => {}) } });
    try {
      const t0 = Date.now();
      const r = await rawUpgrade(stuck.server.httpPort, '/ws', 3000, `Authorization: Bearer ${wallToken}\r\n`);
      assert.match(r.response, /^HTTP\/1\.1 503 /);
      assert.equal(r.closed, true);
      assert.ok(Date.now() - t0 < 2000, `closed after ${Date.now() - t0} ms`);
    } finally {
      await stuck.server.close();
    }
  });
});

describe('per-socket message limits', () => {
  // Bug: 2,000 subscribes from one socket (each a snapshot query) stalled /api/health for seconds.
  it('closes a socket that floods messages with 4429 and a rate_limited error', { timeout: 10_000 }, async () => {
    const c = await TestClient.connect(live.wsUrl, wallToken);
    const closed = new Promise<number>((r) => c.ws.once('close', (code) => r(code)));
    for (let i = 0; i < 200; i++) c.send({ type: 'subscribe', filters: {} });
    assert.equal(await closed, WS_CLOSE.tooManyConnections);
    const err = c.messages.find((m) => m.type === 'error');
    assert.ok(err && err.type === 'error' && err.code === 'rate_limited', 'told why');
    const subscribed = c.messages.filter((m) => m.type === 'subscribed').length;
    assert.ok(subscribed <= 3, `${subscribed} subscribes run, want at most the running one and the last waiting one`);
    const health = await fetch(`${live.baseUrl}/api/health`);
    assert.equal(health.status, 200);
  });

  it('runs one snapshot per socket at a time: subscribes sent meanwhile are coalesced to the last', async () => {
    const c = await TestClient.connect(live.wsUrl, wallToken);
    const regions = (i: number) => [320100 + i];
    for (let i = 0; i < 10; i++) c.send({ type: 'subscribe', filters: { regions: regions(i) } });
    await c.waitFor((m) => m.type === 'subscribed' && m.filters.regions?.[0] === regions(9)[0]);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(c.messages.filter((m) => m.type === 'snapshot').length, 2, 'two snapshot queries, not ten');
    const subscribed = c.messages.filter((m) => m.type === 'subscribed');
    assert.equal(subscribed.length, 2, `the first subscribe and the last: got ${subscribed.length}`);
    assert.equal(c.ws.readyState, c.ws.OPEN, 'within the burst: still connected');
    await c.close();
  });
});

describe('per-user and per-IP connection caps', () => {
  it('refuses a user past LIVE_MAX_CONNECTIONS_PER_USER with 429; other users still connect', async () => {
    const mine = [];
    for (let i = 0; i < 3; i++) mine.push(await TestClient.connect(live.wsUrl, wallToken));
    await assert.rejects(TestClient.connect(live.wsUrl, wallToken), /HTTP 429/);
    const other = await TestClient.connect(live.wsUrl, gulouToken);
    await mine[0]!.close();
    await new Promise((r) => setTimeout(r, 50));
    mine[0] = await TestClient.connect(live.wsUrl, wallToken);
    await Promise.all([...mine, other].map((c) => c.close()));
  });

  it('refuses an address past LIVE_MAX_CONNECTIONS_PER_IP with 429, pending upgrades included', async () => {
    await new Promise((r) => setTimeout(r, 50));
    const users = await Promise.all(Array.from({ length: 6 }, (_, i) => createSession(db.pool, { username: `desk${i}`, role: 'operator', regions: [320106] })));
    const open = [];
    for (const u of users) open.push(await TestClient.connect(live.wsUrl, u.token));
    await assert.rejects(TestClient.connect(live.wsUrl, gulouToken), /HTTP 429/);
    const r = await rawUpgrade(live.server.httpPort, '/ws', 2000);
    assert.match(r.response, /^HTTP\/1\.1 429 /, 'refused before authentication');
    await Promise.all(open.map((c) => c.close()));
  });
});
