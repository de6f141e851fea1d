// The stream log when the database's answer is lost: the INSERT reaches PostgreSQL and
// commits, the reply never comes back (a proxy holds it, then drops the connection). The
// append must hand on the committed rows once, not write them a second time (the first copy
// would then be in stream_log but never reach a live client: a gap in every resumed stream).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import type { Logger } from '../logger.ts';
import { StreamLog, type StreamFrame } from '../live/stream-log.ts';

/** A proxy that can hold every reply (server → client) while requests still pass, then drop all. */
async function replyHoldingProxy(targetPort: number, targetHost: string) {
  const sockets = new Set<Socket>();
  let holding = false;
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, targetHost);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    client.on('data', (c: Buffer) => upstream.write(c));
    upstream.on('data', (c: Buffer) => void (holding || client.write(c)));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  const port = await new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as { port: number }).port)));
  return {
    port,
    hold: () => void (holding = true),
    dropAndRelease: () => {
      for (const s of sockets) s.destroy();
      holding = false;
    },
    close: () => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))),
  };
}

const silent = { warn() {}, error() {}, info() {}, debug() {} } as unknown as Logger;
const row = (n: number) => ({ type: 'event', meta: { kind: 'analog_value', priority: null, regionAdcode: null, unitId: null, lonLatWgs84: null }, payload: { type: 'event', n } });

describe('stream log append whose answer is lost', () => {
  let db: TestDatabase;
  let proxy: Awaited<ReturnType<typeof replyHoldingProxy>>;
  let pool: pg.Pool;

  before(async () => {
    db = await createTestDatabase('stream_log_outage');
    const url = new URL(db.url);
    proxy = await replyHoldingProxy(Number(url.port || 5432), url.hostname);
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    pool = new pg.Pool({ connectionString: url.href, max: 2 });
    pool.on('error', () => {});
  });
  after(async () => {
    await pool?.end();
    await proxy?.close();
    await db?.drop();
  });

  it('hands on the committed rows once instead of writing them again', async () => {
    const handed: StreamFrame[] = [];
    const log = new StreamLog(pool, silent, (f) => void handed.push(...f), 48);
    await log.start();
    const [first] = await log.append([row(0)]);
    proxy.hold();
    const appended = log.append([row(1), row(2), row(3)]);
    // The INSERT commits; its answer is held.
    for (let i = 0; i < 100; i++) {
      const n = await db.pool.query(`SELECT count(*)::int AS n FROM stream_log WHERE id > $1`, [first]);
      if (n.rows[0].n === 3) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    proxy.dropAndRelease();
    const ids = await appended;
    assert.equal(ids.length, 3);
    const stored = await db.pool.query(`SELECT id, payload->>'n' AS n FROM stream_log ORDER BY id`);
    assert.deepEqual(stored.rows.map((r) => Number(r.n)), [0, 1, 2, 3], 'each row written once');
    assert.deepEqual(ids, stored.rows.slice(1).map((r) => Number(r.id)), 'the ids append() resolves are the committed rows');
    assert.deepEqual(handed.map((f) => f.id), stored.rows.map((r) => Number(r.id)), 'every committed row handed on to the clients, in order');
    assert.equal(log.head, ids[2]);
    await log.stop();
  });
});
