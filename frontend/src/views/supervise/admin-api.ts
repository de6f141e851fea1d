// HTTP client of the supervise setup screens: testing agencies, stage targets, and the
// download of a kept report (/api/supervision), responses validated with the shared schemas.
import { leagueRowSchema, STAGE_METRICS, testingAgencySchema, type TestingAgency } from '@firelink/common';
import { z } from 'zod';
import { api } from '../../api/http.ts';

export type { TestingAgency };
const B = '/api/supervision';

export const fetchTestingAgencies = () => api(`${B}/testing-agencies`, z.object({ items: z.array(testingAgencySchema) }));
export const createTestingAgency = (b: { name: string; licenseNo: string | null; regionAdcode: number | null }) =>
  api(`${B}/testing-agencies`, testingAgencySchema, { method: 'POST', body: b });
export const updateTestingAgency = (id: number, b: { name: string; licenseNo: string | null; version: number }) =>
  api(`${B}/testing-agencies/${id}`, testingAgencySchema, { method: 'PUT', body: b });

export const stageSchema = z.object({ regionAdcode: z.number().int(), metric: z.enum(STAGE_METRICS), dueOn: z.string(), targetPct: z.number() });
export type StageTarget = z.infer<typeof stageSchema>;
export const fetchStageTargets = () => api(`${B}/stage-targets`, z.object({ items: z.array(stageSchema) }));
export const saveStageTargets = (adcode: number, stages: Array<Omit<StageTarget, 'regionAdcode'>>) =>
  api(`${B}/stage-targets/${adcode}`, z.object({ regionAdcode: z.number(), stages: z.array(z.unknown()) }), { method: 'PUT', body: { stages } });
/** The cities and districts of the caller's jurisdiction (the league's rows, with their names and levels). */
export const fetchLeagueRegions = () => api(`${B}/league`, z.object({ items: z.array(leagueRowSchema) }));

export const reportDownloadUrl = (id: number, format: 'csv' | 'xlsx') => `${B}/reports/${id}/download?format=${format}`;
