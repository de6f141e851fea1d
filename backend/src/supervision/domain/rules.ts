// Task rules: which units need a follow-up task (督办) and why, from a snapshot of unresolved
// alarms, verified false alarms, disabled points and overdue drawings. Pure: the caller reads
// the snapshot and writes the tasks; nothing here knows about PostgreSQL or the clock.
import type { TaskEvidence, TaskReason } from '@firelink/common';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export interface RuleConfig {
  /** Hours a host-offline (主机关机/离线) alarm may stay unresolved before a task is due. */
  hostOfflineHours: number;
  /** Hours an off-duty (脱岗, missed duty check) alarm may stay unresolved. */
  offDutyHours: number;
  /** Hours a fault alarm may stay open before its repair counts as overdue (故障督办). */
  faultRepairHours: number;
  /** N: verified false alarms of one unit within falseAlarmWindowDays that make a task. */
  falseAlarmCount: number;
  /** M: the window, days. */
  falseAlarmWindowDays: number;
  /** Days a point may stay disabled (屏蔽) before a task is due. */
  disabledPointDays: number;
}

/** An alarm that is neither closed nor cleared by the device. */
export interface UnresolvedAlarm {
  id: number;
  unitId: number;
  kind: 'host_offline' | 'off_duty' | 'fault';
  openedAt: Date;
  eventIds: readonly number[];
}

export interface FalseAlarm {
  id: number;
  unitId: number;
  verifiedAt: Date;
  eventIds: readonly number[];
}

export interface DisabledPoint {
  pointId: number;
  unitId: number;
  /** When the point entered the disabled state. */
  since: Date;
}

/** A unit the onboarding rule reports with overdue drawings (its own rule decides). */
export interface DrawingsOverdue {
  unitId: number;
  /** The drawings deadline (YYYY-MM-DD). */
  drawingsDue: string;
  /** Days past the drawings deadline. */
  daysLate: number;
}

export interface RuleSnapshot {
  unresolved: readonly UnresolvedAlarm[];
  falseAlarms: readonly FalseAlarm[];
  disabledPoints: readonly DisabledPoint[];
  drawingsOverdue: readonly DrawingsOverdue[];
}

export interface TaskCandidate {
  unitId: number;
  reason: Exclude<TaskReason, 'manual'>;
  evidence: TaskEvidence;
  /**
   * Identity of the evidence: a task closed on this very evidence is not raised again
   * (sorted ids of what made the rule fire).
   */
  evidenceKey: string;
}

const byUnit = <T extends { unitId: number }>(xs: readonly T[]): Map<number, T[]> => {
  const m = new Map<number, T[]>();
  for (const x of xs) {
    const l = m.get(x.unitId);
    if (l) l.push(x);
    else m.set(x.unitId, [x]);
  }
  return m;
};

const sortedUnique = (xs: Iterable<number>) => [...new Set(xs)].sort((a, b) => a - b);

/** The reason a kind of unresolved alarm raises, and its deadline in hours. */
function alarmRule(kind: UnresolvedAlarm['kind'], c: RuleConfig): { reason: TaskCandidate['reason']; hours: number } {
  if (kind === 'host_offline') return { reason: 'host_offline', hours: c.hostOfflineHours };
  if (kind === 'off_duty') return { reason: 'off_duty', hours: c.offDutyHours };
  return { reason: 'fault_overdue', hours: c.faultRepairHours };
}

/**
 * Every task the snapshot calls for at `now`: at most one per unit and reason, with the
 * evidence (alarm, event and point ids) and the figures the reason's sentence needs.
 * Output is sorted by unit, then reason, so runs are comparable.
 */
export function evaluateRules(s: RuleSnapshot, c: RuleConfig, now: Date): TaskCandidate[] {
  const t = now.getTime();
  const out: TaskCandidate[] = [];

  // Unresolved host offline / off duty / fault alarms past their deadline, grouped per unit.
  const late = new Map<string, { unitId: number; reason: TaskCandidate['reason']; hours: number; alarms: UnresolvedAlarm[] }>();
  for (const a of s.unresolved) {
    const r = alarmRule(a.kind, c);
    if (t - a.openedAt.getTime() <= r.hours * HOUR_MS) continue;
    const key = `${a.unitId}:${r.reason}`;
    const g = late.get(key) ?? { unitId: a.unitId, reason: r.reason, hours: r.hours, alarms: [] };
    g.alarms.push(a);
    late.set(key, g);
  }
  for (const g of late.values()) {
    const alarmIds = sortedUnique(g.alarms.map((a) => a.id));
    const oldest = Math.min(...g.alarms.map((a) => a.openedAt.getTime()));
    out.push({
      unitId: g.unitId,
      reason: g.reason,
      evidence: {
        alarmIds,
        eventIds: sortedUnique(g.alarms.flatMap((a) => a.eventIds)),
        pointIds: [],
        figures: { alarms: alarmIds.length, deadlineHours: g.hours, openHours: Math.floor((t - oldest) / HOUR_MS) },
      },
      evidenceKey: alarmIds.join(','),
    });
  }

  // N verified false alarms of one unit within the last M days.
  const windowStart = t - c.falseAlarmWindowDays * DAY_MS;
  for (const [unitId, alarms] of byUnit(s.falseAlarms.filter((a) => a.verifiedAt.getTime() > windowStart && a.verifiedAt.getTime() <= t))) {
    const alarmIds = sortedUnique(alarms.map((a) => a.id));
    if (alarmIds.length < c.falseAlarmCount) continue;
    out.push({
      unitId,
      reason: 'repeated_false_alarms',
      evidence: {
        alarmIds,
        eventIds: sortedUnique(alarms.flatMap((a) => a.eventIds)),
        pointIds: [],
        figures: { falseAlarms: alarmIds.length, threshold: c.falseAlarmCount, windowDays: c.falseAlarmWindowDays },
      },
      evidenceKey: alarmIds.join(','),
    });
  }

  // Points disabled (屏蔽) for longer than N days.
  for (const [unitId, points] of byUnit(s.disabledPoints.filter((p) => t - p.since.getTime() > c.disabledPointDays * DAY_MS))) {
    const pointIds = sortedUnique(points.map((p) => p.pointId));
    const oldest = Math.min(...points.map((p) => p.since.getTime()));
    out.push({
      unitId,
      reason: 'points_disabled',
      evidence: { alarmIds: [], eventIds: [], pointIds, figures: { points: pointIds.length, thresholdDays: c.disabledPointDays, disabledDays: Math.floor((t - oldest) / DAY_MS) } },
      evidenceKey: pointIds.join(','),
    });
  }

  // Drawings overdue, as the onboarding rule says (one task per unit and deadline).
  for (const d of s.drawingsOverdue) {
    out.push({
      unitId: d.unitId,
      reason: 'drawings_overdue',
      evidence: { alarmIds: [], eventIds: [], pointIds: [], figures: { daysLate: d.daysLate } },
      evidenceKey: `drawings:${d.drawingsDue}`,
    });
  }

  return out.sort((a, b) => a.unitId - b.unitId || a.reason.localeCompare(b.reason));
}

/** The deadline of a new task: `days` after `now`. */
export function taskDueAt(now: Date, days: number): Date {
  return new Date(now.getTime() + days * DAY_MS);
}
