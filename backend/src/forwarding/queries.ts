// Outbox SQL of the 119 forwarder. Claiming pushes next_attempt_at forward (a lease), so
// several server processes never send the same message at the same time.
import type { Query } from '../db/pool.ts';

export const FORWARD_CHANNEL = 'forward_119';

/**
 * Claims due rows. Only rows queued with a recipient: one queued while no endpoint was
 * configured (recipient NULL) was shown to the operator as "not configured, call 119 by
 * phone" and is never sent late (see failUnaddressed).
 */
export function claimDue(limit: number, leaseS: number): Query {
  return {
    text: `UPDATE outbox o SET attempts = o.attempts + 1, next_attempt_at = now() + make_interval(secs => $3)
            WHERE o.id IN (SELECT id FROM outbox WHERE channel = $1 AND status = 'pending' AND recipient IS NOT NULL AND next_attempt_at <= now()
                            ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
            RETURNING o.id, o.payload, o.attempts, o.ref_id, o.created_at`,
    values: [FORWARD_CHANNEL, limit, leaseS],
  };
}

export function markSent(id: number): Query {
  return { text: `UPDATE outbox SET status = 'sent', sent_at = now(), last_error = NULL WHERE id = $1`, values: [id] };
}

/** Schedules a retry after backoffS, or gives up (failed) when this was the last attempt. */
export function markFailed(id: number, error: string, backoffS: number, giveUp: boolean): Query {
  return {
    text: `UPDATE outbox SET last_error = $2, status = CASE WHEN $4 THEN 'failed' ELSE 'pending' END,
                  next_attempt_at = now() + make_interval(secs => $3)
            WHERE id = $1`,
    values: [id, error.slice(0, 1000), backoffS, giveUp],
  };
}

export function recordAttempt(a: { outboxId: number; ok: boolean; httpStatus: number | null; error: string | null; durationMs: number }): Query {
  return {
    text: `INSERT INTO outbox_attempts (outbox_id, ok, http_status, error, duration_ms) VALUES ($1, $2, $3, $4, $5)`,
    values: [a.outboxId, a.ok, a.httpStatus, a.error, a.durationMs],
  };
}

/** Why a row queued without an endpoint is closed as failed once an endpoint is configured. */
export const UNADDRESSED_ERROR = 'queued while FORWARD_119_URL was not set: not sent later (the desk said to call 119 by phone)';

/**
 * Closes the rows queued while no 119 endpoint was configured (recipient NULL) as failed,
 * so that they neither go to 119 late (minutes or days after the operator phoned) nor
 * read "pending" for ever; returns their alarm ids for the alarm's step.
 */
export function failUnaddressed(): Query {
  return {
    text: `UPDATE outbox SET status = 'failed', last_error = $2
            WHERE channel = $1 AND status = 'pending' AND recipient IS NULL
            RETURNING id, ref_id`,
    values: [FORWARD_CHANNEL, UNADDRESSED_ERROR],
  };
}
