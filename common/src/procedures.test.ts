import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ALARM_KINDS, ALARM_VERDICTS, type AlarmKind, type AlarmVerdict } from './event.ts';
import {
  applySignal,
  availableSteps,
  blockedSteps,
  CALL_OUTCOMES,
  checkStep,
  PROCEDURE_STEPS,
  PROCEDURES,
  stateOfStage,
  type ProcedureState,
  type ProcedureStepId,
  type StepInput,
} from './procedures.ts';

const NOW_MS = Date.parse('2025-03-01T08:00:00Z');
const start = (kind: AlarmKind): ProcedureState => ({ kind, stage: 'open', verdict: null, cleared: false });
const key = (p: ProcedureState) => `${p.stage}|${p.verdict ?? '-'}|${p.cleared ? 1 : 0}`;

/** An input that satisfies whatever the rule of `step` at this stage needs (verdict chosen by the caller). */
function goodInput(p: ProcedureState, step: ProcedureStepId, verdict: AlarmVerdict = 'fire'): StepInput {
  const proc = PROCEDURES[p.kind as AlarmKind];
  const falseCause = proc.causes[0]?.code ?? null;
  return {
    note: '已处理',
    call: { number: '025-84000000', answeredBy: '值班员王某', outcome: 'confirmed', durationS: 42 },
    verdict,
    cause: step === 'verdict' ? (verdict === 'false_alarm' ? falseCause : null) : falseCause,
  };
}

type Action = { type: 'step'; step: ProcedureStepId; input: StepInput } | { type: 'signal'; signal: 'clear' | 'repeat' };

const inputArb: fc.Arbitrary<StepInput> = fc.record(
  {
    note: fc.option(fc.constantFrom('', '  ', '已电话核实'), { nil: undefined }),
    call: fc.option(
      fc.record({
        number: fc.constantFrom('025-84000000', '13800000000'),
        answeredBy: fc.constantFrom('', '保安'),
        outcome: fc.constantFrom(...CALL_OUTCOMES.map((o) => o.code)),
        durationS: fc.nat(600),
      }),
      { nil: undefined },
    ),
    verdict: fc.option(fc.constantFrom(...ALARM_VERDICTS), { nil: undefined }),
    cause: fc.option(fc.constantFrom('dust_steam', 'power_cut', 'staff_absent', 'bogus'), { nil: undefined }),
    deadlineAt: fc.option(fc.constantFrom('2025-03-02T08:00:00Z', '2025-02-01T08:00:00Z', 'not a time'), { nil: undefined }),
  },
  { requiredKeys: [] },
);
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ type: fc.constant('step' as const), step: fc.constantFrom(...PROCEDURE_STEPS), input: inputArb }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('signal' as const), signal: fc.constantFrom('clear' as const, 'repeat' as const) }) },
);

/** Every state reachable from open with table steps (good inputs, every verdict) and signals. */
function reachable(kind: AlarmKind): Map<string, ProcedureState> {
  const seen = new Map<string, ProcedureState>();
  const todo = [start(kind)];
  while (todo.length) {
    const p = todo.pop()!;
    if (seen.has(key(p))) continue;
    seen.set(key(p), p);
    for (const s of ['clear', 'repeat'] as const) todo.push(applySignal(p, s));
    for (const r of availableSteps(p)) {
      for (const v of ALARM_VERDICTS) {
        const c = checkStep(p, r.step, goodInput(p, r.step, v), NOW_MS);
        assert.ok(c.ok, `${kind} ${key(p)} ${r.step}: an available step with a complete input is accepted (${c.ok ? '' : c.reason})`);
        todo.push(c.next);
      }
    }
  }
  return seen;
}

