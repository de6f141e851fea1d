// Outbox SQL of the report sender (channel supervision_report). Claiming pushes
// next_attempt_at forward (a lease), so several server processes never send one report twice
// at the same time.
import type { Query } from '../db/pool.ts';

export const REPORT_DELIVERY_CHANNEL = 'supervision_report';

/** What a report's outbox row says when no endpoint is configured (GET /api/notifications/outbox shows it). */
export const REPORT_NOT_CONFIGURED = 'not configured: SUPERVISION_REPORT_URL is not set; the report stays available for download at /supervise (报表)';

export function claimDueReports(limit: number, leaseS: number): Query {
  return {
    text: `UPDATE outbox o SET attempts = o.attempts + 1, next_attempt_at = now() + make_interval(secs => $3)
            WHERE o.id IN (SELECT id FROM outbox WHERE channel = $1 AND status = 'pending' AND next_attempt_at <= now()
                            ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
            RETURNING o.id, o.recipient, o.payload, o.attempts`,
    values: [REPORT_DELIVERY_CHANNEL, limit, leaseS],
  };
}

export function markReportSent(id: number): Query {
  return { text: `UPDATE outbox SET status = 'sent', sent_at = now(), last_error = NULL WHERE id = $1`, values: [id] };
}

/** Schedules a retry after backoffS, or gives up (failed) when this was the last attempt or the endpoint refused it. */
export function markReportFailed(id: number, error: string, backoffS: number, giveUp: boolean): Query {
  return {
    text: `UPDATE outbox SET last_error = $2, status = CASE WHEN $4 THEN 'failed' ELSE 'pending' END, next_attempt_at = now() + make_interval(secs => $3)
            WHERE id = $1`,
    values: [id, error.slice(0, 1000), backoffS, giveUp],
  };
}

/** Without an endpoint: every pending report row is closed as failed with REPORT_NOT_CONFIGURED (never pending for ever). */
export function closeUnconfiguredReports(): Query {
  return {
    text: `UPDATE outbox SET status = 'failed', last_error = $2 WHERE channel = $1 AND status = 'pending' RETURNING id`,
    values: [REPORT_DELIVERY_CHANNEL, REPORT_NOT_CONFIGURED],
  };
}
