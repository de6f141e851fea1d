// Outbox SQL of the report sender (channel supervision_report) beyond the common delivery
// SQL of outbox.ts: closing the rows no endpoint can take.
import type { Query } from '../db/pool.ts';

export const REPORT_DELIVERY_CHANNEL = 'supervision_report';

/** What a report's outbox row says when no endpoint is configured (GET /api/notifications/outbox shows it). */
export const REPORT_NOT_CONFIGURED = 'not configured: SUPERVISION_REPORT_URL is not set; the report stays available for download at /supervise (报表)';

/** Without an endpoint: every pending report row is closed as failed with REPORT_NOT_CONFIGURED (never pending for ever). */
export function closeUnconfiguredReports(): Query {
  return {
    text: `UPDATE outbox SET status = 'failed', last_error = $2 WHERE channel = $1 AND status = 'pending' RETURNING id`,
    values: [REPORT_DELIVERY_CHANNEL, REPORT_NOT_CONFIGURED],
  };
}
