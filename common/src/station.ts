// Contract of the fire-station workspace: water sources, dispatch orders as a
// station receives them and reports progress on them, the station stream (/ws/station),
// the station's units and the 六熟悉 familiarisation pack. The backend validates what it
// sends against these schemas; the frontend builds against them.
import { z } from 'zod';
import { contactSchema, lonLatWgs84Schema } from './units.ts';

const id = z.number().int();
const isoTime = z.string();

// ---------------------------------------------------------------------------------------
// Water sources

export const WATER_KINDS = ['hydrant', 'pool', 'natural'] as const;
export const waterKindSchema = z.enum(WATER_KINDS);
export const WATER_STATUSES = ['usable', 'out_of_service', 'under_repair'] as const;
export const waterStatusSchema = z.enum(WATER_STATUSES);
export type WaterKind = z.infer<typeof waterKindSchema>;
export type WaterStatus = z.infer<typeof waterStatusSchema>;

export const nearestWaterSourceSchema = z.object({
  rank: z.number().int().min(1),
  id,
  kind: waterKindSchema,
  name: z.string().nullable(),
  flowLps: z.number().nullable(),
  capacityM3: z.number().nullable(),
  address: z.string().nullable(),
  lonLatWgs84: lonLatWgs84Schema,
  /** Along the roads (either direction) from the incident, or straight when the incident is off the network. */
  distanceMeters: z.number().min(0),
  straightMeters: z.number().min(0),
  method: z.enum(['road', 'straight']),
});
export type NearestWaterSourceDto = z.infer<typeof nearestWaterSourceSchema>;

/** GET /api/water/nearest?lon=&lat=&k= and GET /api/water/alarms/:id/nearest (adds alarmId). */
export const nearestWaterResponseSchema = z.object({
  alarmId: id.optional(),
  k: z.number().int(),
  sources: z.array(nearestWaterSourceSchema),
  stats: z.object({ rounds: z.number().int(), candidatesRouted: z.number().int(), radiusMeters: z.number().nullable() }),
});

export const waterSourceSchema = z.object({
  id,
  externalId: z.string().nullable(),
  kind: waterKindSchema,
  name: z.string().nullable(),
  status: waterStatusSchema,
  statusChangedAt: isoTime.nullable(),
  flowLps: z.number().nullable(),
  capacityM3: z.number().nullable(),
  address: z.string().nullable(),
  note: z.string().nullable(),
  regionAdcode: z.number().int().nullable(),
  lonLatWgs84: lonLatWgs84Schema,
});
export type WaterSourceDto = z.infer<typeof waterSourceSchema>;
/** Most water sources one GET /api/water/sources returns; page on with afterId=nextAfterId. */
export const WATER_LIST_MAX = 2000;
/**
 * GET /api/water/sources?bbox=&status=&limit=&afterId= — ordered by id; `truncated` when more
 * match, then `nextAfterId` is the afterId of the next page (null on the last).
 */
export const waterSourceListSchema = z.object({ sources: z.array(waterSourceSchema), truncated: z.boolean(), nextAfterId: id.nullable() });
export const waterStatusBodySchema = z.object({ status: waterStatusSchema, note: z.string().max(500).optional() });

// ---------------------------------------------------------------------------------------
// Dispatch orders and their progress

/** Where a dispatched station is: as sent, received, turned out, on scene, returning, back and available. */
export const DISPATCH_PROGRESS = ['dispatched', 'acknowledged', 'turned_out', 'on_scene', 'returning', 'available'] as const;
export const dispatchProgressSchema = z.enum(DISPATCH_PROGRESS);
export type DispatchProgress = z.infer<typeof dispatchProgressSchema>;
/** What a station reports (each only forward: a later report never goes back). */
export const progressBodySchema = z.object({
  progress: z.enum(['acknowledged', 'turned_out', 'on_scene', 'returning', 'available']),
  note: z.string().max(500).optional(),
});

/** NFPA 1710 reference lines of the station statistics: turnout 80 s, travel 240 s. */
export const TURNOUT_REFERENCE_S = 80;
export const TRAVEL_REFERENCE_S = 240;

