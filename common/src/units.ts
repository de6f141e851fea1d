// Units API contract (GET/POST/PATCH /api/units, GET /api/units/:id) and the onboarding
// messages (transitions, completeness, acceptance checks, funnel, outbox). The frontend's
// unit view and onboarding views build against these schemas; the backend validates with them.
import { z } from 'zod';
import { onboardingStateSchema } from './event.ts';

/** Roles of the people in units.contacts. */
export const CONTACT_ROLES = ['responsible', 'manager', 'control_room', 'other'] as const;
export const contactSchema = z.object({
  /** responsible = 消防安全责任人, manager = 消防安全管理人, control_room = 消控室值班. */
  role: z.enum(CONTACT_ROLES),
  name: z.string().trim().min(1).max(60),
  phone: z.string().trim().regex(/^[0-9+\-() ]{5,20}$/, 'phone: digits, +, -, spaces; 5–20 characters'),
});
export type Contact = z.infer<typeof contactSchema>;

/** WGS84 longitude/latitude (never GCJ-02). */
export const lonLatWgs84Schema = z.tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)]);

const unitWritable = {
  externalId: z.string().trim().min(1).max(80).nullable(),
  name: z.string().trim().min(1).max(200),
  address: z.string().trim().max(300).nullable(),
  category: z.string().trim().min(1).max(40),
  hasControlRoom: z.boolean(),
  controlRoomPhone: z.string().trim().max(40).nullable(),
  underConstruction: z.boolean(),
  lonLatWgs84: lonLatWgs84Schema.nullable(),
  buildingId: z.number().int().positive().nullable(),
  contacts: z.array(contactSchema).max(20),
  maintenanceAgencyId: z.number().int().positive().nullable(),
  verifiedDetectionPoints: z.number().int().min(0).max(1_000_000).nullable(),
  verifiedLinkagePoints: z.number().int().min(0).max(1_000_000).nullable(),
  pointTotalNote: z.string().trim().max(1000).nullable(),
  drawingsDue: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'drawingsDue: YYYY-MM-DD').nullable(),
};

/** POST /api/units body. */
export const unitCreateSchema = z.object({
  ...unitWritable,
  externalId: unitWritable.externalId.optional().default(null),
  address: unitWritable.address.optional().default(null),
  category: unitWritable.category.optional().default('other'),
  hasControlRoom: unitWritable.hasControlRoom.optional().default(true),
  controlRoomPhone: unitWritable.controlRoomPhone.optional().default(null),
  underConstruction: unitWritable.underConstruction.optional().default(false),
  lonLatWgs84: unitWritable.lonLatWgs84.optional().default(null),
  buildingId: unitWritable.buildingId.optional().default(null),
  contacts: unitWritable.contacts.optional().default([]),
  maintenanceAgencyId: unitWritable.maintenanceAgencyId.optional().default(null),
  verifiedDetectionPoints: unitWritable.verifiedDetectionPoints.optional().default(null),
  verifiedLinkagePoints: unitWritable.verifiedLinkagePoints.optional().default(null),
  pointTotalNote: unitWritable.pointTotalNote.optional().default(null),
  drawingsDue: unitWritable.drawingsDue.optional().default(null),
});
export type UnitCreate = z.infer<typeof unitCreateSchema>;

/** PATCH /api/units/:id body: any writable field plus the version the client last saw. */
export const unitPatchSchema = z
  .object(unitWritable)
  .partial()
  .extend({ version: z.number().int().positive() })
  .strict();
export type UnitPatch = z.infer<typeof unitPatchSchema>;

/** GET /api/units query. bbox = minLon,minLat,maxLon,maxLat (WGS84). */
export const unitListQuerySchema = z.object({
  region: z.coerce.number().int().positive().optional(),
  state: z
    .string()
    .optional()
    .transform((s) => (s ? s.split(',').filter(Boolean) : undefined))
    .pipe(z.array(onboardingStateSchema).optional()),
  category: z.string().max(40).optional(),
  q: z.string().trim().max(100).optional(),
  bbox: z
    .string()
    .optional()
    .transform((s) => (s ? s.split(',').map(Number) : undefined))
    .pipe(z.tuple([z.number().min(-180).max(180), z.number().min(-90).max(90), z.number().min(-180).max(180), z.number().min(-90).max(90)]).optional()),
  underConstruction: z.enum(['true', 'false']).optional().transform((v) => (v === undefined ? undefined : v === 'true')),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});
