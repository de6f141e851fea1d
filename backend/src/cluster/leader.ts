// One scheduler: periodic work (duty checks and deadlines, supervision rules, analytics
// refresh, the workers' catch-up sweep) runs only on the node that holds a PostgreSQL
// session-level advisory lock. Every candidate tries every retryMs; the holder keeps the
// lock on a connection of its own for as long as it lives. When the holder dies (SIGKILL,
// crash) its connection closes, PostgreSQL releases the lock, and the next try of another
// node takes over — within retryMs. A holder that loses its connection (network, database
// restart) can no longer tell whether another node took over, so it stops being leader at
// once (onLost; the roles exit and let the supervisor restart them: crash-only, never two
// schedulers).
import pg from 'pg';
import type { Feature, FeatureFactory } from '../kernel/feature.ts';
import type { Logger } from '../logger.ts';

/** The advisory lock keys of the scale-out (fixed numbers; the stream writers' is in shared-stream-log.ts). */
export const LOCK_KEYS = {
  /** Duty, supervision, analytics jobs (API nodes). */
  scheduler: 268_750_002,
  /** The catch-up sweep of unprocessed events (workers). */
  sweep: 268_750_003,
} as const;

export interface LeaderLockOptions {
  databaseUrl: string;
  key: number;
  logger: Logger;
  /** How often a follower tries to take the lock, ms. Default 2000. */
  retryMs?: number;
  /** The lock is gone (its connection broke) while this node led. */
  onLost: (err: unknown) => void;
}

export class LeaderLock {
  private client: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private tasks: Array<() => unknown> = [];
  private stopped = false;
  leader = false;

  constructor(private readonly o: LeaderLockOptions) {}

  /** Runs `task` once this node leads (at once if it already does). */
  whenLeader(task: () => unknown): void {
    if (this.leader) void this.run(task);
    else this.tasks.push(task);
  }

  start(): void {
    void this.attempt();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const c = this.client;
    this.client = null;
    this.leader = false;
    // Closing the session releases the lock: a follower takes over on its next try.
    await c?.end().catch(() => {});
  }

  private async run(task: () => unknown): Promise<void> {
    try {
      await task();
    } catch (err) {
      this.o.logger.error({ err, lock: this.o.key }, 'leader task failed to start');
    }
  }

  private async attempt(): Promise<void> {
    if (this.stopped) return;
    const c = new pg.Client({ connectionString: this.o.databaseUrl, keepAlive: true });
    let ok = false;
    try {
      c.on('error', (err) => this.lost(c, err));
      await c.connect();
      const r = await c.query('SELECT pg_try_advisory_lock($1) AS ok', [this.o.key]);
      ok = r.rows[0].ok === true;
    } catch (err) {
      this.o.logger.warn({ err, lock: this.o.key }, 'leader lock: try failed; retrying');
    }
    if (!ok || this.stopped) {
      await c.end().catch(() => {});
      if (!this.stopped) this.timer = setTimeout(() => void this.attempt(), this.o.retryMs ?? 2000);
      return;
    }
    this.client = c;
    this.leader = true;
    c.on('end', () => this.lost(c, new Error('leader lock connection ended')));
    this.o.logger.info({ lock: this.o.key }, 'leader lock taken: this node runs the periodic work');
    for (const t of this.tasks.splice(0)) await this.run(t);
  }

  private lost(c: pg.Client, err: unknown): void {
    if (this.client !== c || this.stopped) return;
    this.client = null;
    this.leader = false;
    this.o.onLost(err);
  }
}

/**
 * The feature's routes are served at once on every node; its start() (periodic jobs) runs
 * only once this node holds the lock. stop() always runs (it also frees what the routes
 * opened, e.g. a PDF renderer).
 */
export function leaderOnly(make: FeatureFactory, lock: LeaderLock): FeatureFactory {
  return async (ctx) => {
    const f: Feature = await make(ctx);
    return {
      name: f.name,
      routers: f.routers,
      start: async () => lock.whenLeader(() => f.start?.()),
      stop: async () => {
        await f.stop?.();
      },
    };
  };
}
