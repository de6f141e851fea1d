// The scale-out roles of one program (README "Scale-out"): `firelink ingest`, `api` and
// `worker`, any number of each, sharing PostgreSQL and a NATS JetStream. Each is the
// single-process server (main.ts startServer) with a subset of the features and the
// JetStream bus; `firelink start` is untouched (in-process bus, every feature).
//
//   ingest  GB/T 26875 listener: commit, confirm, publish committed events on JetStream;
//           device health (last seen per node, offline sweep from the table), duty checks
//           of its own connections, ingest retention.
//   api     HTTP + WebSocket: every route; the live stream tails the shared stream_log;
//           duty, supervision and analytics jobs only on the scheduler-lock holder;
//           connected desks and walls shared in cluster_presence, the presence watch on
//           the scheduler-lock holder (presence.ts).
//   worker  the one durable JetStream consumer: pipeline (stream messages), alarm rules
//           exactly once per event (processed_events), escalation, 119 forwarding,
//           onboarding intake; the catch-up sweep on the sweep-lock holder.
import type { EventBus, StoredEvent } from '@firelink/common';
import { EVENT_KINDS } from '@firelink/common';
import { SerialJobs } from '@firelink/common';
import { z } from 'zod';
import { accessFeature } from '../auth/feature.ts';
import { analyticsFeature } from '../analytics/feature.ts';
import { ingestFeature } from '../devices/feature.ts';
import { deviceRegistrationRouter } from '../devices/registration-routes.ts';
import { devicesRouter } from '../devices/routes.ts';
import { dispatchFeature } from '../dispatch/feature.ts';
import { dutyFeature } from '../duty/feature.ts';
import type { Config } from '../kernel/config.ts';
import { ConfigError } from '../kernel/config.ts';
import type { FeatureFactory } from '../kernel/feature.ts';
import type { Logger } from '../logger.ts';
import { startServer, type RunningServer } from '../main.ts';
import { onboardingFeature } from '../onboarding/feature.ts';
import type { Pipeline } from '../pipeline/pipeline.ts';
import { liveFeature, type LiveParts } from '../pipeline/feature.ts';
import { stationFeature } from '../station/feature.ts';
import { supervisionFeature } from '../supervision/feature.ts';
import { tilesFeature } from '../tiles/feature.ts';
import { usersFeature } from '../users/feature.ts';
import { waterFeature } from '../water/feature.ts';
import { JetStreamBus } from './jetstream-bus.ts';
import { LeaderLock, leaderOnly, LOCK_KEYS } from './leader.ts';
import { claimEvents, processedAmong, pruneProcessed, unprocessedBefore, unprocessedEvents } from './queries.ts';
import { sharedPresenceFeature } from './presence.ts';
import { sharedStreamLog } from './shared-stream-log.ts';
import { eventFromRow } from '../pipeline/event-row.ts';
import { alarmRuleFor } from '../alarms/domain/rules.ts';

export const ROLES = ['ingest', 'api', 'worker'] as const;
export type Role = (typeof ROLES)[number];

const NATS_URL_MISSING = 'set NATS_URL (e.g. nats://127.0.0.1:4222): the ingest, api and worker roles need NATS JetStream';

const clusterSchema = z.object({
  // NATS server(s) with JetStream, e.g. nats://127.0.0.1:4222 (comma-separated for a cluster).
  NATS_URL: z.string({ required_error: NATS_URL_MISSING }).min(1, NATS_URL_MISSING),
  // The JetStream stream of committed events (one per deployment; tests use their own).
  NATS_STREAM: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only').default('FIRELINK_EVENTS'),
  // Stream replicas: 3 on a three-server NATS cluster (survives one NATS server), 1 on one server.
  NATS_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  // Seconds a worker has to ack a delivered batch before JetStream redelivers it to another.
  NATS_ACK_WAIT_S: z.coerce.number().int().min(1).default(30),
  // Seconds an event must be old before the catch-up sweep processes it (a worker normally did within ms).
  CLUSTER_SWEEP_GRACE_S: z.coerce.number().int().min(1).default(15),
  // How often the sweep-lock holder looks for committed events no worker processed, ms.
  CLUSTER_SWEEP_MS: z.coerce.number().int().min(100).default(5000),
  // How often a node that does not lead tries to take a leader lock, ms.
  CLUSTER_LEADER_RETRY_MS: z.coerce.number().int().min(100).default(2000),
});
export type ClusterConfig = z.infer<typeof clusterSchema>;

