// The handling procedure of each alarm kind, as one table the server enforces and the desk
// reads to offer only the valid actions. Pure: no database, no clock (callers pass `nowMs`).
//
// An alarm's procedure position is its `stage` (finer than the coarse lifecycle `state`
// the wall, lists and filters use: each stage maps to one state). Operator steps move an
// alarm between stages; a step may need a note, a call record, a verdict, a cause or a
// deadline. Signals from the devices (a clearing event, a repeat) are the other way an
// alarm moves: `applySignal`. A kind without an entry here cannot be handled, so adding a
// kind (e.g. a manual alarm or disabled points) means adding its procedure to the table.
import { z } from 'zod';
import type { AlarmKind, AlarmState, AlarmVerdict } from './event.ts';

export const PROCEDURE_STAGES = [
  'open',
  'acknowledged',
  /** fire: at least one verification call recorded */
  'called',
  /** fire: verdict given */
  'verified',
  /** fire: forwarded to 119 and dispatched */
  'dispatched',
  /** host offline / off duty: the unit was contacted (call recorded) */
  'contacted',
  /** host offline / off duty: cause recorded */
  'cause_found',
  /** host offline / off duty: rectification deadline set, waiting for recovery */
  'rectifying',
  /** fault: repair follow-up (故障督办) under way with a deadline */
  'following_up',
  /** supervisory: a note recorded */
  'noted',
  'closed',
] as const;
export const procedureStageSchema = z.enum(PROCEDURE_STAGES);
export type ProcedureStage = z.infer<typeof procedureStageSchema>;

export const PROCEDURE_STEPS = ['ack', 'call', 'verdict', 'dispatch', 'cause', 'deadline', 'follow_up', 'note', 'close'] as const;
export const procedureStepSchema = z.enum(PROCEDURE_STEPS);
export type ProcedureStepId = z.infer<typeof procedureStepSchema>;

/** The name a step has in alarm_steps.step (the first four are the historic names). */
export const STEP_RECORD_NAME = {
  ack: 'acknowledged',
  call: 'called',
  verdict: 'verified',
  dispatch: 'dispatched',
  cause: 'cause',
  deadline: 'deadline',
  follow_up: 'follow_up',
  note: 'noted',
  close: 'closed',
} as const satisfies Record<ProcedureStepId, string>;

export interface Labelled {
  code: string;
  zh: string;
  en: string;
}

/** Causes of false fire alarms; statistics count false alarms by these codes. */
export const FALSE_ALARM_CAUSES = [
  { code: 'dust_steam', zh: '粉尘、水汽', en: 'Dust or steam' },
  { code: 'smoking_cooking', zh: '吸烟、烹饪', en: 'Smoking or cooking' },
  { code: 'construction', zh: '施工作业', en: 'Construction work' },
  { code: 'detector_aged', zh: '探测器老化、污染', en: 'Detector aged or dirty' },
  { code: 'device_fault', zh: '设备故障', en: 'Device fault' },
  { code: 'human_error', zh: '人为误触发', en: 'Triggered by mistake' },
  { code: 'unannounced_test', zh: '维保测试未报备', en: 'Unannounced maintenance test' },
  { code: 'environment', zh: '温湿度等环境因素', en: 'Heat, humidity or other environment' },
  { code: 'other', zh: '其他', en: 'Other' },
] as const satisfies readonly Labelled[];

/** Causes of a host shutdown (主机关机). */
export const HOST_OFFLINE_CAUSES = [
  { code: 'power_cut', zh: '停电', en: 'Power cut' },
  { code: 'switched_off', zh: '人为关机', en: 'Switched off by people' },
  { code: 'line_fault', zh: '线路故障', en: 'Line fault' },
  { code: 'device_fault', zh: '设备故障', en: 'Device fault' },
  { code: 'other', zh: '其他', en: 'Other' },
] as const satisfies readonly Labelled[];

/** Causes of a missed duty check (值班人员脱岗): the host list plus the staff's absence. */
export const OFF_DUTY_CAUSES = [
  { code: 'staff_absent', zh: '值班人员离岗', en: 'Duty staff absent' },
  ...HOST_OFFLINE_CAUSES,
] as const satisfies readonly Labelled[];

