// GET /api/units/positions: the command map's units as packed columns (binary by default,
// JSON arrays with ?format=json), with an ETag over the body so an unchanged jurisdiction
// revalidates with 304 and no transfer. Layout: common/src/unit-positions.ts.
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { allocUnitPositions, UNIT_POSITIONS_CONTENT_TYPE, unitPositionsQuerySchema, unitPositionsToJson, type UnitPositions } from '@firelink/common';
import type { Scope } from '../auth/scope.ts';
import type { Pool } from '../db/pool.ts';
import * as q from './queries.ts';

/** Reads the scope's units and packs them into the binary layout. */
export async function packUnitPositions(pool: Pool, scope: Scope): Promise<{ bytes: Uint8Array; columns: UnitPositions }> {
  const query = q.unitPositions(scope);
  const r = await pool.query<[number, number, number, number, number, number]>({ text: query.text, values: query.values, rowMode: 'array' });
  const out = allocUnitPositions(r.rows.length);
  const { ids, lonLat, regions, states, flags } = out.columns;
  for (let i = 0; i < r.rows.length; i++) {
    const row = r.rows[i]!;
    if (row[0] > 0xffffffff) throw new Error(`unit id ${row[0]} does not fit the positions format (u32); raise the format version to 64-bit ids`);
    ids[i] = row[0];
    lonLat[2 * i] = row[1];
    lonLat[2 * i + 1] = row[2];
    regions[i] = row[3];
    states[i] = row[4];
    flags[i] = row[5];
  }
  return out;
}

/** True when the If-None-Match header names this entity tag (weak comparison, RFC 9110 13.1.2). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const strip = (t: string) => t.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => t.trim() === '*' || strip(t) === strip(etag));
}

export async function sendUnitPositions(pool: Pool, scope: Scope, req: Request, res: Response): Promise<void> {
  const { format } = unitPositionsQuerySchema.parse(req.query);
  const packed = await packUnitPositions(pool, scope);
  const body =
    format === 'json'
      ? Buffer.from(JSON.stringify(unitPositionsToJson(packed.columns)))
      : Buffer.from(packed.bytes.buffer, packed.bytes.byteOffset, packed.bytes.byteLength);
  const etag = `"${format}-${createHash('sha1').update(body).digest('base64url')}"`;
  res.set({
    ETag: etag,
    // Per user (jurisdiction): private; always revalidate (states change with every alarm).
    'Cache-Control': 'private, no-cache',
    Vary: 'Cookie, Authorization',
    'X-Unit-Count': String(packed.columns.count),
  });
  if (etagMatches(req.headers['if-none-match'], etag)) {
    res.status(304).end();
    return;
  }
  res.type(format === 'json' ? 'application/json' : UNIT_POSITIONS_CONTENT_TYPE).send(body);
}
