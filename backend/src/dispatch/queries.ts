// SQL of dispatch: network facts, snapping, candidate stations, routing, coverage, records.
// Values always travel as $n parameters. pgRouting takes its edge query as text; where that
// text needs numbers (the bounding box) they are formatted by PostgreSQL itself from
// float8 parameters with format(), never spliced in by us.
import { scopePredicate, type Scope } from '../auth/scope.ts';
import type { Query } from '../db/pool.ts';

// Routable edges. reverse_cost_s NULL is treated as one-way (no reverse travel).
const EDGE_FILTER = `source IS NOT NULL AND target IS NOT NULL AND cost_s IS NOT NULL`;

/** Fastest edge of the network (m/s, geodesic length ÷ travel time) and its extent. */
export function networkInfoQuery(): Query {
  return {
    text: `SELECT max(GREATEST(
               CASE WHEN cost_s > 0 THEN ST_Length(geom::geography) / cost_s END,
               CASE WHEN reverse_cost_s > 0 THEN ST_Length(geom::geography) / reverse_cost_s END)) AS max_speed_mps,
             count(*)::int AS edges,
             ST_XMin(ST_Extent(geom)) AS xmin, ST_YMin(ST_Extent(geom)) AS ymin,
             ST_XMax(ST_Extent(geom)) AS xmax, ST_YMax(ST_Extent(geom)) AS ymax
           FROM roads WHERE ${EDGE_FILTER}`,
    values: [],
  };
}

/**
 * The road edges nearest the point, with the fraction along each edge (0 = source,
 * 1 = target) and the two partial geometries (source → snap, snap → target).
 */
export function snapToEdgeQuery(lon: number, lat: number): Query {
  return {
    text: `WITH p AS (SELECT ST_SetSRID(ST_MakePoint($1::float8, $2::float8), 4326) AS g),
           c AS (
             SELECT r.id, r.source, r.target, r.cost_s, COALESCE(r.reverse_cost_s, -1) AS reverse_cost_s, r.geom,
                    ST_LineLocatePoint(r.geom, p.g) AS f, p.g AS pg
             FROM roads r, p WHERE r.source IS NOT NULL AND r.target IS NOT NULL AND r.cost_s IS NOT NULL
             ORDER BY r.geom <-> p.g LIMIT 4)
           SELECT id, source, target, cost_s, reverse_cost_s, f,
                  ST_Distance(ST_LineInterpolatePoint(geom, f)::geography, pg::geography) AS snap_m,
                  ST_Length(geom::geography) AS length_m,
                  ST_AsGeoJSON(ST_LineInterpolatePoint(geom, f), 7)::json AS snap_point,
                  ST_AsGeoJSON(ST_LineSubstring(geom, 0, f), 7)::json AS head,
                  ST_AsGeoJSON(ST_LineSubstring(geom, f, 1), 7)::json AS tail
           FROM c ORDER BY snap_m, id LIMIT 1`,
    values: [lon, lat],
  };
}

/**
 * Candidate stations by spherical distance from the point (KNN `<->` on the geography
 * index of 0400), each with its nearest road vertex. `limit` rows; the caller asks for
 * one more than it routes, so the next candidate's distance bounds everything unfetched.
 */
