// Notifications: event → rule → outbox rows (one per recipient), and the outbox worker that
// hands them to the SMS gateway with bounded, exponentially spaced retries.
import type pg from 'pg';
import { COMPONENT_TYPES, SerialJobs, splitComponentAddress, type Contact, type StoredEvent } from '@firelink/common';
import type { Logger } from '../logger.ts';
import { promClient, type MetricsRegistry } from '../metrics.ts';
import { withTransaction } from '../db/pool.ts';
import {
  DEFAULT_NOTIFICATION_POLICY,
  KIND_ZH,
  holdKeyOf,
  planDigests,
  renderDigest,
  shanghaiDayStartMs,
  type DigestItem,
  type ExistingMessage,
  type NewItem,
  type NotificationPolicy,
} from './domain/digest.ts';
import { SmsGatewayError, type SmsGateway } from './gateway.ts';
import { claimOutbox, outboxFailed, outboxRetry, outboxSent } from './outbox.ts';
import * as q from './queries.ts';

/**
 * What happened, in Chinese, for a message: the device's own description when it sent one,
 * else the component type and its loop/point address with the kind ("点型感烟火灾探测器
 * 1回路23号 故障"); devices often send the description field blank. A host offline says
 * its reason (silent, power, line_fault, panel_power) in words.
 */
export function eventDetailZh(e: Pick<StoredEvent, 'kind' | 'description' | 'componentType' | 'componentAddress' | 'payload'>): string {
  // A host offline says why (the pipeline's reason) before any description the device sent.
  const offlineReason = e.kind === 'host_offline' ? OFFLINE_REASON_ZH[String(e.payload?.reason)] : undefined;
  if (offlineReason) return offlineReason;
  const described = e.description?.trim();
  if (described) return described;
  if (e.kind === 'host_offline') return '主机离线';
  const kind = KIND_ZH[e.kind] ?? '异常';
  if (e.componentType === null || e.componentAddress === null) return kind;
  const type = COMPONENT_TYPES[e.componentType]?.zh ?? '部件';
  const { loop, point } = splitComponentAddress(e.componentAddress);
  return `${type} ${loop}回路${point}号 ${kind}`;
}

/** Why the host went offline (the host_offline event's payload.reason, ingest/src/domain/normalize.ts). */
const OFFLINE_REASON_ZH: Record<string, string> = {
  silent: '超过规定时间未收到数据（通信中断或设备关机）',
  power: '用户信息传输装置主电和备电均故障（传输装置断电）',
  line_fault: '传输装置与火灾报警控制器之间线路故障（控制器关机或线路断开）',
  panel_power: '火灾报警控制器主电和备电均故障（控制器断电）',
};

export interface NotifyResult {
  /** New messages written to the outbox. */
  queued: number;
  /** Items added to messages still waiting for more (open digests). */
  merged: number;
  /** Items not sent: repeats within the rule's throttle, or past the recipient's daily cap. */
  suppressed: number;
}

/**
 * Turns the events some rule covers into SMS digests: per recipient, items join the message
 * that is still waiting for more, or start a new one (domain/digest.ts has the policy). One
 * transaction; the open messages it merges into are locked, so the worker never sends a
 * message half-updated.
 */
