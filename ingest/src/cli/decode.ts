// `firelink decode <hex>` / `firelink decode -`: one JSON object per frame on stdout.
// Invalid input: exit 1 with what is wrong at which byte on stderr.
import { createInterface } from 'node:readline';
import { DecodeError } from '../codec/errors.ts';
import { FrameDecoder } from '../codec/frame-decoder.ts';
import { frameFromRaw } from '../codec/frame.ts';
import { describeFrame, parseHex } from '../codec/describe.ts';

const USAGE = 'usage: firelink decode <hex bytes, spaces allowed>   |   firelink decode -   (one hex frame per line on stdin)';

export interface DecodeIo {
  out: (line: string) => void;
  err: (line: string) => void;
  stdin?: NodeJS.ReadableStream;
}

/** Decodes one hex text; returns false when anything in it was invalid. */
export function decodeHexLine(text: string, io: DecodeIo, label = ''): boolean {
  let bytes: Buffer;
  try {
    bytes = parseHex(text);
  } catch (err) {
    io.err(`decode${label}: ${(err as Error).message}`);
    return false;
  }
  if (bytes.length === 0) {
    io.err(`decode${label}: no bytes given`);
    return false;
  }
  const decoder = new FrameDecoder();
  let ok = true;
  let frames = 0;
  const items = [...decoder.push(bytes), ...decoder.finish()];
  for (const item of items) {
    if (item instanceof DecodeError) {
      ok = false;
      io.err(`decode${label}: ${item.message}`);
      // A complete frame with a bad checksum is still shown, with "checksumOk": false.
      if (item.code === 'checksum') io.out(JSON.stringify(describeFrame(frameFromRaw(item.bytes))));
      continue;
    }
    frames++;
    const d = describeFrame(item);
    io.out(JSON.stringify(d));
    if (d.adu?.error) {
      ok = false;
      io.err(`decode${label}: serial ${d.serial}: ${d.adu.error}`);
    }
  }
  if (frames === 0 && ok) {
    io.err(`decode${label}: no frame found (a frame starts with 40 40 and is at least 30 bytes)`);
    ok = false;
  }
  return ok;
}

export async function decodeCommand(args: string[], io: DecodeIo = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) }): Promise<number> {
  if (args.length === 0 || args[0] === '--help' || args[0] === '-h') {
    io.err(USAGE);
    return args.length === 0 ? 1 : 0;
  }
  if (args.length === 1 && args[0] === '-') {
    const rl = createInterface({ input: io.stdin ?? process.stdin, crlfDelay: Infinity });
    let ok = true;
    let n = 0;
    for await (const line of rl) {
      n++;
      if (line.trim() === '') continue;
      if (!decodeHexLine(line, io, ` line ${n}`)) ok = false;
    }
    return ok ? 0 : 1;
  }
  return decodeHexLine(args.join(' '), io) ? 0 : 1;
}
