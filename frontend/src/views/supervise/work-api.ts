// HTTP client of the supervise view's second part: assignment, plan, inspections, cases,
// statistics, acceptance and reports (/api/supervision), responses validated with the shared
// schemas (common/src/supervision-work.ts).
import {
  CSRF_COOKIE,
  CSRF_HEADER,
  acceptanceEvidenceSchema,
  acceptanceRecordSchema,
  agencyStatSchema,
  caseDtoSchema,
  inspectionDtoSchema,
  leagueRowSchema,
  planBandSchema,
  planRowSchema,
  reportDtoSchema,
  supervisorDtoSchema,
  supervisorStatSchema,
  type ChecklistItem,
} from '@firelink/common';
import { z } from 'zod';
import { ApiError, api } from '../../api/http.ts';

const B = '/api/supervision';

export const fetchSupervisors = () => api(`${B}/supervisors`, z.object({ items: z.array(supervisorDtoSchema) }));
export const assignmentRegionsSchema = z.object({
  items: z.array(z.object({ adcode: z.number(), name: z.string(), units: z.number(), unassigned: z.number(), holders: z.array(z.object({ id: z.number(), name: z.string() })) })),
});
export const fetchAssignmentRegions = () => api(`${B}/assignment/regions`, assignmentRegionsSchema);
export const assignmentUnitSchema = z.object({ unitId: z.number(), name: z.string(), address: z.string().nullable(), supervisorId: z.number().nullable(), supervisorName: z.string().nullable(), assignedAt: z.string().nullable() });
export type AssignmentUnit = z.infer<typeof assignmentUnitSchema>;
export const fetchAssignmentUnits = (region: number) => api(`${B}/assignment/units?region=${region}`, z.object({ total: z.number(), items: z.array(assignmentUnitSchema) }));
export const historySchema = z.object({
  items: z.array(z.object({ id: z.number(), at: z.string(), actorName: z.string(), kind: z.enum(['region', 'unit']), entityName: z.string(), supervisorName: z.string().nullable(), units: z.number(), note: z.string() })),
});
export const fetchAssignmentHistory = () => api(`${B}/assignment/history`, historySchema);
export const assignRegion = (regionAdcode: number, supervisorId: number, onlyUnassigned: boolean, note: string) =>
  api(`${B}/assign-region`, z.object({ units: z.number(), changed: z.number() }), { method: 'POST', body: { regionAdcode, supervisorId, onlyUnassigned, note } });
export const assignUnit = (unitId: number, supervisorId: number, note: string) =>
  api(`${B}/units/${unitId}/responsible`, z.object({ changed: z.boolean() }), { method: 'PUT', body: { supervisorId, note } });

export const fetchBands = () => api(`${B}/plan/bands`, z.object({ bands: z.array(planBandSchema) }));
export const generatePlan = (windowDays: number) => api(`${B}/plan/generate`, z.object({ units: z.number(), bands: z.record(z.string(), z.number()) }), { method: 'POST', body: { windowDays } });
export const fetchPlan = (view: 'mine' | 'all') => api(`${B}/plan?view=${view}&limit=500`, z.object({ total: z.number(), items: z.array(planRowSchema) }));

const inspectionPage = z.object({ total: z.number(), items: z.array(inspectionDtoSchema) });
export const fetchInspections = (openOrders: boolean) => api(`${B}/inspections?limit=300${openOrders ? '&openOrders=true' : ''}`, inspectionPage);
export const fetchInspection = (id: number) => api(`${B}/inspections/${id}`, inspectionDtoSchema);
export interface InspectionInput {
  unitId: number;
  inspectedOn: string;
  checklist: ChecklistItem[];
  findings: string;
  result: 'pass' | 'rectify';
  rectifyBy?: string;
  rectifyItems: string;
  reinspectionOf?: number;
}
export const createInspection = (b: InspectionInput) => api(`${B}/inspections`, inspectionDtoSchema, { method: 'POST', body: b });
export const photoUrl = (inspectionId: number, photoId: number) => `${B}/inspections/${inspectionId}/photos/${photoId}`;

/** Uploads an image file as the raw body (the server reads its type from the bytes). */
export async function uploadPhoto(inspectionId: number, file: File, caption: string): Promise<void> {
  const m = new RegExp(`(?:^|; )${CSRF_COOKIE}=([^;]*)`).exec(document.cookie);
  const res = await fetch(`${B}/inspections/${inspectionId}/photos?caption=${encodeURIComponent(caption)}`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': file.type || 'application/octet-stream', ...(m ? { [CSRF_HEADER]: decodeURIComponent(m[1]!) } : {}) },
    body: file,
  });
  if (!res.ok) {
    const b = (await res.json().catch(() => ({}))) as { error?: string; message?: string };
    throw new ApiError(res.status, b.error ?? `http_${res.status}`, b.message ?? `upload failed with HTTP ${res.status}`, b);
  }
}

export const fetchCases = () => api(`${B}/cases?limit=300`, z.object({ total: z.number(), items: z.array(caseDtoSchema) }));
export const openCase = (b: { unitId: number; caseNo: string; basis: string; facts: string; openedOn: string; inspectionId?: number }) => api(`${B}/cases`, caseDtoSchema, { method: 'POST', body: b });
export const closeCase = (id: number, b: { outcome: string; fineYuan?: number; closedOn: string; version: number }) => api(`${B}/cases/${id}/close`, caseDtoSchema, { method: 'POST', body: b });

export const fetchLeague = () => api(`${B}/league`, z.object({ items: z.array(leagueRowSchema) }));
export const fetchSupervisorStats = () => api(`${B}/stats/supervisors`, z.object({ items: z.array(supervisorStatSchema) }));
export const fetchAgencyStats = (kind: 'maintenance' | 'testing') => api(`${B}/stats/agencies?kind=${kind}`, z.object({ items: z.array(agencyStatSchema) }));

export const fetchEvidence = (unit: number, device: number, from: string, to: string) =>
  api(`${B}/acceptance/evidence?unit=${unit}&device=${device}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, acceptanceEvidenceSchema);
export const signAcceptance = (b: { unitId: number; deviceId: number; windowFrom: string; windowTo: string; result: 'pass' | 'fail'; notes: string; signature: string; testingAgencyId?: number }) =>
  api(`${B}/acceptance`, acceptanceRecordSchema, { method: 'POST', body: b });
export const acceptancePrintUrl = (id: number) => `${B}/acceptance/${id}/print`;
export const acceptanceExportUrl = (id: number) => `${B}/acceptance/${id}/export`;

export const fetchReports = (period: string) => api(`${B}/reports?limit=200${period ? `&period=${period}` : ''}`, z.object({ items: z.array(reportDtoSchema) }));
export const monthlyUrl = (month: string, format: 'csv' | 'xlsx') => `${B}/monthly-units?month=${month}&format=${format}`;
