// Scale-out end to end (README "Scale-out"): 2 ingest, 2 api and 1 worker processes — the
// real `firelink ingest|api|worker` commands — against the machine's NATS JetStream and a
// PostGIS database of their own. A small fleet of simulated UITDs, behind a TCP balancer
// spread over both ingest nodes, sends a ledger of fire frames; one ingest node is
// SIGKILLed mid-way and its devices reconnect through the balancer to the other. Then:
// every confirmed frame is stored exactly once, each point has one fire alarm counting
// each of its fire events once, and a WebSocket client moved from one api node to the
// other has every stream message, in order, exactly as a client that stayed. Later the
// worker is SIGKILLed mid-batch and another started (JetStream redelivers what the dead
// one had not acked), and finally every event is published again: nothing counts twice.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import type { ServerMessage } from '@firelink/common';
import { SimulatedUitd, type PointRef } from '@firelink/ingest';
import { REPO_ROOT } from '../db/environment.ts';
import { createSession, insertEvents, seedPlace, TestClient } from '../live/test-support.ts';
import { eventFromRow } from '../pipeline/event-row.ts';
import { deleteStream, JetStreamBus } from './jetstream-bus.ts';
import { createLogger } from '../logger.ts';
import { NATS_URL, natsReachable, waitForNodeUp, type RoleNode } from './test-support.ts';

const BIN = join(REPO_ROOT, 'backend', 'bin', 'firelink.mjs');
const DEVICES = 8;
/** Fire, back to normal, fire … per point: each fire after a normal counts once more on the one alarm. */
const FIRES_PER_POINT = 3;

const reachable = await natsReachable();
const skip = reachable ? false : `NATS is not reachable at ${NATS_URL}: start nats-server -js (or set NATS_URL) to run the scale-out test`;

type Node = RoleNode;

const deltas = (c: TestClient) => c.messages.filter((m) => ['alarm_opened', 'alarm_updated', 'alarm_closed', 'event', 'device_status', 'storm'].includes(m.type));

/** A TCP balancer: each new connection goes to the current target (the devices' one address). */
function balancer(targets: () => number): Promise<{ port: number; server: Server; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((inbound) => {
    const out = connect({ host: '127.0.0.1', port: targets() });
    sockets.add(inbound);
    sockets.add(out);
    const end = () => {
      inbound.destroy();
      out.destroy();
    };
    inbound.on('error', end).on('close', end);
    out.on('error', end).on('close', end);
    inbound.pipe(out);
    out.pipe(inbound);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ port: (server.address() as { port: number }).port, server, sockets })));
}

