// The supervise view's HTTP client: /api/supervision, responses validated with the shared
// schemas (common/src/supervision.ts).
import { taskDetailSchema, taskDtoSchema, type TaskState } from '@firelink/common';
import { z } from 'zod';
import { ApiError, api } from '../../api/http.ts';
import { s } from './strings.ts';

export const taskPageSchema = z.object({ total: z.number(), items: z.array(taskDtoSchema) });

export const fetchTasks = (p: { view: 'mine' | 'all'; states: readonly TaskState[] }, signal?: AbortSignal) => {
  const q = new URLSearchParams({ view: p.view, limit: '500' });
  if (p.states.length) q.set('state', p.states.join(','));
  return api(`/api/supervision/tasks?${q}`, taskPageSchema, { signal });
};
export const fetchTask = (id: number, signal?: AbortSignal) => api(`/api/supervision/tasks/${id}`, taskDetailSchema, { signal });
export const moveTask = (id: number, to: TaskState, version: number, note: string) =>
  api(`/api/supervision/tasks/${id}/transition`, taskDetailSchema, { method: 'POST', body: { to, version, note } });
export const noteTask = (id: number, note: string) => api(`/api/supervision/tasks/${id}/notes`, taskDetailSchema, { method: 'POST', body: { note } });

/** The screen's own words for a failed request: never the server's (English) text or a raw code. */
export function errorText(locale: string, err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 409) return s(locale, 'errConflict');
    if (err.status === 403) return s(locale, 'errForbidden');
    if (err.status === 404) return s(locale, 'errNotFound');
    if (err.status === 400) return s(locale, 'errInvalid');
  }
  return s(locale, 'errGeneric');
}
