// eslint-disable-next-line no-restricted-imports -- node:test runs these view-model tests under tsx, never in the browser
import { describe, it } from 'node:test';
// eslint-disable-next-line no-restricted-imports
import assert from 'node:assert/strict';
import { WallTour } from './wall-tour.ts';

const opts = { fireDwellMs: 10, overviewDwellMs: 20 };

describe('WallTour', () => {
  // The wall flew to zoom 15.5 on each fire and never came back to the city view.
  it('returns to the overview after the dwell on a new fire', () => {
    const t = new WallTour(0, opts);
    assert.deepEqual(t.newFire(0, 7), { kind: 'fire', alarmId: 7 });
    assert.equal(t.tick(5, [7]), null);
    assert.deepEqual(t.tick(10, [7]), { kind: 'overview' });
    assert.equal(t.current, null);
  });

  it('returns at once when the fire in view is acknowledged', () => {
    const t = new WallTour(0, opts);
    t.newFire(0, 7);
    assert.deepEqual(t.tick(1, []), { kind: 'overview' });
    assert.equal(t.tick(100, []), null, 'nothing to tour: stays on the overview');
  });

  it('cycles through the unacknowledged fires with the overview in between', () => {
    const t = new WallTour(0, opts);
    const fires = [3, 2, 1];
    const seen: Array<number | 'overview'> = [];
    for (let now = 0; now <= 200; now++) {
      const r = t.tick(now, fires);
      if (r) seen.push(r.kind === 'fire' ? r.alarmId : 'overview');
    }
    assert.deepEqual(seen.slice(0, 8), [3, 'overview', 2, 'overview', 1, 'overview', 3, 'overview']);
  });

  it('continues the round after the newest fire and skips fires acknowledged meanwhile', () => {
    const t = new WallTour(0, opts);
    t.newFire(0, 2);
    assert.deepEqual(t.tick(10, [3, 2, 1]), { kind: 'overview' });
    assert.deepEqual(t.tick(30, [3, 2, 1]), { kind: 'fire', alarmId: 1 });
    assert.deepEqual(t.tick(40, [3, 1]), { kind: 'overview' });
    assert.deepEqual(t.tick(60, [3]), { kind: 'fire', alarmId: 3 });
  });

  it('does nothing while paused', () => {
    const t = new WallTour(0, opts);
    t.paused = true;
    assert.equal(t.newFire(0, 1), null);
    assert.equal(t.tick(100, [1]), null);
  });
});