export function candidateStationsQuery(
  lon: number,
  lat: number,
  limit: number,
  includeUnavailable: boolean,
  stationIds: readonly number[] | null,
): Query {
  return {
    text: `WITH p AS (SELECT ST_SetSRID(ST_MakePoint($1::float8, $2::float8), 4326)::geography AS g)
           SELECT s.id, s.name, s.class, s.status, s.region_adcode, s.phone,
                  ST_X(s.point) AS lon, ST_Y(s.point) AS lat,
                  -- Ordering by the sphere (index); reporting the spheroid. They differ by
                  -- < 0.5 %, which LOWER_BOUND_SAFETY absorbs.
                  ST_Distance(s.point::geography, p.g) AS distance_m,
                  v.id AS vertex_id, v.snap_m, ST_X(v.geom) AS vertex_lon, ST_Y(v.geom) AS vertex_lat
           FROM stations s CROSS JOIN p
           LEFT JOIN LATERAL (
             SELECT rv.id, rv.geom, ST_Distance(rv.geom::geography, s.point::geography) AS snap_m
             FROM road_vertices rv ORDER BY rv.geom <-> s.point LIMIT 1) v ON true
           WHERE ($3::boolean OR s.status = 'available')
             AND ($5::bigint[] IS NULL OR s.id = ANY($5::bigint[]))
           ORDER BY s.point::geography <-> p.g, s.id
           LIMIT $4`,
    values: [lon, lat, includeUnavailable, limit, stationIds],
  };
}

interface ReverseRouting {
  lon: number;
  lat: number;
  dLon: number;
  dLat: number;
  full: boolean;
  fromVertices: number[];
  toVertices: number[];
}

// The reversed edge set inside the box: every edge's source and target swapped, costs kept
// with their direction, so "from each station TO the incident" becomes one search per
// incident vertex, with one-way streets still driven the legal way.
const REVERSED_EDGES = `format('SELECT id, target AS source, source AS target, cost_s AS cost,
                                COALESCE(reverse_cost_s, -1) AS reverse_cost
                         FROM roads WHERE ${EDGE_FILTER}
                           AND (%s OR geom && ST_Expand(ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s, %s))',
                        $5::boolean::text, $1::float8, $2::float8, $3::float8, $4::float8)`;

/**
 * One-to-many Dijkstra on the reversed graph from the incident's edge ends to the
 * stations' vertices, with each path (edges and nodes in order) and its length. Only
 * edges whose box meets the given box take part unless `full`.
 */
export function reversePathsQuery(p: ReverseRouting): Query {
  return {
    text: `WITH p AS (SELECT * FROM pgr_dijkstra(${REVERSED_EDGES}, $6::bigint[], $7::bigint[], true))
           SELECT p.start_vid AS from_vertex, p.end_vid AS to_vertex, max(p.agg_cost) AS cost_s,
                  COALESCE(sum(COALESCE(r.length_m, ST_Length(r.geom::geography))) FILTER (WHERE p.edge <> -1), 0) AS length_m,
                  array_agg(p.edge ORDER BY p.seq) FILTER (WHERE p.edge <> -1) AS edges,
                  array_agg(p.node ORDER BY p.seq) AS nodes
           FROM p LEFT JOIN roads r ON r.id = p.edge
           GROUP BY p.start_vid, p.end_vid`,
    values: [p.lon, p.lat, p.dLon, p.dLat, p.full, p.fromVertices, p.toVertices],
  };
}

export function edgeGeometriesQuery(ids: number[]): Query {
  return {
    text: `SELECT id, source, target, ST_AsGeoJSON(geom, 7)::json AS geom FROM roads WHERE id = ANY($1::bigint[])`,
    values: [ids],
  };
}

// ---- coverage ----

export function coverageStationsQuery(stationIds: number[] | null): Query {
  return {
    text: `SELECT s.id, ST_X(s.point) AS lon, ST_Y(s.point) AS lat, v.id AS vertex_id, v.snap_m
           FROM stations s
           LEFT JOIN LATERAL (
             SELECT rv.id, ST_Distance(rv.geom::geography, s.point::geography) AS snap_m
             FROM road_vertices rv ORDER BY rv.geom <-> s.point LIMIT 1) v ON true
           WHERE $1::bigint[] IS NULL OR s.id = ANY($1::bigint[])
           ORDER BY s.id`,
    values: [stationIds],
  };
}

