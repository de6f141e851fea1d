// GET /api/units/positions: the command map's units as packed columns (binary by default,
// JSON arrays with ?format=json), with an ETag over the body so an unchanged jurisdiction
// revalidates with 304 and no transfer. Layout: common/src/unit-positions.ts.
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { allocUnitPositions, UNIT_POSITIONS_CONTENT_TYPE, unitPositionsQuerySchema, unitPositionsToJson, type UnitPositions } from '@firelink/common';
import type { Scope } from '../auth/scope.ts';
import type { Pool } from '../db/pool.ts';
import * as q from './queries.ts';

/** Reads the scope's units (one row of big-endian columns, see queries.ts) into the little-endian binary layout. */
export async function packUnitPositions(pool: Pool, scope: Scope): Promise<{ bytes: Uint8Array; columns: UnitPositions }> {
  const r = await pool.query<{ n: number; ids: Buffer; lonlat: Buffer; regions: Buffer; sf: Buffer }>(q.unitPositions(scope));
  const row = r.rows[0]!;
  const n = row.n;
  if (row.ids.length !== 8 * n || row.lonlat.length !== 8 * n || row.regions.length !== 4 * n || row.sf.length !== 2 * n) {
    throw new Error(`unit positions: column lengths do not match ${n} units (query and packer disagree)`);
  }
  const out = allocUnitPositions(n);
  const { ids, lonLat, regions, states, flags } = out.columns;
  const dv = (b: Buffer) => new DataView(b.buffer, b.byteOffset, b.byteLength);
  const idv = dv(row.ids);
  const ldv = dv(row.lonlat);
  const rdv = dv(row.regions);
  for (let i = 0; i < n; i++) {
    if (idv.getUint32(8 * i) !== 0) throw new Error(`unit id ${idv.getBigUint64(8 * i)} does not fit the positions format (u32); raise the format version to 64-bit ids`);
    ids[i] = idv.getUint32(8 * i + 4);
    lonLat[2 * i] = ldv.getFloat32(8 * i);
    lonLat[2 * i + 1] = ldv.getFloat32(8 * i + 4);
    regions[i] = rdv.getUint32(4 * i);
    states[i] = row.sf[2 * i]!;
    flags[i] = row.sf[2 * i + 1]!;
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
