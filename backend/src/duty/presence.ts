// The presence watch: every DUTY_WATCH_MS it compares the staffed posts
// (someone rostered now) with the screens connected to the live stream (desks and walls say
// which they are when they connect: /ws?view=desk|wall). A post without an operator desk
// (or, with CENTER_UNATTENDED_WALL, without a wall) for CENTER_UNATTENDED_AFTER_S is
// unattended: a duty_unattended record, a duty log entry and a duty alert (outbox channel
// duty_alert) to each duty chief rostered for the post. A screen back clears it, logged and
// alerted likewise. The rule itself is pure (domain/presence.ts); the clock is injected.
import { SerialJobs } from '@firelink/common';
import { scopeAllows, type Principal } from '../auth/scope.ts';
import { withTransaction, type Pool } from '../db/pool.ts';
import type { Logger } from '../logger.ts';
import { decidePresence, type PresenceDecision, type Screen } from './domain/presence.ts';
import * as q from './queries.ts';

export interface PresenceWatchOptions {
  /** Who is connected now (the live hub's clients). */
  presence: () => Array<{ principal: Principal; view: Screen | null }>;
  /** Absence before a post is unattended, s (0 = the watch does not run). */
  afterS: number;
  /** Walls count too. */
  wall: boolean;
  everyMs: number;
  now?: () => Date;
  /** Called after duty alerts were queued (the sender sends them at once). */
  onAlert?: () => void;
}

const SCREEN_ZH: Record<Screen, string> = { desk: '值班台', wall: '大屏' };

/** hh:mm in Asia/Shanghai. */
const shanghaiTime = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(11, 16);

export class PresenceWatch {
  private readonly lastSeen = new Map<string, number>();
  private readonly jobs: SerialJobs;
  private readonly now: () => Date;

  constructor(
    private readonly pool: Pool,
    private readonly o: PresenceWatchOptions,
    private readonly logger: Logger,
  ) {
    this.now = o.now ?? (() => new Date());
    this.jobs = new SerialJobs((err) => logger.error({ err }, 'presence watch failed (runs again at the next tick)'));
  }

  start(): void {
    if (this.o.afterS > 0) this.jobs.every(this.o.everyMs, () => this.check().then(() => undefined));
  }

  stop(): Promise<void> {
    return this.jobs.stop();
  }

  /** One pass: raises and clears unattended records. */
  async check(): Promise<PresenceDecision> {
    const now = this.now();
    const at = now.toISOString();
    const [posts, open] = await Promise.all([this.pool.query(q.staffedPosts(at)), this.pool.query(q.openUnattended())]);
    const names = new Map(posts.rows.map((r) => [Number(r.region_adcode), String(r.name)]));
    const watchers = this.o.presence().map((w) => ({
      role: w.principal.role,
      view: w.view,
      covers: (post: number) => scopeAllows(w.principal.scope, { regionAdcode: post }),
    }));
    const d = decidePresence({
      posts: [...names.keys()],
      watchers,
      screens: this.o.wall ? ['desk', 'wall'] : ['desk'],
      lastSeen: this.lastSeen,
      open: open.rows.map((r) => ({ post: Number(r.region_adcode), screen: r.screen as Screen })),
      nowMs: now.getTime(),
      afterMs: this.o.afterS * 1000,
    });
    let alerts = 0;
    for (const r of d.raise) {
      alerts += await withTransaction(this.pool, async (c) => {
        const row = (await c.query(q.insertUnattended(r.post, r.screen, new Date(r.absentSinceMs).toISOString(), at))).rows[0];
        if (!row) return 0;
        const name = names.get(r.post) ?? String(r.post);
        const minutes = Math.max(1, Math.round((now.getTime() - r.absentSinceMs) / 60_000));
        const text = `${name}监控中心无人值守：自${shanghaiTime(r.absentSinceMs)}起已${minutes}分钟没有${SCREEN_ZH[r.screen]}在线，请值班长立即核查。`;
        await c.query(q.insertLog({ regionAdcode: r.post, kind: 'center_unattended', actorId: null, actorName: 'system', text, refEntity: 'duty_unattended', refId: Number(row.id) }));
        const n = await this.alertChiefs(c, r.post, at, text, 'center_unattended', Number(row.id));
        await c.query(q.setNotified(Number(row.id), n));
        this.logger.warn({ post: r.post, screen: r.screen, chiefsAlerted: n }, 'center unattended');
        return n;
      });
    }
    for (const r of d.clear) {
      alerts += await withTransaction(this.pool, async (c) => {
        const row = (await c.query(q.clearUnattended(r.post, r.screen, at))).rows[0];
        if (!row) return 0;
        const name = names.get(r.post) ?? String(r.post);
        const staffed = names.has(r.post);
        const text = staffed ? `${name}监控中心${SCREEN_ZH[r.screen]}已恢复在线（${shanghaiTime(now.getTime())}）。` : `${String(r.post)}值班已结束，无人值守告警解除。`;
        await c.query(q.insertLog({ regionAdcode: r.post, kind: 'center_attended', actorId: null, actorName: 'system', text, refEntity: 'duty_unattended', refId: Number(row.id) }));
        return staffed ? this.alertChiefs(c, r.post, at, text, 'center_attended', Number(row.id)) : 0;
      });
    }
    if (alerts > 0) this.o.onAlert?.();
    return d;
  }

  private async alertChiefs(c: Parameters<Parameters<typeof withTransaction>[1]>[0], post: number, at: string, text: string, kind: string, refId: number): Promise<number> {
    const chiefs = (await c.query(q.chiefsOnDuty(post, at))).rows;
    for (const ch of chiefs) {
      await c.query(q.enqueueChiefAlert({ phone: (ch.phone as string | null) || null, userId: Number(ch.user_id), text, kind, regionAdcode: post, refEntity: 'duty_unattended', refId }));
    }
    return chiefs.length;
  }
}
