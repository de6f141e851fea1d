// Contracts of supervision's second part (/api/supervision): the inspection plan by risk
// band, inspection records, cases (立案查处), accountability statistics and the city/district
// league against dated stage targets, acceptance records filled from received signals, and
// scheduled reports. Request bodies are strict; responses are validated by the browser.
import { z } from 'zod';

const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const text = (max: number) => z.string().trim().max(max, `at most ${max} characters`);
const ymd = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD');
const adcode = z.number().int().min(100000).max(999999);

// ---- inspection plan ----

export const planBandSchema = z.object({
  band: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, 'a band name in lower-case letters, digits and _'),
  /** The band covers ranks within the top uptoPct percent of the district. */
  uptoPct: z.number().gt(0).max(100),
  everyDays: z.number().int().min(1).max(3650),
});
export type PlanBand = z.infer<typeof planBandSchema>;
/** PUT /api/supervision/plan/bands */
export const planBandsSetSchema = z
  .object({ bands: z.array(planBandSchema.strict()).min(1, 'give at least one band').max(10) })
  .strict()
  .refine((b) => b.bands.some((x) => x.uptoPct === 100), { message: 'the last band must reach uptoPct 100 so that every unit has a frequency' })
  .refine((b) => new Set(b.bands.map((x) => x.uptoPct)).size === b.bands.length, { message: 'each band needs its own uptoPct' })
  .refine((b) => new Set(b.bands.map((x) => x.band)).size === b.bands.length, { message: 'each band needs its own name' });

/** POST /api/supervision/plan/generate */
export const planGenerateSchema = z
  .object({
    /** Limit the plan to one region in the caller's jurisdiction (a city code covers its districts). */
    regionAdcode: adcode.optional(),
    /** The ranking window, days back from now (the analytics inspection score over it). */
    windowDays: z.number().int().min(1).max(366).default(90),
  })
  .strict();

export const planRowSchema = z.object({
  unitId: z.number().int(),
  unitName: z.string(),
  regionAdcode: z.number().int().nullable(),
  regionName: z.string().nullable(),
  band: z.string(),
  everyDays: z.number().int(),
  score: z.number(),
  rankInRegion: z.number().int(),
  regionUnits: z.number().int(),
  nextDue: z.string(),
  lastInspectedOn: z.string().nullable(),
  overdue: z.boolean(),
  supervisorName: z.string().nullable(),
});
export type PlanRow = z.infer<typeof planRowSchema>;

// ---- inspections ----

export const checklistItemSchema = z.object({ item: text(200).min(1), ok: z.boolean(), note: text(500).default('') }).strict();
export type ChecklistItem = z.infer<typeof checklistItemSchema>;

/** POST /api/supervision/inspections */
export const inspectionCreateSchema = z
  .object({
    unitId: id,
    inspectedOn: ymd,
    checklist: z.array(checklistItemSchema).max(100).default([]),
    findings: text(4000).default(''),
    result: z.enum(['pass', 'rectify']),
    /** With result 'rectify': the rectification order's deadline and what is to be fixed. */
    rectifyBy: ymd.optional(),
    rectifyItems: text(4000).default(''),
    /** A re-inspection names the inspection whose rectification order it checks. */
    reinspectionOf: id.optional(),
  })
  .strict()
  .refine((b) => (b.result === 'rectify') === (b.rectifyBy !== undefined), {
    message: 'a rectification order (result rectify) needs rectifyBy, and a passed inspection has none',
    path: ['rectifyBy'],
  })
  .refine((b) => b.rectifyBy === undefined || b.rectifyBy > b.inspectedOn, { message: 'rectifyBy must be after the inspection date', path: ['rectifyBy'] });

