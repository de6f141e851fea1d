// The server is killed (SIGKILL) between receiving a frame and committing it: nothing was
// confirmed, the transaction dies with the connection, and the device's resend to the
// restarted server lands exactly once.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { SimulatedUitd } from '../sim/simulated-uitd.ts';

const CHILD = fileURLToPath(new URL('../../test/crash-server.ts', import.meta.url));

function startChild(env: Record<string, string>): { child: ChildProcess; lines: AsyncIterator<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  return { child, lines };
}

async function expectLine(lines: AsyncIterator<string>, prefix: string): Promise<string> {
  const timeout = new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`no "${prefix}" line from the child within 20 s`)), 20_000).unref());
  for (;;) {
    const r = await Promise.race([lines.next(), timeout]);
    if (r.done) throw new Error(`child exited before printing "${prefix}"`);
    if (r.value.startsWith(prefix)) return r.value.slice(prefix.length).trim();
  }
}

describe('crash between receive and commit', () => {
  let db: TestDatabase;
  const children: ChildProcess[] = [];

  before(async () => {
    db = await createTestDatabase('ingest_crash');
  });
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await db?.drop();
  });

  it("stores the device's resend exactly once", async () => {
    const address = 0x0000_0abc_0001;
    const first = startChild({ DATABASE_URL: db.url, CRASH_BEFORE_COMMIT: '1' });
    children.push(first.child);
    const port = Number(await expectLine(first.lines, 'listening'));

    const uitd = new SimulatedUitd({ port, address, resendAfterMs: 300, maxResends: 20 });
    await uitd.connect();
    const sent = uitd.sendFire({ componentAddress: 7 }, '2026-11-29T12:00:00');
    sent.catch(() => {});
    assert.equal(await expectLine(first.lines, 'precommit'), '0');
    const exited = new Promise((r) => first.child.once('exit', r));
    first.child.kill('SIGKILL');
    await exited;

    // Nothing was committed (and nothing confirmed).
    // The killed backend's transaction is rolled back when PostgreSQL sees the socket close.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const n = await db.pool.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`);
      if (n.rows[0].n === 0 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const before = await db.pool.query(`SELECT count(*)::int AS n FROM events WHERE device_address = $1`, [address]);
    assert.equal(before.rows[0].n, 0);
    assert.equal(uitd.stats.confirmed, 0);

    const second = startChild({ DATABASE_URL: db.url, PORT: String(port) });
    children.push(second.child);
    await expectLine(second.lines, 'listening');
    await uitd.reconnect(); // rewrites the unconfirmed frame; the resend timer sends it again too
    const r = await sent;
    assert.equal(r.denied, false);
    // Give any duplicate resend time to arrive and be processed.
    await new Promise((res) => setTimeout(res, 800));
    uitd.close();
    const rows = await db.pool.query(`SELECT kind, payload->>'serial' AS serial FROM events WHERE device_address = $1`, [address]);
    assert.deepEqual(rows.rows, [{ kind: 'fire', serial: '0' }, { kind: 'unregistered_device', serial: undefined }].map((x) => ({ kind: x.kind, serial: x.serial ?? null })));
    const frames = await db.pool.query(`SELECT count(*)::int AS n FROM ingest_frames WHERE device_address = $1`, [address]);
    assert.equal(frames.rows[0].n, 1);
  });
});
