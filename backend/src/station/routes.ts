// HTTP routes of the station workspace (/api/station): the station's home (station, area,
// coverage), its units, orders and progress reports, the center's station board and
// statistics, and each unit's familiarisation pack (六熟悉) with visits and key parts.
// A station account acts for its own station only and reads its own jurisdiction's units.
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import {
  ORDER_LIST_MAX,
  PACK_PHOTO_MAX_BYTES,
  PACK_PHOTO_TYPES,
  PACK_PHOTOS_PER_VISIT_MAX,
  PACK_PLAN_MAX_BYTES,
  PACK_PLAN_TYPES,
  PACK_PLANS_PER_UNIT_MAX,
  PACK_UNIT_QUOTA_BYTES,
  VISIT_RATE_MAX,
  VISIT_RATE_WINDOW_S,
  STATION_UNIT_POINTS_MAX,
  keyPartPatchSchema,
  TRAVEL_REFERENCE_S,
  TURNOUT_REFERENCE_S,
  keyPartBodySchema,
  progressBodySchema,
  stationUnitsQuerySchema,
  visitBodySchema,
  type Role,
} from '@firelink/common';
import type pg from 'pg';
import { z } from 'zod';
import { recordAudit } from '../audit/audit.ts';
import { requireRole } from '../auth/principal.ts';
import { requireUnitInScope, type Principal } from '../auth/scope.ts';
import { withTransaction, type Pool } from '../db/pool.ts';
import { reportProgress } from '../dispatch/progress.ts';
import { suggestStations } from '../dispatch/suggest.ts';
import { idParam } from '../http/params.ts';
import { DomainError, badRequest, conflict, forbidden, notFound } from '../kernel/errors.ts';
import { nearestWaterSources } from '../water/nearest.ts';
import { checkUpload, cleanFileName, contentDisposition } from './files.ts';
import { toOrder, toOrderSummary, toStationState } from './orders.ts';
import * as Q from './queries.ts';
import { viewerOf } from './stream.ts';

/**
 * Who reads the workspace: the center (admin, dispatcher, operator, supervisor; their
 * jurisdiction's orders) and the stations (a station account its own station's orders only).
 * Analysts, unit users and maintainers get 403.
 */
const READERS: Role[] = ['admin', 'dispatcher', 'operator', 'supervisor', 'station'];
/** Who reports progress: the station, or the center on its behalf (by radio). */
const REPORTERS: Role[] = ['admin', 'dispatcher', 'station'];
/** Who records familiarisation visits and key parts: stations and supervisors. */
const FAMILIARISERS: Role[] = ['admin', 'station', 'supervisor'];

const flag = z.enum(['1', '0', 'true', 'false']).transform((v) => v === '1' || v === 'true');
const ordersQuery = z.object({
  open: flag.optional(),
  limit: z.coerce
    .number()
    .int()
    .min(1, 'limit is at least 1')
    .max(ORDER_LIST_MAX, `limit is at most ${ORDER_LIST_MAX}: ask for open orders (open=1) or fewer`)
    .default(100),
});
const statsQuery = z.object({ days: z.coerce.number().int().min(1).max(3660).default(90) });

const pct = (sorted: number[], p: number): number | null =>
  sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
function summary(values: number[], reference: number) {
  const s = [...values].sort((a, b) => a - b);
  return {
    n: s.length,
    medianS: pct(s, 50),
    p90S: pct(s, 90),
    withinReference: s.length === 0 ? null : s.filter((v) => v <= reference).length / s.length,
    samples: values.slice(-200).map((v) => Math.round(v * 10) / 10),
  };
}

const fileQuery = z.object({
  title: z.string().trim().max(200, 'title: at most 200 characters').optional(),
  name: z.string().max(300).optional(),
});
const mb = (n: number) => `${Math.round(n / 1024 / 1024)}mb`;

