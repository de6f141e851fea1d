// Duty operations over HTTP (/api/duty). Every route checks the caller's role and that every
// post (region) and id it names lies inside the caller's jurisdiction (404 otherwise).
//
//   GET  /posts                          regions the caller may keep duty for
//   GET  /users?region=                  duty staff who can watch a post (for the roster and handovers)
//   GET  /shifts?region=&from=&to=       the roster · POST /shifts · DELETE /shifts/:id (admin, supervisor)
//   GET  /handovers?region=&pending=     · GET /handovers/:id · POST /handovers · POST /handovers/:id/accept
//   GET  /log?region=&from=&to=&kind=    · POST /log {regionAdcode, text}
//   GET  /register?unit=&kind=&verdict=&region=&operator=&from=&to=&format=json|csv|xlsx&lang=
//   GET  /comm-test                      status of the 119 communication test · POST /comm-test runs one now
//   GET  /unattended                     "center unattended" records of the caller's posts (open first)
//   POST /duty-checks {unitId}           a duty check (查岗) of one unit now · GET /duty-checks/:id its answer time
//   GET  /clock-drift                    devices whose clock is off by more than 5 s at the last sync
//   GET  /disabled-points?region=&unitId=&days=  disabled (屏蔽) points per unit: now, since when, hours
import { Router, type Response } from 'express';
import { z } from 'zod';
import {
  dutyLogCreateSchema,
  dutyLogQuerySchema,
  handoverAcceptSchema,
  handoverCreateSchema,
  registerQuerySchema,
  shanghaiDate,
  shiftCreateSchema,
  shiftQuerySchema,
  type DutyLogDto,
  type HandoverDto,
  type RegisterRow,
  type Role,
  type ShiftDto,
} from '@firelink/common';
import { recordAudit } from '../audit/audit.ts';
import { requireRole } from '../auth/principal.ts';
import { requireRegionFilter, requireUnitInScope, scopeAllows, type Principal } from '../auth/scope.ts';
import { withTransaction, type Pool, type PoolClient } from '../db/pool.ts';
import { DomainError, badRequest, conflict, forbidden, notFound } from '../kernel/errors.ts';
import * as q from './queries.ts';
import { registerCsv, registerXlsx } from './register-export.ts';
import { CommTester, actorName, commTestDto, createHandover } from './service.ts';
import { idParam, ipOf } from '../http/params.ts';

/** May read the roster, handovers, the log and the comm test status. */
const READ: Role[] = ['admin', 'operator', 'dispatcher', 'supervisor'];
/** May hand over, accept, write the log and run a comm test. */
const ACT: Role[] = ['admin', 'operator', 'dispatcher', 'supervisor'];
/** May edit the roster. */
const ROSTER: Role[] = ['admin', 'supervisor'];
/** May search and export the alarm handling register. */
const REGISTER: Role[] = ['admin', 'operator', 'dispatcher', 'supervisor', 'analyst'];

const DAY_MS = 86_400_000;
/** 查岗 throttle: one pending check per unit, and at most this many requests per user a minute. */
export const DUTY_CHECKS_PER_USER_PER_MINUTE = 6;

/**
 * Refuses (429, with Retry-After) a duty check of a unit that already has one pending, or a
 * user's seventh request within a minute: a device is not flooded with checks it cannot
 * answer faster than its operator can. Runs inside the request's transaction, under locks.
 */
