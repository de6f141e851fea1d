// Supervision over HTTP (/api/supervision). Every route checks the caller's role, and every
// unit, task, region and supervisor id it names against the caller's jurisdiction (404
// otherwise): a 鼓楼 supervisor sees and touches nothing of 玄武.
//
//   GET  /supervisors                       supervisors in my jurisdiction, their chief and load
//   PUT  /supervisors/:id/chief {chiefId}   (admin) the chief overdue tasks escalate to
//   GET  /units/:id/responsible             · PUT /units/:id/responsible {supervisorId, note}
//   POST /assign-region {regionAdcode, supervisorId, onlyUnassigned, note}   bulk assignment
//   GET  /tasks?view=mine|all&state=&reason=&unit=&overdue=&limit=&offset=
//   POST /tasks {unitId, detail, dueDays}   a task by hand
//   GET  /tasks/:id                         with steps and evidence alarms
//   POST /tasks/:id/transition {to, version, note} · POST /tasks/:id/notes {note}
//   POST /evaluate                          (admin) run the rules and the escalation now
import {
  chiefSetSchema,
  regionAssignSchema,
  responsibleSetSchema,
  taskCreateSchema,
  taskListQuerySchema,
  taskNoteSchema,
  taskTransitionSchema,
  type Role,
  type SupervisorDto,
} from '@firelink/common';
import { Router } from 'express';
import { recordAudit } from '../audit/audit.ts';
import { principalForUser } from '../auth/authenticate.ts';
import { requireRole } from '../auth/principal.ts';
import { requireRegionInScope, requireUnitInScope, scopeAllows, type Principal } from '../auth/scope.ts';
import { withTransaction, type Pool } from '../db/pool.ts';
import { badRequest, notFound } from '../kernel/errors.ts';
import * as q from './queries.ts';
import type { SupervisionService } from './service.ts';
import { idParam, ipOf } from '../http/params.ts';

/** May read tasks and responsibility, act on tasks, assign units in their jurisdiction. */
const SUPERVISION: Role[] = ['admin', 'supervisor'];


async function nameOf(pool: Pool, p: Principal): Promise<string> {
  if (p.userId == null) return p.username;
  return ((await pool.query(q.displayName(p.userId))).rows[0]?.display_name as string | undefined) ?? p.username;
}

/** A supervisor whose jurisdiction covers the region; 404 otherwise (the same answer for any other id). */
async function supervisorCovering(db: Pool | import('pg').ClientBase, supervisorId: number, regionAdcode: number | null): Promise<Principal> {
  const s = await principalForUser(db as Pool, supervisorId);
  if (!s || s.role !== 'supervisor' || regionAdcode == null || !scopeAllows(s.scope, { regionAdcode })) {
    throw notFound(`no supervisor ${supervisorId} whose jurisdiction covers region ${regionAdcode ?? '(none)'}: pick one from GET /api/supervision/supervisors`);
  }
  return s;
}

