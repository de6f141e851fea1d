// eslint-disable-next-line no-restricted-imports -- node:test runs these view-model tests under tsx, never in the browser
import { describe, it } from 'node:test';
// eslint-disable-next-line no-restricted-imports
import assert from 'node:assert/strict';
import { type ConnectionOptions, type ConnectionState, initialConnection, retryDelayMs, step } from './connection.ts';

const opts: ConnectionOptions = { baseDelayMs: 500, maxDelayMs: 8000, staleAfterMs: 10_000, random: () => 1 };

function run(s: ConnectionState, ...events: Parameters<typeof step>[1][]) {
  const effects = [];
  for (const e of events) {
    const r = step(s, e, opts);
    s = r.state;
    effects.push(...r.effects);
  }
  return { s, effects };
}

describe('live connection state machine', () => {
  it('connects, subscribes without a cursor, then tracks the largest delta id', () => {
    const { s, effects } = run(
      initialConnection(0),
      { type: 'start', now: 0 },
      { type: 'opened', now: 10 },
      { type: 'message', now: 11, seq: 40 }, // hello: stream head, not a cursor
      { type: 'message', now: 12, seq: 40, snapshot: true },
      { type: 'message', now: 13, seq: 47, delta: true },
    );
    assert.equal(s.status, 'live');
    assert.equal(s.lastSeq, 47);
    assert.deepEqual(effects, [{ type: 'connect' }, { type: 'subscribe', resumeFrom: null }]);
  });

  it('on a drop shows reconnecting, backs off exponentially up to the cap, and resumes from the cursor', () => {
    let { s, effects } = run(
      initialConnection(0),
      { type: 'start', now: 0 },
      { type: 'opened', now: 1 },
      { type: 'message', now: 2, seq: 5, snapshot: true },
      { type: 'message', now: 3, seq: 9, delta: true },
      { type: 'closed', now: 100 },
    );
    assert.equal(s.status, 'reconnecting');
    assert.equal(s.since, 100);
    assert.deepEqual(effects.at(-1), { type: 'schedule-retry', delayMs: 500 });
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      const r = run(s, { type: 'retry', now: 200 + i }, { type: 'closed', now: 300 + i });
      s = r.s;
      const last = r.effects.at(-1);
      assert.equal(last?.type, 'schedule-retry');
      if (last?.type === 'schedule-retry') delays.push(last.delayMs);
    }
    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 8000, 8000]);
    assert.equal(s.since, 100, 'the banner counts from the first loss, not the last attempt');
    ({ s, effects } = run(s, { type: 'retry', now: 1000 }, { type: 'opened', now: 1001 }));
    assert.equal(s.status, 'live');
    assert.equal(s.attempt, 0);
    assert.deepEqual(effects.at(-1), { type: 'subscribe', resumeFrom: 9 });
  });

  it('drops deltas already applied before the reconnect', () => {
    const { s, effects } = run(
      initialConnection(0),
      { type: 'start', now: 0 },
      { type: 'opened', now: 1 },
      { type: 'message', now: 2, seq: 9, delta: true },
      { type: 'message', now: 3, seq: 8, delta: true },
      { type: 'message', now: 4, seq: 9, delta: true },
    );
    assert.equal(s.lastSeq, 9);
    assert.deepEqual(effects.filter((e) => e.type === 'drop').length, 2);
  });

  it('treats a silent socket as dead after staleAfterMs (half-open TCP)', () => {
    const live = run(initialConnection(0), { type: 'start', now: 0 }, { type: 'opened', now: 0 }).s;
    assert.deepEqual(step(live, { type: 'tick', now: 9_000 }, opts).effects, []);
    const r = step(live, { type: 'tick', now: 10_001 }, opts);
    assert.equal(r.state.status, 'reconnecting');
    assert.deepEqual(r.effects.map((e) => e.type), ['disconnect', 'schedule-retry']);
  });

  it('jitters the delay between half and full', () => {
    assert.equal(retryDelayMs(0, { ...opts, random: () => 0 }), 250);
    assert.equal(retryDelayMs(0, { ...opts, random: () => 1 }), 500);
    assert.equal(retryDelayMs(50, opts), 8000);
  });

  it('ignores everything after stop', () => {
    const stopped = run(initialConnection(0), { type: 'start', now: 0 }, { type: 'stop', now: 1 }).s;
    assert.equal(stopped.status, 'stopped');
    assert.deepEqual(step(stopped, { type: 'closed', now: 2 }, opts).effects, []);
    assert.deepEqual(step(stopped, { type: 'retry', now: 2 }, opts).effects, []);
  });
});