async function throttleDutyCheck(c: PoolClient, res: Response, unitId: number, userId: number | null): Promise<void> {
  const now = new Date();
  await c.query(q.lockDutyCheckRequests(unitId, userId));
  const pending = (await c.query(q.pendingDutyCheckOfUnit(unitId, now.toISOString()))).rows[0];
  if (pending) {
    // Until the pending check's answer is due (or a few seconds, while it waits to be sent).
    const until = pending.sent_at ? (pending.sent_at as Date).getTime() + Number(pending.timeout_s) * 1000 : now.getTime() + 5000;
    const retryAfterS = Math.max(1, Math.ceil((until - now.getTime()) / 1000));
    res.set('Retry-After', String(retryAfterS));
    throw new DomainError(
      'too_many',
      'duty_check_pending',
      `unit ${unitId} already has a duty check waiting for its answer (request ${pending.id}): follow it with GET /api/duty/duty-checks/${pending.id} and check again once it is answered or missed`,
      { requestId: Number(pending.id), retryAfterS },
    );
  }
  if (userId == null) return;
  const recent = (await c.query(q.dutyChecksOfUserSince(userId, new Date(now.getTime() - 60_000).toISOString()))).rows[0];
  if (Number(recent?.n ?? 0) >= DUTY_CHECKS_PER_USER_PER_MINUTE) {
    const retryAfterS = Math.max(1, Math.ceil(((recent.oldest as Date).getTime() + 60_000 - now.getTime()) / 1000));
    res.set('Retry-After', String(retryAfterS));
    throw new DomainError('too_many', 'duty_check_rate_limited', `at most ${DUTY_CHECKS_PER_USER_PER_MINUTE} duty checks a minute per user: try again in ${retryAfterS} s`, { retryAfterS });
  }
}
/** Longest register window: one year (the register is kept per year). */
const MAX_REGISTER_WINDOW_MS = 366 * DAY_MS;
/** Most rows in one export; beyond, narrow the filters. */
const MAX_EXPORT_ROWS = 50_000;

const iso = (d: Date | string | null | undefined): string | null => (d == null ? null : new Date(d).toISOString());

function shiftDto(r: Record<string, unknown>): ShiftDto {
  return {
    id: Number(r.id),
    regionAdcode: Number(r.region_adcode),
    regionName: (r.region_name as string | null) ?? null,
    userId: Number(r.user_id),
    userName: String(r.user_name),
    dutyRole: r.duty_role as ShiftDto['dutyRole'],
    startsAt: iso(r.starts_at as Date)!,
    endsAt: iso(r.ends_at as Date)!,
    note: String(r.note ?? ''),
    phone: (r.phone as string | null) ?? null,
  };
}

function handoverDto(r: Record<string, unknown>): HandoverDto {
  return {
    id: Number(r.id),
    regionAdcode: Number(r.region_adcode),
    regionName: (r.region_name as string | null) ?? null,
    fromUserId: r.from_user_id == null ? null : Number(r.from_user_id),
    fromName: String(r.from_name),
    toUserId: r.to_user_id == null ? null : Number(r.to_user_id),
    toName: (r.to_name as string | null) ?? null,
    shiftStart: iso(r.shift_start as Date)!,
    shiftEnd: iso(r.shift_end as Date)!,
    notes: String(r.notes ?? ''),
    openAlarms: r.open_alarms as HandoverDto['openAlarms'],
    pendingAlarms: r.pending_alarms as HandoverDto['pendingAlarms'],
    pendingAfterHours: Number(r.pending_after_h),
    summary: r.summary as HandoverDto['summary'],
    createdAt: iso(r.created_at as Date)!,
    acceptedAt: iso(r.accepted_at as Date | null),
    acceptedBy: r.accepted_by == null ? null : Number(r.accepted_by),
    acceptedName: (r.accepted_name as string | null) ?? null,
    acceptNote: (r.accept_note as string | null) ?? null,
  };
}

function logDto(r: Record<string, unknown>): DutyLogDto {
  return {
    id: Number(r.id),
    regionAdcode: r.region_adcode == null ? null : Number(r.region_adcode),
    at: iso(r.at as Date)!,
    kind: r.entry_kind as DutyLogDto['kind'],
    actorName: String(r.actor_name),
    text: String(r.text),
    refEntity: (r.ref_entity as string | null) ?? null,
    refId: (r.ref_id as string | null) ?? null,
  };
}

