// Nearest stations by road travel time, exact under pruning.
//
// 1. Snap the incident to the nearest road edge (≤ SNAP_TOLERANCE_M), each station to its
//    nearest road vertex (same tolerance). Off the network → 'straight' (model.ts).
// 2. Candidates come from the KNN index in order of straight-line distance d. No route is
//    faster than the bounding speed V (model.ts), so an unfetched station's ETA is at
//    least LB(d_next) = d_next / V. We stop fetching only when the k-th ETA ≤ LB(d_next).
// 3. Candidates are routed in one pgr_dijkstra call on the reversed graph restricted to
//    the box around the incident of radius R = T·V. Any route of ETA ≤ T lies entirely
//    within R of the incident (each of its points is ≤ V·ETA away by road), so routed ETAs
//    ≤ T are exact and anything else is > T. We stop only when the k-th ETA ≤ T (or the
//    box covers the whole network); otherwise T grows and we route again.
// Together: no station whose ETA beats the k-th returned one is ever omitted.
import type pg from 'pg';
import {
  ACCESS_SPEED_MPS,
  LOWER_BOUND_SAFETY,
  SNAP_TOLERANCE_M,
  STRAIGHT_DETOUR_FACTOR,
  appendCoordinates,
  boundingSpeedMps,
  degreeBox,
  etaLowerBoundSeconds,
  joinPath,
  straightEtaSeconds,
  type LineStringWgs84,
  type LonLatWgs84,
  type RouteMethod,
  type StraightReason,
} from './model.ts';
import {
  candidateStationsQuery,
  edgeGeometriesQuery,
  networkInfoQuery,
  reversePathsQuery,
  snapToEdgeQuery,
} from './queries.ts';

type Db = pg.Pool | pg.ClientBase;

export type StationStatus = 'available' | 'dispatched' | 'out_of_service';

export interface StationSuggestion {
  rank: number;
  stationId: number;
  name: string;
  stationClass: string;
  status: StationStatus;
  regionAdcode: number | null;
  phone: string | null;
  lonLatWgs84: LonLatWgs84;
  etaSeconds: number;
  distanceMeters: number;
  /** Straight-line distance from the station to the incident. */
  straightMeters: number;
  method: RouteMethod;
  /** Set when method is 'straight'. */
  straightReason?: StraightReason;
  /** Station → incident. */
  route: LineStringWgs84;
}

export interface SuggestResult {
  incident: {
    lonLatWgs84: LonLatWgs84;
    /** Null when no road lies within SNAP_TOLERANCE_M (every suggestion is then 'straight'). */
    snap: { roadId: number; snapMeters: number; lonLatWgs84: LonLatWgs84 } | null;
  };
  k: number;
  suggestions: StationSuggestion[];
  /** How much work the pruning did (for benchmarks and curiosity). */
  stats: { rounds: number; candidatesRouted: number; horizonSeconds: number | null; boundingSpeedMps: number };
}

export interface SuggestOptions {
  lon: number;
  lat: number;
  k?: number;
  /** Consider dispatched and out-of-service stations too (each carries its status). */
  includeUnavailable?: boolean;
  /** Only these stations (e.g. to price a dispatch the dispatcher chose). */
  stationIds?: readonly number[];
}

// ---- network facts (cached) ----

interface NetworkInfo {
  maxRoadSpeedMps: number;
  edges: number;
  extent: { xmin: number; ymin: number; xmax: number; ymax: number } | null;
  at: number;
}

/**
 * How long the network's fastest-edge speed and extent are reused. Road edits that make
 * an edge faster take effect for the bound after this (or at once with
 * invalidateNetworkInfo); importers call it after loading roads.
 */
const NETWORK_INFO_TTL_MS = 60_000;
const networkCache = new WeakMap<object, NetworkInfo>();

export function invalidateNetworkInfo(db: Db): void {
  networkCache.delete(db);
}

async function networkInfo(db: Db): Promise<NetworkInfo> {
  const hit = networkCache.get(db);
  if (hit && Date.now() - hit.at < NETWORK_INFO_TTL_MS) return hit;
  const r = (await db.query(networkInfoQuery())).rows[0];
  const info: NetworkInfo = {
    maxRoadSpeedMps: Number(r.max_speed_mps ?? 0),
    edges: Number(r.edges ?? 0),
    extent: r.xmin == null ? null : { xmin: r.xmin, ymin: r.ymin, xmax: r.xmax, ymax: r.ymax },
    at: Date.now(),
  };
  networkCache.set(db, info);
  return info;
}

