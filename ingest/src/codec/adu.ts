// Application data units: `type (1) · count n (1) · n objects`. One parser and one writer
// per type, symmetric, so tests and the simulator build frames with the same code the
// center decodes them with. Uploads are types 1–8, 21, 24–26, 28 (UITD → center);
// downlinks are 61–68, 81–91 (center → UITD). Unknown types are kept raw, never fatal.
import iconv from 'iconv-lite';
import {
  ADU_TYPES,
  type AduTypeName,
  COMPONENT_STATUS_BITS,
  OPERATION_BITS,
  SYSTEM_STATUS_BITS,
  UITD_OPERATION_BITS,
  UITD_STATUS_BITS,
  flagNames,
} from '@firelink/common';
import { TIME_LABEL_BYTES, readTimeLabel, writeTimeLabel } from './time-label.ts';

/** Description fields (component status/config) are 31 bytes of GB 18030 padded with 0x00 or 0x20. */
export const DESCRIPTION_BYTES = 31;

/**
 * One object to encode, or one object of a command ADU: any of the fields a layout may
 * carry (camelCase, as `firelink decode` prints). Decoded uploads have precise types below.
 */
export interface AduObject {
  systemType?: number;
  systemAddress?: number;
  componentType?: number;
  /** Raw 4-byte component address (vendors often mean loop << 16 | point). */
  componentAddress?: number;
  status?: number;
  statusFlags?: string[];
  description?: string;
  analogType?: number;
  value?: number;
  operationFlags?: number;
  operationNames?: string[];
  operator?: number;
  major?: number;
  minor?: number;
  /** Object time label, ISO local time. */
  time?: string;
  /** Read requests: number of records / answer timeout in minutes (type 91). */
  count?: number;
  timeoutMinutes?: number;
  reserved?: number;
}

// Decoded objects, per layout. A decoded object is complete: an object cut short is not
// returned (the ADU's `error` says where it was cut).
export interface SystemRef {
  systemType: number;
  systemAddress: number;
}
export interface ComponentRef extends SystemRef {
  componentType: number;
  componentAddress: number;
}
export interface StatusWord {
  status: number;
  statusFlags: string[];
}
export interface Timed {
  /** Object time label, ISO local time. */
  time: string;
}
export interface OperationRecord extends Timed {
  operationFlags: number;
  operationNames: string[];
  operator: number;
}
export interface VersionRecord {
  major: number;
  minor: number;
}
export type SystemStatusObject = SystemRef & StatusWord & Timed;
export type ComponentStatusObject = ComponentRef & StatusWord & Timed & { description: string };
export type ComponentAnalogObject = ComponentRef & Timed & { analogType: number; value: number };
export type UitdStatusObject = StatusWord & Timed;

/** Names of the ADU types (ADU_TYPES in @firelink/common), plus vendor-defined (128–254) and undefined types. */
export type AduName = AduTypeName | 'vendor' | 'unknown';

interface AduOf<N extends AduName, O> {
  type: number;
  /** The discriminant: narrow on it (`adu.typeName === 'uitdStatus'`) to get typed objects. */
  typeName: N;
  count: number;
  objects: O[];
  /** Set when the ADU could not be parsed whole (undefined type, truncated object): the raw bytes stay in the frame. */
  error?: string;
  /**
   * A type in the range GB/T 26875.3 leaves to vendors (128–254): valid, not parsed
   * (`objects` stays empty); the center keeps the frame raw.
   */
  vendorDefined?: true;
}

type UploadName =
  | 'systemStatus'
  | 'componentStatus'
  | 'componentAnalog'
  | 'systemOperation'
  | 'systemSoftwareVersion'
  | 'systemConfig'
  | 'componentConfig'
  | 'systemTime'
  | 'uitdStatus'
  | 'uitdOperation'
  | 'uitdSoftwareVersion'
  | 'uitdConfig'
  | 'uitdTime';
/** Commands the center sends (read requests, initialise, clock sync, duty check). */
type CommandName = Exclude<AduTypeName, UploadName>;