/** 413 `unit_quota_exceeded`: the unit's plans and photos would pass PACK_UNIT_QUOTA_BYTES. */
const quotaExceeded = (usedBytes: number, addBytes: number) =>
  new DomainError(
    'too_large',
    'unit_quota_exceeded',
    `the unit keeps at most ${mb(PACK_UNIT_QUOTA_BYTES)} of plans and photos (${(usedBytes / 1048576).toFixed(1)} MiB used, this file ${(addBytes / 1048576).toFixed(1)} MiB): delete old files first`,
    { quotaBytes: PACK_UNIT_QUOTA_BYTES, usedBytes },
  );

const keyPartOut = (k: Record<string, unknown>) => ({
  id: Number(k.id),
  floor: k.floor as number | null,
  name: k.name as string,
  hazard: k.hazard as string,
  planPx: k.plan_x_px == null ? null : ([Number(k.plan_x_px), Number(k.plan_y_px)] as [number, number]),
});
const fileOut = (f: Record<string, unknown>) => ({
  id: Number(f.id),
  title: f.title as string,
  fileName: f.file_name as string,
  mimeType: f.mime_type as string,
  sizeBytes: Number(f.size_bytes),
  byName: f.by_name as string,
  createdAt: new Date(f.created_at as string).toISOString(),
});

async function viewer(pool: Pool, p: Principal): Promise<Q.OrderViewer> {
  const v = await viewerOf(pool, p);
  if (!v) throw forbidden('this station account is not bound to a station: ask an administrator to set its station (stationId)');
  return v;
}

/** The unit's place for its pack (building, floors, position), after the one jurisdiction check of a unit id. */
async function unitPlaceInScope(pool: Pool, p: Principal, unitId: number) {
  await requireUnitInScope(pool, p.scope, unitId);
  const u = (await pool.query(Q.unitPlaceQuery(unitId))).rows[0];
  if (!u) throw notFound(`unit ${unitId} not found in your jurisdiction`);
  return u;
}