export const inspectionDtoSchema = z.object({
  id: z.number().int(),
  unitId: z.number().int(),
  unitName: z.string(),
  regionName: z.string().nullable(),
  inspectorName: z.string(),
  inspectedOn: z.string(),
  checklist: z.array(z.object({ item: z.string(), ok: z.boolean(), note: z.string() })),
  findings: z.string(),
  result: z.enum(['pass', 'rectify']),
  orderNo: z.string().nullable(),
  rectifyBy: z.string().nullable(),
  rectifyItems: z.string(),
  reinspectionOf: z.number().int().nullable(),
  rectifiedOn: z.string().nullable(),
  orderOverdue: z.boolean(),
  planned: z.boolean(),
  photos: z.array(z.object({ id: z.number().int(), mimeType: z.string(), bytes: z.number().int(), caption: z.string() })),
  createdAt: z.string(),
});
export type InspectionDto = z.infer<typeof inspectionDtoSchema>;

// ---- cases ----

/** POST /api/supervision/cases */
export const caseCreateSchema = z
  .object({
    unitId: id,
    caseNo: text(64).min(1, 'give the case number (立案编号)'),
    basis: text(2000).min(1, 'give the legal basis (立案依据)'),
    facts: text(4000).default(''),
    openedOn: ymd,
    inspectionId: id.optional(),
    taskId: id.optional(),
  })
  .strict();
/** POST /api/supervision/cases/:id/close */
export const caseCloseSchema = z
  .object({ outcome: text(4000).min(1, 'give the outcome (处理结果)'), fineYuan: z.number().min(0).max(1e9).optional(), closedOn: ymd, version: z.number().int() })
  .strict();

export const caseDtoSchema = z.object({
  id: z.number().int(),
  unitId: z.number().int(),
  unitName: z.string(),
  caseNo: z.string(),
  basis: z.string(),
  facts: z.string(),
  inspectionId: z.number().int().nullable(),
  taskId: z.number().int().nullable(),
  state: z.enum(['open', 'closed']),
  outcome: z.string().nullable(),
  fineYuan: z.number().nullable(),
  openedOn: z.string(),
  closedOn: z.string().nullable(),
  version: z.number().int(),
});
export type CaseDto = z.infer<typeof caseDtoSchema>;

// ---- accountability and league ----

export const STAGE_METRICS = ['high_risk', 'control_room'] as const;
export type StageMetric = (typeof STAGE_METRICS)[number];

/** PUT /api/supervision/stage-targets/:adcode: replaces the region's stages. */
export const stageTargetsSetSchema = z
  .object({
    stages: z
      .array(z.object({ metric: z.enum(STAGE_METRICS), dueOn: ymd, targetPct: z.number().gt(0).max(100) }).strict())
      .max(40),
  })
  .strict();

export const agencyStatSchema = z.object({
  agencyId: z.number().int(),
  name: z.string(),
  units: z.number().int(),
  points: z.number().int(),
  falseAlarms: z.number().int(),
  verifiedFireAlarms: z.number().int(),
  falseAlarmRatePct: z.number().nullable(),
  faultEvents: z.number().int(),
  faultsPer100Points30d: z.number().nullable(),
  overdueRepairs: z.number().int(),
  failedAcceptances: z.number().int(),
  acceptances: z.number().int(),
});
export type AgencyStat = z.infer<typeof agencyStatSchema>;

export const supervisorStatSchema = z.object({
  supervisorId: z.number().int(),
  name: z.string(),
  units: z.number().int(),
  tasksFinished: z.number().int(),
  tasksOnTime: z.number().int(),
  onTimePct: z.number().nullable(),
  tasksOverdueOpen: z.number().int(),
  inspectionsPlanned: z.number().int(),
  inspectionsDone: z.number().int(),
  planDonePct: z.number().nullable(),
});
export type SupervisorStat = z.infer<typeof supervisorStatSchema>;

export const leagueStageSchema = z.object({ dueOn: z.string(), targetPct: z.number(), state: z.enum(['met', 'missed', 'upcoming']) });
export const leagueMetricSchema = z.object({
  numerator: z.number().int(),
  denominator: z.number().int(),
  pct: z.number().nullable(),
  stages: z.array(leagueStageSchema),
  /** A stage whose date passed with the share below its target. */
  overdue: z.boolean(),
});
export const leagueRowSchema = z.object({
  adcode: z.number().int(),
  name: z.string(),
  level: z.enum(['city', 'district']),
  parentAdcode: z.number().int().nullable(),
  highRisk: leagueMetricSchema,
  controlRoom: leagueMetricSchema,
  underConstruction: z.number().int(),
  rank: z.number().int(),
});
export type LeagueRow = z.infer<typeof leagueRowSchema>;

