// Alarm rules: which events open (or repeat) an alarm and which clear one. Pure: no
// database, no sockets. What operators do with an alarm is its kind's procedure
// (common/src/procedures.ts), which also says in which stages a clearing signal closes.
//
// Raising: repeated events of the same unit + point + alarm kind while an alarm is not
// closed update that alarm (count, last seen); the database enforces "one open alarm per
// unit + point + kind" with the partial unique index alarms_one_open_idx.
//
// Clearing (documented rules; "closes in" = the procedure's closeOnClear stages):
//   fault_cleared, mains/backup_power_restored → the fault alarm of that point is marked
//       cleared and closed at any stage (the clearing signal ends the repair follow-up).
//   supervisory_cleared → the supervisory alarm of that point: closed if still open.
//   fire_cleared → the fire alarm of that point is marked cleared, never closed: a fire
//       alarm is closed only by an operator after verification.
//   host_online → the unit's host_offline alarm is cleared; closed if nobody worked on it
//       past acknowledging, else it waits for the operator's confirmation.
//   duty_check_answered → the unit's off_duty alarm likewise.
//   reset (panel reset) → every fire, fault and supervisory alarm of the unit is marked
//       cleared; unacknowledged fault and supervisory alarms are closed; fire alarms stay.
import { ALARM_PRIORITY, PROCEDURES, type AlarmKind, type EventKind, type ProcedureStage } from '@firelink/common';

export type AlarmRule =
  | { action: 'raise'; alarmKind: AlarmKind; priority: number; perPoint: boolean }
  | {
      action: 'clear';
      alarmKinds: AlarmKind[];
      /** point: only the alarm of the event's point; unit: every alarm of these kinds in the unit. */
      match: 'point' | 'unit';
      /** Procedure stages in which the clearing also closes the alarm, per kind (absent = never). */
      closeIn: Partial<Record<AlarmKind, readonly ProcedureStage[]>>;
    };

const raise = (alarmKind: AlarmKind, perPoint: boolean): AlarmRule => ({
  action: 'raise',
  alarmKind,
  priority: ALARM_PRIORITY[alarmKind],
  perPoint,
});

/** The kind's own clearing signal: closes in the stages its procedure names. */
const clearBySignal = (kind: AlarmKind, match: 'point' | 'unit'): AlarmRule => ({
  action: 'clear',
  alarmKinds: [kind],
  match,
  closeIn: { [kind]: PROCEDURES[kind].closeOnClear },
});

const RULES: Partial<Record<EventKind, AlarmRule>> = {
  fire: raise('fire', true),
  // The UITD's manual alarm key (type 24 bit 2): someone in the building reports a fire.
  // It is the unit's fire alarm (fire priority, the fire procedure: verify, 119, dispatch);
  // the alarm's first event (kind manual_alarm) says how it was raised.
  manual_alarm: raise('fire', false),
  fault: raise('fault', true),
  mains_power_fault: raise('fault', true),
  backup_power_fault: raise('fault', true),
  supervisory: raise('supervisory', true),
  host_offline: raise('host_offline', false),
  duty_check_missed: raise('off_duty', false),
  fault_cleared: clearBySignal('fault', 'point'),
  mains_power_restored: clearBySignal('fault', 'point'),
  backup_power_restored: clearBySignal('fault', 'point'),
  supervisory_cleared: clearBySignal('supervisory', 'point'),
  fire_cleared: clearBySignal('fire', 'point'),
  host_online: clearBySignal('host_offline', 'unit'),
  duty_check_answered: clearBySignal('off_duty', 'unit'),
  reset: {
    action: 'clear',
    alarmKinds: ['fire', 'fault', 'supervisory'],
    match: 'unit',
    closeIn: { fault: ['open'], supervisory: ['open'] },
  },
};

export function alarmRuleFor(kind: EventKind): AlarmRule | null {
  return RULES[kind] ?? null;
}

/** Priority a stream message about this event kind carries (for minPriority filters), or null. */
export function eventPriority(kind: EventKind): number | null {
  const r = RULES[kind];
  if (!r) return null;
  if (r.action === 'raise') return r.priority;
  return Math.min(...r.alarmKinds.map((k) => ALARM_PRIORITY[k]));
}

export interface RuleInput {
  id: number;
  kind: EventKind;
  unitId: number | null;
  deviceId: number | null;
  pointId: number | null;
  regionAdcode: number | null;
  receivedAt: string;
}

