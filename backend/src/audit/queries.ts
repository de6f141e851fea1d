// SQL of the audit log query (admins). Filters are all optional, values always $n.
import type { Query } from '@firelink/common';

export const queryAudit = (f: {
  entity?: string;
  entityId?: string;
  action?: string;
  actorId?: number;
  from?: string;
  to?: string;
  before?: number;
  limit: number;
}): Query => ({
  text: `SELECT id, at, actor_id, actor_name, ip, action, entity, entity_id, before, after
         FROM audit_log
         WHERE ($1::text IS NULL OR entity = $1)
           AND ($2::text IS NULL OR entity_id = $2)
           AND ($3::text IS NULL OR action = $3 OR action LIKE $3 || '.%')
           AND ($4::bigint IS NULL OR actor_id = $4)
           AND ($5::timestamptz IS NULL OR at >= $5)
           AND ($6::timestamptz IS NULL OR at < $6)
           AND ($7::bigint IS NULL OR id < $7)
         ORDER BY id DESC
         LIMIT $8`,
  values: [f.entity ?? null, f.entityId ?? null, f.action ?? null, f.actorId ?? null, f.from ?? null, f.to ?? null, f.before ?? null, f.limit],
});