describe('scale-out: 2 ingest + 2 api + 1 worker on NATS JetStream', { skip }, () => {
  let db: TestDatabase;
  const stream = `FLTEST_${randomBytes(4).toString('hex')}`;
  const nodes: Node[] = [];

  function startNode(role: string): Promise<Node> {
    // Not a test process: without NODE_TEST_CONTEXT the child prints as a program does.
    const { NODE_TEST_CONTEXT: _ctx, ...env } = process.env;
    const child = spawn(process.execPath, [BIN, role], {
      cwd: REPO_ROOT,
      env: {
        ...env,
        DATABASE_URL: db.url,
        NATS_URL,
        NATS_STREAM: stream,
        NATS_ACK_WAIT_S: '5',
        CLUSTER_SWEEP_MS: '1000',
        CLUSTER_SWEEP_GRACE_S: '3',
        CLUSTER_LEADER_RETRY_MS: '500',
        PORT: '0',
        HOST: '127.0.0.1',
        FIRELINK_DEMO: '0',
        DUTY_CHECKS_PER_SHIFT: '0',
        // No escalation messages in the middle of the stream comparisons (a slow machine passes 30 s).
        FIRE_ESCALATE_AFTER_S: '3600',
        LOG_LEVEL: 'warn',
        NODE_ENV: 'test',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const node: Node = { role, child, http: 0, tcp: null, log: [] };
    nodes.push(node);
    return waitForNodeUp(node, 150_000, ' (a loaded machine starts 5 tsx processes slowly)');
  }

  before(async () => {
    db = await createTestDatabase('cluster');
  });
  after(async () => {
    for (const n of nodes) if (n.child.exitCode === null) n.child.kill('SIGKILL');
    await deleteStream(NATS_URL, stream).catch(() => {});
    await db?.drop();
  });

  it('a SIGKILLed ingest node loses no confirmed frame, opens no duplicate alarm, and a client moved between api nodes misses nothing', { timeout: 400_000 }, async () => {
    // Units with registered devices and points (Nanjing, as the live tests seed them).
    const place = await seedPlace(db.pool);
    const unitIds = place.units.map((u) => u.id);
    for (let i = 2; i < DEVICES; i++) {
      const u = await db.pool.query(
        `INSERT INTO units (name, address, region_adcode, point, onboarding_state) VALUES ($1, $1, 320102, ST_SetSRID(ST_MakePoint(118.79, 32.05), 4326), 'open') RETURNING id`,
        [`集群单位${i}`],
      );
      const unitId = Number(u.rows[0].id);
      unitIds.push(unitId);
      const d = await db.pool.query(`INSERT INTO devices (unit_id, address, online) VALUES ($1, $2, true) RETURNING id`, [unitId, 100000 + i]);
      const s = await db.pool.query(`INSERT INTO facility_systems (device_id, system_type, system_address) VALUES ($1, 1, 1) RETURNING id`, [Number(d.rows[0].id)]);
      for (let k = 1; k <= 3; k++) {
        await db.pool.query(`INSERT INTO points (unit_id, system_id, component_type, component_address, floor, label) VALUES ($1, $2, 31, $3, $4, $5)`, [unitId, Number(s.rows[0].id), k, k, `${k}F`]);
      }
    }
    const { token } = await createSession(db.pool, { username: 'cluster-op', role: 'operator', regions: [320100] });

    const t0 = Date.now();
    const [ingestA, ingestB, apiA, apiB] = await Promise.all([startNode('ingest'), startNode('ingest'), startNode('api'), startNode('api'), startNode('worker')]);
    const startedS = (Date.now() - t0) / 1000;

    // The devices reach the ingest nodes through balancers: half through one that points at
    // A, half through one that points at B until B dies, then at A.
    let bTarget = ingestB!.tcp!;
    const lbA = await balancer(() => ingestA!.tcp!);
    const lbB = await balancer(() => bTarget);

    const steady = await TestClient.connect(`ws://127.0.0.1:${apiB!.http}/ws`, token);
    steady.send({ type: 'subscribe', filters: {} });
    const moved = await TestClient.connect(`ws://127.0.0.1:${apiA!.http}/ws`, token);
    moved.send({ type: 'subscribe', filters: {} });
    await Promise.all([steady, moved].map((c) => c.waitFor((m) => m.type === 'snapshot', 10_000)));
    const startId = Math.max(...[steady, moved].map((c) => (c.messages.find((m) => m.type === 'snapshot') as ServerMessage).id));

    const points: PointRef[] = [1, 2, 3].map((k) => ({ systemType: 1, systemAddress: 1, componentType: 31, componentAddress: k }));
    const sims = Array.from({ length: DEVICES }, (_, i) => new SimulatedUitd({ port: i % 2 ? lbB.port : lbA.port, address: 100000 + i, resendAfterMs: 700, maxResends: 20 }));
    await Promise.all(sims.map((s) => s.connect()));
    const confirmed: Array<{ device: number; point: number }> = [];
    let failed = 0;
    const sendRound = (round: number) =>
      Promise.all(
        sims.map(async (s, i) => {
          const k = round % 3;
          const fire = Math.floor(round / 3) % 2 === 0;
          await (fire ? s.sendFire(points[k]!) : s.sendNormal(points[k]!))
            .then(() => confirmed.push({ device: 100000 + i, point: k + 1 }))
            .catch(() => failed++);
        }),
      );
    const rounds = 3 * 2 * FIRES_PER_POINT;
    const half = rounds / 2;
    for (let r = 0; r < half; r++) await sendRound(r);
    // Frames in flight on B when it dies: the devices resend them to A after reconnecting.
    const inFlight = sendRound(half);
    ingestB!.child.kill('SIGKILL');
    bTarget = ingestA!.tcp!;
    for (const s of lbB.sockets) s.destroy();
    await new Promise((r) => setTimeout(r, 200));
    await Promise.all(sims.filter((_, i) => i % 2).map((s) => s.reconnect()));
    await inFlight;

    // The WebSocket client moves from api A to api B, resuming from its last id.
    const lastSeen = moved.lastId();
    await moved.close();
    const workerKillAt = rounds - 4;
    for (let r = half + 1; r < workerKillAt; r++) await sendRound(r);
    // The worker dies with a batch in hand; another starts while the devices go on sending.
    const worker = nodes.find((n) => n.role === 'worker')!;
    const late = (async () => {
      for (let r = workerKillAt; r < rounds; r++) await sendRound(r);
    })();
    await new Promise((r) => setTimeout(r, 30));
    worker.child.kill('SIGKILL');
    await Promise.all([late, startNode('worker')]);
    const back = await TestClient.connect(`ws://127.0.0.1:${apiB!.http}/ws`, token);
    back.send({ type: 'subscribe', filters: {}, resumeFrom: lastSeen });
    const sub = await back.waitFor((m) => m.type === 'subscribed');
    assert.equal(sub.type === 'subscribed' && sub.mode, 'resume', 'api B resumes the client (same ids on every node)');

    assert.equal(failed, 0, 'every frame is confirmed in the end (resent to the surviving node)');
    assert.equal(confirmed.length, DEVICES * rounds);

    // Every confirmed frame is stored exactly once, and every event is processed once.
    const deadline = Date.now() + 20_000;
    let counts: { events: number; processed: number } = { events: 0, processed: 0 };
    while (Date.now() < deadline) {
      const r = await db.pool.query(
        `SELECT (SELECT count(*)::int FROM events WHERE point_id IS NOT NULL) AS events,
                (SELECT count(*)::int FROM processed_events p JOIN events e ON e.id = p.event_id WHERE e.point_id IS NOT NULL) AS processed`,
      );
      counts = r.rows[0];
      if (counts.processed >= DEVICES * rounds) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.deepEqual(counts, { events: DEVICES * rounds, processed: DEVICES * rounds }, 'each confirmed frame is one event, processed once');
    const perPoint = await db.pool.query(
      `SELECT d.address, p.component_address, count(*) FILTER (WHERE e.kind = 'fire')::int AS fires, count(*)::int AS n
         FROM events e JOIN devices d ON d.id = e.device_id JOIN points p ON p.id = e.point_id
        GROUP BY 1, 2`,
    );
    assert.equal(perPoint.rows.length, DEVICES * 3);
    for (const row of perPoint.rows) assert.deepEqual([row.fires, row.n], [FIRES_PER_POINT, 2 * FIRES_PER_POINT], `device ${row.address} point ${row.component_address}`);

    // One fire alarm per point, counting each of its events once (no double count on redelivery).
    const alarms = await db.pool.query(
      `SELECT unit_id, point_id, count(*)::int AS alarms, sum(event_count)::int AS events,
              (SELECT count(*)::int FROM alarm_events ae JOIN alarms a2 ON a2.id = ae.alarm_id WHERE a2.unit_id = a.unit_id AND a2.point_id = a.point_id) AS links
         FROM alarms a WHERE kind = 'fire' GROUP BY unit_id, point_id`,
    );
    assert.equal(alarms.rows.length, DEVICES * 3);
    for (const a of alarms.rows) assert.deepEqual({ alarms: a.alarms, events: a.events, links: a.links }, { alarms: 1, events: FIRES_PER_POINT, links: 2 * FIRES_PER_POINT });

    // The moved client has what the steady one has, in the same order, with the same ids.
    const head = Number((await db.pool.query(`SELECT max(id) AS head FROM stream_log`)).rows[0].head);
    const until = Date.now() + 15_000;
    while (Date.now() < until && (steady.lastId() < head || back.lastId() < head)) await new Promise((r) => setTimeout(r, 200));
    const steadyIds = deltas(steady).filter((m) => m.id > startId).map((m) => m.id);
    // The moved client resumed from lastSeen: what reached its old socket while closing was after it and is not its.
    const movedView = [...deltas(moved).filter((m) => m.id <= lastSeen), ...deltas(back)];
    const movedIds = movedView.filter((m) => m.id > startId).map((m) => m.id);
    const table = (await db.pool.query(`SELECT id FROM stream_log WHERE id > $1 ORDER BY id`, [startId])).rows.map((r) => Number(r.id));
    assert.deepEqual(steadyIds, table, 'the client that stayed on api B has every stream message in order');
    assert.deepEqual(movedIds, table, 'the client moved from api A to api B has every stream message in order');
    const opened = movedView.flatMap((m) => (m.type === 'alarm_opened' ? [`${m.alarm.kind}:${m.alarm.id}`] : []));
    assert.equal(new Set(opened).size, opened.length, `one alarm_opened per alarm: ${opened.join(' ')}`);
    // One fire alarm per point; a device silent past the offline threshold while its ingest node was
    // down (a loaded machine) also opens a unit-level host_offline alarm, which is not a point's.
    const fireOpened = opened.filter((k) => k.startsWith('fire:'));
    assert.equal(fireOpened.length, DEVICES * 3, `one fire alarm_opened per point: ${opened.join(' ')}`);

    // Every event published once more (a replayed stream, a publisher that retried): the
    // worker drops them all — no new stream message, no alarm counts twice.
    const bus = await JetStreamBus.connect({ url: NATS_URL, stream, name: 'cluster-test', logger: createLogger('silent') });
    try {
      const all = (await db.pool.query(`SELECT * FROM events ORDER BY id`)).rows.map(eventFromRow);
      await bus.publish(all);
      const drained = Date.now() + 20_000;
      while (Date.now() < drained && (await bus.backlog()) > 0) await new Promise((r) => setTimeout(r, 200));
      assert.equal(await bus.backlog(), 0, 'the worker acked the replayed events');
    } finally {
      await bus.close();
    }
    const after = await db.pool.query(
      `SELECT (SELECT max(id) FROM stream_log)::bigint AS head, (SELECT sum(event_count) FROM alarms WHERE kind = 'fire')::int AS fires,
              (SELECT count(*) FROM alarm_events)::int AS links, (SELECT count(*) FROM alarms)::int AS alarms`,
    );
    assert.deepEqual(
      { head: Number(after.rows[0].head), fires: after.rows[0].fires, links: after.rows[0].links, alarms: after.rows[0].alarms },
      { head, fires: DEVICES * 3 * FIRES_PER_POINT, links: DEVICES * 3 * 2 * FIRES_PER_POINT, alarms: DEVICES * 3 },
      'a replayed event changes nothing',
    );

    // An event committed by an ingest node that died before publishing it: the worker's
    // catch-up sweep finds it (CLUSTER_SWEEP_GRACE_S=3 here) and it reaches the alarms and the stream.
    const u0 = place.units[0]!;
    const [orphan] = await insertEvents(db.pool, [{ kind: 'fault', unit: u0, point: u0.pointIds[0], description: 'committed, never published' }]);
    const seen = await steady.waitFor((m) => m.type === 'event' && m.event.id === orphan!.id, 20_000);
    assert.ok(seen.type === 'event');
    // The alarm stage follows the stream stage.
    const alarmed = await steady.waitFor((m) => m.type === 'alarm_opened' && m.alarm.kind === 'fault' && m.alarm.pointId === u0.pointIds[0], 10_000);
    assert.ok(alarmed.type === 'alarm_opened');
    const fault = await db.pool.query(`SELECT a.id FROM alarms a JOIN alarm_events ae ON ae.alarm_id = a.id WHERE ae.event_id = $1`, [orphan!.id]);
    assert.deepEqual(fault.rows.map((r) => Number(r.id)), [alarmed.alarm.id], 'the swept event opened its alarm');

    process.stderr.write(`[cluster test] 5 nodes up in ${startedS.toFixed(1)} s; ${confirmed.length} frames confirmed, ${table.length} stream messages\n`);
    for (const s of sims) s.close();
    await Promise.all([steady, back].map((c) => c.close()));
    lbA.server.close();
    lbB.server.close();
    for (const s of [...lbA.sockets, ...lbB.sockets]) s.destroy();
    // A clean stop of the survivors (SIGTERM) finishes within the grace.
    await Promise.all(nodes.filter((n) => n.child.exitCode === null && n.child.signalCode === null).map((n) => new Promise<void>((r) => (n.child.once('exit', () => r()), n.child.kill('SIGTERM')))));
  });
});
