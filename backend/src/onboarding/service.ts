// The onboarding service: a unit's lifecycle steps, acceptance checks, floor plans, point
// positions and point imports, the queue and the funnel. Every change runs in one transaction
// on the unit locked in the caller's scope, with its audit entry; the rules are in domain/,
// the SQL in queries.ts. Errors are domain errors (http/ maps them to statuses).
import { parse as parseCsv } from 'csv-parse/sync';
import { readXlsxRecords } from '@firelink/geodata';
import { nextStates, type AcceptanceCheck, type Actor, type AgencyKind, type Completeness, type OnboardingState, type TransitionRequest } from '@firelink/common';
import { recordAudit } from '../audit/audit.ts';
import type { Caller } from '../auth/principal.ts';
import type { Principal } from '../auth/scope.ts';
import { withTransaction, type Pool } from '../db/pool.ts';
import { badRequest, conflict, notFound } from '../kernel/errors.ts';
import { unitBuildingInScope } from '../units/building-scope.ts';
import * as uq from '../units/queries.ts';
import { completenessOf, unitInScope } from '../units/service.ts';
import type { OnboardingConfig } from './config.ts';
import { frameToWgs84, type Affine } from './domain/frame.ts';
import { imageSize } from './domain/image-size.ts';
import { originOf, placePoint, planTransformFor, positionFloor, type FrameBounds, type PositionInput } from './domain/placement.ts';
import { assertImportable, pointsFromRecords, pointsFromType7, systemKey, type ImportResult } from './domain/point-import.ts';
import { acceptanceEndsConstruction, assertComplete, assertIndependentAcceptance, assertPassHasEvidence, authorizeTransition, funnelByRegion, rulesView, type FunnelRow } from './domain/workflow.ts';
import * as q from './queries.ts';

type Db = Pool | import('pg').ClientBase;
type Row = Record<string, unknown>;

/** A point import as sent: CSV text, an XLSX file (base64) or type 7 answers (hex). */
export type PointImport = { deviceAddress?: number } & ({ format: 'csv'; text: string } | { format: 'xlsx'; base64: string } | { format: 'type7'; adus: string[] });

export interface QueueQuery {
  state: OnboardingState[];
  drawingsOverdue: boolean;
  limit: number;
  offset: number;
}

/** The caller as the workflow sees it: a maintainer acts for its agency's kind. */
export async function actorOf(db: Db, p: Principal): Promise<Actor> {
  if (p.role !== 'maintainer' || p.userId == null) return { role: p.role, agencyKind: null };
  const r = await db.query(q.agencyKindOfUser(p.userId));
  return { role: p.role, agencyKind: (r.rows[0]?.kind as AgencyKind | undefined) ?? null };
}

const boundsOf = (f: Row): FrameBounds => ({ minLon: Number(f.min_lon), minLat: Number(f.min_lat), maxLon: Number(f.max_lon), maxLat: Number(f.max_lat) });

function camel(row: Row): Row {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()), v]));
}

export class OnboardingService {
  constructor(
    private readonly pool: Pool,
    private readonly config: OnboardingConfig,
  ) {}

  /** State, the steps the caller may take next, completeness and the history of steps. */
  async status(p: Principal, id: number) {
    const u = await unitInScope(this.pool, p.scope, id);
    const actor = await actorOf(this.pool, p);
    const [completeness, hist] = await Promise.all([completenessOf(this.pool, u, this.config.rules), this.pool.query(q.transitionHistory(id))]);
    return {
      id,
      state: u.onboarding_state,
      version: Number(u.version),
      next: nextStates(u.onboarding_state as OnboardingState, actor),
      completeness,
      history: hist.rows.map((h) => ({ at: h.at.toISOString(), actor: h.actor_name, from: h.from_state, to: h.to_state, note: h.note ?? '' })),
    };
  }

  /** One lifecycle step at the version the caller saw; opening needs the unit complete. */
  async transition(who: Caller, id: number, ask: TransitionRequest) {
    const p = who.principal;
    return withTransaction(this.pool, async (c) => {
      const u = await unitInScope(c, p.scope, id, true);
      const from = u.onboarding_state as OnboardingState;
      const rule = authorizeTransition({ from, to: ask.to, actor: await actorOf(c, p), note: ask.note, version: Number(u.version), sentVersion: ask.version });
      if (rule.requiresComplete) assertComplete(await completenessOf(c, u, this.config.rules));
      const up = (await c.query(q.setState(id, ask.version, ask.to, this.config.ONBOARDING_DRAWINGS_DAYS))).rows[0];
      if (!up) throw conflict('the unit was changed concurrently: reload and try again');
      await recordAudit(c, {
        actor: p,
        ip: who.ip,
        action: 'unit.transition',
        entity: 'unit',
        entityId: id,
        before: { state: from, version: ask.version },
        after: { state: ask.to, version: Number(up.version), note: ask.note },
      });
      return { id, state: up.onboarding_state, version: Number(up.version), openedAt: up.opened_at?.toISOString() ?? null, drawingsDue: up.drawings_due };
    });
  }

