// Contract of the live alarm stream and the alarm REST API. The backend validates
// what it sends and receives against these schemas; the frontend builds against them.
//
// Stream ids: every server→client WebSocket message carries `id`. For deltas (alarm_*,
// event, device_status) it is the message's own row id in `stream_log`, strictly
// increasing per connection. For hello / subscribed / snapshot / pong / error it is the
// stream head the message is consistent with (not unique). A client keeps the largest id
// it has seen and, after reconnecting, subscribes with `resumeFrom: thatId` to receive
// every delta it missed (from the database), or a fresh snapshot when the gap is too big.
import { z } from 'zod';
import { alarmKindSchema, alarmStateSchema, alarmVerdictSchema, eventKindSchema, eventSourceSchema } from './event.ts';
import { alarmCallSchema, procedureStageSchema } from './procedures.ts';

/** [longitude, latitude] in WGS84 degrees (same shape as units.ts' lonLatWgs84Schema). */
const lonLatWgs84Schema = z.tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)]);
export type LiveLonLatWgs84 = z.infer<typeof lonLatWgs84Schema>;

/** [west, south, east, north] in WGS84 degrees. */
export const bboxWgs84Schema = z
  .tuple([z.number().min(-180).max(180), z.number().min(-90).max(90), z.number().min(-180).max(180), z.number().min(-90).max(90)])
  .refine(([w, s, e, n]) => w <= e && s <= n, 'bbox must be [west, south, east, north] with west <= east and south <= north');
export type BboxWgs84 = z.infer<typeof bboxWgs84Schema>;

const isoTime = z.string();
const id = z.number().int();

// ---------------------------------------------------------------------------------------
// Alarm DTO (REST and WebSocket)

export const alarmDtoSchema = z.object({
  id,
  kind: alarmKindSchema,
  /** 1 fire, 2 host offline, 3 off duty, 4 fault, 5 supervisory; lower is more urgent. */
  priority: z.number().int().min(1).max(5),
  state: alarmStateSchema,
  verdict: alarmVerdictSchema.nullable(),
  /** Optimistic-concurrency version: send it back with every transition. */
  version: z.number().int(),
  /** Events folded into this alarm (repeats update the count, never open another alarm). */
  eventCount: z.number().int(),
  unitId: id.nullable(),
  unitName: z.string().nullable(),
  unitAddress: z.string().nullable(),
  buildingId: id.nullable(),
  deviceId: id.nullable(),
  pointId: id.nullable(),
  pointLabel: z.string().nullable(),
  floor: z.number().int().nullable(),
  regionAdcode: z.number().int().nullable(),
  /** The point's position when drawn, else the unit's point. */
  lonLatWgs84: lonLatWgs84Schema.nullable(),
  firstEventId: id.nullable(),
  lastEventId: id.nullable(),
  openedAt: isoTime,
  lastSeenAt: isoTime,
  /** Set when a clearing event (fault cleared, reset, back online…) arrived. */
  clearedAt: isoTime.nullable(),
  /** Set when an unacknowledged fire alarm passed FIRE_ESCALATE_AFTER_S. */
  escalatedAt: isoTime.nullable(),
  acknowledgedAt: isoTime.nullable(),
  acknowledgedBy: id.nullable(),
  verifiedAt: isoTime.nullable(),
  verifiedBy: id.nullable(),
  dispatchedAt: isoTime.nullable(),
  dispatchedBy: id.nullable(),
  closedAt: isoTime.nullable(),
  closedBy: id.nullable(),
  /** Position in the kind's procedure (common/src/procedures.ts); absent from old clients' fixtures. */
  stage: procedureStageSchema.optional(),
  /** False-alarm cause (fire) or cause of a shutdown / missed duty check, a code of the procedure's list. */
  cause: z.string().nullable().optional(),
  /** Rectification or repair deadline set by the procedure's deadline / follow-up step. */
  deadlineAt: isoTime.nullable().optional(),
  /** Times the point went back into alarm soon after clearing (a flapping point stays one alarm). */
  flapCount: z.number().int().nonnegative().optional(),
  /** Why a host went offline, from the alarm's first event: silent, power (the UITD's own), line_fault, panel_power; null for other kinds. */
  reason: z.string().nullable().optional(),
});
export type AlarmDto = z.infer<typeof alarmDtoSchema>;