export type UnitListQuery = z.infer<typeof unitListQuerySchema>;

export const unitSummarySchema = z.object({
  id: z.number(),
  externalId: z.string().nullable(),
  name: z.string(),
  address: z.string().nullable(),
  category: z.string(),
  highRisk: z.boolean(),
  hasControlRoom: z.boolean(),
  onboardingState: onboardingStateSchema,
  underConstruction: z.boolean(),
  regionAdcode: z.number().nullable(),
  regionName: z.string().nullable(),
  lonLatWgs84: lonLatWgs84Schema.nullable(),
  h3R9: z.string().nullable(),
  devicesOnline: z.number(),
  devicesTotal: z.number(),
  openAlarms: z.number(),
  drawingsDue: z.string().nullable(),
  version: z.number(),
  updatedAt: z.string(),
});
export type UnitSummary = z.infer<typeof unitSummarySchema>;

export const unitListSchema = z.object({ total: z.number(), items: z.array(unitSummarySchema) });

/** GET /api/units/districts: districts holding units in the caller's jurisdiction (the unit finder's filter). */
export const unitDistrictsSchema = z.object({
  districts: z.array(z.object({ adcode: z.number(), name: z.string(), nameEn: z.string().nullable(), cityName: z.string().nullable(), units: z.number() })),
});
export type UnitDistricts = z.infer<typeof unitDistrictsSchema>;
export type UnitList = z.infer<typeof unitListSchema>;

export const unitPointSchema = z.object({
  id: z.number(),
  systemType: z.number().nullable(),
  systemAddress: z.number().nullable(),
  componentType: z.number(),
  componentAddress: z.number(),
  floor: z.number().nullable(),
  label: z.string().nullable(),
  state: z.string(),
  inFault: z.boolean(),
  /** Metres in the building frame (origin = south-west corner of the footprint's bbox, x east, y north). */
  localXY: z.tuple([z.number(), z.number()]).nullable(),
  lonLatWgs84: lonLatWgs84Schema.nullable(),
});
export type UnitPoint = z.infer<typeof unitPointSchema>;

export const unitFloorSchema = z.object({
  /** 1 = ground floor, -1 = first basement; null collects points without a floor. */
  floor: z.number().nullable(),
  hasPlan: z.boolean(),
  /** Affine transform plan pixels → building frame metres: x = a·px + b·py + c, y = d·px + e·py + f. */
  planTransform: z.array(z.number()).length(6).nullable(),
  planSizePx: z.tuple([z.number(), z.number()]).nullable(),
  points: z.array(unitPointSchema),
});

export const unitDeviceSchema = z.object({
  id: z.number(),
  address: z.number(),
  protocol: z.string(),
  model: z.string().nullable(),
  online: z.boolean(),
  lastSeenAt: z.string().nullable(),
});

export const unitEventSchema = z.object({
  id: z.number(),
  kind: z.string(),
  pointId: z.number().nullable(),
  description: z.string().nullable(),
  receivedAt: z.string(),
});

export const completenessItemSchema = z.object({
  rule: z.string(),
  /** What is missing, in Chinese and English, saying how to fix it. */
  zh: z.string(),
  en: z.string(),
});
export type CompletenessItem = z.infer<typeof completenessItemSchema>;

export const completenessSchema = z.object({
  complete: z.boolean(),
  missing: z.array(completenessItemSchema),
  /** Counts of registered points the verified totals are compared with. */
  registeredDetectionPoints: z.number(),
  registeredLinkagePoints: z.number(),
  /** Points without a drawn position (drawings may follow opening, by drawingsDue). */
  pointsWithoutPosition: z.number(),
  drawingsOverdue: z.boolean(),
});
export type Completeness = z.infer<typeof completenessSchema>;

/**
 * Disabled (屏蔽) points of a unit as a risk indicator (backend disabled_unit_facts, the same
 * facts as the duty list, analytics and the inspection score): what is disabled now, since
 * when, and the disabled hours of the last `windowDays` days.
 */