describe('procedure table', () => {
  it('every alarm kind has a procedure whose steps start from stages it uses', () => {
    for (const kind of ALARM_KINDS) {
      const proc = PROCEDURES[kind];
      assert.equal(proc.kind, kind);
      for (const r of proc.steps) {
        for (const s of [...r.from, r.to]) assert.ok(s in proc.stages, `${kind}: stage ${s} of step ${r.step} has a state`);
      }
    }
  });

  it('no transition outside the table: any sequence of steps and signals moves only along table rows', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALARM_KINDS), fc.array(actionArb, { maxLength: 30 }), (kind, actions) => {
        const proc = PROCEDURES[kind];
        let p = start(kind);
        for (const a of actions) {
          if (a.type === 'signal') {
            const n = applySignal(p, a.signal);
            if (n.stage !== p.stage) {
              assert.equal(n.stage, 'closed', 'a signal only ever closes');
              assert.ok(proc.closeOnClear.includes(p.stage), `${kind}: clear closes only in closeOnClear stages`);
            }
            p = n;
            continue;
          }
          const c = checkStep(p, a.step, a.input, NOW_MS);
          if (!c.ok) {
            assert.ok(c.reason.length > 10, 'a refusal says why');
            continue;
          }
          assert.ok(
            proc.steps.some((r) => r.step === a.step && r.from.includes(p.stage) && r.to === c.next.stage),
            `${kind}: ${p.stage} --${a.step}--> ${c.next.stage} is a table row`,
          );
          assert.equal(c.state, stateOfStage(kind, c.next.stage));
          if (c.rule.note === 'required') assert.ok(a.input.note?.trim(), 'a step that needs a note had one');
          if (c.rule.call) assert.ok(a.input.call, 'a call step carries its call record');
          if (c.rule.cause === 'always') assert.ok(proc.causes.some((x) => x.code === c.cause), 'cause from the list');
          if (c.rule.verdict && c.next.verdict === 'false_alarm') assert.ok(proc.causes.some((x) => x.code === c.cause), 'false alarm has a cause');
          if (c.rule.deadline) assert.ok(c.deadlineAt && Date.parse(c.deadlineAt) > NOW_MS, 'deadline in the future');
          if (kind !== 'fire') {
            assert.notEqual(a.step, 'verdict', 'only fire alarms take verdicts');
            assert.notEqual(a.step, 'dispatch', 'only fire alarms are dispatched');
          }
          p = c.next;
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('from every reachable state some path ends closed', () => {
    for (const kind of ALARM_KINDS) {
      const states = reachable(kind);
      assert.ok([...states.values()].some((p) => p.stage === 'closed'), `${kind} can close`);
      for (const p of states.values()) {
        // Breadth-first search for a closed state, through steps and signals.
        const seen = new Set([key(p)]);
        const queue = [p];
        let closed = false;
        while (queue.length && !closed) {
          const q = queue.shift()!;
          if (q.stage === 'closed') closed = true;
          const nexts = [applySignal(q, 'clear'), ...availableSteps(q).flatMap((r) => ALARM_VERDICTS.map((v) => checkStep(q, r.step, goodInput(q, r.step, v), NOW_MS)).flatMap((c) => (c.ok ? [c.next] : [])))];
          for (const n of nexts) {
            if (seen.has(key(n))) continue;
            seen.add(key(n));
            queue.push(n);
          }
        }
        assert.ok(closed, `${kind}: from ${key(p)} a path ends closed`);
      }
    }
  });

  it('invalid steps are refused with a reason and a code, and change nothing', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALARM_KINDS), fc.constantFrom(...PROCEDURE_STEPS), inputArb, fc.nat(40), (kind, step, input, walk) => {
        // A random reachable state.
        const states = [...reachable(kind).values()];
        const p = states[walk % states.length]!;
        const available = availableSteps(p).some((r) => r.step === step);
        const c = checkStep(p, step, input, NOW_MS);
        if (!available) {
          assert.equal(c.ok, false, `${kind} at ${p.stage}: ${step} is not offered, so it is refused`);
        }
        if (!c.ok) {
          assert.ok(c.reason.length > 10);
          assert.ok(c.refusal);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('host offline and off duty take no verdicts and no dispatch; they close only after recovery', () => {
    for (const kind of ['host_offline', 'off_duty'] as const) {
      let p = start(kind);
      const verdict = checkStep({ ...p, stage: 'acknowledged' }, 'verdict', { verdict: 'fire' }, NOW_MS);
      assert.equal(verdict.ok, false);
      const steps: Array<[ProcedureStepId, StepInput]> = [
        ['ack', {}],
        ['call', goodInput(p, 'call')],
        ['cause', { cause: kind === 'off_duty' ? 'staff_absent' : 'switched_off' }],
        ['deadline', {}],
      ];
      for (const [s, input] of steps) {
        const c = checkStep(p, s, input, NOW_MS);
        assert.ok(c.ok, `${kind} ${s}: ${c.ok ? '' : c.reason}`);
        p = c.next;
      }
      assert.equal(p.stage, 'rectifying');
      const early = checkStep(p, 'close', { note: '已恢复' }, NOW_MS);
      assert.ok(!early.ok && early.refusal === 'needs_recovery');
      assert.deepEqual(blockedSteps(p).map((b) => b.rule.step), ['close']);
      p = applySignal(p, 'clear');
      assert.equal(p.stage, 'rectifying', 'recovery after the procedure started waits for the confirmation');
      const noNote = checkStep(p, 'close', {}, NOW_MS);
      assert.ok(!noNote.ok && noNote.refusal === 'note_required');
      const done = checkStep(p, 'close', { note: '单位已恢复供电，电话确认' }, NOW_MS);
      assert.ok(done.ok && done.next.stage === 'closed');
    }
  });

  it('fire: call before verdict, a false alarm needs a cause, a fire is dispatched before it closes with an outcome', () => {
    let p: ProcedureState = { ...start('fire'), stage: 'acknowledged' };
    const noCall = checkStep(p, 'verdict', { verdict: 'fire' }, NOW_MS);
    assert.ok(!noCall.ok && noCall.refusal === 'not_in_stage');
    const call = checkStep(p, 'call', {}, NOW_MS);
    assert.ok(!call.ok && call.refusal === 'call_required');
    const c1 = checkStep(p, 'call', goodInput(p, 'call'), NOW_MS);
    assert.ok(c1.ok);
    p = c1.next;
    const noCause = checkStep(p, 'verdict', { verdict: 'false_alarm' }, NOW_MS);
    assert.ok(!noCause.ok && noCause.refusal === 'cause_required');
    const badCause = checkStep(p, 'verdict', { verdict: 'false_alarm', cause: 'power_cut' }, NOW_MS);
    assert.ok(!badCause.ok && badCause.refusal === 'cause_unknown');
    const fire = checkStep(p, 'verdict', { verdict: 'fire' }, NOW_MS);
    assert.ok(fire.ok && fire.state === 'verified' && fire.cause === null);
    p = fire.next;
    const early = checkStep(p, 'close', { note: 'x' }, NOW_MS);
    assert.ok(!early.ok && early.refusal === 'needs_other_verdict');
    const d = checkStep(p, 'dispatch', {}, NOW_MS);
    assert.ok(d.ok && d.state === 'dispatched');
    const close = checkStep(d.next, 'close', { note: '明火已扑灭' }, NOW_MS);
    assert.ok(close.ok && close.state === 'closed');
  });

  it('fault: the follow-up deadline defaults by fault type; an explicit one must be in the future', () => {
    const p: ProcedureState = { ...start('fault'), stage: 'acknowledged' };
    const mains = checkStep(p, 'follow_up', { faultType: 'mains_power_fault' }, NOW_MS);
    assert.ok(mains.ok && mains.deadlineAt === new Date(NOW_MS + 24 * 3_600_000).toISOString());
    const other = checkStep(p, 'follow_up', { faultType: 'fault' }, NOW_MS);
    assert.ok(other.ok && other.deadlineAt === new Date(NOW_MS + 72 * 3_600_000).toISOString());
    const past = checkStep(p, 'follow_up', { deadlineAt: '2020-01-01T00:00:00Z' }, NOW_MS);
    assert.ok(!past.ok && past.refusal === 'deadline_invalid');
    assert.equal(applySignal({ ...p, stage: 'following_up' }, 'clear').stage, 'closed', 'the clearing signal closes a fault under follow-up');
  });
});