/**
 * An alarm storm: alarms of one cause grouped per unit (several points of one
 * unit) or per district (many units within a short window). Members: GET /api/alarms/storms/:id.
 */
export const stormGroupSchema = z.object({
  id,
  scope: z.enum(['unit', 'area']),
  alarmKind: alarmKindSchema,
  /** The event kind the members share (mains_power_fault, fault, host_offline…). */
  cause: eventKindSchema,
  regionAdcode: z.number().int().nullable(),
  regionName: z.string().nullable(),
  /** Unit scope only. */
  unitId: id.nullable(),
  unitName: z.string().nullable(),
  /** First and latest member's opening. */
  startedAt: isoTime,
  lastAt: isoTime,
  units: z.number().int(),
  members: z.number().int(),
  /** Members not closed yet. */
  open: z.number().int(),
  /** Set once quiet (no new member for the window) and every member closed. */
  endedAt: isoTime.nullable(),
});
export type StormGroup = z.infer<typeof stormGroupSchema>;
export const stormListResponseSchema = z.object({ groups: z.array(stormGroupSchema) });
export const stormDetailResponseSchema = z.object({
  group: stormGroupSchema,
  /** Members, not closed first, then newest; at most 500 (members of the group count them all). */
  alarms: z.array(alarmDtoSchema),
});
export type StormDetailResponse = z.infer<typeof stormDetailResponseSchema>;

export const ALARM_STEPS = [
  'opened',
  'acknowledged',
  'verified',
  'dispatched',
  'closed',
  'escalated',
  'cleared',
  'auto_closed',
  'forwarded',
  'forward_failed',
  // back in alarm soon after its clearing: the auto-closed alarm reopened (flapping point)
  'reopened',
  // procedure steps (common/src/procedures.ts STEP_RECORD_NAME)
  'called',
  'cause',
  'deadline',
  'follow_up',
  'noted',
] as const;
export const alarmStepKindSchema = z.enum(ALARM_STEPS);

export const alarmStepSchema = z.object({
  id,
  step: alarmStepKindSchema,
  actorId: id.nullable(),
  /** 'system' for steps the pipeline takes. */
  actorName: z.string().nullable(),
  at: isoTime,
  note: z.string().nullable(),
  /** What the step recorded beyond the note: verdict, cause, deadlineAt, callId, stationIds. */
  detail: z.record(z.unknown()).nullable().optional(),
});
export type AlarmStep = z.infer<typeof alarmStepSchema>;

/** An event as streamed and shown in an alarm's timeline: the stored event plus where it is. */
export const liveEventSchema = z.object({
  id,
  kind: eventKindSchema,
  source: eventSourceSchema,
  deviceId: id.nullable(),
  deviceAddress: z.number().int().nullable(),
  unitId: id.nullable(),
  unitName: z.string().nullable(),
  buildingId: id.nullable(),
  pointId: id.nullable(),
  pointLabel: z.string().nullable(),
  floor: z.number().int().nullable(),
  regionAdcode: z.number().int().nullable(),
  h3R9: z.string().nullable(),
  systemType: z.number().int().nullable(),
  systemAddress: z.number().int().nullable(),
  componentType: z.number().int().nullable(),
  componentAddress: z.number().int().nullable(),
  description: z.string().nullable(),
  /** Raw analog value (analog_value events), as on the wire. */
  value: z.number().nullable().optional(),
  deviceTime: isoTime.nullable(),
  receivedAt: isoTime,
  lonLatWgs84: lonLatWgs84Schema.nullable(),
  /**
   * Priority of the alarm this event raises or clears (1 fire … 5 supervisory, as
   * ALARM_PRIORITY), null for routine events; set by the server's alarm rules, so clients
   * need no table of their own.
   */
  priority: z.number().int().min(1).max(5).nullable().optional(),
});
export type LiveEvent = z.infer<typeof liveEventSchema>;

