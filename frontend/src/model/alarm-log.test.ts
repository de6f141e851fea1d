// eslint-disable-next-line no-restricted-imports -- node:test runs these view-model tests under tsx, never in the browser
import { describe, it } from 'node:test';
// eslint-disable-next-line no-restricted-imports
import assert from 'node:assert/strict';
import { serverMessageSchema, type ServerMessage } from '@firelink/common';
import { LiveState } from './live-state.ts';
import { alarmDto } from './test-fixtures.ts';

const m = (x: unknown): ServerMessage => serverMessageSchema.parse(x);
const at = '2026-01-01T00:05:00Z';

// The wall's ticker was mostly routine analog readings and answered duty checks: it now
// lists alarms only, as they open and change state.
describe('LiveState alarm log (the wall ticker)', () => {
  it('seeds from the snapshot, then logs openings and state changes, not routine updates or events', () => {
    const s = new LiveState();
    s.apply(m({ type: 'snapshot', id: 1, reason: 'initial', alarms: [alarmDto({ id: 1, openedAt: '2026-01-01T00:01:00Z' }), alarmDto({ id: 2, kind: 'fault', priority: 4 })] }));
    assert.deepEqual(s.alarmLog.newestFirst().map((x) => [x.alarmId, x.change]), [[1, 'opened'], [2, 'opened']]);
    s.apply(m({ type: 'alarm_opened', id: 2, at, alarm: alarmDto({ id: 3 }) }));
    // Another event of the same alarm: same state, nothing to say.
    s.apply(m({ type: 'alarm_updated', id: 3, at, reason: 'repeat', alarm: alarmDto({ id: 3, version: 2, eventCount: 2 }) }));
    s.apply(m({ type: 'alarm_updated', id: 4, at, reason: 'acknowledged', alarm: alarmDto({ id: 3, version: 3, state: 'acknowledged' }) }));
    s.apply(m({ type: 'alarm_updated', id: 5, at, reason: 'verified', alarm: alarmDto({ id: 3, version: 4, state: 'verified', verdict: 'fire' }) }));
    s.apply(m({ type: 'alarm_updated', id: 6, at, reason: 'escalated', alarm: alarmDto({ id: 3, version: 5, state: 'verified', verdict: 'fire', escalatedAt: at }) }));
    s.apply(m({ type: 'alarm_closed', id: 7, at, reason: 'closed', alarm: alarmDto({ id: 2, kind: 'fault', priority: 4, version: 2, state: 'closed' }) }));
    const items = s.alarmLog.newestFirst().map((x) => [x.id, x.alarmId, x.change, x.verdict]);
    assert.deepEqual(items, [
      [7, 2, 'closed', null],
      [6, 3, 'escalated', 'fire'],
      [5, 3, 'verified', 'fire'],
      [4, 3, 'acknowledged', null],
      [2, 3, 'opened', null],
      [-1, 1, 'opened', null],
      [-2, 2, 'opened', null],
    ]);
  });
});
