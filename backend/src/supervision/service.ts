// Supervision work: the periodic rule run (idempotent: one task per unit + reason until it is
// closed), escalation of overdue tasks to the assignee's chief, notices through the outbox,
// and the task operations the routes call. The clock is injected.
import { SerialJobs, shanghaiDate, type TaskDetail, type TaskDto, type TaskReason, type TaskState } from '@firelink/common';
import type pg from 'pg';
import { recordAudit } from '../audit/audit.ts';
import type { Principal } from '../auth/scope.ts';
import { withTransaction, type Pool } from '../db/pool.ts';
import type { Config } from '../kernel/config.ts';
import { DomainError, conflict, forbidden, notFound } from '../kernel/errors.ts';
import type { Logger } from '../logger.ts';
import { ALL, requireUnitInScope } from '../auth/scope.ts';
import * as onboardingQ from '../onboarding/queries.ts';
import { evaluateRules, taskDueAt, type RuleConfig, type RuleSnapshot, type TaskCandidate } from './domain/rules.ts';
import { checkTaskTransition, escalationDue, isOverdue, mayAct, nextTaskStates } from './domain/tasks.ts';
import * as q from './queries.ts';

type Db = pg.Pool | pg.ClientBase;
const DAY_MS = 86_400_000;

/** The task rules' thresholds as configured (SUPERVISION_*). */
export function supervisionRules(c: Config): RuleConfig {
  return {
    hostOfflineHours: c.SUPERVISION_HOST_OFFLINE_HOURS,
    offDutyHours: c.SUPERVISION_OFF_DUTY_HOURS,
    faultRepairHours: c.SUPERVISION_FAULT_REPAIR_HOURS,
    falseAlarmCount: c.SUPERVISION_FALSE_ALARMS,
    falseAlarmWindowDays: c.SUPERVISION_FALSE_ALARM_DAYS,
    disabledPointDays: c.SUPERVISION_DISABLED_POINT_DAYS,
  };
}

export interface SupervisionOptions {
  rules: RuleConfig;
  /** Days a supervisor has for a new task. */
  taskDays: number;
  /** How often the rules and the escalation sweep run, ms (0 = never; tests call runOnce). */
  everyMs: number;
  now?: () => Date;
}

/** The reason in a sentence, for notices (Chinese; the screen has its own dictionary). */
export const REASON_ZH: Record<TaskReason, string> = {
  host_offline: '主机关机/离线未恢复',
  off_duty: '值班人员脱岗未整改',
  fault_overdue: '故障逾期未修复',
  repeated_false_alarms: '误报频繁',
  points_disabled: '点位长期屏蔽',
  drawings_overdue: '点位图纸逾期未补录',
  manual: '人工督办',
};

/** yyyy-mm-dd hh:mm in Asia/Shanghai. */
function shanghaiMinute(d: Date): string {
  return `${shanghaiDate(d)} ${new Date(d.getTime() + 8 * 3_600_000).toISOString().slice(11, 16)}`;
}

const num = (v: unknown): number | null => (v == null ? null : Number(v));
const iso = (d: unknown): string => new Date(d as Date).toISOString();

export class SupervisionService {
  private jobs: SerialJobs | null = null;
  readonly now: () => Date;

  constructor(
    private readonly pool: Pool,
    private readonly opts: SupervisionOptions,
    private readonly logger?: Logger,
  ) {
    this.now = opts.now ?? (() => new Date());
  }

  get config(): SupervisionOptions {
    return this.opts;
  }

  // ---- the periodic run ----

