// Units: read models (list, detail, completeness) and the writes (create, edit) with
// tie-to-place, each in one transaction with its audit entry.
import type pg from 'pg';
import { h3Cells, tieToPlace as tieRowsToPlace } from '@firelink/geodata';
import {
  evaluateCompleteness,
  shanghaiDate,
  pointClass,
  type CompletenessInput,
  type CompletenessRule,
  type Completeness,
  type Contact,
  type UnitCreate,
  type UnitDetail,
  type UnitPatch,
  type UnitSummary,
} from '@firelink/common';
import { recordAudit } from '../audit/audit.ts';
import type { Caller } from '../auth/principal.ts';
import { scopeAllows, type Scope } from '../auth/scope.ts';
import { withTransaction } from '../db/pool.ts';
import { badRequest, conflict, explainDatabaseError, forbidden, notFound, type InputErrorHints } from '../kernel/errors.ts';
import { assertBuildingInUnitDistrict, assertBuildingVisible, visibleBuilding } from './building-scope.ts';
import { assertSameVersion, assertUnitBoundMayPatch, fieldsBefore } from './domain/rules.ts';
import * as q from './queries.ts';

type Db = pg.Pool | pg.ClientBase;
type Row = Record<string, unknown>;

/** A nullable numeric column as a number (pg returns bigint and numeric as text or number). */
export const num = (v: unknown) => (v == null ? null : Number(v));
const iso = (v: unknown) => (v == null ? null : v instanceof Date ? v.toISOString() : String(v));

export function toSummary(r: Row): UnitSummary {
  return {
    id: Number(r.id),
    externalId: (r.external_id as string | null) ?? null,
    name: String(r.name),
    address: (r.address as string | null) ?? null,
    category: String(r.category),
    highRisk: Boolean(r.high_risk),
    hasControlRoom: Boolean(r.has_control_room),
    onboardingState: r.onboarding_state as UnitSummary['onboardingState'],
    underConstruction: Boolean(r.under_construction),
    regionAdcode: num(r.region_adcode),
    regionName: (r.region_name as string | null) ?? null,
    lonLatWgs84: (r.lon_lat as [number, number] | null) ?? null,
    h3R9: (r.h3_r9 as string | null) ?? null,
    devicesOnline: Number(r.devices_online ?? 0),
    devicesTotal: Number(r.devices_total ?? 0),
    openAlarms: Number(r.open_alarms ?? 0),
    drawingsDue: (r.drawings_due as string | null) ?? null,
    version: Number(r.version),
    updatedAt: iso(r.updated_at) ?? '',
  };
}

/**
 * The unit row (getUnit) when it lies in the caller's scope, else 404 (the same answer whether
 * it exists or not). `lock` takes the row lock of a write: use it inside the write's transaction.
 */
export async function unitInScope(db: Db, scope: Scope, id: number, lock = false): Promise<Row> {
  const u = (await db.query(q.getUnit(scope, id, lock))).rows[0] as Row | undefined;
  if (!u) throw notFound('no such unit in your jurisdiction');
  return u;
}

/** Registered point counts and drawing progress, from the points table. */
export async function pointStats(db: Db, unitId: number) {
  const r = await db.query(q.pointStats(unitId));
  let detection = 0;
  let linkage = 0;
  let unplaced = 0;
  for (const p of r.rows) {
    const c = pointClass(num(p.system_type), Number(p.component_type));
    if (c === 'detection') detection++;
    else if (c === 'linkage') linkage++;
    if (!p.placed) unplaced++;
  }
  return { detection, linkage, unplaced };
}