/** A decoded ADU: a discriminated union on `typeName`. */
export type Adu =
  | AduOf<'systemStatus', SystemStatusObject>
  | AduOf<'componentStatus', ComponentStatusObject>
  | AduOf<'componentAnalog', ComponentAnalogObject>
  | AduOf<'systemOperation', SystemRef & OperationRecord>
  | AduOf<'systemSoftwareVersion', SystemRef & VersionRecord>
  | AduOf<'systemConfig', SystemRef & { description: string }>
  | AduOf<'componentConfig', ComponentRef & { description: string }>
  | AduOf<'systemTime', SystemRef & Timed>
  | AduOf<'uitdStatus', UitdStatusObject>
  | AduOf<'uitdOperation', OperationRecord>
  | AduOf<'uitdSoftwareVersion', VersionRecord>
  | AduOf<'uitdConfig', { description: string }>
  | AduOf<'uitdTime', Timed>
  | AduOf<CommandName, AduObject>
  | AduOf<'vendor' | 'unknown', never>;

/** ADUs whose objects carry a status word compared with the last one (system, component, UITD). */
export type StatusAdu = Extract<Adu, { typeName: 'systemStatus' | 'componentStatus' | 'uitdStatus' }>;
export type StatusObject = SystemStatusObject | ComponentStatusObject | UitdStatusObject;

export function isStatusAdu(adu: Adu): adu is StatusAdu {
  return adu.typeName === 'systemStatus' || adu.typeName === 'componentStatus' || adu.typeName === 'uitdStatus';
}

/** What one status object is about: the UITD's own status names no system or component (0, 0, 0). */
export function statusTarget(o: StatusObject): { systemType: number; systemAddress: number; componentAddress: number } {
  return {
    systemType: 'systemType' in o ? o.systemType : 0,
    systemAddress: 'systemAddress' in o ? o.systemAddress : 0,
    componentAddress: 'componentAddress' in o ? o.componentAddress : 0,
  };
}

/** ADUs that carry host power (mains and backup): the panel's system status and the UITD's own. */
export function carriesHostPower(adu: Adu): adu is Extract<Adu, { typeName: 'systemStatus' | 'uitdStatus' }> {
  return adu.typeName === 'systemStatus' || adu.typeName === 'uitdStatus';
}

/** Vendor-defined ADU types: the standard reserves 128–254 for manufacturers. */
export function isVendorType(type: number): boolean {
  return type >= 128 && type <= 254;
}

/** Why the center keeps an ADU's frame raw (not parsed whole, or vendor-defined), or null. */
export function rawReason(adu: Adu): string | null {
  if (adu.error !== undefined) return adu.error;
  return adu.vendorDefined ? `type ${adu.type} is vendor-defined (kept raw)` : null;
}

const gb18030 = new TextDecoder('gb18030');

function readText(buf: Buffer, at: number, len: number): string {
  let end = at + len;
  // Trim trailing 0x00 / 0x20 padding.
  while (end > at && (buf[end - 1] === 0x00 || buf[end - 1] === 0x20)) end--;
  const nul = buf.indexOf(0, at);
  if (nul >= 0 && nul < end) end = nul;
  return gb18030.decode(buf.subarray(at, end));
}

function writeText(buf: Buffer, at: number, len: number, text: string | undefined): void {
  const bytes = iconv.encode(text ?? '', 'gb18030');
  if (bytes.length > len) throw new RangeError(`description is ${bytes.length} bytes in GB 18030; at most ${len} fit: shorten it`);
  buf.fill(0, at, at + len);
  bytes.copy(buf, at);
}

type Field =
  | 'systemType'
  | 'systemAddress'
  | 'componentType'
  | 'componentAddress'
  | 'status16'
  | 'status8'
  | 'description'
  | 'analogType'
  | 'value'
  | 'operationFlags'
  | 'operator'
  | 'major'
  | 'minor'
  | 'time'
  | 'count'
  | 'timeoutMinutes'
  | 'reserved'
  | 'text'; // length-prefixed text (types 6, 26)

const SIZE: Record<Exclude<Field, 'text'>, number> = {
  systemType: 1,
  systemAddress: 1,
  componentType: 1,
  componentAddress: 4,
  status16: 2,
  status8: 1,
  description: DESCRIPTION_BYTES,
  analogType: 1,
  value: 2,
  operationFlags: 1,
  operator: 1,
  major: 1,
  minor: 1,
  time: TIME_LABEL_BYTES,
  count: 1,
  timeoutMinutes: 1,
  reserved: 1,
};