export function stationRouter(pool: Pool): Router {
  const r = express.Router();
  const actorOf = (p: Principal, req: Request) => ({ principal: p, ip: req.ip ?? null });

  /** GET /api/station/home — the caller's station (station accounts), districts and 5-minute area. */
  r.get('/home', async (_req, res) => {
    const p = requireRole(res, ...READERS);
    const v = await viewer(pool, p);
    const regions = (await pool.query(Q.regionNamesQuery(p.scope))).rows.map((x) => ({ adcode: Number(x.adcode), name: x.name }));
    if (v.kind !== 'station') {
      res.json({ station: null, regions, coverage: null });
      return;
    }
    const s = (await pool.query(Q.stationStateQuery(v.stationId))).rows[0];
    const cov = (await pool.query(Q.coverageQuery(v.stationId))).rows[0];
    res.json({ station: s ? toStationState(s) : null, regions, coverage: cov?.geom ?? null });
  });

  /**
   * GET /api/station/units?q=&category=&minHeightM=&highRisk=&openAlarms=&visitDue=&limit=&offset=
   * — one page of the list (most urgent first) and the map's points of every matching unit as
   * columns of numbers; each unit's details come with its pack.
   */
  r.get('/units', async (req, res) => {
    const p = requireRole(res, ...READERS);
    const q = stationUnitsQuerySchema.parse(req.query);
    const row = (
      await pool.query(
        Q.stationUnitsQuery(p.scope, {
          q: q.q?.trim() || null,
          category: q.category ?? null,
          minHeightM: q.minHeightM ?? null,
          highRisk: q.highRisk ?? null,
          openAlarms: q.openAlarms ?? null,
          visitDue: q.visitDue ?? null,
          limit: q.limit,
          offset: q.offset,
          pointsMax: STATION_UNIT_POINTS_MAX,
        }),
      )
    ).rows[0];
    const page = row.page as Array<Record<string, unknown>>;
    res.json({
      total: row.total,
      units: page.map((u) => ({
        id: Number(u.id),
        name: u.name as string,
        address: (u.address as string | null) ?? null,
        category: u.category as string,
        highRisk: !!u.high_risk,
        heightM: u.height_m == null ? null : Number(u.height_m),
        openAlarms: Number(u.open_alarms),
        lastVisitAt: u.last_visit_at ? new Date(u.last_visit_at as string).toISOString() : null,
        visitDue: !!u.visit_due,
      })),
      nextOffset: q.offset + page.length < row.total ? q.offset + page.length : null,
      points: row.points,
      pointsTruncated: row.located > STATION_UNIT_POINTS_MAX,
    });
  });

  /**
   * GET /api/station/orders?open=1&limit=100 — a station's own orders; the center's within its
   * jurisdiction; newest first, at most ORDER_LIST_MAX (200). Summaries without route and water
   * (one query, no routing): the detail below has them.
   */
  r.get('/orders', async (req, res) => {
    const p = requireRole(res, ...READERS);
    const q = ordersQuery.parse(req.query);
    const rows = (await pool.query(Q.listOrdersQuery(await viewer(pool, p), { open: q.open ?? null, limit: q.limit + 1 }))).rows;
    res.json({ orders: rows.slice(0, q.limit).map(toOrderSummary), truncated: rows.length > q.limit });
  });

  /** GET /api/station/orders/:id — one order with the route from the station and the water sources near the incident. */
  r.get('/orders/:id', async (req, res) => {
    const p = requireRole(res, ...READERS);
    const orderId = idParam.parse(req.params.id);
    const v = await viewer(pool, p);
    if (!(await pool.query(Q.orderVisibleQuery(v, orderId))).rows[0]) throw notFound(`dispatch order ${orderId} does not exist or is not yours`);
    res.json({ order: await toOrder(pool, (await pool.query(Q.orderByIdQuery(orderId))).rows[0]) });
  });

  /** POST /api/station/orders/:id/progress {progress, note?} — received, turned out, on scene, returning, available. */
  r.post('/orders/:id/progress', async (req, res) => {
    const p = requireRole(res, ...REPORTERS);
    const orderId = idParam.parse(req.params.id);
    const b = progressBodySchema.parse(req.body);
    const v = await viewer(pool, p);
    if (!(await pool.query(Q.orderVisibleQuery(v, orderId))).rows[0]) {
      throw v.kind === 'station'
        ? forbidden('a station account reports on its own station\'s orders only')
        : notFound(`dispatch order ${orderId} does not exist or is outside your jurisdiction`);
    }
    // A station's own order may be for an alarm across a district line: the check above is its scope.
    const actor = v.kind === 'station' ? { ...actorOf(p, req), principal: { ...p, scope: { kind: 'all' as const } } } : actorOf(p, req);
    await withTransaction(pool, (c) => reportProgress(c, actor, orderId, b.progress, b.note));
    res.json({ order: await toOrder(pool, (await pool.query(Q.orderByIdQuery(orderId))).rows[0]) });
  });

  /** GET /api/station/stations — station states (the center's board; a station account sees its own). */
  r.get('/stations', async (_req, res) => {
    const p = requireRole(res, ...READERS);
    const rows = (await pool.query(Q.listStationStatesQuery(await viewer(pool, p)))).rows;
    res.json({ stations: rows.map(toStationState) });
  });

  /** GET /api/station/stats?days=90 — turnout and travel times per station against 80 s / 240 s. */
  r.get('/stats', async (req, res) => {
    const p = requireRole(res, ...READERS);
    const q = statsQuery.parse(req.query);
    const rows = (await pool.query(Q.stationTimesQuery(await viewer(pool, p), q.days))).rows;
    res.json({
      days: q.days,
      turnoutReferenceS: TURNOUT_REFERENCE_S,
      travelReferenceS: TRAVEL_REFERENCE_S,
      stations: rows.map((s) => ({
        stationId: Number(s.id),
        name: s.name,
        dispatches: s.dispatches,
        turnout: summary((s.turnout as number[]).map(Number), TURNOUT_REFERENCE_S),
        travel: summary((s.travel as number[]).map(Number), TRAVEL_REFERENCE_S),
      })),
    });
  });

  /** GET /api/station/units/:id/pack — the unit's familiarisation pack (六熟悉). */
  r.get('/units/:id/pack', async (req, res) => {
    const p = requireRole(res, ...READERS);
    const unitId = idParam.parse(req.params.id);
    const u = await unitPlaceInScope(pool, p, unitId);
    const v = await viewer(pool, p);
    const [floors, systems, parts, visits, plans, files] = await Promise.all([
      pool.query(Q.pointsByFloorQuery(unitId)),
      pool.query(Q.systemsQuery(unitId)),
      pool.query(Q.keyPartsQuery(unitId)),
      pool.query(Q.visitsQuery(unitId)),
      pool.query(Q.floorPlanSizesQuery(unitId)),
      pool.query(Q.unitFilesQuery(unitId)),
    ]);
    const photos = new Map<number, ReturnType<typeof fileOut>[]>();
    for (const f of files.rows) {
      if (f.kind !== 'visit_photo') continue;
      const list = photos.get(Number(f.visit_id)) ?? [];
      list.unshift(fileOut(f));
      photos.set(Number(f.visit_id), list);
    }
    const byFloor = new Map<number | null, { floor: number | null; points: number; types: Array<{ componentType: number; count: number }> }>();
    for (const f of floors.rows) {
      const e = byFloor.get(f.floor) ?? { floor: f.floor as number | null, points: 0, types: [] as Array<{ componentType: number; count: number }> };
      e.points += f.n;
      e.types.push({ componentType: f.component_type, count: f.n });
      byFloor.set(f.floor, e);
    }
    let water: Awaited<ReturnType<typeof nearestWaterSources>>['sources'] = [];
    let route = null;
    if (u.lon != null) {
      water = (await nearestWaterSources(pool, { lon: u.lon, lat: u.lat, k: 5 })).sources;
      if (v.kind === 'station') {
        const s = (await suggestStations(pool, { lon: u.lon, lat: u.lat, k: 1, includeUnavailable: true, stationIds: [v.stationId] })).suggestions[0];
        route = s ? { etaSeconds: s.etaSeconds, distanceMeters: s.distanceMeters, method: s.method } : null;
      }
    }
    res.json({
      unit: {
        id: Number(u.id),
        name: u.name,
        address: u.address ?? null,
        category: u.category,
        highRisk: !!u.high_risk,
        controlRoomPhone: u.control_room_phone ?? null,
        contacts: Array.isArray(u.contacts) ? u.contacts : [],
        regionAdcode: u.region_adcode == null ? null : Number(u.region_adcode),
        lonLatWgs84: u.lon == null ? null : [u.lon, u.lat],
      },
      building: u.building_id == null ? null : { id: Number(u.building_id), name: u.building_name ?? null, floorsAbove: u.floors_above, floorsBelow: u.floors_below, heightM: u.height_m ?? null },
      floors: [...byFloor.values()],
      systems: systems.rows.map((s) => ({ systemType: s.system_type, count: s.n })),
      keyParts: parts.rows.map(keyPartOut),
      floorPlans: plans.rows.map((f) => ({ floor: f.floor, widthPx: f.width_px, heightPx: f.height_px })),
      plans: files.rows.filter((f) => f.kind === 'plan').map(fileOut),
      visits: visits.rows.map((x) => ({
        id: Number(x.id),
        stationId: x.station_id == null ? null : Number(x.station_id),
        byName: x.by_name,
        visitedAt: new Date(x.visited_at).toISOString(),
        note: x.note,
        photos: photos.get(Number(x.id)) ?? [],
      })),
      visitDue: !visits.rows.some((x) => x.recent),
      water,
      route,
    });
  });

  /** GET /api/station/units/:id/key-parts — the key parts and the floors with a plan (the onboarding key-part editor). */
  r.get('/units/:id/key-parts', async (req, res) => {
    const p = requireRole(res, ...READERS);
    const unitId = idParam.parse(req.params.id);
    await requireUnitInScope(pool, p.scope, unitId);
    const [parts, plans] = await Promise.all([pool.query(Q.keyPartsQuery(unitId)), pool.query(Q.floorPlanSizesQuery(unitId))]);
    res.json({ keyParts: parts.rows.map(keyPartOut), floorPlans: plans.rows.map((f) => ({ floor: f.floor, widthPx: f.width_px, heightPx: f.height_px })) });
  });

  /** POST /api/station/units/:id/visits {visitedAt?, note} — a familiarisation visit. */
  r.post('/units/:id/visits', async (req, res) => {
    const p = requireRole(res, ...FAMILIARISERS);
    const unitId = idParam.parse(req.params.id);
    await requireUnitInScope(pool, p.scope, unitId);
    const b = visitBodySchema.parse(req.body);
    const v = await viewer(pool, p);
    if (b.visitedAt && new Date(b.visitedAt).getTime() > Date.now() + 5 * 60_000) throw forbidden('visitedAt lies in the future: record a visit once it happened');
    const visit = await withTransaction(pool, async (c) => {
      if (p.userId != null) {
        await c.query(Q.lockVisitRateQuery(p.userId));
        const recent = (await c.query(Q.recentVisitsByUserQuery(p.userId, VISIT_RATE_WINDOW_S))).rows[0];
        if (recent.n >= VISIT_RATE_MAX) {
          const retryAfterS = Math.max(1, Math.ceil(Number(recent.frees_in_s)));
          res.set('Retry-After', String(retryAfterS));
          throw new DomainError('too_many', 'visit_rate_limited', `at most ${VISIT_RATE_MAX} visits per ${VISIT_RATE_WINDOW_S / 60} minutes per account: try again in ${retryAfterS} s`, { retryAfterS });
        }
      }
      const name = p.userId == null ? p.username : ((await c.query(Q.displayNameQuery(p.userId))).rows[0]?.display_name ?? p.username);
      const row = (await c.query(Q.insertVisitQuery({ unitId, stationId: v.kind === 'station' ? v.stationId : null, byUser: p.userId, byName: name, visitedAt: b.visitedAt ?? null, note: b.note }))).rows[0];
      await recordAudit(c, { actor: p, ip: req.ip ?? null, action: 'unit.visit', entity: 'unit', entityId: unitId, after: { visitId: Number(row.id), visitedAt: row.visited_at, note: b.note } });
      return { id: Number(row.id), stationId: row.station_id == null ? null : Number(row.station_id), byName: row.by_name, visitedAt: new Date(row.visited_at).toISOString(), note: row.note, photos: [] };
    });
    res.status(201).json({ visit });
  });

  /**
   * A key part's marker must sit on an uploaded plan of its floor, inside the image: the
   * plan of the unit's building for `floor`. Throws a 409 / 400 that says what to do.
   */
  async function checkMarker(db: Pool | pg.ClientBase, unitId: number, floor: number | null, planPx: [number, number] | null) {
    if (!planPx) return;
    if (floor == null) throw badRequest('planPx: a marker needs the key part\'s floor');
    const plan = (await db.query(Q.floorPlanSizesQuery(unitId))).rows.find((f) => f.floor === floor);
    if (!plan) throw conflict(`floor ${floor} has no floor plan: upload one in the unit's onboarding (floor-plan editor) first`);
    if (planPx[0] > plan.width_px || planPx[1] > plan.height_px) throw badRequest(`planPx: outside the plan of floor ${floor} (${plan.width_px} × ${plan.height_px} px)`);
  }

  /**
   * A key part about to be changed or deleted, locked. A station account changes only what
   * its own station recorded; the supervision side and administrators change any (the unit's
   * jurisdiction is checked before).
   */
  async function keyPartToChange(c: pg.ClientBase, v: Q.OrderViewer, unitId: number, partId: number) {
    const cur = (await c.query(Q.keyPartQuery(unitId, partId))).rows[0];
    if (!cur) throw notFound(`key part ${partId} does not exist on unit ${unitId}`);
    if (v.kind === 'station' && (cur.author_station_id == null || Number(cur.author_station_id) !== v.stationId)) {
      throw forbidden('this key part was recorded by the supervision side or another station: ask them to change it, or record your own');
    }
    return cur;
  }

  /** POST /api/station/units/:id/key-parts {floor?, name, hazard?, planPx?} — a key part (重点部位), optionally marked on its floor's plan. */
  r.post('/units/:id/key-parts', async (req, res) => {
    const p = requireRole(res, ...FAMILIARISERS);
    const unitId = idParam.parse(req.params.id);
    await requireUnitInScope(pool, p.scope, unitId);
    const b = keyPartBodySchema.parse(req.body);
    const part = await withTransaction(pool, async (c) => {
      await checkMarker(c, unitId, b.floor ?? null, b.planPx ?? null);
      const row = (await c.query(Q.insertKeyPartQuery({ unitId, floor: b.floor ?? null, name: b.name, hazard: b.hazard ?? '', planPx: b.planPx ?? null, byUser: p.userId }))).rows[0];
      await recordAudit(c, { actor: p, ip: req.ip ?? null, action: 'unit.key_part', entity: 'unit', entityId: unitId, after: { keyPartId: Number(row.id), floor: row.floor, name: row.name, planPx: b.planPx ?? null } });
      return keyPartOut(row);
    });
    res.status(201).json({ keyPart: part });
  });

  /** PATCH /api/station/units/:id/key-parts/:partId {floor?, name?, hazard?, planPx?} — edit, move or unmark (planPx null). */
  r.patch('/units/:id/key-parts/:partId', async (req, res) => {
    const p = requireRole(res, ...FAMILIARISERS);
    const unitId = idParam.parse(req.params.id);
    const partId = idParam.parse(req.params.partId);
    await requireUnitInScope(pool, p.scope, unitId);
    const b = keyPartPatchSchema.parse(req.body);
    const v = await viewer(pool, p);
    const part = await withTransaction(pool, async (c) => {
      const cur = await keyPartToChange(c, v, unitId, partId);
      const before = keyPartOut(cur);
      const floor = b.floor !== undefined ? b.floor : before.floor;
      // A new floor leaves the old floor's marker behind unless a new one is given.
      const planPx = b.planPx !== undefined ? b.planPx : b.floor !== undefined && b.floor !== before.floor ? null : before.planPx;
      await checkMarker(c, unitId, floor, planPx);
      const row = (await c.query(Q.updateKeyPartQuery(partId, { floor, name: b.name ?? before.name, hazard: b.hazard ?? before.hazard, planPx }))).rows[0];
      const after = keyPartOut(row);
      await recordAudit(c, { actor: p, ip: req.ip ?? null, action: 'unit.key_part.update', entity: 'unit', entityId: unitId, before, after });
      return after;
    });
    res.json({ keyPart: part });
  });

  /** DELETE /api/station/units/:id/key-parts/:partId */
  r.delete('/units/:id/key-parts/:partId', async (req, res) => {
    const p = requireRole(res, ...FAMILIARISERS);
    const unitId = idParam.parse(req.params.id);
    const partId = idParam.parse(req.params.partId);
    await requireUnitInScope(pool, p.scope, unitId);
    const v = await viewer(pool, p);
    await withTransaction(pool, async (c) => {
      await keyPartToChange(c, v, unitId, partId);
      const row = (await c.query(Q.deleteKeyPartQuery(unitId, partId))).rows[0];
      await recordAudit(c, { actor: p, ip: req.ip ?? null, action: 'unit.key_part.delete', entity: 'unit', entityId: unitId, before: { keyPartId: partId, floor: row.floor, name: row.name } });
    });
    res.status(204).end();
  });

  /** Stores one pack file after the count check, in one transaction with its audit entry. */
  async function storeFile(req: Request, p: Principal, unitId: number, kind: 'plan' | 'visit_photo', visitId: number | null, bytes: Buffer, mime: string) {
    const q = fileQuery.parse(req.query);
    const v = await viewer(pool, p);
    const fileName = cleanFileName(q.name, mime);
    const max = kind === 'plan' ? PACK_PLANS_PER_UNIT_MAX : PACK_PHOTOS_PER_VISIT_MAX;
    return withTransaction(pool, async (c) => {
      await c.query(Q.lockUnitFilesQuery(unitId));
      const count = (await c.query(Q.countFilesQuery(unitId, kind, visitId))).rows[0];
      const n = count?.n ?? 0;
      if (Number(count?.used_bytes ?? 0) + bytes.length > PACK_UNIT_QUOTA_BYTES) throw quotaExceeded(Number(count.used_bytes), bytes.length);
      if (n >= max) throw conflict(kind === 'plan' ? `the unit keeps at most ${max} plans: delete an old one first` : `a visit keeps at most ${max} photos`);
      const name = p.userId == null ? p.username : ((await c.query(Q.displayNameQuery(p.userId))).rows[0]?.display_name ?? p.username);
      const row = (
        await c.query(
          Q.insertFileQuery({ unitId, kind, visitId, title: q.title || fileName.replace(/\.[a-z]+$/i, ''), fileName, mime, content: bytes, stationId: v.kind === 'station' ? v.stationId : null, byUser: p.userId, byName: name }),
        )
      ).rows[0];
      await recordAudit(c, { actor: p, ip: req.ip ?? null, action: kind === 'plan' ? 'unit.plan_file' : 'unit.visit_photo', entity: 'unit', entityId: unitId, after: { fileId: Number(row.id), visitId, fileName, mime, bytes: bytes.length } });
      return fileOut(row);
    });
  }

  /**
   * Runs before an upload's body is read: the role, the unit in the caller's jurisdiction, for a
   * photo the visit (a station's own), and the declared length against the file's maximum and the unit's quota. A
   * refusal closes the connection, so the rest of the body is never taken in.
   */
  const uploadGate = (kind: 'plan' | 'visit_photo') => async (req: Request, res: Response, next: NextFunction) => {
    try {
      const p = requireRole(res, ...FAMILIARISERS);
      const unitId = idParam.parse(req.params.id);
      await requireUnitInScope(pool, p.scope, unitId);
      let visitId: number | null = null;
      if (kind === 'visit_photo') {
        visitId = idParam.parse(req.params.visitId);
        const visit = (await pool.query(Q.visitOfUnitQuery(unitId, visitId))).rows[0];
        if (!visit) throw notFound(`visit ${visitId} does not exist on unit ${unitId}`);
        const v = await viewer(pool, p);
        // A station adds photos to its own station's visits only.
        if (v.kind === 'station' && Number(visit.station_id) !== v.stationId) throw forbidden('a station adds photos to its own visits only');
      }
      const declared = Number(req.headers['content-length']);
      const fileMax = kind === 'plan' ? PACK_PLAN_MAX_BYTES : PACK_PHOTO_MAX_BYTES;
      if (Number.isFinite(declared) && declared > fileMax) {
        throw new DomainError('too_large', 'payload_too_large', `a ${kind === 'plan' ? 'plan' : 'photo'} is at most ${mb(fileMax)} (this one declares ${(declared / 1048576).toFixed(1)} MiB)`);
      }
      if (Number.isFinite(declared) && declared > 0) {
        const used = Number((await pool.query(Q.unitFileBytesQuery(unitId))).rows[0].used_bytes);
        if (used + declared > PACK_UNIT_QUOTA_BYTES) throw quotaExceeded(used, declared);
      }
      res.locals.upload = { principal: p, unitId, visitId };
    } catch (err) {
      res.set('Connection', 'close');
      throw err;
    }
    next();
  };
  const gated = (res: Response) => res.locals.upload as { principal: Principal; unitId: number; visitId: number | null };

  /** POST /api/station/units/:id/plans?title=&name= — a plan (预案): PDF, PNG, JPEG or WebP body, at most 20 MiB. */
  r.post('/units/:id/plans', uploadGate('plan'), express.raw({ type: () => true, limit: mb(PACK_PLAN_MAX_BYTES) }), async (req, res) => {
    const { principal: p, unitId } = gated(res);
    const { bytes, mime } = checkUpload(req.body, req.headers['content-type'], PACK_PLAN_TYPES, 'plan');
    res.status(201).json({ file: await storeFile(req, p, unitId, 'plan', null, bytes, mime) });
  });

  /** POST /api/station/units/:id/visits/:visitId/photos?name= — a photo of the visit: PNG, JPEG or WebP, at most 8 MiB. */
  r.post('/units/:id/visits/:visitId/photos', uploadGate('visit_photo'), express.raw({ type: () => true, limit: mb(PACK_PHOTO_MAX_BYTES) }), async (req, res) => {
    const { principal: p, unitId, visitId } = gated(res);
    const { bytes, mime } = checkUpload(req.body, req.headers['content-type'], PACK_PHOTO_TYPES, 'photo');
    res.status(201).json({ file: await storeFile(req, p, unitId, 'visit_photo', visitId, bytes, mime) });
  });

  /** GET /api/station/units/:id/files/:fileId[?download=1] — a plan or photo (images inline, PDF as a download). */
  r.get('/units/:id/files/:fileId', async (req, res) => {
    const p = requireRole(res, ...READERS);
    const unitId = idParam.parse(req.params.id);
    const fileId = idParam.parse(req.params.fileId);
    await requireUnitInScope(pool, p.scope, unitId);
    const f = (await pool.query(Q.fileContentQuery(unitId, fileId))).rows[0];
    if (!f) throw notFound(`file ${fileId} does not exist on unit ${unitId}`);
    const inline = String(f.mime_type).startsWith('image/') && req.query.download !== '1';
    res.set('Content-Type', f.mime_type);
    res.set('Content-Disposition', contentDisposition(inline ? 'inline' : 'attachment', f.file_name));
    res.set('Content-Security-Policy', "default-src 'none'");
    res.set('X-Content-Type-Options', 'nosniff');
    res.set('Cache-Control', 'private, max-age=300');
    res.send(f.content);
  });

  /** DELETE /api/station/units/:id/files/:fileId — its uploader, a supervisor or an administrator. */
  r.delete('/units/:id/files/:fileId', async (req, res) => {
    const p = requireRole(res, ...FAMILIARISERS);
    const unitId = idParam.parse(req.params.id);
    const fileId = idParam.parse(req.params.fileId);
    await requireUnitInScope(pool, p.scope, unitId);
    await withTransaction(pool, async (c) => {
      const f = (await c.query(Q.fileContentQuery(unitId, fileId))).rows[0];
      if (!f) throw notFound(`file ${fileId} does not exist on unit ${unitId}`);
      if (p.role === 'station') {
        const v = await viewer(pool, p);
        if (v.kind !== 'station' || Number(f.station_id) !== v.stationId) throw forbidden("a station deletes its own station's files only");
      }
      await c.query(Q.deleteFileQuery(unitId, fileId));
      await recordAudit(c, { actor: p, ip: req.ip ?? null, action: 'unit.file.delete', entity: 'unit', entityId: unitId, before: { fileId, kind: f.kind, fileName: f.file_name, bytes: Number(f.size_bytes) } });
    });
    res.status(204).end();
  });

  return r;
}
