// eslint-disable-next-line no-restricted-imports -- node:test runs these model tests under tsx, never in the browser
import assert from 'node:assert/strict';
// eslint-disable-next-line no-restricted-imports
import { describe, it } from 'node:test';
import type { StormGroup } from '@firelink/common';
import { mergeStorm, sortStorms, spanMinutes, stormSentence } from './model.ts';

const group = (over: Partial<StormGroup> = {}): StormGroup => ({
  id: 1,
  scope: 'area',
  alarmKind: 'fault',
  cause: 'mains_power_fault',
  regionAdcode: 320106,
  regionName: '鼓楼区',
  unitId: null,
  unitName: null,
  startedAt: '2026-12-04T07:00:00.000Z',
  lastAt: '2026-12-04T07:01:30.000Z',
  units: 312,
  members: 312,
  open: 300,
  endedAt: null,
  ...over,
});

describe('storm panel model', () => {
  it('says an area storm in one sentence, in Chinese and English', () => {
    assert.equal(stormSentence('zh-CN', group()), '鼓楼区：312个单位在最近2分钟内报告主电故障');
    assert.equal(stormSentence('en', group()), '312 units reported mains-power faults in 鼓楼区 in the last 2 min');
    assert.equal(stormSentence('zh-CN', group({ endedAt: '2026-12-04T07:20:00.000Z' })), '鼓楼区：312个单位报告主电故障（2026/12/04 15:00起，已平息）');
  });

  it('says a unit storm with its points, and an unknown cause without a raw code', () => {
    const u = group({ scope: 'unit', unitId: 7, unitName: '新街口百货', members: 30, units: 1, cause: 'fault' });
    assert.equal(stormSentence('zh-CN', u), '新街口百货：30个点位在2分钟内报告故障');
    assert.doesNotMatch(stormSentence('zh-CN', group({ cause: 'analog_value' })), /analog_value/);
    assert.equal(spanMinutes(group({ lastAt: '2026-12-04T07:00:00.000Z' })), 1);
  });

  it('lists active groups with open members first, newest first; a stream message replaces its group', () => {
    const a = group({ id: 1, lastAt: '2026-12-04T07:01:00.000Z' });
    const b = group({ id: 2, lastAt: '2026-12-04T07:02:00.000Z' });
    const ended = group({ id: 3, lastAt: '2026-12-04T07:05:00.000Z', endedAt: '2026-12-04T07:20:00.000Z' });
    const quiet = group({ id: 4, lastAt: '2026-12-04T07:06:00.000Z', open: 0 });
    assert.deepEqual(sortStorms([a, ended, quiet, b]).map((g) => g.id), [2, 1, 4, 3]);
    const merged = mergeStorm([a, b], { ...a, members: 400, units: 400, lastAt: '2026-12-04T07:03:00.000Z' });
    assert.deepEqual(merged.map((g) => [g.id, g.members]), [[1, 400], [2, 312]]);
    assert.equal(mergeStorm([a], b).length, 2);
  });
});