/** Metres from the point to the farthest corner of the extent (a box of this radius holds it all). */
function radiusToCoverExtent(lon: number, lat: number, e: NonNullable<NetworkInfo['extent']>): number {
  let max = 0;
  for (const [x, y] of [[e.xmin, e.ymin], [e.xmin, e.ymax], [e.xmax, e.ymin], [e.xmax, e.ymax]] as const) {
    const dy = Math.abs(y - lat) * 110_574;
    const dx = Math.abs(x - lon) * 111_320; // cos ≤ 1: an over-estimate, which is safe here
    max = Math.max(max, Math.hypot(dx, dy));
  }
  return max * 1.05 + 1;
}

// ---- snapping ----

interface IncidentSnap {
  roadId: number;
  source: number;
  target: number;
  costS: number;
  reverseCostS: number;
  fraction: number;
  snapMeters: number;
  lengthMeters: number;
  snapPoint: LonLatWgs84;
  head: LonLatWgs84[]; // source → snap
  tail: LonLatWgs84[]; // snap → target
}

function lineCoords(g: { type: string; coordinates: unknown }): LonLatWgs84[] {
  if (g.type === 'Point') return [g.coordinates as LonLatWgs84];
  return g.coordinates as LonLatWgs84[];
}

async function snapIncident(db: Db, lon: number, lat: number): Promise<IncidentSnap | null> {
  const r = (await db.query(snapToEdgeQuery(lon, lat))).rows[0];
  if (!r || r.snap_m > SNAP_TOLERANCE_M) return null;
  return {
    roadId: Number(r.id),
    source: Number(r.source),
    target: Number(r.target),
    costS: r.cost_s,
    reverseCostS: r.reverse_cost_s,
    fraction: r.f,
    snapMeters: r.snap_m,
    lengthMeters: r.length_m,
    snapPoint: r.snap_point.coordinates,
    head: lineCoords(r.head),
    tail: lineCoords(r.tail),
  };
}

// ---- the search ----

interface Candidate {
  id: number;
  name: string;
  class: string;
  status: StationStatus;
  region_adcode: number | null;
  phone: string | null;
  lon: number;
  lat: number;
  distance_m: number;
  vertex_id: number | null;
  snap_m: number | null;
  vertex_lon: number | null;
  vertex_lat: number | null;
}

interface PathRow {
  costS: number;
  lengthM: number;
  edges: number[];
  nodes: number[];
}

interface Evaluated {
  c: Candidate;
  etaSeconds: number;
  method: RouteMethod;
  straightReason?: StraightReason;
  /** For road: which end of the incident edge the route arrives by, and its path. */
  via?: 'source' | 'target';
  path?: PathRow;
}

const toNumbers = (a: unknown): number[] => (Array.isArray(a) ? a.map(Number) : []);

