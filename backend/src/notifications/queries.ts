// SQL of notifications: rules, fan-out into the outbox (channel 'sms'), the worker's claims.
import type { Scope } from '../auth/scope.ts';
import { scopePredicate } from '../auth/scope.ts';
import type { Query } from '../db/pool.ts';

export const SMS_CHANNEL = 'sms';

export function enabledRules(): Query {
  return { text: `SELECT * FROM notification_rules WHERE enabled ORDER BY event_kind`, values: [] };
}

export function allRules(): Query {
  return { text: `SELECT * FROM notification_rules ORDER BY event_kind`, values: [] };
}

export function updateRule(kind: string, r: { enabled: boolean; notifyContacts: boolean; contactRoles: string[]; notifyAgency: boolean; throttleS: number; templateZh: string }): Query {
  return {
    text: `INSERT INTO notification_rules (event_kind, enabled, notify_contacts, contact_roles, notify_agency, throttle_s, template_zh)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (event_kind) DO UPDATE SET enabled = EXCLUDED.enabled, notify_contacts = EXCLUDED.notify_contacts,
             contact_roles = EXCLUDED.contact_roles, notify_agency = EXCLUDED.notify_agency, throttle_s = EXCLUDED.throttle_s,
             template_zh = EXCLUDED.template_zh
           RETURNING *`,
    values: [kind, r.enabled, r.notifyContacts, r.contactRoles, r.notifyAgency, r.throttleS, r.templateZh],
  };
}

export function unitRecipients(unitIds: number[]): Query {
  return {
    text: `SELECT u.id, u.name, u.contacts, ma.phone AS agency_phone, ma.name AS agency_name
           FROM units u LEFT JOIN maintenance_agencies ma ON ma.id = u.maintenance_agency_id
           WHERE u.id = ANY($1::bigint[])`,
    values: [unitIds],
  };
}

/** Queues one message unless the same unit/kind/recipient got one within throttle_s. */
export function enqueueThrottled(m: { recipient: string; unitId: number; kind: string; text: string; eventId: number; throttleS: number }): Query {
  return {
    text: `INSERT INTO outbox (channel, recipient, payload, ref_entity, ref_id)
           SELECT $1, $2, jsonb_build_object('text', $3::text, 'kind', $4::text, 'eventId', $5::bigint), 'unit', $6::text
           WHERE NOT EXISTS (
             SELECT 1 FROM outbox o WHERE o.channel = $1 AND o.ref_entity = 'unit' AND o.ref_id = $6::text AND o.recipient = $2
               AND o.payload->>'kind' = $4 AND o.created_at > now() - make_interval(secs => $7))
           RETURNING id`,
    values: [SMS_CHANNEL, m.recipient, m.text, m.kind, m.eventId, String(m.unitId), m.throttleS],
  };
}

/**
 * Claims due messages: counts the attempt and pushes next_attempt_at past a lease, so a worker
 * that dies mid-send leaves the message to be retried after the lease, never lost.
 */
export function claimDue(limit: number, leaseMs: number): Query {
  return {
    text: `UPDATE outbox o SET attempts = o.attempts + 1, next_attempt_at = now() + make_interval(secs => $3::float8 / 1000)
           FROM (SELECT id FROM outbox WHERE channel = $1 AND status = 'pending' AND next_attempt_at <= now()
                 ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED) due
           WHERE o.id = due.id
           RETURNING o.id, o.recipient, o.payload, o.attempts`,
    values: [SMS_CHANNEL, limit, leaseMs],
  };
}

export function markSent(id: number): Query {
  return { text: `UPDATE outbox SET status = 'sent', sent_at = now(), last_error = NULL WHERE id = $1`, values: [id] };
}

export function markRetry(id: number, error: string, delayMs: number): Query {
  return {
    text: `UPDATE outbox SET last_error = $2, next_attempt_at = now() + make_interval(secs => $3::float8 / 1000) WHERE id = $1`,
    values: [id, error, delayMs],
  };
}

export function markFailed(id: number, error: string): Query {
  return { text: `UPDATE outbox SET status = 'failed', last_error = $2 WHERE id = $1`, values: [id, error] };
}

export function listOutbox(scope: Scope, f: { status?: string; unitId?: number; limit: number; offset: number }): Query {
  const values: unknown[] = [SMS_CHANNEL];
  const where = [`o.channel = $1`, scopePredicate(scope, { region: 'u.region_adcode', unit: 'u.id' }, values)];
  if (f.status) {
    values.push(f.status);
    where.push(`o.status = $${values.length}`);
  }
  if (f.unitId) {
    values.push(String(f.unitId));
    where.push(`o.ref_id = $${values.length}`);
  }
  values.push(f.limit, f.offset);
  return {
    text: `SELECT o.id, o.channel, o.recipient, o.payload->>'text' AS text, o.status, o.attempts, o.next_attempt_at, o.last_error,
             u.id AS unit_id, u.name AS unit_name, o.created_at, o.sent_at, count(*) OVER () AS total
           FROM outbox o JOIN units u ON o.ref_entity = 'unit' AND u.id::text = o.ref_id
           WHERE ${where.join(' AND ')}
           ORDER BY o.created_at DESC, o.id DESC
           LIMIT $${values.length - 1} OFFSET $${values.length}`,
    values,
  };
}

export function retryNow(scope: Scope, id: number): Query {
  const values: unknown[] = [id, SMS_CHANNEL];
  const pred = scopePredicate(scope, { region: 'u.region_adcode', unit: 'u.id' }, values);
  return {
    text: `UPDATE outbox o SET status = 'pending', next_attempt_at = now()
           FROM units u WHERE o.id = $1 AND o.channel = $2 AND o.ref_entity = 'unit' AND u.id::text = o.ref_id AND ${pred}
             AND o.status <> 'sent'
           RETURNING o.id`,
    values,
  };
}
