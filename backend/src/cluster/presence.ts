// "Nobody watching" across API nodes. In one process the presence watch (duty/presence.ts)
// reads the live hub's connected desks and walls; with several API nodes each hub sees only
// its own clients, so each node writes its screens to cluster_presence every DUTY_WATCH_MS
// and the watch — on the scheduler-lock holder only — reads every live node's row and runs
// the same rule (raise after CENTER_UNATTENDED_AFTER_S, clear when a screen is back, duty
// log, chief alerts). A node that dies stops refreshing its row: after `staleMs` its screens
// no longer count (its clients reconnect to another node meanwhile).
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { SerialJobs } from '@firelink/common';
import type { Principal } from '../auth/scope.ts';
import type { Pool } from '../db/pool.ts';
import { PresenceWatch } from '../duty/presence.ts';
import type { Screen } from '../duty/domain/presence.ts';
import type { FeatureFactory } from '../kernel/feature.ts';
import type { Logger } from '../logger.ts';
import type { LiveParts } from '../pipeline/feature.ts';
import { deletePresence, livePresence, upsertPresence } from './queries.ts';

type Watcher = { principal: Principal; view: Screen | null };

export interface SharedPresenceOptions {
  /** This node's connected screens (its live hub). */
  screens: () => Watcher[];
  /** Absence before a post is unattended, s (0: neither written nor watched). */
  afterS: number;
  wall: boolean;
  everyMs: number;
  /** Whether this node runs the watch (holds the scheduler lock). */
  leads: () => boolean;
  /** A node's row older than this no longer counts, ms. Default 3 periods + 5 s. */
  staleMs?: number;
}

export class SharedPresence {
  readonly node = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  readonly watch: PresenceWatch;
  private everyone: Watcher[] = [];
  private readonly jobs: SerialJobs;

  constructor(
    private readonly pool: Pool,
    private readonly o: SharedPresenceOptions,
    private readonly logger: Logger,
  ) {
    this.watch = new PresenceWatch(pool, { presence: () => this.everyone, afterS: o.afterS, wall: o.wall, everyMs: o.everyMs }, logger);
    this.jobs = new SerialJobs((err) => logger.error({ err }, 'shared presence failed (runs again at the next tick)'));
  }

  start(): void {
    if (this.o.afterS > 0) this.jobs.every(this.o.everyMs, () => this.tick(), { immediately: true });
  }

  async stop(): Promise<void> {
    await this.jobs.stop();
    await this.pool.query(deletePresence(this.node)).catch(() => {});
  }

  /** Writes this node's screens; on the lock holder, reads every node's and runs the watch. */
  async tick(): Promise<void> {
    const mine = this.o.screens().map((w) => ({ principal: w.principal, view: w.view }));
    await this.pool.query(upsertPresence(this.node, JSON.stringify(mine)));
    if (!this.o.leads()) return;
    const r = await this.pool.query(livePresence(this.o.staleMs ?? this.o.everyMs * 3 + 5000));
    this.everyone = r.rows.flatMap((x) => x.screens as Watcher[]);
    await this.watch.check();
  }
}

/** The API role's feature: the shared presence of the live hub `parts()` exposes. */
export function sharedPresenceFeature(o: Omit<SharedPresenceOptions, 'screens'> & { parts: () => LiveParts | null; expose?: (p: SharedPresence) => void }): FeatureFactory {
  return (ctx) => {
    const shared = new SharedPresence(ctx.pool, { ...o, screens: () => o.parts()?.hub.presence() ?? [] }, ctx.logger.child({ feature: 'presence' }));
    o.expose?.(shared);
    return {
      name: 'shared-presence',
      start: async () => shared.start(),
      stop: () => shared.stop(),
    };
  };
}
