// eslint-disable-next-line no-restricted-imports -- node:test runs these view-model tests under tsx, never in the browser
import { describe, it } from 'node:test';
// eslint-disable-next-line no-restricted-imports
import assert from 'node:assert/strict';
import { UNIT_STATE, unitStateColor } from './colors.ts';
import { LOD_FULL_ZOOM, LOD_MIN_UNITS, UnitLod, lodLevel } from './unit-lod.ts';

/** n units on a jittered lattice over the demo city (85 × 83 km), deterministic. */
function city(n: number): Float32Array {
  const p = new Float32Array(n * 2);
  let seed = 7;
  const rnd = () => ((seed = (seed * 1664525 + 1013904223) >>> 0), seed / 4294967296);
  for (let i = 0; i < n; i++) {
    p[i * 2] = 118.35 + rnd() * 0.9;
    p[i * 2 + 1] = 31.65 + rnd() * 0.75;
  }
  return p;
}

describe('unit level of detail', () => {
  it('aggregates only with many units and below street zoom', () => {
    assert.equal(lodLevel(10.5, LOD_MIN_UNITS - 1), -1, 'few units: always full points (every unit pickable)');
    assert.equal(lodLevel(10.5, 100_000), 0);
    assert.equal(lodLevel(12, 100_000), 1);
    assert.equal(lodLevel(LOD_FULL_ZOOM, 100_000), -1);
    assert.equal(lodLevel(15.5, 100_000), -1, "a fire's fly-to zoom shows every unit");
  });

  it('every unit is in exactly one cell; far fewer cells than units at city zoom', () => {
    const n = 100_000;
    const lod = new UnitLod(city(n), n);
    for (const level of [0, 1]) {
      const c = lod.cells(level);
      let total = 0;
      for (let k = 0; k < c.length; k++) total += c.counts[k]!;
      assert.equal(total, n);
      // Level 1 covers the whole city in 450 m cells; only ~1/12 of the city is on screen at zoom 12.
      assert.ok(c.length < (level === 0 ? n / 10 : n / 2), `level ${level}: ${c.length} cells for ${n} units`);
    }
    assert.ok(lod.cells(0).length < lod.cells(1).length, 'the coarser level has fewer cells');
    // A cell's point is its units' centroid: inside the city.
    const c = lod.cells(0);
    for (let k = 0; k < c.length; k++) {
      assert.ok(c.positions[k * 2]! >= 118.35 && c.positions[k * 2]! <= 119.25 && c.positions[k * 2 + 1]! >= 31.65 && c.positions[k * 2 + 1]! <= 32.4);
    }
  });

  it('colours a cell by the majority of its units, and never hides a fire in a cell', () => {
    const n = 6_000;
    // All units at one spot: one cell per level.
    const p = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) {
      p[i * 2] = 118.78;
      p[i * 2 + 1] = 32.05;
    }
    const lod = new UnitLod(p, n);
    const states = new Uint8Array(n).fill(UNIT_STATE.normal);
    for (let i = 0; i < 3_500; i++) states[i] = UNIT_STATE.offline;
    states[42] = UNIT_STATE.fire;
    states[4_242] = UNIT_STATE.fire;
    lod.update(states, 1);
    const c = lod.cells(0);
    assert.equal(c.length, 1);
    assert.deepEqual([...c.colors.subarray(0, 4)], [...unitStateColor(UNIT_STATE.offline)]);
    assert.deepEqual([...lod.fireIndices()], [42, 4_242], 'fire units are listed to be drawn on their own');
    // A new state version recolours; the same version is not recomputed.
    states.fill(UNIT_STATE.normal);
    lod.update(states, 1);
    assert.deepEqual([...lod.cells(0).colors.subarray(0, 4)], [...unitStateColor(UNIT_STATE.offline)]);
    lod.update(states, 2);
    assert.deepEqual([...lod.cells(0).colors.subarray(0, 4)], [...unitStateColor(UNIT_STATE.normal)]);
    assert.equal(lod.fireIndices().length, 0);
  });
});