export const nearbyStationSchema = z.object({
  stationId: id,
  name: z.string(),
  etaS: z.number().nullable(),
  distanceMeters: z.number().nullable(),
});

// ---------------------------------------------------------------------------------------
// REST: GET /api/alarms, GET /api/alarms/:id, POST /api/alarms/:id/{ack,verify,dispatch,close}

const csv = <T extends z.ZodTypeAny>(item: T) =>
  z.preprocess((v) => (typeof v === 'string' ? v.split(',').filter((s) => s !== '') : v), z.array(item));

/** Query string of GET /api/alarms; every filter optional, comma-separated lists. */
export const alarmListQuerySchema = z.object({
  /** e.g. `open,acknowledged`; `active` = every state but closed. */
  state: csv(z.union([alarmStateSchema, z.literal('active')])).optional(),
  kind: csv(alarmKindSchema).optional(),
  region: csv(z.coerce.number().int()).optional(),
  /** opened_at >= from, opened_at < to (ISO 8601). */
  from: z.string().datetime({ offset: true }).optional(),
  to: z.string().datetime({ offset: true }).optional(),
  /** west,south,east,north (WGS84). */
  bbox: z.preprocess((v) => (typeof v === 'string' ? v.split(',').map(Number) : v), bboxWgs84Schema).optional(),
  unitId: z.coerce.number().int().optional(),
  /** priority: most urgent first then newest; recent: newest first. */
  sort: z.enum(['priority', 'recent']).default('priority'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});
export type AlarmListQuery = z.infer<typeof alarmListQuerySchema>;

export const alarmListResponseSchema = z.object({
  alarms: z.array(alarmDtoSchema),
  total: z.number().int(),
  /** Pass as `offset` for the next page; null at the end. */
  nextOffset: z.number().int().nullable(),
});
export type AlarmListResponse = z.infer<typeof alarmListResponseSchema>;

export const alarmDetailSchema = z.object({
  alarm: alarmDtoSchema,
  steps: z.array(alarmStepSchema),
  /** The alarm's events, newest first (up to 200). */
  events: z.array(liveEventSchema),
  /** Nearest stations by road travel time; null when dispatch suggestions are unavailable. */
  nearestStations: z.array(nearbyStationSchema).nullable(),
  /**
   * 119 forwarding deliveries of this alarm (verified fires). `not_configured`: queued while
   * this server has no 119 endpoint (FORWARD_119_URL unset), so nothing is being sent.
   */
  forwards: z.array(
    z.object({
      id,
      status: z.enum(['pending', 'sent', 'failed', 'not_configured']),
      attempts: z.number().int(),
      lastError: z.string().nullable(),
      createdAt: isoTime,
      sentAt: isoTime.nullable(),
    }),
  ),
  /** false when this server has no 119 endpoint: the operator calls 119 by phone. */
  forward119Configured: z.boolean().optional(),
  /** Calls recorded by the procedure's call steps, oldest first. */
  calls: z.array(alarmCallSchema).optional(),
});
export type AlarmDetail = z.infer<typeof alarmDetailSchema>;

const note = z.string().max(2000).optional();
export const ackBodySchema = z.object({ version: z.number().int(), note });
export const verifyBodySchema = z.object({ version: z.number().int(), verdict: alarmVerdictSchema, note });
/**
 * Marks a verified fire as dispatched. Optional `stationIds` also records which stations
 * were sent (DISPATCH's records: ETA, station status 'dispatched') in the same transaction;
 * any station that is unknown, out of jurisdiction, out of service or already dispatched
 * rejects the whole request and the alarm stays verified.
 */
export const dispatchBodySchema = z.object({
  version: z.number().int(),
  note,
  stationIds: z.array(z.number().int().positive()).min(1).max(50).optional(),
});
export const closeBodySchema = z.object({ version: z.number().int(), note });
export type AckBody = z.infer<typeof ackBodySchema>;
export type VerifyBody = z.infer<typeof verifyBodySchema>;
export type DispatchBody = z.infer<typeof dispatchBodySchema>;
export type CloseBody = z.infer<typeof closeBodySchema>;

/** 200 body of every transition. A stale `version` or wrong state gives 409 `{error:'conflict', message, current: AlarmDto}`. */
export const transitionResponseSchema = z.object({
  alarm: alarmDtoSchema,
  /** Dispatch with `stationIds`: the dispatch records written (one per station). */
  dispatches: z
    .array(
      z.object({
        id: z.number().int(),
        stationId: z.number().int(),
        etaSeconds: z.number().nullable(),
        distanceMeters: z.number().nullable(),
        method: z.string().nullable(),
        at: z.string(),
      }),
    )
    .optional(),
});

// ---------------------------------------------------------------------------------------
// WebSocket /ws: client → server

export const liveFiltersSchema = z
  .object({
    /** District/city/province adcodes (within the caller's jurisdiction). */
    regions: z.array(z.number().int()).max(200).optional(),
    bbox: bboxWgs84Schema.optional(),
    /** Alarm kinds and/or event kinds, matched against the message's kind. */
    kinds: z.array(z.union([alarmKindSchema, eventKindSchema])).max(50).optional(),
    /** Only messages at least this urgent (priority <= minPriority); messages without a priority are left out. */
    minPriority: z.number().int().min(1).max(5).optional(),
  })
  .strict();
export type LiveFilters = z.infer<typeof liveFiltersSchema>;

export const clientMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('subscribe'),
    filters: liveFiltersSchema.default({}),
    /** Last stream id the client saw; omit for a fresh snapshot. */
    resumeFrom: z.number().int().nonnegative().optional(),
    /**
     * Opt-in: live deltas arrive coalesced into `batch` messages (one WebSocket frame per
     * client per server tick instead of one per delta). Without it every delta is its own
     * message, as before. Snapshot, replay and control messages stay single either way.
     */
    batch: z.boolean().optional(),
  }),
  z.object({ type: z.literal('ping'), t: z.number().optional() }),
]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;

