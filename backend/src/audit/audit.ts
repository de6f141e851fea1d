// Append-only audit log of every state change: who, what, before/after, when, from where.
// Call it inside the same transaction as the change, so both land or neither does.
import type pg from 'pg';

/** Who acted (a principal has these fields); null actor = the system itself. */
export interface AuditActor {
  userId: number | null;
  username: string;
}

export interface AuditEntry {
  actor: AuditActor | null;
  ip?: string | null;
  action: string;
  entity: string;
  entityId: string | number | null;
  before?: unknown;
  after?: unknown;
}

export async function recordAudit(db: pg.ClientBase | pg.Pool, e: AuditEntry): Promise<void> {
  await db.query(
    `INSERT INTO audit_log (actor_id, actor_name, ip, action, entity, entity_id, before, after)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      e.actor?.userId ?? null,
      e.actor?.username ?? 'system',
      e.ip ?? null,
      e.action,
      e.entity,
      e.entityId == null ? null : String(e.entityId),
      e.before === undefined ? null : JSON.stringify(e.before),
      e.after === undefined ? null : JSON.stringify(e.after),
    ],
  );
}

/** Who and from where, for a route handler: the caller (if any) and the client address. */
export function auditSource(req: { ip?: string | undefined; socket?: { remoteAddress?: string | undefined } }, principal: AuditActor | null | undefined): Pick<AuditEntry, 'actor' | 'ip'> {
  return {
    actor: principal ? { userId: principal.userId, username: principal.username } : null,
    ip: req.ip ?? req.socket?.remoteAddress ?? null,
  };
}
