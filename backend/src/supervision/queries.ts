// SQL of supervision: the rules' snapshot, task writes (idempotent per unit + reason),
// escalation, task lists scoped by jurisdiction, responsibility and chiefs.
import type { TaskReason, TaskState } from '@firelink/common';
import { scopePredicate, type Scope } from '../auth/scope.ts';
import type { Query } from '../db/pool.ts';
import { PENDING_STATES } from './domain/tasks.ts';

/** Outbox channel of supervision notices; recipient 'user:<id>'. Whoever delivers to people reads it. */
export const SUPERVISION_CHANNEL = 'supervision';

// ---- the rules' snapshot ----

/**
 * The first events folded into alarm `a` (alarm_events), at most 20: a chattering detector
 * can fold thousands, and the evidence names the alarm anyway.
 */
const LINKED_EVENTS = `ARRAY(SELECT ae.event_id FROM alarm_events ae WHERE ae.alarm_id = a.id ORDER BY ae.event_id LIMIT 20)`;

/** Host offline, off duty and fault alarms neither closed nor cleared by the device. */
export function unresolvedAlarms(): Query {
  return {
    text: `SELECT a.id, a.unit_id, a.kind, a.opened_at, a.first_event_id, a.last_event_id, ${LINKED_EVENTS} AS event_ids
           FROM alarms a
           WHERE a.state <> 'closed' AND a.cleared_at IS NULL AND a.unit_id IS NOT NULL
             AND a.kind IN ('host_offline', 'off_duty', 'fault')`,
    values: [],
  };
}

/** Alarms verified as false alarms since `sinceIso`. */
export function falseAlarmsSince(sinceIso: string): Query {
  return {
    text: `SELECT a.id, a.unit_id, a.verified_at, a.first_event_id, a.last_event_id, ${LINKED_EVENTS} AS event_ids
           FROM alarms a WHERE a.verdict = 'false_alarm' AND a.verified_at > $1 AND a.unit_id IS NOT NULL`,
    values: [sinceIso],
  };
}

/**
 * Points disabled (屏蔽) now and since when: the open spells the pipeline records (the one
 * source the unit view, analytics and the inspection score read too; migration 1300).
 */
export function disabledPoints(): Query {
  return { text: `SELECT point_id AS id, unit_id, since FROM disabled_spells WHERE until IS NULL AND point_id IS NOT NULL`, values: [] };
}

// ---- task writes ----

export interface NewTaskRows {
  unitIds: number[];
  reasons: string[];
  evidence: string[];
  evidenceKeys: string[];
}

/**
 * Inserts rule tasks, assigned to each unit's responsible supervisor. Skips a unit + reason
 * that has a task not yet closed (unique index) and evidence a closed task already covered.
 */
export function insertRuleTasks(rows: NewTaskRows, dueAtIso: string, nowIso: string): Query {
  return {
    text: `INSERT INTO supervision_tasks (unit_id, reason, origin, evidence, evidence_key, assignee_id, due_at, created_at, updated_at)
           SELECT c.unit_id, c.reason, 'rule', c.evidence::jsonb, c.evidence_key, sa.supervisor_id, $5, $6, $6
           FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS c(unit_id, reason, evidence, evidence_key)
           JOIN units u ON u.id = c.unit_id
           LEFT JOIN supervision_assignments sa ON sa.unit_id = c.unit_id
           WHERE NOT EXISTS (SELECT 1 FROM supervision_tasks t
                             WHERE t.unit_id = c.unit_id AND t.reason = c.reason AND t.state = 'closed' AND t.evidence_key = c.evidence_key)
           ON CONFLICT (unit_id, reason) WHERE state <> 'closed' AND origin = 'rule' DO NOTHING
           RETURNING id, unit_id, reason, assignee_id`,
    values: [rows.unitIds, rows.reasons, rows.evidence, rows.evidenceKeys, dueAtIso, nowIso],
  };
}

/**
 * A follow-up task the duty deadline watch raises for one overdue alarm (host offline, off
 * duty): the same kind of task as the rule's (origin 'rule', reason = the alarm's kind), so the
 * one-open-task-per-unit-and-reason index makes the watch and the rule run raise it once
 * between them, whichever comes first. Evidence the alarm; not raised again for an alarm whose
 * task was closed on that very evidence. Returns nothing when a task exists or was closed on it.
 */