// ---------------------------------------------------------------------------------------
// WebSocket /ws: server → client

const base = { id: z.number().int().nonnegative() };
const delta = { ...base, at: isoTime };

export const helloMessageSchema = z.object({
  type: z.literal('hello'),
  ...base,
  serverTime: isoTime,
  user: z.object({ username: z.string(), role: z.string() }),
  /** The server pings this often; answer with pong frames (browsers do it themselves). */
  heartbeatMs: z.number().int(),
});
export const subscribedMessageSchema = z.object({
  type: z.literal('subscribed'),
  ...base,
  filters: liveFiltersSchema,
  /** resume: missed deltas follow from the database; snapshot: a snapshot follows. */
  mode: z.enum(['resume', 'snapshot']),
});
export const snapshotMessageSchema = z.object({
  type: z.literal('snapshot'),
  ...base,
  /** initial: first subscription; resync: the client fell too far behind (or its resume point is gone). Replace local state. */
  reason: z.enum(['initial', 'resync']),
  /** Every alarm not closed that matches scope and filters, most urgent first. */
  alarms: z.array(alarmDtoSchema),
});
export const alarmOpenedMessageSchema = z.object({ type: z.literal('alarm_opened'), ...delta, alarm: alarmDtoSchema });
/** `step`: a procedure step that keeps the coarse state (a call, a cause, a deadline, a note). */
export const ALARM_UPDATE_REASONS = ['repeat', 'escalated', 'acknowledged', 'verified', 'dispatched', 'cleared', 'step'] as const;
export const alarmUpdatedMessageSchema = z.object({
  type: z.literal('alarm_updated'),
  ...delta,
  reason: z.enum(ALARM_UPDATE_REASONS),
  alarm: alarmDtoSchema,
});
export const alarmClosedMessageSchema = z.object({
  type: z.literal('alarm_closed'),
  ...delta,
  /** closed: by an operator; auto_closed: by a clearing event (back online, fault cleared…). */
  reason: z.enum(['closed', 'auto_closed']),
  alarm: alarmDtoSchema,
});
export const eventMessageSchema = z.object({ type: z.literal('event'), ...delta, event: liveEventSchema });
export const deviceStatusMessageSchema = z.object({
  type: z.literal('device_status'),
  ...delta,
  deviceId: id.nullable(),
  deviceAddress: z.number().int().nullable(),
  unitId: id.nullable(),
  unitName: z.string().nullable(),
  regionAdcode: z.number().int().nullable(),
  lonLatWgs84: lonLatWgs84Schema.nullable(),
  online: z.boolean(),
});
/** A storm group was formed or grew (sent at most once per group per alarm batch). */
export const stormMessageSchema = z.object({ type: z.literal('storm'), ...delta, group: stormGroupSchema });
export const pongMessageSchema = z.object({ type: z.literal('pong'), ...base, t: z.number().optional() });
export const errorMessageSchema = z.object({ type: z.literal('error'), ...base, code: z.string(), message: z.string() });