// ---- acceptance ----

export const ACCEPTANCE_SIGNALS = ['fire', 'fault', 'supervisory', 'feedback', 'dutyCheck'] as const;
export type AcceptanceSignal = (typeof ACCEPTANCE_SIGNALS)[number];
export const signalEvidenceSchema = z.object({ received: z.boolean(), count: z.number().int(), firstAt: z.string().nullable(), eventIds: z.array(z.number().int()) });
export const acceptanceEvidenceSchema = z.object({
  unitId: z.number().int(),
  deviceId: z.number().int(),
  deviceAddress: z.number().int(),
  windowFrom: z.string(),
  windowTo: z.string(),
  signals: z.object({ fire: signalEvidenceSchema, fault: signalEvidenceSchema, supervisory: signalEvidenceSchema, feedback: signalEvidenceSchema, dutyCheck: signalEvidenceSchema }),
  complete: z.boolean(),
});
export type AcceptanceEvidence = z.infer<typeof acceptanceEvidenceSchema>;

/** GET /api/supervision/acceptance/evidence?unit=&device=&from=&to= */
export const acceptanceEvidenceQuerySchema = z
  .object({ unit: z.coerce.number().int().positive(), device: z.coerce.number().int().positive(), from: z.string().datetime({ offset: true }), to: z.string().datetime({ offset: true }) })
  .strict();
/** POST /api/supervision/acceptance: the inspector signs the record built from the evidence. */
export const acceptanceSignSchema = z
  .object({
    unitId: id,
    deviceId: id,
    windowFrom: z.string().datetime({ offset: true }),
    windowTo: z.string().datetime({ offset: true }),
    /** The inspector's own verdict; 'pass' is refused unless every signal was received. */
    result: z.enum(['pass', 'fail']),
    testingAgencyId: id.optional(),
    notes: text(2000).default(''),
    /** The inspector confirms the record by typing their name as signed (签字). */
    signature: text(64).min(1, 'sign the record with your name'),
  })
  .strict()
  .refine((b) => Date.parse(b.windowTo) > Date.parse(b.windowFrom), { message: 'windowTo must be after windowFrom', path: ['windowTo'] })
  .refine((b) => Date.parse(b.windowTo) - Date.parse(b.windowFrom) <= 7 * 86_400_000, { message: 'a test window is at most 7 days', path: ['windowTo'] });

export const acceptanceRecordSchema = acceptanceEvidenceSchema.extend({
  id: z.number().int(),
  unitName: z.string(),
  result: z.enum(['pass', 'fail']),
  inspectorName: z.string(),
  collectingAgency: z.string().nullable(),
  testingAgency: z.string().nullable(),
  notes: z.string(),
  signedAt: z.string(),
});
export type AcceptanceRecord = z.infer<typeof acceptanceRecordSchema>;

// ---- reports ----

export const REPORT_PERIODS = ['daily', 'weekly', 'monthly'] as const;
export type SupervisionReportPeriod = (typeof REPORT_PERIODS)[number];
export const reportDtoSchema = z.object({
  id: z.number().int(),
  period: z.enum(REPORT_PERIODS),
  regionAdcode: z.number().int(),
  regionName: z.string(),
  periodStart: z.string(),
  periodEnd: z.string(),
  generatedAt: z.string(),
  content: z.record(z.string(), z.number()),
  /** Its outbox rows (one per supervisor): notConfigured = closed because no delivery endpoint is set. */
  delivery: z.object({ sent: z.number().int(), pending: z.number().int(), failed: z.number().int(), notConfigured: z.number().int() }).optional(),
});
export type SupervisionReportDto = z.infer<typeof reportDtoSchema>;