export function insertAlarmFollowUpTask(t: { unitId: number; reason: 'host_offline' | 'off_duty'; alarmId: number; evidence: string; detail: string; dueAtIso: string; nowIso: string }): Query {
  return {
    text: `INSERT INTO supervision_tasks (unit_id, reason, origin, evidence, evidence_key, detail, assignee_id, due_at, created_at, updated_at)
           SELECT $1, $2, 'rule', $3::jsonb, $4, $5, (SELECT supervisor_id FROM supervision_assignments WHERE unit_id = $1), $6, $7, $7
           WHERE NOT EXISTS (SELECT 1 FROM supervision_tasks t WHERE t.unit_id = $1 AND t.reason = $2 AND t.state = 'closed' AND t.evidence_key = $4)
           ON CONFLICT (unit_id, reason) WHERE state <> 'closed' AND origin = 'rule' DO NOTHING
           RETURNING id, unit_id, reason, assignee_id`,
    values: [t.unitId, t.reason, t.evidence, String(t.alarmId), t.detail, t.dueAtIso, t.nowIso],
  };
}

/** The unit's task for a rule reason that is not closed yet (at most one: the unique index). */
export function openRuleTask(unitId: number, reason: string): Query {
  return { text: `SELECT id FROM supervision_tasks WHERE unit_id = $1 AND reason = $2 AND origin = 'rule' AND state <> 'closed'`, values: [unitId, reason] };
}

/** Open rule tasks (unit + reason) — what a rule run need not insert again. */
export function openRuleTaskKeys(): Query {
  return { text: `SELECT unit_id, reason FROM supervision_tasks WHERE state <> 'closed' AND origin = 'rule'`, values: [] };
}

export function insertManualTask(t: { unitId: number; detail: string; dueAtIso: string; nowIso: string; createdBy: number | null }): Query {
  return {
    text: `INSERT INTO supervision_tasks (unit_id, reason, origin, detail, assignee_id, due_at, created_by, created_at, updated_at)
           SELECT $1, 'manual', 'manual', $2, (SELECT supervisor_id FROM supervision_assignments WHERE unit_id = $1), $3, $4, $5, $5
           RETURNING id, unit_id, reason, assignee_id`,
    values: [t.unitId, t.detail, t.dueAtIso, t.createdBy, t.nowIso],
  };
}

export function insertSteps(s: { taskIds: number[]; kind: string; from: string | null; to: string | null; actorId: number | null; actorName: string; note: string; atIso: string }): Query {
  return {
    text: `INSERT INTO supervision_task_steps (task_id, kind, from_state, to_state, actor_id, actor_name, note, at)
           SELECT unnest($1::bigint[]), $2, $3, $4, $5, $6, $7, $8`,
    values: [s.taskIds, s.kind, s.from, s.to, s.actorId, s.actorName, s.note, s.atIso],
  };
}

/** One notice per task to a person: channel 'supervision', recipient 'user:<id>', Chinese text. */
export function enqueueNotices(n: { userIds: number[]; taskIds: number[]; unitIds: number[]; texts: string[]; kind: 'task_created' | 'task_escalated' | 'task_reassigned' }): Query {
  return {
    text: `INSERT INTO outbox (channel, recipient, payload, ref_entity, ref_id)
           SELECT $1, 'user:' || x.user_id, jsonb_build_object('text', x.text, 'kind', $6::text, 'taskId', x.task_id, 'unitId', x.unit_id, 'userId', x.user_id),
                  'supervision_task', x.task_id::text
           FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::text[]) AS x(user_id, task_id, unit_id, text)`,
    values: [SUPERVISION_CHANNEL, n.userIds, n.taskIds, n.unitIds, n.texts, n.kind],
  };
}

export function unitNames(unitIds: number[]): Query {
  return { text: `SELECT id, name FROM units WHERE id = ANY($1::bigint[])`, values: [unitIds] };
}

// ---- escalation ----

/** Pending tasks past their deadline, not yet escalated, whose assignee has a chief. */
export function escalationCandidates(nowIso: string): Query {
  return {
    text: `SELECT t.id, t.state, t.reason, t.due_at, t.escalated_at, t.unit_id, t.assignee_id, sc.chief_id, u.name AS unit_name, a.display_name AS assignee_name
           FROM supervision_tasks t
           JOIN supervisor_chiefs sc ON sc.supervisor_id = t.assignee_id
           JOIN units u ON u.id = t.unit_id
           JOIN users a ON a.id = t.assignee_id
           WHERE t.state = ANY($2::text[]) AND t.escalated_at IS NULL AND t.due_at < $1`,
    values: [nowIso, PENDING_STATES],
  };
}

export function markEscalated(ids: number[], chiefIds: number[], nowIso: string): Query {
  return {
    text: `UPDATE supervision_tasks t SET escalated_at = $3, escalated_to = x.chief_id, updated_at = $3
           FROM unnest($1::bigint[], $2::bigint[]) AS x(id, chief_id)
           WHERE t.id = x.id AND t.escalated_at IS NULL
           RETURNING t.id`,
    values: [ids, chiefIds, nowIso],
  };
}

