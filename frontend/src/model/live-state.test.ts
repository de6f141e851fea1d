// eslint-disable-next-line no-restricted-imports -- node:test runs these view-model tests under tsx, never in the browser
import { describe, it } from 'node:test';
// eslint-disable-next-line no-restricted-imports
import assert from 'node:assert/strict';
import { serverMessageSchema, type ServerMessage } from '@firelink/common';
import { countAlarms, connectionRate } from './counters.ts';
import { LiveState, STORM_CAPACITY, TICKER_CAPACITY } from './live-state.ts';
import { UNIT_STATE, unitStateColor } from './colors.ts';
import { UnitStore, deriveUnitState } from './unit-store.ts';
import { alarmDto } from './test-fixtures.ts';

// Every message is validated against the live contract first, so these tests break when
// the contract changes under the frontend.
const m = (x: unknown): ServerMessage => serverMessageSchema.parse(x);
const at = '2026-01-01T00:00:00Z';

function store() {
  const u = new UnitStore();
  u.setUnits([
    { id: 1, lonWgs84: 120.1, latWgs84: 30.2, open: true, highRisk: true, hasControlRoom: true, online: true },
    { id: 2, lonWgs84: 120.2, latWgs84: 30.3, open: true, highRisk: false, hasControlRoom: true, online: true },
    { id: 3, lonWgs84: 120.3, latWgs84: 30.4, open: false, highRisk: false, hasControlRoom: true, online: false },
  ]);
  return u;
}

describe('LiveState', () => {
  it('keeps the newest state of each storm group from the stream, bounded', () => {
    const s = new LiveState(store());
    const group = (id: number, members: number) => ({
      id, scope: 'area', alarmKind: 'fault', cause: 'mains_power_fault', regionAdcode: 320106, regionName: '鼓楼区', unitId: null, unitName: null,
      startedAt: at, lastAt: at, units: members, members, open: members, endedAt: null,
    });
    assert.equal(s.apply(m({ type: 'storm', id: 1, at, group: group(7, 20) })).queueChanged, true);
    s.apply(m({ type: 'storm', id: 2, at, group: group(8, 25) }));
    s.apply(m({ type: 'storm', id: 3, at, group: group(7, 312) }));
    assert.deepEqual(s.storms().map((g) => [g.id, g.members]), [[7, 312], [8, 25]], 'newest state, most recently heard first');
    for (let i = 0; i < STORM_CAPACITY + 10; i++) s.apply(m({ type: 'storm', id: 10 + i, at, group: group(100 + i, 20) }));
    assert.equal(s.storms().length, STORM_CAPACITY);
    assert.equal(s.storms().at(-1)!.id, 110, 'the longest unheard of are dropped first');
  });

  it('announces a fire opened live, but not fires in the first snapshot', () => {
    const s = new LiveState(store());
    const snap = s.apply(m({ type: 'snapshot', id: 10, reason: 'initial', alarms: [alarmDto({ id: 1 })] }));
    assert.deepEqual(snap.newFires, []);
    const r = s.apply(m({ type: 'alarm_opened', id: 11, at, alarm: alarmDto({ id: 2, unitId: 2 }) }));
    assert.deepEqual(r.newFires.map((a) => a.id), [2]);
    const fault = s.apply(m({ type: 'alarm_opened', id: 12, at, alarm: alarmDto({ id: 3, kind: 'fault', priority: 4 }) }));
    assert.deepEqual(fault.newFires, []);
    assert.deepEqual(s.queue.list().map((a) => a.id), [2, 1, 3], 'the fire that just arrived is on top');
  });

  it('announces unacknowledged fires that appear in a resync snapshot (opened while offline)', () => {
    const s = new LiveState(store());
    s.apply(m({ type: 'snapshot', id: 10, reason: 'initial', alarms: [alarmDto({ id: 1 })] }));
    const r = s.apply(
      m({ type: 'snapshot', id: 20, reason: 'resync', alarms: [alarmDto({ id: 1 }), alarmDto({ id: 5 }), alarmDto({ id: 6, state: 'acknowledged' })] }),
    );
    assert.deepEqual(r.newFires.map((a) => a.id), [5]);
  });

  it('colours a unit red while a fire alarm is open and back when it closes', () => {
    const units = store();
    const s = new LiveState(units);
    const i = units.indexOf(2)!;
    assert.equal(units.states[i], UNIT_STATE.normal);
    const v0 = units.version;
    s.apply(m({ type: 'alarm_opened', id: 1, at, alarm: alarmDto({ id: 9, unitId: 2 }) }));
    assert.equal(units.states[i], UNIT_STATE.fire);
    assert.deepEqual([...units.colors.subarray(i * 4, i * 4 + 4)], [...unitStateColor(UNIT_STATE.fire)]);
    assert.ok(units.version > v0, 'version bumps so deck.gl re-reads the colours');
    s.apply(m({ type: 'alarm_updated', id: 2, at, reason: 'acknowledged', alarm: alarmDto({ id: 9, unitId: 2, state: 'acknowledged', version: 2 }) }));
    assert.equal(units.states[i], UNIT_STATE.fire, 'still burning after acknowledgement');
    s.apply(m({ type: 'alarm_closed', id: 3, at, reason: 'closed', alarm: alarmDto({ id: 9, unitId: 2, state: 'closed', version: 3 }) }));
    assert.equal(units.states[i], UNIT_STATE.normal);
    assert.equal(s.queue.size, 0);
  });

  it('follows device online/offline for the unit colour and the counters', () => {
    const units = store();
    const s = new LiveState(units);
    s.apply(m({ type: 'device_status', id: 1, at, deviceId: 1, deviceAddress: 1, unitId: 1, unitName: 'a', regionAdcode: null, lonLatWgs84: null, online: false }));
    assert.equal(units.states[units.indexOf(1)!], UNIT_STATE.offline);
    assert.deepEqual(units.counts(), { total: 3, open: 2, online: 1, withControlRoom: 3, openWithControlRoom: 2 });
  });

  const event = {
    kind: 'fault', source: 'gb26875', deviceId: 1, deviceAddress: 1, unitId: 1, unitName: 'u', buildingId: null, pointId: null,
    pointLabel: null, floor: 2, regionAdcode: null, h3R9: null, systemType: 1, systemAddress: 1, componentType: 1, componentAddress: 1,
    description: null, deviceTime: null, receivedAt: at, lonLatWgs84: null,
  };

  it('shows a fire once in the ticker (its event, not again its alarm), and the alarm closing', () => {
    const s = new LiveState(store());
    s.apply(m({ type: 'event', id: 1, at, event: { ...event, id: 77, kind: 'fire', unitId: 2 } }));
    s.apply(m({ type: 'alarm_opened', id: 2, at, alarm: alarmDto({ id: 9, unitId: 2 }) }));
    assert.deepEqual(s.ticker.newestFirst().map((t) => t.kind), ['fire']);
    s.apply(m({ type: 'alarm_closed', id: 3, at, reason: 'closed', alarm: alarmDto({ id: 9, unitId: 2, state: 'closed', version: 2 }) }));
    assert.deepEqual(s.ticker.newestFirst().map((t) => t.kind), ['fire:closed', 'fire']);
  });

  it('keeps the ticker bounded however many events arrive', () => {
    const s = new LiveState(null);
    for (let i = 1; i <= 5000; i++) s.apply(m({ type: 'event', id: i, at, event: { ...event, id: i } }));
    assert.equal(s.ticker.size, TICKER_CAPACITY);
    assert.equal(s.ticker.newestFirst(1)[0]!.id, 5000);
  });
});

