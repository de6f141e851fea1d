import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DecodeError,
  FrameDecoder,
  LAYOUTS,
  encodeAdu,
  encodeConfirm,
  encodeDeny,
  encodeFrame,
  parseAdu,
  rawReason,
  type AduObject,
  type Frame,
} from './index.ts';

const T = '2026-11-29T10:05:00';

/** One representative object per type, built with the same field names the decoder prints. */
function sampleObjects(type: number): AduObject[] {
  const sys = { systemType: 1, systemAddress: 2 };
  switch (type) {
    case 1: return [{ ...sys, status: 0x0002, time: T }, { ...sys, systemAddress: 3, status: 0x0305, time: T }];
    case 2: return [{ ...sys, componentType: 42, componentAddress: 0x0001_0023, status: 0x0002, description: '三层东走廊烟感@@##', time: T }];
    case 3: return [{ ...sys, componentType: 99, componentAddress: 7, analogType: 4, value: -12, time: T }];
    case 4: return [{ ...sys, operationFlags: 0x21, operator: 9, time: T }];
    case 5: return [{ ...sys, major: 3, minor: 14 }];
    case 6: return [{ ...sys, description: '消防联动控制器 型号JB-QB' }, { ...sys, systemAddress: 4, description: '' }];
    case 7: return [{ ...sys, componentType: 23, componentAddress: 0x0002_0001, description: '一层大厅手报' }];
    case 8: return [{ ...sys, time: T }];
    case 21: return [{ status: 0x09, time: T }];
    case 24: return [{ operationFlags: 0x20, operator: 1, time: T }];
    case 25: return [{ major: 2, minor: 1 }];
    case 26: return [{ description: '用户信息传输装置 配置' }, { description: 'second' }];
    case 28: return [{ time: T }];
    case 61: case 65: case 66: case 68: return [sys];
    case 62: case 63: case 67: return [{ ...sys, componentAddress: 0x0001_0002 }];
    case 64: return [{ ...sys, count: 5, time: T }];
    case 84: return [{ count: 3, time: T }];
    case 90: return [{ time: T }];
    case 91: return [{ timeoutMinutes: 10 }];
    default: return [{ reserved: 0 }];
  }
}

function frameOf(type: number, serial = 1): Buffer {
  const command = type >= 61 ? (type >= 89 ? 1 : 4) : 2;
  return encodeFrame({ serial, source: 0x0000_1234_5678, destination: 1, command, adu: encodeAdu({ type, objects: sampleObjects(type) }), time: T });
}

function decodeAll(chunks: Buffer[]): Array<Frame | DecodeError> {
  const d = new FrameDecoder();
  return chunks.flatMap((c) => d.push(c));
}