/** Completeness of a unit row (from getUnit) under the rules in force. */
export async function completenessOf(db: Db, u: Row, rules: readonly CompletenessRule[]): Promise<Completeness> {
  const id = Number(u.id);
  // Sequential: db may be one transaction's client, which runs one query at a time.
  const stats = await pointStats(db, id);
  const devs = await db.query(q.uitdAddresses(id));
  const acc = await db.query(q.passingAcceptance(id));
  const input: CompletenessInput = {
    name: (u.name as string) ?? null,
    address: (u.address as string | null) ?? null,
    lonLatWgs84: (u.lon_lat as [number, number] | null) ?? null,
    category: (u.category as string | null) ?? null,
    hasControlRoom: Boolean(u.has_control_room),
    controlRoomPhone: (u.control_room_phone as string | null) ?? null,
    contacts: (u.contacts as Contact[]) ?? [],
    maintenanceAgencyId: num(u.maintenance_agency_id),
    uitdAddresses: devs.rows.map((d) => Number(d.address)),
    verifiedDetectionPoints: num(u.verified_detection_points),
    verifiedLinkagePoints: num(u.verified_linkage_points),
    pointTotalNote: (u.point_total_note as string | null) ?? null,
    registeredDetectionPoints: stats.detection,
    registeredLinkagePoints: stats.linkage,
    underConstruction: Boolean(u.under_construction),
    acceptancePassed: Boolean(acc.rows[0]?.passed),
  };
  const missing = evaluateCompleteness(input, rules);
  const due = u.drawings_due as string | null;
  // drawings_due is a Shanghai date (set and queried in SQL as one): compare with Shanghai's today.
  const today = shanghaiDate();
  return {
    complete: missing.length === 0,
    missing,
    registeredDetectionPoints: stats.detection,
    registeredLinkagePoints: stats.linkage,
    pointsWithoutPosition: stats.unplaced,
    drawingsOverdue: stats.unplaced > 0 && due != null && due < today,
  };
}

/** The unit view's window for the disabled (屏蔽) hours and spells, days. */
const DISABLED_WINDOW_DAYS = 30;

export async function unitDetail(db: pg.Pool, scope: Scope, id: number, rules: readonly CompletenessRule[]): Promise<UnitDetail | null> {
  const r = await db.query(q.getUnit(scope, id));
  const u = r.rows[0] as Row | undefined;
  if (!u) return null;
  // A building outside the caller's jurisdiction (bound before buildingId was checked, or
  // tied across a district border) is not shown: neither its footprint nor its floor plans.
  const bound = num(u.building_id);
  const buildingId = bound != null && (await db.query(visibleBuilding(scope, bound))).rows[0] ? bound : null;
  const [b, pts, plans, devs, evs, completeness, dz, dzTargets] = await Promise.all([
    buildingId ? db.query(q.getBuilding(buildingId)) : null,
    db.query(q.unitPoints(id)),
    buildingId ? db.query(q.floorPlans(buildingId)) : null,
    db.query(q.unitDevices(id)),
    db.query(q.recentEvents(id, 50)),
    completenessOf(db, u, rules),
    db.query(q.disabledFacts(id, DISABLED_WINDOW_DAYS)),
    db.query(q.disabledTargets(id, 50)),
  ]);
  const dzRow = dz.rows[0] as Row | undefined;
  const brow = b?.rows[0] as Row | undefined;
  const floors = new Map<number | null, UnitDetail['floors'][number]>();
  const floorOf = (f: number | null) => {
    let x = floors.get(f);
    if (!x) floors.set(f, (x = { floor: f, hasPlan: false, planTransform: null, planSizePx: null, points: [] }));
    return x;
  };
  if (brow) {
    for (let f = -Number(brow.floors_below); f <= Number(brow.floors_above); f++) if (f !== 0) floorOf(f);
  }
  for (const p of plans?.rows ?? []) {
    const f = floorOf(Number(p.floor));
    f.hasPlan = Boolean(p.has_image);
    f.planTransform = (p.transform as number[] | null) ?? null;
    f.planSizePx = p.width_px != null ? [Number(p.width_px), Number(p.height_px)] : null;
  }
  for (const p of pts.rows) {
    floorOf(num(p.floor)).points.push({
      id: Number(p.id),
      systemType: num(p.system_type),
      systemAddress: num(p.system_address),
      componentType: Number(p.component_type),
      componentAddress: Number(p.component_address),
      floor: num(p.floor),
      label: p.label ?? null,
      state: String(p.state),
      inFault: Boolean(p.in_fault),
      localXY: p.position_local_x != null ? [Number(p.position_local_x), Number(p.position_local_y)] : null,
      lonLatWgs84: p.lon_lat ?? null,
    });
  }
  return {
    ...toSummary(u),
    controlRoomPhone: (u.control_room_phone as string | null) ?? null,
    contacts: (u.contacts as Contact[]) ?? [],
    maintenanceAgency: u.maintenance_agency_id != null ? { id: Number(u.maintenance_agency_id), name: String(u.agency_name), phone: (u.agency_phone as string | null) ?? null } : null,
    verifiedDetectionPoints: num(u.verified_detection_points),
    verifiedLinkagePoints: num(u.verified_linkage_points),
    pointTotalNote: (u.point_total_note as string | null) ?? null,
    openedAt: iso(u.opened_at),
    constructionAcceptedAt: iso(u.construction_accepted_at),
    building: brow
      ? {
          id: Number(brow.id),
          name: (brow.name as string | null) ?? null,
          floorsAbove: Number(brow.floors_above),
          floorsBelow: Number(brow.floors_below),
          heightM: num(brow.height_m),
          footprint: brow.footprint as NonNullable<UnitDetail['building']>['footprint'],
        }
      : null,
    floors: [...floors.values()].sort((a, b) => (a.floor ?? 1e9) - (b.floor ?? 1e9)),
    devices: devs.rows.map((d) => ({
      id: Number(d.id),
      address: Number(d.address),
      protocol: String(d.protocol),
      model: d.model ?? null,
      online: Boolean(d.online),
      lastSeenAt: iso(d.last_seen_at),
    })),
    recentEvents: evs.rows.map((e) => ({
      id: Number(e.id),
      kind: String(e.kind),
      pointId: num(e.point_id),
      description: e.description ?? null,
      receivedAt: iso(e.received_at) ?? '',
    })),
    completeness,
    disabled: {
      windowDays: DISABLED_WINDOW_DAYS,
      now: Number(dzRow?.disabled_now ?? 0),
      systemsNow: Number(dzRow?.systems_disabled_now ?? 0),
      oldestSince: iso(dzRow?.oldest_since ?? null),
      hoursInWindow: Number(dzRow?.hours_in_window ?? 0),
      spellsInWindow: Number(dzRow?.spells_in_window ?? 0),
      targets: dzTargets.rows.map((t) => ({
        pointId: num(t.point_id),
        label: (t.label as string | null) ?? null,
        systemType: num(t.system_type),
        systemAddress: num(t.system_address),
        componentAddress: num(t.component_address),
        since: iso(t.since) ?? '',
      })),
    },
  };
}

