// HTTP contracts of duty operations (/api/duty): the shift roster, handovers, the duty
// log, the alarm handling register and the 119 communication test. Shared by the backend
// (validation) and the frontend (typed client).
import { z } from 'zod';
import { alarmKindSchema, alarmVerdictSchema } from './event.ts';

const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const adcode = z.number().int().min(100000, 'an adcode has 6 digits, e.g. 320106').max(999999, 'an adcode has 6 digits, e.g. 320106');
/** Duty records lie between these years; a date outside is a typing mistake. */
const plausible = (s: string) => {
  const t = Date.parse(s);
  return t >= Date.parse('2000-01-01T00:00:00+08:00') && t < Date.parse('2100-01-01T00:00:00+08:00');
};
const instant = z
  .string()
  .datetime({ offset: true, message: 'use ISO 8601 with a zone, e.g. 2026-01-01T08:00:00+08:00' })
  .refine(plausible, 'a date between 2000 and 2099: check the year');
const queryInstant = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), 'not a date: use ISO 8601, e.g. 2026-01-01 or 2026-01-01T08:00:00+08:00')
  // A bare date is a Shanghai midnight.
  .transform((s) => new Date(/^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00+08:00` : s).toISOString());
const csvOf = <T extends z.ZodTypeAny>(item: T) =>
  z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(item).max(20));

export const DUTY_ROLES = ['operator', 'chief'] as const;
export const dutyRoleSchema = z.enum(DUTY_ROLES);

export const DUTY_LOG_KINDS = [
  'note',
  'handover_created',
  'handover_accepted',
  'comm_test_ok',
  'comm_test_failed',
  'comm_test_recovered',
  /** no operator desk (or wall) connected for a staffed post (backend/src/duty/presence.ts) */
  'center_unattended',
  'center_attended',
  'duty_check_requested',
  'deadline_overdue',
] as const;
export const dutyLogKindSchema = z.enum(DUTY_LOG_KINDS);

/** POST /api/duty/shifts */
export const shiftCreateSchema = z
  .object({
    regionAdcode: adcode,
    userId: id,
    dutyRole: dutyRoleSchema.default('operator'),
    startsAt: instant,
    endsAt: instant,
    note: z.string().trim().max(500, 'at most 500 characters').default(''),
    /** Mobile for duty alerts (the chief's: center unattended, 119 test failed), digits with an optional leading +. */
    phone: z.string().trim().regex(/^\+?\d{5,20}$/, 'a phone number: digits only, e.g. 13800000000').optional(),
  })
  .strict()
  .refine((s) => Date.parse(s.endsAt) > Date.parse(s.startsAt), { message: 'endsAt must be after startsAt', path: ['endsAt'] })
  .refine((s) => Date.parse(s.endsAt) - Date.parse(s.startsAt) <= 48 * 3600_000, { message: 'a shift lasts at most 48 hours: split longer duty into shifts', path: ['endsAt'] });
export type ShiftCreate = z.input<typeof shiftCreateSchema>;

/** GET /api/duty/shifts?region=&from=&to= */
export const shiftQuerySchema = z
  .object({
    region: z.coerce.number().int().min(100000).max(999999).optional(),
    from: queryInstant.optional(),
    to: queryInstant.optional(),
  })
  .strict();

export const shiftDtoSchema = z.object({
  id,
  regionAdcode: z.number().int(),
  regionName: z.string().nullable(),
  userId: z.number().int(),
  userName: z.string(),
  dutyRole: dutyRoleSchema,
  startsAt: z.string(),
  endsAt: z.string(),
  note: z.string(),
  phone: z.string().nullable().optional(),
});
export type ShiftDto = z.infer<typeof shiftDtoSchema>;

/** POST /api/duty/handovers: the outgoing operator hands the post over. */
export const handoverCreateSchema = z
  .object({
    regionAdcode: adcode,
    /** Start of the shift being handed over; default: the caller's current roster entry, else 8 hours ago. */
    shiftStart: instant.optional(),
    /** Intended incoming operator; omit to let anyone on duty for the post accept. */
    toUserId: id.optional(),
    notes: z.string().trim().max(4000, 'at most 4000 characters').default(''),
    /** Open alarms older than this many hours are listed as pending follow-ups. */
    pendingAfterHours: z.number().int().min(1).max(24 * 30).default(24),
  })
  .strict();
export type HandoverCreate = z.input<typeof handoverCreateSchema>;

/** POST /api/duty/handovers/:id/accept */
export const handoverAcceptSchema = z.object({ note: z.string().trim().max(2000, 'at most 2000 characters').default('') }).strict();

export const handoverAlarmSchema = z.object({
  id: z.number().int(),
  kind: z.string(),
  state: z.string(),
  unitName: z.string().nullable(),
  openedAt: z.string(),
});
export type HandoverAlarm = z.infer<typeof handoverAlarmSchema>;

export const shiftSummarySchema = z.object({
  alarmsByKind: z.record(z.number().int()),
  verdicts: z.record(z.number().int()),
  falseAlarms: z.number().int(),
  opened: z.number().int(),
  closed: z.number().int(),
  logEntries: z.number().int(),
  commTests: z.object({ ok: z.number().int(), failed: z.number().int() }),
});
export type ShiftSummary = z.infer<typeof shiftSummarySchema>;

export const handoverDtoSchema = z.object({
  id,
  regionAdcode: z.number().int(),
  regionName: z.string().nullable(),
  fromUserId: z.number().int().nullable(),
  fromName: z.string(),
  toUserId: z.number().int().nullable(),
  toName: z.string().nullable(),
  shiftStart: z.string(),
  shiftEnd: z.string(),
  notes: z.string(),
  openAlarms: z.array(handoverAlarmSchema),
  pendingAlarms: z.array(handoverAlarmSchema),
  pendingAfterHours: z.number().int(),
  summary: shiftSummarySchema,
  createdAt: z.string(),
  acceptedAt: z.string().nullable(),
  acceptedBy: z.number().int().nullable(),
  acceptedName: z.string().nullable(),
  acceptNote: z.string().nullable(),
});
export type HandoverDto = z.infer<typeof handoverDtoSchema>;

/** POST /api/duty/log */
export const dutyLogCreateSchema = z
  .object({
    regionAdcode: adcode,
    text: z.string().trim().min(1, 'write what happened').max(4000, 'at most 4000 characters'),
  })
  .strict();

/** GET /api/duty/log?region=&from=&to=&kind=&limit= */
export const dutyLogQuerySchema = z
  .object({
    region: z.coerce.number().int().min(100000).max(999999).optional(),
    from: queryInstant.optional(),
    to: queryInstant.optional(),
    kind: csvOf(dutyLogKindSchema).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();

export const dutyLogDtoSchema = z.object({
  id,
  regionAdcode: z.number().int().nullable(),
  at: z.string(),
  kind: dutyLogKindSchema,
  actorName: z.string(),
  text: z.string(),
  refEntity: z.string().nullable(),
  refId: z.string().nullable(),
});
export type DutyLogDto = z.infer<typeof dutyLogDtoSchema>;

export const REGISTER_FORMATS = ['json', 'csv', 'xlsx'] as const;

/** GET /api/duty/register: the alarm handling register (接处警登记表), filters. */
export const registerQuerySchema = z
  .object({
    /** Unit name contains (case-insensitive). */
    unit: z.string().trim().max(100).optional(),
    unitId: z.coerce.number().int().positive().optional(),
    kind: csvOf(alarmKindSchema).optional(),
    verdict: csvOf(z.union([alarmVerdictSchema, z.literal('none')])).optional(),
    /** Cause code recorded by the procedure (false-alarm cause, shutdown cause…). */
    cause: z.string().trim().max(40).regex(/^[a-z_]*$/, 'a cause code such as smoking_cooking (see the procedures in common)').optional(),
    region: z.coerce.number().int().min(100000, 'region is a 6-digit adcode').max(999999, 'region is a 6-digit adcode').optional(),
    /** Name of an operator who took a step on the alarm (contains, case-insensitive). */
    operator: z.string().trim().max(64).optional(),
    from: queryInstant.optional(),
    to: queryInstant.optional(),
    format: z.enum(REGISTER_FORMATS).default('json'),
    /** Language of exported headers and values. */
    lang: z.enum(['zh-CN', 'en']).default('zh-CN'),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  })
  .strict();
export type RegisterQuery = z.input<typeof registerQuerySchema>;

export const registerStepSchema = z.object({ step: z.string(), at: z.string(), actorName: z.string().nullable(), note: z.string().nullable() });

export const registerRowSchema = z.object({
  id: z.number().int(),
  kind: z.string(),
  state: z.string(),
  verdict: z.string().nullable(),
  cause: z.string().nullable(),
  unitId: z.number().int().nullable(),
  unitName: z.string().nullable(),
  unitAddress: z.string().nullable(),
  regionAdcode: z.number().int().nullable(),
  regionName: z.string().nullable(),
  pointLabel: z.string().nullable(),
  openedAt: z.string(),
  acknowledgedAt: z.string().nullable(),
  acknowledgedBy: z.string().nullable(),
  verifiedAt: z.string().nullable(),
  verifiedBy: z.string().nullable(),
  forwardedAt: z.string().nullable(),
  dispatchedAt: z.string().nullable(),
  closedAt: z.string().nullable(),
  closedBy: z.string().nullable(),
  steps: z.array(registerStepSchema),
});
export type RegisterRow = z.infer<typeof registerRowSchema>;

export const registerPageSchema = z.object({ total: z.number().int(), rows: z.array(registerRowSchema), from: z.string(), to: z.string() });

export const commTestDtoSchema = z.object({
  id,
  trigger: z.enum(['scheduled', 'manual']),
  actorName: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  ok: z.boolean().nullable(),
  httpStatus: z.number().int().nullable(),
  error: z.string().nullable(),
  durationMs: z.number().nullable(),
});
export type CommTestDto = z.infer<typeof commTestDtoSchema>;

export const commStatusSchema = z.object({
  /** false when FORWARD_119_URL is not set: nothing to test. */
  configured: z.boolean(),
  /** Daily test time, HH:MM Asia/Shanghai. */
  dailyAt: z.string(),
  /** The last test failed and no later test succeeded. */
  failing: z.boolean(),
  failingSince: z.string().nullable(),
  last: commTestDtoSchema.nullable(),
  recent: z.array(commTestDtoSchema),
});
export type CommStatus = z.infer<typeof commStatusSchema>;

/** GET /api/duty/posts: the posts (regions) the caller may keep duty for. */
export const dutyPostSchema = z.object({ adcode: z.number().int(), name: z.string(), nameEn: z.string().nullable(), level: z.string() });
export type DutyPost = z.infer<typeof dutyPostSchema>;

export const dutyUserSchema = z.object({ id: z.number().int(), username: z.string(), displayName: z.string(), role: z.string() });
export type DutyUser = z.infer<typeof dutyUserSchema>;

/** POST /api/duty/duty-checks (202) and GET /api/duty/duty-checks/:id: an operator's duty check (查岗) of one unit. */
export const dutyCheckDtoSchema = z.object({
  id,
  unitId: z.number().int(),
  unitName: z.string(),
  requestedBy: z.string(),
  requestedAt: z.string(),
  /** pending: sent at the next scheduler tick; not_connected: no device of the unit is connected. */
  status: z.enum(['pending', 'sent', 'answered', 'missed', 'not_connected']),
  sentAt: z.string().nullable(),
  timeoutS: z.number().int().nullable(),
  answeredAt: z.string().nullable(),
  /** Seconds from sending to the control-room operator's answer. */
  responseS: z.number().nullable(),
  missedAt: z.string().nullable(),
});
export type DutyCheckDto = z.infer<typeof dutyCheckDtoSchema>;

/** GET /api/duty/unattended: "center unattended" records (no operator desk or wall connected). */
export const unattendedResponseSchema = z.object({
  items: z.array(
    z.object({
      id,
      regionAdcode: z.number().int(),
      regionName: z.string(),
      screen: z.enum(['desk', 'wall']),
      absentSince: z.string(),
      raisedAt: z.string(),
      clearedAt: z.string().nullable(),
      notified: z.number().int(),
    }),
  ),
});

/** GET /api/duty/clock-drift: devices whose clock was off by more than thresholdS at the last sync. */
export const clockDriftResponseSchema = z.object({
  thresholdS: z.number(),
  devices: z.array(
    z.object({ deviceId: z.number().int(), address: z.number().int(), unitId: z.number().int(), unitName: z.string(), checkedAt: z.string(), deviceTime: z.string(), driftS: z.number() }),
  ),
});

/** GET /api/duty/disabled-points: disabled (屏蔽) points per unit, a risk indicator. */
export const disabledPointsResponseSchema = z.object({
  days: z.number().int(),
  units: z.array(
    z.object({
      unitId: z.number().int(),
      unitName: z.string(),
      regionAdcode: z.number().int().nullable(),
      disabledNow: z.number().int(),
      systemsDisabledNow: z.number().int(),
      oldestSince: z.string().nullable(),
      hoursInWindow: z.number(),
      spellsInWindow: z.number().int(),
    }),
  ),
});
