// GET /api/units (with ?q= the unit finder's ranked search), GET /api/units/districts, GET /api/units/positions, GET /api/units/:id, POST /api/units, PATCH /api/units/:id, GET /api/units/categories.
import { Router, type Request } from 'express';
import { z } from 'zod';
import { PG_ERROR, unitCreateSchema, unitDistrictsSchema, unitListQuerySchema, unitPatchSchema, type CompletenessRule } from '@firelink/common';
import { recordAudit } from '../audit/audit.ts';
import { principalOf, requireRole } from '../auth/principal.ts';
import { scopeAllows } from '../auth/scope.ts';
import { withTransaction, type Pool } from '../db/pool.ts';
import { badRequest, conflict, forbidden, notFound } from '../kernel/errors.ts';
import { assertBuildingInUnitDistrict, assertBuildingVisible } from './building-scope.ts';
import { sendUnitPositions } from './positions.ts';
import * as q from './queries.ts';
import { num, rowFromCreate, rowFromPatch, tieUnit, toSummary, unitDetail } from './service.ts';

export const idParam = z.coerce.number().int().positive();

/** Translates constraint violations into messages that say what to fix. */
export function pgToHttp(err: unknown): unknown {
  const e = err as { code?: string; constraint?: string; detail?: string };
  if (e.code === PG_ERROR.foreignKeyViolation) return badRequest(`a referenced record does not exist${e.constraint ? ` (${e.constraint})` : ""}: check maintenanceAgencyId/buildingId`);
  if (e.code === PG_ERROR.uniqueViolation) return conflict(`duplicate value${e.constraint ? ` (${e.constraint})` : ""}: choose another externalId or address`);
  return err;
}

export const ipOf = (req: Request) => req.ip ?? null;

export function unitsRouter(deps: { pool: Pool; rules: readonly CompletenessRule[] }): Router {
  const { pool } = deps;
  const r = Router();

  r.get('/categories', async (_req, res) => {
    principalOf(res);
    const x = await pool.query('SELECT code, name_zh, name_en, high_risk FROM unit_categories ORDER BY code');
    res.json(x.rows.map((c) => ({ code: c.code, nameZh: c.name_zh, nameEn: c.name_en, highRisk: c.high_risk })));
  });

  r.get('/', async (req, res) => {
    const p = principalOf(res);
    const query = unitListQuerySchema.parse(req.query);
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
    const body = unitCreateSchema.parse(req.body);
    const id = await withTransaction(pool, async (c) => {
      if (body.buildingId != null) await assertBuildingVisible(c, p.scope, body.buildingId);
      const row = await rowFromCreate(c, body);
      const ins = await c.query(q.insertUnit(row)).catch((e) => Promise.reject(pgToHttp(e)));
      const newId = Number(ins.rows[0].id);
      const place = await tieUnit(c, newId);
      if (!scopeAllows(p.scope, { regionAdcode: place.regionAdcode })) {
        throw forbidden('the unit lies outside your jurisdiction (its location decides its region): check lonLatWgs84');
      }
      if (body.buildingId != null) await assertBuildingInUnitDistrict(c, body.buildingId, place.regionAdcode);
      await recordAudit(c, { actor: p, ip: ipOf(req), action: 'unit.create', entity: 'unit', entityId: newId, after: { ...row, region_adcode: place.regionAdcode, building_id: place.buildingId } });
      return newId;
    });
    res.status(201).json(await unitDetail(pool, p.scope, id, deps.rules));
  });

  r.patch('/:id', async (req, res) => {
    const p = requireRole(res, 'admin', 'supervisor', 'maintainer');
    const id = idParam.parse(req.params.id);
    const body = unitPatchSchema.parse(req.body);
    await withTransaction(pool, async (c) => {
      const cur = (await c.query(q.getUnit(p.scope, id, true))).rows[0];
      if (!cur) throw notFound('no such unit in your jurisdiction');
      if (Number(cur.version) !== body.version) {
        throw conflict(`the unit was changed by someone else (version ${cur.version}, you sent ${body.version}): reload and apply your edit again`, {
          currentVersion: Number(cur.version),
        });
      }
      if (body.buildingId != null) await assertBuildingVisible(c, p.scope, body.buildingId);
      if (p.scope.kind === 'units') {
        // A maintainer collects a unit's information; what decides who oversees the unit and
        // how it is counted stays with its supervisor.
        const refused = MAINTAINER_FIXED.filter((k) => body[k] !== undefined);
        if (refused.length) throw forbidden(`${refused.join(', ')}: only the unit's supervisor or an administrator changes these`);
      }
      const row = await rowFromPatch(c, cur, body);
      const up = await c.query(q.updateUnit(id, body.version, row)).catch((e) => Promise.reject(pgToHttp(e)));
      if (!up.rows[0]) throw conflict('the unit was changed concurrently: reload and try again');
      const place = await tieUnit(c, id);
      if (p.scope.kind === 'regions' && !scopeAllows(p.scope, { regionAdcode: place.regionAdcode })) {
        throw forbidden('the new location lies outside your jurisdiction: check lonLatWgs84');
      }
      if (p.scope.kind === 'units') {
        // A unit-bound caller never moves its unit out of its district (or out of every
        // district), where its alarms would leave the district's operators and supervisors,
        // nor by location into a building it cannot reach.
        if (place.regionAdcode !== num(cur.region_adcode)) {
          throw forbidden('the new location lies in another district: ask the unit\'s supervisor to move it');
        }
        if (place.buildingId != null && body.buildingId == null && place.buildingId !== num(cur.building_id)) {
          await assertBuildingVisible(c, p.scope, place.buildingId).catch(() => {
            throw forbidden('the new location lies in a building of another unit: ask the unit\'s supervisor to move it');
          });
        }
      }
      if (body.buildingId != null) await assertBuildingInUnitDistrict(c, body.buildingId, place.regionAdcode);
      const changed = Object.fromEntries(Object.entries(body).filter(([k]) => k !== 'version'));
      await recordAudit(c, { actor: p, ip: ipOf(req), action: 'unit.update', entity: 'unit', entityId: id, before: pickBefore(cur, changed), after: changed });
    });
    res.json(await unitDetail(pool, p.scope, id, deps.rules));
  });

  return r;
}

/**
 * Fields a unit-bound caller (maintainer) may not change: category and construction decide
 * targets and statistics, the external id and the drawings deadline belong to the center.
 * (The maintenance agency is part of what a collector fills in.)
 */
const MAINTAINER_FIXED = ['category', 'underConstruction', 'externalId', 'drawingsDue'] as const;

function pickBefore(cur: Record<string, unknown>, changed: Record<string, unknown>) {
  const snake = (k: string) => k.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(changed)) out[k] = k === 'lonLatWgs84' ? cur.lon_lat : cur[snake(k)];
  return out;
}