/** Outcomes of a recorded phone call. */
export const CALL_OUTCOMES = [
  { code: 'confirmed', zh: '对方确认', en: 'Confirmed by the unit' },
  { code: 'denied', zh: '对方否认', en: 'Denied by the unit' },
  { code: 'checking', zh: '对方前往查看', en: 'Unit is checking on site' },
  { code: 'no_answer', zh: '无人接听', en: 'No answer' },
  { code: 'busy', zh: '占线', en: 'Line busy' },
  { code: 'unreachable', zh: '无法接通', en: 'Unreachable' },
] as const satisfies readonly Labelled[];
export type CallOutcome = (typeof CALL_OUTCOMES)[number]['code'];

export const callRecordSchema = z.object({
  /** The number dialled, as dialled (landline with area code, or mobile). */
  number: z.string().trim().min(3).max(40),
  /** Who answered (name and role); empty when nobody answered. */
  answeredBy: z.string().trim().max(100).default(''),
  outcome: z.enum(CALL_OUTCOMES.map((o) => o.code) as [CallOutcome, ...CallOutcome[]]),
  durationS: z.number().int().min(0).max(36_000),
});
export type CallRecord = z.infer<typeof callRecordSchema>;

/** A recorded call as the alarm detail returns it. */
export const alarmCallSchema = callRecordSchema.extend({
  id: z.number().int(),
  actorName: z.string().nullable(),
  at: z.string(),
});
export type AlarmCall = z.infer<typeof alarmCallSchema>;

/** One row of the table: a step, the stages it applies in, and what it needs. */
export interface StepRule {
  step: ProcedureStepId;
  from: readonly ProcedureStage[];
  to: ProcedureStage;
  /** Extra condition beyond the stage: the verdict given, or the device recovered (clearing signal seen). */
  guard?: 'verdict_fire' | 'verdict_not_fire' | 'cleared';
  /** A note is always accepted; `required` refuses the step without one. */
  note: 'required' | 'optional';
  call?: true;
  verdict?: true;
  /** `always`: a cause from the kind's list; `false_alarm`: a false-alarm cause when the verdict is false_alarm. */
  cause?: 'always' | 'false_alarm';
  /** `optional`: the procedure's default deadline applies when none is given. */
  deadline?: 'optional';
}

export interface Procedure {
  kind: AlarmKind;
  /** Coarse lifecycle state of each stage the procedure uses. */
  stages: Partial<Record<ProcedureStage, AlarmState>>;
  steps: readonly StepRule[];
  /** Cause list of the `cause` step (or of false alarms for the verdict step). */
  causes: readonly Labelled[];
  /** Stages in which the kind's clearing signal (fault cleared, back online…) closes the alarm. */
  closeOnClear: readonly ProcedureStage[];
  /** Hours from the deadline/follow-up step to the default deadline. */
  deadlineH?: number;
  /** Fault type (the event kind that raised the fault) → hours; overrides deadlineH. */
  deadlineHByFaultType?: Readonly<Record<string, number>>;
}

const openStates = { open: 'open', acknowledged: 'acknowledged', closed: 'closed' } as const;
const ack: StepRule = { step: 'ack', from: ['open'], to: 'acknowledged', note: 'optional' };

const unitContact = (kind: 'host_offline' | 'off_duty', causes: readonly Labelled[]): Procedure => ({
  kind,
  stages: { ...openStates, contacted: 'acknowledged', cause_found: 'acknowledged', rectifying: 'acknowledged' },
  steps: [
    ack,
    { step: 'call', from: ['acknowledged', 'contacted'], to: 'contacted', note: 'optional', call: true },
    { step: 'cause', from: ['contacted', 'cause_found'], to: 'cause_found', note: 'optional', cause: 'always' },
    { step: 'deadline', from: ['cause_found', 'rectifying'], to: 'rectifying', note: 'optional', deadline: 'optional' },
    // Closed once the host is back (host_online / duty check answered) and the operator confirms it.
    { step: 'close', from: ['cause_found', 'rectifying'], to: 'closed', guard: 'cleared', note: 'required' },
  ],
  causes,
  // Back before anyone worked on it: a blip, closed by the signal. Later the operator confirms.
  closeOnClear: ['open', 'acknowledged'],
  deadlineH: 24,
});