// ---- task reads ----

const TASK_COLUMNS = `t.id, t.unit_id, u.name AS unit_name, u.address AS unit_address, u.region_adcode, r.name AS region_name,
  ST_X(u.point) AS lon, ST_Y(u.point) AS lat, t.reason, t.origin, t.evidence, t.detail, t.state, t.assignee_id,
  a.display_name AS assignee_name, sc.chief_id, t.due_at, t.escalated_at, e.display_name AS escalated_to_name,
  t.created_at, t.updated_at, t.version`;
const TASK_FROM = `supervision_tasks t
  JOIN units u ON u.id = t.unit_id
  LEFT JOIN regions r ON r.adcode = u.region_adcode
  LEFT JOIN users a ON a.id = t.assignee_id
  LEFT JOIN supervisor_chiefs sc ON sc.supervisor_id = t.assignee_id
  LEFT JOIN users e ON e.id = t.escalated_to`;

export interface TaskFilter {
  /** Only tasks assigned to or escalated to this user. */
  mineUserId?: number | null;
  states?: TaskState[];
  reasons?: TaskReason[];
  unitId?: number;
  /** true: only overdue pending tasks; false: only the others. */
  overdueAt?: { nowIso: string; overdue: boolean };
}

export function listTasks(scope: Scope, f: TaskFilter, page: { limit: number; offset: number }): Query {
  const values: unknown[] = [];
  const where = [scopePredicate(scope, { region: 'u.region_adcode', unit: 'u.id' }, values)];
  if (f.mineUserId !== undefined) {
    values.push(f.mineUserId);
    where.push(`(t.assignee_id = $${values.length} OR t.escalated_to = $${values.length})`);
  }
  if (f.states?.length) {
    values.push(f.states);
    where.push(`t.state = ANY($${values.length}::text[])`);
  }
  if (f.reasons?.length) {
    values.push(f.reasons);
    where.push(`t.reason = ANY($${values.length}::text[])`);
  }
  if (f.unitId !== undefined) {
    values.push(f.unitId);
    where.push(`t.unit_id = $${values.length}`);
  }
  if (f.overdueAt) {
    values.push(f.overdueAt.nowIso, PENDING_STATES);
    const od = `(t.due_at < $${values.length - 1} AND t.state = ANY($${values.length}::text[]))`;
    where.push(f.overdueAt.overdue ? od : `NOT ${od}`);
  }
  values.push(page.limit, page.offset);
  return {
    text: `SELECT ${TASK_COLUMNS}, count(*) OVER () AS total
           FROM ${TASK_FROM}
           WHERE ${where.join(' AND ')}
           ORDER BY (t.state = 'closed'), t.due_at, t.id
           LIMIT $${values.length - 1} OFFSET $${values.length}`,
    values,
  };
}

/** One task, only inside the scope (404 otherwise); FOR UPDATE OF t inside a transaction. */
export function taskById(scope: Scope, id: number, opts: { forUpdate?: boolean } = {}): Query {
  const values: unknown[] = [id];
  const pred = scopePredicate(scope, { region: 'u.region_adcode', unit: 'u.id' }, values);
  return {
    text: `SELECT ${TASK_COLUMNS} FROM ${TASK_FROM} WHERE t.id = $1 AND ${pred}${opts.forUpdate ? ' FOR UPDATE OF t' : ''}`,
    values,
  };
}

export function taskSteps(taskId: number): Query {
  return {
    text: `SELECT at, actor_name, kind, from_state, to_state, note FROM supervision_task_steps WHERE task_id = $1 ORDER BY at, id`,
    values: [taskId],
  };
}

export function evidenceAlarms(ids: number[]): Query {
  return { text: `SELECT id, kind, state, verdict, opened_at FROM alarms WHERE id = ANY($1::bigint[]) ORDER BY opened_at, id`, values: [ids] };
}

export function setTaskState(id: number, version: number, to: TaskState, nowIso: string): Query {
  return {
    text: `UPDATE supervision_tasks SET state = $3, version = version + 1, updated_at = $4,
             closed_at = CASE WHEN $3 = 'closed' THEN $4::timestamptz ELSE closed_at END
           WHERE id = $1 AND version = $2 RETURNING id`,
    values: [id, version, to, nowIso],
  };
}

// ---- responsibility ----


