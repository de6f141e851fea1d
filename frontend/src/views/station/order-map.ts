// The current order on the station's map: the route from the station to the unit, the
// station itself and the incident. Route and water come from the single order
// (GET /api/station/orders/:id): the order list, the hello and progress messages carry
// summaries, as computing routes for every listed order was too slow.
import { useEffect, useState } from 'react';
import { PathLayer, ScatterplotLayer } from '@deck.gl/layers';
import { orderDetailSchema, type DispatchOrder } from '@firelink/common';
import { api } from '../../api/http.ts';
import { STATION_COLOR } from '../../model/colors.ts';

export type OrderRoute = NonNullable<DispatchOrder['route']>;

type Rgba = [number, number, number, number];
const hex = (h: string, a = 255): Rgba => [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16), a];

/** Station blue with a white rim, as the basemap draws stations (model/colors.ts). */
export const ORDER_STATION_RGBA = hex(STATION_COLOR);
/** The incident: fire red with a white rim. */
export const ORDER_INCIDENT_RGBA: Rgba = [255, 45, 45, 255];
/** The route: bright orange on a dark casing, so it reads over the muted road grid. */
export const ORDER_ROUTE_RGBA: Rgba = [255, 150, 40, 240];
const ROUTE_CASING_RGBA: Rgba = [10, 20, 36, 220];

/** What the current order's detail adds to the summary the stream carries. */
export interface OrderExtras {
  route: OrderRoute | null;
  water: DispatchOrder['water'];
}

/**
 * The route and water sources of `order` from its detail (GET /api/station/orders/:id); until
 * the detail answers (or when it fails), what the order itself carries: a fresh order arrives
 * whole, the hello and progress messages carry summaries. Reloads only when another order
 * becomes current.
 */
export function useOrderDetail(order: { id: number; route?: OrderRoute | null; water?: DispatchOrder['water'] } | null): OrderExtras {
  const [loaded, setLoaded] = useState<({ id: number } & OrderExtras) | null>(null);
  const id = order?.id ?? null;
  useEffect(() => {
    if (id === null) return;
    const ac = new AbortController();
    api(`/api/station/orders/${id}`, orderDetailSchema, { signal: ac.signal }).then(
      (r) => setLoaded({ id, route: r.order.route, water: r.order.water }),
      () => {},
    );
    return () => ac.abort();
  }, [id]);
  if (!order) return { route: null, water: [] };
  if (loaded?.id === order.id) return { route: loaded.route ?? order.route ?? null, water: loaded.water };
  return { route: order.route ?? null, water: order.water ?? [] };
}

/** West, south, east, north around the route, the station and the incident (null: nothing placed). */
export function orderBounds(points: ReadonlyArray<[number, number] | null | undefined>, route: OrderRoute | null): [number, number, number, number] | null {
  const all = [...points.filter((p): p is [number, number] => !!p), ...(route?.line.coordinates ?? [])];
  if (all.length === 0) return null;
  let w = 180, s = 90, e = -180, n = -90;
  for (const [x, y] of all) {
    if (x < w) w = x;
    if (x > e) e = x;
    if (y < s) s = y;
    if (y > n) n = y;
  }
  // A single point (or a very short route) still gets a street-level frame.
  const pad = 0.004;
  return [w - pad, s - pad, e + pad, n + pad];
}

/** deck.gl layers of the order: route (casing, line), then the station and incident markers on top. */
export function orderLayers(route: OrderRoute | null, stationAt: [number, number] | null, incident: [number, number] | null): unknown[] {
  const out: unknown[] = [];
  if (route && route.line.coordinates.length > 1) {
    const path = [route.line.coordinates];
    const common = { data: path, getPath: (p: Array<[number, number]>) => p, widthUnits: 'pixels' as const, capRounded: true, jointRounded: true };
    out.push(new PathLayer({ id: 'st-route-casing', ...common, getColor: ROUTE_CASING_RGBA, getWidth: 9 }));
    out.push(new PathLayer({ id: 'st-route', ...common, getColor: ORDER_ROUTE_RGBA, getWidth: 5 }));
  }
  const marks: Array<{ at: [number, number]; fill: Rgba }> = [];
  if (stationAt) marks.push({ at: stationAt, fill: ORDER_STATION_RGBA });
  if (incident) marks.push({ at: incident, fill: ORDER_INCIDENT_RGBA });
  if (marks.length) {
    out.push(
      new ScatterplotLayer<{ at: [number, number]; fill: Rgba }>({
        id: 'st-order-marks',
        data: marks,
        getPosition: (m) => m.at,
        getFillColor: (m) => m.fill,
        getLineColor: [255, 255, 255, 255],
        stroked: true,
        lineWidthUnits: 'pixels',
        getLineWidth: 3,
        getRadius: 10,
        radiusUnits: 'pixels',
      }),
    );
  }
  return out;
}
