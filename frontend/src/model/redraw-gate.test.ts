// eslint-disable-next-line no-restricted-imports -- node:test runs these view-model tests under tsx, never in the browser
import { describe, it } from 'node:test';
// eslint-disable-next-line no-restricted-imports
import assert from 'node:assert/strict';
import { RedrawGate, type GateClock } from './redraw-gate.ts';

/** A hand-driven clock: `advance(ms)` runs the timers that fall due, in order. */
function fakeClock() {
  let t = 0;
  let nextId = 1;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const clock: GateClock = {
    now: () => t,
    setTimeout: (fn, ms) => {
      const id = nextId++;
      timers.set(id, { at: t + ms, fn });
      return id;
    },
    clearTimeout: (h) => void timers.delete(h as number),
  };
  const advance = (ms: number) => {
    const end = t + ms;
    for (;;) {
      const due = [...timers.entries()].filter(([, x]) => x.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      timers.delete(due[0]);
      t = due[1].at;
      due[1].fn();
    }
    t = end;
  };
  return { clock, advance, timers };
}

describe('RedrawGate', () => {
  it('redraws at once after a quiet spell, then coalesces a burst into one redraw per period', () => {
    const { clock, advance } = fakeClock();
    const runs: number[] = [];
    const g = new RedrawGate(1000, () => runs.push(clock.now()), clock);
    g.request();
    assert.deepEqual(runs, [0]);
    // 199 changes in the next second: one more redraw, at t = 1000.
    for (let i = 0; i < 199; i++) {
      advance(5);
      g.request();
    }
    assert.deepEqual(runs, [0]);
    advance(5);
    assert.deepEqual(runs, [0, 1000]);
    assert.equal(g.pending, false);
    advance(3000);
    assert.deepEqual(runs, [0, 1000], 'no redraw without a request');
    g.request();
    assert.deepEqual(runs, [0, 1000, 4000]);
  });

  it('lets an urgent change through at once and drops the waiting redraw it covers', () => {
    const { clock, advance, timers } = fakeClock();
    const runs: number[] = [];
    const g = new RedrawGate(1000, () => runs.push(clock.now()), clock);
    g.request();
    advance(100);
    g.request();
    assert.equal(g.pending, true);
    advance(100);
    g.request(true);
    assert.deepEqual(runs, [0, 200]);
    assert.equal(g.pending, false);
    assert.equal(timers.size, 0);
    advance(500);
    g.request();
    advance(1000);
    assert.deepEqual(runs, [0, 200, 1200]);
  });

  it('never redraws after dispose', () => {
    const { clock, advance } = fakeClock();
    let runs = 0;
    const g = new RedrawGate(1000, () => runs++, clock);
    g.request();
    g.request();
    g.dispose();
    advance(5000);
    g.request(true);
    assert.equal(runs, 1);
  });
});
