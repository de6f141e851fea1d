import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecentSamples } from './recent-samples.ts';

describe('RecentSamples', () => {
  it('keeps the last N in order and reads what came after a mark', () => {
    const s = new RecentSamples(4);
    assert.deepEqual(s.since(), []);
    for (const x of [1, 2, 3]) s.push(x);
    const mark = s.count;
    assert.deepEqual(s.since(), [1, 2, 3]);
    for (const x of [4, 5, 6]) s.push(x);
    assert.equal(s.count, 6);
    assert.deepEqual(s.since(), [3, 4, 5, 6], 'the oldest were overwritten');
    assert.deepEqual(s.since(mark), [4, 5, 6]);
    assert.deepEqual(s.since(s.count), []);
  });
});
