// The duty view's HTTP client: /api/duty, responses validated with the shared schemas.
import {
  clockDriftResponseSchema,
  commStatusSchema,
  commTestDtoSchema,
  disabledPointsResponseSchema,
  unattendedResponseSchema,
  dutyLogDtoSchema,
  dutyPostSchema,
  dutyUserSchema,
  handoverDtoSchema,
  registerPageSchema,
  shiftDtoSchema,
  type HandoverCreate,
  type ShiftCreate,
} from '@firelink/common';
import { z } from 'zod';
import { ApiError, api } from '../../api/http.ts';
import { errorText as sharedErrorText } from '../../lib/errors.ts';
import { s, type DutyKey } from './strings.ts';

export const fetchPosts = (signal?: AbortSignal) => api('/api/duty/posts', z.object({ posts: z.array(dutyPostSchema) }), { signal });
export const fetchUsers = (region: number, signal?: AbortSignal) => api(`/api/duty/users?region=${region}`, z.object({ users: z.array(dutyUserSchema) }), { signal });
export const fetchShifts = (region: number, from: string, to: string, signal?: AbortSignal) =>
  api(`/api/duty/shifts?${new URLSearchParams({ region: String(region), from, to })}`, z.object({ shifts: z.array(shiftDtoSchema) }).passthrough(), { signal });
export const createShift = (body: ShiftCreate) => api('/api/duty/shifts', shiftDtoSchema, { method: 'POST', body });
export const deleteShift = (id: number) => api(`/api/duty/shifts/${id}`, null, { method: 'DELETE' });
export const fetchHandovers = (region: number, signal?: AbortSignal) =>
  api(`/api/duty/handovers?region=${region}&limit=5`, z.object({ handovers: z.array(handoverDtoSchema) }), { signal });
export const createHandover = (body: HandoverCreate) => api('/api/duty/handovers', handoverDtoSchema, { method: 'POST', body });
export const acceptHandover = (id: number, note: string) => api(`/api/duty/handovers/${id}/accept`, handoverDtoSchema, { method: 'POST', body: { note } });
export const fetchLog = (region: number, signal?: AbortSignal) => api(`/api/duty/log?region=${region}&limit=50`, z.object({ entries: z.array(dutyLogDtoSchema) }), { signal });
export const addLog = (regionAdcode: number, text: string) => api('/api/duty/log', dutyLogDtoSchema, { method: 'POST', body: { regionAdcode, text } });
export const fetchComm = (signal?: AbortSignal) => api('/api/duty/comm-test', commStatusSchema, { signal });
export const runComm = () => api('/api/duty/comm-test', commTestDtoSchema, { method: 'POST', body: {} });
export const fetchUnattended = (signal?: AbortSignal) => api('/api/duty/unattended?limit=10', unattendedResponseSchema, { signal });
export const fetchClockDrift = (signal?: AbortSignal) => api('/api/duty/clock-drift?limit=50', clockDriftResponseSchema, { signal });
export const fetchDisabledPoints = (region: number, signal?: AbortSignal) => api(`/api/duty/disabled-points?region=${region}&limit=50`, disabledPointsResponseSchema, { signal });

export interface RegisterFilters {
  unit: string;
  kind: string;
  verdict: string;
  cause: string;
  region: string;
  operator: string;
  /** YYYY-MM-DD (Shanghai dates; the server reads a bare date as Shanghai midnight). */
  from: string;
  to: string;
}

/** Query string of the register for the filters (empty fields left out). */
export function registerParams(f: RegisterFilters, extra: Record<string, string | number> = {}): URLSearchParams {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) if (v.trim()) p.set(k, v.trim());
  for (const [k, v] of Object.entries(extra)) p.set(k, String(v));
  return p;
}

export const fetchRegister = (f: RegisterFilters, page: { limit: number; offset: number }, signal?: AbortSignal) =>
  api(`/api/duty/register?${registerParams(f, page)}`, registerPageSchema, { signal });

/** A failure as the operator should read it: Chinese by status and case, the server's words in English. */
export function errorText(locale: string, err: unknown, conflictKey?: DutyKey): string {
  if (!(err instanceof ApiError)) return s(locale, 'err.other', { status: '—' });
  if (locale === 'en') return err.message;
  const body = (err.body ?? {}) as Record<string, unknown>;
  if (err.status === 409) {
    if (body.pendingHandoverId != null) return s(locale, 'err.409.pendingHandover');
    if (body.shiftId != null) return s(locale, 'err.409.overlap');
    return s(locale, conflictKey ?? 'err.409');
  }
  // A refused form names its fields (in Chinese, or not at all), as every other screen does.
  if (err.status === 400 && err.code === 'invalid_request') return sharedErrorText('zh-CN', err);
  if ([400, 403, 404, 413].includes(err.status)) return s(locale, `err.${err.status}` as DutyKey);
  return s(locale, 'err.other', { status: err.status });
}
