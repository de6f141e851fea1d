// Forwarding of verified fires to the 119 command center. Verification queues an outbox
// row in the same transaction (alarms/service.ts) and pokes this worker, which POSTs it to
// the webhook at once (well within the 3 s target); failures are recorded per attempt in
// outbox_attempts and retried with exponential backoff (1 s, 2 s, 4 s … capped at 60 s) up
// to maxAttempts, then marked failed and noted on the alarm (step forward_failed).
import type pg from 'pg';
import { SerialJobs } from '@firelink/common';
import { insertStep } from '../alarms/queries.ts';
import type { Logger } from '../logger.ts';
import { claimOutbox, outboxAttempt, outboxFailed, outboxRetry, outboxSent } from '../notifications/outbox.ts';
import { FORWARD_CHANNEL, failUnaddressed, UNADDRESSED_ERROR } from './queries.ts';

/** The outbound adapter: one delivery. Throws on failure (message recorded as the error). */
export interface ForwardAdapter {
  deliver(message: { outboxId: number; payload: unknown }): Promise<{ httpStatus: number | null }>;
}

export class WebhookDeliveryError extends Error {
  constructor(
    message: string,
    readonly httpStatus: number | null,
  ) {
    super(message);
  }
}

/** POSTs JSON to the 119 webhook; 2xx is success. Idempotency-Key lets the receiver drop retries it already has. */
export function webhookAdapter(url: string, timeoutMs = 2000): ForwardAdapter {
  return {
    async deliver({ outboxId, payload }) {
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': `firelink-outbox-${outboxId}` },
          body: JSON.stringify(payload),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        throw new WebhookDeliveryError(`POST ${url} failed: ${(err as Error).message}`, null);
      }
      await res.arrayBuffer().catch(() => undefined);
      if (res.status < 200 || res.status >= 300) throw new WebhookDeliveryError(`POST ${url} answered HTTP ${res.status}`, res.status);
      return { httpStatus: res.status };
    },
  };
}

export interface ForwarderOptions {
  /** Polling interval for retries that come due, ms. */
  pollMs: number;
  maxAttempts: number;
  /** Lease while a delivery is in flight, seconds (longer than the adapter's timeout). */
  leaseS: number;
  maxBackoffS: number;
}

export class Forwarder {
  private readonly jobs: SerialJobs;
  /** Run a delivery round now (after a verification commits); a burst of pokes coalesces. */
  readonly poke: () => void;
  private readonly opts: ForwarderOptions;

  constructor(
    private readonly pool: pg.Pool,
    private readonly adapter: ForwardAdapter,
    private readonly logger: Logger,
    opts: Partial<ForwarderOptions> = {},
  ) {
    this.opts = { pollMs: 500, maxAttempts: 10, leaseS: 30, maxBackoffS: 60, ...opts };
    this.jobs = new SerialJobs((err) => this.logger.error({ err }, '119 forwarding round failed'));
    this.poke = this.jobs.coalesced(() => this.runOnce());
  }

  start(): void {
    void this.jobs.run(() => this.closeUnaddressed());
    this.jobs.every(this.opts.pollMs, this.poke, { immediately: true });
  }

  /** Rows queued before an endpoint was configured: failed with a step on their alarm, never sent. */
  async closeUnaddressed(): Promise<number> {
    const r = await this.pool.query(failUnaddressed());
    for (const row of r.rows) {
      if (row.ref_id != null) await this.pool.query(insertStep(Number(row.ref_id), 'forward_failed', null, UNADDRESSED_ERROR));
    }
    if (r.rows.length) this.logger.warn({ count: r.rows.length }, 'verified fires queued while FORWARD_119_URL was unset are closed as failed, not sent');
    return r.rows.length;
  }

  async stop(): Promise<void> {
    await this.jobs.stop();
  }

  /** Idle when no round is in flight (tests). */
  async settled(): Promise<void> {
    await this.jobs.run(() => undefined);
  }

  async runOnce(): Promise<number> {
    const r = await this.pool.query(claimOutbox(FORWARD_CHANNEL, 20, this.opts.leaseS * 1000, { addressedOnly: true }));
    await Promise.all(r.rows.map((row) => this.deliverOne(Number(row.id), row.payload, Number(row.attempts), row.ref_id)));
    return r.rows.length;
  }

  private async deliverOne(id: number, payload: unknown, attempts: number, alarmRef: string | null): Promise<void> {
    const t0 = performance.now();
    const alarmId = alarmRef == null ? null : Number(alarmRef);
    try {
      const { httpStatus } = await this.adapter.deliver({ outboxId: id, payload });
      const durationMs = performance.now() - t0;
      // Attempt and step first, status last: whoever sees 'sent' also sees the record.
      await this.pool.query(outboxAttempt(id, true, null, durationMs, httpStatus));
      if (alarmId != null) await this.pool.query(insertStep(alarmId, 'forwarded', null, `119 webhook accepted (attempt ${attempts}, HTTP ${httpStatus})`));
      await this.pool.query(outboxSent(id));
      this.logger.info({ outboxId: id, alarmId, attempts, durationMs }, 'verified fire forwarded to 119');
    } catch (err) {
      const durationMs = performance.now() - t0;
      const message = (err as Error).message;
      const httpStatus = err instanceof WebhookDeliveryError ? err.httpStatus : null;
      const giveUp = attempts >= this.opts.maxAttempts;
      const backoffS = Math.min(2 ** (attempts - 1), this.opts.maxBackoffS);
      await this.pool.query(outboxAttempt(id, false, message, durationMs, httpStatus));
      if (giveUp && alarmId != null) {
        await this.pool.query(insertStep(alarmId, 'forward_failed', null, `gave up after ${attempts} attempts: ${message}`));
      }
      await this.pool.query(giveUp ? outboxFailed(id, message) : outboxRetry(id, message, backoffS * 1000));
      this.logger.warn({ outboxId: id, alarmId, attempts, giveUp, err: message }, '119 forwarding attempt failed');
    }
  }
}