export const PROCEDURES: Readonly<Record<AlarmKind, Procedure>> = {
  fire: {
    kind: 'fire',
    stages: { ...openStates, called: 'acknowledged', verified: 'verified', dispatched: 'dispatched' },
    steps: [
      ack,
      { step: 'call', from: ['acknowledged', 'called'], to: 'called', note: 'optional', call: true },
      { step: 'verdict', from: ['called'], to: 'verified', note: 'optional', verdict: true, cause: 'false_alarm' },
      // A verified fire is queued for 119 with the verdict; dispatch records the stations sent.
      { step: 'dispatch', from: ['verified'], to: 'dispatched', guard: 'verdict_fire', note: 'optional' },
      { step: 'close', from: ['verified'], to: 'closed', guard: 'verdict_not_fire', note: 'required' },
      { step: 'close', from: ['dispatched'], to: 'closed', note: 'required' },
    ],
    causes: FALSE_ALARM_CAUSES,
    // A fire alarm is closed only by an operator after verification.
    closeOnClear: [],
  },
  host_offline: unitContact('host_offline', HOST_OFFLINE_CAUSES),
  off_duty: unitContact('off_duty', OFF_DUTY_CAUSES),
  fault: {
    kind: 'fault',
    stages: { ...openStates, following_up: 'acknowledged' },
    steps: [
      ack,
      { step: 'follow_up', from: ['acknowledged', 'following_up'], to: 'following_up', note: 'optional', deadline: 'optional' },
      { step: 'close', from: ['acknowledged', 'following_up'], to: 'closed', note: 'required' },
    ],
    causes: [],
    closeOnClear: ['open', 'acknowledged', 'following_up'],
    deadlineH: 72,
    deadlineHByFaultType: {
      /** component fault (detector, module…): three days for the maintenance agency */
      fault: 72,
      /** mains power lost: the panel runs on batteries for hours, one day */
      mains_power_fault: 24,
      /** backup battery fault: two days */
      backup_power_fault: 48,
    },
  },
  supervisory: {
    kind: 'supervisory',
    stages: { ...openStates, noted: 'acknowledged' },
    steps: [
      ack,
      { step: 'note', from: ['acknowledged', 'noted'], to: 'noted', note: 'required' },
      { step: 'close', from: ['noted'], to: 'closed', note: 'optional' },
    ],
    causes: [],
    closeOnClear: ['open'],
  },
};

/** What the table needs to know about an alarm. */
export interface ProcedureState {
  kind: AlarmKind | string;
  stage: ProcedureStage;
  verdict: AlarmVerdict | null;
  /** A clearing signal arrived and no new alarm event since. */
  cleared: boolean;
}

export interface StepInput {
  note?: string | null;
  call?: CallRecord | null;
  verdict?: AlarmVerdict | null;
  cause?: string | null;
  /** ISO 8601; must be after nowMs. */
  deadlineAt?: string | null;
  /** Fault type for the default deadline (event kind that raised the fault). */
  faultType?: string | null;
}

export const REFUSALS = [
  'unknown_kind',
  'not_in_stage',
  'needs_fire_verdict',
  'needs_other_verdict',
  'needs_recovery',
  'note_required',
  'call_required',
  'verdict_required',
  'cause_required',
  'cause_unknown',
  'deadline_invalid',
] as const;
export type Refusal = (typeof REFUSALS)[number];

export type StepCheck =
  | {
      ok: true;
      rule: StepRule;
      next: ProcedureState;
      state: AlarmState;
      /** Set by steps with a deadline (given or the procedure's default). */
      deadlineAt: string | null;
      /** The cause to store (kind's cause, or false-alarm cause), or null. */
      cause: string | null;
    }
  | { ok: false; refusal: Refusal; reason: string };

export function procedureFor(kind: AlarmKind | string): Procedure | null {
  return (PROCEDURES as Record<string, Procedure>)[kind] ?? null;
}