/**
 * Place columns known before the write: H3 cells (GEODATA's h3Cells). Region and building are
 * cleared when the unit moves and filled after the write by GEODATA's tie-to-place (district by
 * PostGIS point-in-polygon, footprint containing the point or the nearest within 50 m), so the
 * units API and the importers share one rule. An explicit buildingId is kept.
 */
function placeColumns(lonLat: readonly [number, number] | null, buildingId: number | null) {
  const h3 = lonLat ? h3Cells(lonLat) : null;
  return { region_adcode: null as number | null, h3_r7: h3?.r7 ?? null, h3_r8: h3?.r8 ?? null, h3_r9: h3?.r9 ?? null, building_id: buildingId };
}

/** Runs tie-to-place for one written unit; returns its region and building. */
export async function tieUnit(db: pg.ClientBase, unitId: number): Promise<{ regionAdcode: number | null; buildingId: number | null }> {
  await tieRowsToPlace(db, { units: [unitId] });
  const r = await db.query(q.unitPlace(unitId));
  return { regionAdcode: num(r.rows[0]?.region_adcode), buildingId: num(r.rows[0]?.building_id) };
}

async function highRisk(db: Db, category: string): Promise<boolean> {
  const r = await db.query(q.categoryHighRisk(category));
  if (!r.rows[0]) throw badRequest(`unknown category '${category}': use one of the codes in unit_categories (GET /api/units/categories)`);
  return Boolean(r.rows[0].high_risk);
}

export async function rowFromCreate(db: Db, c: UnitCreate): Promise<q.UnitRow> {
  const place = placeColumns(c.lonLatWgs84, c.buildingId);
  return {
    external_id: c.externalId,
    name: c.name,
    address: c.address,
    category: c.category,
    high_risk: await highRisk(db, c.category),
    has_control_room: c.hasControlRoom,
    control_room_phone: c.controlRoomPhone,
    under_construction: c.underConstruction,
    lon: c.lonLatWgs84?.[0] ?? null,
    lat: c.lonLatWgs84?.[1] ?? null,
    contacts: c.contacts,
    maintenance_agency_id: c.maintenanceAgencyId,
    verified_detection_points: c.verifiedDetectionPoints,
    verified_linkage_points: c.verifiedLinkagePoints,
    point_total_note: c.pointTotalNote,
    drawings_due: c.drawingsDue,
    ...place,
  };
}

