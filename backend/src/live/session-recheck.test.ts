// An open /ws stream re-checks its session (interval injected: 150 ms here, 60 s by
// default): logout, expiry and a disabled user close it with 4401; a changed jurisdiction
// closes it with 4403; a valid session keeps streaming.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WS_CLOSE } from '@firelink/common';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import WebSocket from 'ws';
import { accessFeature } from '../auth/feature.ts';
import { usersFeature } from '../users/feature.ts';
import { createSession, seedPlace, startLiveServer, TestClient, type LiveServer } from './test-support.ts';
import { DEFAULT_RECHECK_MS } from './ws-server.ts';

const RECHECK_MS = 150;
let db: TestDatabase;
let live: LiveServer;
let n = 0;

before(async () => {
  db = await createTestDatabase('live-recheck');
  await seedPlace(db.pool);
  // Real authentication (no injected principal) and the real logout route.
  live = await startLiveServer(db.url, { extra: [accessFeature, usersFeature], live: { sessionRecheckMs: RECHECK_MS } });
});
after(async () => {
  await live?.server.close();
  await db?.drop();
});

function closed(ws: WebSocket, withinMs: number): Promise<{ code: number; reason: string; afterMs: number }> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`stream still open after ${withinMs} ms`)), withinMs);
    ws.once('close', (code, reason) => {
      clearTimeout(t);
      resolve({ code, reason: reason.toString(), afterMs: Date.now() - t0 });
    });
  });
}

async function connected(role = 'operator', regions = [320102]) {
  const s = await createSession(db.pool, { username: `recheck${++n}`, role, regions });
  const c = await TestClient.connect(live.wsUrl, s.token);
  c.send({ type: 'subscribe', filters: {} });
  await c.waitFor((m) => m.type === 'hello' || m.type === 'snapshot');
  return { ...s, c };
}

describe('WebSocket session re-check', () => {
  it('defaults to 60 s', () => {
    assert.equal(DEFAULT_RECHECK_MS, 60_000);
  });

  it('a valid session keeps its stream open across several re-checks', async () => {
    const { c } = await connected();
    await new Promise((r) => setTimeout(r, RECHECK_MS * 5));
    assert.equal(c.ws.readyState, WebSocket.OPEN);
    c.send({ type: 'ping', t: 42 });
    const pong = await c.waitFor((m) => m.type === 'pong');
    assert.equal((pong as { t?: number }).t, 42);
    await c.close();
  });

  it('logout (POST /api/auth/logout with the same token) closes the open stream with 4401', async () => {
    const { c, token } = await connected();
    const wait = closed(c.ws, 3000);
    const res = await fetch(`${live.baseUrl}/api/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 204);
    const x = await wait;
    assert.equal(x.code, WS_CLOSE.unauthorized);
    assert.match(x.reason, /log in/);
    // And the token cannot open a new stream.
    await assert.rejects(TestClient.connect(live.wsUrl, token), /HTTP 401/);
  });

  it('a disabled user is cut off with 4401', async () => {
    const { c, userId } = await connected();
    const wait = closed(c.ws, 3000);
    await db.pool.query(`UPDATE users SET disabled = true WHERE id = $1`, [userId]);
    assert.equal((await wait).code, WS_CLOSE.unauthorized);
  });

  it('an expired session is cut off with 4401', async () => {
    const { c, userId } = await connected();
    const wait = closed(c.ws, 3000);
    await db.pool.query(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [userId]);
    assert.equal((await wait).code, WS_CLOSE.unauthorized);
  });

  it('a changed jurisdiction closes with 4403 (reconnect), and the new stream carries the new scope', async () => {
    const { c, userId, token } = await connected('operator', [320102]);
    const wait = closed(c.ws, 3000);
    await db.pool.query(`INSERT INTO user_regions (user_id, adcode) VALUES ($1, 320106)`, [userId]);
    assert.equal((await wait).code, WS_CLOSE.permissionsChanged);
    const again = await TestClient.connect(live.wsUrl, token);
    again.send({ type: 'subscribe', filters: {} });
    await again.waitFor((m) => m.type === 'hello' || m.type === 'snapshot');
    await new Promise((r) => setTimeout(r, RECHECK_MS * 3));
    assert.equal(again.ws.readyState, WebSocket.OPEN, 'unchanged since reconnect: stays open');
    await again.close();
  });
});