export const dispatchOrderSchema = z.object({
  /** The dispatch record's id. */
  id,
  alarmId: id.nullable(),
  alarmKind: z.string().nullable(),
  stationId: id,
  stationName: z.string(),
  progress: dispatchProgressSchema,
  at: isoTime,
  acknowledgedAt: isoTime.nullable(),
  turnedOutAt: isoTime.nullable(),
  onSceneAt: isoTime.nullable(),
  returningAt: isoTime.nullable(),
  releasedAt: isoTime.nullable(),
  note: z.string().nullable(),
  unit: z
    .object({
      id,
      name: z.string(),
      address: z.string().nullable(),
      category: z.string(),
      highRisk: z.boolean(),
      controlRoomPhone: z.string().nullable(),
      contacts: z.array(contactSchema),
    })
    .nullable(),
  floor: z.number().int().nullable(),
  pointLabel: z.string().nullable(),
  componentType: z.number().int().nullable(),
  incident: lonLatWgs84Schema.nullable(),
  /** Station → incident, when the incident has a place. */
  route: z
    .object({
      etaSeconds: z.number(),
      distanceMeters: z.number(),
      method: z.enum(['road', 'straight']),
      line: z.object({ type: z.literal('LineString'), coordinates: z.array(lonLatWgs84Schema) }),
    })
    .nullable(),
  water: z.array(nearestWaterSourceSchema),
});
export type DispatchOrder = z.infer<typeof dispatchOrderSchema>;
/** An order in a list (GET /api/station/orders): no route or water, which GET /api/station/orders/:id computes. */
export const orderSummarySchema = dispatchOrderSchema.omit({ route: true, water: true });
export type OrderSummary = z.infer<typeof orderSummarySchema>;
/** GET /api/station/orders?open=&limit= (limit at most ORDER_LIST_MAX); `truncated` when more orders match. */
export const orderListSchema = z.object({ orders: z.array(orderSummarySchema), truncated: z.boolean() });
/** Most orders one GET /api/station/orders returns. */
export const ORDER_LIST_MAX = 200;
export const orderDetailSchema = z.object({ order: dispatchOrderSchema });

export const stationStateSchema = z.object({
  id,
  name: z.string(),
  stationClass: z.string(),
  status: z.enum(['available', 'dispatched', 'out_of_service']),
  statusChangedAt: isoTime.nullable(),
  regionAdcode: z.number().int().nullable(),
  phone: z.string().nullable(),
  lonLatWgs84: lonLatWgs84Schema,
  /** Open dispatches of the station: id and progress. */
  open: z.array(z.object({ id, alarmId: id.nullable(), progress: dispatchProgressSchema, at: isoTime })),
});
export type StationState = z.infer<typeof stationStateSchema>;
export const stationStateListSchema = z.object({ stations: z.array(stationStateSchema) });

/** GET /api/station/stats?days=: per station, turnout (sent → turned out) and travel (turned out → on scene). */
export const stationStatsSchema = z.object({
  days: z.number().int(),
  turnoutReferenceS: z.number(),
  travelReferenceS: z.number(),
  stations: z.array(
    z.object({
      stationId: id,
      name: z.string(),
      dispatches: z.number().int(),
      turnout: z.object({ n: z.number().int(), medianS: z.number().nullable(), p90S: z.number().nullable(), withinReference: z.number().nullable(), samples: z.array(z.number()) }),
      travel: z.object({ n: z.number().int(), medianS: z.number().nullable(), p90S: z.number().nullable(), withinReference: z.number().nullable(), samples: z.array(z.number()) }),
    }),
  ),
});
export type StationStats = z.infer<typeof stationStatsSchema>;

// ---------------------------------------------------------------------------------------
// The station stream: WebSocket /ws/station (server → client only; the client sends nothing).

export const STATION_WS_PATH = '/ws/station';

export const stationStreamMessageSchema = z.discriminatedUnion('type', [
  /**
   * First message: the caller's station (station accounts), its open orders as summaries (no
   * route or water: GET /api/station/orders/:id has them), the stations it may see.
   */
  z.object({
    type: z.literal('station_hello'),
    serverTime: isoTime,
    user: z.object({ username: z.string(), role: z.string() }),
    stationId: id.nullable(),
    orders: z.array(orderSummarySchema),
    stations: z.array(stationStateSchema),
  }),
  /** A new order (a station account receives its own station's only). */
  z.object({ type: z.literal('dispatch_order'), at: isoTime, order: dispatchOrderSchema }),
  /** A reported step of an order (received, turned out, on scene, returning, available): the summary. */
  z.object({ type: z.literal('dispatch_progress'), at: isoTime, order: orderSummarySchema }),
  z.object({ type: z.literal('station_status'), at: isoTime, station: stationStateSchema }),
]);
export type StationStreamMessage = z.infer<typeof stationStreamMessageSchema>;