function registerRow(r: Record<string, unknown>): RegisterRow {
  return {
    id: Number(r.id),
    kind: String(r.kind),
    state: String(r.state),
    verdict: (r.verdict as string | null) ?? null,
    cause: (r.cause as string | null) ?? null,
    unitId: r.unit_id == null ? null : Number(r.unit_id),
    unitName: (r.unit_name as string | null) ?? null,
    unitAddress: (r.unit_address as string | null) ?? null,
    regionAdcode: r.region_adcode == null ? null : Number(r.region_adcode),
    regionName: (r.region_name as string | null) ?? null,
    pointLabel: (r.point_label as string | null) ?? null,
    openedAt: iso(r.opened_at as Date)!,
    acknowledgedAt: iso(r.acknowledged_at as Date | null),
    acknowledgedBy: (r.acknowledged_by as string | null) ?? null,
    verifiedAt: iso(r.verified_at as Date | null),
    verifiedBy: (r.verified_by as string | null) ?? null,
    forwardedAt: iso(r.forwarded_at as Date | null),
    dispatchedAt: iso(r.dispatched_at as Date | null),
    closedAt: iso(r.closed_at as Date | null),
    closedBy: (r.closed_by as string | null) ?? null,
    steps: (r.steps as Array<{ step: string; at: string; actorName: string | null; note: string | null }>).map((s) => ({ ...s, at: iso(s.at)! })),
  };
}

function dutyCheckDto(r: Record<string, unknown>) {
  return {
    id: Number(r.id),
    unitId: Number(r.unit_id),
    unitName: String(r.unit_name),
    requestedBy: String(r.requested_name),
    requestedAt: iso(r.requested_at as Date)!,
    /** pending: not sent yet (the next scheduler tick, ≤ 5 s); sent; not_connected: no device of the unit is connected. */
    status: r.processed_at == null ? 'pending' : r.outcome === 'not_connected' ? 'not_connected' : r.answered_at != null ? 'answered' : r.missed_at != null ? 'missed' : 'sent',
    sentAt: iso(r.sent_at as Date | null),
    timeoutS: r.timeout_s == null ? null : Number(r.timeout_s),
    answeredAt: iso(r.answered_at as Date | null),
    /** Seconds from sending to the control-room operator's answer. */
    responseS: r.response_s == null ? null : Number(r.response_s),
    missedAt: iso(r.missed_at as Date | null),
  };
}

/** The post must lie inside the caller's jurisdiction (and exist): 404 otherwise, as for any id. */
async function requirePost(pool: Pool, p: Principal, adcode: number): Promise<string> {
  if (!scopeAllows(p.scope, { regionAdcode: adcode })) throw notFound(`no post ${adcode} in your jurisdiction: GET /api/duty/posts lists yours`);
  const r = (await pool.query(q.regionName(adcode))).rows[0];
  if (!r) throw notFound(`no region ${adcode}: check the adcode (GET /api/duty/posts lists your posts)`);
  return String(r.name);
}

