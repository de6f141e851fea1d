// eslint-disable-next-line no-restricted-imports -- node:test runs these view-model tests under tsx, never in the browser
import { describe, it } from 'node:test';
// eslint-disable-next-line no-restricted-imports
import assert from 'node:assert/strict';
import { AlarmQueue, compareAlarms, moveSelection } from './alarm-queue.ts';
import { nextActions } from './alarm.ts';
import { alarmView } from './test-fixtures.ts';

describe('alarm queue ordering', () => {
  it('sorts by priority, then unacknowledged first (newest on top), then handled oldest first', () => {
    const q = new AlarmQueue();
    q.reset([
      alarmView({ id: 1, kind: 'fault', priority: 4, openedAt: '2026-01-01T00:00:00Z' }),
      alarmView({ id: 2, kind: 'fire', priority: 1, openedAt: '2026-01-01T00:05:00Z' }),
      alarmView({ id: 3, kind: 'fire', priority: 1, openedAt: '2026-01-01T00:01:00Z', state: 'acknowledged' }),
      alarmView({ id: 4, kind: 'fire', priority: 1, openedAt: '2026-01-01T00:02:00Z' }),
      alarmView({ id: 5, kind: 'host_offline', priority: 2, openedAt: '2026-01-01T00:00:00Z' }),
      alarmView({ id: 6, kind: 'fire', priority: 1, openedAt: '2026-01-01T00:00:30Z', state: 'verified' }),
    ]);
    // A new fire (2, 00:05) is above an older unacknowledged one (4); handled fires follow, oldest first.
    assert.deepEqual(q.list().map((a) => a.id), [2, 4, 3, 6, 5, 1]);
  });
  it('breaks ties by id so the order is stable', () => {
    const a = alarmView({ id: 7, state: 'acknowledged' });
    const b = alarmView({ id: 8, state: 'acknowledged' });
    assert.ok(compareAlarms(a, b) < 0);
    assert.ok(compareAlarms(b, a) > 0);
  });
});

describe('alarm queue updates', () => {
  it('reports a new alarm as added once, and an update as not added', () => {
    const q = new AlarmQueue();
    assert.deepEqual(q.upsert(alarmView({ id: 1 })).added.map((a) => a.id), [1]);
    assert.deepEqual(q.upsert(alarmView({ id: 1, version: 2, state: 'acknowledged' })).added, []);
    assert.equal(q.get(1)!.state, 'acknowledged');
  });
  it('ignores a stale version (an out-of-order update must not undo an acknowledgement)', () => {
    const q = new AlarmQueue();
    q.upsert(alarmView({ id: 1, version: 3, state: 'acknowledged' }));
    q.upsert(alarmView({ id: 1, version: 2, state: 'open' }));
    assert.equal(q.get(1)!.state, 'acknowledged');
  });
  it('removes closed alarms', () => {
    const q = new AlarmQueue();
    q.upsert(alarmView({ id: 1 }));
    assert.deepEqual(q.upsert(alarmView({ id: 1, version: 2, state: 'closed' })).removed, [1]);
    assert.equal(q.size, 0);
    assert.deepEqual(q.upsert(alarmView({ id: 9, state: 'closed' })), { added: [], removed: [] });
  });
  it('reset reports only alarms that were not there before', () => {
    const q = new AlarmQueue();
    q.reset([alarmView({ id: 1 }), alarmView({ id: 2 })]);
    const c = q.reset([alarmView({ id: 2 }), alarmView({ id: 3 })]);
    assert.deepEqual(c.added.map((a) => a.id), [3]);
    assert.deepEqual(c.removed, [1]);
  });
  it('stays within capacity by dropping the least urgent, and never drops a fire for a fault', () => {
    const q = new AlarmQueue(3);
    q.upsert(alarmView({ id: 1, kind: 'fault', priority: 4 }));
    q.upsert(alarmView({ id: 2, kind: 'fault', priority: 4 }));
    q.upsert(alarmView({ id: 3, kind: 'fault', priority: 4 }));
    const c = q.upsert(alarmView({ id: 4, kind: 'fire', priority: 1 }));
    assert.equal(q.size, 3);
    assert.deepEqual(c.added.map((a) => a.id), [4]);
    assert.deepEqual(c.removed, [3]);
    const d = q.upsert(alarmView({ id: 5, kind: 'supervisory', priority: 5 }));
    assert.deepEqual(d, { added: [], removed: [5] });
  });
});

describe('keyboard selection', () => {
  const list = [alarmView({ id: 10 }), alarmView({ id: 11 }), alarmView({ id: 12 })];
  it('moves down and up, clamped at the ends', () => {
    assert.equal(moveSelection(list, null, 1), 10);
    assert.equal(moveSelection(list, 10, 1), 11);
    assert.equal(moveSelection(list, 12, 1), 12);
    assert.equal(moveSelection(list, 10, -1), 10);
    assert.equal(moveSelection(list, null, -1), 12);
    assert.equal(moveSelection([], 10, 1), null);
  });
  it('starts over when the selected alarm left the queue', () => {
    assert.equal(moveSelection(list, 99, 1), 10);
  });
});

describe('lifecycle buttons', () => {
  it('offers the lifecycle transitions: open → acknowledged → verified → (fire) dispatched → closed', () => {
    assert.deepEqual(nextActions({ state: 'open', verdict: null }), ['ack', 'verify', 'close']);
    assert.deepEqual(nextActions({ state: 'acknowledged', verdict: null }), ['verify', 'close']);
    assert.deepEqual(nextActions({ state: 'verified', verdict: 'fire' }), ['dispatch', 'close']);
    assert.deepEqual(nextActions({ state: 'verified', verdict: 'false_alarm' }), ['close']);
    assert.deepEqual(nextActions({ state: 'closed', verdict: null }), []);
  });
});

describe('alarm queue kept sorted change by change', () => {
  it('after any sequence of opens, updates, closes, stale versions and snapshots, list() is the sorted queue and stays within capacity', () => {
    // A deterministic pseudo-random walk (no dependency on a property-testing library in the browser package).
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
    const states = ['open', 'acknowledged', 'verified', 'dispatched', 'closed'] as const;
    const q = new AlarmQueue(40);
    const versions = new Map<number, number>();
    for (let step = 0; step < 3000; step++) {
      const id = rnd(80) + 1;
      const v = (versions.get(id) ?? 0) + (rnd(10) === 0 ? -1 : 1);
      versions.set(id, Math.max(v, versions.get(id) ?? 0));
      const a = alarmView({
        id,
        version: v,
        priority: rnd(6) + 1,
        state: states[rnd(states.length)]!,
        openedAt: new Date(Date.UTC(2026, 0, 1, 0, rnd(30))).toISOString(),
      });
      if (rnd(400) === 0) q.reset([a, alarmView({ id: id + 100, priority: 2 })]);
      else q.upsert(a);
      const list = q.list();
      assert.ok(list.length <= 40);
      assert.equal(list.length, q.size);
      assert.deepEqual(list.map((x) => x.id), [...list].sort(compareAlarms).map((x) => x.id));
      for (const x of list) assert.equal(q.get(x.id), x);
    }
  });
  it('hands out a new array after a change and the same one until then', () => {
    const q = new AlarmQueue();
    q.upsert(alarmView({ id: 1 }));
    const first = q.list();
    assert.equal(q.list(), first);
    q.upsert(alarmView({ id: 2 }));
    assert.notEqual(q.list(), first);
    assert.deepEqual(first.map((a) => a.id), [1], 'an array handed out is never changed afterwards');
  });
});