  async acceptanceChecks(p: Principal, id: number) {
    await unitInScope(this.pool, p.scope, id);
    const x = await this.pool.query(q.listAcceptance(id));
    return x.rows.map((a) => ({ ...camel(a), recordedAt: a.recorded_at.toISOString() }));
  }

  /** Records a new-construction acceptance check; a pass ends the construction period. */
  async recordAcceptance(who: Caller, id: number, check: AcceptanceCheck) {
    const p = who.principal;
    return withTransaction(this.pool, async (c) => {
      const u = await unitInScope(c, p.scope, id, true);
      assertPassHasEvidence(check);
      // The caller's agency matters only for a pass on a unit that has one.
      const mine = check.result === 'pass' && p.userId != null ? (await c.query(q.agencyKindOfUser(p.userId))).rows[0] : undefined;
      assertIndependentAcceptance(check, { role: p.role, agencyId: mine ? Number(mine.id) : null }, u.maintenance_agency_id == null ? null : Number(u.maintenance_agency_id));
      const ins = (await c.query(q.insertAcceptance(id, check, p.userId))).rows[0];
      const accepted = acceptanceEndsConstruction(check, Boolean(u.under_construction));
      if (accepted) await c.query(q.acceptConstruction(id));
      await recordAudit(c, { actor: p, ip: who.ip, action: 'unit.acceptance_check', entity: 'unit', entityId: id, after: { ...check, accepted } });
      return { id: Number(ins.id), constructionAccepted: accepted };
    });
  }

  /**
   * Stores a floor's plan image on the unit's building, fitted to the building's bounding box.
   * The size is read from the image header, else taken from `sizeHint`.
   */
  async uploadPlan(who: Caller, id: number, floor: number, image: Buffer, mime: string, sizeHint: { widthPx?: number; heightPx?: number }) {
    const p = who.principal;
    const size = imageSize(image, mime) ?? (sizeHint.widthPx && sizeHint.heightPx ? { widthPx: sizeHint.widthPx, heightPx: sizeHint.heightPx } : null);
    if (!size) throw badRequest('cannot read the image size from this file: add ?widthPx=&heightPx=');
    return withTransaction(this.pool, async (c) => {
      const u = await unitInScope(c, p.scope, id, true);
      const buildingId = await unitBuildingInScope(c, p.scope, u);
      if (buildingId == null) throw conflict('the unit has no building: set buildingId (or a location inside a footprint) first');
      const bounds = boundsOf((await c.query(q.buildingFrame(buildingId))).rows[0]);
      const transform = planTransformFor(size, bounds);
      await c.query(q.upsertFloorPlan(buildingId, floor, image, mime, size.widthPx, size.heightPx, transform));
      await recordAudit(c, { actor: p, ip: who.ip, action: 'floor_plan.upload', entity: 'building', entityId: buildingId, after: { floor, mime, ...size, bytes: image.length } });
      return { buildingId, floor, ...size, transform };
    });
  }

  /** A floor's plan image, when the unit's building is in the caller's scope. */
  async planImage(p: Principal, id: number, floor: number): Promise<{ image: Buffer; mime: string | null }> {
    const u = await unitInScope(this.pool, p.scope, id);
    const buildingId = await unitBuildingInScope(this.pool, p.scope, u);
    if (buildingId == null) throw notFound('the unit has no building');
    const plan = (await this.pool.query(q.floorPlan(buildingId, floor))).rows[0];
    if (!plan?.image) throw notFound(`no plan uploaded for floor ${floor}: PUT one to this address`);
    return { image: plan.image as Buffer, mime: (plan.mime_type as string | null) ?? null };
  }

  async setPlanTransform(who: Caller, id: number, floor: number, transform: number[]) {
    const p = who.principal;
    await withTransaction(this.pool, async (c) => {
      const u = await unitInScope(c, p.scope, id, true);
      const buildingId = await unitBuildingInScope(c, p.scope, u);
      if (buildingId == null) throw conflict('the unit has no building');
      const x = await c.query(q.setPlanTransform(buildingId, floor, transform));
      if (!x.rows[0]) throw notFound(`no plan uploaded for floor ${floor}`);
      await recordAudit(c, { actor: p, ip: who.ip, action: 'floor_plan.transform', entity: 'building', entityId: buildingId, after: { floor, transform } });
    });
    return { floor, transform };
  }

