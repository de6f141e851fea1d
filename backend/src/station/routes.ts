// HTTP routes of the station workspace (/api/station): the station's home (station, area,
// coverage), its units, orders and progress reports, the center's station board and
// statistics, and each unit's familiarisation pack (六熟悉) with visits and key parts.
// A station account acts for its own station only and reads its own jurisdiction's units.
import express, { type Request, type Router } from 'express';
import {
  ORDER_LIST_MAX,
  TRAVEL_REFERENCE_S,
  TURNOUT_REFERENCE_S,
  keyPartBodySchema,
  progressBodySchema,
  stationUnitsQuerySchema,
  visitBodySchema,
  type Role,
} from '@firelink/common';
import { z } from 'zod';
import { recordAudit } from '../audit/audit.ts';
import { requireRole } from '../auth/principal.ts';
import type { Principal } from '../auth/scope.ts';
import { withTransaction, type Pool } from '../db/pool.ts';
import { reportProgress } from '../dispatch/progress.ts';
import { suggestStations } from '../dispatch/suggest.ts';
import { idParam } from '../http/params.ts';
import { forbidden, notFound } from '../kernel/errors.ts';
import { nearestWaterSources } from '../water/nearest.ts';
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

async function viewer(pool: Pool, p: Principal): Promise<Q.OrderViewer> {
  const v = await viewerOf(pool, p);
  if (!v) throw forbidden('this station account is not bound to a station: ask an administrator to set its station (stationId)');
  return v;
}

/** The unit row if the caller's jurisdiction holds it. */
async function unitInScope(pool: Pool, p: Principal, unitId: number) {
  const u = (await pool.query(Q.unitInScopeQuery(p.scope, unitId))).rows[0];
  if (!u) throw notFound(`unit ${unitId} does not exist or is outside your area`);
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

  /** GET /api/station/units?q=&category=&minHeightM=&highRisk=&openAlarms=&visitDue=&limit= */
  r.get('/units', async (req, res) => {
    const p = requireRole(res, ...READERS);
    const q = stationUnitsQuerySchema.parse(req.query);
    const rows = (
      await pool.query(
        Q.stationUnitsQuery(p.scope, {
          q: q.q?.trim() || null,
          category: q.category ?? null,
          minHeightM: q.minHeightM ?? null,
          highRisk: q.highRisk ?? null,
          openAlarms: q.openAlarms ?? null,
          visitDue: q.visitDue ?? null,
          limit: q.limit,
        }),
      )
    ).rows;
    const total = rows[0] ? Number(rows[0].total) : 0;
    const yearAgo = Date.now() - 365 * 86_400_000;
    res.json({
      units: rows.map((u) => ({
        id: Number(u.id),
        name: u.name,
        address: u.address ?? null,
        category: u.category,
        highRisk: !!u.high_risk,
        regionAdcode: u.region_adcode == null ? null : Number(u.region_adcode),
        heightM: u.height_m == null ? null : Number(u.height_m),
        floorsAbove: u.floors_above ?? null,
        openAlarms: u.open_alarms,
        lastVisitAt: u.last_visit_at ? new Date(u.last_visit_at).toISOString() : null,
        visitDue: !u.last_visit_at || new Date(u.last_visit_at).getTime() < yearAgo,
        lonLatWgs84: u.lon == null ? null : [u.lon, u.lat],
      })),
      total,
      truncated: total > rows.length,
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
    const u = await unitInScope(pool, p, unitId);
    const v = await viewer(pool, p);
    const [floors, systems, parts, visits] = await Promise.all([
      pool.query(Q.pointsByFloorQuery(unitId)),
      pool.query(Q.systemsQuery(unitId)),
      pool.query(Q.keyPartsQuery(unitId)),
      pool.query(Q.visitsQuery(unitId)),
    ]);
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
      keyParts: parts.rows.map((k) => ({ id: Number(k.id), floor: k.floor, name: k.name, hazard: k.hazard })),
      visits: visits.rows.map((x) => ({ id: Number(x.id), stationId: x.station_id == null ? null : Number(x.station_id), byName: x.by_name, visitedAt: new Date(x.visited_at).toISOString(), note: x.note })),
      visitDue: !visits.rows.some((x) => x.recent),
      water,
      route,
    });
  });

  /** POST /api/station/units/:id/visits {visitedAt?, note} — a familiarisation visit. */
  r.post('/units/:id/visits', async (req, res) => {
    const p = requireRole(res, ...FAMILIARISERS);
    const unitId = idParam.parse(req.params.id);
    const b = visitBodySchema.parse(req.body);
    await unitInScope(pool, p, unitId);
    const v = await viewer(pool, p);
    if (b.visitedAt && new Date(b.visitedAt).getTime() > Date.now() + 5 * 60_000) throw forbidden('visitedAt lies in the future: record a visit once it happened');
    const visit = await withTransaction(pool, async (c) => {
      const name = p.userId == null ? p.username : ((await c.query(Q.displayNameQuery(p.userId))).rows[0]?.display_name ?? p.username);
      const row = (await c.query(Q.insertVisitQuery({ unitId, stationId: v.kind === 'station' ? v.stationId : null, byUser: p.userId, byName: name, visitedAt: b.visitedAt ?? null, note: b.note }))).rows[0];
      await recordAudit(c, { actor: p, ip: req.ip ?? null, action: 'unit.visit', entity: 'unit', entityId: unitId, after: { visitId: Number(row.id), visitedAt: row.visited_at, note: b.note } });
      return { id: Number(row.id), stationId: row.station_id == null ? null : Number(row.station_id), byName: row.by_name, visitedAt: new Date(row.visited_at).toISOString(), note: row.note };
    });
    res.status(201).json({ visit });
  });

  /** POST /api/station/units/:id/key-parts {floor?, name, hazard?} — a key part (重点部位). */
  r.post('/units/:id/key-parts', async (req, res) => {
    const p = requireRole(res, ...FAMILIARISERS);
    const unitId = idParam.parse(req.params.id);
    const b = keyPartBodySchema.parse(req.body);
    await unitInScope(pool, p, unitId);
    const part = await withTransaction(pool, async (c) => {
      const row = (await c.query(Q.insertKeyPartQuery({ unitId, floor: b.floor ?? null, name: b.name, hazard: b.hazard ?? '', byUser: p.userId }))).rows[0];
      await recordAudit(c, { actor: p, ip: req.ip ?? null, action: 'unit.key_part', entity: 'unit', entityId: unitId, after: { keyPartId: Number(row.id), floor: row.floor, name: row.name } });
      return { id: Number(row.id), floor: row.floor, name: row.name, hazard: row.hazard };
    });
    res.status(201).json({ keyPart: part });
  });

  return r;
}