export function dutyRouter(deps: { pool: Pool; comm: CommTester }): Router {
  const { pool, comm } = deps;
  const r = Router();

  r.get('/posts', async (_req, res) => {
    const p = requireRole(res, ...READ);
    const { rows } = await pool.query(q.posts(p.scope));
    res.json({ posts: rows.map((x) => ({ adcode: Number(x.adcode), name: x.name, nameEn: x.name_en ?? null, level: x.level })) });
  });

  r.get('/users', async (req, res) => {
    const p = requireRole(res, ...READ);
    const { region } = z.object({ region: z.coerce.number().int().min(100000, 'region is a 6-digit adcode').max(999999, 'region is a 6-digit adcode') }).strict().parse(req.query);
    await requirePost(pool, p, region);
    const { rows } = await pool.query(q.dutyUsers(p.scope, region));
    res.json({ users: rows.map((u) => ({ id: Number(u.id), username: u.username, displayName: u.display_name, role: u.role })) });
  });

  // ── Roster ──
  r.get('/shifts', async (req, res) => {
    const p = requireRole(res, ...READ);
    const f = shiftQuerySchema.parse(req.query);
    const from = f.from ?? new Date(Date.now() - DAY_MS).toISOString();
    const to = f.to ?? new Date(Date.parse(from) + 8 * DAY_MS).toISOString();
    if (Date.parse(to) <= Date.parse(from)) throw badRequest('`to` must be after `from`');
    if (Date.parse(to) - Date.parse(from) > 62 * DAY_MS) throw badRequest('roster window longer than 62 days: narrow `from`/`to`');
    if (f.region !== undefined) await requirePost(pool, p, f.region);
    const { rows } = await pool.query(q.listShifts(p.scope, { region: f.region, from, to }));
    res.json({ from, to, shifts: rows.map(shiftDto) });
  });

  r.post('/shifts', async (req, res) => {
    const p = requireRole(res, ...ROSTER);
    const body = shiftCreateSchema.parse(req.body);
    await requirePost(pool, p, body.regionAdcode);
    const out = await withTransaction(pool, async (c) => {
      const user = (await c.query(q.dutyUsers(p.scope, body.regionAdcode, body.userId))).rows[0];
      if (!user) throw notFound(`no duty staff ${body.userId} in your jurisdiction who can watch post ${body.regionAdcode}: GET /api/duty/users?region=${body.regionAdcode} lists them`);
      // Serialise roster edits of one person, so two overlapping shifts cannot both pass the check.
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`duty_shift_user:${body.userId}`]);
      const clash = (await c.query(q.overlappingShift(body.userId, body.startsAt, body.endsAt))).rows[0];
      if (clash) {
        throw conflict(`${user.display_name} is already on duty ${iso(clash.starts_at)} – ${iso(clash.ends_at)} (shift ${clash.id}): change the times or remove that shift`, {
          shiftId: Number(clash.id),
        });
      }
      const id = Number((await c.query(q.insertShift({ ...body, createdBy: p.userId }))).rows[0].id);
      await recordAudit(c, { actor: p, ip: ipOf(req), action: 'duty.shift.create', entity: 'duty_shift', entityId: id, after: body });
      return shiftDto((await c.query(q.shiftById(p.scope, id))).rows[0]);
    });
    res.status(201).json(out);
  });

  r.delete('/shifts/:id', async (req, res) => {
    const p = requireRole(res, ...ROSTER);
    const id = idParam.parse(req.params.id);
    await withTransaction(pool, async (c) => {
      const before = (await c.query(q.shiftById(p.scope, id))).rows[0];
      if (!before) throw notFound('no such shift in your jurisdiction');
      await c.query(q.deleteShift(id));
      await recordAudit(c, { actor: p, ip: ipOf(req), action: 'duty.shift.delete', entity: 'duty_shift', entityId: id, before: shiftDto(before) });
    });
    res.status(204).end();
  });

  // ── Handover ──
  r.get('/handovers', async (req, res) => {
    const p = requireRole(res, ...READ);
    const f = z
      .object({
        region: z.coerce.number().int().min(100000).max(999999).optional(),
        pending: z.enum(['true', 'false']).optional().transform((v) => v === 'true'),
        limit: z.coerce.number().int().min(1).max(200).default(20),
      })
      .strict()
      .parse(req.query);
    if (f.region !== undefined) await requirePost(pool, p, f.region);
    const { rows } = await pool.query(q.listHandovers(p.scope, f));
    res.json({ handovers: rows.map(handoverDto) });
  });

  r.get('/handovers/:id', async (req, res) => {
    const p = requireRole(res, ...READ);
    const row = (await pool.query(q.handoverById(p.scope, idParam.parse(req.params.id)))).rows[0];
    if (!row) throw notFound('no such handover in your jurisdiction');
    res.json(handoverDto(row));
  });

  r.post('/handovers', async (req, res) => {
    const p = requireRole(res, ...ACT);
    const body = handoverCreateSchema.parse(req.body);
    await requirePost(pool, p, body.regionAdcode);
    if (body.toUserId !== undefined) {
      if (body.toUserId === p.userId) throw badRequest('toUserId is the incoming operator: name someone other than yourself');
      const to = (await pool.query(q.dutyUsers(p.scope, body.regionAdcode, body.toUserId))).rows[0];
      if (!to) throw notFound(`no duty staff ${body.toUserId} in your jurisdiction who can watch post ${body.regionAdcode}`);
    }
    const id = await createHandover(pool, p, {
      regionAdcode: body.regionAdcode,
      shiftStart: body.shiftStart ?? null,
      toUserId: body.toUserId ?? null,
      notes: body.notes,
      pendingAfterHours: body.pendingAfterHours,
    });
    await recordAudit(pool, { actor: p, ip: ipOf(req), action: 'duty.handover.create', entity: 'duty_handover', entityId: id, after: body });
    res.status(201).json(handoverDto((await pool.query(q.handoverById(p.scope, id))).rows[0]));
  });

  r.post('/handovers/:id/accept', async (req, res) => {
    const p = requireRole(res, ...ACT);
    const id = idParam.parse(req.params.id);
    const body = handoverAcceptSchema.parse(req.body ?? {});
    const out = await withTransaction(pool, async (c) => {
      const h = (await c.query(q.handoverById(p.scope, id, { forUpdate: true }))).rows[0];
      if (!h) throw notFound('no such handover in your jurisdiction');
      if (h.accepted_at) throw conflict(`handover ${id} was already accepted by ${h.accepted_name} at ${iso(h.accepted_at)}`);
      if (p.userId != null && Number(h.from_user_id) === p.userId) {
        throw conflict('you handed this shift over: the incoming operator accepts it from their own session');
      }
      if (h.to_user_id != null && Number(h.to_user_id) !== p.userId && p.role !== 'admin') {
        throw forbidden(`this handover is addressed to ${h.to_name}: only they (or an admin) can accept it`);
      }
      const name = await actorName(c, p);
      const up = (await c.query(q.acceptHandover(id, { userId: p.userId, username: name }, body.note))).rows[0];
      if (!up) throw conflict('the handover was accepted concurrently: reload');
      await c.query(
        q.insertLog({
          regionAdcode: Number(h.region_adcode),
          kind: 'handover_accepted',
          actorId: p.userId,
          actorName: name,
          text: body.note ? `from ${h.from_name}: ${body.note}` : `from ${h.from_name}`,
          refEntity: 'handover',
          refId: id,
        }),
      );
      await recordAudit(c, { actor: p, ip: ipOf(req), action: 'duty.handover.accept', entity: 'duty_handover', entityId: id, after: body });
      return handoverDto((await c.query(q.handoverById(p.scope, id))).rows[0]);
    });
    res.json(out);
  });

  // ── Duty log ──
  r.get('/log', async (req, res) => {
    const p = requireRole(res, ...READ);
    const f = dutyLogQuerySchema.parse(req.query);
    if (f.region !== undefined) await requirePost(pool, p, f.region);
    const { rows } = await pool.query(q.listLog(p.scope, { ...f, kinds: f.kind }));
    res.json({ entries: rows.map(logDto) });
  });

  r.post('/log', async (req, res) => {
    const p = requireRole(res, ...ACT);
    const body = dutyLogCreateSchema.parse(req.body);
    await requirePost(pool, p, body.regionAdcode);
    const row = (await pool.query(q.insertLog({ regionAdcode: body.regionAdcode, kind: 'note', actorId: p.userId, actorName: await actorName(pool, p), text: body.text }))).rows[0];
    const entry = (await pool.query(q.listLog(p.scope, { region: body.regionAdcode, kinds: ['note'], from: iso(row.at as Date)!, limit: 50 }))).rows.find((x) => Number(x.id) === Number(row.id));
    res.status(201).json(logDto(entry!));
  });

  // ── Alarm handling register ──
  r.get('/register', async (req, res) => {
    const p = requireRole(res, ...REGISTER);
    const f = registerQuerySchema.parse(req.query);
    const to = f.to ?? new Date().toISOString();
    const from = f.from ?? new Date(Date.parse(to) - 7 * DAY_MS).toISOString();
    if (Date.parse(from) >= Date.parse(to)) throw badRequest('`from` must be before `to`');
    if (Date.parse(to) - Date.parse(from) > MAX_REGISTER_WINDOW_MS) throw badRequest('window longer than one year: narrow `from`/`to`');
    requireRegionFilter(p.scope, f.region);
    if (f.unitId !== undefined) await requireUnitInScope(pool, p.scope, f.unitId);
    const filter: q.RegisterFilter = {
      unit: f.unit || undefined,
      unitId: f.unitId,
      kinds: f.kind,
      verdicts: f.verdict,
      cause: f.cause || undefined,
      region: f.region,
      operator: f.operator || undefined,
      from,
      to,
    };
    if (f.format === 'json') {
      const { rows } = await pool.query(q.registerRows(p.scope, filter, { limit: f.limit, offset: f.offset }));
      res.json({ total: rows.length ? Number(rows[0].total) : 0, rows: rows.map(registerRow), from, to });
      return;
    }
    const { rows } = await pool.query(q.registerRows(p.scope, filter, { limit: MAX_EXPORT_ROWS + 1, offset: 0 }));
    if (rows.length > MAX_EXPORT_ROWS) {
      throw new DomainError('too_large', 'too_many_rows', `more than ${MAX_EXPORT_ROWS} alarms match: narrow the time window or the filters and export in parts`);
    }
    const data = rows.map(registerRow);
    const name = `alarm-register-${shanghaiDate(new Date(from))}-${shanghaiDate(new Date(Date.parse(to) - 1))}`;
    const title = f.lang === 'en' ? name : `接处警登记表-${shanghaiDate(new Date(from))}-${shanghaiDate(new Date(Date.parse(to) - 1))}`;
    const disposition = (ext: string) => `attachment; filename="${name}.${ext}"; filename*=UTF-8''${encodeURIComponent(title)}.${ext}`;
    if (f.format === 'csv') {
      res.set('Content-Type', 'text/csv; charset=utf-8');
      res.set('Content-Disposition', disposition('csv'));
      res.send(registerCsv(data, f.lang));
      return;
    }
    res.set('Content-Type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    res.set('Content-Disposition', disposition('xlsx'));
    res.send(await registerXlsx(data, f.lang));
  });

  // ── 119 communication test ──
  r.get('/comm-test', async (_req, res) => {
    requireRole(res, ...READ);
    const [recent, since] = await Promise.all([pool.query(q.recentTests(10)), pool.query(q.failingSince())]);
    const tests = recent.rows.map(commTestDto);
    const last = tests.find((t) => t.ok !== null) ?? null;
    res.json({
      configured: comm.configured,
      dailyAt: comm.dailyAt,
      failing: last !== null && last.ok === false,
      failingSince: last !== null && last.ok === false ? iso(since.rows[0]?.since as Date | null) : null,
      last,
      recent: tests,
    });
  });

  r.post('/comm-test', async (req, res) => {
    const p = requireRole(res, ...ACT);
    z.object({}).strict().parse(req.body ?? {});
    const result = await comm.runManual(p);
    await recordAudit(pool, { actor: p, ip: ipOf(req), action: 'duty.comm_test.run', entity: 'duty_comm_test', entityId: result.id, after: { ok: result.ok } });
    res.status(201).json(result);
  });

  // ── Duty check (查岗) of one unit, from the desk ──
  r.post('/duty-checks', async (req, res) => {
    const p = requireRole(res, ...ACT);
    const body = z.object({ unitId: idParam }).strict().parse(req.body);
    const unit = await requireUnitInScope(pool, p.scope, body.unitId);
    const name = await actorName(pool, p);
    const id = await withTransaction(pool, async (c) => {
      await throttleDutyCheck(c, res, body.unitId, p.userId);
      const rid = Number((await c.query(q.insertDutyCheckRequest(body.unitId, p.userId, name))).rows[0].id);
      await c.query(
        q.insertLog({
          regionAdcode: unit.regionAdcode,
          kind: 'duty_check_requested',
          actorId: p.userId,
          actorName: name,
          text: unit.name,
          refEntity: 'duty_check_request',
          refId: rid,
        }),
      );
      await recordAudit(c, { actor: p, ip: ipOf(req), action: 'duty.duty_check.request', entity: 'duty_check_request', entityId: rid, after: body });
      return rid;
    });
    res.status(202).json(dutyCheckDto((await pool.query(q.dutyCheckRequest(p.scope, id))).rows[0]));
  });

  r.get('/duty-checks/:id', async (req, res) => {
    const p = requireRole(res, ...READ);
    const row = (await pool.query(q.dutyCheckRequest(p.scope, idParam.parse(req.params.id)))).rows[0];
    if (!row) throw notFound('no such duty check in your jurisdiction');
    res.json(dutyCheckDto(row));
  });

  // ── Device clocks (unified clock, error ≤ 5 s) ──
  r.get('/clock-drift', async (req, res) => {
    const p = requireRole(res, ...READ);
    const f = z.object({ thresholdS: z.coerce.number().min(0).max(86_400).default(5), limit: z.coerce.number().int().min(1).max(1000).default(200) }).strict().parse(req.query);
    const { rows } = await pool.query(q.clockDrift(p.scope, f.thresholdS * 1000, f.limit));
    res.json({
      thresholdS: f.thresholdS,
      devices: rows.map((x) => ({
        deviceId: Number(x.device_id),
        address: Number(x.address),
        unitId: Number(x.unit_id),
        unitName: String(x.unit_name),
        checkedAt: iso(x.checked_at as Date)!,
        deviceTime: String(x.device_time),
        driftS: Math.round(Number(x.drift_ms) / 100) / 10,
      })),
    });
  });

  // ── Disabled (屏蔽) points as a risk indicator ──
  r.get('/disabled-points', async (req, res) => {
    const p = requireRole(res, ...REGISTER);
    const f = z
      .object({
        region: z.coerce.number().int().min(100000).max(999999).optional(),
        unitId: idParam.optional(),
        days: z.coerce.number().int().min(1).max(366).default(30),
        limit: z.coerce.number().int().min(1).max(1000).default(100),
      })
      .strict()
      .parse(req.query);
    requireRegionFilter(p.scope, f.region);
    if (f.unitId !== undefined) await requireUnitInScope(pool, p.scope, f.unitId);
    const at = new Date().toISOString();
    const { rows } = await pool.query(q.disabledByUnit(p.scope, { ...f, at }));
    res.json({
      days: f.days,
      units: rows.map((x) => ({
        unitId: Number(x.unit_id),
        unitName: String(x.unit_name),
        regionAdcode: x.region_adcode == null ? null : Number(x.region_adcode),
        disabledNow: Number(x.disabled_now),
        systemsDisabledNow: Number(x.systems_disabled_now),
        oldestSince: iso(x.oldest_since as Date | null),
        hoursInWindow: Number(x.hours_in_window ?? 0),
        spellsInWindow: Number(x.spells_in_window),
      })),
    });
  });

  // ── Nobody watching ──
  r.get('/unattended', async (req, res) => {
    const p = requireRole(res, ...READ);
    const { limit } = z.object({ limit: z.coerce.number().int().min(1).max(200).default(20) }).strict().parse(req.query);
    const { rows } = await pool.query(q.listUnattended(p.scope, limit));
    res.json({
      items: rows.map((x) => ({
        id: Number(x.id),
        regionAdcode: Number(x.region_adcode),
        regionName: String(x.region_name),
        screen: x.screen as 'desk' | 'wall',
        absentSince: iso(x.absent_since as Date)!,
        raisedAt: iso(x.raised_at as Date)!,
        clearedAt: iso(x.cleared_at as Date | null),
        notified: Number(x.notified),
      })),
    });
  });

  return r;
}