/** Events folded into one alarm upsert: same unit + point (0 when unit-level) + alarm kind. */
export interface RaiseGroup {
  key: string;
  unitId: number;
  pointId: number | null;
  deviceId: number | null;
  regionAdcode: number | null;
  alarmKind: AlarmKind;
  priority: number;
  eventIds: number[];
  firstEventId: number;
  lastEventId: number;
  firstSeenAt: string;
  lastSeenAt: string;
}

export interface ClearAction {
  eventId: number;
  unitId: number;
  pointId: number | null;
  alarmKinds: AlarmKind[];
  match: 'point' | 'unit';
  closeIn: Partial<Record<AlarmKind, readonly ProcedureStage[]>>;
  at: string;
}

/** One step of a batch: raises and clears in event order, so "fault, cleared, fault" ends with an open fault. */
export type PlannedStep = { type: 'raise'; group: RaiseGroup } | { type: 'clear'; clear: ClearAction };

/**
 * Plans the alarm work for a batch of events (in id order). Consecutive raises of the same
 * key are folded into one group; a clear in between splits them. Events without a unit
 * (unregistered devices) raise nothing: an alarm is always "this unit".
 * Raise steps are emitted in a stable key order within each run, so concurrent batches
 * lock alarm rows in the same order.
 */
export function planAlarmWork(events: readonly RuleInput[]): PlannedStep[] {
  const sorted = [...events].sort((a, b) => a.id - b.id);
  const steps: PlannedStep[] = [];
  let run = new Map<string, RaiseGroup>();
  const flush = () => {
    for (const g of [...run.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) steps.push({ type: 'raise', group: g });
    run = new Map();
  };
  for (const e of sorted) {
    const rule = alarmRuleFor(e.kind);
    if (!rule || e.unitId == null) continue;
    if (rule.action === 'raise') {
      const pointId = rule.perPoint ? e.pointId : null;
      const key = `${e.unitId}|${pointId ?? 0}|${rule.alarmKind}`;
      const g = run.get(key);
      if (g) {
        g.eventIds.push(e.id);
        g.lastEventId = e.id;
        if (e.receivedAt > g.lastSeenAt) g.lastSeenAt = e.receivedAt;
        if (g.deviceId == null) g.deviceId = e.deviceId;
      } else {
        run.set(key, {
          key,
          unitId: e.unitId,
          pointId,
          deviceId: e.deviceId,
          regionAdcode: e.regionAdcode,
          alarmKind: rule.alarmKind,
          priority: rule.priority,
          eventIds: [e.id],
          firstEventId: e.id,
          lastEventId: e.id,
          firstSeenAt: e.receivedAt,
          lastSeenAt: e.receivedAt,
        });
      }
    } else {
      flush();
      steps.push({
        type: 'clear',
        clear: {
          eventId: e.id,
          unitId: e.unitId,
          pointId: e.pointId,
          alarmKinds: rule.alarmKinds,
          match: rule.match,
          closeIn: rule.closeIn,
          at: e.receivedAt,
        },
      });
    }
  }
  flush();
  return steps;
}

/** Whether an unacknowledged fire alarm is due to escalate at `now`. */
export function escalationDue(
  alarm: { kind: AlarmKind; state: string; escalatedAt: string | null; openedAt: string },
  nowMs: number,
  escalateAfterS: number,
): boolean {
  return (
    alarm.kind === 'fire' &&
    alarm.state === 'open' &&
    alarm.escalatedAt == null &&
    nowMs - Date.parse(alarm.openedAt) >= escalateAfterS * 1000
  );
}

/**
 * Cuts planned steps into runs that can each be written with one statement per kind of
 * write (the bulk alarm stage) with the same result as one step after another: within a
 * run no alarm key is raised twice and a clearing shares its unit with no other step.
 * Runs keep the steps' order.
 */
export function independentRuns(steps: readonly PlannedStep[]): PlannedStep[][] {
  const runs: PlannedStep[][] = [];
  let run: PlannedStep[] = [];
  let raiseKeys = new Set<string>();
  let units = new Set<number>();
  let clearUnits = new Set<number>();
  const cut = () => {
    if (run.length) runs.push(run);
    run = [];
    raiseKeys = new Set();
    units = new Set();
    clearUnits = new Set();
  };
  for (const s of steps) {
    if (s.type === 'raise') {
      const key = `${s.group.unitId}|${s.group.pointId ?? 0}|${s.group.alarmKind}`;
      if (raiseKeys.has(key) || clearUnits.has(s.group.unitId)) cut();
      raiseKeys.add(key);
      units.add(s.group.unitId);
    } else {
      if (units.has(s.clear.unitId)) cut();
      clearUnits.add(s.clear.unitId);
      units.add(s.clear.unitId);
    }
    run.push(s);
  }
  cut();
  return runs;
}
