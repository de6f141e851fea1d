// Which buildings a caller may name or see through a unit. A building is inside a region scope
// when its own district is (buildings.region_adcode, tied by PostGIS from its footprint);
// unit users and maintainers reach only the buildings their units are already bound to.
// Used for buildingId in unit writes and by the floor-plan and point-position routes, which
// act on the building, not only on the unit.
import type pg from 'pg';
import { scopePredicate, type Scope } from '../auth/scope.ts';
import type { Query } from '../db/pool.ts';
import { badRequest, notFound } from '../kernel/errors.ts';

/** SQL predicate: building `alias` lies within the scope (appends to `values`). */
export function buildingScopePredicate(scope: Scope, alias: string, values: unknown[]): string {
  if (scope.kind === 'units') {
    if (scope.unitIds.length === 0) return 'FALSE';
    values.push(scope.unitIds);
    return `EXISTS (SELECT 1 FROM units su WHERE su.building_id = ${alias}.id AND su.id = ANY($${values.length}::bigint[]))`;
  }
  return scopePredicate(scope, { region: `${alias}.region_adcode` }, values);
}

export function visibleBuilding(scope: Scope, buildingId: number): Query {
  const values: unknown[] = [buildingId];
  const pred = buildingScopePredicate(scope, 'b', values);
  return { text: `SELECT b.id, b.region_adcode FROM buildings b WHERE b.id = $1 AND ${pred}`, values };
}

/** The same "not found" whether the building does not exist or lies outside the jurisdiction. */
const NO_SUCH_BUILDING = 'no such building in your jurisdiction: choose a building of this unit\'s district (or leave buildingId empty to tie by location)';

/**
 * A buildingId sent by the caller, checked BEFORE the unit is written (the write would make
 * the building "bound to the caller's unit"): it must lie in the caller's jurisdiction, else
 * 404 without saying whether it exists.
 */
export async function assertBuildingVisible(db: pg.ClientBase, scope: Scope, buildingId: number): Promise<void> {
  if (!(await db.query(visibleBuilding(scope, buildingId))).rows[0]) throw notFound(NO_SUCH_BUILDING);
}

/** After the write and tie: the building must lie in the unit's district `unitRegion` (else 400). */
export async function assertBuildingInUnitDistrict(db: pg.ClientBase, buildingId: number, unitRegion: number | null): Promise<void> {
  const b = (await db.query({ text: 'SELECT region_adcode FROM buildings WHERE id = $1', values: [buildingId] })).rows[0];
  if (!b) throw notFound(NO_SUCH_BUILDING);
  const region = b.region_adcode == null ? null : Number(b.region_adcode);
  if (region !== unitRegion) {
    throw badRequest(`building ${buildingId} lies in district ${region ?? 'unknown'}, the unit in ${unitRegion ?? 'none'}: a unit is bound to a building of its own district`);
  }
}

/**
 * The building of a unit row (from getUnit) when the caller may act on it; null when the unit
 * has none. A unit bound to a building outside the caller's jurisdiction answers 404.
 */
export async function unitBuildingInScope(db: pg.Pool | pg.ClientBase, scope: Scope, unit: Record<string, unknown>): Promise<number | null> {
  if (unit.building_id == null) return null;
  const id = Number(unit.building_id);
  const b = (await db.query(visibleBuilding(scope, id))).rows[0];
  if (!b) throw notFound('the unit\'s building lies outside your jurisdiction: ask an administrator to check the unit\'s buildingId');
  return id;
}