export async function suggestStations(db: Db, opts: SuggestOptions): Promise<SuggestResult> {
  const { lon, lat } = opts;
  const k = Math.max(1, Math.floor(opts.k ?? 5));
  const includeUnavailable = opts.includeUnavailable ?? false;
  const net = await networkInfo(db);
  const vBound = boundingSpeedMps(net.maxRoadSpeedMps);
  const snap = net.edges > 0 ? await snapIncident(db, lon, lat) : null;
  const fullRadius = net.extent ? radiusToCoverExtent(lon, lat, net.extent) : 0;

  // Routing cost hardly depends on the number of targets (one search per incident
  // vertex, bounded by the box), so the first batch is generous: on the demo city 6k
  // candidates need a second round for 0.5 % of points, 4k for 13 %.
  let fetchN = Math.max(6 * k, k + 15);
  let horizon: number | null = null;
  let rounds = 0;
  let candidatesRouted = 0;
  let known: Evaluated[];
  const lastPaths = new Map<string, PathRow>();

  for (;;) {
    rounds++;
    if (rounds > 40) throw new Error('dispatch suggestion did not converge: report this with the point and k');
    const rows = (await db.query(candidateStationsQuery(lon, lat, fetchN + 1, includeUnavailable, opts.stationIds ?? null))).rows as Candidate[];
    const cands = rows.slice(0, fetchN).map((c) => ({ ...c, id: Number(c.id), vertex_id: c.vertex_id == null ? null : Number(c.vertex_id) }));
    const next = rows[fetchN];

    if (horizon === null) {
      // First guess: twice the k-th candidate's straight distance at the bounding speed,
      // plus a minute for access legs; grows when not enough. (Routing work grows with the
      // square of the horizon: on the demo city this guess cut database CPU by a quarter
      // against 3× + 2 min, with the same number of rounds.)
      const dk = cands[Math.min(k, cands.length) - 1]?.distance_m ?? 0;
      horizon = (2 * dk) / vBound + 60;
    }
    const full = horizon * vBound >= fullRadius;

    const onNetwork = (c: Candidate) => snap !== null && c.vertex_id !== null && (c.snap_m ?? Infinity) <= SNAP_TOLERANCE_M;
    const toRoute = cands.filter(onNetwork);
    const costs = new Map<string, number>();
    if (snap && toRoute.length > 0) {
      const { dLon, dLat } = degreeBox(lat, horizon * vBound);
      const from = [...new Set([snap.source, snap.target])];
      const to = [...new Set(toRoute.map((c) => c.vertex_id as number))];
      const q = { lon, lat, dLon, dLat, full, fromVertices: from, toVertices: to };
      // The paths come at almost no extra cost from the same search; keep them for the answer.
      const r = await db.query(reversePathsQuery(q));
      lastPaths.clear();
      for (const row of r.rows) {
        const key = `${row.from_vertex}:${row.to_vertex}`;
        costs.set(key, row.cost_s);
        lastPaths.set(key, { costS: row.cost_s, lengthM: row.length_m, edges: toNumbers(row.edges), nodes: toNumbers(row.nodes) });
      }
      candidatesRouted += toRoute.length;
    }

    known = [];
    let unknown = 0;
    for (const c of cands) {
      if (!snap) {
        known.push({ c, etaSeconds: straightEtaSeconds(c.distance_m), method: 'straight', straightReason: 'incident_off_network' });
        continue;
      }
      if (!onNetwork(c)) {
        known.push({ c, etaSeconds: straightEtaSeconds(c.distance_m), method: 'straight', straightReason: 'station_off_network' });
        continue;
      }
      const best = bestRoad(snap, c.vertex_id as number, costs);
      if (best) {
        const eta = (c.snap_m as number) / ACCESS_SPEED_MPS + best.costS + snap.snapMeters / ACCESS_SPEED_MPS;
        if (eta <= horizon || full) {
          known.push({ c, etaSeconds: eta, method: 'road', via: best.via });
          continue;
        }
      }
      if (full) {
        known.push({ c, etaSeconds: straightEtaSeconds(c.distance_m), method: 'straight', straightReason: 'unreachable' });
      } else {
        unknown++; // its ETA is > horizon
      }
    }
    known.sort((a, b) => a.etaSeconds - b.etaSeconds || a.c.id - b.c.id);
    const kth = known[k - 1]?.etaSeconds;

    let done = true;
    if (unknown > 0 && !(kth !== undefined && kth <= horizon)) {
      done = false;
      horizon = kth !== undefined ? kth : horizon * 2;
    }
    // Off the network every ETA is the straight model's, monotone in distance: its own
    // bound is tighter than the network's.
    const nextBound = next
      ? snap
        ? etaLowerBoundSeconds(next.distance_m, vBound)
        : straightEtaSeconds(next.distance_m * LOWER_BOUND_SAFETY)
      : Infinity;
    if (next && !(kth !== undefined && kth <= nextBound)) {
      done = false;
      fetchN *= 2;
    }
    if (done) break;
  }

  const top = known.slice(0, k);
  if (snap) await attachPaths(db, { lon, lat }, snap, top, vBound, fullRadius, lastPaths);
  const suggestions = await buildSuggestions(db, { lon, lat }, snap, top);
  return {
    incident: {
      lonLatWgs84: [lon, lat],
      snap: snap ? { roadId: snap.roadId, snapMeters: snap.snapMeters, lonLatWgs84: snap.snapPoint } : null,
    },
    k,
    suggestions,
    stats: { rounds, candidatesRouted, horizonSeconds: horizon, boundingSpeedMps: vBound },
  };
}

/** The cheaper way onto the incident's edge: via its source (then along it) or its target (then back along it). */
function bestRoad(
  snap: IncidentSnap,
  vertex: number,
  costs: Map<string, number>,
): { costS: number; via: 'source' | 'target' } | null {
  let best: { costS: number; via: 'source' | 'target' } | null = null;
  const consider = (end: number, via: 'source' | 'target', along: number) => {
    if (!(along >= 0)) return; // that direction of the edge is closed (one-way)
    const path = end === vertex ? 0 : costs.get(`${end}:${vertex}`);
    if (path === undefined) return;
    const cost = path + along;
    if (!best || cost < best.costS) best = { costS: cost, via };
  };
  consider(snap.source, 'source', snap.fraction * snap.costS);
  consider(snap.target, 'target', (1 - snap.fraction) * snap.reverseCostS);
  return best;
}

/**
 * Paths of the chosen road suggestions only, in one search restricted to the box of the
 * slowest chosen ETA (exact for all of them by the same argument as the ranking).
 */