/**
 * The station's reachable area within budget_s: pgr_drivingDistance on the forward graph
 * (engines drive out of the station), every road part reachable in time (an edge entered
 * with t seconds left is kept for min(1, t / cost) of its length), buffered by buffer_m in
 * the local UTM zone, unioned, holes filled (a block ringed by reachable streets is
 * reachable from them). Upserts station_coverage and returns the reached vertex count.
 */
export function upsertRoadCoverageQuery(p: {
  stationId: number;
  vertexId: number;
  lon: number;
  lat: number;
  budgetS: number;
  stationBudgetS: number;
  bufferM: number;
  dLon: number;
  dLat: number;
}): Query {
  return {
    text: `WITH dd AS (
             SELECT node, agg_cost FROM pgr_drivingDistance(
               format('SELECT id, source, target, cost_s AS cost, COALESCE(reverse_cost_s, -1) AS reverse_cost
                       FROM roads WHERE ${EDGE_FILTER}
                         AND geom && ST_Expand(ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s, %s)',
                      $3::float8, $4::float8, $8::float8, $9::float8),
               $2::bigint, $6::float8, true)),
           utm AS (SELECT (CASE WHEN $4::float8 >= 0 THEN 32600 ELSE 32700 END
                           + floor(($3::float8 + 180) / 6)::int + 1) AS srid),
           parts AS (
             SELECT ST_LineSubstring(r.geom, 0, LEAST(1, ($6::float8 - d.agg_cost) / r.cost_s)) AS g
             FROM roads r JOIN dd d ON d.node = r.source
             WHERE r.cost_s > 0 AND d.agg_cost < $6::float8
             UNION ALL
             SELECT ST_LineSubstring(r.geom, GREATEST(0, 1 - ($6::float8 - d.agg_cost) / r.reverse_cost_s), 1)
             FROM roads r JOIN dd d ON d.node = r.target
             WHERE r.reverse_cost_s > 0 AND d.agg_cost < $6::float8
             UNION ALL
             SELECT rv.geom FROM road_vertices rv WHERE rv.id = $2::bigint),
           area AS (
             SELECT ST_Union(ST_Buffer(ST_Transform(g, utm.srid), $7::float8, 'quad_segs=4')) AS g, utm.srid
             FROM parts, utm GROUP BY utm.srid),
           filled AS (
             SELECT ST_Multi(ST_Transform(ST_Union(ST_MakePolygon(ST_ExteriorRing(d.geom))), 4326)) AS g
             FROM area, LATERAL ST_Dump(area.g) d)
           INSERT INTO station_coverage (station_id, budget_s, method, buffer_m, reached_vertices, geom, computed_at)
           SELECT $1::bigint, $5::float8, 'road', $7::float8, (SELECT count(*) FROM dd), filled.g, now() FROM filled
           ON CONFLICT (station_id) DO UPDATE SET budget_s = EXCLUDED.budget_s, method = EXCLUDED.method,
             buffer_m = EXCLUDED.buffer_m, reached_vertices = EXCLUDED.reached_vertices, geom = EXCLUDED.geom,
             computed_at = EXCLUDED.computed_at
           RETURNING reached_vertices`,
    values: [p.stationId, p.vertexId, p.lon, p.lat, p.budgetS, p.stationBudgetS, p.bufferM, p.dLon, p.dLat],
  };
}

/** Off-network station: a disc whose radius is what the straight-line model covers in budget. */
export function upsertStraightCoverageQuery(p: { stationId: number; budgetS: number; radiusM: number }): Query {
  return {
    text: `INSERT INTO station_coverage (station_id, budget_s, method, buffer_m, reached_vertices, geom, computed_at)
           SELECT s.id, $2::float8, 'straight', 0, 0, ST_Multi(ST_Buffer(s.point::geography, $3::float8, 'quad_segs=8')::geometry), now()
           FROM stations s WHERE s.id = $1::bigint
           ON CONFLICT (station_id) DO UPDATE SET budget_s = EXCLUDED.budget_s, method = EXCLUDED.method,
             buffer_m = EXCLUDED.buffer_m, reached_vertices = EXCLUDED.reached_vertices, geom = EXCLUDED.geom,
             computed_at = EXCLUDED.computed_at`,
    values: [p.stationId, p.budgetS, p.radiusM],
  };
}

