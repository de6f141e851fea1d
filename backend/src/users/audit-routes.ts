// GET /api/audit: the append-only audit log (recorded by audit/), newest first, for admins.
import { Router } from 'express';
import type pg from 'pg';
import { auditQuerySchema, type AuditEntryDto } from '@firelink/common';
import { requireRole } from '../auth/principal.ts';
import { queryAudit } from '../audit/queries.ts';

export function auditRouter(pool: pg.Pool): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    requireRole(res, 'admin');
    const f = auditQuerySchema.parse(req.query);
    const r = await pool.query(queryAudit(f));
    const entries: AuditEntryDto[] = r.rows.map((x) => ({
      id: Number(x.id),
      at: x.at.toISOString(),
      actorId: x.actor_id == null ? null : Number(x.actor_id),
      actorName: x.actor_name,
      ip: x.ip,
      action: x.action,
      entity: x.entity,
      entityId: x.entity_id,
      before: x.before,
      after: x.after,
    }));
    const last = entries[entries.length - 1];
    res.set('Cache-Control', 'no-store');
    res.json({ entries, next: entries.length === f.limit && last ? last.id : null });
  });
  return router;
}
