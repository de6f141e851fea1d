// eslint-disable-next-line no-restricted-imports -- node:test runs these view-model tests under tsx, never in the browser
import { describe, it } from 'node:test';
// eslint-disable-next-line no-restricted-imports
import assert from 'node:assert/strict';
import { bboxContains, cullBox, pick, unitsInBox } from './unit-cull.ts';

describe('unit culling at street zoom', () => {
  it('keeps the units in the box around the view, and their columns', () => {
    const positions = Float32Array.from([118.70, 32.00, 118.80, 32.05, 118.95, 32.20, 118.81, 32.06]);
    const box = cullBox([118.79, 32.04, 118.82, 32.07], 1);
    assert.deepEqual([...box].map((x) => +x.toFixed(2)), [118.76, 32.01, 118.85, 32.1]);
    const idx = unitsInBox(positions, 4, box);
    assert.deepEqual([...idx], [1, 3]);
    assert.deepEqual([...pick(Uint8Array.from([1, 1, 2, 2, 3, 3, 4, 4]), idx, 2)], [2, 2, 4, 4]);
    assert.ok(bboxContains(box, [118.8, 32.05, 118.81, 32.06]));
    assert.ok(!bboxContains(box, [118.9, 32.05, 118.91, 32.06]), 'a view past the box needs a new cull');
  });
});