const SYS: Field[] = ['systemType', 'systemAddress'];

/** Object layouts by type. */
export const LAYOUTS: Record<number, Field[]> = {
  1: [...SYS, 'status16', 'time'],
  2: [...SYS, 'componentType', 'componentAddress', 'status16', 'description', 'time'],
  3: [...SYS, 'componentType', 'componentAddress', 'analogType', 'value', 'time'],
  4: [...SYS, 'operationFlags', 'operator', 'time'],
  5: [...SYS, 'major', 'minor'],
  6: [...SYS, 'text'],
  7: [...SYS, 'componentType', 'componentAddress', 'description'],
  8: [...SYS, 'time'],
  21: ['status8', 'time'],
  24: ['operationFlags', 'operator', 'time'],
  25: ['major', 'minor'],
  26: ['text'],
  28: ['time'],
  61: SYS,
  62: [...SYS, 'componentAddress'],
  63: [...SYS, 'componentAddress'],
  64: [...SYS, 'count', 'time'],
  65: SYS,
  66: SYS,
  67: [...SYS, 'componentAddress'],
  68: SYS,
  81: ['reserved'],
  84: ['count', 'time'],
  85: ['reserved'],
  86: ['reserved'],
  88: ['reserved'],
  89: ['reserved'],
  90: ['time'],
  91: ['timeoutMinutes'],
};

function statusBits(type: number) {
  return type === 1 ? SYSTEM_STATUS_BITS : type === 2 ? COMPONENT_STATUS_BITS : UITD_STATUS_BITS;
}

const NAMES: Record<number, { name: AduTypeName } | undefined> = ADU_TYPES;

export function typeName(type: number): AduName {
  return NAMES[type]?.name ?? (type >= 128 ? 'vendor' : 'unknown');
}

class Truncated extends Error {}

/** Parses an ADU. Never throws: problems are reported in `error` with the byte offset inside the ADU. */
export function parseAdu(adu: Buffer): Adu | null {
  if (adu.length === 0) return null; // heartbeat / confirm / deny
  const type = adu[0]!;
  const count = adu.length >= 2 ? adu[1]! : 0;
  // Built generically from the layout table; the objects of a named type have its declared shape.
  const result: { type: number; typeName: AduName; count: number; objects: AduObject[]; error?: string; vendorDefined?: true } = { type, typeName: typeName(type), count, objects: [] };
  if (adu.length < 2) {
    result.error = `ADU is 1 byte; expected a type byte and an object count`;
    return result as Adu;
  }
  const layout = LAYOUTS[type];
  if (!layout) {
    if (isVendorType(type)) result.vendorDefined = true;
    else result.error = `type ${type} is not defined by GB/T 26875.3 (kept raw)`;
    return result as Adu;
  }
  let at = 2;
  const need = (n: number) => {
    if (at + n > adu.length) throw new Truncated(`object ${result.objects.length + 1} of ${count} is truncated at ADU byte ${at} (needs ${n} more, ${adu.length - at} left)`);
  };
  try {
    for (let i = 0; i < count; i++) {
      const o: AduObject = {};
      for (const f of layout) {
        switch (f) {
          case 'text': {
            need(1);
            const len = adu[at]!;
            at += 1;
            need(len);
            o.description = readText(adu, at, len);
            at += len;
            break;
          }
          case 'systemType': need(1); o.systemType = adu[at]!; at += 1; break;
          case 'systemAddress': need(1); o.systemAddress = adu[at]!; at += 1; break;
          case 'componentType': need(1); o.componentType = adu[at]!; at += 1; break;
          case 'componentAddress': need(4); o.componentAddress = adu.readUInt32LE(at); at += 4; break;
          case 'status16': need(2); o.status = adu.readUInt16LE(at); o.statusFlags = flagNames(o.status, statusBits(type)); at += 2; break;
          case 'status8': need(1); o.status = adu[at]!; o.statusFlags = flagNames(o.status, UITD_STATUS_BITS); at += 1; break;
          case 'description': need(DESCRIPTION_BYTES); o.description = readText(adu, at, DESCRIPTION_BYTES); at += DESCRIPTION_BYTES; break;
          case 'analogType': need(1); o.analogType = adu[at]!; at += 1; break;
          case 'value': need(2); o.value = adu.readInt16LE(at); at += 2; break;
          case 'operationFlags':
            need(1);
            o.operationFlags = adu[at]!;
            o.operationNames = flagNames(o.operationFlags, type === 24 ? UITD_OPERATION_BITS : OPERATION_BITS);
            at += 1;
            break;
          case 'operator': need(1); o.operator = adu[at]!; at += 1; break;
          case 'major': need(1); o.major = adu[at]!; at += 1; break;
          case 'minor': need(1); o.minor = adu[at]!; at += 1; break;
          case 'time': need(TIME_LABEL_BYTES); o.time = readTimeLabel(adu, at); at += TIME_LABEL_BYTES; break;
          case 'count': need(1); o.count = adu[at]!; at += 1; break;
          case 'timeoutMinutes': need(1); o.timeoutMinutes = adu[at]!; at += 1; break;
          case 'reserved': need(1); o.reserved = adu[at]!; at += 1; break;
        }
      }
      result.objects.push(o);
    }
    if (at < adu.length) result.error = `${adu.length - at} trailing byte(s) after ${count} object(s) at ADU byte ${at}`;
  } catch (err) {
    if (!(err instanceof Truncated)) throw err;
    result.error = err.message;
  }
  return result as Adu;
}

