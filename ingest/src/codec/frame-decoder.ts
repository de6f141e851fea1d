// Stream decoder: push(chunk) returns every whole frame (and every decode error) in order
// and keeps the leftover bytes for the next push. It never sees a socket.
//
// Framing is by the length field only ('##' and '@@' may occur inside an ADU). After
// garbage, an oversize length or a missing end marker it resyncs at the next '@@'.
// Memory is bounded: at most one maximum frame (1054 bytes) is ever kept.
import { DecodeError } from './errors.ts';
import {
  END,
  HEADER_BYTES,
  MAX_ADU_BYTES,
  MIN_FRAME_BYTES,
  START,
  checksumOf,
  readHeader,
  type Frame,
} from './frame.ts';

export type DecodeResult = Frame | DecodeError;

export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);
  /** Stream offset of buf[0]. */
  private base = 0;

  /** Bytes currently held waiting for the rest of a frame. */
  get buffered(): number {
    return this.buf.length;
  }

  push(chunk: Uint8Array): DecodeResult[] {
    const out: DecodeResult[] = [];
    const buf = this.buf.length === 0 ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) : Buffer.concat([this.buf, chunk]);
    let pos = 0;
    let garbageFrom = -1;
    const flushGarbage = (to: number) => {
      if (garbageFrom >= 0 && to > garbageFrom) {
        out.push(
          new DecodeError(
            'garbage',
            `skipped ${to - garbageFrom} byte(s) at offset ${this.base + garbageFrom} that are not part of a frame (no '@@' start marker)`,
            Buffer.from(buf.subarray(garbageFrom, to)),
            this.base + garbageFrom,
          ),
        );
      }
      garbageFrom = -1;
    };
    while (pos < buf.length) {
      // Find a start marker.
      if (buf[pos] !== START || (pos + 1 < buf.length && buf[pos + 1] !== START)) {
        if (garbageFrom < 0) garbageFrom = pos;
        pos++;
        continue;
      }
      if (pos + 1 >= buf.length) break; // a lone '@' at the end: wait for more
      if (buf.length - pos < HEADER_BYTES) break; // need the header
      const aduLength = buf.readUInt16LE(pos + 24);
      if (aduLength > MAX_ADU_BYTES) {
        flushGarbage(pos);
        out.push(
          new DecodeError(
            'length',
            `ADU length ${aduLength} at offset ${this.base + pos + 24} exceeds ${MAX_ADU_BYTES}; skipping to the next '@@'`,
            Buffer.from(buf.subarray(pos, pos + HEADER_BYTES)),
            this.base + pos,
          ),
        );
        pos += 1; // not 2: the second '@' may start the real frame ('@@@' before a frame)
        continue;
      }
      const total = MIN_FRAME_BYTES + aduLength;
      if (buf.length - pos < total) break; // wait for the rest
      const end = pos + HEADER_BYTES + aduLength;
      if (buf[end + 1] !== END || buf[end + 2] !== END) {
        // Not a frame after all (a '@@' inside garbage, or a corrupt length): skip the marker.
        if (garbageFrom < 0) garbageFrom = pos;
        pos += 1;
        continue;
      }
      flushGarbage(pos);
      const raw = Buffer.from(buf.subarray(pos, pos + total)); // a copy: never share the read buffer
      const header = readHeader(raw, 0);
      const checksum = raw[HEADER_BYTES + aduLength]!;
      const expected = checksumOf(raw, 2, HEADER_BYTES + aduLength);
      if (checksum !== expected) {
        out.push(
          new DecodeError(
            'checksum',
            `checksum 0x${hex2(checksum)} at offset ${this.base + end} should be 0x${hex2(expected)} (frame of ${total} bytes at offset ${this.base + pos}, serial ${header.serial})`,
            raw,
            this.base + pos,
            { serial: header.serial, source: header.source, destination: header.destination, command: header.command },
          ),
        );
      } else {
        out.push({
          serial: header.serial,
          version: header.version,
          time: header.time,
          source: header.source,
          destination: header.destination,
          command: header.command,
          adu: raw.subarray(HEADER_BYTES, HEADER_BYTES + aduLength),
          checksum,
          checksumOk: true,
          raw,
        });
      }
      pos += total;
    }
    // Leftover: from the first byte that may still start a frame (pos stopped there).
    const keepFrom = pos;
    flushGarbage(keepFrom);
    this.base += keepFrom;
    this.buf = keepFrom >= buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(keepFrom));
    return out;
  }

  /** Call at end of input: reports a partial frame left in the buffer, then resets. */
  finish(): DecodeError[] {
    if (this.buf.length === 0) return [];
    const err = new DecodeError(
      'truncated',
      `input ended ${this.buf.length} byte(s) into a frame at offset ${this.base} (a frame is 30–1054 bytes: 27 header, ADU, checksum, '##')`,
      this.buf,
      this.base,
    );
    this.base += this.buf.length;
    this.buf = Buffer.alloc(0);
    return [err];
  }
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}
