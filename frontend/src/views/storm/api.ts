// The storm panel's reads: GET /api/alarms/storms and /api/alarms/storms/:id (zod-validated).
import { stormDetailResponseSchema, stormListResponseSchema } from '@firelink/common';
import { api } from '../../api/http.ts';

export const fetchStorms = (signal?: AbortSignal) => api('/api/alarms/storms', stormListResponseSchema, { signal });
export const fetchStorm = (id: number, signal?: AbortSignal) => api(`/api/alarms/storms/${id}`, stormDetailResponseSchema, { signal });
