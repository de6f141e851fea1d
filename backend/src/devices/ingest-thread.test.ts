// GB/T 26875 ingest on its own thread (ingest-thread.ts), in the real server: confirms while
// the main thread is blocked, committed events on the main bus in their order, the listener's
// figures, device health's flush at stop, a thread that dies started again on its port, and a
// start that fails with the reason.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer as createTcpServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import type { StoredEvent } from '@firelink/common';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { SimulatedUitd } from '@firelink/ingest';
import { busProbe, startTestServer, waitFor, type TestServer } from '../devtools/test-support.ts';
import { loadConfig } from '../kernel/config.ts';
import { createLogger } from '../logger.ts';
import { startServer } from '../main.ts';
import { threadedIngestFeature, type ThreadedIngestOptions } from './ingest-thread.ts';

type Started = Parameters<NonNullable<ThreadedIngestOptions['onStarted']>>[0];

describe('ingest on its own thread', () => {
  let db: TestDatabase;
  let server: TestServer;
  let h: Started;
  const seen: StoredEvent[] = [];
  const probe = busProbe(seen);

  before(async () => {
    db = await createTestDatabase('ingest_thread');
    const u = await db.pool.query(`INSERT INTO units (name, onboarding_state) VALUES ('单位', 'open') RETURNING id`);
    await db.pool.query(`INSERT INTO devices (unit_id, address) VALUES ($1, 778001), ($1, 778002)`, [u.rows[0].id]);
    server = await startTestServer(db.url, [probe, threadedIngestFeature({ restartMs: 200, onStarted: (x) => (h = x) })], {
      env: { FIRELINK_DEMO: '0', DUTY_CHECKS_PER_SHIFT: '0' },
    });
  });

  after(async () => {
    await server?.close();
    await db?.drop();
  });

  it('confirms and publishes on the main bus in commit order; the listener figures reach the main thread', async () => {
    assert.ok(h.port > 0);
    const uitd = new SimulatedUitd({ port: h.port, address: 778001 });
    await uitd.connect();
    for (let i = 1; i <= 20; i++) assert.equal((await uitd.sendFire({ componentAddress: i })).denied, false);
    uitd.close();
    const fires = await waitFor('20 fires on the main bus', () => {
      const f = seen.filter((e) => e.kind === 'fire' && e.deviceAddress === 778001);
      return f.length === 20 && f;
    });
    assert.deepEqual(fires.map((e) => e.componentAddress), Array.from({ length: 20 }, (_, i) => i + 1));
    assert.deepEqual(fires.map((e) => e.id), [...fires.map((e) => e.id)].sort((a, b) => a - b));
    const stored = await db.pool.query(`SELECT count(*)::int AS n FROM events WHERE device_address = 778001 AND kind = 'fire'`);
    assert.equal(stored.rows[0].n, 20);
    const stats = await waitFor('the listener figures', () => {
      const s = h.listener();
      return s && s.framesConfirmed >= 20 && s.confirmLatencyMs && s;
    }, 5000);
    assert.ok(stats.confirmLatencyMs && stats.confirmLatencyMs.p99 >= 0);
    assert.ok((h.timing()?.frames ?? 0) >= 20);
  });

  it('confirms while the main thread is blocked', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./ingest-uitd-child.ts', import.meta.url)), String(h.port), '778002'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    assert.equal((await lines.next()).value, 'ready');
    // The child sends its fire 300 ms from now; this thread is busy for 2 s.
    const until = Date.now() + 2000;
    while (Date.now() < until);
    const line = String((await lines.next()).value);
    const m = /^confirmed ok (\d+)$/.exec(line);
    assert.ok(m, line);
    assert.ok(Number(m[1]) < 1000, `confirm took ${m[1]} ms while the main thread was blocked (in one thread it waits the 1.7 s out)`);
  });

  it('starts a thread that died again, on the same port; the device reconnects and is confirmed', async () => {
    const first = h.thread() as Worker;
    await first.terminate();
    await waitFor('a new ingest thread', () => {
      const t = h.thread();
      return t && t !== first;
    });
    const uitd = new SimulatedUitd({ port: h.port, address: 778001 });
    await waitFor('the listener on its port again', async () => {
      try {
        await uitd.connect();
        return true;
      } catch {
        return false;
      }
    }, 10_000, 100);
    assert.equal((await uitd.sendFire({ componentAddress: 99 })).denied, false);
    uitd.close();
    await waitFor('the fire after the restart on the bus', () => seen.some((e) => e.componentAddress === 99));
  });

  it('stop flushes device health through the thread', async () => {
    // The device that sent after the restart (a thread ended from outside loses the last-seen
    // times it had not yet written, as a crashed process does; the device's next frame writes them).
    await server.close();
    const d = await db.pool.query(`SELECT online, last_seen_at FROM devices WHERE address = 778001`);
    assert.equal(d.rows[0].online, true);
    assert.ok(d.rows[0].last_seen_at instanceof Date);
  });
});

describe('ingest thread that cannot listen', () => {
  let db: TestDatabase;
  after(async () => {
    await db?.drop();
  });

  it('fails the server start with the reason and how to fix it', async () => {
    db = await createTestDatabase('ingest_thread_busy');
    const holder = createTcpServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
    const busy = (holder.address() as { port: number }).port;
    const spare = createTcpServer();
    await new Promise<void>((r) => spare.listen(0, '127.0.0.1', () => r()));
    const httpPort = (spare.address() as { port: number }).port;
    await new Promise<void>((r) => spare.close(() => r()));
    try {
      const config = loadConfig({ PORT: String(httpPort), HOST: '127.0.0.1', GB26875_PORT: String(busy), FIRELINK_DEMO: '0', LOG_LEVEL: 'silent' });
      await assert.rejects(
        startServer({ config, databaseUrl: db.url, logger: createLogger('silent'), features: [threadedIngestFeature()] }),
        /GB26875_PORT \d+ is in use: stop the other FireLink .* or set GB26875_PORT to a free port/,
      );
    } finally {
      holder.close();
    }
  });
});
