// eslint-disable-next-line no-restricted-imports -- node:test runs these view-model tests under tsx, never in the browser
import { describe, it } from 'node:test';
// eslint-disable-next-line no-restricted-imports
import assert from 'node:assert/strict';
import { TASK_STATES } from '@firelink/common';
import { TAB_STATES, taskBounds, taskColor } from './view-model.ts';

describe('supervise view model', () => {
  it('the pending and finished tabs split the states between them', () => {
    assert.deepEqual([...TAB_STATES.pending, ...TAB_STATES.finished].sort(), [...TASK_STATES].sort());
    assert.deepEqual(TAB_STATES.everything, []);
  });

  it('overdue is red whatever the state; finished green; pending amber', () => {
    assert.deepEqual(taskColor({ overdue: true, state: 'in_progress' }).slice(0, 3), [255, 64, 64]);
    assert.deepEqual(taskColor({ overdue: false, state: 'closed' }).slice(0, 3), [46, 204, 113]);
    assert.deepEqual(taskColor({ overdue: false, state: 'open' }).slice(0, 3), [255, 170, 0]);
  });

  it('frames the located tasks, padded; none located gives no bounds', () => {
    assert.equal(taskBounds([{ lonLatWgs84: null }]), null);
    const b = taskBounds([{ lonLatWgs84: [118.78, 32.06] }, { lonLatWgs84: [118.8, 32.04] }, { lonLatWgs84: null }])!;
    assert.deepEqual(b.map((x) => Number(x.toFixed(2))), [118.77, 32.03, 118.81, 32.07]);
  });
});