export function responsibleOf(unitId: number): Query {
  return {
    text: `SELECT sa.unit_id, sa.supervisor_id, s.display_name AS supervisor_name, sa.assigned_at, sc.chief_id, c.display_name AS chief_name
           FROM supervision_assignments sa JOIN users s ON s.id = sa.supervisor_id
           LEFT JOIN supervisor_chiefs sc ON sc.supervisor_id = sa.supervisor_id LEFT JOIN users c ON c.id = sc.chief_id
           WHERE sa.unit_id = $1`,
    values: [unitId],
  };
}

export function userById(id: number): Query {
  return { text: `SELECT id, username, display_name, role, disabled FROM users WHERE id = $1`, values: [id] };
}

/** Units of a region (a city or province code covers its districts) inside the caller's scope, with their current supervisor. */
export function unitsOfRegion(scope: Scope, adcode: number, onlyUnassigned: boolean): Query {
  const values: unknown[] = [];
  const inRegion = scopePredicate({ kind: 'regions', adcodes: [adcode] }, { region: 'u.region_adcode' }, values);
  const pred = scopePredicate(scope, { region: 'u.region_adcode', unit: 'u.id' }, values);
  values.push(onlyUnassigned);
  return {
    text: `SELECT u.id, sa.supervisor_id FROM units u LEFT JOIN supervision_assignments sa ON sa.unit_id = u.id
           WHERE ${inRegion} AND ${pred} AND (NOT $${values.length} OR sa.unit_id IS NULL)
           ORDER BY u.id
           FOR UPDATE OF u`,
    values,
  };
}

export function upsertAssignments(unitIds: number[], supervisorId: number, byUserId: number | null, nowIso: string): Query {
  return {
    text: `INSERT INTO supervision_assignments (unit_id, supervisor_id, assigned_at, assigned_by)
           SELECT unnest($1::bigint[]), $2, $4, $3
           ON CONFLICT (unit_id) DO UPDATE SET supervisor_id = EXCLUDED.supervisor_id, assigned_at = EXCLUDED.assigned_at, assigned_by = EXCLUDED.assigned_by`,
    values: [unitIds, supervisorId, byUserId, nowIso],
  };
}

/** Hands the units' tasks that are not finished to the new supervisor; returns what moved. */
export function reassignPendingTasks(unitIds: number[], supervisorId: number, nowIso: string): Query {
  return {
    text: `UPDATE supervision_tasks SET assignee_id = $2, escalated_at = NULL, escalated_to = NULL, updated_at = $4, version = version + 1
           WHERE unit_id = ANY($1::bigint[]) AND state = ANY($3::text[]) AND assignee_id IS DISTINCT FROM $2
           RETURNING id, unit_id`,
    values: [unitIds, supervisorId, PENDING_STATES, nowIso],
  };
}

export function setChief(supervisorId: number, chiefId: number): Query {
  return {
    text: `INSERT INTO supervisor_chiefs (supervisor_id, chief_id) VALUES ($1, $2)
           ON CONFLICT (supervisor_id) DO UPDATE SET chief_id = EXCLUDED.chief_id, set_at = now()`,
    values: [supervisorId, chiefId],
  };
}

export function chiefOf(supervisorId: number): Query {
  return { text: `SELECT chief_id FROM supervisor_chiefs WHERE supervisor_id = $1`, values: [supervisorId] };
}

/** Supervisors with a region inside the caller's scope, their chief, unit and open-task counts. */
export function supervisors(scope: Scope): Query {
  const values: unknown[] = [];
  const pred = scopePredicate(scope, { region: 'ur.adcode' }, values);
  return {
    text: `SELECT s.id, s.username, s.display_name,
             COALESCE((SELECT array_agg(adcode ORDER BY adcode) FROM user_regions WHERE user_id = s.id), '{}') AS regions,
             sc.chief_id, c.display_name AS chief_name,
             (SELECT count(*)::int FROM supervision_assignments sa WHERE sa.supervisor_id = s.id) AS units,
             (SELECT count(*)::int FROM supervision_tasks t WHERE t.assignee_id = s.id AND t.state <> 'closed') AS open_tasks
           FROM users s
           LEFT JOIN supervisor_chiefs sc ON sc.supervisor_id = s.id LEFT JOIN users c ON c.id = sc.chief_id
           WHERE s.role = 'supervisor' AND NOT s.disabled
             AND (${scope.kind === 'all' ? 'TRUE' : `EXISTS (SELECT 1 FROM user_regions ur WHERE ur.user_id = s.id AND ${pred})`})
           ORDER BY s.display_name, s.id`,
    values,
  };
}

export function displayName(userId: number): Query {
  return { text: `SELECT display_name FROM users WHERE id = $1`, values: [userId] };
}
