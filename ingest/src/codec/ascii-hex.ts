// Some vendors' UITDs send GB/T 26875.3 frames as ASCII hex text over the same TCP port
// ("4040 0100 …2323"). This turns such a text stream back into bytes for FrameDecoder, and
// our replies into text for the device. Whitespace and line breaks between digits are
// allowed; anything else is counted as garbage (and skipped).

const ASCII_4 = 0x34;
const ASCII_0 = 0x30;

/** Value of an ASCII hex digit, or -1. */
function nibble(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/**
 * How a connection speaks, from its first bytes: binary frames start with '@@' (0x40 0x40),
 * ASCII-hex ones with the text "4040". Null until there are enough bytes to tell.
 */
export function detectWireFormat(head: Uint8Array): 'binary' | 'ascii-hex' | null {
  const b: number[] = [];
  for (const c of head) {
    if (b.length === 0 && isSpace(c)) continue;
    b.push(c);
    if (b.length === 4) break;
  }
  if (b.length >= 1 && b[0] === 0x40) return 'binary';
  if (b.length < 4) return b.every((c, i) => c === [ASCII_4, ASCII_0, ASCII_4, ASCII_0][i]) ? null : 'binary';
  return b[0] === ASCII_4 && b[1] === ASCII_0 && b[2] === ASCII_4 && b[3] === ASCII_0 ? 'ascii-hex' : 'binary';
}

export class AsciiHexFramer {
  /** A digit waiting for its partner (pairs may span chunks). */
  private high = -1;

  /** The bytes of the hex digits in `chunk`, and how many other (non-space) characters it had. */
  push(chunk: Uint8Array): { bytes: Buffer; garbage: number } {
    const out = Buffer.allocUnsafe(Math.ceil((chunk.length + 1) / 2));
    let n = 0;
    let garbage = 0;
    for (const c of chunk) {
      const v = nibble(c);
      if (v < 0) {
        if (!isSpace(c)) garbage++;
        continue;
      }
      if (this.high < 0) this.high = v;
      else {
        out[n++] = (this.high << 4) | v;
        this.high = -1;
      }
    }
    return { bytes: out.subarray(0, n), garbage };
  }
}

/** A reply for an ASCII-hex device: the frame's bytes as upper-case hex text. */
export function toAsciiHex(bytes: Uint8Array): Buffer {
  return Buffer.from(Buffer.from(bytes).toString('hex').toUpperCase(), 'ascii');
}