async function attachPaths(
  db: Db,
  incident: { lon: number; lat: number },
  snap: IncidentSnap,
  top: Evaluated[],
  vBound: number,
  fullRadius: number,
  known: Map<string, PathRow>,
): Promise<void> {
  const endOf = (e: Evaluated) => (e.via === 'source' ? snap.source : snap.target);
  const keyOf = (e: Evaluated) => `${endOf(e)}:${e.c.vertex_id}`;
  for (const e of top) {
    if (e.method !== 'road') continue;
    if (endOf(e) === e.c.vertex_id) e.path = { costS: 0, lengthM: 0, edges: [], nodes: [e.c.vertex_id as number] };
    else e.path = known.get(keyOf(e));
  }
  const road = top.filter((e) => e.method === 'road' && e.via && !e.path);
  if (road.length === 0) return;
  const horizon = Math.max(...road.map((e) => e.etaSeconds));
  const full = horizon * vBound >= fullRadius;
  const { dLon, dLat } = degreeBox(incident.lat, horizon * vBound);
  const from = [...new Set(road.map(endOf))];
  const to = [...new Set(road.map((e) => e.c.vertex_id as number))];
  const r = await db.query(reversePathsQuery({ lon: incident.lon, lat: incident.lat, dLon, dLat, full, fromVertices: from, toVertices: to }));
  const paths = new Map<string, PathRow>();
  for (const row of r.rows) {
    paths.set(`${row.from_vertex}:${row.to_vertex}`, {
      costS: row.cost_s,
      lengthM: row.length_m,
      edges: toNumbers(row.edges),
      nodes: toNumbers(row.nodes),
    });
  }
  for (const e of road) {
    const v = e.c.vertex_id as number;
    e.path = endOf(e) === v ? { costS: 0, lengthM: 0, edges: [], nodes: [v] } : paths.get(`${endOf(e)}:${v}`);
  }
}

async function buildSuggestions(
  db: Db,
  incident: { lon: number; lat: number },
  snap: IncidentSnap | null,
  top: Evaluated[],
): Promise<StationSuggestion[]> {
  const edgeIds = [...new Set(top.flatMap((e) => e.path?.edges ?? []))];
  const edges = new Map<number, { source: number; target: number; coordinates: LonLatWgs84[] }>();
  if (edgeIds.length > 0) {
    for (const r of (await db.query(edgeGeometriesQuery(edgeIds))).rows) {
      edges.set(Number(r.id), { source: Number(r.source), target: Number(r.target), coordinates: r.geom.coordinates });
    }
  }
  return top.map((e, i) => {
    const c = e.c;
    const station: LonLatWgs84 = [c.lon, c.lat];
    const base = {
      rank: i + 1,
      stationId: c.id,
      name: c.name,
      stationClass: c.class,
      status: c.status,
      regionAdcode: c.region_adcode,
      phone: c.phone,
      lonLatWgs84: station,
      etaSeconds: Math.round(e.etaSeconds * 10) / 10,
      straightMeters: Math.round(c.distance_m * 10) / 10,
    };
    if (e.method === 'straight' || !snap || !e.path) {
      return {
        ...base,
        method: 'straight' as const,
        straightReason: e.straightReason,
        distanceMeters: Math.round(c.distance_m * STRAIGHT_DETOUR_FACTOR * 10) / 10,
        route: { type: 'LineString' as const, coordinates: [station, [incident.lon, incident.lat] as LonLatWgs84] },
      };
    }
    // The path runs incident-side vertex → station vertex in the reversed graph; the
    // engine drives it backwards: edge i is travelled from nodes[i + 1] to nodes[i].
    const { nodes, edges: pathEdges } = e.path;
    const legs: Array<{ coordinates: LonLatWgs84[]; enteredFromSource: boolean }> = [];
    for (let j = pathEdges.length - 1; j >= 0; j--) {
      const g = edges.get(pathEdges[j]!);
      if (!g) continue;
      legs.push({ coordinates: g.coordinates, enteredFromSource: g.source === nodes[j + 1] });
    }
    const line: LonLatWgs84[] = [station];
    if (c.vertex_lon != null && c.vertex_lat != null) appendCoordinates(line, [[c.vertex_lon, c.vertex_lat]]);
    appendCoordinates(line, joinPath(legs));
    const partial = e.via === 'source' ? snap.head : [...snap.tail].reverse();
    appendCoordinates(line, partial);
    appendCoordinates(line, [snap.snapPoint, [incident.lon, incident.lat]]);
    const alongM = (e.via === 'source' ? snap.fraction : 1 - snap.fraction) * snap.lengthMeters;
    const distance = (c.snap_m ?? 0) + e.path.lengthM + alongM + snap.snapMeters;
    return {
      ...base,
      method: 'road' as const,
      distanceMeters: Math.round(distance * 10) / 10,
      route: { type: 'LineString' as const, coordinates: line },
    };
  });
}
