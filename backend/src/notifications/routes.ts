// GET /api/notifications/outbox, POST /api/notifications/outbox/:id/retry,
// GET /api/notifications/rules, PUT /api/notifications/rules/:kind.
import { Router } from 'express';
import { z } from 'zod';
import { CONTACT_ROLES, eventKindSchema, type Role } from '@firelink/common';
import { recordAudit } from '../audit/audit.ts';
import { principalOf, requireRole } from '../auth/principal.ts';
import { requireUnitInScope } from '../auth/scope.ts';
import { withTransaction, type Pool } from '../db/pool.ts';
import { idParam } from '../http/params.ts';
import { notFound } from '../kernel/errors.ts';
import * as q from './queries.ts';

const listSchema = z.object({
  status: z.enum(['pending', 'sent', 'failed']).optional(),
  unitId: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});
const ruleSchema = z.object({
  enabled: z.boolean(),
  notifyContacts: z.boolean(),
  contactRoles: z.array(z.enum(CONTACT_ROLES)).max(4),
  notifyAgency: z.boolean(),
  throttleS: z.number().int().min(0).max(7 * 86400),
  templateZh: z.string().trim().min(1).max(300),
});

/**
 * Who reads the SMS outbox with its phone numbers: the administrator, the center's duty
 * operators and the supervisors (the roles that may also retry a message). Maintainers see their
 * units' messages with the numbers masked (delivery state, not the contacts' phones);
 * dispatchers, stations, analysts and unit users get 403 (API probe: every
 * logged-in role read every contact's number in its scope).
 */
export const OUTBOX_READERS: readonly Role[] = ['admin', 'operator', 'supervisor'];
export const OUTBOX_MASKED_READERS: readonly Role[] = ['maintainer'];

/**
 * A phone number with its middle hidden, as Chinese services print them: 138****0001,
 * 025****0000; a value with fewer than 7 digits is hidden whole.
 */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  if (digits.length < 7) return '*'.repeat(phone.length);
  return `${digits.slice(0, 3)}****${digits.slice(-4)}`;
}

/**
 * Phone numbers in a message text or a gateway's error, masked: 7 or more digits starting with
 * 0 or 1 (landlines, mobiles), optionally after +86, with spaces or dashes between them as
 * contacts are allowed to be written (138-0000-0001, +86 138 0000 0002). Dates (2026-…) stay.
 */
const PHONE_IN_TEXT = /(?<![\d-])(?:\+86[\s-]?)?[01]\d(?:[\s-]?\d){5,}/g;
const maskDigitRuns = (text: string | null): string | null => (text == null ? null : text.replace(PHONE_IN_TEXT, maskPhone));

export function notificationsRouter(deps: { pool: Pool }): Router {
  const { pool } = deps;
  const r = Router();

  /** GET /api/notifications/outbox?status=&unitId=&limit=&offset= — SMS in the caller's jurisdiction (see OUTBOX_READERS). */
  r.get('/outbox', async (req, res) => {
    const p = requireRole(res, ...OUTBOX_READERS, ...OUTBOX_MASKED_READERS);
    const masked = !OUTBOX_READERS.includes(p.role);
    const f = listSchema.parse(req.query);
    if (f.unitId !== undefined) await requireUnitInScope(pool, p.scope, f.unitId); // a foreign unit is 404, not an empty list
    const x = await pool.query(q.listOutbox(p.scope, f));
    res.json({
      total: x.rows[0] ? Number(x.rows[0].total) : 0,
      /** True when phone numbers are masked for this role. */
      masked,
      items: x.rows.map((o) => ({
        id: Number(o.id),
        channel: o.channel,
        recipient: masked ? maskPhone(o.recipient) : o.recipient,
        text: masked ? maskDigitRuns(o.text) : o.text,
        status: o.status,
        attempts: o.attempts,
        nextAttemptAt: o.next_attempt_at.toISOString(),
        lastError: masked ? maskDigitRuns(o.last_error) : o.last_error,
        unitId: Number(o.unit_id),
        unitName: o.unit_name,
        createdAt: o.created_at.toISOString(),
        sentAt: o.sent_at?.toISOString() ?? null,
      })),
    });
  });

  r.post('/outbox/:id/retry', async (req, res) => {
    const p = requireRole(res, ...OUTBOX_READERS);
    const id = idParam.parse(req.params.id);
    await withTransaction(pool, async (c) => {
      const x = await c.query(q.retryNow(p.scope, id));
      if (!x.rows[0]) throw notFound('no unsent SMS with this id in your jurisdiction');
      await recordAudit(c, { actor: p, ip: req.ip ?? null, action: 'outbox.retry', entity: 'outbox', entityId: id });
    });
    res.json({ id, status: 'pending' });
  });

  r.get('/rules', async (_req, res) => {
    principalOf(res);
    const x = await pool.query(q.allRules());
    res.json(x.rows.map(ruleDto));
  });

  r.put('/rules/:kind', async (req, res) => {
    const p = requireRole(res, 'admin');
    const kind = eventKindSchema.parse(req.params.kind);
    const body = ruleSchema.parse(req.body);
    const row = await withTransaction(pool, async (c) => {
      const before = (await c.query('SELECT * FROM notification_rules WHERE event_kind = $1', [kind])).rows[0] ?? null;
      const x = (await c.query(q.updateRule(kind, body))).rows[0];
      await recordAudit(c, { actor: p, ip: req.ip ?? null, action: 'notification_rule.update', entity: 'notification_rule', entityId: kind, before, after: x });
      return x;
    });
    res.json(ruleDto(row));
  });

  return r;
}

function ruleDto(r: Record<string, unknown>) {
  return {
    eventKind: r.event_kind,
    enabled: r.enabled,
    notifyContacts: r.notify_contacts,
    contactRoles: r.contact_roles,
    notifyAgency: r.notify_agency,
    throttleS: r.throttle_s,
    templateZh: r.template_zh,
  };
}