  /** Reads what the rules look at. */
  async snapshot(now: Date): Promise<RuleSnapshot> {
    const r = this.opts.rules;
    const since = new Date(now.getTime() - r.falseAlarmWindowDays * DAY_MS).toISOString();
    const eventIds = (row: Record<string, unknown>) =>
      [...new Set([num(row.first_event_id), num(row.last_event_id), ...((row.event_ids as unknown[]) ?? []).map(Number)])].filter((x): x is number => x != null);
    const [unresolved, falseAlarms, disabled, drawings] = await Promise.all([
      this.pool.query(q.unresolvedAlarms()),
      this.pool.query(q.falseAlarmsSince(since)),
      this.pool.query(q.disabledPoints()),
      this.drawingsOverdue(now),
    ]);
    return {
      unresolved: unresolved.rows.map((a) => ({ id: Number(a.id), unitId: Number(a.unit_id), kind: a.kind, openedAt: a.opened_at, eventIds: eventIds(a) })),
      falseAlarms: falseAlarms.rows.map((a) => ({ id: Number(a.id), unitId: Number(a.unit_id), verifiedAt: a.verified_at, eventIds: eventIds(a) })),
      disabledPoints: disabled.rows.map((p) => ({ pointId: Number(p.id), unitId: Number(p.unit_id), since: p.since })),
      drawingsOverdue: drawings,
    };
  }

  /** The onboarding room's own overdue-drawings rule (its queue query), read page by page. */
  private async drawingsOverdue(now: Date): Promise<RuleSnapshot['drawingsOverdue']> {
    const out: Array<RuleSnapshot['drawingsOverdue'][number]> = [];
    const page = 5000;
    for (let offset = 0; ; offset += page) {
      const r = await this.pool.query(onboardingQ.queue(ALL, { states: [], includeDrawingsOverdue: true, limit: page, offset }));
      for (const u of r.rows) {
        const due = String(u.drawings_due);
        out.push({ unitId: Number(u.id), drawingsDue: due, daysLate: Math.max(0, Math.floor((now.getTime() - Date.parse(`${due}T00:00:00+08:00`)) / DAY_MS)) });
      }
      if (r.rows.length < page) return out;
    }
  }

  /** Runs the rules once: creates the tasks that are missing. Returns the candidates and what was created. */
  async evaluate(): Promise<{ candidates: number; created: number }> {
    const now = this.now();
    const candidates = evaluateRules(await this.snapshot(now), this.opts.rules, now);
    // Most candidates already have their task; only the rest go to the database.
    const open = new Set((await this.pool.query(q.openRuleTaskKeys())).rows.map((r) => `${r.unit_id}:${r.reason}`));
    const fresh = candidates.filter((c) => !open.has(`${c.unitId}:${c.reason}`));
    let created = 0;
    for (let i = 0; i < fresh.length; i += 2000) created += await this.insertTasks(fresh.slice(i, i + 2000), now);
    return { candidates: candidates.length, created };
  }

  private async insertTasks(batch: TaskCandidate[], now: Date): Promise<number> {
    return withTransaction(this.pool, async (c) => {
      const rows = (
        await c.query(
          q.insertRuleTasks(
            {
              unitIds: batch.map((x) => x.unitId),
              reasons: batch.map((x) => x.reason),
              evidence: batch.map((x) => JSON.stringify(x.evidence)),
              evidenceKeys: batch.map((x) => x.evidenceKey),
            },
            taskDueAt(now, this.opts.taskDays).toISOString(),
            now.toISOString(),
          ),
        )
      ).rows;
      if (rows.length === 0) return 0;
      await c.query(q.insertSteps({ taskIds: rows.map((r) => Number(r.id)), kind: 'created', from: null, to: 'open', actorId: null, actorName: 'system', note: '', atIso: now.toISOString() }));
      await this.noticeCreated(c, rows, now);
      return rows.length;
    });
  }

