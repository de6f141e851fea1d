import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RawFrameBudget } from './raw-frame-budget.ts';

describe('raw-frame budget for strangers', () => {
  it('keeps up to the per-address and per-peer budgets in a window, then starts again', () => {
    let now = 0;
    const b = new RawFrameBudget({ perAddress: 2, perPeer: 3, windowMs: 1000, now: () => now });
    assert.deepEqual([1, 1, 1].map(() => b.take(7, '10.0.0.1:4000')), [true, true, false], 'per address');
    assert.deepEqual([b.take(8, '10.0.0.1:4001'), b.take(9, '10.0.0.1:4002')], [true, false], 'per peer, over all its addresses and ports');
    assert.equal(b.take(9, '2001:db8::1:4000'), true, 'another peer (IPv6 "addr:port") has its own budget');
    assert.equal(b.skipped, 2);
    now = 1000;
    assert.equal(b.take(7, '10.0.0.1:4000'), true, 'a new window');
  });

  it('exempts loopback from the per-peer budget only', () => {
    const b = new RawFrameBudget({ perAddress: 1, perPeer: 1 });
    assert.equal(b.take(1, '127.0.0.1:5000'), true);
    assert.equal(b.take(2, '::ffff:127.0.0.1:5001'), true);
    assert.equal(b.take(2, '::1:5002'), false, 'the per-address budget still applies');
  });
});