export function deleteStaleCoverageQuery(): Query {
  return { text: `DELETE FROM station_coverage c WHERE NOT EXISTS (SELECT 1 FROM stations s WHERE s.id = c.station_id)`, values: [] };
}

/** Units counted for coverage: placed on the map and not closed. */
const UNIT_FILTER = `u.point IS NOT NULL AND u.onboarding_state <> 'closed'`;
const COVERED = `EXISTS (SELECT 1 FROM station_coverage c WHERE ST_Covers(c.geom, u.point))`;

export function coverageByRegionQuery(scope: Scope): Query {
  const values: unknown[] = [];
  const where = scopePredicate(scope, { region: 'u.region_adcode', unit: 'u.id' }, values);
  return {
    text: `SELECT u.region_adcode, rg.name, count(*)::int AS units, count(*) FILTER (WHERE ${COVERED})::int AS covered
           FROM units u LEFT JOIN regions rg ON rg.adcode = u.region_adcode
           WHERE ${UNIT_FILTER} AND ${where}
           GROUP BY u.region_adcode, rg.name ORDER BY u.region_adcode NULLS LAST`,
    values,
  };
}

export function uncoveredUnitsQuery(scope: Scope, limit: number): Query {
  const values: unknown[] = [];
  const where = scopePredicate(scope, { region: 'u.region_adcode', unit: 'u.id' }, values);
  values.push(limit);
  return {
    text: `SELECT u.id, u.name, u.address, u.category, u.high_risk, u.region_adcode,
                  ST_AsGeoJSON(u.point, 7)::json AS geom,
                  -- Geodesic distance to the planar closest point of the nearest area: within
                  -- metres of the true geodesic figure and far cheaper on large polygons.
                  (SELECT ST_Distance(u.point::geography, ST_ClosestPoint(c.geom, u.point)::geography)
                   FROM station_coverage c ORDER BY c.geom <-> u.point LIMIT 1) AS nearest_m
           FROM units u
           WHERE ${UNIT_FILTER} AND ${where} AND NOT ${COVERED}
           ORDER BY nearest_m DESC NULLS FIRST, u.id LIMIT $${values.length}`,
    values,
  };
}

export function stationAreasQuery(scope: Scope, stationId: number | null): Query {
  const values: unknown[] = [];
  const where = scopePredicate(scope, { region: 's.region_adcode' }, values);
  values.push(stationId);
  const p = `$${values.length}::bigint`;
  return {
    text: `SELECT s.id, s.name, s.status, s.region_adcode, c.budget_s, c.method, c.computed_at,
                  ST_AsGeoJSON(c.geom, 6)::json AS geom
           FROM station_coverage c JOIN stations s ON s.id = c.station_id
           WHERE ${where} AND (${p} IS NULL OR s.id = ${p})
           ORDER BY s.id`,
    values,
  };
}

// ---- stations and dispatch records ----

export function listStationsQuery(scope: Scope): Query {
  const values: unknown[] = [];
  const where = scopePredicate(scope, { region: 's.region_adcode' }, values);
  return {
    text: `SELECT s.id, s.external_id, s.name, s.class, s.status, s.status_changed_at, s.region_adcode, s.phone,
                  s.apparatus, ST_X(s.point) AS lon, ST_Y(s.point) AS lat,
                  (SELECT count(*)::int FROM dispatches d WHERE d.station_id = s.id AND d.released_at IS NULL) AS open_dispatches,
                  c.computed_at AS coverage_computed_at
           FROM stations s LEFT JOIN station_coverage c ON c.station_id = s.id
           WHERE ${where} ORDER BY s.id`,
    values,
  };
}

