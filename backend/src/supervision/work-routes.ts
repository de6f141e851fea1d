// Supervision's second part over HTTP (/api/supervision). Every unit, inspection, case, task,
// device and region id in a request is checked against the caller's jurisdiction (404
// otherwise): a 鼓楼 supervisor reads and changes nothing of 玄武.
//
//   GET  /plan/bands · PUT /plan/bands (admin)       risk bands: top N % every D days
//   POST /plan/generate {regionAdcode?, windowDays}  plan from the analytics inspection ranking
//   GET  /plan?view=mine|all&dueBy=&band=&limit=&offset=
//   GET  /inspections?unit=&openOrders=&limit=&offset= · POST /inspections · GET /inspections/:id
//   POST /inspections/:id/photos (image body) · GET /inspections/:id/photos/:photoId
//   GET  /cases?unit=&state= · POST /cases · GET /cases/:id · POST /cases/:id/close
//   GET  /stats/agencies?kind=maintenance|testing&from=&to= · GET /stats/supervisors?from=&to=
//   GET  /league · GET /stage-targets · PUT /stage-targets/:adcode (admin; supervisor in jurisdiction)
//   GET  /acceptance/evidence?unit=&device=&from=&to= · POST /acceptance · GET /acceptance/:id
//   GET  /acceptance/:id/print?format=pdf|html · GET /acceptance/:id/export
//   GET  /reports?period= · POST /reports/run (admin) · GET /monthly-units?month=&region=&format=
import {
  acceptanceEvidenceQuerySchema,
  acceptanceSignSchema,
  caseCloseSchema,
  caseCreateSchema,
  inspectionCreateSchema,
  planBandsSetSchema,
  planGenerateSchema,
  REPORT_PERIODS,
  SHANGHAI_OFFSET_MS,
  stageTargetsSetSchema,
  type Role,
} from '@firelink/common';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { sendTable, type Row } from '../analytics/export.ts';
import { PdfBusyError, type PdfRenderer } from '../analytics/pdf.ts';
import { requireRole } from '../auth/principal.ts';
import { requireRegionInScope, requireUnitInScope, type Principal } from '../auth/scope.ts';
import type { Pool } from '../db/pool.ts';
import { DomainError } from '../kernel/errors.ts';
import { acceptanceHtml, fileExport, type SupervisionSystemExport } from './acceptance-print.ts';
import { MAX_PHOTO_BYTES } from './domain/photo.ts';
import * as q from './queries.ts';
import * as w from './work-queries.ts';
import type { SupervisionWork } from './work-service.ts';
import { idParam, ipOf } from '../http/params.ts';

const SUPERVISION: Role[] = ['admin', 'supervisor'];
/** May read statistics, the league and reports. */
const READERS: Role[] = ['admin', 'supervisor', 'analyst'];
/** May record an acceptance (a maintainer of another agency may inspect). */
const ACCEPTORS: Role[] = ['admin', 'supervisor', 'maintainer'];

const ymd = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD');
const page = { limit: z.coerce.number().int().min(1).max(1000).default(200), offset: z.coerce.number().int().min(0).max(1_000_000).default(0) };

async function nameOf(pool: Pool, p: Principal): Promise<string> {
  if (p.userId == null) return p.username;
  return ((await pool.query(q.displayName(p.userId))).rows[0]?.display_name as string | undefined) ?? p.username;
}

/** A window [from, to) from ?from=&to= (ISO instants); default the last 30 days up to now. */
function windowOf(query: unknown, now: Date): { from: Date; to: Date } {
  const x = z
    .object({ from: z.string().datetime({ offset: true }).optional(), to: z.string().datetime({ offset: true }).optional() })
    .passthrough()
    .parse(query);
  const to = x.to ? new Date(x.to) : now;
  const from = x.from ? new Date(x.from) : new Date(to.getTime() - 30 * 86_400_000);
  if (from >= to) throw new DomainError('invalid', 'invalid_request', 'from must be before to');
  if (to.getTime() - from.getTime() > 400 * 86_400_000) throw new DomainError('invalid', 'invalid_request', 'a window is at most 400 days');
  return { from, to };
}