  /** Places one of the unit's points in its building (plan pixels, frame metres or WGS84). */
  async placePoint(who: Caller, id: number, pointId: number, pos: PositionInput) {
    const p = who.principal;
    return withTransaction(this.pool, async (c) => {
      const u = await unitInScope(c, p.scope, id, true);
      const buildingId = await unitBuildingInScope(c, p.scope, u);
      if (buildingId == null) throw conflict('the unit has no building: positions are stored in the building frame');
      const pt = (await c.query(q.pointOfUnit(id, pointId))).rows[0];
      if (!pt) throw notFound('no such point in this unit');
      const origin = originOf(boundsOf((await c.query(q.buildingFrame(buildingId))).rows[0]));
      const floor = positionFloor(pos, pt.floor == null ? null : Number(pt.floor));
      const plan = pos.planPx ? (await c.query(q.floorPlan(buildingId, floor!))).rows[0] : undefined;
      const { localXY, lonLatWgs84 } = placePoint(pos, origin, floor, (plan?.transform as Affine | null | undefined) ?? null);
      await c.query(q.setPointPosition(pointId, floor, localXY[0], localXY[1], lonLatWgs84[0], lonLatWgs84[1]));
      await recordAudit(c, {
        actor: p,
        ip: who.ip,
        action: 'point.position',
        entity: 'point',
        entityId: pointId,
        before: { floor: pt.floor, localXY: pt.position_local_x == null ? null : [pt.position_local_x, pt.position_local_y] },
        after: { floor, localXY, lonLatWgs84 },
      });
      return { id: pointId, floor, localXY, lonLatWgs84 };
    });
  }

  /** Imports points onto the unit's device (the first one, or `deviceAddress`): all rows or none. */
  async importPoints(who: Caller, id: number, file: PointImport) {
    const p = who.principal;
    const parsed = await readPoints(file);
    assertImportable(parsed);
    return withTransaction(this.pool, async (c) => {
      const u = await unitInScope(c, p.scope, id, true);
      const dev = (await c.query(q.unitDevice(id, file.deviceAddress ?? null))).rows[0];
      if (!dev) throw conflict(file.deviceAddress != null ? `the unit has no device with address ${file.deviceAddress}` : 'register the unit\'s UITD first: points hang off its facility systems');
      const origin = u.building_id != null ? originOf(boundsOf((await c.query(q.buildingFrame(Number(u.building_id)))).rows[0])) : null;
      const systems = new Map<string, number>();
      let inserted = 0;
      let updated = 0;
      for (const pt of parsed.points) {
        let sys = systems.get(systemKey(pt));
        if (sys === undefined) {
          sys = Number((await c.query(q.upsertSystem(Number(dev.id), pt.systemType, pt.systemAddress))).rows[0].id);
          systems.set(systemKey(pt), sys);
        }
        const row = (await c.query(q.upsertPoint({ unitId: id, systemId: sys, componentType: pt.componentType, componentAddress: pt.componentAddress, floor: pt.floor, label: pt.label }))).rows[0];
        if (row.inserted) inserted++;
        else updated++;
        if (pt.localXY && origin) {
          const [lon, lat] = frameToWgs84(origin, pt.localXY[0], pt.localXY[1]);
          await c.query(q.setPointPosition(Number(row.id), pt.floor, pt.localXY[0], pt.localXY[1], lon, lat));
        }
      }
      await recordAudit(c, { actor: p, ip: who.ip, action: 'points.import', entity: 'unit', entityId: id, after: { format: file.format, inserted, updated, deviceAddress: Number(dev.address) } });
      return { inserted, updated, total: parsed.points.length };
    });
  }

  rules() {
    return rulesView(this.config.rules, this.config.ONBOARDING_DRAWINGS_DAYS);
  }

  /** Units not yet open (or open with overdue drawings) in the caller's scope, with what each still misses. */
  async queue(p: Principal, query: QueueQuery) {
    const x = await this.pool.query(q.queue(p.scope, { states: query.state, includeDrawingsOverdue: query.drawingsOverdue, limit: query.limit, offset: query.offset }));
    const actor = await actorOf(this.pool, p);
    const items = await Promise.all(
      x.rows.map(async (u) => {
        const full = (await this.pool.query(uq.getUnit(p.scope, Number(u.id)))).rows[0];
        const comp: Completeness | null = full ? await completenessOf(this.pool, full, this.config.rules) : null;
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
    return { total: x.rows[0] ? Number(x.rows[0].total) : 0, items };
  }

  /** Units per district and lifecycle state in the caller's scope. */
  async funnel(p: Principal) {
    const x = await this.pool.query(q.funnel(p.scope));
    return funnelByRegion(x.rows as FunnelRow[]);
  }
}

/** The file's rows as points (parse errors per row; an unreadable file is refused whole). */
async function readPoints(file: PointImport): Promise<ImportResult> {
  if (file.format === 'type7') return pointsFromType7(file.adus);
  let records: Array<Record<string, unknown>>;
  try {
    if (file.format === 'csv') records = parseCsv(file.text.replace(/^\uFEFF/, ''), { columns: true, skip_empty_lines: true, trim: true });
    else records = await readXlsxRecords(Buffer.from(file.base64, 'base64'));
  } catch (err) {
    throw badRequest(`cannot read the ${file.format} file (${(err as Error).message}): the first row must be the header (system_type, system_address, component_type, component_address or loop+point, floor, label, x, y)`);
  }
  return pointsFromRecords(records);
}
