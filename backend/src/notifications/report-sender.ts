// Delivery of the scheduled supervision reports (outbox channel supervision_report, written
// by supervision/work-service.ts runReports), the way the SMS and 119 senders deliver theirs:
// a worker claims due rows under a lease, POSTs each to the configured endpoint and marks it
// sent, or retries with exponential backoff (base, 2×base … capped) up to maxAttempts; a 4xx
// other than 408/429 is a refusal and is not retried. Without an endpoint
// (SUPERVISION_REPORT_URL unset) nothing is sent: each pending row is closed as failed with
// "not configured" and the report stays available for download on the reports screen.
import type pg from 'pg';
import { SerialJobs } from '@firelink/common';
import type { Logger } from '../logger.ts';
import { claimOutbox, outboxFailed, outboxRetry, outboxSent } from './outbox.ts';
import { closeUnconfiguredReports, REPORT_DELIVERY_CHANNEL } from './report-queries.ts';

export interface ReportMessage {
  /** Our outbox id: the receiver drops a retry it already has (Idempotency-Key). */
  ref: string;
  /** user:<id> of the supervisor the report is for. */
  recipient: string | null;
  /** {kind: 'report', period, regionAdcode, reportId, text}. */
  report: unknown;
}

export class ReportDeliveryError extends Error {
  constructor(
    message: string,
    /** Worth retrying later (unreachable, timeouts, 5xx, 408, 429). */
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

export interface ReportEndpoint {
  send(msg: ReportMessage): Promise<void>;
}

/** POSTs the message as JSON; 2xx = accepted. `Authorization: Bearer <token>` when a token is given. */
export class HttpReportEndpoint implements ReportEndpoint {
  constructor(
    private readonly url: string,
    private readonly opts: { token?: string | undefined; timeoutMs?: number } = {},
  ) {}

  async send(msg: ReportMessage): Promise<void> {
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': `firelink-report-${msg.ref}`,
          ...(this.opts.token ? { authorization: `Bearer ${this.opts.token}` } : {}),
        },
        body: JSON.stringify(msg),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new ReportDeliveryError(`report endpoint ${this.url} unreachable: ${(err as Error).message}`, true);
    }
    const text = (await res.text().catch(() => '')).slice(0, 200);
    if (res.ok) return;
    throw new ReportDeliveryError(`report endpoint answered HTTP ${res.status}${text ? `: ${text}` : ''}`, res.status >= 500 || res.status === 408 || res.status === 429);
  }
}

export interface ReportSenderOptions {
  /** How often due rows are looked for, ms. */
  pollMs: number;
  maxAttempts: number;
  /** First retry delay, s (doubles per attempt). */
  retryBaseS: number;
  maxBackoffS: number;
  /** Lease while a delivery is in flight, s (longer than the endpoint's timeout). */
  leaseS: number;
}

export class ReportSender {
  private readonly jobs: SerialJobs;
  private readonly opts: ReportSenderOptions;
  /** Run a round now (after reports were written); a burst of pokes coalesces. */
  readonly poke: () => void;

  constructor(
    private readonly pool: pg.Pool,
    /** null: no endpoint configured. */
    private readonly endpoint: ReportEndpoint | null,
    private readonly logger: Logger,
    opts: Partial<ReportSenderOptions> = {},
  ) {
    this.opts = { pollMs: 10_000, maxAttempts: 8, retryBaseS: 30, maxBackoffS: 3600, leaseS: 60, ...opts };
    this.jobs = new SerialJobs((err) => this.logger.error({ err }, 'report delivery round failed'));
    this.poke = this.jobs.coalesced(() => this.runOnce());
  }

  start(): void {
    if (!this.endpoint) this.logger.info('SUPERVISION_REPORT_URL is not set: reports are kept for download, their outbox rows read "not configured"');
    this.jobs.every(this.opts.pollMs, this.poke, { immediately: true });
  }

  async stop(): Promise<void> {
    await this.jobs.stop();
  }

  /** One round: delivers the due rows, or closes them as not configured. Returns the rows handled. */
  async runOnce(): Promise<number> {
    if (!this.endpoint) return (await this.pool.query(closeUnconfiguredReports())).rowCount ?? 0;
    let handled = 0;
    for (;;) {
      const rows = (await this.pool.query(claimOutbox(REPORT_DELIVERY_CHANNEL, 20, this.opts.leaseS * 1000))).rows;
      if (rows.length === 0) return handled;
      for (const r of rows) await this.deliver(this.endpoint, Number(r.id), r.recipient ?? null, r.payload, Number(r.attempts));
      handled += rows.length;
    }
  }

  private async deliver(endpoint: ReportEndpoint, id: number, recipient: string | null, report: unknown, attempts: number): Promise<void> {
    try {
      await endpoint.send({ ref: String(id), recipient, report });
      await this.pool.query(outboxSent(id));
    } catch (err) {
      const message = (err as Error).message;
      const retryable = !(err instanceof ReportDeliveryError) || err.retryable;
      const giveUp = !retryable || attempts >= this.opts.maxAttempts;
      const backoffS = Math.min(this.opts.retryBaseS * 2 ** (attempts - 1), this.opts.maxBackoffS);
      await this.pool.query(giveUp ? outboxFailed(id, message) : outboxRetry(id, message, backoffS * 1000));
      this.logger.warn({ outboxId: id, attempts, giveUp, err: message }, 'report delivery failed');
    }
  }
}
