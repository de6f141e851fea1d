// "Nobody watching" across two API nodes: an operator's desk connected to either node keeps
// the post attended (only one node, the scheduler-lock holder, runs the watch, so one of the
// two cases is a desk on the node that does not), its absence for CENTER_UNATTENDED_AFTER_S
// raises the center-unattended record, duty log entry and chief alert once, and a desk back
// on either node clears it. Two `firelink api` roles in this process, real PostgreSQL, real
// NATS JetStream (a stream of the test's own), real WebSockets.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { createTestUser, ensureRegions, type TestUser } from '../auth/testing.ts';
import { configSchema } from '../kernel/config.ts';
import { createLogger } from '../logger.ts';
import { deleteStream } from './jetstream-bus.ts';
import { loadClusterConfig, startRole, type RunningRole } from './roles.ts';
import { NATS_URL, natsReachable } from './test-support.ts';

const XUANWU = 320102;

const skip = (await natsReachable()) ? false : `NATS is not reachable at ${NATS_URL}: start nats-server -js (or set NATS_URL) to run the shared presence test`;

describe('scale-out: presence shared by the api nodes', { skip }, () => {
  let db: TestDatabase;
  const stream = `FLTEST_${randomBytes(4).toString('hex')}`;
  const nodes: RunningRole[] = [];
  let operator: TestUser;

  before(async () => {
    db = await createTestDatabase('cluster_presence');
    await ensureRegions(db.pool, [XUANWU]);
    operator = await createTestUser(db.pool, { role: 'operator', regions: [XUANWU] });
    const chief = await createTestUser(db.pool, { role: 'supervisor', regions: [XUANWU] });
    const shift = `INSERT INTO duty_shifts (region_adcode, user_id, duty_role, starts_at, ends_at, phone) VALUES ($1, $2, $3, now() - interval '2 hours', now() + interval '6 hours', $4)`;
    await db.pool.query(shift, [XUANWU, operator.userId, 'operator', null]);
    await db.pool.query(shift, [XUANWU, chief.userId, 'chief', '13800000001']);
    const config = configSchema.parse({
      PORT: '0',
      HOST: '127.0.0.1',
      FIRELINK_DEMO: '0',
      DUTY_CHECKS_PER_SHIFT: '0',
      CENTER_UNATTENDED_AFTER_S: '2',
      DUTY_WATCH_MS: '250',
      LOG_LEVEL: 'fatal',
    });
    const cluster = loadClusterConfig({ NATS_URL, NATS_STREAM: stream, CLUSTER_LEADER_RETRY_MS: '300' });
    for (let i = 0; i < 2; i++) nodes.push(await startRole('api', { config, cluster, databaseUrl: db.url, logger: createLogger('fatal'), onLeaderLost: () => {} }));
  });
  after(async () => {
    for (const n of nodes) await n.close().catch(() => {});
    await deleteStream(NATS_URL, stream).catch(() => {});
    await db?.drop();
  });

  const desk = (node: RunningRole) =>
    new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${node.server.httpPort}/ws?view=desk`, { headers: operator.headers });
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });
  const close = (ws: WebSocket) => new Promise<void>((r) => (ws.readyState === WebSocket.CLOSED ? r() : (ws.once('close', () => r()), ws.close())));
  const waitFor = async (what: string, f: () => Promise<boolean>, ms: number) => {
    const until = Date.now() + ms;
    while (!(await f())) {
      if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const unattended = async () => (await db.pool.query(`SELECT id, cleared_at, notified FROM duty_unattended WHERE region_adcode = $1 ORDER BY id`, [XUANWU])).rows;
  const desksShared = async () =>
    Number((await db.pool.query(`SELECT count(*)::int AS n FROM cluster_presence, jsonb_array_elements(screens) s WHERE s->>'view' = 'desk' AND (s->'principal'->>'userId')::bigint = $1`, [operator.userId])).rows[0].n);

  it('a desk on either api node keeps the post attended; none raises the alarm once; a desk back on either clears it', { timeout: 90_000 }, async () => {
    const [a, b] = nodes as [RunningRole, RunningRole];
    await waitFor('both nodes write their screens', async () => Number((await db.pool.query(`SELECT count(*)::int AS n FROM cluster_presence`)).rows[0].n) === 2, 10_000);

    // The desk on each node in turn, each time well past the 2 s threshold: one of them is
    // not the node that runs the watch, which sees the desk only through cluster_presence.
    for (const node of [a, b]) {
      const ws = await desk(node);
      await waitFor('the desk shared', async () => (await desksShared()) === 1, 5000);
      await new Promise((r) => setTimeout(r, 3500));
      assert.deepEqual(await unattended(), [], `a desk on the node at port ${node.server.httpPort} keeps the post attended`);
      await close(ws);
    }

    // No desk anywhere: unattended after the threshold, once, the chief alerted.
    await waitFor('center unattended raised', async () => (await unattended()).length > 0, 15_000);
    await new Promise((r) => setTimeout(r, 1000));
    const raised = await unattended();
    assert.equal(raised.length, 1, 'raised once (one watch across the nodes)');
    assert.equal(raised[0].cleared_at, null);
    assert.equal(Number(raised[0].notified), 1, 'the chief on duty is alerted');
    const log = await db.pool.query(`SELECT entry_kind AS kind FROM duty_log WHERE region_adcode = $1 AND entry_kind IN ('center_unattended', 'center_attended') ORDER BY id`, [XUANWU]);
    assert.deepEqual(log.rows.map((r) => r.kind), ['center_unattended']);

    // A desk back on either node clears it.
    for (const node of [b, a]) {
      const ws = await desk(node);
      await waitFor('center attended again', async () => (await unattended()).every((r) => r.cleared_at !== null), 10_000);
      await close(ws);
      await waitFor('raised again', async () => (await unattended()).some((r) => r.cleared_at === null), 15_000);
    }
    const all = await unattended();
    assert.equal(all.length, 3, 'one record per absence, each desk back cleared its own');

    // A node that stops takes its row with it.
    await nodes.pop()!.close();
    assert.equal(Number((await db.pool.query(`SELECT count(*)::int AS n FROM cluster_presence`)).rows[0].n), 1);
  });
});
