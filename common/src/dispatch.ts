// Contract of the dispatch and coverage API: nearest-station suggestions,
// station status, dispatch records, 5-minute coverage. The backend's responses match
// these schemas (its tests parse them); the frontend builds against them.
import { z } from 'zod';

const lonLat = z.tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)]);
const id = z.number().int();

export const stationStatusSchema = z.enum(['available', 'dispatched', 'out_of_service']);
export type DispatchStationStatus = z.infer<typeof stationStatusSchema>;

/** 'road': routed over the network; 'straight': distance × 1.3 at 30 km/h (see straightReason). */
export const routeMethodSchema = z.enum(['road', 'straight']);
export const straightReasonSchema = z.enum(['incident_off_network', 'station_off_network', 'unreachable']);

export const stationSuggestionSchema = z.object({
  rank: z.number().int().min(1),
  stationId: id,
  name: z.string(),
  stationClass: z.string(),
  status: stationStatusSchema,
  regionAdcode: z.number().int().nullable(),
  phone: z.string().nullable(),
  lonLatWgs84: lonLat,
  etaSeconds: z.number().min(0),
  distanceMeters: z.number().min(0),
  straightMeters: z.number().min(0),
  method: routeMethodSchema,
  straightReason: straightReasonSchema.optional(),
  /** Station → incident, WGS84. */
  route: z.object({ type: z.literal('LineString'), coordinates: z.array(lonLat).min(2) }),
});
export type StationSuggestionDto = z.infer<typeof stationSuggestionSchema>;

/** GET /api/dispatch/suggest and GET /api/dispatch/alarms/:id/suggest (the latter adds alarmId). */
export const suggestResponseSchema = z.object({
  alarmId: id.optional(),
  incident: z.object({
    lonLatWgs84: lonLat,
    snap: z.object({ roadId: id, snapMeters: z.number(), lonLatWgs84: lonLat }).nullable(),
  }),
  k: z.number().int(),
  suggestions: z.array(stationSuggestionSchema),
  stats: z.object({
    rounds: z.number().int(),
    candidatesRouted: z.number().int(),
    horizonSeconds: z.number().nullable(),
    boundingSpeedMps: z.number(),
  }),
});
export type SuggestResponse = z.infer<typeof suggestResponseSchema>;

export const dispatchRecordSchema = z.object({
  id,
  alarmId: id.nullable(),
  stationId: id,
  stationName: z.string().optional(),
  etaSeconds: z.number().nullable(),
  method: z.string().nullable(),
  distanceMeters: z.number().nullable(),
  at: z.string(),
  byUser: id.nullable(),
  note: z.string().nullable(),
  releasedAt: z.string().nullable(),
});
export type DispatchRecordDto = z.infer<typeof dispatchRecordSchema>;

/** POST /api/dispatch/records body. */
export const recordDispatchBodySchema = z.object({
  alarmId: id.positive().nullable().optional(),
  stationIds: z.array(id.positive()).min(1).max(20),
  at: z.string().optional(),
  note: z.string().max(1000).optional(),
  lon: z.number().min(-180).max(180).optional(),
  lat: z.number().min(-90).max(90).optional(),
  allowBusy: z.boolean().optional(),
});

export const regionCoverageSchema = z.object({
  regionAdcode: z.number().int().nullable(),
  regionName: z.string().nullable(),
  units: z.number().int(),
  covered: z.number().int(),
  share: z.number().min(0).max(1).nullable(),
});
export type RegionCoverageDto = z.infer<typeof regionCoverageSchema>;
