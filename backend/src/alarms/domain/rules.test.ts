import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { alarmRuleFor, escalationDue, eventPriority, independentRuns, planAlarmWork, type PlannedStep, type RuleInput } from './rules.ts';

const ev = (id: number, kind: RuleInput['kind'], pointId: number | null = 7, unitId: number | null = 1): RuleInput => ({
  id,
  kind,
  unitId,
  deviceId: 3,
  pointId,
  regionAdcode: 320106,
  receivedAt: new Date(1_700_000_000_000 + id * 1000).toISOString(),
});

describe('alarm rules', () => {
  it('maps event kinds to alarm kinds with priority fire > host offline > off duty > fault > supervisory', () => {
    const p = (k: RuleInput['kind']) => {
      const r = alarmRuleFor(k);
      assert.equal(r?.action, 'raise');
      return r.action === 'raise' ? [r.alarmKind, r.priority] : null;
    };
    assert.deepEqual(p('fire'), ['fire', 1]);
    assert.deepEqual(p('host_offline'), ['host_offline', 2]);
    assert.deepEqual(p('duty_check_missed'), ['off_duty', 3]);
    assert.deepEqual(p('fault'), ['fault', 4]);
    assert.deepEqual(p('mains_power_fault'), ['fault', 4]);
    assert.deepEqual(p('supervisory'), ['supervisory', 5]);
    assert.equal(alarmRuleFor('analog_value'), null);
    assert.equal(eventPriority('fire_cleared'), 1);
    assert.equal(eventPriority('reset'), 1);
    assert.equal(eventPriority('status'), null);
  });

  it('folds repeats of one unit + point + kind and keeps raises and clears in event order', () => {
    const steps = planAlarmWork([ev(1, 'fault'), ev(2, 'fault'), ev(3, 'fault_cleared'), ev(4, 'fault'), ev(5, 'fire', 8)]);
    assert.deepEqual(
      steps.map((s) => (s.type === 'raise' ? `raise ${s.group.alarmKind} ${s.group.eventIds.join('+')}` : `clear ${s.clear.alarmKinds.join('+')}`)),
      ['raise fault 1+2', 'clear fault', 'raise fault 4', 'raise fire 5'],
    );
  });

  it('host offline and off duty are unit-level; unregistered events raise nothing', () => {
    const steps = planAlarmWork([ev(1, 'host_offline', 9), ev(2, 'host_offline', null), ev(3, 'fire', 7, null)]);
    assert.equal(steps.length, 1);
    assert.equal(steps[0]!.type === 'raise' && steps[0]!.group.pointId, null);
    assert.deepEqual(steps[0]!.type === 'raise' && steps[0]!.group.eventIds, [1, 2]);
  });

  it('clearing signals close in the stages of the kind\'s procedure; a fire is never closed by a signal', () => {
    const fault = alarmRuleFor('fault_cleared');
    assert.ok(fault?.action === 'clear');
    assert.deepEqual(fault.closeIn.fault, ['open', 'acknowledged', 'following_up']);
    const online = alarmRuleFor('host_online');
    assert.ok(online?.action === 'clear');
    assert.deepEqual(online.closeIn.host_offline, ['open', 'acknowledged']);
    const fire = alarmRuleFor('fire_cleared');
    assert.ok(fire?.action === 'clear');
    assert.deepEqual(fire.closeIn.fire, []);
  });

  it('escalation is due only for unacknowledged, unescalated fire alarms past the threshold', () => {
    const openedAt = new Date(1_000_000).toISOString();
    const a = { kind: 'fire' as const, state: 'open' as const, escalatedAt: null, openedAt };
    assert.equal(escalationDue(a, 1_000_000 + 29_999, 30), false);
    assert.equal(escalationDue(a, 1_000_000 + 30_000, 30), true);
    assert.equal(escalationDue({ ...a, state: 'acknowledged' }, 1_000_000 + 60_000, 30), false);
    assert.equal(escalationDue({ ...a, kind: 'fault' }, 1_000_000 + 60_000, 30), false);
  });
});

describe('independent runs (the bulk alarm stage)', () => {
  const stepUnit = (s: PlannedStep) => (s.type === 'raise' ? s.group.unitId : s.clear.unitId);
  const kinds: Array<RuleInput['kind']> = ['fault', 'fault_cleared', 'fire', 'fire_cleared', 'host_offline', 'host_online', 'supervisory', 'supervisory_cleared'];

  it('keeps every step in order, and no run raises one key twice or shares a clearing unit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ kind: fc.constantFrom(...kinds), unit: fc.integer({ min: 1, max: 4 }), point: fc.integer({ min: 1, max: 3 }) }), { maxLength: 80 }),
        (xs) => {
          const steps = planAlarmWork(xs.map((x, i) => ev(i + 1, x.kind, x.point, x.unit)));
          const runs = independentRuns(steps);
          assert.deepEqual(runs.flat(), steps);
          for (const run of runs) {
            assert.ok(run.length > 0);
            const raised = run.flatMap((s) => (s.type === 'raise' ? [`${s.group.unitId}|${s.group.pointId ?? 0}|${s.group.alarmKind}`] : []));
            assert.equal(new Set(raised).size, raised.length);
            for (const s of run) {
              if (s.type !== 'clear') continue;
              assert.equal(run.filter((o) => stepUnit(o) === s.clear.unitId).length, 1, 'a clearing is the only step of its unit in its run');
            }
          }
        },
      ),
    );
  });

  it("puts a storm over many units in one run, and a unit's fault–clear–fault in three", () => {
    const storm = planAlarmWork(Array.from({ length: 500 }, (_, i) => ev(i + 1, 'fault', 1, i + 1)));
    assert.equal(independentRuns(storm).length, 1);
    const flap = planAlarmWork([ev(1, 'fault'), ev(2, 'fault_cleared'), ev(3, 'fault')]);
    assert.deepEqual(independentRuns(flap).map((r) => r.map((s) => s.type)), [['raise'], ['clear'], ['raise']]);
  });
});