export const unitDisabledSchema = z.object({
  windowDays: z.number(),
  /** Points and whole facility systems disabled now. */
  now: z.number(),
  systemsNow: z.number(),
  /** When the longest-disabled of them was disabled; null when none is. */
  oldestSince: z.string().nullable(),
  hoursInWindow: z.number(),
  spellsInWindow: z.number(),
  /** What is disabled now, longest first (at most 50). componentAddress null: a whole system. */
  targets: z.array(
    z.object({
      pointId: z.number().nullable(),
      label: z.string().nullable(),
      systemType: z.number().nullable(),
      systemAddress: z.number().nullable(),
      componentAddress: z.number().nullable(),
      since: z.string(),
    }),
  ),
});
export type UnitDisabled = z.infer<typeof unitDisabledSchema>;

export const unitDetailSchema = unitSummarySchema.extend({
  controlRoomPhone: z.string().nullable(),
  contacts: z.array(contactSchema),
  maintenanceAgency: z.object({ id: z.number(), name: z.string(), phone: z.string().nullable() }).nullable(),
  verifiedDetectionPoints: z.number().nullable(),
  verifiedLinkagePoints: z.number().nullable(),
  pointTotalNote: z.string().nullable(),
  openedAt: z.string().nullable(),
  constructionAcceptedAt: z.string().nullable(),
  building: z
    .object({
      id: z.number(),
      name: z.string().nullable(),
      floorsAbove: z.number(),
      floorsBelow: z.number(),
      heightM: z.number().nullable(),
      /** GeoJSON MultiPolygon, WGS84. */
      footprint: z.object({ type: z.literal('MultiPolygon'), coordinates: z.array(z.array(z.array(z.array(z.number())))) }),
    })
    .nullable(),
  floors: z.array(unitFloorSchema),
  devices: z.array(unitDeviceSchema),
  recentEvents: z.array(unitEventSchema),
  completeness: completenessSchema,
  disabled: unitDisabledSchema,
});
export type UnitDetail = z.infer<typeof unitDetailSchema>;

// ---- onboarding ----

/** POST /api/units/:id/transition */
export const transitionRequestSchema = z.object({
  to: onboardingStateSchema,
  version: z.number().int().positive(),
  note: z.string().trim().max(2000).optional().default(''),
});
export type TransitionRequest = z.infer<typeof transitionRequestSchema>;

/** POST /api/units/:id/acceptance-checks — 消防设施运行状态信息传输验收检查记录. */
export const acceptanceCheckSchema = z.object({
  checkedOn: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'checkedOn: YYYY-MM-DD'),
  /** 用户信息传输装置 tested (self-test, main/backup power, link). */
  deviceTested: z.boolean(),
  deviceAddress: z.number().int().nonnegative().nullable().optional().default(null),
  /** Signals the center received from the unit during the check. */
  fireSignalReceived: z.boolean(),
  faultSignalReceived: z.boolean(),
  supervisorySignalReceived: z.boolean(),
  feedbackSignalReceived: z.boolean(),
  /** 查岗 answered by the control-room operator. */
  dutyCheckAnswered: z.boolean(),
  result: z.enum(['pass', 'fail']),
  inspector: z.string().trim().min(1).max(60),
  notes: z.string().trim().max(2000).optional().default(''),
});
export type AcceptanceCheck = z.infer<typeof acceptanceCheckSchema>;

export const funnelRowSchema = z.object({
  regionAdcode: z.number().nullable(),
  regionName: z.string().nullable(),
  counts: z.record(onboardingStateSchema, z.number()),
  underConstruction: z.number(),
  total: z.number(),
});
export type FunnelRow = z.infer<typeof funnelRowSchema>;

export const outboxItemSchema = z.object({
  id: z.number(),
  channel: z.string(),
  recipient: z.string().nullable(),
  text: z.string().nullable(),
  status: z.enum(['pending', 'sent', 'failed']),
  attempts: z.number(),
  nextAttemptAt: z.string(),
  lastError: z.string().nullable(),
  unitId: z.number().nullable(),
  createdAt: z.string(),
  sentAt: z.string().nullable(),
});
export type OutboxItem = z.infer<typeof outboxItemSchema>;