describe('unit state and counters', () => {
  it('fire outranks offline, offline outranks fault; unopened units stay dim unless burning', () => {
    assert.equal(deriveUnitState({ open: true, online: false }, ['fire']), UNIT_STATE.fire);
    assert.equal(deriveUnitState({ open: true, online: true }, ['fault', 'host_offline']), UNIT_STATE.offline);
    assert.equal(deriveUnitState({ open: true, online: true }, ['fault']), UNIT_STATE.fault);
    assert.equal(deriveUnitState({ open: false, online: true }, ['fault']), UNIT_STATE.unopened);
    assert.equal(deriveUnitState({ open: true, online: true }, []), UNIT_STATE.normal);
  });
  it('counts open alarms by kind and unacknowledged fires', () => {
    const s = new LiveState(null);
    s.apply(m({ type: 'snapshot', id: 1, reason: 'initial', alarms: [
      alarmDto({ id: 1 }), alarmDto({ id: 2, state: 'acknowledged' }), alarmDto({ id: 3, kind: 'fault', priority: 4 }),
    ] }));
    const c = countAlarms(s.queue.list());
    assert.equal(c.openByKind.fire, 2);
    assert.equal(c.openByKind.fault, 1);
    assert.equal(c.openTotal, 3);
    assert.equal(c.unacknowledgedFires, 1);
  });
  it('connection rate is open ÷ registered units with a control room, null without any', () => {
    assert.equal(connectionRate(3, 4), 0.75);
    assert.equal(connectionRate(0, 0), null);
  });
});
