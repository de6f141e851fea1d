import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allocUnitPositions, decodeUnitPositions, unitPositionsByteLength, unitPositionsToJson, UNIT_POSITIONS_MAGIC } from './unit-positions.ts';

describe('unit positions binary layout', () => {
  it('round-trips columns through the 16-byte header + 18 bytes a unit', () => {
    const { bytes, columns } = allocUnitPositions(3);
    assert.equal(bytes.byteLength, unitPositionsByteLength(3));
    assert.equal(bytes.byteLength, 16 + 54);
    columns.ids.set([3, 4, 4_000_000_000]);
    columns.lonLat.set([118.5, 32.25, 119, 31.5, -0.5, 0.25]);
    columns.regions.set([320102, 0, 320106]);
    columns.states.set([0, 2, 4]);
    columns.flags.set([1, 3, 31]);
    const dv = new DataView(bytes.buffer);
    assert.equal(dv.getUint32(0, true), UNIT_POSITIONS_MAGIC);
    assert.equal(new TextDecoder().decode(bytes.subarray(0, 4)), 'FLUP');
    assert.equal(dv.getUint32(8, true), 3);
    // A copy at an odd offset (as a Buffer slice might be) is realigned.
    const shifted = new Uint8Array(bytes.byteLength + 1);
    shifted.set(bytes, 1);
    for (const body of [bytes.slice().buffer, shifted.subarray(1)]) {
      const p = decodeUnitPositions(body);
      assert.equal(p.count, 3);
      assert.deepEqual(Array.from(p.ids), [3, 4, 4_000_000_000]);
      assert.deepEqual(Array.from(p.lonLat), [118.5, 32.25, 119, 31.5, -0.5, 0.25]);
      assert.deepEqual(Array.from(p.regions), [320102, 0, 320106]);
      assert.deepEqual(Array.from(p.states), [0, 2, 4]);
      assert.deepEqual(Array.from(p.flags), [1, 3, 31]);
    }
    assert.deepEqual(unitPositionsToJson(decodeUnitPositions(bytes)).ids, [3, 4, 4_000_000_000]);
  });

  it('an empty jurisdiction is a bare header', () => {
    const { bytes } = allocUnitPositions(0);
    assert.equal(decodeUnitPositions(bytes).count, 0);
  });

  it('rejects what is not this format, saying why', () => {
    const { bytes } = allocUnitPositions(2);
    assert.throws(() => decodeUnitPositions(bytes.subarray(0, 8)), /shorter than the 16-byte header/);
    assert.throws(() => decodeUnitPositions(bytes.subarray(0, bytes.byteLength - 4)), /truncated/);
    const bad = bytes.slice();
    bad[0] = 0x7b; // '{': a JSON error body
    assert.throws(() => decodeUnitPositions(bad), /bad magic/);
    const v2 = bytes.slice();
    new DataView(v2.buffer).setUint16(4, 2, true);
    assert.throws(() => decodeUnitPositions(v2), /version 2/);
  });
});
