// HTTP routes of water sources: the nearest usable ones by road (for a point or an alarm),
// the layer within the caller's jurisdiction, and status changes (audited).
import express, { type Router } from 'express';
import { WATER_LIST_MAX, waterStatusBodySchema, type Role } from '@firelink/common';
import { z } from 'zod';
import { recordAudit } from '../audit/audit.ts';
import { requireRole } from '../auth/principal.ts';
import { withTransaction, type Pool } from '../db/pool.ts';
import { assertPointInScope, latQuery as lat, lonQuery as lon } from '../dispatch/point-scope.ts';
import { alarmForDispatchQuery } from '../dispatch/queries.ts';
import { idParam } from '../http/params.ts';
import { notFound } from '../kernel/errors.ts';
import { nearestWaterSources } from './nearest.ts';
import { bumpTilesVersionQuery, listSourcesQuery, lockSourceQuery, setSourceStatusQuery } from './queries.ts';

/** Who reads water sources (the dispatch readers). */
const READERS: Role[] = ['admin', 'dispatcher', 'operator', 'supervisor', 'station', 'analyst'];
/** Who marks a source out of service or repaired: the center and the stations that check them. */
const STATUS_SETTERS: Role[] = ['admin', 'dispatcher', 'station'];

const k = z.coerce.number().int().min(1).max(50, 'k is at most 50').default(5);
const nearestQuery = z.object({ lon, lat, k });
const listQuery = z.object({
  bbox: z
    .string()
    .transform((s) => s.split(',').map(Number))
    .pipe(z.tuple([lon, lat, lon, lat], { message: 'bbox is west,south,east,north in WGS84 degrees' }))
    .optional(),
  status: z.enum(['usable', 'out_of_service', 'under_repair']).optional(),
  // 50,000 sources were a 12.5 MB answer (API probe): pages of at most WATER_LIST_MAX.
  limit: z.coerce
    .number()
    .int()
    .min(1, 'limit is at least 1')
    .max(WATER_LIST_MAX, `limit is at most ${WATER_LIST_MAX}: page on with afterId=<nextAfterId of the previous answer>`)
    .default(WATER_LIST_MAX),
  afterId: idParam.optional(),
});

export function toWaterSource(r: Record<string, unknown>) {
  return {
    id: Number(r.id),
    externalId: (r.external_id as string | null) ?? null,
    kind: r.kind as 'hydrant' | 'pool' | 'natural',
    name: (r.name as string | null) ?? null,
    status: r.status as 'usable' | 'out_of_service' | 'under_repair',
    statusChangedAt: r.status_changed_at ? new Date(r.status_changed_at as string).toISOString() : null,
    flowLps: (r.flow_lps as number | null) ?? null,
    capacityM3: (r.capacity_m3 as number | null) ?? null,
    address: (r.address as string | null) ?? null,
    note: (r.note as string | null) ?? null,
    regionAdcode: r.region_adcode == null ? null : Number(r.region_adcode),
    lonLatWgs84: [r.lon as number, r.lat as number] as [number, number],
  };
}

export function waterRouter(pool: Pool): Router {
  const r = express.Router();

  /** GET /api/water/nearest?lon=&lat=&k=5 — nearest usable sources by road. */
  r.get('/nearest', async (req, res) => {
    const p = requireRole(res, ...READERS);
    const q = nearestQuery.parse(req.query);
    await assertPointInScope(pool, p, q.lon, q.lat, 'water sources');
    res.json(await nearestWaterSources(pool, q));
  });

  /** GET /api/water/alarms/:id/nearest?k=5 — for the alarm's place (alarm details, dispatch orders). */
  r.get('/alarms/:id/nearest', async (req, res) => {
    const p = requireRole(res, ...READERS);
    const alarmId = idParam.parse(req.params.id);
    const q = z.object({ k }).parse(req.query);
    const a = (await pool.query(alarmForDispatchQuery(alarmId, p.scope))).rows[0];
    if (!a) throw notFound(`alarm ${alarmId} does not exist or is outside your jurisdiction`);
    if (a.lon == null) throw notFound(`alarm ${alarmId} has no location (its unit is not placed on the map)`);
    res.json({ alarmId, ...(await nearestWaterSources(pool, { lon: a.lon, lat: a.lat, k: q.k })) });
  });

  /**
   * GET /api/water/sources?bbox=w,s,e,n&status=&limit=2000&afterId= — the layer within the
   * caller's jurisdiction, by id, in pages of at most WATER_LIST_MAX (2000).
   */
  r.get('/sources', async (req, res) => {
    const p = requireRole(res, ...READERS);
    const q = listQuery.parse(req.query);
    const rows = (
      await pool.query(
        listSourcesQuery(p.scope, { bbox: (q.bbox as [number, number, number, number] | undefined) ?? null, status: q.status ?? null, afterId: q.afterId ?? null, limit: q.limit + 1 }),
      )
    ).rows;
    const sources = rows.slice(0, q.limit).map(toWaterSource);
    const truncated = rows.length > q.limit;
    res.json({ sources, truncated, nextAfterId: truncated ? sources[sources.length - 1]!.id : null });
  });

  /** POST /api/water/sources/:id/status {status, note?} — usable / out of service / under repair. */
  r.post('/sources/:id/status', async (req, res) => {
    const p = requireRole(res, ...STATUS_SETTERS);
    const sourceId = idParam.parse(req.params.id);
    const b = waterStatusBodySchema.parse(req.body);
    const source = await withTransaction(pool, async (c) => {
      const before = (await c.query(lockSourceQuery(sourceId, p.scope))).rows[0];
      if (!before) throw notFound(`water source ${sourceId} does not exist or is outside your jurisdiction`);
      const after = (await c.query(setSourceStatusQuery(sourceId, b.status, b.note ?? null))).rows[0];
      await c.query(bumpTilesVersionQuery());
      await recordAudit(c, {
        actor: p,
        ip: req.ip ?? null,
        action: 'water.status',
        entity: 'water_source',
        entityId: sourceId,
        before: { status: before.status },
        after: { status: after.status, note: b.note ?? null },
      });
      return toWaterSource(after);
    });
    res.json({ source });
  });

  return r;
}