/** The coarse lifecycle state of a stage for this kind ('acknowledged' for unknown pairs). */
export function stateOfStage(kind: AlarmKind | string, stage: ProcedureStage): AlarmState {
  if (stage === 'closed') return 'closed';
  return procedureFor(kind)?.stages[stage] ?? (stage === 'open' ? 'open' : 'acknowledged');
}

function guardHolds(rule: StepRule, p: ProcedureState): boolean {
  switch (rule.guard) {
    case undefined:
      return true;
    case 'verdict_fire':
      return p.verdict === 'fire';
    case 'verdict_not_fire':
      return p.verdict != null && p.verdict !== 'fire';
    case 'cleared':
      return p.cleared;
  }
}

/** Steps an operator may take now (input aside), in table order, one per step id. */
export function availableSteps(p: ProcedureState): StepRule[] {
  const proc = procedureFor(p.kind);
  if (!proc) return [];
  const seen = new Set<ProcedureStepId>();
  return proc.steps.filter((r) => {
    if (seen.has(r.step) || !r.from.includes(p.stage) || !guardHolds(r, p)) return false;
    seen.add(r.step);
    return true;
  });
}

/** Steps listed for this stage whose only obstacle is a guard (shown disabled with why). */
export function blockedSteps(p: ProcedureState): Array<{ rule: StepRule; refusal: Refusal }> {
  const proc = procedureFor(p.kind);
  if (!proc) return [];
  const open = new Set(availableSteps(p).map((r) => r.step));
  return proc.steps
    .filter((r) => r.from.includes(p.stage) && !open.has(r.step) && !guardHolds(r, p))
    .map((r) => ({ rule: r, refusal: guardRefusal(r) }));
}

function guardRefusal(r: StepRule): Refusal {
  return r.guard === 'verdict_fire' ? 'needs_fire_verdict' : r.guard === 'verdict_not_fire' ? 'needs_other_verdict' : 'needs_recovery';
}

const GUARD_REASON: Record<NonNullable<StepRule['guard']>, string> = {
  verdict_fire: 'only an alarm verified as a fire can be dispatched: give verdict "fire" first',
  verdict_not_fire: 'an alarm verified as a fire is dispatched before it is closed',
  cleared: 'the host has not recovered yet: it is closed once it is back online (or the duty check is answered) and you confirm it',
};

/** Hours of the default deadline for this alarm. */
export function defaultDeadlineH(kind: AlarmKind | string, faultType?: string | null): number | null {
  const proc = procedureFor(kind);
  if (!proc) return null;
  return (faultType != null ? proc.deadlineHByFaultType?.[faultType] : undefined) ?? proc.deadlineH ?? null;
}

/**
 * Whether the step may be taken now with this input, and where it leads. Refusals carry a
 * code (the desk translates it) and an English reason that says what to do instead.
 */
