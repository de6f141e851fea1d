// Onboarding workflow over HTTP. Per-unit actions are mounted under /api/units (beside the
// units API); the queue, funnel and rules under /api/onboarding.
//
//   POST /api/units/:id/transition            {to, version, note}  lifecycle step (roles: see common/src/onboarding.ts)
//   GET  /api/units/:id/onboarding            state, next states for the caller, completeness, history
//   POST /api/units/:id/devices {address, protocol?, model?} · DELETE /api/units/:id/devices/:deviceId  UITD registration
//   PATCH /api/units/:id/devices/:deviceId {allowedPeers: CIDR[] | null}  who may speak for the device
//   GET|POST /api/units/:id/acceptance-checks new-construction acceptance records
//   PUT  /api/units/:id/floors/:floor/plan    floor plan image (image/png|jpeg|svg+xml|webp body)
//   GET  /api/units/:id/floors/:floor/plan    the image
//   PUT  /api/units/:id/floors/:floor/plan/transform {transform: [a,b,c,d,e,f]}
//   PUT  /api/units/:id/points/:pointId/position {floor?, planPx | localXY | lonLatWgs84}
//   POST /api/units/:id/points/import         {format: csv|xlsx|type7, text | base64 | adus, deviceAddress?}
//   GET  /api/onboarding/queue | /funnel | /rules
import express, { Router } from 'express';
import { z } from 'zod';
import { parseCidr } from '@firelink/ingest';
import { readXlsxRecords } from '@firelink/geodata';
import { parse as parseCsv } from 'csv-parse/sync';
import {
  COMPLETENESS_RULES,
  acceptanceCheckSchema,
  checkTransition,
  nextStates,
  onboardingStateSchema,
  transitionRequestSchema,
  type Actor,
  type AgencyKind,
  type OnboardingState,
} from '@firelink/common';
import { recordAudit } from '../audit/audit.ts';
import { principalOf, requireRole } from '../auth/principal.ts';
import type { Principal } from '../auth/scope.ts';
import { withTransaction, type Pool } from '../db/pool.ts';
import { DomainError, badRequest, conflict, forbidden, notFound } from '../kernel/errors.ts';
import * as uq from '../units/queries.ts';
import { idParam, ipOf } from '../units/routes.ts';
import { unitBuildingInScope } from '../units/building-scope.ts';
import { completenessOf } from '../units/service.ts';
import type { OnboardingConfig } from './config.ts';
import { applyAffine, fitPlanToBox, frameToWgs84, wgs84ToFrame, type Affine } from './domain/frame.ts';
import { imageSize } from './domain/image-size.ts';
import { pointsFromRecords, pointsFromType7, type ImportResult } from './domain/point-import.ts';
import * as q from './queries.ts';

/** Allowed peers of a device: up to 32 IPv4/IPv6 hosts or networks (CIDR), or null = any. */
const allowedPeersSchema = z
  .array(
    z
      .string()
      .trim()
      .max(64)
      .superRefine((v, ctx) => {
        try {
          parseCidr(v);
        } catch (err) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, message: (err as Error).message });
        }
      }),
  )
  .min(1, 'list at least one address or network; null lets any peer speak for the device')
  .max(32)
  .nullable();

type Db = Pool | import('pg').ClientBase;

export async function actorOf(db: Db, p: Principal): Promise<Actor> {
  if (p.role !== 'maintainer' || p.userId == null) return { role: p.role, agencyKind: null };
  const r = await db.query(q.agencyKindOfUser(p.userId));
  return { role: p.role, agencyKind: (r.rows[0]?.kind as AgencyKind | undefined) ?? null };
}

const floorParam = z.coerce.number().int().min(-20).max(200).refine((f) => f !== 0, 'floors are numbered 1, 2, … above ground and -1, -2, … below; there is no floor 0');
const affineSchema = z.array(z.number().finite()).length(6);
const positionSchema = z
  .object({
    floor: z.number().int().min(-20).max(200).optional(),
    planPx: z.tuple([z.number(), z.number()]).optional(),
    localXY: z.tuple([z.number(), z.number()]).optional(),
    lonLatWgs84: z.tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)]).optional(),
  })
  .refine((b) => [b.planPx, b.localXY, b.lonLatWgs84].filter(Boolean).length === 1, 'give exactly one of planPx, localXY, lonLatWgs84');
