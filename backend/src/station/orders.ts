// A dispatch order as the station reads it: the dispatch row with its unit, floor and
// point, contacts, the route and ETA from the station and the usable water sources
// nearest the incident by road. Route and water are computed once per order and kept
// (progress reports change only the times). Lists carry the summary only (toOrderSummary):
// routing every order of a list took 38 s for 300 orders (API probe).
import type pg from 'pg';
import { dispatchOrderSchema, orderSummarySchema, type DispatchOrder, type OrderSummary, type StationState } from '@firelink/common';
import { progressOf } from '../dispatch/progress.ts';
import { suggestStations } from '../dispatch/suggest.ts';
import { nearestWaterSources } from '../water/nearest.ts';

type Db = pg.Pool | pg.ClientBase;

/** Water sources listed with each order. */
export const ORDER_WATER_K = 5;

const iso = (v: unknown) => (v ? new Date(v as string).toISOString() : null);

type Extras = Pick<DispatchOrder, 'route' | 'water'>;
const extrasCache = new Map<number, Extras>();
const CACHE_MAX = 2000;

async function extrasFor(db: Db, row: pg.QueryResultRow): Promise<Extras> {
  const id = Number(row.id);
  const hit = extrasCache.get(id);
  if (hit) return hit;
  let extras: Extras = { route: null, water: [] };
  if (row.lon != null && row.lat != null) {
    const [s, w] = await Promise.all([
      suggestStations(db, { lon: row.lon, lat: row.lat, k: 1, includeUnavailable: true, stationIds: [Number(row.station_id)] }),
      nearestWaterSources(db, { lon: row.lon, lat: row.lat, k: ORDER_WATER_K }),
    ]);
    const top = s.suggestions[0];
    extras = {
      route: top ? { etaSeconds: top.etaSeconds, distanceMeters: top.distanceMeters, method: top.method, line: top.route } : null,
      water: w.sources,
    };
  }
  if (extrasCache.size >= CACHE_MAX) extrasCache.delete(extrasCache.keys().next().value as number);
  extrasCache.set(id, extras);
  return extras;
}

/** Row of station/queries.ts ORDER_COLUMNS → the order without route and water (no routing; validated). */
export function toOrderSummary(row: pg.QueryResultRow): OrderSummary {
  return orderSummarySchema.parse({
    id: Number(row.id),
    alarmId: row.alarm_id == null ? null : Number(row.alarm_id),
    alarmKind: row.alarm_kind ?? null,
    stationId: Number(row.station_id),
    stationName: row.station_name,
    progress: progressOf(row),
    at: iso(row.at),
    acknowledgedAt: iso(row.acknowledged_at),
    turnedOutAt: iso(row.turned_out_at),
    onSceneAt: iso(row.on_scene_at),
    returningAt: iso(row.returning_at),
    releasedAt: iso(row.released_at),
    note: row.note ?? null,
    unit:
      row.unit_id == null
        ? null
        : {
            id: Number(row.unit_id),
            name: row.unit_name,
            address: row.unit_address ?? null,
            category: row.unit_category,
            highRisk: !!row.unit_high_risk,
            controlRoomPhone: row.control_room_phone ?? null,
            contacts: Array.isArray(row.contacts) ? row.contacts : [],
          },
    floor: row.floor ?? null,
    pointLabel: row.point_label ?? null,
    componentType: row.component_type ?? null,
    incident: row.lon == null ? null : [row.lon, row.lat],
  });
}

/** Row of station/queries.ts ORDER_COLUMNS → the whole order: the summary with route and water (validated). */
export async function toOrder(db: Db, row: pg.QueryResultRow): Promise<DispatchOrder> {
  return dispatchOrderSchema.parse({ ...toOrderSummary(row), ...(await extrasFor(db, row)) });
}

export function toStationState(r: pg.QueryResultRow): StationState {
  const open = (Array.isArray(r.open) ? r.open : []) as Array<Record<string, unknown>>;
  return {
    id: Number(r.id),
    name: r.name,
    stationClass: r.class,
    status: r.status,
    statusChangedAt: iso(r.status_changed_at),
    regionAdcode: r.region_adcode == null ? null : Number(r.region_adcode),
    phone: r.phone ?? null,
    lonLatWgs84: [r.lon, r.lat],
    open: open.map((d) => ({ id: Number(d.id), alarmId: d.alarm_id == null ? null : Number(d.alarm_id), progress: progressOf(d), at: iso(d.at)! })),
  };
}
