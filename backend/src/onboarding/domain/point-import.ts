// Bulk point import: rows from CSV, XLSX (already turned into records by the adapter) or the
// panel's own configuration (GB/T 26875.3 type 7 "facility component configuration" answers).
// Pure: parsing and validation only (INGEST's codec is transport-free).
import { z } from 'zod';
import { MIN_FRAME_BYTES, frameFromRaw, parseAdu } from '@firelink/ingest';
import { badRequest } from '../../kernel/errors.ts';

/** One point to upsert. componentAddress is the raw 4-byte address (loop·65536 + point when given as loop/point). */
export interface ImportedPoint {
  systemType: number;
  systemAddress: number;
  componentType: number;
  componentAddress: number;
  floor: number | null;
  label: string | null;
  /** Position in the building frame (metres), when the source has it. */
  localXY: [number, number] | null;
}

// Spreadsheet cells arrive as strings ('' when empty) or numbers; '' means "not given".
const blankToUndef = (v: unknown) => (v === '' || v == null ? undefined : typeof v === 'string' ? v.trim() : v);
const toNum = (v: unknown) => {
  const b = blankToUndef(v);
  return typeof b === 'string' ? Number(b) : b;
};
const int = (min: number, max: number) => z.number().int().min(min).max(max);
const optInt = (min: number, max: number) => z.preprocess(toNum, int(min, max).optional());
const optNum = z.preprocess(toNum, z.number().finite().optional());

/**
 * A CSV/XLSX row. Column names (header row): system_type, system_address, component_type,
 * component_address or loop + point, floor, label, x, y (metres in the building frame).
 */
export const pointRowSchema = z
  .object({
    system_type: z.preprocess(toNum, int(0, 255).default(1)),
    system_address: z.preprocess(toNum, int(0, 255).default(0)),
    component_type: z.preprocess(toNum, int(0, 255)),
    component_address: optInt(0, 0xffffffff),
    loop: optInt(0, 0xffff),
    point: optInt(0, 0xffff),
    floor: optInt(-20, 200),
    label: z.preprocess((v) => (blankToUndef(v) === undefined ? undefined : String(blankToUndef(v))), z.string().max(100).optional()),
    x: optNum,
    y: optNum,
  })
  .refine((r) => r.component_address !== undefined || (r.loop !== undefined && r.point !== undefined), {
    message: 'give component_address, or loop and point',
  });

export interface ImportResult {
  points: ImportedPoint[];
  /** Row number (1 = first data row) and what is wrong with it. */
  errors: Array<{ row: number; message: string }>;
}

/** Keys are lower-cased and trimmed so "Component_Type " matches. */
export function pointsFromRecords(records: ReadonlyArray<Record<string, unknown>>): ImportResult {
  const points: ImportedPoint[] = [];
  const errors: ImportResult['errors'] = [];
  records.forEach((rec, i) => {
    const norm = Object.fromEntries(Object.entries(rec).map(([k, v]) => [k.trim().toLowerCase(), v]));
    const r = pointRowSchema.safeParse(norm);
    if (!r.success) {
      errors.push({ row: i + 1, message: r.error.issues.map((x) => `${x.path.join('.') || 'row'}: ${x.message}`).join('; ') });
      return;
    }
    const d = r.data;
    points.push({
      systemType: d.system_type,
      systemAddress: d.system_address,
      componentType: d.component_type,
      componentAddress: d.component_address ?? d.loop! * 65536 + d.point!,
      floor: d.floor ?? null,
      label: d.label ?? null,
      localXY: d.x !== undefined && d.y !== undefined ? [d.x, d.y] : null,
    });
  });
  return { points, errors };
}

// Type 7 ADUs are decoded by INGEST's codec (the same parser the TCP server uses).
const TYPE7 = 7;
/** Frames start with "@@" and end with "##" (GB/T 26875.3 §8.2.1). */
const FRAME_START = Buffer.from('@@');

/** Floor from a description such as "3F 走廊", "B1 车库", "-2层": a common installer habit, never guaranteed. */
export function floorFromDescription(s: string): number | null {
  const b = /(?:^|[^A-Za-z])B(\d{1,2})(?![0-9])/i.exec(s) ?? /负(\d{1,2})\s*层/.exec(s) ?? /-(\d{1,2})\s*(?:F|层)/i.exec(s);
  if (b) return -Number(b[1]);
  const f = /(\d{1,3})\s*(?:F|层|楼)/i.exec(s);
  return f ? Number(f[1]) : null;
}

/**
 * Points from type 7 answers (facility component configuration), given as hex strings of
 * either the ADU (type 7 · count n · n objects) or the whole frame, as `firelink decode`
 * shows the answers to a "read component configuration" request.
 */
export function pointsFromType7(hexes: readonly string[]): ImportResult {
  const points: ImportedPoint[] = [];
  const errors: ImportResult['errors'] = [];
  hexes.forEach((hex, i) => {
    const clean = hex.replace(/\s+/g, '');
    if (!/^([0-9a-fA-F]{2})+$/.test(clean)) {
      errors.push({ row: i + 1, message: 'not a hex string of whole bytes' });
      return;
    }
    let buf: Buffer = Buffer.from(clean, 'hex');
    if (buf.length >= MIN_FRAME_BYTES && buf.subarray(0, 2).equals(FRAME_START)) {
      const aduLength = buf.readUInt16LE(24);
      if (buf.length < MIN_FRAME_BYTES + aduLength) {
        errors.push({ row: i + 1, message: `frame announces ${aduLength} ADU bytes but is only ${buf.length} bytes long` });
        return;
      }
      const frame = frameFromRaw(buf);
      if (!frame.checksumOk) {
        errors.push({ row: i + 1, message: 'frame checksum is wrong: copy the whole frame again' });
        return;
      }
      buf = frame.adu;
    }
    if (buf[0] !== TYPE7) {
      errors.push({ row: i + 1, message: `ADU type is ${buf[0]}, expected 7 (facility component configuration)` });
      return;
    }
    const adu = parseAdu(buf);
    if (!adu || adu.error || adu.typeName !== 'componentConfig') {
      errors.push({ row: i + 1, message: `cannot decode the type 7 ADU: ${adu?.error ?? 'empty'}` });
      return;
    }
    for (const o of adu.objects) {
      const label = o.description.trim();
      points.push({
        systemType: o.systemType,
        systemAddress: o.systemAddress,
        componentType: o.componentType,
        componentAddress: o.componentAddress,
        floor: floorFromDescription(label),
        label: label || null,
        localXY: null,
      });
    }
  });
  return { points, errors };
}

/** An import is all or nothing: any invalid row refuses the whole file (400 with the first 100 rows' reasons). */
export function assertImportable(r: ImportResult): void {
  if (r.errors.length) {
    throw badRequest(`${r.errors.length} row(s) are invalid; nothing was imported: fix them and send the file again`, { rows: r.errors.slice(0, 100) });
  }
}

/** The facility system a point hangs off, as a map key. */
export const systemKey = (p: Pick<ImportedPoint, 'systemType' | 'systemAddress'>) => `${p.systemType}:${p.systemAddress}`;
