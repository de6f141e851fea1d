// A point on the map as a query parameter, and whether the caller may ask about it: the
// dispatch suggestions and the nearest water sources both take a WGS84 point and answer
// only for places inside the caller's jurisdiction (the answer may come from any district).
import type pg from 'pg';
import { z } from 'zod';
import type { Principal } from '../auth/scope.ts';
import type { Pool } from '../db/pool.ts';
import { forbidden } from '../kernel/errors.ts';
import { pointInScopeQuery } from './queries.ts';

/** Longitude in a query string, WGS84 degrees. */
export const lonQuery = z.coerce.number().min(-180, 'lon must be −180…180 (WGS84 degrees)').max(180, 'lon must be −180…180 (WGS84 degrees)');
/** Latitude in a query string, WGS84 degrees. */
export const latQuery = z.coerce.number().min(-90, 'lat must be −90…90 (WGS84 degrees)').max(90, 'lat must be −90…90 (WGS84 degrees)');

/**
 * Refuses (forbidden) a point outside the caller's districts, and unit accounts altogether;
 * `what` names the answer for the message ("dispatch suggestions", "water sources").
 */
export async function assertPointInScope(db: Pool | pg.ClientBase, p: Pick<Principal, 'scope'>, lonWgs84: number, latWgs84: number, what: string): Promise<void> {
  if (p.scope.kind === 'all') return;
  if (p.scope.kind === 'units') throw forbidden(`${what} are for jurisdiction users, not unit accounts`);
  const r = await db.query(pointInScopeQuery(p.scope, lonWgs84, latWgs84));
  if (!r.rows[0]?.ok) throw forbidden('this point is outside your jurisdiction; ask the center or a user whose regions cover it');
}
