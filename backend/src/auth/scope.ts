// The one jurisdiction filter. Every list, detail, stat, tile and live subscription
// composes this predicate into its SQL; nothing else decides who sees what.
//
// A jurisdiction is a set of region adcodes. A province code (xx0000) covers its cities and
// districts, a city code (xxxx00) covers its districts; rows carry the district adcode.
// Unit users and maintainers are bound to units instead.
import type pg from 'pg';
import type { Role } from '@firelink/common';
import { notFound } from '../kernel/errors.ts';

export interface Principal {
  userId: number | null;
  username: string;
  role: Role;
  scope: Scope;
}

export type Scope =
  | { kind: 'all' }
  | { kind: 'regions'; adcodes: readonly number[] }
  | { kind: 'units'; unitIds: readonly number[] };

export const ALL: Scope = { kind: 'all' };

/**
 * SQL predicate restricting rows to the scope. `values` is the query's parameter array;
 * the function appends what it needs and returns text with `$n` placeholders.
 * `cols.region` is a district-adcode column, `cols.unit` a unit-id column; a scope kind
 * whose column is missing matches nothing (fail closed).
 */
export function scopePredicate(scope: Scope, cols: { region?: string; unit?: string }, values: unknown[]): string {
  if (scope.kind === 'all') return 'TRUE';
  if (scope.kind === 'regions') {
    if (!cols.region || scope.adcodes.length === 0) return 'FALSE';
    values.push(scope.adcodes);
    const p = `$${values.length}::int[]`;
    const c = cols.region;
    return `(${c} = ANY(${p}) OR (${c} / 100) * 100 = ANY(${p}) OR (${c} / 10000) * 10000 = ANY(${p}))`;
  }
  if (!cols.unit || scope.unitIds.length === 0) return 'FALSE';
  values.push(scope.unitIds);
  return `(${cols.unit} = ANY($${values.length}::bigint[]))`;
}

/** The same rule in TypeScript, for in-memory fan-out (live stream). */
export function scopeAllows(scope: Scope, row: { regionAdcode?: number | null; unitId?: number | null }): boolean {
  if (scope.kind === 'all') return true;
  if (scope.kind === 'regions') {
    const a = row.regionAdcode;
    if (a == null) return false;
    return scope.adcodes.some((c) => c === a || c === Math.floor(a / 100) * 100 || c === Math.floor(a / 10000) * 10000);
  }
  return row.unitId != null && scope.unitIds.includes(row.unitId);
}

/**
 * A list's region filter: a region of the caller's jurisdiction, or one above their districts
 * (a city or province narrows nothing: the scope still applies); any other region is 404, not an
 * empty list. A unit account's lists are bounded by its units, so the filter only narrows them.
 */
export function requireRegionFilter(scope: Scope, region: number | null | undefined): void {
  if (region == null || scope.kind !== 'regions' || scopeAllows(scope, { regionAdcode: region })) return;
  const above = scope.adcodes.some((a) => [Math.floor(a / 100) * 100, Math.floor(a / 10000) * 10000].includes(region));
  if (!above) throw notFound(`no region ${region} in your jurisdiction`);
}

/** A region adcode from a request, when the scope covers it; else a 404 that names it. */
export function requireRegionInScope(scope: Scope, adcode: number): void {
  if (!scopeAllows(scope, { regionAdcode: adcode })) throw notFound(`region ${adcode} is not in your jurisdiction`);
}

/** What a jurisdiction check of one unit returns: enough to name it and to decide on it. */
export interface ScopedUnit {
  id: number;
  name: string;
  regionAdcode: number | null;
  maintenanceAgencyId: number | null;
  underConstruction: boolean;
}

/**
 * The unit `id` when it lies in the scope, else a 404 — the same answer whether the unit
 * exists elsewhere or not at all, so a caller learns nothing of other jurisdictions. `lock`
 * takes the unit's row lock (FOR NO KEY UPDATE): pass it inside a write's transaction so the
 * unit cannot change district under the write. Every feature checks a unit id from a request
 * with this one function.
 */
export async function requireUnitInScope(db: Pick<pg.ClientBase, 'query'>, scope: Scope, id: number, opts: { lock?: boolean } = {}): Promise<ScopedUnit> {
  const values: unknown[] = [id];
  const pred = scopePredicate(scope, { region: 'u.region_adcode', unit: 'u.id' }, values);
  const r = await db.query({
    text: `SELECT u.id, u.name, u.region_adcode, u.maintenance_agency_id, u.under_construction
           FROM units u WHERE u.id = $1 AND ${pred}${opts.lock ? ' FOR NO KEY UPDATE OF u' : ''}`,
    values,
  });
  const row = r.rows[0] as Record<string, unknown> | undefined;
  if (!row) throw notFound(`unit ${id} not found in your jurisdiction`);
  return {
    id: Number(row.id),
    name: String(row.name),
    regionAdcode: row.region_adcode == null ? null : Number(row.region_adcode),
    maintenanceAgencyId: row.maintenance_agency_id == null ? null : Number(row.maintenance_agency_id),
    underConstruction: row.under_construction === true,
  };
}
