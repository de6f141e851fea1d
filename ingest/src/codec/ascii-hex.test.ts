import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AsciiHexFramer, detectWireFormat, toAsciiHex } from './ascii-hex.ts';
import { FrameDecoder } from './frame-decoder.ts';
import { DecodeError } from './errors.ts';
import { encodeAdu, encodeFrame } from './index.ts';

const T = '2026-11-29T10:05:00';
const frame = encodeFrame({
  serial: 77,
  source: 0x0000_0102_0304,
  destination: 0,
  command: 2,
  adu: encodeAdu({ type: 2, objects: [{ systemType: 1, systemAddress: 1, componentType: 42, componentAddress: 7, status: 0x0003, time: T }] }),
  time: T,
});

describe('ASCII hex wire format', () => {
  it('tells binary from ASCII hex by the first bytes, waiting while it cannot tell', () => {
    assert.equal(detectWireFormat(Buffer.from([0x40, 0x40, 0x01])), 'binary');
    assert.equal(detectWireFormat(Buffer.from('4040010')), 'ascii-hex');
    assert.equal(detectWireFormat(Buffer.from('\r\n 4040')), 'ascii-hex');
    assert.equal(detectWireFormat(Buffer.from('40')), null);
    assert.equal(detectWireFormat(Buffer.from('')), null);
    assert.equal(detectWireFormat(Buffer.from('GET / HTTP/1.1')), 'binary', 'anything else goes to the binary decoder, which skips garbage');
  });

  it('turns hex text split at every offset, any case, with line breaks, back into the frame', () => {
    const text = Buffer.from(`${frame.toString('hex').slice(0, 30).toUpperCase()}\r\n${frame.toString('hex').slice(30)} `);
    for (let cut = 0; cut <= text.length; cut++) {
      const f = new AsciiHexFramer();
      const a = f.push(text.subarray(0, cut));
      const b = f.push(text.subarray(cut));
      assert.equal(a.garbage + b.garbage, 0);
      const frames = new FrameDecoder().push(Buffer.concat([a.bytes, b.bytes])).filter((x) => !(x instanceof DecodeError));
      assert.equal(frames.length, 1, `cut at ${cut}`);
      assert.equal((frames[0] as { serial: number }).serial, 77);
    }
  });

  it('counts characters that are not hex digits as garbage and skips them', () => {
    const f = new AsciiHexFramer();
    const r = f.push(Buffer.from('40zz40;'));
    assert.equal(r.garbage, 3);
    assert.deepEqual([...r.bytes], [0x40, 0x40]);
  });

  it('writes replies as upper-case hex text', () => {
    assert.equal(toAsciiHex(Buffer.from([0x40, 0x40, 0xab, 0x23])).toString('ascii'), '4040AB23');
  });
});
