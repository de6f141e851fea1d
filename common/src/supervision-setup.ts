// Contracts of the supervision setup screens: testing agencies (消防设施检测机构) and which
// agency tested a unit. Stage targets use stageTargetsSetSchema (supervision-work.ts).
import { z } from 'zod';

export const testingAgencySchema = z.object({
  id: z.number().int(),
  name: z.string(),
  licenseNo: z.string().nullable(),
  /** The region it was registered in (null: every region, registered by an admin). */
  regionAdcode: z.number().int().nullable(),
  regionName: z.string().nullable(),
  /** Units in the caller's jurisdiction that this agency tested. */
  units: z.number().int(),
  version: z.number().int(),
  /** The caller may edit it (admin, or a supervisor whose jurisdiction covers its region). */
  editable: z.boolean(),
});
export type TestingAgency = z.infer<typeof testingAgencySchema>;

const name = z.string().trim().min(1, 'give the agency a name').max(120);
const licenseNo = z.string().trim().max(60).nullable().optional();

/** POST /api/supervision/testing-agencies. regionAdcode: required of a supervisor (one in their jurisdiction). */
export const testingAgencyCreateSchema = z.object({ name, licenseNo, regionAdcode: z.number().int().min(100000).max(999999).nullable().optional() }).strict();
/** PUT /api/supervision/testing-agencies/:id, with the version read. */
export const testingAgencyUpdateSchema = z.object({ name, licenseNo, version: z.number().int().min(1) }).strict();
/** PUT /api/supervision/units/:id/testing-agency: null clears it. */
export const unitTestingAgencySchema = z.object({ agencyId: z.number().int().positive().nullable() }).strict();

/** A back-check of the unit: an acceptance record signed by a supervisor from the signals the center received. */
export const unitBackCheckSchema = z.object({
  id: z.number().int(),
  signedAt: z.string(),
  result: z.enum(['pass', 'fail']),
  inspectorName: z.string(),
  deviceAddress: z.number(),
  /** Kinds of signal received in the test window, of the five asked for. */
  signalsReceived: z.number().int(),
  signalsAsked: z.number().int(),
  testingAgencyId: z.number().int().nullable(),
  testingAgencyName: z.string().nullable(),
});
export type UnitBackCheck = z.infer<typeof unitBackCheckSchema>;

/** A change of the unit's testing agency, from the audit log. */
export const unitAgencyChangeSchema = z.object({
  at: z.string(),
  actorName: z.string().nullable(),
  fromName: z.string().nullable(),
  toName: z.string().nullable(),
});

/** GET /api/supervision/units/:id/agencies: who maintains and who tests the unit, its back-checks, the changes. */
export const unitAgenciesSchema = z.object({
  unitId: z.number().int(),
  unitName: z.string(),
  regionName: z.string().nullable(),
  maintenance: z.object({ id: z.number().int(), name: z.string(), phone: z.string().nullable() }).nullable(),
  testing: z.object({ id: z.number().int(), name: z.string(), licenseNo: z.string().nullable(), since: z.string() }).nullable(),
  backChecks: z.array(unitBackCheckSchema),
  changes: z.array(unitAgencyChangeSchema),
});
export type UnitAgencies = z.infer<typeof unitAgenciesSchema>;
