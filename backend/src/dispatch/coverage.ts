// 5-minute coverage: per station, the area reachable within COVERAGE_BUDGET_S of dispatch
// (pgr_drivingDistance on the forward graph, see queries.ts), stored in station_coverage;
// units outside every area; per region, the share of units covered.
import type pg from 'pg';
import type { Scope } from '../auth/scope.ts';
import {
  ACCESS_SPEED_MPS,
  COVERAGE_BUDGET_S,
  COVERAGE_BUFFER_M,
  SNAP_TOLERANCE_M,
  STRAIGHT_DETOUR_FACTOR,
  STRAIGHT_SPEED_MPS,
  boundingSpeedMps,
  degreeBox,
} from './model.ts';
import {
  coverageByRegionQuery,
  coverageStationsQuery,
  stationAreasQuery,
  uncoveredUnitsQuery,
  deleteStaleCoverageQuery,
  networkInfoQuery,
  upsertRoadCoverageQuery,
  upsertStraightCoverageQuery,
} from './queries.ts';

type Db = pg.Pool | pg.ClientBase;

export interface CoverageRun {
  stations: number;
  road: number;
  straight: number;
  reachedVertices: number;
  elapsedMs: number;
}

/**
 * Recomputes the coverage areas of the given stations (all when omitted). Each station is
 * its own statement, so a long run never holds one big transaction.
 */
export async function computeCoverage(
  db: Db,
  opts: { stationIds?: number[]; budgetS?: number; bufferM?: number; signal?: AbortSignal } = {},
): Promise<CoverageRun> {
  const t0 = performance.now();
  const budgetS = opts.budgetS ?? COVERAGE_BUDGET_S;
  const bufferM = opts.bufferM ?? COVERAGE_BUFFER_M;
  const net = (await db.query(networkInfoQuery())).rows[0];
  const vBound = boundingSpeedMps(Number(net.max_speed_mps ?? 0));
  const stations = (await db.query(coverageStationsQuery(opts.stationIds ?? null))).rows;
  const run: CoverageRun = { stations: stations.length, road: 0, straight: 0, reachedVertices: 0, elapsedMs: 0 };
  for (const s of stations) {
    if (opts.signal?.aborted) break;
    const onNetwork = s.vertex_id != null && s.snap_m <= SNAP_TOLERANCE_M && Number(net.edges) > 0;
    // The engine first drives from the station to its vertex at access speed.
    const stationBudgetS = onNetwork ? budgetS - s.snap_m / ACCESS_SPEED_MPS : 0;
    if (onNetwork && stationBudgetS > 0) {
      // Nothing reachable in budget lies beyond budget × the fastest speed.
      const { dLon, dLat } = degreeBox(s.lat, budgetS * vBound + bufferM);
      const r = await db.query(
        upsertRoadCoverageQuery({
          stationId: Number(s.id),
          vertexId: Number(s.vertex_id),
          lon: s.lon,
          lat: s.lat,
          budgetS,
          stationBudgetS,
          bufferM,
          dLon,
          dLat,
        }),
      );
      run.road++;
      run.reachedVertices += Number(r.rows[0]?.reached_vertices ?? 0);
    } else {
      const radiusM = (budgetS * STRAIGHT_SPEED_MPS) / STRAIGHT_DETOUR_FACTOR;
      await db.query(upsertStraightCoverageQuery({ stationId: Number(s.id), budgetS, radiusM }));
      run.straight++;
    }
  }
  if (!opts.stationIds) await db.query(deleteStaleCoverageQuery());
  run.elapsedMs = performance.now() - t0;
  return run;
}

// ---- reading coverage (scoped) ----

export interface RegionCoverage {
  regionAdcode: number | null;
  regionName: string | null;
  units: number;
  covered: number;
  /** covered ÷ units, 0–1; null when the region has no units. */
  share: number | null;
}

export async function coverageByRegion(db: Db, scope: Scope): Promise<RegionCoverage[]> {
  const r = await db.query(coverageByRegionQuery(scope));
  return r.rows.map((x) => ({
    regionAdcode: x.region_adcode,
    regionName: x.name,
    units: x.units,
    covered: x.covered,
    share: x.units > 0 ? x.covered / x.units : null,
  }));
}

export interface Feature<G, P> {
  type: 'Feature';
  id: number;
  geometry: G;
  properties: P;
}
export interface FeatureCollection<G, P> {
  type: 'FeatureCollection';
  features: Array<Feature<G, P>>;
}

/** Rows carrying `id` and `geom` (GeoJSON from ST_AsGeoJSON) as a FeatureCollection with `properties(row)`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function featureCollection<G, P>(rows: any[], properties: (row: any) => P): FeatureCollection<G, P> {
  return { type: 'FeatureCollection', features: rows.map((x) => ({ type: 'Feature', id: Number(x.id), geometry: x.geom as G, properties: properties(x) })) };
}

export interface UncoveredUnitProps {
  unitId: number;
  name: string;
  address: string | null;
  category: string;
  highRisk: boolean;
  regionAdcode: number | null;
  /** Straight-line distance to the nearest coverage area, metres. */
  nearestCoverageMeters: number | null;
}

/** Units outside every coverage area, as GeoJSON points (most distant first). */
export async function uncoveredUnits(
  db: Db,
  scope: Scope,
  limit = 5000,
): Promise<FeatureCollection<{ type: 'Point'; coordinates: [number, number] }, UncoveredUnitProps>> {
  const r = await db.query(uncoveredUnitsQuery(scope, limit));
  return featureCollection(r.rows, (x) => ({
    unitId: Number(x.id),
    name: x.name,
    address: x.address,
    category: x.category,
    highRisk: x.high_risk,
    regionAdcode: x.region_adcode,
    nearestCoverageMeters: x.nearest_m == null ? null : Math.round(x.nearest_m),
  }));
}

export interface StationAreaProps {
  stationId: number;
  name: string;
  status: string;
  regionAdcode: number | null;
  budgetS: number;
  method: 'road' | 'straight';
  computedAt: string;
}

/** Coverage polygons of the stations in scope (by the station's region). */
export async function stationAreas(
  db: Db,
  scope: Scope,
  stationId?: number,
): Promise<FeatureCollection<unknown, StationAreaProps>> {
  const r = await db.query(stationAreasQuery(scope, stationId ?? null));
  return featureCollection(r.rows, (x) => ({
    stationId: Number(x.id),
    name: x.name,
    status: x.status,
    regionAdcode: x.region_adcode,
    budgetS: x.budget_s,
    method: x.method,
    computedAt: new Date(x.computed_at).toISOString(),
  }));
}
