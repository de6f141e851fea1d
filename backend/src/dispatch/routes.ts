// HTTP routes of dispatch and coverage. Every handler asks principalOf/requireRole and
// passes the caller's scope into the SQL (queries.ts composes scopePredicate).
import express, { type Router } from 'express';
import { z } from 'zod';
import type { Role } from '@firelink/common';
import { recordAudit } from '../audit/audit.ts';
import { callerOf, requireRole } from '../auth/principal.ts';
import type { Principal } from '../auth/scope.ts';
import { withTransaction, type Pool } from '../db/pool.ts';
import { idParam } from '../http/params.ts';
import { forbidden, notFound } from '../kernel/errors.ts';
import { computeCoverage, coverageByRegion, stationAreas, uncoveredUnits } from './coverage.ts';
import { assertPointInScope, latQuery as lat, lonQuery as lon } from './point-scope.ts';
import { alarmForDispatchQuery, dispatchStationQuery, listDispatchesQuery, listStationsQuery, ownStationQuery, stationIdsInScopeQuery } from './queries.ts';
import { recordDispatch, releaseDispatch, setStationStatus, toDispatchRecord } from './records.ts';
import { suggestStations } from './suggest.ts';

/** Who may ask for suggestions and read stations/coverage. */
const READERS: Role[] = ['admin', 'dispatcher', 'operator', 'supervisor', 'station', 'analyst'];
/** Who may record dispatches and recompute coverage. */
const DISPATCHERS: Role[] = ['admin', 'dispatcher'];
/** Who may change a station's status (a station reports itself out of service). */
const STATUS_SETTERS: Role[] = ['admin', 'dispatcher', 'station'];

const flag = z.enum(['1', '0', 'true', 'false']).transform((v) => v === '1' || v === 'true');
const id = z.coerce.number().int().positive();

const suggestQuery = z.object({
  lon,
  lat,
  k: z.coerce.number().int().min(1).max(20, 'k is at most 20').default(5),
  includeUnavailable: flag.optional(),
});
const alarmSuggestQuery = z.object({
  k: z.coerce.number().int().min(1).max(20, 'k is at most 20').default(5),
  includeUnavailable: flag.optional(),
});
const stationStatusBody = z.object({
  status: z.enum(['available', 'dispatched', 'out_of_service']),
  note: z.string().max(500).optional(),
});
const recordBody = z
  .object({
    alarmId: id.nullable().optional(),
    stationIds: z.array(id).min(1, 'name at least one station').max(20),
    at: z.coerce.date().optional(),
    note: z.string().max(1000).optional(),
    lon: lon.optional(),
    lat: lat.optional(),
    allowBusy: z.boolean().optional(),
  })
  .refine((b) => (b.lon == null) === (b.lat == null), { message: 'give both lon and lat, or neither', path: ['lon'] });
