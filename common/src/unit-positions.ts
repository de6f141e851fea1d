// GET /api/units/positions: every unit of the caller's jurisdiction for the command map, as
// columns. The default body is binary (typed-array views, no parsing, ~18 bytes a unit);
// `?format=json` gives the same columns as JSON arrays (debugging, scripts).
//
// Binary layout, little-endian, every section 4-byte aligned (n = count):
//   offset 0        u32  magic 0x50554C46 ('FLUP' as bytes F L U P)
//   offset 4        u16  version (1)
//   offset 6        u16  reserved (0)
//   offset 8        u32  count n
//   offset 12       u32  reserved (0)
//   offset 16       Uint32[n]    unit ids, ascending
//   offset 16+4n    Float32[2n]  lon, lat interleaved (WGS-84 degrees; deck.gl getPosition as-is)
//   offset 16+12n   Uint32[n]    district adcode (0 = none)
//   offset 16+16n   Uint8[n]     map state / colour class (UNIT_POSITION_STATE)
//   offset 16+17n   Uint8[n]     flags (UNIT_POSITION_FLAG); importance = highRisk bit
//   total           16 + 18n bytes
// Units without a location are left out. The response carries an ETag; send If-None-Match
// to get 304 when nothing changed.
import { z } from 'zod';

export const UNIT_POSITIONS_MAGIC = 0x50554c46;
export const UNIT_POSITIONS_VERSION = 1;
export const UNIT_POSITIONS_HEADER_BYTES = 16;
export const UNIT_POSITIONS_CONTENT_TYPE = 'application/vnd.firelink.unit-positions';

/** Map state of a unit, the same order as the frontend's UNIT_STATE (fire > unopened > offline > fault > normal). */
export const UNIT_POSITION_STATE = { normal: 0, fault: 1, fire: 2, offline: 3, unopened: 4 } as const;

export const UNIT_POSITION_FLAG = {
  /** Onboarding state 'open' (connected; counts towards the connection rate). */
  open: 1,
  /** A device of the unit is online (a unit without devices counts as online when open). */
  online: 2,
  hasControlRoom: 4,
  /** High-risk category: drawn larger (the importance of the unit). */
  highRisk: 8,
  underConstruction: 16,
} as const;

export interface UnitPositions {
  count: number;
  ids: Uint32Array;
  /** lon, lat interleaved. */
  lonLat: Float32Array;
  regions: Uint32Array;
  states: Uint8Array;
  flags: Uint8Array;
}

export const unitPositionsQuerySchema = z.object({
  format: z.enum(['bin', 'json']).default('bin'),
});

/** `?format=json`: the same columns as arrays (lonLat interleaved, 6 decimals). */
export const unitPositionsJsonSchema = z.object({
  version: z.literal(UNIT_POSITIONS_VERSION),
  count: z.number().int().nonnegative(),
  ids: z.array(z.number().int()),
  lonLat: z.array(z.number()),
  regions: z.array(z.number().int()),
  states: z.array(z.number().int()),
  flags: z.array(z.number().int()),
});
export type UnitPositionsJson = z.infer<typeof unitPositionsJsonSchema>;

export const unitPositionsByteLength = (n: number) => UNIT_POSITIONS_HEADER_BYTES + 18 * n;

/** Allocates the columns for n units, backed by one buffer laid out as the binary body. */
export function allocUnitPositions(n: number): { bytes: Uint8Array; columns: UnitPositions } {
  const buf = new ArrayBuffer(unitPositionsByteLength(n));
  const dv = new DataView(buf);
  dv.setUint32(0, UNIT_POSITIONS_MAGIC, true);
  dv.setUint16(4, UNIT_POSITIONS_VERSION, true);
  dv.setUint32(8, n, true);
  return { bytes: new Uint8Array(buf), columns: views(buf, 0, n) };
}

function views(buf: ArrayBufferLike, base: number, n: number): UnitPositions {
  const h = base + UNIT_POSITIONS_HEADER_BYTES;
  return {
    count: n,
    ids: new Uint32Array(buf, h, n),
    lonLat: new Float32Array(buf, h + 4 * n, 2 * n),
    regions: new Uint32Array(buf, h + 12 * n, n),
    states: new Uint8Array(buf, h + 16 * n, n),
    flags: new Uint8Array(buf, h + 17 * n, n),
  };
}

/**
 * Typed-array views over a binary body (no copy when the body starts 4-byte aligned, as a
 * fetch() ArrayBuffer does). Throws with what is wrong when the body is not this format.
 */
export function decodeUnitPositions(body: ArrayBuffer | Uint8Array): UnitPositions {
  let bytes = body instanceof Uint8Array ? body : new Uint8Array(body);
  if (bytes.byteOffset % 4 !== 0) bytes = bytes.slice(); // typed views need aligned offsets
  if (bytes.byteLength < UNIT_POSITIONS_HEADER_BYTES) throw new Error(`unit positions: body of ${bytes.byteLength} bytes is shorter than the 16-byte header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = dv.getUint32(0, true);
  if (magic !== UNIT_POSITIONS_MAGIC) throw new Error(`unit positions: bad magic 0x${magic.toString(16)}; is this GET /api/units/positions?`);
  const version = dv.getUint16(4, true);
  if (version !== UNIT_POSITIONS_VERSION) throw new Error(`unit positions: version ${version}, this client reads ${UNIT_POSITIONS_VERSION}; reload the page`);
  const n = dv.getUint32(8, true);
  if (bytes.byteLength !== unitPositionsByteLength(n)) {
    throw new Error(`unit positions: ${bytes.byteLength} bytes for ${n} units, expected ${unitPositionsByteLength(n)} (truncated download?)`);
  }
  return views(bytes.buffer, bytes.byteOffset, n);
}

export function unitPositionsToJson(p: UnitPositions): UnitPositionsJson {
  const round = (x: number) => Math.round(x * 1e6) / 1e6;
  return {
    version: UNIT_POSITIONS_VERSION,
    count: p.count,
    ids: Array.from(p.ids),
    lonLat: Array.from(p.lonLat, round),
    regions: Array.from(p.regions),
    states: Array.from(p.states),
    flags: Array.from(p.flags),
  };
}
