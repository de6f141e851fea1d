// Bulk point import: rows from CSV, XLSX (already turned into records by the adapter) or the
// panel's own configuration (GB/T 26875.3 type 7 "facility component configuration" answers).
// Pure: parsing and validation only.
import { z } from 'zod';

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

// Type 7 object on the wire: system type (1) · system address (1) · component type (1) ·
// component address (4, little-endian) · description (31 bytes, GB 18030, padded 0x00/0x20).
const TYPE7 = 7;
const TYPE7_OBJECT_BYTES = 1 + 1 + 1 + 4 + 31;
const gb18030 = new TextDecoder('gb18030');

/** Floor from a description such as "3F 走廊", "B1 车库", "-2层": a common installer habit, never guaranteed. */
export function floorFromDescription(s: string): number | null {
  const b = /(?:^|[^A-Za-z])B(\d{1,2})(?![0-9])/i.exec(s) ?? /负(\d{1,2})\s*层/.exec(s) ?? /-(\d{1,2})\s*(?:F|层)/i.exec(s);
  if (b) return -Number(b[1]);
  const f = /(\d{1,3})\s*(?:F|层|楼)/i.exec(s);
  return f ? Number(f[1]) : null;
}

/**
 * Points from type 7 ADUs (each: type 7 · count n · n objects), given as hex strings — what
 * `firelink decode` shows for the answers to a 67 "read component configuration" request.
 */
export function pointsFromType7(aduHex: readonly string[]): ImportResult {
  const points: ImportedPoint[] = [];
  const errors: ImportResult['errors'] = [];
  aduHex.forEach((hex, i) => {
    const clean = hex.replace(/\s+/g, '');
    if (!/^([0-9a-fA-F]{2})+$/.test(clean)) {
      errors.push({ row: i + 1, message: 'not a hex string of whole bytes' });
      return;
    }
    const buf = Buffer.from(clean, 'hex');
    if (buf[0] !== TYPE7) {
      errors.push({ row: i + 1, message: `ADU type is ${buf[0]}, expected 7 (facility component configuration)` });
      return;
    }
    const n = buf[1] ?? 0;
    if (buf.length < 2 + n * TYPE7_OBJECT_BYTES) {
      errors.push({ row: i + 1, message: `ADU announces ${n} objects (${2 + n * TYPE7_OBJECT_BYTES} bytes) but has ${buf.length} bytes` });
      return;
    }
    for (let k = 0; k < n; k++) {
      const at = 2 + k * TYPE7_OBJECT_BYTES;
      let end = at + 7 + 31;
      while (end > at + 7 && (buf[end - 1] === 0 || buf[end - 1] === 0x20)) end--;
      const label = gb18030.decode(buf.subarray(at + 7, end)).trim();
      points.push({
        systemType: buf[at]!,
        systemAddress: buf[at + 1]!,
        componentType: buf[at + 2]!,
        componentAddress: buf.readUInt32LE(at + 3),
        floor: floorFromDescription(label),
        label: label || null,
        localXY: null,
      });
    }
  });
  return { points, errors };
}