const recordsQuery = z.object({
  alarmId: id.optional(),
  open: flag.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
const recomputeBody = z.object({ stationIds: z.array(id).max(10_000).optional() }).default({});
const uncoveredQuery = z.object({ limit: z.coerce.number().int().min(1).max(50_000).default(5000) });
const areasQuery = z.object({ stationId: id.optional() });


/**
 * A station account acts for its own station only (users.station_id, set by an administrator);
 * other roles get null. A station account without a station may change nothing.
 */
async function ownStationOf(pool: Pool, p: Principal): Promise<number | null> {
  if (p.role !== 'station') return null;
  const row = p.userId == null ? undefined : (await pool.query(ownStationQuery(p.userId))).rows[0];
  if (row?.station_id == null) throw forbidden('this station account is not bound to a station: ask an administrator to set its station (stationId)');
  return Number(row.station_id);
}

/**
 * The ids of the caller's stations (by district; null for the center, whose scope has them all),
 * after a 404 naming any of `ids` outside them.
 */
async function stationsInScope(pool: Pool, p: Principal, ids: readonly number[]): Promise<Set<number> | null> {
  if (p.scope.kind === 'all') return null;
  const own = new Set((await pool.query(stationIdsInScopeQuery(p.scope))).rows.map((r) => Number(r.id)));
  const foreign = ids.filter((sid) => !own.has(sid));
  if (foreign.length > 0) throw notFound(`station(s) ${foreign.join(', ')} do not exist or are outside your jurisdiction (GET /api/dispatch/stations lists yours)`);
  return own;
}

export function dispatchRouter(pool: Pool): Router {
  const r = express.Router();

  /** GET /api/dispatch/suggest?lon=&lat=&k=5&includeUnavailable=0 */
  r.get('/suggest', async (req, res) => {
    const p = requireRole(res, ...READERS);
    const q = suggestQuery.parse(req.query);
    // Suggestions are for places the caller may see; the stations may come from any district (跨区调派).
    await assertPointInScope(pool, p, q.lon, q.lat, 'dispatch suggestions');
    res.json(await suggestStations(pool, { lon: q.lon, lat: q.lat, k: q.k, includeUnavailable: q.includeUnavailable }));
  });

  /** GET /api/dispatch/alarms/:id/suggest?k=5 — suggestions for the alarm's location. */
  r.get('/alarms/:id/suggest', async (req, res) => {
    const p = requireRole(res, ...READERS);
    const alarmId = idParam.parse(req.params.id);
    const q = alarmSuggestQuery.parse(req.query);
    const a = (await pool.query(alarmForDispatchQuery(alarmId, p.scope))).rows[0];
    if (!a) throw notFound(`alarm ${alarmId} does not exist or is outside your jurisdiction`);
    if (a.lon == null) throw notFound(`alarm ${alarmId} has no location (its unit is not placed on the map)`);
    const result = await suggestStations(pool, { lon: a.lon, lat: a.lat, k: q.k, includeUnavailable: q.includeUnavailable });
    res.json({ alarmId, ...result });
  });

  /** GET /api/dispatch/stations — stations in the caller's jurisdiction with status. */
  r.get('/stations', async (_req, res) => {
    const p = requireRole(res, ...READERS);
    const rows = (await pool.query(listStationsQuery(p.scope))).rows;
    res.json({
      stations: rows.map((s) => ({
        id: Number(s.id),
        externalId: s.external_id,
        name: s.name,
        stationClass: s.class,
        status: s.status,
        statusChangedAt: s.status_changed_at ? new Date(s.status_changed_at).toISOString() : null,
        regionAdcode: s.region_adcode,
        phone: s.phone,
        apparatus: s.apparatus,
        lonLatWgs84: [s.lon, s.lat],
        openDispatches: s.open_dispatches,
        coverageComputedAt: s.coverage_computed_at ? new Date(s.coverage_computed_at).toISOString() : null,
      })),
    });
  });

  /** POST /api/dispatch/stations/:id/status {status, note?} */
  r.post('/stations/:id/status', async (req, res) => {
    const p = requireRole(res, ...STATUS_SETTERS);
    const stationId = idParam.parse(req.params.id);
    const b = stationStatusBody.parse(req.body);
    const own = await ownStationOf(pool, p);
    if (own != null && own !== stationId) throw forbidden('a station account reports the status of its own station only');
    const station = await withTransaction(pool, (c) => setStationStatus(c, callerOf(req, p), stationId, b.status, b.note));
    res.json({ station });
  });

  /** POST /api/dispatch/records {alarmId?, stationIds, at?, note?, lon?, lat?, allowBusy?} */
  r.post('/records', async (req, res) => {
    const p = requireRole(res, ...DISPATCHERS);
    const b = recordBody.parse(req.body);
    const dispatches = await withTransaction(pool, (c) => recordDispatch(c, callerOf(req, p), b));
    res.status(201).json({ dispatches });
  });

  /** GET /api/dispatch/records?alarmId=&open=1&limit=200 */
  r.get('/records', async (req, res) => {
    const p = requireRole(res, ...READERS);
    const q = recordsQuery.parse(req.query);
    // A station account reads its own station's orders only (as /api/station/orders).
    const own = await ownStationOf(pool, p);
    const rows = (await pool.query(listDispatchesQuery(p.scope, { alarmId: q.alarmId ?? null, open: q.open ?? null, limit: q.limit, stationId: own }))).rows;
    res.json({ dispatches: rows.map(toDispatchRecord) });
  });

  /** POST /api/dispatch/records/:id/release — the station is back. */
  r.post('/records/:id/release', async (req, res) => {
    const p = requireRole(res, ...STATUS_SETTERS);
    const dispatchId = idParam.parse(req.params.id);
    const own = await ownStationOf(pool, p);
    if (own != null) {
      const d = (await pool.query(dispatchStationQuery(dispatchId))).rows[0];
      if (d && Number(d.station_id) !== own) throw forbidden('a station account releases its own station\'s dispatches only');
    }
    const dispatch = await withTransaction(pool, (c) => releaseDispatch(c, callerOf(req, p), dispatchId));
    res.json({ dispatch });
  });

  return r;
}

export function coverageRouter(pool: Pool): Router {
  const r = express.Router();

  /** GET /api/coverage/stations?stationId= — 5-minute areas as GeoJSON polygons. */
  r.get('/stations', async (req, res) => {
    const p = requireRole(res, ...READERS);
    const q = areasQuery.parse(req.query);
    if (q.stationId !== undefined) await stationsInScope(pool, p, [q.stationId]);
    res.type('application/geo+json').json(await stationAreas(pool, p.scope, q.stationId));
  });

  /** GET /api/coverage/uncovered — units outside every 5-minute area, GeoJSON points. */
  r.get('/uncovered', async (req, res) => {
    const p = requireRole(res, ...READERS);
    const q = uncoveredQuery.parse(req.query);
    res.type('application/geo+json').json(await uncoveredUnits(pool, p.scope, q.limit));
  });

  /** GET /api/coverage/regions — per region: units, covered, share. */
  r.get('/regions', async (_req, res) => {
    const p = requireRole(res, ...READERS);
    res.json({ regions: await coverageByRegion(pool, p.scope) });
  });

  /** POST /api/coverage/recompute {stationIds?} — recompute areas (all the caller's stations by default). */
  r.post('/recompute', async (req, res) => {
    const p = requireRole(res, ...DISPATCHERS);
    const b = recomputeBody.parse(req.body ?? {});
    // A district's dispatcher recomputes its own stations (all of them by default); the center, any.
    const own = await stationsInScope(pool, p, b.stationIds ?? []);
    const stationIds = b.stationIds ?? (own ? [...own] : undefined);
    const run = await computeCoverage(pool, { stationIds });
    await recordAudit(pool, {
      actor: p,
      ip: req.ip ?? null,
      action: 'coverage.recompute',
      entity: 'station_coverage',
      entityId: null,
      after: { ...run, stationIds: stationIds ?? 'all' },
    });
    res.json(run);
  });

  return r;
}
