// The station stream's connection caps over a real server: per user and per client address,
// the same settings as /ws (LIVE_MAX_CONNECTIONS_PER_USER, _PER_IP). Bug (API probe):
// /ws/station had no caps; one user could open connections without end.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { STATION_WS_PATH } from '@firelink/common';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { createTestUser, type TestUser } from '../auth/testing.ts';
import { startTestServer, type TestServer } from '../devtools/test-support.ts';
import { stationFeature } from './feature.ts';

const PER_USER = 2;
const PER_IP = 4;

/** Opens the stream as `who`; resolves once the hello arrives, rejects with the refusal's status and body. */
function open(server: TestServer, who: TestUser): Promise<WebSocket> {
  const ws = new WebSocket(`${server.base.replace('http', 'ws')}${STATION_WS_PATH}`, { headers: who.headers });
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => reject(new Error(`HTTP ${res.statusCode} ${body}`)));
    });
    ws.once('error', reject);
    ws.once('message', () => resolve(ws));
  });
}

function close(ws: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    if (ws.readyState === ws.CLOSED) return resolve();
    ws.once('close', () => resolve());
    ws.close();
  });
}

/** An upgrade without credentials, raw: what the server answers first. */
function rawUpgrade(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let response = '';
    const t = setTimeout(() => (s.destroy(), resolve(response)), 2000);
    s.on('data', (d) => (response += d.toString('latin1')));
    s.on('error', () => {});
    s.on('end', () => (clearTimeout(t), s.destroy(), resolve(response)));
    s.write(`GET ${STATION_WS_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
  });
}

describe('station stream: connection caps per user and per address', () => {
  let db: TestDatabase;
  let server: TestServer;
  const users: TestUser[] = [];
  before(async () => {
    db = await createTestDatabase('station_stream_caps');
    for (let i = 0; i < 4; i++) users.push(await createTestUser(db.pool, { role: 'dispatcher', regions: [320106] }));
    server = await startTestServer(db.url, [stationFeature], { env: { LIVE_MAX_CONNECTIONS_PER_USER: String(PER_USER), LIVE_MAX_CONNECTIONS_PER_IP: String(PER_IP) } });
  });
  after(async () => {
    await server?.close();
    await db?.drop();
  });

  it('refuses a user past LIVE_MAX_CONNECTIONS_PER_USER with 429; other users connect; a closed one frees its slot', async () => {
    const mine = [await open(server, users[0]!), await open(server, users[0]!)];
    await assert.rejects(open(server, users[0]!), /HTTP 429 .*too many station stream connections for this user \(limit 2, LIVE_MAX_CONNECTIONS_PER_USER\)/);
    const other = await open(server, users[1]!);
    await close(mine[0]!);
    await new Promise((r) => setTimeout(r, 50));
    mine[0] = await open(server, users[0]!);
    await Promise.all([...mine, other].map(close));
  });

  it('refuses an address past LIVE_MAX_CONNECTIONS_PER_IP with 429, before authentication', async () => {
    await new Promise((r) => setTimeout(r, 50));
    const held = [];
    for (let i = 0; i < PER_IP; i++) held.push(await open(server, users[i % users.length]!));
    await assert.rejects(open(server, users[3]!), /HTTP 429 .*from this address \(limit 4, LIVE_MAX_CONNECTIONS_PER_IP\)/);
    assert.match(await rawUpgrade(server.httpPort), /^HTTP\/1\.1 429 /, 'an unauthenticated upgrade is refused by address first');
    await Promise.all(held.map(close));
    await new Promise((r) => setTimeout(r, 50));
    assert.match(await rawUpgrade(server.httpPort), /^HTTP\/1\.1 401 /, 'slots freed: back to asking for a login');
  });
});