// ---------------------------------------------------------------------------------------
// The station's area: its units, and each unit's familiarisation pack (六熟悉)

/** Rows of the list per page at most; map points per answer at most. */
export const STATION_UNITS_PAGE_MAX = 500;
export const STATION_UNIT_POINTS_MAX = 20_000;
/** Bits of a map point's `flags`. */
export const STATION_UNIT_FLAG = { highRisk: 1, openAlarms: 2, visitDue: 4 } as const;

export const stationUnitsQuerySchema = z.object({
  q: z.string().max(100).optional(),
  category: z.string().max(40).optional(),
  /** Buildings at least this tall (metres; 24 m = 高层, 100 m = 超高层). */
  minHeightM: z.coerce.number().min(0).max(1000).optional(),
  highRisk: z.enum(['1', '0', 'true', 'false']).transform((v) => v === '1' || v === 'true').optional(),
  openAlarms: z.enum(['1', '0', 'true', 'false']).transform((v) => v === '1' || v === 'true').optional(),
  /** Only units not visited within 12 months. */
  visitDue: z.enum(['1', '0', 'true', 'false']).transform((v) => v === '1' || v === 'true').optional(),
  /** One page of the list: `limit` rows from `offset` (the map's points are every matching unit). */
  limit: z.coerce.number().int().min(1, 'limit is at least 1').max(STATION_UNITS_PAGE_MAX, `limit is at most ${STATION_UNITS_PAGE_MAX}`).default(100),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

/** A row of the station's unit list (details are in the unit's pack). */
export const stationUnitSchema = z.object({
  id,
  name: z.string(),
  address: z.string().nullable(),
  category: z.string(),
  highRisk: z.boolean(),
  heightM: z.number().nullable(),
  openAlarms: z.number().int(),
  lastVisitAt: isoTime.nullable(),
  /** No familiarisation visit in the last 12 months. */
  visitDue: z.boolean(),
});
export type StationUnit = z.infer<typeof stationUnitSchema>;
/**
 * The map's dots: every matching unit with a location, as columns of plain numbers (WGS84
 * lon / lat to 5 decimals, about 1 m) and STATION_UNIT_FLAG bits, in the same order.
 */
export const stationUnitPointsSchema = z.object({ ids: z.array(id), lon: z.array(z.number()), lat: z.array(z.number()), flags: z.array(z.number().int()) });
export type StationUnitPoints = z.infer<typeof stationUnitPointsSchema>;
export const stationUnitListSchema = z.object({
  /** Matching units in all. */
  total: z.number().int(),
  /** This page of the list, most urgent first (open alarms, high risk, name). */
  units: z.array(stationUnitSchema),
  /** The offset of the next page; null on the last. */
  nextOffset: z.number().int().nullable(),
  points: stationUnitPointsSchema,
  /** More matching units than STATION_UNIT_POINTS_MAX: the map shows the first ones. */
  pointsTruncated: z.boolean(),
});
export type StationUnitList = z.infer<typeof stationUnitListSchema>;

export const stationHomeSchema = z.object({
  station: stationStateSchema.nullable(),
  /** The caller's jurisdiction (district adcodes and names). */
  regions: z.array(z.object({ adcode: z.number().int(), name: z.string() })),
  /** The station's 5-minute area (GeoJSON MultiPolygon), when computed. */
  coverage: z.object({ type: z.literal('MultiPolygon'), coordinates: z.array(z.unknown()) }).nullable(),
});

/** Visits recorded late are accepted back to this date; an earlier one is a typing mistake. */
const EARLIEST_VISIT = '2000-01-01T00:00:00+08:00';
export const visitBodySchema = z.object({
  visitedAt: z
    .string()
    .datetime({ offset: true })
    .refine((v) => Date.parse(v) >= Date.parse(EARLIEST_VISIT), 'visitedAt lies before 2000: check the year')
    .optional(),
  note: z.string().trim().min(1, 'write what was checked or found').max(4000),
});
/** A key part's marker on its floor's plan: plan image pixels [x, y] from the top left. */
const planPxSchema = z.tuple([z.number().min(0).max(100_000), z.number().min(0).max(100_000)]);
export const keyPartBodySchema = z.object({
  floor: z.number().int().min(-20).max(200).nullable().optional(),
  name: z.string().trim().min(1, 'name the key part').max(200),
  hazard: z.string().trim().max(1000).optional(),
  /** Needs a floor with an uploaded plan; inside the plan image. */
  planPx: planPxSchema.nullable().optional(),
});
/** PATCH /api/station/units/:id/key-parts/:partId: what is given changes; planPx null takes the marker off. */
export const keyPartPatchSchema = keyPartBodySchema.partial().refine((b) => Object.keys(b).length > 0, 'send at least one of floor, name, hazard, planPx');

/**
 * Files of the 六熟悉 pack: plans (预案, PDF or image) per unit, photos per visit. Stored in
 * PostgreSQL; the type is checked against the file's first bytes, not only its Content-Type.
 */
export const PACK_PLAN_TYPES = ['application/pdf', 'image/png', 'image/jpeg', 'image/webp'] as const;
export const PACK_PHOTO_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const;
/** Largest plan file, bytes (20 MiB). */
export const PACK_PLAN_MAX_BYTES = 20 * 1024 * 1024;
/** Largest visit photo, bytes (8 MiB). */
export const PACK_PHOTO_MAX_BYTES = 8 * 1024 * 1024;
/** Most plans one unit keeps, and photos one visit keeps. */
export const PACK_PLANS_PER_UNIT_MAX = 30;
export const PACK_PHOTOS_PER_VISIT_MAX = 12;
/** Bytes of plans and photos one unit keeps in all (200 MiB); past it an upload is refused with 413 `unit_quota_exceeded`. */
export const PACK_UNIT_QUOTA_BYTES = 200 * 1024 * 1024;
/** Familiarisation visits one account records per window; past it 429 `visit_rate_limited` with retryAfterS. */
export const VISIT_RATE_MAX = 10;
export const VISIT_RATE_WINDOW_S = 600;
export const packFileSchema = z.object({ id, title: z.string(), fileName: z.string(), mimeType: z.string(), sizeBytes: z.number().int(), byName: z.string(), createdAt: isoTime });
export type PackFile = z.infer<typeof packFileSchema>;

export const keyPartSchema = z.object({ id, floor: z.number().int().nullable(), name: z.string(), hazard: z.string(), planPx: planPxSchema.nullable() });
export type KeyPart = z.infer<typeof keyPartSchema>;
export const floorPlanSizeSchema = z.object({ floor: z.number().int(), widthPx: z.number().int(), heightPx: z.number().int() });
/** GET /api/station/units/:id/key-parts: the key parts and the floors with a plan, without the rest of the pack (the onboarding editor). */
export const keyPartListSchema = z.object({ keyParts: z.array(keyPartSchema), floorPlans: z.array(floorPlanSizeSchema) });

export const unitPackSchema = z.object({
  unit: z.object({
    id,
    name: z.string(),
    address: z.string().nullable(),
    category: z.string(),
    highRisk: z.boolean(),
    controlRoomPhone: z.string().nullable(),
    contacts: z.array(contactSchema),
    regionAdcode: z.number().int().nullable(),
    lonLatWgs84: lonLatWgs84Schema.nullable(),
  }),
  building: z.object({ id, name: z.string().nullable(), floorsAbove: z.number().int(), floorsBelow: z.number().int(), heightM: z.number().nullable() }).nullable(),
  /** Fire facilities by floor: component type counts (the client names the types). */
  floors: z.array(z.object({ floor: z.number().int().nullable(), points: z.number().int(), types: z.array(z.object({ componentType: z.number().int(), count: z.number().int() })) })),
  systems: z.array(z.object({ systemType: z.number().int(), count: z.number().int() })),
  keyParts: z.array(keyPartSchema),
  /** Floors of the unit's building with an uploaded plan (GET /api/units/:id/floors/:floor/plan). */
  floorPlans: z.array(floorPlanSizeSchema),
  /** Plans (预案): GET /api/station/units/:id/files/:fileId. */
  plans: z.array(packFileSchema),
  visits: z.array(z.object({ id, stationId: id.nullable(), byName: z.string(), visitedAt: isoTime, note: z.string(), photos: z.array(packFileSchema) })),
  visitDue: z.boolean(),
  water: z.array(nearestWaterSourceSchema),
  /** The caller's station → the unit (station accounts). */
  route: z.object({ etaSeconds: z.number(), distanceMeters: z.number(), method: z.enum(['road', 'straight']) }).nullable(),
});
export type UnitPack = z.infer<typeof unitPackSchema>;
