// The sender of duty alerts (outbox channel duty_alert): short messages to the duty chief's
// mobile (the phone of their shift in the roster) through the SMS gateway. Claimed with a
// lease (a sender that dies mid-send leaves the message to be retried, never lost), retried
// with doubling delays on gateway errors worth retrying, failed at once when there is no
// phone to send to or the gateway refuses the message. Each attempt is recorded in
// outbox_attempts.
import { SerialJobs } from '@firelink/common';
import type { Pool } from '../db/pool.ts';
import type { Logger } from '../logger.ts';
import { SmsGatewayError, type SmsGateway } from '../notifications/gateway.ts';
import { claimOutbox, outboxAttempt, outboxFailed, outboxRetry, outboxSent } from '../notifications/outbox.ts';
import * as q from './queries.ts';

export interface DutyAlertSenderOptions {
  maxAttempts: number;
  /** Delay before the 2nd attempt, ms; doubles each time, capped at 1 h. */
  retryBaseMs: number;
  pollMs: number;
  leaseMs?: number;
  batch?: number;
}

export class DutyAlertSender {
  private readonly jobs: SerialJobs;

  constructor(
    private readonly pool: Pool,
    private readonly gateway: SmsGateway,
    private readonly o: DutyAlertSenderOptions,
    private readonly logger: Logger,
  ) {
    this.jobs = new SerialJobs((err) => logger.error({ err }, 'duty alert sender failed (runs again at the next poll)'));
  }

  start(): void {
    this.jobs.every(this.o.pollMs, () => this.runOnce().then(() => undefined));
  }

  /** Sends now (after new alerts were queued). */
  poke(): void {
    void this.runOnce().catch((err) => this.logger.error({ err }, 'duty alert sender failed'));
  }

  stop(): Promise<void> {
    return this.jobs.stop();
  }

  async runOnce(): Promise<{ sent: number; retried: number; failed: number }> {
    const out = { sent: 0, retried: 0, failed: 0 };
    const claimed = (await this.pool.query(claimOutbox(q.DUTY_ALERT_CHANNEL, this.o.batch ?? 50, this.o.leaseMs ?? 60_000))).rows;
    for (const m of claimed) {
      const id = Number(m.id);
      const started = performance.now();
      // 'duty_chief': a center-wide alert (the 119 communication test) for every chief on duty now.
      const phones: string[] =
        m.recipient === 'duty_chief' ? (await this.pool.query(q.chiefPhonesOnDuty(new Date().toISOString()))).rows.map((r) => String(r.phone)) : m.recipient ? [String(m.recipient)] : [];
      if (phones.length === 0) {
        const why =
          m.recipient === 'duty_chief'
            ? 'no duty chief with a mobile number is rostered now: roster a chief (值班长) with a phone (/duty, 排班)'
            : 'no mobile number for this duty chief: set the phone of their shift in the roster (/duty, 排班)';
        await this.pool.query(outboxAttempt(id, false, why, 0));
        await this.pool.query(outboxFailed(id, why));
        out.failed++;
        continue;
      }
      try {
        for (const [i, to] of phones.entries()) await this.gateway.send({ to, text: String(m.payload?.text ?? ''), ref: phones.length > 1 ? `outbox-${id}-${i}` : `outbox-${id}` });
        await this.pool.query(outboxAttempt(id, true, null, performance.now() - started));
        await this.pool.query(outboxSent(id));
        out.sent++;
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        await this.pool.query(outboxAttempt(id, false, msg.slice(0, 500), performance.now() - started));
        const retryable = !(err instanceof SmsGatewayError) || err.retryable;
        if (retryable && Number(m.attempts) < this.o.maxAttempts) {
          await this.pool.query(outboxRetry(id, msg.slice(0, 500), Math.min(3_600_000, this.o.retryBaseMs * 2 ** (Number(m.attempts) - 1))));
          out.retried++;
        } else {
          await this.pool.query(outboxFailed(id, msg.slice(0, 500)));
          out.failed++;
          this.logger.warn({ outboxId: id, err: msg }, 'duty alert not delivered');
        }
      }
    }
    return out;
  }
}
