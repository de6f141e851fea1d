// A frame as a plain JSON-ready object (what `firelink decode` prints), and hex input.
import { GB_COMMANDS } from '@firelink/common';
import { parseAdu, rawReason, type Adu } from './adu.ts';
import { DecodeError } from './errors.ts';
import type { Frame, FrameHeader } from './frame.ts';

export interface FrameDescription extends FrameHeader {
  commandName: string;
  checksumOk: boolean;
  length: number;
  /** Empty ADU: a heartbeat (command 2), a confirm or a deny. */
  adu: Adu | null;
  /** The ADU bytes in hex when the type is vendor-defined or unknown, or could not be parsed whole. */
  aduHex?: string;
}

export function commandName(command: number): string {
  return GB_COMMANDS[command]?.name ?? (command >= 128 ? 'vendor' : 'unknown');
}

export function describeFrame(frame: Frame): FrameDescription {
  const adu = parseAdu(frame.adu);
  const d: FrameDescription = {
    serial: frame.serial,
    version: frame.version,
    time: frame.time,
    source: frame.source,
    destination: frame.destination,
    command: frame.command,
    commandName: frame.adu.length === 0 && frame.command === 2 ? 'heartbeat' : commandName(frame.command),
    checksumOk: frame.checksumOk,
    length: frame.raw.length,
    adu,
  };
  if (adu && rawReason(adu) !== null) d.aduHex = frame.adu.toString('hex');
  return d;
}

/** Hex text (spaces, tabs, colons and a 0x prefix allowed) to bytes; reports the first bad character. */
export function parseHex(text: string): Buffer {
  const cleaned: string[] = [];
  let t = text.trim();
  if (/^0x/i.test(t)) t = t.slice(2);
  for (let i = 0; i < t.length; i++) {
    const c = t[i]!;
    if (c === ' ' || c === '\t' || c === ':' || c === '\r' || c === '\n') continue;
    if (!/[0-9a-fA-F]/.test(c)) {
      throw new DecodeError('hex', `character ${JSON.stringify(c)} at position ${i + 1} is not a hex digit (expected 0-9, a-f; spaces allowed)`, Buffer.alloc(0), cleaned.length >> 1);
    }
    cleaned.push(c);
  }
  if (cleaned.length % 2 !== 0) {
    throw new DecodeError('hex', `odd number of hex digits (${cleaned.length}): every byte needs two digits`, Buffer.alloc(0), cleaned.length >> 1);
  }
  return Buffer.from(cleaned.join(''), 'hex');
}