export function checkStep(p: ProcedureState, step: ProcedureStepId, input: StepInput, nowMs: number): StepCheck {
  const proc = procedureFor(p.kind);
  if (!proc) return { ok: false, refusal: 'unknown_kind', reason: `alarms of kind ${p.kind} have no procedure` };
  const inStage = proc.steps.filter((r) => r.step === step && r.from.includes(p.stage));
  if (inStage.length === 0) {
    const next = availableSteps(p).map((r) => r.step);
    const where = p.stage === 'closed' ? 'the alarm is already closed' : `a ${p.kind} alarm at stage ${p.stage} takes ${next.length ? next.join(' / ') : 'no operator step'}`;
    return { ok: false, refusal: 'not_in_stage', reason: `step ${step} is not part of this alarm's procedure now: ${where}` };
  }
  const rule = inStage.find((r) => guardHolds(r, p));
  if (!rule) {
    const r = inStage[0]!;
    return { ok: false, refusal: guardRefusal(r), reason: GUARD_REASON[r.guard!] };
  }
  const note = input.note?.trim() ?? '';
  if (rule.note === 'required' && note === '') {
    return { ok: false, refusal: 'note_required', reason: `step ${step} needs a note (the outcome or what was confirmed)` };
  }
  if (rule.call && !input.call) {
    return { ok: false, refusal: 'call_required', reason: 'record the call: number, who answered, outcome, duration in seconds' };
  }
  let verdict = p.verdict;
  if (rule.verdict) {
    if (!input.verdict) return { ok: false, refusal: 'verdict_required', reason: 'give a verdict: fire / false_alarm / test / fault' };
    verdict = input.verdict;
  }
  let cause: string | null = null;
  const needsCause = rule.cause === 'always' || (rule.cause === 'false_alarm' && verdict === 'false_alarm');
  if (needsCause) {
    if (!input.cause) {
      return { ok: false, refusal: 'cause_required', reason: `give a cause: ${proc.causes.map((c) => c.code).join(' / ')}` };
    }
    if (!proc.causes.some((c) => c.code === input.cause)) {
      return { ok: false, refusal: 'cause_unknown', reason: `unknown cause ${input.cause}: use one of ${proc.causes.map((c) => c.code).join(' / ')}` };
    }
    cause = input.cause;
  }
  let deadlineAt: string | null = null;
  if (rule.deadline) {
    if (input.deadlineAt) {
      const t = Date.parse(input.deadlineAt);
      if (!Number.isFinite(t) || t <= nowMs) {
        return { ok: false, refusal: 'deadline_invalid', reason: `the deadline ${input.deadlineAt} must be a time after now` };
      }
      deadlineAt = new Date(t).toISOString();
    } else {
      const h = defaultDeadlineH(p.kind, input.faultType) ?? 24;
      deadlineAt = new Date(nowMs + h * 3_600_000).toISOString();
    }
  }
  const next: ProcedureState = { ...p, stage: rule.to, verdict };
  return { ok: true, rule, next, state: stateOfStage(p.kind, rule.to), deadlineAt, cause };
}

/**
 * A signal from the devices: `clear` (fault cleared, host back online, duty check answered…)
 * marks the alarm cleared and closes it in the kind's closeOnClear stages; `repeat` (a new
 * event of the alarm) un-clears it.
 */
export function applySignal(p: ProcedureState, signal: 'clear' | 'repeat'): ProcedureState {
  if (p.stage === 'closed') return p;
  if (signal === 'repeat') return { ...p, cleared: false };
  const closes = procedureFor(p.kind)?.closeOnClear.includes(p.stage) ?? false;
  return { ...p, cleared: true, stage: closes ? 'closed' : p.stage };
}

/** The stage of a stored alarm; alarms stored before procedures existed have their state as stage. */
export function stageOf(a: { kind: string; state: AlarmState; stage?: ProcedureStage | null }): ProcedureStage {
  if (a.stage) return a.stage;
  if (a.state === 'closed') return 'closed';
  const proc = procedureFor(a.kind);
  return proc && a.state in proc.stages ? a.state : a.state === 'open' ? 'open' : 'acknowledged';
}

/** The label of a cause code in a locale, or the code when unknown. */
export function causeLabel(kind: AlarmKind | string, code: string, locale: 'zh-CN' | 'en' | string): string {
  const list: readonly Labelled[] = procedureFor(kind)?.causes ?? [];
  const c = list.find((x) => x.code === code) ?? [...FALSE_ALARM_CAUSES, ...OFF_DUTY_CAUSES].find((x) => x.code === code);
  return c ? (locale === 'en' ? c.en : c.zh) : code;
}

/** Body of POST /api/alarms/:id/steps/:step. */
export const alarmStepBodySchema = z.object({
  version: z.number().int(),
  note: z.string().max(2000).optional(),
  call: callRecordSchema.optional(),
  verdict: z.enum(['fire', 'false_alarm', 'test', 'fault']).optional(),
  cause: z.string().max(40).optional(),
  deadlineAt: z.string().datetime({ offset: true }).optional(),
  /** dispatch only: stations sent (as POST /dispatch). */
  stationIds: z.array(z.number().int().positive()).min(1).max(50).optional(),
});
export type AlarmStepBody = z.infer<typeof alarmStepBodySchema>;

/** GET /api/alarms/false-alarm-causes: false alarms by cause (opened in the window, caller's scope). */
export const falseAlarmCausesResponseSchema = z.object({
  rows: z.array(z.object({ cause: z.string().nullable(), count: z.number().int() })),
  total: z.number().int(),
});
