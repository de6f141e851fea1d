// eslint-disable-next-line no-restricted-imports -- node:test runs these view-model tests under tsx, never in the browser
import { describe, it } from 'node:test';
// eslint-disable-next-line no-restricted-imports
import assert from 'node:assert/strict';
import { colorFor, exportHref, extent, formatValue, isSmallSample, leagueOrder, trendInterval, trendPoints, windowRange } from './view-model.ts';

describe('analyst view model', () => {
  it('ends windows at the next whole hour and picks the trend bucket', () => {
    const now = Date.parse('2026-03-01T10:20:00Z');
    assert.deepEqual(windowRange('d1', now), { from: '2026-02-28T11:00:00.000Z', to: '2026-03-01T11:00:00.000Z' });
    assert.equal(trendInterval('d30'), 'day');
    assert.equal(trendInterval('d365'), 'month');
  });
  it('colours worse values darker, inverted for the intact rate, grey for none', () => {
    assert.deepEqual(colorFor(1, 0, 1, 'fault_rate'), [189, 0, 38, 190]);
    assert.deepEqual(colorFor(0, 0, 1, 'fault_rate'), [255, 255, 178, 190]);
    assert.deepEqual(colorFor(1, 0, 1, 'intact_rate'), [255, 255, 178, 190]);
    assert.deepEqual(colorFor(null, 0, 1, 'fault_rate'), [160, 160, 160, 90]);
  });
  it('formats shares as percent and draws a trend path', () => {
    assert.equal(formatValue('false_alarm_rate', 0.756), '75.6 %');
    assert.equal(formatValue('duty_answer_s', null), '—');
    assert.deepEqual(extent([3, null, 1]), [1, 3]);
    assert.equal(trendPoints([0, null, 2], 108, 58), '4.0,54.0 104.0,4.0');
    assert.equal(exportHref('/api/stats/rates', { by: 'region', metric: 'fault_rate', region: undefined }, 'csv'), '/api/stats/rates?by=region&metric=fault_rate&format=csv');
  });

  // 1 false alarm of 2 (50 %) topped the league above districts with hundreds of alarms.
  it('ranks small samples after the rest and marks them', () => {
    const rows = [
      { key: 'tiny', value: 0.5, denominator: 2 },
      { key: 'big', value: 0.2, denominator: 400 },
      { key: 'mid', value: 0.3, denominator: 50 },
      { key: 'none', value: null, denominator: 0 },
    ];
    assert.deepEqual(leagueOrder(rows, 'false_alarm_rate').map((r) => r.key), ['mid', 'big', 'tiny', 'none']);
    assert.deepEqual(leagueOrder(rows, 'intact_rate').map((r) => r.key), ['big', 'mid', 'none', 'tiny']);
    assert.equal(isSmallSample(2), true);
    assert.equal(isSmallSample(10), false);
  });
});
