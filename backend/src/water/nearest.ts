// The nearest usable water sources to a point by road distance, exact under pruning.
//
// Distance: from the point to its nearest road edge (≤ SNAP_TOLERANCE_M), along the roads
// in either direction (hoses and relays follow the street, not its one-way signs), to the
// road point nearest the source, and across to the source. A source farther than the snap
// tolerance from every road is not offered (an engine cannot reach it to draft).
//
// 1. Candidates come from the KNN index in order of straight distance d. Every road
//    distance is ≥ d (the path is a curve from the point to the source), so an unfetched
//    source is at least d_next away: we stop fetching only when the k-th distance ≤ d_next.
// 2. Candidates are routed in one pgr_dijkstraCost call on the edges inside the box of
//    radius R around the point. A path of length ≤ R never leaves the disc of radius R,
//    so distances ≤ R are exact and anything else is > R; R doubles until k fit.
// Off the network (the point farther than the tolerance from every road) the ranking is
// by straight distance.
import type pg from 'pg';
import { LOWER_BOUND_SAFETY, SNAP_TOLERANCE_M, degreeBox } from '../dispatch/model.ts';
import { candidateSourcesQuery, networkExtentQuery, roadDistancesQuery, snapPointQuery } from './queries.ts';

type Db = pg.Pool | pg.ClientBase;

export type WaterKind = 'hydrant' | 'pool' | 'natural';

export interface NearestWaterSource {
  rank: number;
  id: number;
  kind: WaterKind;
  name: string | null;
  flowLps: number | null;
  capacityM3: number | null;
  address: string | null;
  lonLatWgs84: [number, number];
  /** Along the roads (method 'road') or straight (method 'straight': the point is off the network). */
  distanceMeters: number;
  straightMeters: number;
  method: 'road' | 'straight';
}

export interface NearestWaterResult {
  k: number;
  sources: NearestWaterSource[];
  stats: { rounds: number; candidatesRouted: number; radiusMeters: number | null };
}

interface Snap {
  roadId: number;
  source: number;
  target: number;
  lengthM: number;
  f: number;
  snapM: number;
}

interface Candidate {
  id: number;
  kind: WaterKind;
  name: string | null;
  flow_lps: number | null;
  capacity_m3: number | null;
  address: string | null;
  lon: number;
  lat: number;
  straight_m: number;
  road_id: number | null;
  source: number | null;
  target: number | null;
  length_m: number | null;
  f: number | null;
  snap_m: number | null;
}

const extentCache = new WeakMap<object, { e: { xmin: number; ymin: number; xmax: number; ymax: number } | null; at: number }>();

async function networkExtent(db: Db) {
  const hit = extentCache.get(db);
  if (hit && Date.now() - hit.at < 60_000) return hit.e;
  const r = (await db.query(networkExtentQuery())).rows[0];
  const e = r?.xmin == null ? null : { xmin: r.xmin, ymin: r.ymin, xmax: r.xmax, ymax: r.ymax };
  extentCache.set(db, { e, at: Date.now() });
  return e;
}

function radiusToCover(lon: number, lat: number, e: { xmin: number; ymin: number; xmax: number; ymax: number }): number {
  let max = 0;
  for (const [x, y] of [[e.xmin, e.ymin], [e.xmin, e.ymax], [e.xmax, e.ymin], [e.xmax, e.ymax]] as const) {
    max = Math.max(max, Math.hypot(Math.abs(x - lon) * 111_320, Math.abs(y - lat) * 110_574));
  }
  return max * 1.05 + 1;
}

/**
 * Road distance from the snapped point to a snapped source, given vertex-to-vertex road
 * distances (`dist(a, b)`, undefined when unreachable). Pure: the test's brute force uses it too.
 */
export function roadDistance(p: Snap, w: Snap, dist: (a: number, b: number) => number | undefined): number | undefined {
  let best: number | undefined;
  if (p.roadId === w.roadId) best = Math.abs(p.f - w.f) * p.lengthM;
  const ends: Array<[number, number]> = [[p.source, p.f * p.lengthM], [p.target, (1 - p.f) * p.lengthM]];
  const wEnds: Array<[number, number]> = [[w.source, w.f * w.lengthM], [w.target, (1 - w.f) * w.lengthM]];
  for (const [a, along] of ends) {
    for (const [b, wAlong] of wEnds) {
      const d = a === b ? 0 : dist(a, b);
      if (d === undefined) continue;
      const total = along + d + wAlong;
      if (best === undefined || total < best) best = total;
    }
  }
  return best === undefined ? undefined : p.snapM + best + w.snapM;
}