export async function notifyForEvents(
  pool: pg.Pool,
  events: readonly StoredEvent[],
  opts: { policy?: NotificationPolicy; now?: () => number } = {},
): Promise<NotifyResult> {
  const policy = opts.policy ?? DEFAULT_NOTIFICATION_POLICY;
  const none: NotifyResult = { queued: 0, merged: 0, suppressed: 0 };
  const rules = (await pool.query(q.enabledRules())).rows;
  const byKind = new Map(rules.map((r) => [String(r.event_kind), r]));
  const relevant = events.filter((e) => e.unitId != null && byKind.has(e.kind));
  if (relevant.length === 0) return none;
  const units = new Map(
    (await pool.query(q.unitRecipients([...new Set(relevant.map((e) => e.unitId!))]))).rows.map((u) => [Number(u.id), u]),
  );
  const items: NewItem[] = [];
  for (const e of relevant) {
    const rule = byKind.get(e.kind)!;
    const u = units.get(e.unitId!);
    if (!u) continue;
    const phones = new Set<string>();
    if (rule.notify_contacts) {
      for (const c of (u.contacts as Contact[]) ?? []) if ((rule.contact_roles as string[]).includes(c.role) && c.phone) phones.add(c.phone);
    }
    if (rule.notify_agency && u.agency_phone) phones.add(String(u.agency_phone));
    const detail = eventDetailZh(e);
    for (const phone of phones) {
      items.push({
        recipient: phone,
        regionAdcode: u.region_adcode == null ? null : Number(u.region_adcode),
        throttleS: Number(rule.throttle_s),
        unitId: e.unitId!,
        unitName: String(u.name),
        kind: e.kind,
        detail,
        eventId: e.id,
        count: 1,
      });
    }
  }
  if (items.length === 0) return none;
  const templates = new Map(rules.map((r) => [String(r.event_kind), String(r.template_zh)]));
  const render = (its: DigestItem[], summary: boolean) =>
    renderDigest(its, { summary, templates, maxChars: policy.maxChars, dailyCap: policy.dailyCap });
  const payload = (its: DigestItem[], summary: boolean) => ({
    text: render(its, summary),
    kind: its.length === 1 ? its[0]!.kind : 'digest',
    eventId: its[0]!.eventId,
    summary,
    unitIds: [...new Set(its.map((i) => i.unitId))],
    items: its,
  });
  const nowMs = (opts.now ?? Date.now)();
  const longestThrottleS = Math.max(0, ...items.map((i) => i.throttleS));
  const since = Math.min(shanghaiDayStartMs(nowMs), nowMs - longestThrottleS * 1000);
  const recipients = [...new Set(items.map((i) => i.recipient))];
  return withTransaction(pool, async (c) => {
    await c.query(q.lockOpenDigests([...new Set(items.map((i) => holdKeyOf(i.recipient, i.regionAdcode)))]));
    const existing = new Map<string, ExistingMessage[]>();
    for (const r of (await c.query(q.recentMessages(recipients, new Date(since).toISOString()))).rows) {
      const m: ExistingMessage = {
        id: Number(r.id),
        open: r.hold_key != null,
        holdKey: r.hold_key ?? null,
        createdAtMs: (r.created_at as Date).getTime(),
        // Messages from before digests carry one event of one kind; their unit is ref_id.
        items: Array.isArray(r.payload?.items) ? (r.payload.items as DigestItem[]) : legacyItems(r.payload, r.ref_id),
        summary: r.payload?.summary === true,
      };
      const l = existing.get(String(r.recipient));
      if (l) l.push(m);
      else existing.set(String(r.recipient), [m]);
    }
    const plan = planDigests(items, existing, policy, nowMs);
    if (plan.updates.length) await c.query(q.updateDigests(plan.updates.map((u) => ({ id: u.id, payload: payload(u.items, u.summary) }))));
    let queued = 0;
    if (plan.inserts.length) {
      const r = await c.query(
        q.insertDigests(
          plan.inserts.map((m) => ({
            recipient: m.recipient,
            holdKey: m.holdKey,
            unitId: m.items[0]!.unitId,
            dueAtIso: new Date(m.dueAtMs).toISOString(),
            payload: payload(m.items, m.summary),
          })),
        ),
      );
      queued = r.rowCount ?? 0;
    }
    return { queued, merged: items.length - plan.suppressed - plan.inserts.length, suppressed: plan.suppressed };
  });
}

function legacyItems(p: Record<string, unknown> | null, refId: string | null): DigestItem[] {
  if (!p || typeof p.kind !== 'string') return [];
  return [{ unitId: Number(refId ?? 0), unitName: '', kind: p.kind, detail: '', eventId: Number(p.eventId ?? 0), count: 1 }];
}

export interface OutboxWorkerOptions {
  /** Attempts before a message is marked failed. */
  maxAttempts: number;
  /** Delay before the 2nd attempt; doubles each time, capped at 1 h. */
  retryBaseMs: number;
  /** How long a claim holds a message before another worker may retry it (a dead worker's claim expires). */
  leaseMs?: number;
  batch?: number;
}

export class OutboxWorker {
  private jobs: SerialJobs | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly gateway: SmsGateway,
    private readonly opts: OutboxWorkerOptions,
    private readonly logger?: Logger,
  ) {}

  /** Sends what is due now; returns counts. */
  async runOnce(): Promise<{ sent: number; retried: number; failed: number }> {
    const leaseMs = this.opts.leaseMs ?? 60_000;
    const claimed = (await this.pool.query(claimOutbox(q.SMS_CHANNEL, this.opts.batch ?? 50, leaseMs, { closeHold: true }))).rows;
    const out = { sent: 0, retried: 0, failed: 0 };
    for (const m of claimed) {
      const id = Number(m.id);
      try {
        await this.gateway.send({ to: String(m.recipient), text: String(m.payload?.text ?? ''), ref: `outbox-${id}` });
        await this.pool.query(outboxSent(id));
        out.sent++;
      } catch (err) {
        const retryable = err instanceof SmsGatewayError ? err.retryable : true;
        const msg = (err as Error).message;
        if (!retryable || Number(m.attempts) >= this.opts.maxAttempts) {
          await this.pool.query(outboxFailed(id, msg));
          out.failed++;
          this.logger?.warn({ outboxId: id, attempts: m.attempts, err: msg }, 'SMS failed for good');
        } else {
          const delay = Math.min(this.opts.retryBaseMs * 2 ** (Number(m.attempts) - 1), 3_600_000);
          await this.pool.query(outboxRetry(id, msg, delay));
          out.retried++;
        }
      }
    }
    return out;
  }

  start(pollMs: number): void {
    this.jobs = new SerialJobs((err) => this.logger?.error({ err }, 'outbox worker pass failed'));
    this.jobs.every(pollMs, () => this.runOnce());
  }

  async stop(): Promise<void> {
    await this.jobs?.stop();
    this.jobs = null;
  }
}