export const serverMessageSchema = z.discriminatedUnion('type', [
  helloMessageSchema,
  subscribedMessageSchema,
  snapshotMessageSchema,
  alarmOpenedMessageSchema,
  alarmUpdatedMessageSchema,
  alarmClosedMessageSchema,
  eventMessageSchema,
  deviceStatusMessageSchema,
  stormMessageSchema,
  pongMessageSchema,
  errorMessageSchema,
]);
export type ServerMessage = z.infer<typeof serverMessageSchema>;

/**
 * Sent only to clients that subscribed with `batch: true`: several deltas in one frame, in
 * stream order; `id` is the last message's id. Apply `messages` one by one exactly as if
 * each had arrived alone (each carries its own id for resumeFrom). Not part of
 * serverMessageSchema: clients unwrap it first (see parseServerFrame).
 */
export const batchMessageSchema = z.object({
  type: z.literal('batch'),
  ...base,
  messages: z.array(serverMessageSchema),
});
export type BatchMessage = z.infer<typeof batchMessageSchema>;

/** Validates one WebSocket frame from /ws: the messages it carries (one, or a batch's), or null when invalid. */
export function parseServerFrame(raw: unknown): ServerMessage[] | null {
  if (raw !== null && typeof raw === 'object' && (raw as { type?: unknown }).type === 'batch') {
    const b = batchMessageSchema.safeParse(raw);
    return b.success ? b.data.messages : null;
  }
  const m = serverMessageSchema.safeParse(raw);
  return m.success ? [m.data] : null;
}
export type DeltaMessage = Extract<ServerMessage, { type: 'alarm_opened' | 'alarm_updated' | 'alarm_closed' | 'event' | 'device_status' }>;
export const DELTA_TYPES = ['alarm_opened', 'alarm_updated', 'alarm_closed', 'event', 'device_status'] as const;

/** WebSocket close codes the server uses (4000–4999 are application codes). */
export const WS_CLOSE = {
  /**
   * No valid session: log in again, then reconnect. Sent as HTTP 401 on the upgrade, and as
   * this close code when an open stream's session ends (logout, expiry, user disabled).
   */
  unauthorized: 4401,
  /** Too many connections: retry later with backoff. Sent as HTTP 503 on the upgrade. */
  tooManyConnections: 4429,
  /** Protocol violation (invalid message); fix the client. */
  badMessage: 4400,
  /** The user's role or jurisdiction changed while connected: reconnect (the new stream carries the new scope). */
  permissionsChanged: 4403,
  /** The server is shutting down: reconnect with resumeFrom. */
  shuttingDown: 1001,
} as const;
