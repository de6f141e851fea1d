// Notifications: event → rule → outbox rows (one per recipient), and the outbox worker that
// hands them to the SMS gateway with bounded, exponentially spaced retries.
import type pg from 'pg';
import { COMPONENT_TYPES, SerialJobs, splitComponentAddress, type Contact, type StoredEvent } from '@firelink/common';
import type { Logger } from '../logger.ts';
import { SmsGatewayError, type SmsGateway } from './gateway.ts';
import * as q from './queries.ts';

const KIND_ZH: Record<string, string> = {
  fault: '故障',
  host_offline: '主机离线',
  duty_check_missed: '查岗未应答',
};

/**
 * What happened, in Chinese, for a message: the device's own description when it sent one,
 * else the component type and its loop/point address with the kind ("点型感烟火灾探测器
 * 1回路23号 故障"); devices often send the description field blank.
 */
export function eventDetailZh(e: Pick<StoredEvent, 'kind' | 'description' | 'componentType' | 'componentAddress' | 'payload'>): string {
  const described = e.description?.trim();
  if (described) return described;
  if (e.kind === 'host_offline') return OFFLINE_REASON_ZH[String(e.payload?.reason)] ?? '主机离线';
  const kind = KIND_ZH[e.kind] ?? '异常';
  if (e.componentType === null || e.componentAddress === null) return kind;
  const type = COMPONENT_TYPES[e.componentType]?.zh ?? '部件';
  const { loop, point } = splitComponentAddress(e.componentAddress);
  return `${type} ${loop}回路${point}号 ${kind}`;
}

const OFFLINE_REASON_ZH: Record<string, string> = {
  silent: '超过规定时间未收到数据（通信中断或主机关机）',
  power: '主电和备电均故障（主机断电）',
};

export function renderTemplate(tpl: string, vars: { unit: string; detail: string }): string {
  return tpl.replace(/\{unit\}/g, vars.unit).replace(/\{detail\}/g, vars.detail);
}

/** Queues messages for the events some rule covers. Returns how many messages were queued. */
export async function notifyForEvents(pool: pg.Pool, events: readonly StoredEvent[]): Promise<number> {
  const rules = (await pool.query(q.enabledRules())).rows;
  const byKind = new Map(rules.map((r) => [String(r.event_kind), r]));
  const relevant = events.filter((e) => e.unitId != null && byKind.has(e.kind));
  if (relevant.length === 0) return 0;
  const units = new Map(
    (await pool.query(q.unitRecipients([...new Set(relevant.map((e) => e.unitId!))]))).rows.map((u) => [Number(u.id), u]),
  );
  let queued = 0;
  for (const e of relevant) {
    const rule = byKind.get(e.kind)!;
    const u = units.get(e.unitId!);
    if (!u) continue;
    const phones = new Set<string>();
    if (rule.notify_contacts) {
      for (const c of (u.contacts as Contact[]) ?? []) if ((rule.contact_roles as string[]).includes(c.role) && c.phone) phones.add(c.phone);
    }
    if (rule.notify_agency && u.agency_phone) phones.add(String(u.agency_phone));
    const text = renderTemplate(String(rule.template_zh), { unit: String(u.name), detail: eventDetailZh(e) });
    for (const phone of phones) {
      const r = await pool.query(q.enqueueThrottled({ recipient: phone, unitId: e.unitId!, kind: e.kind, text, eventId: e.id, throttleS: Number(rule.throttle_s) }));
      queued += r.rowCount ?? 0;
    }
  }
  return queued;
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
    const claimed = (await this.pool.query(q.claimDue(this.opts.batch ?? 50, leaseMs))).rows;
    const out = { sent: 0, retried: 0, failed: 0 };
    for (const m of claimed) {
      const id = Number(m.id);
      try {
        await this.gateway.send({ to: String(m.recipient), text: String(m.payload?.text ?? ''), ref: `outbox-${id}` });
        await this.pool.query(q.markSent(id));
        out.sent++;
      } catch (err) {
        const retryable = err instanceof SmsGatewayError ? err.retryable : true;
        const msg = (err as Error).message;
        if (!retryable || Number(m.attempts) >= this.opts.maxAttempts) {
          await this.pool.query(q.markFailed(id, msg));
          out.failed++;
          this.logger?.warn({ outboxId: id, attempts: m.attempts, err: msg }, 'SMS failed for good');
        } else {
          const delay = Math.min(this.opts.retryBaseMs * 2 ** (Number(m.attempts) - 1), 3_600_000);
          await this.pool.query(q.markRetry(id, msg, delay));
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