describe('GB/T 26875.3 codec', () => {
  const types = Object.keys(LAYOUTS).map(Number);

  it('round-trips every upload and downlink type, split at every offset', () => {
    assert.equal(types.length, 29);
    for (const type of types) {
      const bytes = frameOf(type, type);
      for (let cut = 0; cut <= bytes.length; cut++) {
        const out = decodeAll([bytes.subarray(0, cut), bytes.subarray(cut)]);
        assert.equal(out.length, 1, `type ${type} split at ${cut}`);
        const f = out[0] as Frame;
        assert.ok(!(f instanceof DecodeError), `type ${type} split at ${cut}: ${String(f)}`);
        assert.equal(f.serial, type);
        assert.equal(f.source, 0x0000_1234_5678);
        assert.equal(f.time, T);
        const adu = parseAdu(f.adu)!;
        assert.equal(adu.error, undefined, `type ${type}: ${adu.error}`);
        assert.equal(adu.type, type);
        const expected = sampleObjects(type);
        assert.equal(adu.count, expected.length);
        adu.objects.forEach((o, i) => {
          for (const [k, v] of Object.entries(expected[i]!)) assert.deepEqual((o as AduObject)[k as keyof AduObject], v, `type ${type} object ${i} field ${k}`);
        });
      }
    }
  });

  it('decodes frames glued together and delivered one byte at a time', () => {
    const all = Buffer.concat(types.map((t, i) => frameOf(t, i)));
    const d = new FrameDecoder();
    const out: Array<Frame | DecodeError> = [];
    for (const b of all) out.push(...d.push(Buffer.from([b])));
    assert.deepEqual(out.map((f) => (f instanceof DecodeError ? f.code : f.serial)), types.map((_, i) => i));
    assert.equal(d.buffered, 0);
  });

  it('reads status bits: field fire 0x0002 is fire, not test mode', () => {
    const adu = parseAdu(encodeAdu({ type: 2, objects: [{ systemType: 1, systemAddress: 1, componentType: 42, componentAddress: 1, status: 0x0002, time: T }] }))!;
    assert.ok(adu.typeName === 'componentStatus');
    assert.deepEqual(adu.objects[0]!.statusFlags, ['fire']);
    const uitd = parseAdu(encodeAdu({ type: 21, objects: [{ status: 0x19, time: T }] }))!;
    assert.ok(uitd.typeName === 'uitdStatus');
    assert.deepEqual(uitd.objects[0]!.statusFlags, ['normal', 'mainsPowerFault', 'backupPowerFault']);
    const op = parseAdu(encodeAdu({ type: 24, objects: [{ operationFlags: 0x20, operator: 1, time: T }] }))!;
    assert.ok(op.typeName === 'uitdOperation');
    assert.deepEqual(op.objects[0]!.operationNames, ['dutyCheckAnswer']);
  });

  it('decodes GB 18030 descriptions and trims 0x00 / 0x20 padding', () => {
    const adu = encodeAdu({ type: 7, objects: [{ systemType: 1, systemAddress: 1, componentType: 23, componentAddress: 1, description: '𠀀楼梯间' }] });
    // Pad with spaces instead of zeros, as some panels do.
    for (let i = 2 + 7 + 0; i < adu.length; i++) if (adu[i] === 0) adu[i] = 0x20;
    const parsed = parseAdu(adu)!;
    assert.ok(parsed.typeName === 'componentConfig');
    assert.equal(parsed.objects[0]!.description, '𠀀楼梯间');
  });

  it('keeps vendor and undefined types raw and reports truncated objects without throwing', () => {
    const vendor = parseAdu(Buffer.from([200, 1, 9, 9, 9]))!;
    assert.equal(vendor.type, 200);
    assert.equal(vendor.typeName, 'vendor');
    assert.equal(vendor.vendorDefined, true);
    assert.equal(vendor.error, undefined);
    assert.match(rawReason(vendor)!, /vendor-defined/);
    const unknown = parseAdu(Buffer.from([100, 1, 9]))!;
    assert.match(unknown.error!, /type 100 is not defined/);
    const truncated = parseAdu(Buffer.from([1, 2, 1, 1, 2, 0, 0, 0, 0, 0, 0, 0, 1]))!;
    assert.equal(truncated.objects.length, 1);
    assert.match(truncated.error!, /object 2 of 2 is truncated at ADU byte 13/);
    assert.equal(parseAdu(Buffer.alloc(0)), null);
  });

  it('rejects a bad checksum with a DecodeError carrying the frame and its header', () => {
    const bad = encodeFrame({ serial: 77, source: 5, destination: 1, command: 2, adu: encodeAdu({ type: 28, objects: [{ time: T }] }), time: T }, { badChecksum: true });
    const good = frameOf(8, 78);
    const out = decodeAll([Buffer.concat([bad, good])]);
    assert.equal(out.length, 2);
    const err = out[0] as DecodeError;
    assert.ok(err instanceof DecodeError);
    assert.equal(err.code, 'checksum');
    assert.deepEqual(err.bytes, bad);
    assert.deepEqual(err.header, { serial: 77, source: 5, destination: 1, command: 2 });
    assert.equal((out[1] as Frame).serial, 78);
  });

  it('rejects an ADU length above 1024 and resyncs at the next @@', () => {
    const header = Buffer.from(frameOf(28).subarray(0, 27));
    header.writeUInt16LE(1025, 24);
    const good = frameOf(28, 9);
    const out = decodeAll([Buffer.concat([header, good])]);
    const codes = out.map((x) => (x instanceof DecodeError ? x.code : 'frame'));
    assert.equal(codes[0], 'length');
    assert.equal((out.at(-1) as Frame).serial, 9);
    assert.throws(() => encodeFrame({ serial: 1, source: 1, destination: 1, command: 2, adu: Buffer.alloc(1025) }), /maximum is 1024/);
  });

  it('keeps memory bounded: at most one maximum frame is held back', () => {
    const d = new FrameDecoder();
    const header = Buffer.from(frameOf(28).subarray(0, 27));
    header.writeUInt16LE(1024, 24);
    d.push(header);
    for (let i = 0; i < 100; i++) d.push(Buffer.alloc(64, 0x11));
    assert.ok(d.buffered <= 1054, `buffered ${d.buffered}`);
    d.push(Buffer.alloc(10_000, 0x11));
    assert.ok(d.buffered <= 1054);
  });

  it('frames are copies: later reads never overwrite an earlier frame', () => {
    const chunk = Buffer.concat([frameOf(2, 1), frameOf(2, 2)]);
    const [a] = new FrameDecoder().push(chunk) as Frame[];
    const snapshot = Buffer.from(a!.raw);
    chunk.fill(0);
    assert.deepEqual(a!.raw, snapshot);
  });

  it('serializes confirm and deny: serial echoed, addresses swapped, empty ADU', () => {
    const [f] = new FrameDecoder().push(frameOf(2, 4242)) as Frame[];
    const [c] = new FrameDecoder().push(encodeConfirm(f!)) as Frame[];
    assert.deepEqual([c!.command, c!.serial, c!.source, c!.destination, c!.adu.length], [3, 4242, f!.destination, f!.source, 0]);
    const [n] = new FrameDecoder().push(encodeDeny({ serial: 9, source: 5, destination: 1 })) as Frame[];
    assert.deepEqual([n!.command, n!.serial, n!.source, n!.destination], [6, 9, 1, 5]);
    assert.equal(c!.raw.length, 30);
  });

  it('property: any byte string yields frames or DecodeErrors, never a crash', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 6 }), (chunks) => {
        const d = new FrameDecoder();
        for (const c of chunks) {
          for (const item of d.push(c)) {
            if (item instanceof DecodeError) continue;
            parseAdu(item.adu); // must not throw either
          }
        }
        d.finish();
      }),
      { numRuns: 500 },
    );
  });

  it('property: valid frames embedded in garbage are all found, however the stream is split', () => {
    const frameArb = fc.constantFrom(...types).map((t) => frameOf(t, t));
    // Garbage without '@' so it cannot fake a start marker; '#' is fine (no framing by '##').
    const garbageArb = fc.uint8Array({ maxLength: 40 }).map((g) => Buffer.from(g.map((b) => (b === 0x40 ? 0x41 : b))));
    fc.assert(
      fc.property(fc.array(fc.tuple(garbageArb, frameArb), { minLength: 1, maxLength: 8 }), garbageArb, fc.array(fc.nat(), { maxLength: 5 }), (pairs, tail, cuts) => {
        const stream = Buffer.concat([...pairs.flatMap(([g, f]) => [g, f]), tail]);
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const parts: Buffer[] = [];
        let prev = 0;
        for (const p of points) {
          parts.push(stream.subarray(prev, p));
          prev = p;
        }
        parts.push(stream.subarray(prev));
        const frames = decodeAll(parts).filter((x): x is Frame => !(x instanceof DecodeError));
        assert.deepEqual(frames.map((f) => f.serial), pairs.map(([, f]) => f.readUInt16LE(2)));
      }),
      { numRuns: 300 },
    );
  });
});
