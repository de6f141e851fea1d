import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import { encodeAdu, encodeFrame } from '../codec/index.ts';
import { decodeCommand } from './decode.ts';

const BIN = fileURLToPath(new URL('../../../backend/bin/firelink.mjs', import.meta.url));
const fire = encodeFrame({
  serial: 7,
  source: 123456789,
  destination: 1,
  command: 2,
  time: '2026-11-29T10:05:01',
  adu: encodeAdu({ type: 2, objects: [{ systemType: 1, systemAddress: 1, componentType: 42, componentAddress: 0x10023, status: 2, description: '三层东走廊烟感', time: '2026-11-29T10:05:00' }] }),
}).toString('hex');
const spaced = fire.replace(/(..)/g, '$1 ');

async function run(args: string[], stdin?: string) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await decodeCommand(args, { out: (l) => out.push(l), err: (l) => err.push(l), stdin: stdin === undefined ? undefined : Readable.from([stdin]) });
  return { code, out, err };
}

describe('firelink decode', () => {
  it('prints one JSON object per frame with the documented fields', async () => {
    const r = await run([spaced]);
    assert.equal(r.code, 0);
    assert.equal(r.out.length, 1);
    const j = JSON.parse(r.out[0]!);
    assert.deepEqual(
      { serial: j.serial, version: j.version, time: j.time, source: j.source, destination: j.destination, command: j.command, commandName: j.commandName, checksumOk: j.checksumOk },
      { serial: 7, version: { main: 1, user: 1 }, time: '2026-11-29T10:05:01', source: 123456789, destination: 1, command: 2, commandName: 'sendData', checksumOk: true },
    );
    assert.deepEqual({ type: j.adu.type, typeName: j.adu.typeName, count: j.adu.count }, { type: 2, typeName: 'componentStatus', count: 1 });
    assert.deepEqual(j.adu.objects[0], {
      systemType: 1,
      systemAddress: 1,
      componentType: 42,
      componentAddress: 65571,
      status: 2,
      statusFlags: ['fire'],
      description: '三层东走廊烟感',
      time: '2026-11-29T10:05:00',
    });
  });

  it('reads one frame per line from stdin with -', async () => {
    const r = await run(['-'], `${fire}\n\n${spaced}\n`);
    assert.equal(r.code, 0);
    assert.equal(r.out.length, 2);
  });

  it('exits 1 and says what is wrong at which byte', async () => {
    const bad = await run(['40 40 zz']);
    assert.equal(bad.code, 1);
    assert.match(bad.err[0]!, /"z" at position 7 is not a hex digit/);
    const sum = await run([fire.slice(0, -6) + 'ff2323']);
    assert.equal(sum.code, 1);
    assert.match(sum.err[0]!, /checksum 0xff at offset 75 should be/);
    assert.equal(JSON.parse(sum.out[0]!).checksumOk, false);
    const short = await run([fire.slice(0, 40)]);
    assert.equal(short.code, 1);
    assert.match(short.err[0]!, /input ended 20 byte\(s\) into a frame at offset 0/);
  });

  it('decodes a frame whose ADU type is vendor-defined (128–254): type kept raw, exit 0', async () => {
    const vendor = encodeFrame({ serial: 8, source: 5, destination: 1, command: 2, time: '2026-11-29T10:05:01', adu: Buffer.from([0xc8, 1, 9, 9, 9]) }).toString('hex');
    const r = await run([vendor]);
    assert.equal(r.code, 0, r.err.join('\n'));
    const j = JSON.parse(r.out[0]!);
    assert.deepEqual({ type: j.adu.type, typeName: j.adu.typeName, vendorDefined: j.adu.vendorDefined, error: j.adu.error }, { type: 200, typeName: 'vendor', vendorDefined: true, error: undefined });
    assert.equal(j.aduHex, 'c801090909');
    // Type 255 is not in the vendor range: still reported as undefined, exit 1.
    const undefinedType = encodeFrame({ serial: 9, source: 5, destination: 1, command: 2, time: '2026-11-29T10:05:01', adu: Buffer.from([0xff, 1, 9]) }).toString('hex');
    const bad = await run([undefinedType]);
    assert.equal(bad.code, 1);
    assert.match(bad.err[0]!, /type 255 is not defined/);
  });

  it('works as `npx firelink decode` (exit codes)', () => {
    const ok = spawnSync(process.execPath, [BIN, 'decode', spaced], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).adu.objects[0].description, '三层东走廊烟感');
    const bad = spawnSync(process.execPath, [BIN, 'decode', '4040'], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /input ended 2 byte\(s\) into a frame/);
  });
});