export function supervisionWorkRouter(deps: { pool: Pool; work: SupervisionWork; pdf: PdfRenderer; now: () => Date; exporter?: SupervisionSystemExport }): Router {
  const { pool, work, pdf, now } = deps;
  const exporter = deps.exporter ?? fileExport;
  const r = Router();

  // ---- assignment screen (the writes are PUT /units/:id/responsible and POST /assign-region) ----
  r.get('/assignment/regions', async (_req, res) => {
    const p = requireRole(res, ...SUPERVISION);
    const rows = (await pool.query(w.assignmentRegions(p.scope))).rows;
    res.json({ items: rows.map((x) => ({ adcode: Number(x.adcode), name: String(x.name), units: Number(x.units), unassigned: Number(x.unassigned), holders: x.holders as Array<{ id: number; name: string }> })) });
  });
  r.get('/assignment/units', async (req, res) => {
    const p = requireRole(res, ...SUPERVISION);
    const x = z.object({ region: z.coerce.number().int().min(100000).max(999999), limit: z.coerce.number().int().min(1).max(2000).default(500) }).strict().parse(req.query);
    requireRegionInScope(p.scope, x.region);
    const rows = (await pool.query(w.assignmentUnits(p.scope, x.region, x.limit))).rows;
    res.json({
      total: rows[0] ? Number(rows[0].total) : 0,
      items: rows.map((u) => ({ unitId: Number(u.id), name: String(u.name), address: u.address ?? null, supervisorId: u.supervisor_id == null ? null : Number(u.supervisor_id), supervisorName: u.supervisor_name ?? null, assignedAt: u.assigned_at ? new Date(u.assigned_at).toISOString() : null })),
    });
  });
  r.get('/assignment/history', async (req, res) => {
    const p = requireRole(res, ...SUPERVISION);
    const x = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }).strict().parse(req.query);
    const rows = (await pool.query(w.assignmentHistory(p.scope, x.limit))).rows;
    res.json({
      items: rows.map((a) => ({
        id: Number(a.id),
        at: new Date(a.at).toISOString(),
        actorName: String(a.actor_name ?? ''),
        kind: a.action === 'supervision.assign_region' ? 'region' : 'unit',
        entityName: a.entity_name ?? String(a.entity_id),
        supervisorName: a.supervisor_name ?? null,
        units: Array.isArray(a.after?.units) ? a.after.units.length : 0,
        note: String(a.after?.note ?? ''),
      })),
    });
  });

  // ---- plan ----
  r.get('/plan/bands', async (_req, res) => {
    requireRole(res, ...SUPERVISION);
    res.json({ bands: await work.bands() });
  });
  r.put('/plan/bands', async (req, res) => {
    const p = requireRole(res, 'admin');
    const body = planBandsSetSchema.parse(req.body);
    res.json({ bands: await work.setBands(p, body.bands, ipOf(req)) });
  });
  r.post('/plan/generate', async (req, res) => {
    const p = requireRole(res, ...SUPERVISION);
    const body = planGenerateSchema.parse(req.body ?? {});
    if (body.regionAdcode !== undefined) requireRegionInScope(p.scope, body.regionAdcode);
    res.json(await work.generatePlan(p, body, ipOf(req)));
  });
  r.get('/plan', async (req, res) => {
    const p = requireRole(res, ...SUPERVISION);
    const x = z.object({ view: z.enum(['mine', 'all']).default('all'), dueBy: ymd.optional(), band: z.string().max(32).optional(), ...page }).strict().parse(req.query);
    res.json(await work.plan(p, { dueBy: x.dueBy, band: x.band, mine: x.view === 'mine', limit: x.limit, offset: x.offset }));
  });

  // ---- inspections ----
  r.get('/inspections', async (req, res) => {
    const p = requireRole(res, ...SUPERVISION);
    const x = z.object({ unit: idParam.optional(), openOrders: z.enum(['true', 'false']).transform((v) => v === 'true').optional(), ...page }).strict().parse(req.query);
    if (x.unit !== undefined) await requireUnitInScope(pool, p.scope, x.unit); // a foreign unit is 404, not an empty list
    res.json(await work.inspections(p, { unitId: x.unit, openOrders: x.openOrders, limit: x.limit, offset: x.offset }));
  });
  r.post('/inspections', async (req, res) => {
    const p = requireRole(res, ...SUPERVISION);
    const body = inspectionCreateSchema.parse(req.body);
    res.status(201).json(await work.createInspection(p, body, ipOf(req), await nameOf(pool, p)));
  });
  r.get('/inspections/:id', async (req, res) => {
    const p = requireRole(res, ...SUPERVISION);
    res.json(await work.inspection(p, idParam.parse(req.params.id)));
  });
  // Before the body is read: the role, the inspection in the caller's jurisdiction (404) and the
  // declared length; a refusal closes the connection, so the rest of the body is never taken in.
  const photoGate = async (req: Request, res: Response, next: NextFunction) => {
    try {
      const p = requireRole(res, ...SUPERVISION);
      await work.inspection(p, idParam.parse(req.params.id));
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > MAX_PHOTO_BYTES) {
        throw new DomainError('too_large', 'payload_too_large', `a photo is at most ${MAX_PHOTO_BYTES / 1048576} MiB (this one declares ${(declared / 1048576).toFixed(1)} MiB)`);
      }
    } catch (err) {
      res.set('Connection', 'close');
      throw err;
    }
    next();
  };
  r.post('/inspections/:id/photos', photoGate, express.raw({ type: () => true, limit: MAX_PHOTO_BYTES }), async (req, res) => {
    const p = requireRole(res, ...SUPERVISION);
    const id = idParam.parse(req.params.id);
    const caption = z.object({ caption: z.string().trim().max(200).default('') }).strict().parse(req.query).caption;
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const declared = String(req.headers['content-type'] ?? '').split(';')[0]!.trim();
    res.status(201).json(await work.addPhoto(p, id, body, declared, caption, ipOf(req)));
  });
  r.get('/inspections/:id/photos/:photoId', async (req, res) => {
    const p = requireRole(res, ...SUPERVISION);
    const ph = await work.photo(p, idParam.parse(req.params.id), idParam.parse(req.params.photoId));
    res.set('Content-Type', ph.mime).set('Cache-Control', 'private, max-age=3600').set('X-Content-Type-Options', 'nosniff').send(ph.image);
  });

  // ---- cases ----
  r.get('/cases', async (req, res) => {
    const p = requireRole(res, ...SUPERVISION);
    const x = z.object({ unit: idParam.optional(), state: z.enum(['open', 'closed']).optional(), ...page }).strict().parse(req.query);
    if (x.unit !== undefined) await requireUnitInScope(pool, p.scope, x.unit);
    res.json(await work.cases(p, { unitId: x.unit, state: x.state, limit: x.limit, offset: x.offset }));
  });
  r.post('/cases', async (req, res) => {
    const p = requireRole(res, ...SUPERVISION);
    res.status(201).json(await work.openCase(p, caseCreateSchema.parse(req.body), ipOf(req)));
  });
  r.get('/cases/:id', async (req, res) => {
    const p = requireRole(res, ...SUPERVISION);
    res.json(await work.caseById(p, idParam.parse(req.params.id)));
  });
  r.post('/cases/:id/close', async (req, res) => {
    const p = requireRole(res, ...SUPERVISION);
    const id = idParam.parse(req.params.id);
    await work.caseById(p, id); // 404 for another jurisdiction's case, before the body is read
    res.json(await work.closeCase(p, id, caseCloseSchema.parse(req.body), ipOf(req)));
  });

  // ---- accountability ----
  r.get('/stats/agencies', async (req, res) => {
    const p = requireRole(res, ...READERS);
    const kind = z.object({ kind: z.enum(['maintenance', 'testing']).default('maintenance') }).passthrough().parse(req.query).kind;
    const win = windowOf(req.query, now());
    res.json({ kind, from: win.from.toISOString(), to: win.to.toISOString(), items: await work.agencyStats(p, kind, win.from, win.to) });
  });
  r.get('/stats/supervisors', async (req, res) => {
    const p = requireRole(res, ...READERS);
    const win = windowOf(req.query, now());
    res.json({ from: win.from.toISOString(), to: win.to.toISOString(), items: await work.supervisorStats(p, win.from, win.to) });
  });
  r.get('/league', async (_req, res) => {
    const p = requireRole(res, ...READERS);
    res.json({ items: await work.league(p) });
  });
  r.get('/stage-targets', async (_req, res) => {
    const p = requireRole(res, ...READERS);
    res.json({ items: await work.stageTargets(p) });
  });
  r.put('/stage-targets/:adcode', async (req, res) => {
    // An admin, or a supervisor for a region of their jurisdiction (checked in setStageTargets).
    const p = requireRole(res, ...SUPERVISION);
    const adcode = z.coerce.number().int().min(100000).max(999999).parse(req.params.adcode);
    // Jurisdiction before the body: another district's stages are 404 whatever was sent, never a 400 that reads them.
    work.requireRegion(p, adcode);
    const body = stageTargetsSetSchema.parse(req.body);
    await work.setStageTargets(p, adcode, body.stages, ipOf(req));
    res.json({ regionAdcode: adcode, stages: body.stages });
  });

  // ---- acceptance ----
  r.get('/acceptance/evidence', async (req, res) => {
    const p = requireRole(res, ...ACCEPTORS);
    const x = acceptanceEvidenceQuerySchema.parse(req.query);
    const { unit: _unit, ...ev } = await work.evidence(pool, p, { unitId: x.unit, deviceId: x.device, from: new Date(x.from), to: new Date(x.to) });
    res.json(ev);
  });
  r.post('/acceptance', async (req, res) => {
    const p = requireRole(res, ...ACCEPTORS);
    const body = acceptanceSignSchema.parse(req.body);
    res.status(201).json(await work.signAcceptance(p, body, ipOf(req), await nameOf(pool, p)));
  });
  r.get('/acceptance/:id', async (req, res) => {
    const p = requireRole(res, ...ACCEPTORS);
    res.json(await work.acceptance(p, idParam.parse(req.params.id)));
  });
  r.get('/acceptance/:id/print', async (req, res) => {
    const p = requireRole(res, ...ACCEPTORS);
    const format = z.object({ format: z.enum(['pdf', 'html']).default('pdf') }).strict().parse(req.query).format;
    const rec = await work.acceptance(p, idParam.parse(req.params.id));
    const html = acceptanceHtml(rec);
    if (format === 'html') {
      res.set('Content-Type', 'text/html; charset=utf-8').send(html);
      return;
    }
    try {
      const bytes = await pdf.render(html);
      res.set('Content-Type', 'application/pdf').set('Content-Disposition', `attachment; filename="acceptance-${rec.id}.pdf"`).send(bytes);
    } catch (err) {
      if (err instanceof PdfBusyError) {
        res.set('Retry-After', String(err.retryAfterSeconds));
        throw new DomainError('unavailable', 'busy', err.message);
      }
      throw err;
    }
  });
  r.get('/acceptance/:id/export', async (req, res) => {
    const p = requireRole(res, ...ACCEPTORS);
    const out = exporter.render(await work.acceptance(p, idParam.parse(req.params.id)));
    res.set('Content-Type', out.contentType).set('Content-Disposition', `attachment; filename="${out.fileName}"`).send(out.body);
  });

  // ---- reports ----
  r.get('/reports', async (req, res) => {
    const p = requireRole(res, ...READERS);
    const x = z.object({ period: z.enum(REPORT_PERIODS).optional(), limit: z.coerce.number().int().min(1).max(500).default(100) }).strict().parse(req.query);
    res.json({ items: await work.reports(p, x) });
  });
  r.post('/reports/run', async (_req, res) => {
    requireRole(res, 'admin');
    res.json(await work.runReports());
  });
  r.get('/monthly-units', async (req, res) => {
    const p = requireRole(res, ...READERS);
    const x = z
      .object({ month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month as YYYY-MM'), region: z.coerce.number().int().min(100000).max(999999).optional(), format: z.enum(['json', 'csv', 'xlsx']).default('json') })
      .strict()
      .parse(req.query);
    if (x.region !== undefined) requireRegionInScope(p.scope, x.region);
    const [y, m] = x.month.split('-').map(Number) as [number, number];
    const from = new Date(Date.UTC(y, m - 1, 1) - SHANGHAI_OFFSET_MS);
    const to = new Date(Date.UTC(y, m, 1) - SHANGHAI_OFFSET_MS);
    const fromDay = `${x.month}-01`;
    const toDay = new Date(Date.UTC(y, m, 1)).toISOString().slice(0, 10);
    const rows = await work.monthlyUnits(p, from, to, fromDay, toDay, x.region ?? null);
    if (await sendTable(res, x.format, `unit-monthly-${x.month}`, rows as Row[])) return;
    res.json({ month: x.month, columns: rows[0] ? Object.keys(rows[0]) : [], rows });
  });

  return r;
}