export interface NotificationIntakeOptions {
  policy: NotificationPolicy;
  /**
   * How often queued events are turned into messages, ms. A new message waits the policy's
   * coalesceS (60 s) for more items anyway; each pass rewrites every open message it adds to
   * (the whole payload), so a pass every 2 s instead of every 0.5 s cut that rewriting by
   * about four in a storm, where it was PostgreSQL's costliest work after the alarm stage.
   */
  flushMs: number;
  /** Events held at most; past it the oldest are dropped (counted, logged): bounded memory in any storm. */
  maxQueued: number;
  /** Events per notifyForEvents call. */
  maxBatch: number;
}

/**
 * The event bus subscriber of notifications. `handle` only queues (the device-facing side
 * never waits for SMS work); a SerialJobs loop turns the queue into digests every `flushMs`.
 * Only kinds some rule covers are kept (the rule list is re-read at every flush).
 */
export class NotificationIntake {
  private queue: StoredEvent[] = [];
  private arrived: number[] = [];
  private kinds: Set<string> | null = null;
  private jobs: SerialJobs | null = null;
  private readonly opts: NotificationIntakeOptions;
  readonly stats = { received: 0, processed: 0, dropped: 0, queuedMessages: 0, mergedItems: 0, suppressedItems: 0 };

  constructor(
    private readonly pool: pg.Pool,
    opts: Partial<NotificationIntakeOptions> = {},
    private readonly logger?: Logger,
  ) {
    this.opts = { policy: DEFAULT_NOTIFICATION_POLICY, flushMs: 2000, maxQueued: 100_000, maxBatch: 5000, ...opts };
  }

  readonly handle = (events: StoredEvent[]): void => {
    const t = Date.now();
    for (const e of events) {
      if (e.unitId == null || (this.kinds && !this.kinds.has(e.kind))) continue;
      this.queue.push(e);
      this.arrived.push(t);
      this.stats.received++;
    }
    const over = this.queue.length - this.opts.maxQueued;
    if (over > 0) {
      this.queue.splice(0, over);
      this.arrived.splice(0, over);
      this.stats.dropped += over;
      this.logger?.warn({ dropped: over, queued: this.queue.length }, 'notification queue full: oldest events dropped (their alarms are unaffected)');
    }
  };

  get queued(): number {
    return this.queue.length;
  }

  /** Age of the oldest queued event, s (0 when the queue is empty): how far behind notifications are. */
  lagS(now = Date.now()): number {
    return this.arrived.length ? (now - this.arrived[0]!) / 1000 : 0;
  }

  /** Processes everything queued now. */
  async flush(): Promise<void> {
    const rules = (await this.pool.query(q.enabledRules())).rows;
    this.kinds = new Set(rules.map((r) => String(r.event_kind)));
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.opts.maxBatch);
      this.arrived.splice(0, batch.length);
      const r = await notifyForEvents(this.pool, batch, { policy: this.opts.policy });
      this.stats.processed += batch.length;
      this.stats.queuedMessages += r.queued;
      this.stats.mergedItems += r.merged;
      this.stats.suppressedItems += r.suppressed;
    }
  }

  start(): void {
    this.jobs = new SerialJobs((err) => this.logger?.error({ err }, 'notification pass failed (the events stay unsent; alarms are unaffected)'));
    this.jobs.every(this.opts.flushMs, () => this.flush());
  }

  async stop(): Promise<void> {
    await this.jobs?.stop();
    this.jobs = null;
    await this.flush().catch((err) => this.logger?.error({ err }, 'last notification pass failed'));
  }

  /** Gauges in the process registry (backend/src/metrics.ts): queue depth and lag. */
  registerMetrics(registry: MetricsRegistry): void {
    const gauge = (name: string, help: string, read: () => number) =>
      new promClient.Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          this.set(read());
        },
      });
    gauge('firelink_notification_queued_events', 'committed events waiting to become SMS digests', () => this.queued);
    gauge('firelink_notification_lag_seconds', 'age of the oldest event waiting to become an SMS digest', () => this.lagS());
    gauge('firelink_notification_dropped_events_total', 'events dropped from the full notification queue since start', () => this.stats.dropped);
  }
}
