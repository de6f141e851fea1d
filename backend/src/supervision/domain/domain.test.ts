// Task rules and the task life cycle without a database: each rule's threshold, one task per
// unit and reason, and property tests that no move happens outside the transition table.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { TASK_STATES, type Role, type TaskState } from '@firelink/common';
import { evaluateRules, type RuleConfig, type RuleSnapshot, type UnresolvedAlarm } from './rules.ts';
import { TASK_TRANSITIONS, canTransition, checkTaskTransition, escalationDue, isOverdue, nextTaskStates } from './tasks.ts';

const H = 3_600_000;
const D = 24 * H;
const NOW = new Date('2026-12-04T04:00:00Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const CONFIG: RuleConfig = { hostOfflineHours: 24, offDutyHours: 12, faultRepairHours: 72, falseAlarmCount: 3, falseAlarmWindowDays: 30, disabledPointDays: 7 };
const empty: RuleSnapshot = { unresolved: [], falseAlarms: [], disabledPoints: [], drawingsOverdue: [] };

describe('task rules', () => {
  it('host offline, off duty and fault alarms make a task only past their own deadline', () => {
    const alarms: UnresolvedAlarm[] = [
      { id: 1, unitId: 10, kind: 'host_offline', openedAt: ago(25 * H), eventIds: [100] },
      { id: 2, unitId: 11, kind: 'host_offline', openedAt: ago(23 * H), eventIds: [101] },
      { id: 3, unitId: 12, kind: 'off_duty', openedAt: ago(13 * H), eventIds: [102] },
      { id: 4, unitId: 13, kind: 'fault', openedAt: ago(71 * H), eventIds: [103] },
      { id: 5, unitId: 13, kind: 'fault', openedAt: ago(80 * H), eventIds: [104, 105] },
      { id: 6, unitId: 13, kind: 'fault', openedAt: ago(73 * H), eventIds: [106] },
    ];
    const out = evaluateRules({ ...empty, unresolved: alarms }, CONFIG, NOW);
    assert.deepEqual(out.map((t) => [t.unitId, t.reason, t.evidence.alarmIds, t.evidence.eventIds]), [
      [10, 'host_offline', [1], [100]],
      [12, 'off_duty', [3], [102]],
      [13, 'fault_overdue', [5, 6], [104, 105, 106]],
    ]);
    assert.equal(out[2]!.evidence.figures.openHours, 80);
    assert.equal(out[2]!.evidence.figures.deadlineHours, 72);
  });

  it('N verified false alarms within M days make one task; older ones do not count', () => {
    const fa = (id: number, unitId: number, daysAgo: number) => ({ id, unitId, verifiedAt: ago(daysAgo * D), eventIds: [id * 10] });
    const out = evaluateRules({ ...empty, falseAlarms: [fa(1, 20, 1), fa(2, 20, 10), fa(3, 20, 29), fa(4, 21, 1), fa(5, 21, 2), fa(6, 21, 31)] }, CONFIG, NOW);
    assert.deepEqual(out.map((t) => [t.unitId, t.reason, t.evidence.alarmIds]), [[20, 'repeated_false_alarms', [1, 2, 3]]]);
    assert.deepEqual(out[0]!.evidence.figures, { falseAlarms: 3, threshold: 3, windowDays: 30 });
  });

  it('points disabled beyond N days, and overdue drawings, make a task per unit', () => {
    const out = evaluateRules(
      {
        ...empty,
        disabledPoints: [
          { pointId: 7, unitId: 30, since: ago(8 * D) },
          { pointId: 8, unitId: 30, since: ago(9 * D) },
          { pointId: 9, unitId: 31, since: ago(6 * D) },
        ],
        drawingsOverdue: [{ unitId: 32, drawingsDue: '2026-12-01', daysLate: 3 }],
      },
      CONFIG,
      NOW,
    );
    assert.deepEqual(out.map((t) => [t.unitId, t.reason, t.evidence.pointIds, t.evidenceKey]), [
      [30, 'points_disabled', [7, 8], '7,8'],
      [32, 'drawings_overdue', [], 'drawings:2026-12-01'],
    ]);
  });

  it('at most one candidate per unit and reason, for any snapshot; the same snapshot gives the same tasks', () => {
    const alarm = fc.record({
      id: fc.integer({ min: 1, max: 500 }),
      unitId: fc.integer({ min: 1, max: 20 }),
      kind: fc.constantFrom('host_offline' as const, 'off_duty' as const, 'fault' as const),
      openedAt: fc.integer({ min: 0, max: 200 }).map((h) => ago(h * H)),
      eventIds: fc.array(fc.integer({ min: 1, max: 1000 }), { maxLength: 3 }),
    });
    const falseAlarm = fc.record({
      id: fc.integer({ min: 1, max: 500 }),
      unitId: fc.integer({ min: 1, max: 20 }),
      verifiedAt: fc.integer({ min: 0, max: 60 }).map((d) => ago(d * D)),
      eventIds: fc.constant([] as number[]),
    });
    const point = fc.record({ pointId: fc.integer({ min: 1, max: 500 }), unitId: fc.integer({ min: 1, max: 20 }), since: fc.integer({ min: 0, max: 30 }).map((d) => ago(d * D)) });
    fc.assert(
      fc.property(fc.array(alarm, { maxLength: 40 }), fc.array(falseAlarm, { maxLength: 40 }), fc.array(point, { maxLength: 40 }), (unresolved, falseAlarms, disabledPoints) => {
        const snap: RuleSnapshot = { unresolved, falseAlarms, disabledPoints, drawingsOverdue: [] };
        const out = evaluateRules(snap, CONFIG, NOW);
        const keys = out.map((t) => `${t.unitId}:${t.reason}`);
        assert.equal(new Set(keys).size, keys.length);
        assert.deepEqual(evaluateRules(snap, CONFIG, NOW), out);
        // Every alarm in the evidence belongs to the task's unit.
        const unitOf = new Map([...unresolved, ...falseAlarms].map((a) => [a.id, a.unitId]));
        for (const t of out) for (const id of t.evidence.alarmIds) assert.ok([...unresolved, ...falseAlarms].some((a) => a.id === id && a.unitId === t.unitId), `alarm ${id} of unit ${unitOf.get(id)}`);
      }),
    );
  });
});

describe('task life cycle', () => {
  const admin = { userId: 1, role: 'admin' as Role };
  const people = { assigneeId: 5, chiefId: 6 };

  it('follows open → in_progress → checked → rectified | case_opened → closed', () => {
    let s: TaskState = 'open';
    for (const to of ['in_progress', 'checked', 'case_opened', 'closed'] as const) {
      assert.equal(checkTaskTransition(s, to, admin, people).ok, true, `${s} → ${to}`);
      s = to;
    }
    assert.deepEqual(TASK_TRANSITIONS.checked, ['rectified', 'case_opened']);
    assert.deepEqual(nextTaskStates('closed', admin, people), []);
  });

  it('property: any (from, to) outside the table is refused with 409, inside it is allowed for the assignee', () => {
    const state = fc.constantFrom(...TASK_STATES);
    fc.assert(
      fc.property(state, state, (from, to) => {
        const r = checkTaskTransition(from, to, { userId: 5, role: 'supervisor' }, people);
        const inTable = TASK_TRANSITIONS[from].includes(to);
        assert.equal(r.ok, inTable);
        assert.equal(canTransition(from, to), inTable);
        if (!r.ok) assert.equal(r.status, 409);
      }),
    );
  });

  it('property: any walk of allowed moves ends in closed or can go on, and never leaves closed', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 10 }), (choices) => {
        let s: TaskState = 'open';
        const seen: TaskState[] = [s];
        for (const c of choices) {
          const next = nextTaskStates(s, admin, people);
          if (next.length === 0) {
            assert.equal(s, 'closed');
            break;
          }
          s = next[c % next.length]!;
          seen.push(s);
        }
        // States only move forward along the table's order.
        const order = (x: TaskState) => ({ open: 0, in_progress: 1, checked: 2, rectified: 3, case_opened: 3, closed: 4 })[x];
        for (let i = 1; i < seen.length; i++) assert.ok(order(seen[i]!) > order(seen[i - 1]!));
      }),
    );
  });

  it('only the assignee, their chief or an admin may act; other roles and other supervisors may not', () => {
    fc.assert(
      fc.property(fc.constantFrom<Role>('operator', 'dispatcher', 'station', 'analyst', 'unit_user', 'maintainer'), fc.integer({ min: 1, max: 10 }), (role, userId) => {
        const r = checkTaskTransition('open', 'in_progress', { userId, role }, people);
        assert.equal(r.ok, false);
        if (!r.ok) assert.equal(r.status, 403);
      }),
    );
    assert.equal(checkTaskTransition('open', 'in_progress', { userId: 6, role: 'supervisor' }, people).ok, true);
    assert.equal(checkTaskTransition('open', 'in_progress', { userId: 7, role: 'supervisor' }, people).ok, false);
    assert.equal(checkTaskTransition('open', 'in_progress', { userId: 7, role: 'supervisor' }, { assigneeId: null, chiefId: null }).ok, true);
  });

  it('escalates once, when overdue and still pending, and only to an existing chief', () => {
    const due = new Date(NOW.getTime() - 1);
    assert.equal(escalationDue({ state: 'in_progress', dueAt: due, escalatedAt: null, chiefId: 6 }, NOW), true);
    assert.equal(escalationDue({ state: 'in_progress', dueAt: due, escalatedAt: NOW, chiefId: 6 }, NOW), false);
    assert.equal(escalationDue({ state: 'in_progress', dueAt: due, escalatedAt: null, chiefId: null }, NOW), false);
    assert.equal(escalationDue({ state: 'rectified', dueAt: due, escalatedAt: null, chiefId: 6 }, NOW), false);
    assert.equal(escalationDue({ state: 'open', dueAt: new Date(NOW.getTime() + 1), escalatedAt: null, chiefId: 6 }, NOW), false);
    assert.equal(isOverdue({ state: 'checked', dueAt: due }, NOW), true);
  });
});