  /**
   * The follow-up task of one overdue host-offline / off-duty alarm (the duty deadline watch).
   * Idempotent per unit and reason while a task is open: the rule run's task for the same unit
   * and reason is that task, and so is a second overdue deadline of the same alarm. Returns the
   * task's id (new or already open), or null when a task was closed on this very alarm.
   */
  async raiseAlarmFollowUp(f: { unitId: number; reason: 'host_offline' | 'off_duty'; alarmId: number; openedAt: Date; deadlineAt: Date; detail: string }): Promise<{ id: number; created: boolean } | null> {
    const now = this.now();
    const hours = (ms: number) => Math.max(0, Math.floor(ms / 3_600_000));
    const evidence = {
      alarmIds: [f.alarmId],
      eventIds: [],
      pointIds: [],
      figures: { alarms: 1, deadlineHours: hours(f.deadlineAt.getTime() - f.openedAt.getTime()), openHours: hours(now.getTime() - f.openedAt.getTime()) },
    };
    return withTransaction(this.pool, async (c) => {
      const row = (
        await c.query(
          q.insertAlarmFollowUpTask({ ...f, evidence: JSON.stringify(evidence), dueAtIso: taskDueAt(now, this.opts.taskDays).toISOString(), nowIso: now.toISOString() }),
        )
      ).rows[0];
      if (!row) {
        const open = (await c.query(q.openRuleTask(f.unitId, f.reason))).rows[0];
        return open ? { id: Number(open.id), created: false } : null;
      }
      const taskId = Number(row.id);
      await c.query(q.insertSteps({ taskIds: [taskId], kind: 'created', from: null, to: 'open', actorId: null, actorName: 'system', note: f.detail, atIso: now.toISOString() }));
      await this.noticeCreated(c, [row], now);
      return { id: taskId, created: true };
    });
  }

  private async noticeCreated(c: Db, rows: Array<Record<string, unknown>>, now: Date, kind: 'task_created' | 'task_reassigned' = 'task_created'): Promise<void> {
    const assigned = rows.filter((r) => r.assignee_id != null);
    if (assigned.length === 0) return;
    const names = new Map((await c.query(q.unitNames(assigned.map((r) => Number(r.unit_id))))).rows.map((u) => [Number(u.id), String(u.name)]));
    const due = shanghaiMinute(taskDueAt(now, this.opts.taskDays));
    await c.query(
      q.enqueueNotices({
        kind,
        userIds: assigned.map((r) => Number(r.assignee_id)),
        taskIds: assigned.map((r) => Number(r.id)),
        unitIds: assigned.map((r) => Number(r.unit_id)),
        texts: assigned.map((r) =>
          kind === 'task_reassigned'
            ? `【消防督办】${names.get(Number(r.unit_id)) ?? ''}的督办任务已转由您负责，请及时处理。`
            : `【消防督办】${names.get(Number(r.unit_id)) ?? ''}：${REASON_ZH[r.reason as TaskReason] ?? ''}，请于${due}前核查处理。`,
        ),
      }),
    );
  }

  /** Escalates overdue tasks to the assignee's chief, once each. Returns how many. */
  async escalate(): Promise<number> {
    const now = this.now();
    const due = (await this.pool.query(q.escalationCandidates(now.toISOString()))).rows.filter((t) =>
      escalationDue({ state: t.state, dueAt: t.due_at, escalatedAt: t.escalated_at, chiefId: num(t.chief_id) }, now),
    );
    if (due.length === 0) return 0;
    return withTransaction(this.pool, async (c) => {
      const done = new Set(
        (await c.query(q.markEscalated(due.map((t) => Number(t.id)), due.map((t) => Number(t.chief_id)), now.toISOString()))).rows.map((r) => Number(r.id)),
      );
      const rows = due.filter((t) => done.has(Number(t.id)));
      if (rows.length === 0) return 0;
      await c.query(q.insertSteps({ taskIds: rows.map((t) => Number(t.id)), kind: 'escalated', from: null, to: null, actorId: null, actorName: 'system', note: '', atIso: now.toISOString() }));
      await c.query(
        q.enqueueNotices({
          kind: 'task_escalated',
          userIds: rows.map((t) => Number(t.chief_id)),
          taskIds: rows.map((t) => Number(t.id)),
          unitIds: rows.map((t) => Number(t.unit_id)),
          texts: rows.map((t) => `【消防督办】${t.assignee_name}负责的${t.unit_name}督办任务（${REASON_ZH[t.reason as TaskReason] ?? ''}）已逾期，请督促处理。`),
        }),
      );
      return rows.length;
    });
  }

  /** One pass: rules, then escalation. */
  async runOnce(): Promise<{ candidates: number; created: number; escalated: number }> {
    const r = await this.evaluate();
    return { ...r, escalated: await this.escalate() };
  }

