// eslint-disable-next-line no-restricted-imports -- node:test runs these view-model tests under tsx, never in the browser
import { describe, it } from 'node:test';
// eslint-disable-next-line no-restricted-imports
import assert from 'node:assert/strict';
import { RingBuffer } from './ring-buffer.ts';

describe('RingBuffer', () => {
  it('keeps only the newest `capacity` items, newest first', () => {
    const r = new RingBuffer<number>(3);
    for (let i = 1; i <= 7; i++) r.push(i);
    assert.equal(r.size, 3);
    assert.deepEqual(r.newestFirst(), [7, 6, 5]);
    assert.deepEqual(r.newestFirst(2), [7, 6]);
  });
  it('works before it is full and after clear', () => {
    const r = new RingBuffer<string>(4);
    r.push('a');
    r.push('b');
    assert.deepEqual(r.newestFirst(), ['b', 'a']);
    r.clear();
    assert.equal(r.size, 0);
    assert.deepEqual(r.newestFirst(), []);
  });
  it('rejects a useless capacity with a message saying what is allowed', () => {
    assert.throws(() => new RingBuffer(0), /positive integer/);
  });
  it('stays bounded over a million pushes (a wall running for days)', () => {
    const r = new RingBuffer<{ i: number }>(200);
    for (let i = 0; i < 1_000_000; i++) r.push({ i });
    assert.equal(r.size, 200);
    assert.equal(r.newestFirst(1)[0]!.i, 999_999);
  });
});
