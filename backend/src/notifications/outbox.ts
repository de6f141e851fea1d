// The outbox's delivery SQL, one set for every sender that works through it (SMS, duty
// alerts, supervision reports, the 119 forwarder). Claiming counts the attempt and pushes next_attempt_at past
// a lease, so a sender that dies mid-send leaves the row to be retried after the lease, never
// lost, and several server processes never send one row at the same time.
import type { Query } from '../db/pool.ts';

/**
 * Claims up to `limit` due rows of a channel, leased for `leaseMs`. `closeHold`: claiming
 * also closes an SMS digest for merging (hold_key NULL), so what arrives later starts a new
 * one. `addressedOnly`: only rows queued with a recipient (the 119 forwarder never sends late
 * a row queued while no endpoint was configured).
 */
export function claimOutbox(channel: string, limit: number, leaseMs: number, opts: { closeHold?: boolean; addressedOnly?: boolean } = {}): Query {
  return {
    text: `UPDATE outbox o SET attempts = o.attempts + 1, next_attempt_at = now() + make_interval(secs => $3::float8 / 1000)${opts.closeHold ? ', hold_key = NULL' : ''}
             FROM (SELECT id FROM outbox WHERE channel = $1 AND status = 'pending'${opts.addressedOnly ? ' AND recipient IS NOT NULL' : ''} AND next_attempt_at <= now()
                   ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED) due
            WHERE o.id = due.id
           RETURNING o.id, o.recipient, o.payload, o.attempts, o.ref_id`,
    values: [channel, limit, leaseMs],
  };
}

export function outboxSent(id: number): Query {
  return { text: `UPDATE outbox SET status = 'sent', sent_at = now(), last_error = NULL WHERE id = $1`, values: [id] };
}

/** The row stays pending and is tried again after `delayMs`. */
export function outboxRetry(id: number, error: string, delayMs: number): Query {
  return { text: `UPDATE outbox SET last_error = $2, next_attempt_at = now() + make_interval(secs => $3::float8 / 1000) WHERE id = $1`, values: [id, error.slice(0, 1000), delayMs] };
}

/** Given up: the row is failed for good with its last error. */
export function outboxFailed(id: number, error: string): Query {
  return { text: `UPDATE outbox SET status = 'failed', last_error = $2 WHERE id = $1`, values: [id, error.slice(0, 1000)] };
}

/** One delivery attempt, with the receiver's HTTP status where there was one. */
export function outboxAttempt(id: number, ok: boolean, error: string | null, durationMs: number, httpStatus: number | null = null): Query {
  return { text: `INSERT INTO outbox_attempts (outbox_id, ok, http_status, error, duration_ms) VALUES ($1, $2, $3, $4, $5)`, values: [id, ok, httpStatus, error, durationMs] };
}