/** Ids of the stations in `scope`. */
export function stationIdsInScopeQuery(scope: Scope): Query {
  const values: unknown[] = [];
  const where = scopePredicate(scope, { region: 's.region_adcode' }, values);
  return { text: `SELECT s.id FROM stations s WHERE ${where} ORDER BY s.id`, values };
}

/** Locks the stations (in id order, so concurrent dispatches cannot deadlock). */
export function lockStationsQuery(ids: readonly number[], scope: Scope): Query {
  const values: unknown[] = [ids];
  const where = scopePredicate(scope, { region: 's.region_adcode' }, values);
  return {
    text: `SELECT s.id, s.name, s.status, s.status_changed_at, s.region_adcode
           FROM stations s WHERE s.id = ANY($1::bigint[]) AND ${where} ORDER BY s.id FOR UPDATE`,
    values,
  };
}

export function setStationStatusQuery(id: number, status: string): Query {
  return {
    text: `UPDATE stations SET status = $2, status_changed_at = now() WHERE id = $1
           RETURNING id, name, status, status_changed_at`,
    values: [id, status],
  };
}

/** The alarm a dispatch is for, if the caller may see it. */
export function alarmForDispatchQuery(alarmId: number, scope: Scope): Query {
  const values: unknown[] = [alarmId];
  const where = scopePredicate(scope, { region: 'a.region_adcode', unit: 'a.unit_id' }, values);
  return {
    text: `SELECT a.id, a.state, a.kind, a.region_adcode, a.unit_id, a.opened_at,
                  ST_X(COALESCE(a.location, u.point)) AS lon, ST_Y(COALESCE(a.location, u.point)) AS lat
           FROM alarms a LEFT JOIN units u ON u.id = a.unit_id
           WHERE a.id = $1 AND ${where}`,
    values,
  };
}

export function insertDispatchQuery(d: {
  alarmId: number | null;
  stationId: number;
  etaS: number | null;
  method: string | null;
  distanceM: number | null;
  at: Date | null;
  byUser: number | null;
  note: string | null;
  lon: number | null;
  lat: number | null;
}): Query {
  return {
    text: `INSERT INTO dispatches (alarm_id, station_id, eta_s, method, distance_m, at, by_user, note, location)
           VALUES ($1, $2, $3, $4, $5, COALESCE($6::timestamptz, now()), $7, $8,
                   CASE WHEN $9::float8 IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint($9::float8, $10::float8), 4326) END)
           RETURNING id, alarm_id, station_id, eta_s, method, distance_m, at, by_user, note, released_at`,
    values: [d.alarmId, d.stationId, d.etaS, d.method, d.distanceM, d.at, d.byUser, d.note, d.lon, d.lat],
  };
}

const DISPATCH_COLUMNS = `d.id, d.alarm_id, d.station_id, s.name AS station_name, d.eta_s, d.method, d.distance_m,
  d.at, d.by_user, d.note, d.released_at, d.released_by,
  ST_X(d.location) AS lon, ST_Y(d.location) AS lat`;

/**
 * Who sees (and may release) a dispatch: the jurisdiction of its alarm (or, without one, of
 * the station), and always the jurisdiction that owns the station — a station sent across a
 * district line (mutual aid) is still its own district's to track and release.
 */
function dispatchScope(scope: Scope, values: unknown[]): string {
  const byAlarm = scopePredicate(scope, { region: 'COALESCE(a.region_adcode, s.region_adcode)', unit: 'a.unit_id' }, values);
  const byStation = scopePredicate(scope, { region: 's.region_adcode' }, values);
  return `(${byAlarm} OR ${byStation})`;
}

