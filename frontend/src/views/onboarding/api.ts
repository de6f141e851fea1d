// The onboarding views' calls to the backend (units API, onboarding, notifications).
import { z } from 'zod';
import {
  CSRF_COOKIE,
  CSRF_HEADER,
  completenessItemSchema,
  completenessSchema,
  funnelRowSchema,
  onboardingStateSchema,
  outboxItemSchema,
  unitDetailSchema,
  type AcceptanceCheck,
  type UnitCreate,
  type UnitPatch,
} from '@firelink/common';
import { ApiError, api } from '../../api/http.ts';

export const queueItemSchema = z.object({
  id: z.number(),
  name: z.string(),
  address: z.string().nullable(),
  category: z.string(),
  onboardingState: onboardingStateSchema,
  underConstruction: z.boolean(),
  regionAdcode: z.number().nullable(),
  regionName: z.string().nullable(),
  version: z.number(),
  updatedAt: z.string(),
  drawingsDue: z.string().nullable(),
  next: z.array(onboardingStateSchema),
  missing: z.array(completenessItemSchema),
  drawingsOverdue: z.boolean(),
});
export type QueueItem = z.infer<typeof queueItemSchema>;

export const onboardingStatusSchema = z.object({
  id: z.number(),
  state: onboardingStateSchema,
  version: z.number(),
  next: z.array(onboardingStateSchema),
  completeness: completenessSchema,
  history: z.array(z.object({ at: z.string(), actor: z.string().nullable(), from: z.string().nullable(), to: z.string().nullable(), note: z.string() })),
});
export type OnboardingStatus = z.infer<typeof onboardingStatusSchema>;

/** One page of the queue: the given states (open units with overdue drawings too, unless drawingsOverdue is false). */
export const fetchQueue = (opts: { states: readonly string[]; limit: number; offset: number; drawingsOverdue: boolean }, signal?: AbortSignal) =>
  api(
    `/api/onboarding/queue?${new URLSearchParams({ state: opts.states.join(','), limit: String(opts.limit), offset: String(opts.offset), drawingsOverdue: String(opts.drawingsOverdue) })}`,
    z.object({ total: z.number(), items: z.array(queueItemSchema) }),
    { signal },
  );
export const fetchFunnel = (signal?: AbortSignal) => api('/api/onboarding/funnel', z.array(funnelRowSchema), { signal });
export const fetchUnit = (id: number, signal?: AbortSignal) => api(`/api/units/${id}`, unitDetailSchema, { signal });
export const fetchStatus = (id: number, signal?: AbortSignal) => api(`/api/units/${id}/onboarding`, onboardingStatusSchema, { signal });
export const fetchCategories = () =>
  api('/api/units/categories', z.array(z.object({ code: z.string(), nameZh: z.string(), nameEn: z.string(), highRisk: z.boolean() })));
export const createUnit = (body: Partial<UnitCreate> & { name: string }) => api('/api/units', unitDetailSchema, { method: 'POST', body });
export const patchUnit = (id: number, body: UnitPatch) => api(`/api/units/${id}`, unitDetailSchema, { method: 'PATCH', body });
export const transition = (id: number, to: string, version: number, note: string) =>
  api(`/api/units/${id}/transition`, null, { method: 'POST', body: { to, version, note } });
export const registerDevice = (id: number, address: number, model: string | null) =>
  api(`/api/units/${id}/devices`, null, { method: 'POST', body: { address, model } });
export const recordAcceptance = (id: number, body: AcceptanceCheck) => api(`/api/units/${id}/acceptance-checks`, null, { method: 'POST', body });
export const importPoints = (id: number, body: { format: 'csv'; text: string } | { format: 'xlsx'; base64: string } | { format: 'type7'; adus: string[] }) =>
  api(`/api/units/${id}/points/import`, z.object({ inserted: z.number(), updated: z.number(), total: z.number() }), { method: 'POST', body });
export const placePoint = (id: number, pointId: number, floor: number, planPx: [number, number]) =>
  api(`/api/units/${id}/points/${pointId}/position`, null, { method: 'PUT', body: { floor, planPx } });
export const fetchOutbox = (signal?: AbortSignal) =>
  api('/api/notifications/outbox?limit=200', z.object({ total: z.number(), items: z.array(outboxItemSchema.extend({ unitName: z.string().nullable() })) }), { signal });
export const unregisteredDeviceSchema = z.object({
  address: z.number(),
  addressHex: z.string(),
  firstSeenAt: z.string(),
  lastSeenAt: z.string(),
  frames: z.number(),
  lastPeer: z.string().nullable(),
});
export type UnregisteredDevice = z.infer<typeof unregisteredDeviceSchema>;
export const fetchUnregistered = (signal?: AbortSignal) =>
  api('/api/devices/unregistered?limit=500', z.object({ devices: z.array(unregisteredDeviceSchema) }), { signal });
export const retryOutbox = (id: number) => api(`/api/notifications/outbox/${id}/retry`, null, { method: 'POST' });

/** Floor plans are binary: raw PUT with the image's own content type (and the session's CSRF header). */
export async function uploadPlan(id: number, floor: number, file: File): Promise<void> {
  const headers: Record<string, string> = { 'Content-Type': file.type || 'image/png' };
  const m = new RegExp(`(?:^|; )${CSRF_COOKIE}=([^;]*)`).exec(document.cookie);
  if (m) headers[CSRF_HEADER] = decodeURIComponent(m[1]!);
  const res = await fetch(`/api/units/${id}/floors/${floor}/plan`, { method: 'PUT', headers, body: file, credentials: 'same-origin' });
  if (!res.ok) {
    const b = (await res.json().catch(() => ({}))) as { error?: string; message?: string };
    throw new ApiError(res.status, b.error ?? `http_${res.status}`, b.message ?? `upload failed (HTTP ${res.status})`, b);
  }
}
