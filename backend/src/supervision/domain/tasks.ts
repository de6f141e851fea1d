// The life of a follow-up task (督办): its transition table, who may move it, and when it
// escalates to the assignee's chief. Pure: no database, no clock of its own.
import type { Role, TaskState } from '@firelink/common';

/**
 * Every allowed move. open → in_progress (the supervisor takes it up) → checked (on site or
 * by phone) → rectified (the unit fixed it) | case_opened (立案查处) → closed.
 * Nothing else: no skipping, no going back, nothing out of closed.
 */
export const TASK_TRANSITIONS: Readonly<Record<TaskState, readonly TaskState[]>> = {
  open: ['in_progress'],
  in_progress: ['checked'],
  checked: ['rectified', 'case_opened'],
  rectified: ['closed'],
  case_opened: ['closed'],
  closed: [],
};

/** States in which the task still waits for the supervisor: past the deadline they escalate. */
export const PENDING_STATES: readonly TaskState[] = ['open', 'in_progress', 'checked'];

export function canTransition(from: TaskState, to: TaskState): boolean {
  return TASK_TRANSITIONS[from].includes(to);
}

export interface TaskActor {
  userId: number | null;
  role: Role;
}

export interface TaskPeople {
  assigneeId: number | null;
  /** The assignee's chief, who also may act once the task is escalated to them. */
  chiefId: number | null;
}

/**
 * Who may act on a task (the jurisdiction check comes first, in SQL): an admin, the assignee,
 * or the assignee's chief. A supervisor of the same district who is not the assignee reads only.
 * An unassigned task may be taken by any supervisor who sees it.
 */
export function mayAct(actor: TaskActor, people: TaskPeople): boolean {
  if (actor.role === 'admin') return true;
  if (actor.role !== 'supervisor' || actor.userId == null) return false;
  if (people.assigneeId == null) return true;
  return actor.userId === people.assigneeId || actor.userId === people.chiefId;
}

/** States the actor may move the task to now. */
export function nextTaskStates(state: TaskState, actor: TaskActor, people: TaskPeople): TaskState[] {
  return mayAct(actor, people) ? [...TASK_TRANSITIONS[state]] : [];
}

export type TransitionCheck = { ok: true } | { ok: false; status: 403 | 409; reason: string };

export function checkTaskTransition(from: TaskState, to: TaskState, actor: TaskActor, people: TaskPeople): TransitionCheck {
  if (!mayAct(actor, people)) return { ok: false, status: 403, reason: 'only the assigned supervisor, their chief or an admin may move this task' };
  if (!canTransition(from, to)) {
    const allowed = TASK_TRANSITIONS[from];
    return {
      ok: false,
      status: 409,
      reason: allowed.length ? `a task in state ${from} can move to ${allowed.join(' or ')}, not ${to}` : `a task in state ${from} is finished`,
    };
  }
  return { ok: true };
}

/** Overdue: past its deadline and still waiting for the supervisor. */
export function isOverdue(task: { state: TaskState; dueAt: Date }, now: Date): boolean {
  return PENDING_STATES.includes(task.state) && task.dueAt.getTime() < now.getTime();
}

/** Escalates once: overdue, not escalated yet, and the assignee has a chief to escalate to. */
export function escalationDue(task: { state: TaskState; dueAt: Date; escalatedAt: Date | null; chiefId: number | null }, now: Date): boolean {
  return task.escalatedAt == null && task.chiefId != null && isOverdue(task, now);
}
