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
    text: `SELECT u.id, u.name, u.region_adcode, u.contacts, ma.phone AS agency_phone, ma.name AS agency_name
           FROM units u LEFT JOIN maintenance_agencies ma ON ma.id = u.maintenance_agency_id
           WHERE u.id = ANY($1::bigint[])`,
    values: [unitIds],
  };
}

/** Locks the messages open for merging under these hold keys (the worker's claim skips locked rows). */
export function lockOpenDigests(holdKeys: string[]): Query {
  return {
    text: `SELECT id FROM outbox WHERE channel = $1 AND hold_key = ANY($2::text[]) ORDER BY id FOR UPDATE`,
    values: [SMS_CHANNEL, holdKeys],
  };
}

/** These recipients' messages created since `sinceIso` (the day's start or the longest throttle window). */
export function recentMessages(recipients: string[], sinceIso: string): Query {
  return {
    text: `SELECT id, recipient, payload, hold_key, created_at, ref_id FROM outbox
           WHERE channel = $1 AND recipient = ANY($2::text[]) AND created_at >= $3::timestamptz ORDER BY id`,
    values: [SMS_CHANNEL, recipients, sinceIso],
  };
}

/** Rewrites open messages' payloads (items and text), only while they are still open. */
export function updateDigests(rows: Array<{ id: number; payload: unknown }>): Query {
  return {
    text: `UPDATE outbox o SET payload = v.payload
             FROM ROWS FROM (unnest($1::bigint[]), jsonb_array_elements($2::jsonb)) AS v(id, payload)
            WHERE o.id = v.id AND o.hold_key IS NOT NULL
           RETURNING o.id`,
    values: [rows.map((r) => r.id), JSON.stringify(rows.map((r) => r.payload))],
  };
}

/** New messages, open for merging until the worker claims them at `dueAt`. */
export function insertDigests(rows: Array<{ recipient: string; holdKey: string; unitId: number; dueAtIso: string; payload: unknown }>): Query {
  return {
    text: `INSERT INTO outbox (channel, recipient, payload, ref_entity, ref_id, next_attempt_at, hold_key)
           SELECT $1, v.recipient, v.payload, 'unit', v.unit_id::text, v.due_at, v.hold_key
             FROM ROWS FROM (unnest($2::text[], $3::text[], $4::bigint[], $5::timestamptz[]), jsonb_array_elements($6::jsonb))
                  AS v(recipient, hold_key, unit_id, due_at, payload)
           ON CONFLICT (channel, hold_key) WHERE hold_key IS NOT NULL DO NOTHING
           RETURNING id`,
    values: [
      SMS_CHANNEL,
      rows.map((r) => r.recipient),
      rows.map((r) => r.holdKey),
      rows.map((r) => r.unitId),
      rows.map((r) => r.dueAtIso),
      JSON.stringify(rows.map((r) => r.payload)),
    ],
  };
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
    text: `UPDATE outbox o SET status = 'pending', next_attempt_at = now(), hold_key = NULL
           FROM units u WHERE o.id = $1 AND o.channel = $2 AND o.ref_entity = 'unit' AND u.id::text = o.ref_id AND ${pred}
             AND o.status <> 'sent'
           RETURNING o.id`,
    values,
  };
}
