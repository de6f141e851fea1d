// Outbox SQL of the 119 forwarder beyond the common delivery SQL (notifications/outbox.ts):
// closing the rows queued while no endpoint was configured.
import type { Query } from '../db/pool.ts';

export const FORWARD_CHANNEL = 'forward_119';

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
