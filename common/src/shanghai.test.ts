import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shanghaiDate } from './shanghai.ts';

describe('shanghaiDate', () => {
  it('is the calendar date in Asia/Shanghai (UTC+8), which runs ahead of UTC from 16:00 UTC', () => {
    assert.equal(shanghaiDate(new Date('2026-11-29T15:59:59Z')), '2026-11-29');
    assert.equal(shanghaiDate(new Date('2026-11-29T16:00:00Z')), '2026-11-30');
    assert.equal(shanghaiDate(new Date('2026-12-31T20:00:00Z')), '2027-01-01');
  });
});