export function loadClusterConfig(env: NodeJS.ProcessEnv = process.env): ClusterConfig {
  const r = clusterSchema.safeParse(env);
  if (!r.success) throw new ConfigError(r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return r.data;
}

/** Look-back of the catch-up sweep, minutes (processed markers are kept twice as long). */
const SWEEP_WINDOW_MIN = 60;

export interface RunningRole {
  role: Role;
  server: RunningServer;
  /** The GB/T 26875 TCP port (ingest). */
  tcpPort: number | null;
  close: () => Promise<void>;
}

/**
 * The alarm stage's claim: the batch and its units' unprocessed predecessors (predecessors()),
 * in id order, inserted into processed_events; the events inserted now are applied. Every path
 * to the alarm rules passes here — the bus, the catch-up sweep, the pipeline's start-up
 * catch-up of raising events (which would otherwise apply a raise before the clearing
 * committed ahead of it) — so a unit's events are applied in commit order whichever comes first.
 */
const claimWith =
  (lookbackMs: number) =>
  async (c: import('pg').PoolClient, events: readonly StoredEvent[]): Promise<readonly StoredEvent[]> => {
    if (events.length === 0) return events;
    const all = await predecessors(c, events, lookbackMs);
    const r = await c.query(claimEvents(all.map((e) => e.id)));
    const fresh = new Set(r.rows.map((x) => Number(x.event_id)));
    return all.filter((e) => fresh.has(e.id));
  };

/**
 * How far before a batch's oldest event its units' unprocessed predecessors are looked for,
 * ms: twice the longest an event can wait for a worker in the normal course (a dead worker's
 * ack wait, the sweep's grace and period). An event later still is applied by the sweep when
 * it comes, out of order.
 */
const lookbackOf = (c: ClusterConfig) => 2 * Math.max(c.NATS_ACK_WAIT_S * 1000, c.CLUSTER_SWEEP_GRACE_S * 1000 + c.CLUSTER_SWEEP_MS) + 10_000;
/** Predecessors taken into one batch at most. */
const PREDECESSORS_MAX = 5000;
/** Kinds the alarm rules act on: only these need their unit's order (others are not applied to alarms). */
const RULE_KINDS = EVENT_KINDS.filter((k) => alarmRuleFor(k) !== null);
const RULED = new Set<string>(RULE_KINDS);

/**
 * The events and their units' committed, not yet processed predecessors, in id order.
 * JetStream hands a message to another worker while an earlier one is still held by a worker
 * that died (redelivered only after the ack wait), and an event its ingest node never
 * published is found by the sweep only after its grace: applied late, an old fault clearing
 * would close the alarm a newer raise holds open. Only units with an event the alarm rules
 * act on are looked at, and only such predecessors are taken.
 */
async function predecessors(q: import('pg').Pool | import('pg').PoolClient, events: readonly StoredEvent[], lookbackMs: number): Promise<StoredEvent[]> {
  const byId = new Map(events.map((e) => [e.id, e]));
  const ruled = events.filter((e) => e.unitId != null && RULED.has(e.kind));
  const units = [...new Set(ruled.map((e) => e.unitId!))];
  if (units.length) {
    const newest = Math.max(...ruled.map((e) => e.id));
    const oldest = Math.min(...ruled.map((e) => Date.parse(e.receivedAt)));
    const since = new Date((Number.isFinite(oldest) ? oldest : Date.now()) - lookbackMs).toISOString();
    const r = await q.query(unprocessedBefore(units, RULE_KINDS, newest, since, PREDECESSORS_MAX));
    for (const row of r.rows) if (!byId.has(Number(row.id))) byId.set(Number(row.id), eventFromRow(row));
  }
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

export async function startRole(
  role: Role,
  o: { config: Config; cluster: ClusterConfig; databaseUrl: string; logger: Logger; onLeaderLost?: (err: unknown) => void },
): Promise<RunningRole> {
  const logger = o.logger.child({ role, pid: process.pid });
  const lookbackMs = lookbackOf(o.cluster);
  const claim = claimWith(lookbackMs);
  const bus = await JetStreamBus.connect({ url: o.cluster.NATS_URL, stream: o.cluster.NATS_STREAM, replicas: o.cluster.NATS_REPLICAS, name: `firelink-${role}-${process.pid}`, logger });
  const onLost = o.onLeaderLost ?? ((err: unknown) => {
    logger.fatal({ err }, 'leader lock lost: exiting so that exactly one node runs the periodic work (restart me)');
    process.exit(3);
  });
  const lock = (key: number) => new LeaderLock({ databaseUrl: o.databaseUrl, key, logger, retryMs: o.cluster.CLUSTER_LEADER_RETRY_MS, onLost });
  // "Nobody watching": the live feature's own watch would count only this process's desks, so
  // it is off here; API nodes share their screens through PostgreSQL instead (presence.ts).
  const config: Config = { ...o.config, CENTER_UNATTENDED_AFTER_S: 0 };
  const streamLog = (tail: boolean) => sharedStreamLog({ databaseUrl: o.databaseUrl, logger, tail });
  let server: RunningServer;
  let tcpPort: number | null = null;
  const cleanup: Array<() => Promise<void>> = [];
  try {
    if (role === 'ingest') {
      server = await startServer({ config, databaseUrl: o.databaseUrl, logger, bus, features: [ingestFeature({ demoFleet: false, onStarted: (h) => (tcpPort = h.port) })] });
    } else if (role === 'api') {
      const scheduler = lock(LOCK_KEYS.scheduler);
      let live: LiveParts | null = null;
      const features: FeatureFactory[] = [
        accessFeature,
        usersFeature,
        liveFeature({ hub: { streamLog: streamLog(true) }, claimEvents: claim, expose: (p) => (live = p) }),
        sharedPresenceFeature({
          parts: () => live,
          afterS: o.config.CENTER_UNATTENDED_AFTER_S,
          wall: o.config.CENTER_UNATTENDED_WALL,
          everyMs: o.config.DUTY_WATCH_MS,
          leads: () => scheduler.leader,
        }),
        onboardingFeature(),
        devicesApiFeature,
        leaderOnly(analyticsFeature, scheduler),
        dispatchFeature,
        tilesFeature,
        leaderOnly(dutyFeature(), scheduler),
        leaderOnly(supervisionFeature(), scheduler),
        waterFeature,
        stationFeature,
      ];
      server = await startServer({ config, databaseUrl: o.databaseUrl, logger, bus, features });
      scheduler.start();
      cleanup.push(() => scheduler.stop());
    } else {
      let pipeline: Pipeline | null = null;
      const filtered = processedFilter(bus, () => server.pool, lookbackMs);
      const features: FeatureFactory[] = [
        liveFeature({ hub: { streamLog: streamLog(false) }, claimEvents: claim, expose: (p) => (pipeline = p.pipeline) }),
        onboardingFeature(),
      ];
      server = await startServer({ config, databaseUrl: o.databaseUrl, logger, bus: filtered, features });
      const p = pipeline as Pipeline | null;
      if (!p) throw new Error('worker: the live feature did not expose its pipeline');
      await bus.consume({ ackWaitMs: o.cluster.NATS_ACK_WAIT_S * 1000, settle: () => p.idle() });
      const sweeper = lock(LOCK_KEYS.sweep);
      const jobs = new SerialJobs((err) => logger.error({ err }, 'catch-up sweep failed (runs again)'));
      sweeper.whenLeader(() => {
        jobs.every(o.cluster.CLUSTER_SWEEP_MS, () => sweep(server, p, o.cluster.CLUSTER_SWEEP_GRACE_S, logger), { immediately: true });
        jobs.every(3600_000, () => server.pool.query(pruneProcessed((SWEEP_WINDOW_MIN * 2) / 60)));
      });
      sweeper.start();
      cleanup.push(async () => {
        await sweeper.stop();
        await jobs.stop();
      });
    }
  } catch (err) {
    await bus.close();
    throw err;
  }
  const running = server;
  let closing: Promise<void> | null = null;
  return {
    role,
    server: running,
    tcpPort,
    close: () =>
      (closing ??= (async () => {
        for (const c of cleanup) await c().catch((err) => logger.error({ err }, 'stop failed'));
        // The consumer stops first (unacked messages go back to the other workers); the
        // connection closes last, after the features' final publishes (device health's flush).
        await bus.stopConsuming();
        await running.close();
        await bus.close();
      })()),
  };
}

/** Unprocessed committed events (an ingest node died before publishing; an alarm stage failed) through the pipeline. */
async function sweep(server: RunningServer, pipeline: Pipeline, graceS: number, logger: Logger): Promise<void> {
  const r = await server.pool.query(unprocessedEvents(SWEEP_WINDOW_MIN, graceS, 20_000));
  if (r.rows.length === 0) return;
  const events = r.rows.map(eventFromRow);
  logger.warn({ events: events.length, firstId: events[0]!.id }, 'catch-up sweep: committed events no worker processed; processing them now');
  await pipeline.handle(events);
  await pipeline.idle();
}

/**
 * The worker's bus: events already processed (a redelivery after the alarm stage committed)
 * are dropped before any handler sees them, so they are neither broadcast nor applied again.
 * Each batch goes with its units' unprocessed predecessors, in id order (predecessors()), so
 * a late event also reaches the stream in its place; the claim makes sure each is applied
 * once, by whichever worker commits first, and the late copy is dropped here when it comes.
 */
function processedFilter(bus: JetStreamBus, pool: () => import('pg').Pool, lookbackMs: number): EventBus {
  return {
    publish: (events) => bus.publish(events),
    subscribe: (handler) =>
      bus.subscribe(async (delivered) => {
        if (delivered.length === 0) return;
        const events = await predecessors(pool(), delivered, lookbackMs);
        const r = await pool().query(processedAmong(events.map((e) => e.id)));
        if (r.rows.length === 0) return handler(events);
        const done = new Set(r.rows.map((x) => Number(x.event_id)));
        const fresh = events.filter((e) => !done.has(e.id));
        if (fresh.length) await handler(fresh);
      }),
  };
}

/** The device traffic and registration API without the listener (API nodes; the listeners are on ingest nodes). */
const devicesApiFeature: FeatureFactory = (ctx) => ({
  name: 'devices-api',
  routers: [
    { path: '/api/devices', router: devicesRouter(ctx.pool, () => null) },
    { path: '/api/units', router: deviceRegistrationRouter({ pool: ctx.pool }) },
  ],
});