  start(): void {
    if (this.opts.everyMs <= 0) return;
    this.jobs = new SerialJobs((err) => this.logger?.error({ err }, 'supervision rule run failed'));
    this.jobs.every(this.opts.everyMs, async () => {
      const r = await this.runOnce();
      if (r.created || r.escalated) this.logger?.info(r, 'supervision tasks created / escalated');
    });
  }

  async stop(): Promise<void> {
    await this.jobs?.stop();
    this.jobs = null;
  }

  // ---- task operations (routes) ----

  taskDto(row: Record<string, unknown>, p: Principal, now = this.now()): TaskDto {
    const state = row.state as TaskState;
    const people = { assigneeId: num(row.assignee_id), chiefId: num(row.chief_id) };
    const dueAt = new Date(row.due_at as Date);
    const ev = (row.evidence ?? {}) as Partial<TaskDto['evidence']>;
    return {
      id: Number(row.id),
      unitId: Number(row.unit_id),
      unitName: String(row.unit_name),
      unitAddress: (row.unit_address as string | null) ?? null,
      regionAdcode: num(row.region_adcode),
      regionName: (row.region_name as string | null) ?? null,
      lonLatWgs84: row.lon == null ? null : [Number(row.lon), Number(row.lat)],
      reason: row.reason as TaskReason,
      origin: row.origin as 'rule' | 'manual',
      evidence: { alarmIds: ev.alarmIds ?? [], eventIds: ev.eventIds ?? [], pointIds: ev.pointIds ?? [], figures: ev.figures ?? {} },
      detail: String(row.detail ?? ''),
      state,
      next: nextTaskStates(state, p, people),
      assigneeId: people.assigneeId,
      assigneeName: (row.assignee_name as string | null) ?? null,
      dueAt: dueAt.toISOString(),
      overdue: isOverdue({ state, dueAt }, now),
      escalatedAt: row.escalated_at ? iso(row.escalated_at) : null,
      escalatedToName: (row.escalated_to_name as string | null) ?? null,
      createdAt: iso(row.created_at),
      updatedAt: iso(row.updated_at),
      version: Number(row.version),
    };
  }

  /** 404 unless the task lies in the caller's jurisdiction (checked before a request's body is read). */
  async requireTask(p: Principal, id: number): Promise<void> {
    if (!(await this.pool.query(q.taskById(p.scope, id))).rows[0]) throw notFound(`task ${id} not found in your jurisdiction`);
  }

  async detail(p: Principal, id: number): Promise<TaskDetail> {
    const row = (await this.pool.query(q.taskById(p.scope, id))).rows[0];
    if (!row) throw notFound(`task ${id} not found in your jurisdiction`);
    const dto = this.taskDto(row, p);
    const [steps, alarms] = await Promise.all([this.pool.query(q.taskSteps(id)), this.pool.query(q.evidenceAlarms(dto.evidence.alarmIds))]);
    return {
      ...dto,
      steps: steps.rows.map((s) => ({ at: iso(s.at), actorName: String(s.actor_name), kind: s.kind, fromState: s.from_state, toState: s.to_state, note: String(s.note ?? '') })),
      alarms: alarms.rows.map((a) => ({ id: Number(a.id), kind: String(a.kind), state: String(a.state), verdict: a.verdict ?? null, openedAt: iso(a.opened_at) })),
    };
  }

  async transition(p: Principal, id: number, body: { to: TaskState; version: number; note: string }, ip: string | null, actorName: string): Promise<TaskDetail> {
    const now = this.now();
    await withTransaction(this.pool, async (c) => {
      const row = (await c.query(q.taskById(p.scope, id, { forUpdate: true }))).rows[0];
      if (!row) throw notFound(`task ${id} not found in your jurisdiction`);
      const from = row.state as TaskState;
      const check = checkTaskTransition(from, body.to, p, { assigneeId: num(row.assignee_id), chiefId: num(row.chief_id) });
      if (!check.ok) throw new DomainError(check.status === 403 ? 'forbidden' : 'conflict', check.status === 403 ? 'forbidden' : 'conflict', check.reason);
      if (Number(row.version) !== body.version) throw conflict(`task ${id} changed meanwhile (version ${row.version}, you sent ${body.version}): reload it`);
      await c.query(q.setTaskState(id, body.version, body.to, now.toISOString()));
      await c.query(q.insertSteps({ taskIds: [id], kind: 'transition', from, to: body.to, actorId: p.userId, actorName, note: body.note, atIso: now.toISOString() }));
      await recordAudit(c, { actor: p, ip, action: 'supervision.task.transition', entity: 'supervision_task', entityId: id, before: { state: from }, after: { state: body.to, note: body.note } });
    });
    return this.detail(p, id);
  }