/** The current row (from getUnit) with the patch applied, re-tied to its place when it moved. */
export async function rowFromPatch(db: Db, cur: Row, p: UnitPatch): Promise<q.UnitRow> {
  const lonLat = p.lonLatWgs84 !== undefined ? p.lonLatWgs84 : ((cur.lon_lat as [number, number] | null) ?? null);
  const category = p.category ?? String(cur.category);
  const moved = p.lonLatWgs84 !== undefined || p.buildingId !== undefined;
  const curBuilding = num(cur.building_id);
  const place = placeColumns(lonLat, p.buildingId !== undefined ? p.buildingId : p.lonLatWgs84 !== undefined ? null : curBuilding);
  if (!moved) place.region_adcode = num(cur.region_adcode);
  const pick = <K extends keyof UnitPatch>(k: K, col: string) => (p[k] !== undefined ? p[k] : cur[col]);
  return {
    external_id: pick('externalId', 'external_id') as string | null,
    name: pick('name', 'name') as string,
    address: pick('address', 'address') as string | null,
    category,
    high_risk: await highRisk(db, category),
    has_control_room: pick('hasControlRoom', 'has_control_room') as boolean,
    control_room_phone: pick('controlRoomPhone', 'control_room_phone') as string | null,
    under_construction: pick('underConstruction', 'under_construction') as boolean,
    lon: lonLat?.[0] ?? null,
    lat: lonLat?.[1] ?? null,
    contacts: pick('contacts', 'contacts'),
    maintenance_agency_id: num(pick('maintenanceAgencyId', 'maintenance_agency_id')),
    verified_detection_points: num(pick('verifiedDetectionPoints', 'verified_detection_points')),
    verified_linkage_points: num(pick('verifiedLinkagePoints', 'verified_linkage_points')),
    point_total_note: pick('pointTotalNote', 'point_total_note') as string | null,
    drawings_due: pick('drawingsDue', 'drawings_due') as string | null,
    ...place,
  };
}

/** What a unit write's input errors mean (external_id is the one unique column; the references are checked here). */
const UNIT_WRITE: InputErrorHints = {
  unique: 'another unit already has this externalId: choose another',
  foreignKey: 'maintenanceAgencyId or buildingId names a record that does not exist: check them',
};

/** Creates a unit (admin, supervisor), tied to its district and building; returns its id. */
export async function createUnit(pool: pg.Pool, who: Caller, body: UnitCreate): Promise<number> {
  const { principal: p } = who;
  return withTransaction(pool, async (c) => {
    if (body.buildingId != null) await assertBuildingVisible(c, p.scope, body.buildingId);
    const row = await rowFromCreate(c, body);
    const ins = await c.query(q.insertUnit(row)).catch((e: unknown) => Promise.reject(explainDatabaseError(e, UNIT_WRITE)));
    const id = Number(ins.rows[0].id);
    const place = await tieUnit(c, id);
    if (!scopeAllows(p.scope, { regionAdcode: place.regionAdcode })) {
      throw forbidden('the unit lies outside your jurisdiction (its location decides its region): check lonLatWgs84');
    }
    if (body.buildingId != null) await assertBuildingInUnitDistrict(c, body.buildingId, place.regionAdcode);
    await recordAudit(c, { actor: p, ip: who.ip, action: 'unit.create', entity: 'unit', entityId: id, after: { ...row, region_adcode: place.regionAdcode, building_id: place.buildingId } });
    return id;
  });
}

/** Edits a unit at the version the caller saw; a unit-bound caller (maintainer) keeps it in its district and buildings. */
export async function updateUnit(pool: pg.Pool, who: Caller, id: number, body: UnitPatch): Promise<void> {
  const { principal: p } = who;
  await withTransaction(pool, async (c) => {
    const cur = await unitInScope(c, p.scope, id, true);
    assertSameVersion(Number(cur.version), body.version);
    if (body.buildingId != null) await assertBuildingVisible(c, p.scope, body.buildingId);
    if (p.scope.kind === 'units') {
      const agency = body.maintenanceAgencyId !== undefined && p.userId != null ? (await c.query(q.agencyOfUser(p.userId))).rows[0]?.maintenance_agency_id : null;
      assertUnitBoundMayPatch(body, agency == null ? null : Number(agency));
    }
    const row = await rowFromPatch(c, cur, body);
    const up = await c.query(q.updateUnit(id, body.version, row)).catch((e: unknown) => Promise.reject(explainDatabaseError(e, UNIT_WRITE)));
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
    await recordAudit(c, { actor: p, ip: who.ip, action: 'unit.update', entity: 'unit', entityId: id, before: fieldsBefore(cur, changed), after: changed });
  });
}
