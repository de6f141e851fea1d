// HTTP contracts of supervision (/api/supervision): each unit's responsible supervisor,
// supervisors' chiefs, and follow-up tasks (督办) created by rule or by hand. Shared by the
// backend (validation) and the frontend (typed client).
import { z } from 'zod';

const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const adcode = z.number().int().min(100000, 'an adcode has 6 digits, e.g. 320106').max(999999, 'an adcode has 6 digits, e.g. 320106');
const note = z.string().trim().max(2000, 'at most 2000 characters');

/** open → in_progress → checked → rectified | case_opened → closed (the backend's transition table decides). */
export const TASK_STATES = ['open', 'in_progress', 'checked', 'rectified', 'case_opened', 'closed'] as const;
export const taskStateSchema = z.enum(TASK_STATES);
export type TaskState = z.infer<typeof taskStateSchema>;

/**
 * Why a task exists. host_offline / off_duty: an unresolved alarm past its deadline;
 * fault_overdue: a fault alarm open past the repair deadline; repeated_false_alarms: N
 * verified false alarms in M days; points_disabled: points disabled (屏蔽) beyond N days;
 * drawings_overdue: the onboarding drawings deadline passed with points still unplaced;
 * manual: created by a person.
 */
export const TASK_REASONS = ['host_offline', 'off_duty', 'fault_overdue', 'repeated_false_alarms', 'points_disabled', 'drawings_overdue', 'manual'] as const;
export const taskReasonSchema = z.enum(TASK_REASONS);
export type TaskReason = z.infer<typeof taskReasonSchema>;

/** What a task points at: the alarms, events and points that made a rule fire. */
export const taskEvidenceSchema = z.object({
  alarmIds: z.array(z.number().int()).default([]),
  eventIds: z.array(z.number().int()).default([]),
  pointIds: z.array(z.number().int()).default([]),
  /** Rule figures (counts, days, hours) for the reason's sentence; no free text. */
  figures: z.record(z.number()).default({}),
});
export type TaskEvidence = z.infer<typeof taskEvidenceSchema>;

export const taskDtoSchema = z.object({
  id: z.number().int(),
  unitId: z.number().int(),
  unitName: z.string(),
  unitAddress: z.string().nullable(),
  regionAdcode: z.number().int().nullable(),
  regionName: z.string().nullable(),
  /** WGS84 [lon, lat] of the unit, null when it has no location. */
  lonLatWgs84: z.tuple([z.number(), z.number()]).nullable(),
  reason: taskReasonSchema,
  origin: z.enum(['rule', 'manual']),
  evidence: taskEvidenceSchema,
  /** The person's words for a manual task ('' for rule tasks). */
  detail: z.string(),
  state: taskStateSchema,
  /** States this caller may move the task to now. */
  next: z.array(taskStateSchema),
  assigneeId: z.number().int().nullable(),
  assigneeName: z.string().nullable(),
  dueAt: z.string(),
  overdue: z.boolean(),
  escalatedAt: z.string().nullable(),
  escalatedToName: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  version: z.number().int(),
});
export type TaskDto = z.infer<typeof taskDtoSchema>;

export const taskStepDtoSchema = z.object({
  at: z.string(),
  actorName: z.string(),
  /** created | transition | note | escalated | reassigned */
  kind: z.enum(['created', 'transition', 'note', 'escalated', 'reassigned']),
  fromState: taskStateSchema.nullable(),
  toState: taskStateSchema.nullable(),
  note: z.string(),
});
export type TaskStepDto = z.infer<typeof taskStepDtoSchema>;

export const taskDetailSchema = taskDtoSchema.extend({
  steps: z.array(taskStepDtoSchema),
  alarms: z.array(z.object({ id: z.number().int(), kind: z.string(), state: z.string(), verdict: z.string().nullable(), openedAt: z.string() })),
});
export type TaskDetail = z.infer<typeof taskDetailSchema>;

const csvOf = <T extends z.ZodTypeAny>(item: T) =>
  z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(item).max(20));

/** GET /api/supervision/tasks */
export const taskListQuerySchema = z
  .object({
    /** mine: assigned to me or escalated to me; all: every task in my jurisdiction. */
    view: z.enum(['mine', 'all']).default('mine'),
    state: csvOf(taskStateSchema).optional(),
    reason: csvOf(taskReasonSchema).optional(),
    unit: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
    overdue: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(200),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  })
  .strict();
export type TaskListQuery = z.input<typeof taskListQuerySchema>;

/** POST /api/supervision/tasks: a task by hand. */
export const taskCreateSchema = z
  .object({
    unitId: id,
    detail: z.string().trim().min(1, 'say what is to be followed up').max(2000, 'at most 2000 characters'),
    /** Days until the deadline (default: the configured task deadline). */
    dueDays: z.number().int().min(1).max(365).optional(),
  })
  .strict();

/** POST /api/supervision/tasks/:id/transition */
export const taskTransitionSchema = z.object({ to: taskStateSchema, version: z.number().int(), note: note.default('') }).strict();
/** POST /api/supervision/tasks/:id/notes */
export const taskNoteSchema = z.object({ note: note.min(1, 'write the note') }).strict();

/** PUT /api/supervision/units/:id/responsible */
export const responsibleSetSchema = z.object({ supervisorId: id, note: note.default('') }).strict();
/** POST /api/supervision/assign-region: every unit of a region (a city code covers its districts). */
export const regionAssignSchema = z
  .object({
    regionAdcode: adcode,
    supervisorId: id,
    /** true: keep units that already have a responsible supervisor. */
    onlyUnassigned: z.boolean().default(false),
    note: note.default(''),
  })
  .strict();
/** PUT /api/supervision/supervisors/:id/chief */
export const chiefSetSchema = z.object({ chiefId: id }).strict();

export const supervisorDtoSchema = z.object({
  id: z.number().int(),
  username: z.string(),
  displayName: z.string(),
  regions: z.array(z.number().int()),
  chiefId: z.number().int().nullable(),
  chiefName: z.string().nullable(),
  units: z.number().int(),
  openTasks: z.number().int(),
});
export type SupervisorDto = z.infer<typeof supervisorDtoSchema>;