export function supervisionRouter(deps: { pool: Pool; service: SupervisionService }): Router {
  const { pool, service } = deps;
  const r = Router();

  r.get('/supervisors', async (_req, res) => {
    const p = requireRole(res, ...SUPERVISION);
    const rows = (await pool.query(q.supervisors(p.scope))).rows;
    const items: SupervisorDto[] = rows.map((s) => ({
      id: Number(s.id),
      username: String(s.username),
      displayName: String(s.display_name),
      regions: (s.regions as number[]).map(Number),
      chiefId: s.chief_id == null ? null : Number(s.chief_id),
      chiefName: s.chief_name ?? null,
      units: Number(s.units),
      openTasks: Number(s.open_tasks),
    }));
    res.json({ items });
  });

  r.put('/supervisors/:id/chief', async (req, res) => {
    const p = requireRole(res, 'admin');
    const id = idParam.parse(req.params.id);
    const body = chiefSetSchema.parse(req.body);
    if (body.chiefId === id) throw badRequest('a supervisor cannot be their own chief');
    const sup = (await pool.query(q.userById(id))).rows[0];
    if (!sup || sup.role !== 'supervisor' || sup.disabled) throw notFound(`no supervisor ${id}`);
    const chief = (await pool.query(q.userById(body.chiefId))).rows[0];
    if (!chief || chief.disabled || !['supervisor', 'admin'].includes(chief.role)) throw notFound(`no supervisor or admin ${body.chiefId} to be the chief`);
    await withTransaction(pool, async (c) => {
      const before = (await c.query(q.chiefOf(id))).rows[0]?.chief_id ?? null;
      await c.query(q.setChief(id, body.chiefId));
      await recordAudit(c, { actor: p, ip: ipOf(req), action: 'supervision.chief', entity: 'user', entityId: id, before: { chiefId: before == null ? null : Number(before) }, after: { chiefId: body.chiefId } });
    });
    res.json({ supervisorId: id, chiefId: body.chiefId });
  });

  r.get('/units/:id/responsible', async (req, res) => {
    const p = requireRole(res, ...SUPERVISION);
    const id = idParam.parse(req.params.id);
    await requireUnitInScope(pool, p.scope, id);
    const row = (await pool.query(q.responsibleOf(id))).rows[0];
    res.json(
      row
        ? { unitId: id, supervisorId: Number(row.supervisor_id), supervisorName: row.supervisor_name, assignedAt: row.assigned_at.toISOString(), chiefId: row.chief_id == null ? null : Number(row.chief_id), chiefName: row.chief_name ?? null }
        : { unitId: id, supervisorId: null, supervisorName: null, assignedAt: null, chiefId: null, chiefName: null },
    );
  });

  r.put('/units/:id/responsible', async (req, res) => {
    const p = requireRole(res, ...SUPERVISION);
    const id = idParam.parse(req.params.id);
    // The unit is checked before the body is read: a unit of another jurisdiction is 404 whatever was sent.
    await requireUnitInScope(pool, p.scope, id);
    const body = responsibleSetSchema.parse(req.body);
    const actorName = await nameOf(pool, p);
    const changed = await withTransaction(pool, async (c) => {
      const unit = await requireUnitInScope(c, p.scope, id);
      await supervisorCovering(c, body.supervisorId, unit.regionAdcode);
      const before = (await c.query(q.responsibleOf(id))).rows[0];
      return service.assign(c, p, [{ id, before: before ? Number(before.supervisor_id) : null }], body.supervisorId, ipOf(req), actorName, body.note, 'supervision.assign', id);
    });
    res.json({ unitId: id, supervisorId: body.supervisorId, changed: changed > 0 });
  });

  r.post('/assign-region', async (req, res) => {
    const p = requireRole(res, ...SUPERVISION);
    const body = regionAssignSchema.parse(req.body);
    requireRegionInScope(p.scope, body.regionAdcode);
    await supervisorCovering(pool, body.supervisorId, body.regionAdcode);
    const actorName = await nameOf(pool, p);
    const result = await withTransaction(pool, async (c) => {
      const units = (await c.query(q.unitsOfRegion(p.scope, body.regionAdcode, body.onlyUnassigned))).rows.map((u) => ({
        id: Number(u.id),
        before: u.supervisor_id == null ? null : Number(u.supervisor_id),
      }));
      const changed = await service.assign(c, p, units, body.supervisorId, ipOf(req), actorName, body.note, 'supervision.assign_region', body.regionAdcode);
      return { units: units.length, changed };
    });
    res.json({ regionAdcode: body.regionAdcode, supervisorId: body.supervisorId, ...result });
  });

  r.get('/tasks', async (req, res) => {
    const p = requireRole(res, ...SUPERVISION);
    const query = taskListQuerySchema.parse(req.query);
    if (query.unit !== undefined) await requireUnitInScope(pool, p.scope, query.unit); // a foreign unit is 404, not an empty list
    const now = service.now();
    const rows = (
      await pool.query(
        q.listTasks(
          p.scope,
          {
            ...(query.view === 'mine' ? { mineUserId: p.userId } : {}),
            ...(query.state ? { states: query.state } : {}),
            ...(query.reason ? { reasons: query.reason } : {}),
            ...(query.unit !== undefined ? { unitId: query.unit } : {}),
            ...(query.overdue !== undefined ? { overdueAt: { nowIso: now.toISOString(), overdue: query.overdue } } : {}),
          },
          { limit: query.limit, offset: query.offset },
        ),
      )
    ).rows;
    res.json({ total: rows[0] ? Number(rows[0].total) : 0, items: rows.map((t) => service.taskDto(t, p, now)) });
  });

  r.post('/tasks', async (req, res) => {
    const p = requireRole(res, ...SUPERVISION);
    const body = taskCreateSchema.parse(req.body);
    res.status(201).json(await service.createManual(p, body, ipOf(req), await nameOf(pool, p)));
  });

  r.get('/tasks/:id', async (req, res) => {
    const p = requireRole(res, ...SUPERVISION);
    res.json(await service.detail(p, idParam.parse(req.params.id)));
  });

  r.post('/tasks/:id/transition', async (req, res) => {
    const p = requireRole(res, ...SUPERVISION);
    const id = idParam.parse(req.params.id);
    await service.requireTask(p, id);
    const body = taskTransitionSchema.parse(req.body);
    res.json(await service.transition(p, id, body, ipOf(req), await nameOf(pool, p)));
  });

  r.post('/tasks/:id/notes', async (req, res) => {
    const p = requireRole(res, ...SUPERVISION);
    const id = idParam.parse(req.params.id);
    await service.requireTask(p, id);
    const body = taskNoteSchema.parse(req.body);
    res.json(await service.addNote(p, id, body.note, await nameOf(pool, p)));
  });

  r.post('/evaluate', async (_req, res) => {
    requireRole(res, 'admin');
    res.json(await service.runOnce());
  });

  return r;
}