  async addNote(p: Principal, id: number, note: string, actorName: string): Promise<TaskDetail> {
    const row = (await this.pool.query(q.taskById(p.scope, id))).rows[0];
    if (!row) throw notFound(`task ${id} not found in your jurisdiction`);
    if (!mayAct(p, { assigneeId: num(row.assignee_id), chiefId: num(row.chief_id) })) throw forbidden('only the assigned supervisor, their chief or an admin may write notes on this task');
    await this.pool.query(q.insertSteps({ taskIds: [id], kind: 'note', from: null, to: null, actorId: p.userId, actorName, note, atIso: this.now().toISOString() }));
    return this.detail(p, id);
  }

  async createManual(p: Principal, body: { unitId: number; detail: string; dueDays?: number | undefined }, ip: string | null, actorName: string): Promise<TaskDetail> {
    const now = this.now();
    const id = await withTransaction(this.pool, async (c) => {
      await requireUnitInScope(c, p.scope, body.unitId);
      const row = (
        await c.query(q.insertManualTask({ unitId: body.unitId, detail: body.detail, dueAtIso: taskDueAt(now, body.dueDays ?? this.opts.taskDays).toISOString(), nowIso: now.toISOString(), createdBy: p.userId }))
      ).rows[0]!;
      const taskId = Number(row.id);
      await c.query(q.insertSteps({ taskIds: [taskId], kind: 'created', from: null, to: 'open', actorId: p.userId, actorName, note: body.detail, atIso: now.toISOString() }));
      await recordAudit(c, { actor: p, ip, action: 'supervision.task.create', entity: 'supervision_task', entityId: taskId, after: { unitId: body.unitId, detail: body.detail } });
      await this.noticeCreated(c, [row], now);
      return taskId;
    });
    return this.detail(p, id);
  }

  /**
   * Makes `supervisorId` responsible for the units (already checked to be in the caller's
   * scope and the supervisor's): audited with the previous supervisor of each unit; their
   * unfinished tasks follow to the new supervisor, who is told.
   */
  async assign(c: pg.ClientBase, p: Principal, units: Array<{ id: number; before: number | null }>, supervisorId: number, ip: string | null, actorName: string, note: string, action: string, entityId: string | number): Promise<number> {
    const now = this.now();
    const changed = units.filter((u) => u.before !== supervisorId);
    if (changed.length === 0) return 0;
    const ids = changed.map((u) => u.id);
    await c.query(q.upsertAssignments(ids, supervisorId, p.userId, now.toISOString()));
    const moved = (await c.query(q.reassignPendingTasks(ids, supervisorId, now.toISOString()))).rows;
    if (moved.length) {
      await c.query(q.insertSteps({ taskIds: moved.map((r) => Number(r.id)), kind: 'reassigned', from: null, to: null, actorId: p.userId, actorName, note, atIso: now.toISOString() }));
      await this.noticeCreated(c, moved.map((r) => ({ ...r, assignee_id: supervisorId })), now, 'task_reassigned');
    }
    await recordAudit(c, {
      actor: p,
      ip,
      action,
      entity: action === 'supervision.assign_region' ? 'region' : 'unit',
      entityId,
      before: changed.map((u) => ({ unitId: u.id, supervisorId: u.before })),
      after: { supervisorId, units: ids, note, tasksMoved: moved.map((r) => Number(r.id)) },
    });
    return changed.length;
  }
}