const importSchema = z.discriminatedUnion('format', [
  z.object({ format: z.literal('csv'), text: z.string().min(1).max(5_000_000), deviceAddress: z.number().int().nonnegative().optional() }),
  z.object({ format: z.literal('xlsx'), base64: z.string().min(1).max(7_000_000), deviceAddress: z.number().int().nonnegative().optional() }),
  z.object({ format: z.literal('type7'), adus: z.array(z.string().max(4096)).min(1).max(10_000), deviceAddress: z.number().int().nonnegative().optional() }),
]);
const queueQuerySchema = z.object({
  state: z
    .string()
    .optional()
    .transform((s) => (s ? s.split(',').filter(Boolean) : ['registered', 'collecting', 'verified', 'reviewed']))
    .pipe(z.array(onboardingStateSchema)),
  drawingsOverdue: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

export function unitOnboardingRouter(deps: { pool: Pool; config: OnboardingConfig }): Router {
  const { pool, config } = deps;
  const rules = config.rules;
  const r = Router();

  const loadUnit = async (db: Db, p: Principal, id: number, lock = false) => {
    const u = (await db.query(uq.getUnit(p.scope, id, lock))).rows[0] as Record<string, unknown> | undefined;
    if (!u) throw notFound('no such unit in your jurisdiction');
    return u;
  };

  r.get('/:id/onboarding', async (req, res) => {
    const p = principalOf(res);
    const id = idParam.parse(req.params.id);
    const u = await loadUnit(pool, p, id);
    const actor = await actorOf(pool, p);
    const [completeness, hist] = await Promise.all([completenessOf(pool, u, rules), pool.query(q.transitionHistory(id))]);
    res.json({
      id,
      state: u.onboarding_state,
      version: Number(u.version),
      next: nextStates(u.onboarding_state as OnboardingState, actor),
      completeness,
      history: hist.rows.map((h) => ({ at: h.at.toISOString(), actor: h.actor_name, from: h.from_state, to: h.to_state, note: h.note ?? '' })),
    });
  });

  r.post('/:id/transition', async (req, res) => {
    const p = principalOf(res);
    const id = idParam.parse(req.params.id);
    const body = transitionRequestSchema.parse(req.body);
    const result = await withTransaction(pool, async (c) => {
      const u = await loadUnit(c, p, id, true);
      const from = u.onboarding_state as OnboardingState;
      const check = checkTransition(from, body.to, await actorOf(c, p), body.note);
      if (!check.ok) {
        if (check.reason === 'forbidden') throw forbidden(check.message);
        if (check.reason === 'note_required') throw badRequest(check.message);
        throw conflict(check.message, { state: from });
      }
      if (Number(u.version) !== body.version) {
        throw conflict(`the unit was changed by someone else (version ${u.version}, you sent ${body.version}): reload and try again`, {
          currentVersion: Number(u.version),
        });
      }
      if (check.rule.requiresComplete) {
        const comp = await completenessOf(c, u, rules);
        if (!comp.complete) {
          throw new DomainError('unprocessable', 'incomplete', `cannot open: ${comp.missing.map((m) => m.en).join('; ')}`, { missing: comp.missing });
        }
      }
      const up = (await c.query(q.setState(id, body.version, body.to, config.ONBOARDING_DRAWINGS_DAYS))).rows[0];
      if (!up) throw conflict('the unit was changed concurrently: reload and try again');
      await recordAudit(c, {
        actor: p,
        ip: ipOf(req),
        action: 'unit.transition',
        entity: 'unit',
        entityId: id,
        before: { state: from, version: body.version },
        after: { state: body.to, version: Number(up.version), note: body.note },
      });
      return { id, state: up.onboarding_state, version: Number(up.version), openedAt: up.opened_at?.toISOString() ?? null, drawingsDue: up.drawings_due };
    });
    res.json(result);
  });

  // UITD registration: the GB/T 26875 address (6 bytes on the wire, < 2^48) the unit's device reports with.
  r.post('/:id/devices', async (req, res) => {
    const p = requireRole(res, 'admin', 'supervisor', 'maintainer');
    const id = idParam.parse(req.params.id);
    const body = z
      .object({
        address: z.number().int().min(0).max(2 ** 48 - 1),
        protocol: z.enum(['gb26875', 'mqtt', 'http']).default('gb26875'),
        model: z.string().trim().max(80).nullable().optional().default(null),
      })
      .parse(req.body);
    const dev = await withTransaction(pool, async (c) => {
      await loadUnit(c, p, id, true);
      const row = (await c.query(q.registerDevice(id, body.address, body.protocol, body.model))).rows[0];
      if (!row) {
        // Bound to another unit: name it only to a caller who can see that unit, so the answer
        // does not map which addresses are installed outside the caller's jurisdiction.
        const holder = (await c.query(q.deviceHolderInScope(p.scope, body.address, body.protocol))).rows[0];
        if (holder) throw conflict(`device ${body.protocol}:${body.address} is registered to unit ${holder.id} (${holder.name}): unbind it there first`);
        throw conflict(`device ${body.protocol}:${body.address} cannot be registered to this unit: check the address, or ask an administrator`);
      }
      // The device's allowlist is kept as it was (only admins and supervisors change it); the
      // audit shows it on both sides so a re-registration can be checked at a glance.
      const peers = (row.allowed_peers as string[] | null) ?? null;
      await recordAudit(c, {
        actor: p,
        ip: ipOf(req),
        action: 'device.register',
        entity: 'unit',
        entityId: id,
        before: row.existed ? { deviceId: Number(row.id), unitId: row.before_unit_id === null ? null : Number(row.before_unit_id), allowedPeers: peers } : undefined,
        after: { ...body, deviceId: Number(row.id), unitId: id, allowedPeers: peers },
      });
      return { id: Number(row.id), address: Number(row.address), protocol: row.protocol, model: row.model, allowedPeers: peers };
    });
    res.status(201).json(dev);
  });

  // Which network addresses may speak for the device (GB/T 26875.3 has no authentication):
  // IPv4/IPv6 hosts or networks; null = any. The ingest listener applies it at once (NOTIFY).
  r.patch('/:id/devices/:deviceId', async (req, res) => {
    const p = requireRole(res, 'admin', 'supervisor');
    const id = idParam.parse(req.params.id);
    const deviceId = idParam.parse(req.params.deviceId);
    const body = z.object({ allowedPeers: allowedPeersSchema }).strict().parse(req.body);
    const out = await withTransaction(pool, async (c) => {
      await loadUnit(c, p, id, true);
      const row = (await c.query(q.setDevicePeers(id, deviceId, body.allowedPeers))).rows[0];
      if (!row) throw notFound('no such device on this unit');
      await recordAudit(c, {
        actor: p,
        ip: ipOf(req),
        action: 'device.peers',
        entity: 'unit',
        entityId: id,
        before: { deviceId, allowedPeers: row.before },
        after: { deviceId, allowedPeers: row.allowed_peers },
      });
      return { id: deviceId, address: Number(row.address), allowedPeers: row.allowed_peers as string[] | null };
    });
    res.json(out);
  });

  r.delete('/:id/devices/:deviceId', async (req, res) => {
    const p = requireRole(res, 'admin', 'supervisor', 'maintainer');
    const id = idParam.parse(req.params.id);
    const deviceId = idParam.parse(req.params.deviceId);
    await withTransaction(pool, async (c) => {
      await loadUnit(c, p, id, true);
      const row = (await c.query(q.unbindDevice(id, deviceId))).rows[0];
      if (!row) throw notFound('no such device on this unit');
      // Unbinding keeps who may speak for the device (allowed_peers): shown on both sides.
      const peers = (row.allowed_peers as string[] | null) ?? null;
      await recordAudit(c, {
        actor: p,
        ip: ipOf(req),
        action: 'device.unbind',
        entity: 'unit',
        entityId: id,
        before: { deviceId, address: Number(row.address), unitId: id, allowedPeers: peers },
        after: { deviceId, address: Number(row.address), unitId: null, allowedPeers: peers },
      });
    });
    res.json({ id: deviceId, unitId: null });
  });

  r.get('/:id/acceptance-checks', async (req, res) => {
    const p = principalOf(res);
    const id = idParam.parse(req.params.id);
    await loadUnit(pool, p, id);
    const x = await pool.query(q.listAcceptance(id));
    res.json(x.rows.map((a) => ({ ...camel(a), recordedAt: a.recorded_at.toISOString() })));
  });

  r.post('/:id/acceptance-checks', async (req, res) => {
    const p = requireRole(res, 'admin', 'supervisor', 'maintainer');
    const id = idParam.parse(req.params.id);
    const body = acceptanceCheckSchema.parse(req.body);
    const out = await withTransaction(pool, async (c) => {
      const u = await loadUnit(c, p, id, true);
      const ins = (await c.query(q.insertAcceptance(id, body, p.userId))).rows[0];
      let accepted = false;
      if (body.result === 'pass' && u.under_construction) {
        await c.query(q.acceptConstruction(id));
        accepted = true;
      }
      await recordAudit(c, { actor: p, ip: ipOf(req), action: 'unit.acceptance_check', entity: 'unit', entityId: id, after: { ...body, accepted } });
      return { id: Number(ins.id), constructionAccepted: accepted };
    });
    res.status(201).json(out);
  });

  r.put(
    '/:id/floors/:floor/plan',
    express.raw({ type: ['image/png', 'image/jpeg', 'image/svg+xml', 'image/webp'], limit: '10mb' }),
    async (req, res) => {
      const p = requireRole(res, 'admin', 'supervisor', 'maintainer');
      const id = idParam.parse(req.params.id);
      const floor = floorParam.parse(req.params.floor);
      const mime = String(req.headers['content-type'] ?? '').split(';')[0]!.trim();
      if (!Buffer.isBuffer(req.body) || req.body.length === 0) {
        throw badRequest('send the plan image as the request body with Content-Type image/png, image/jpeg, image/svg+xml or image/webp');
      }
      const sizeQ = z.object({ widthPx: z.coerce.number().int().positive().optional(), heightPx: z.coerce.number().int().positive().optional() }).parse(req.query);
      const size = imageSize(req.body, mime) ?? (sizeQ.widthPx && sizeQ.heightPx ? { widthPx: sizeQ.widthPx, heightPx: sizeQ.heightPx } : null);
      if (!size) throw badRequest('cannot read the image size from this file: add ?widthPx=&heightPx=');
      const saved = await withTransaction(pool, async (c) => {
        const u = await loadUnit(c, p, id, true);
        const buildingId = await unitBuildingInScope(c, p.scope, u);
        if (buildingId == null) throw conflict('the unit has no building: set buildingId (or a location inside a footprint) first');
        const f = (await c.query(q.buildingFrame(buildingId))).rows[0];
        const [wM, hM] = wgs84ToFrame({ lonWgs84: f.min_lon, latWgs84: f.min_lat }, f.max_lon, f.max_lat);
        const transform = [...fitPlanToBox(size.widthPx, size.heightPx, wM, hM)];
        await c.query(q.upsertFloorPlan(buildingId, floor, req.body as Buffer, mime, size.widthPx, size.heightPx, transform));
        await recordAudit(c, { actor: p, ip: ipOf(req), action: 'floor_plan.upload', entity: 'building', entityId: buildingId, after: { floor, mime, ...size, bytes: (req.body as Buffer).length } });
        return { buildingId, floor, ...size, transform };
      });
      res.json(saved);
    },
  );

  r.get('/:id/floors/:floor/plan', async (req, res) => {
    const p = principalOf(res);
    const id = idParam.parse(req.params.id);
    const floor = floorParam.parse(req.params.floor);
    const u = await loadUnit(pool, p, id);
    const buildingId = await unitBuildingInScope(pool, p.scope, u);
    if (buildingId == null) throw notFound('the unit has no building');
    const plan = (await pool.query(q.floorPlan(buildingId, floor))).rows[0];
    if (!plan?.image) throw notFound(`no plan uploaded for floor ${floor}: PUT one to this address`);
    res.set('Content-Type', plan.mime_type ?? 'application/octet-stream');
    // SVG could carry script: never let the browser run it as a document.
    res.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
    res.set('Cache-Control', 'private, max-age=60');
    res.send(plan.image);
  });

  r.put('/:id/floors/:floor/plan/transform', async (req, res) => {
    const p = requireRole(res, 'admin', 'supervisor', 'maintainer');
    const id = idParam.parse(req.params.id);
    const floor = floorParam.parse(req.params.floor);
    const { transform } = z.object({ transform: affineSchema }).parse(req.body);
    await withTransaction(pool, async (c) => {
      const u = await loadUnit(c, p, id, true);
      const buildingId = await unitBuildingInScope(c, p.scope, u);
      if (buildingId == null) throw conflict('the unit has no building');
      const x = await c.query(q.setPlanTransform(buildingId, floor, transform));
      if (!x.rows[0]) throw notFound(`no plan uploaded for floor ${floor}`);
      await recordAudit(c, { actor: p, ip: ipOf(req), action: 'floor_plan.transform', entity: 'building', entityId: buildingId, after: { floor, transform } });
    });
    res.json({ floor, transform });
  });

  r.put('/:id/points/:pointId/position', async (req, res) => {
    const p = requireRole(res, 'admin', 'supervisor', 'maintainer');
    const id = idParam.parse(req.params.id);
    const pointId = idParam.parse(req.params.pointId);
    const body = positionSchema.parse(req.body);
    const out = await withTransaction(pool, async (c) => {
      const u = await loadUnit(c, p, id, true);
      const buildingId = await unitBuildingInScope(c, p.scope, u);
      if (buildingId == null) throw conflict('the unit has no building: positions are stored in the building frame');
      const pt = (await c.query(q.pointOfUnit(id, pointId))).rows[0];
      if (!pt) throw notFound('no such point in this unit');
      const f = (await c.query(q.buildingFrame(buildingId))).rows[0];
      const origin = { lonWgs84: Number(f.min_lon), latWgs84: Number(f.min_lat) };
      const floor = body.floor ?? (pt.floor == null ? null : Number(pt.floor));
      let xy: [number, number];
      if (body.localXY) xy = body.localXY;
      else if (body.lonLatWgs84) xy = wgs84ToFrame(origin, body.lonLatWgs84[0], body.lonLatWgs84[1]);
      else {
        if (floor == null) throw badRequest('planPx needs the floor: give floor');
        const plan = (await c.query(q.floorPlan(buildingId, floor))).rows[0];
        if (!plan?.transform) throw conflict(`no plan with a transform for floor ${floor}: upload the plan first`);
        xy = applyAffine(plan.transform as Affine, body.planPx![0], body.planPx![1]);
      }
      const [lon, lat] = body.lonLatWgs84 ?? frameToWgs84(origin, xy[0], xy[1]);
      await c.query(q.setPointPosition(pointId, floor, xy[0], xy[1], lon, lat));
      await recordAudit(c, {
        actor: p,
        ip: ipOf(req),
        action: 'point.position',
        entity: 'point',
        entityId: pointId,
        before: { floor: pt.floor, localXY: pt.position_local_x == null ? null : [pt.position_local_x, pt.position_local_y] },
        after: { floor, localXY: xy, lonLatWgs84: [lon, lat] },
      });
      return { id: pointId, floor, localXY: xy, lonLatWgs84: [lon, lat] };
    });
    res.json(out);
  });

  r.post('/:id/points/import', async (req, res) => {
    const p = requireRole(res, 'admin', 'supervisor', 'maintainer');
    const id = idParam.parse(req.params.id);
    const body = importSchema.parse(req.body);
    let parsed: ImportResult;
    if (body.format === 'type7') parsed = pointsFromType7(body.adus);
    else {
      let records: Array<Record<string, unknown>>;
      try {
        if (body.format === 'csv') records = parseCsv(body.text.replace(/^\uFEFF/, ''), { columns: true, skip_empty_lines: true, trim: true });
        else records = await readXlsxRecords(Buffer.from(body.base64, 'base64'));
      } catch (err) {
        throw badRequest(`cannot read the ${body.format} file (${(err as Error).message}): the first row must be the header (system_type, system_address, component_type, component_address or loop+point, floor, label, x, y)`);
      }
      parsed = pointsFromRecords(records);
    }
    if (parsed.errors.length) {
      throw badRequest(`${parsed.errors.length} row(s) are invalid; nothing was imported: fix them and send the file again`, { rows: parsed.errors.slice(0, 100) });
    }
    const out = await withTransaction(pool, async (c) => {
      const u = await loadUnit(c, p, id, true);
      const dev = (await c.query(q.unitDevice(id, body.deviceAddress ?? null))).rows[0];
      if (!dev) throw conflict(body.deviceAddress != null ? `the unit has no device with address ${body.deviceAddress}` : 'register the unit\'s UITD first: points hang off its facility systems');
      let origin: { lonWgs84: number; latWgs84: number } | null = null;
      if (u.building_id != null) {
        const f = (await c.query(q.buildingFrame(Number(u.building_id)))).rows[0];
        origin = { lonWgs84: Number(f.min_lon), latWgs84: Number(f.min_lat) };
      }
      const systems = new Map<string, number>();
      let inserted = 0;
      let updated = 0;
      for (const pt of parsed.points) {
        const key = `${pt.systemType}:${pt.systemAddress}`;
        let sys = systems.get(key);
        if (sys === undefined) {
          sys = Number((await c.query(q.upsertSystem(Number(dev.id), pt.systemType, pt.systemAddress))).rows[0].id);
          systems.set(key, sys);
        }
        const row = (await c.query(q.upsertPoint({ unitId: id, systemId: sys, componentType: pt.componentType, componentAddress: pt.componentAddress, floor: pt.floor, label: pt.label }))).rows[0];
        if (row.inserted) inserted++;
        else updated++;
        if (pt.localXY && origin) {
          const [lon, lat] = frameToWgs84(origin, pt.localXY[0], pt.localXY[1]);
          await c.query(q.setPointPosition(Number(row.id), pt.floor, pt.localXY[0], pt.localXY[1], lon, lat));
        }
      }
      await recordAudit(c, { actor: p, ip: ipOf(req), action: 'points.import', entity: 'unit', entityId: id, after: { format: body.format, inserted, updated, deviceAddress: Number(dev.address) } });
      return { inserted, updated, total: parsed.points.length };
    });
    res.json(out);
  });

  return r;
}

export function onboardingRouter(deps: { pool: Pool; config: OnboardingConfig }): Router {
  const { pool, config } = deps;
  const r = Router();

  r.get('/rules', (_req, res) => {
    principalOf(res);
    const active = new Set(config.rules.map((x) => x.id));
    res.json({
      rules: COMPLETENESS_RULES.map((x) => ({ id: x.id, mandatory: x.mandatory, enabled: active.has(x.id), description: x.description })),
      drawingsDays: config.ONBOARDING_DRAWINGS_DAYS,
    });
  });

  r.get('/queue', async (req, res) => {
    const p = requireRole(res, 'admin', 'supervisor', 'operator', 'maintainer', 'station', 'analyst');
    const query = queueQuerySchema.parse(req.query);
    const x = await pool.query(q.queue(p.scope, { states: query.state, includeDrawingsOverdue: query.drawingsOverdue, limit: query.limit, offset: query.offset }));
    const actor = await actorOf(pool, p);
    const items = await Promise.all(
      x.rows.map(async (u) => {
        const full = (await pool.query(uq.getUnit(p.scope, Number(u.id)))).rows[0];
        const comp = full ? await completenessOf(pool, full, config.rules) : null;
        return {
          id: Number(u.id),
          name: u.name,
          address: u.address,
          category: u.category,
          onboardingState: u.onboarding_state,
          underConstruction: u.under_construction,
          regionAdcode: u.region_adcode,
          regionName: u.region_name,
          version: Number(u.version),
          updatedAt: u.updated_at.toISOString(),
          drawingsDue: u.drawings_due,
          next: nextStates(u.onboarding_state, actor),
          missing: comp?.missing ?? [],
          drawingsOverdue: comp?.drawingsOverdue ?? false,
        };
      }),
    );
    res.json({ total: x.rows[0] ? Number(x.rows[0].total) : 0, items });
  });

  r.get('/funnel', async (_req, res) => {
    const p = principalOf(res);
    const x = await pool.query(q.funnel(p.scope));
    const byRegion = new Map<string, { regionAdcode: number | null; regionName: string | null; counts: Record<string, number>; underConstruction: number; total: number }>();
    for (const row of x.rows) {
      const key = String(row.region_adcode);
      let f = byRegion.get(key);
      if (!f) {
        f = { regionAdcode: row.region_adcode, regionName: row.region_name, counts: Object.fromEntries(onboardingStateSchema.options.map((s) => [s, 0])), underConstruction: 0, total: 0 };
        byRegion.set(key, f);
      }
      f.counts[row.onboarding_state] = row.n;
      f.underConstruction += row.under_construction;
      f.total += row.n;
    }
    res.json([...byRegion.values()]);
  });

  return r;
}

function camel(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()), v]));
}
