// GET /api/units (with ?q= the unit finder's ranked search), GET /api/units/districts, GET /api/units/positions, GET /api/units/:id, POST /api/units, PATCH /api/units/:id, GET /api/units/categories.
import { Router } from 'express';
import { unitCreateSchema, unitDistrictsSchema, unitListQuerySchema, unitPatchSchema, type CompletenessRule } from '@firelink/common';
import { callerOf, principalOf, requireRole } from '../auth/principal.ts';
import { requireRegionFilter } from '../auth/scope.ts';
import type { Pool } from '../db/pool.ts';
import { idParam } from '../http/params.ts';
import { notFound } from '../kernel/errors.ts';
import { sendUnitPositions } from './positions.ts';
import * as q from './queries.ts';
import { createUnit, toSummary, unitDetail, updateUnit } from './service.ts';

export function unitsRouter(deps: { pool: Pool; rules: readonly CompletenessRule[] }): Router {
  const { pool } = deps;
  const r = Router();

  r.get('/categories', async (_req, res) => {
    principalOf(res);
    const x = await pool.query(q.categories());
    res.json(x.rows.map((c) => ({ code: c.code, nameZh: c.name_zh, nameEn: c.name_en, highRisk: c.high_risk })));
  });

  r.get('/', async (req, res) => {
    const p = principalOf(res);
    const query = unitListQuerySchema.parse(req.query);
    requireRegionFilter(p.scope, query.region); // a foreign region is 404, not an empty list
    const x = await pool.query(q.listUnits(p.scope, query));
    res.json({ total: Number(x.rows[0]?.total ?? 0), items: x.rows.filter((u) => u.id != null).map(toSummary) });
  });

  // Before '/:id'. The unit finder's district filter: districts with units in the scope.
  r.get('/districts', async (_req, res) => {
    const p = principalOf(res);
    const x = await pool.query(q.unitDistricts(p.scope));
    res.json(unitDistrictsSchema.parse({
      districts: x.rows.map((d) => ({ adcode: Number(d.adcode), name: d.name, nameEn: d.name_en ?? null, cityName: d.city_name ?? null, units: Number(d.units) })),
    }));
  });

  // Before '/:id'. The command map's units, packed (see positions.ts).
  r.get('/positions', async (req, res) => {
    const p = principalOf(res);
    await sendUnitPositions(pool, p.scope, req, res);
  });

  r.get('/:id', async (req, res) => {
    const p = principalOf(res);
    const d = await unitDetail(pool, p.scope, idParam.parse(req.params.id), deps.rules);
    if (!d) throw notFound('no such unit in your jurisdiction');
    res.json(d);
  });

  r.post('/', async (req, res) => {
    const p = requireRole(res, 'admin', 'supervisor');
    const id = await createUnit(pool, callerOf(req, p), unitCreateSchema.parse(req.body));
    res.status(201).json(await unitDetail(pool, p.scope, id, deps.rules));
  });

  r.patch('/:id', async (req, res) => {
    const p = requireRole(res, 'admin', 'supervisor', 'maintainer');
    const id = idParam.parse(req.params.id);
    await updateUnit(pool, callerOf(req, p), id, unitPatchSchema.parse(req.body));
    res.json(await unitDetail(pool, p.scope, id, deps.rules));
  });

  return r;
}