const snapOf = (c: Candidate): Snap | null =>
  c.road_id == null || c.snap_m == null || c.snap_m > SNAP_TOLERANCE_M
    ? null
    : { roadId: Number(c.road_id), source: Number(c.source), target: Number(c.target), lengthM: Number(c.length_m), f: Number(c.f), snapM: Number(c.snap_m) };

export async function nearestWaterSources(db: Db, opts: { lon: number; lat: number; k?: number }): Promise<NearestWaterResult> {
  const { lon, lat } = opts;
  const k = Math.max(1, Math.floor(opts.k ?? 5));
  const s = (await db.query(snapPointQuery(lon, lat))).rows[0];
  const snap: Snap | null =
    s && s.snap_m <= SNAP_TOLERANCE_M
      ? { roadId: Number(s.id), source: Number(s.source), target: Number(s.target), lengthM: Number(s.length_m), f: Number(s.f), snapM: Number(s.snap_m) }
      : null;
  let fetchN = Math.max(4 * k, k + 10);

  if (!snap) {
    // Off the network: straight distance, nearest first (the KNN order itself).
    const rows = (await db.query(candidateSourcesQuery(lon, lat, k))).rows as Candidate[];
    return { k, sources: rows.map((c, i) => toSource(c, i, c.straight_m, 'straight')), stats: { rounds: 1, candidatesRouted: 0, radiusMeters: null } };
  }

  const extent = await networkExtent(db);
  const fullRadius = extent ? radiusToCover(lon, lat, extent) : 0;
  let radius: number | null = null;
  let rounds = 0;
  let routed = 0;
  let known: Array<{ c: Candidate; d: number }>;
  for (;;) {
    rounds++;
    if (rounds > 40) throw new Error('nearest water sources did not converge: report this with the point and k');
    const rows = ((await db.query(candidateSourcesQuery(lon, lat, fetchN + 1))).rows as Candidate[]).map((c) => ({ ...c, id: Number(c.id) }));
    const cands = rows.slice(0, fetchN);
    const next = rows[fetchN];
    // First guess: twice the k-th candidate's straight distance plus 200 m (streets detour).
    radius ??= 2 * (cands[Math.min(k, cands.length) - 1]?.straight_m ?? 0) + 200;
    const full = radius >= fullRadius;
    const onNet = cands.map((c) => ({ c, w: snapOf(c) })).filter((x): x is { c: Candidate; w: Snap } => x.w !== null);
    const dist = new Map<string, number>();
    if (onNet.length > 0) {
      const { dLon, dLat } = degreeBox(lat, radius);
      const from = [...new Set([snap.source, snap.target])];
      const to = [...new Set(onNet.flatMap((x) => [x.w.source, x.w.target]))];
      const r = await db.query(roadDistancesQuery({ lon, lat, dLon, dLat, full, from, to }));
      for (const row of r.rows) dist.set(`${row.from_vertex}:${row.to_vertex}`, row.metres);
      routed += onNet.length;
    }
    known = [];
    let unknown = 0;
    for (const { c, w } of onNet) {
      const d = roadDistance(snap, w, (a, b) => dist.get(`${a}:${b}`));
      if (d !== undefined && (d <= radius || full)) known.push({ c, d });
      else if (!full) unknown++; // farther than the radius (or unreachable: known once full)
    }
    known.sort((a, b) => a.d - b.d || a.c.id - b.c.id);
    const kth = known[k - 1]?.d;
    let done = true;
    if (unknown > 0 && kth === undefined) {
      done = false;
      radius *= 2;
    }
    if (next && !(kth !== undefined && kth <= next.straight_m * LOWER_BOUND_SAFETY)) {
      done = false;
      fetchN *= 2;
    }
    if (done) break;
  }
  return {
    k,
    sources: known.slice(0, k).map((x, i) => toSource(x.c, i, x.d, 'road')),
    stats: { rounds, candidatesRouted: routed, radiusMeters: radius },
  };
}

function toSource(c: Candidate, i: number, d: number, method: 'road' | 'straight'): NearestWaterSource {
  return {
    rank: i + 1,
    id: Number(c.id),
    kind: c.kind,
    name: c.name,
    flowLps: c.flow_lps,
    capacityM3: c.capacity_m3,
    address: c.address,
    lonLatWgs84: [c.lon, c.lat],
    distanceMeters: Math.round(d * 10) / 10,
    straightMeters: Math.round(c.straight_m * 10) / 10,
    method,
  };
}