export interface AduInput {
  type: number;
  objects: AduObject[];
}

/** Writes an ADU of a known type. Missing numeric fields are 0; a missing time is an error. */
export function encodeAdu(input: AduInput): Buffer {
  const layout = LAYOUTS[input.type];
  if (!layout) throw new RangeError(`cannot encode ADU type ${input.type}: not a GB/T 26875.3 type (known: ${Object.keys(LAYOUTS).join(', ')})`);
  if (input.objects.length > 255) throw new RangeError(`at most 255 objects per ADU, got ${input.objects.length}`);
  const texts = input.objects.map((o) => (layout.includes('text') ? iconv.encode(o.description ?? '', 'gb18030') : null));
  let size = 2;
  for (let i = 0; i < input.objects.length; i++) {
    for (const f of layout) size += f === 'text' ? 1 + texts[i]!.length : SIZE[f];
  }
  const buf = Buffer.alloc(size);
  buf[0] = input.type;
  buf[1] = input.objects.length;
  let at = 2;
  input.objects.forEach((o, i) => {
    for (const f of layout) {
      switch (f) {
        case 'text': {
          const t = texts[i]!;
          if (t.length > 255) throw new RangeError(`configuration text is ${t.length} bytes; at most 255`);
          buf[at] = t.length;
          t.copy(buf, at + 1);
          at += 1 + t.length;
          break;
        }
        case 'systemType': buf[at++] = o.systemType ?? 0; break;
        case 'systemAddress': buf[at++] = o.systemAddress ?? 0; break;
        case 'componentType': buf[at++] = o.componentType ?? 0; break;
        case 'componentAddress': buf.writeUInt32LE(o.componentAddress ?? 0, at); at += 4; break;
        case 'status16': buf.writeUInt16LE(o.status ?? 0, at); at += 2; break;
        case 'status8': buf[at++] = o.status ?? 0; break;
        case 'description': writeText(buf, at, DESCRIPTION_BYTES, o.description); at += DESCRIPTION_BYTES; break;
        case 'analogType': buf[at++] = o.analogType ?? 0; break;
        case 'value': buf.writeInt16LE(o.value ?? 0, at); at += 2; break;
        case 'operationFlags': buf[at++] = o.operationFlags ?? 0; break;
        case 'operator': buf[at++] = o.operator ?? 0; break;
        case 'major': buf[at++] = o.major ?? 0; break;
        case 'minor': buf[at++] = o.minor ?? 0; break;
        case 'time':
          if (!o.time) throw new RangeError(`ADU type ${input.type} object ${i + 1} needs a time (ISO local "YYYY-MM-DDTHH:MM:SS")`);
          writeTimeLabel(buf, at, o.time);
          at += TIME_LABEL_BYTES;
          break;
        case 'count': buf[at++] = o.count ?? 0; break;
        case 'timeoutMinutes': buf[at++] = o.timeoutMinutes ?? 0; break;
        case 'reserved': buf[at++] = o.reserved ?? 0; break;
      }
    }
  });
  return buf;
}
