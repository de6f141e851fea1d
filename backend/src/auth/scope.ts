// The one jurisdiction filter. Every list, detail, stat, tile and live subscription
// composes this predicate into its SQL; nothing else decides who sees what.
//
// A jurisdiction is a set of region adcodes. A province code (xx0000) covers its cities and
// districts, a city code (xxxx00) covers its districts; rows carry the district adcode.
// Unit users and maintainers are bound to units instead.
import type { Role } from '@firelink/common';

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