/** Dispatches in `scope`; `stationId` (a station account's own station) narrows them to one station's orders. */
export function listDispatchesQuery(scope: Scope, f: { alarmId: number | null; open: boolean | null; limit: number; stationId?: number | null }): Query {
  const values: unknown[] = [f.alarmId, f.open, f.limit, f.stationId ?? null];
  const where = dispatchScope(scope, values);
  return {
    text: `SELECT ${DISPATCH_COLUMNS}
           FROM dispatches d JOIN stations s ON s.id = d.station_id LEFT JOIN alarms a ON a.id = d.alarm_id
           WHERE ($1::bigint IS NULL OR d.alarm_id = $1::bigint)
             AND ($2::boolean IS NULL OR (d.released_at IS NULL) = $2::boolean)
             AND ($4::bigint IS NULL OR d.station_id = $4::bigint)
             AND ${where}
           ORDER BY d.at DESC, d.id DESC LIMIT $3`,
    values,
  };
}

export function lockDispatchQuery(id: number, scope: Scope): Query {
  const values: unknown[] = [id];
  const where = dispatchScope(scope, values);
  return {
    text: `SELECT ${DISPATCH_COLUMNS}
           FROM dispatches d JOIN stations s ON s.id = d.station_id LEFT JOIN alarms a ON a.id = d.alarm_id
           WHERE d.id = $1 AND ${where} FOR UPDATE OF d`,
    values,
  };
}

export function releaseDispatchQuery(id: number, byUser: number | null): Query {
  return {
    text: `UPDATE dispatches SET released_at = now(), released_by = $2 WHERE id = $1 AND released_at IS NULL
           RETURNING id, station_id, released_at`,
    values: [id, byUser],
  };
}

export function openDispatchCountQuery(stationId: number): Query {
  return {
    text: `SELECT count(*)::int AS n FROM dispatches WHERE station_id = $1 AND released_at IS NULL`,
    values: [stationId],
  };
}

/** Does a district region the caller may see contain the point? */
export function pointInScopeQuery(scope: Scope, lon: number, lat: number): Query {
  const values: unknown[] = [lon, lat];
  const where = scopePredicate(scope, { region: 'r.adcode' }, values);
  return {
    text: `SELECT EXISTS (SELECT 1 FROM regions r
             WHERE r.level = 'district' AND ST_Covers(r.geom, ST_SetSRID(ST_MakePoint($1::float8, $2::float8), 4326))
               AND ${where}) AS ok`,
    values,
  };
}

/** The station a station account speaks for (users.station_id). */
export function ownStationQuery(userId: number): Query {
  return { text: 'SELECT station_id FROM users WHERE id = $1', values: [userId] };
}

/** The station of a dispatch record (scope is checked by lockDispatchQuery afterwards). */
export function dispatchStationQuery(dispatchId: number): Query {
  return { text: 'SELECT station_id FROM dispatches WHERE id = $1', values: [dispatchId] };
}

// ---- progress of a dispatch order (the fire-station workspace) ----

/** Progress columns in order; reporting one fills any earlier one still empty with the same time. */
export const PROGRESS_COLUMNS = ['acknowledged_at', 'turned_out_at', 'on_scene_at', 'returning_at'] as const;

export function progressRowQuery(id: number): Query {
  return {
    text: `SELECT d.id, d.station_id, d.at, d.released_at, ${PROGRESS_COLUMNS.map((c) => `d.${c}`).join(', ')}
           FROM dispatches d WHERE d.id = $1`,
    values: [id],
  };
}

/** Sets the columns up to and including `upTo` (those still empty) to now. */
export function setProgressQuery(id: number, upTo: (typeof PROGRESS_COLUMNS)[number]): Query {
  const cols = PROGRESS_COLUMNS.slice(0, PROGRESS_COLUMNS.indexOf(upTo) + 1);
  return {
    text: `UPDATE dispatches SET ${cols.map((c) => `${c} = COALESCE(${c}, now())`).join(', ')}
           WHERE id = $1 AND released_at IS NULL
           RETURNING id, ${PROGRESS_COLUMNS.join(', ')}`,
    values: [id],
  };
}
