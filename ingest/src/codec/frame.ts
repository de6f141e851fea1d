// GB/T 26875.3 frame layout, checksum and the frame writer. All multi-byte integers are
// little-endian. There is no escaping: frames are delimited by the length field only.
//
//   0–1   start '@@'            2–3  serial (业务流水号), echoed by the reply
//   4     protocol main version 5    protocol user version
//   6–11  time label            12–17 source address (6 bytes)   18–23 destination (6 bytes)
//   24–25 ADU length (0–1024)   26   command                      27…  ADU
//   then  checksum (low 8 bits of the sum of bytes 2..26 and every ADU byte), '##'
import { TIME_LABEL_BYTES, isoLocalAt, readTimeLabel, writeTimeLabel } from './time-label.ts';

export const START = 0x40; // '@'
export const END = 0x23; // '#'
export const HEADER_BYTES = 27;
export const TRAILER_BYTES = 3;
export const MIN_FRAME_BYTES = HEADER_BYTES + TRAILER_BYTES; // 30
export const MAX_ADU_BYTES = 1024;
export const MAX_FRAME_BYTES = MIN_FRAME_BYTES + MAX_ADU_BYTES; // 1054

export const Command = {
  control: 1,
  sendData: 2,
  confirm: 3,
  request: 4,
  answer: 5,
  deny: 6,
} as const;

export interface FrameHeader {
  serial: number;
  version: { main: number; user: number };
  /** Header time label, ISO local time without zone. */
  time: string;
  source: number;
  destination: number;
  command: number;
}

/** One whole frame off the wire. `adu` and `raw` are private copies. */
export interface Frame extends FrameHeader {
  adu: Buffer;
  checksum: number;
  checksumOk: boolean;
  raw: Buffer;
}

export function checksumOf(buf: Buffer, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += buf[i]!;
  return sum & 0xff;
}

export function readUInt48LE(buf: Buffer, at: number): number {
  return buf.readUInt32LE(at) + buf.readUInt16LE(at + 4) * 0x1_0000_0000;
}

/** Reads the header of a frame starting at `at` (the caller checked there are 27 bytes). */
export function readHeader(buf: Buffer, at: number): FrameHeader {
  return {
    serial: buf.readUInt16LE(at + 2),
    version: { main: buf[at + 4]!, user: buf[at + 5]! },
    time: readTimeLabel(buf, at + 6),
    source: readUInt48LE(buf, at + 12),
    destination: readUInt48LE(buf, at + 18),
    command: buf[at + 26]!,
  };
}

export interface FrameInput {
  serial: number;
  version?: { main: number; user: number };
  /** ISO local time; defaults to now in UTC+8. */
  time?: string;
  source: number;
  destination: number;
  command: number;
  adu?: Buffer;
}

/** Writes a whole frame. The checksum is computed unless `badChecksum` is set (for tests). */
export function encodeFrame(f: FrameInput, opts: { badChecksum?: boolean } = {}): Buffer {
  const adu = f.adu ?? Buffer.alloc(0);
  if (adu.length > MAX_ADU_BYTES) throw new RangeError(`ADU is ${adu.length} bytes; the maximum is ${MAX_ADU_BYTES}: split the objects over several frames`);
  if (!Number.isInteger(f.serial) || f.serial < 0 || f.serial > 0xffff) throw new RangeError(`serial must be 0–65535, got ${f.serial}`);
  const buf = Buffer.alloc(MIN_FRAME_BYTES + adu.length);
  buf[0] = START;
  buf[1] = START;
  buf.writeUInt16LE(f.serial, 2);
  buf[4] = f.version?.main ?? 1;
  buf[5] = f.version?.user ?? 1;
  writeTimeLabel(buf, 6, f.time ?? isoLocalAt(new Date()));
  buf.writeUIntLE(f.source, 12, 6);
  buf.writeUIntLE(f.destination, 18, 6);
  buf.writeUInt16LE(adu.length, 24);
  buf[26] = f.command;
  adu.copy(buf, HEADER_BYTES);
  const end = HEADER_BYTES + adu.length;
  const sum = checksumOf(buf, 2, end);
  buf[end] = opts.badChecksum ? (sum + 1) & 0xff : sum;
  buf[end + 1] = END;
  buf[end + 2] = END;
  return buf;
}

/** The reply to an upload: same serial, source and destination swapped, empty ADU. */
function reply(to: FrameHeader, command: number, time?: string): Buffer {
  return encodeFrame({
    serial: to.serial,
    version: to.version,
    time: time ?? isoLocalAt(new Date()),
    source: to.destination,
    destination: to.source,
    command,
  });
}

/** Confirm (command 3) of a received frame. */
export function encodeConfirm(to: FrameHeader, time?: string): Buffer {
  return reply(to, Command.confirm, time);
}

/** Deny (command 6) of a received frame (bad checksum, refused type). */
export function encodeDeny(to: { serial: number; source: number; destination: number; version?: { main: number; user: number } }, time?: string): Buffer {
  return reply({ version: { main: 1, user: 1 }, time: '', command: 0, ...to }, Command.deny, time);
}

export { TIME_LABEL_BYTES };

/** A whole frame from its raw bytes (length already validated), e.g. to show a frame whose checksum failed. */
export function frameFromRaw(raw: Buffer): Frame {
  const header = readHeader(raw, 0);
  const aduLength = raw.readUInt16LE(24);
  const checksum = raw[HEADER_BYTES + aduLength]!;
  return {
    ...header,
    adu: raw.subarray(HEADER_BYTES, HEADER_BYTES + aduLength),
    checksum,
    checksumOk: checksum === checksumOf(raw, 2, HEADER_BYTES + aduLength),
    raw,
  };
}
