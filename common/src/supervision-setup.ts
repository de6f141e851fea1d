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
