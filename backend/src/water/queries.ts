// SQL of water sources: candidates by spherical distance with their road snap, distances
// along the road network (undirected, metres), the layer as GeoJSON, status changes.
import { scopePredicate, type Scope } from '../auth/scope.ts';
import type { Query } from '../db/pool.ts';

/** Drivable edges with a length: the network the nearest search walks (`a` = table alias). */
const edgeFilter = (a: string) => `${a}.source IS NOT NULL AND ${a}.target IS NOT NULL AND ${a}.cost_s IS NOT NULL AND ${a}.length_m IS NOT NULL`;
export const WATER_EDGE_FILTER = edgeFilter('roads');

const SNAP = (pt: string) => `(
  SELECT x.id, x.source, x.target, x.length_m, x.f,
         ST_Distance(ST_LineInterpolatePoint(x.geom, x.f)::geography, ${pt}::geography) AS snap_m
  FROM (SELECT r.id, r.source, r.target, r.length_m, r.geom, ST_LineLocatePoint(r.geom, ${pt}) AS f
        FROM roads r WHERE ${edgeFilter('r')}
        ORDER BY r.geom <-> ${pt} LIMIT 4) x
  ORDER BY snap_m, x.id LIMIT 1)`;

/** The incident's road edge (nearest by geodesic distance among the 4 nearest by index). */
export function snapPointQuery(lon: number, lat: number): Query {
  return {
    text: `WITH p AS (SELECT ST_SetSRID(ST_MakePoint($1::float8, $2::float8), 4326) AS g)
           SELECT s.* FROM p CROSS JOIN LATERAL ${SNAP('p.g')} s`,
    values: [lon, lat],
  };
}

/**
 * Usable water sources by spherical distance (KNN on the partial geography index), each
 * with its road snap. `limit` rows: the caller asks for one more than it routes, so the
 * next candidate's distance bounds everything unfetched.
 */
export function candidateSourcesQuery(lon: number, lat: number, limit: number): Query {
  return {
    text: `WITH p AS (SELECT ST_SetSRID(ST_MakePoint($1::float8, $2::float8), 4326) AS g),
           c AS (
             SELECT w.id, w.kind, w.name, w.status, w.flow_lps, w.capacity_m3, w.address, w.point,
                    ST_X(w.point) AS lon, ST_Y(w.point) AS lat,
                    w.point::geography <-> p.g::geography AS straight_m
             FROM water_sources w, p WHERE w.status = 'usable'
             ORDER BY w.point::geography <-> p.g::geography LIMIT $3)
           SELECT c.id, c.kind, c.name, c.status, c.flow_lps, c.capacity_m3, c.address, c.lon, c.lat, c.straight_m,
                  s.id AS road_id, s.source, s.target, s.length_m, s.f, s.snap_m
           FROM c LEFT JOIN LATERAL ${SNAP('c.point')} s ON true
           ORDER BY c.straight_m, c.id`,
    values: [lon, lat, limit],
  };
}

/**
 * Shortest road distances (metres, either direction: hoses and water relays follow the
 * street, not its one-way signs) from each `from` vertex to each `to` vertex, on the edges
 * inside the box (or the whole network when `full`).
 */
export function roadDistancesQuery(p: {
  lon: number;
  lat: number;
  dLon: number;
  dLat: number;
  full: boolean;
  from: readonly number[];
  to: readonly number[];
}): Query {
  return {
    text: `SELECT start_vid AS from_vertex, end_vid AS to_vertex, agg_cost AS metres
           FROM pgr_dijkstraCost(
             format('SELECT id, source, target, length_m AS cost, length_m AS reverse_cost FROM roads
                     WHERE ${WATER_EDGE_FILTER} %s',
                    CASE WHEN $5::boolean THEN ''
                         ELSE format('AND geom && ST_Expand(ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s, %s)', $1::float8, $2::float8, $3::float8, $4::float8) END),
             $6::bigint[], $7::bigint[], false)`,
    values: [p.lon, p.lat, p.dLon, p.dLat, p.full, p.from, p.to],
  };
}

export function networkExtentQuery(): Query {
  return {
    text: `SELECT ST_XMin(e) AS xmin, ST_YMin(e) AS ymin, ST_XMax(e) AS xmax, ST_YMax(e) AS ymax
           FROM (SELECT ST_Extent(geom) AS e FROM roads WHERE ${WATER_EDGE_FILTER}) x`,
    values: [],
  };
}

const SOURCE_COLUMNS = `w.id, w.external_id, w.kind, w.name, w.status, w.status_changed_at, w.flow_lps, w.capacity_m3,
  w.address, w.note, w.region_adcode, ST_X(w.point) AS lon, ST_Y(w.point) AS lat`;

/** Water sources in the caller's jurisdiction, optionally within a box, by id from `afterId` (exclusive) on. */
export function listSourcesQuery(scope: Scope, f: { bbox: readonly [number, number, number, number] | null; status: string | null; afterId: number | null; limit: number }): Query {
  const values: unknown[] = [];
  const where = [scopePredicate(scope, { region: 'w.region_adcode' }, values)];
  if (f.bbox) {
    values.push(...f.bbox);
    const n = values.length;
    where.push(`w.point && ST_MakeEnvelope($${n - 3}, $${n - 2}, $${n - 1}, $${n}, 4326)`);
  }
  if (f.status) {
    values.push(f.status);
    where.push(`w.status = $${values.length}`);
  }
  if (f.afterId != null) {
    values.push(f.afterId);
    where.push(`w.id > $${values.length}`);
  }
  values.push(f.limit);
  return {
    text: `SELECT ${SOURCE_COLUMNS} FROM water_sources w WHERE ${where.join(' AND ')} ORDER BY w.id LIMIT $${values.length}`,
    values,
  };
}

export function lockSourceQuery(id: number, scope: Scope): Query {
  const values: unknown[] = [id];
  const where = scopePredicate(scope, { region: 'w.region_adcode' }, values);
  return { text: `SELECT ${SOURCE_COLUMNS} FROM water_sources w WHERE w.id = $1 AND ${where} FOR UPDATE`, values };
}

export function setSourceStatusQuery(id: number, status: string, note: string | null): Query {
  return {
    text: `UPDATE water_sources w SET status = $2, status_changed_at = now(), note = COALESCE($3, note), updated_at = now()
           WHERE id = $1 RETURNING ${SOURCE_COLUMNS}`,
    values: [id, status, note],
  };
}

/**
 * Moves the geodata version so that every API node drops its cached tiles (tiles/cache.ts): a
 * status change must reach the water_sources layer. Status changes are rare (a hydrant
 * found dry, repaired), so clearing the whole tile cache for one is cheap enough.
 */
export function bumpTilesVersionQuery(): Query {
  return { text: 'UPDATE geodata_state SET version = version + 1, updated_at = now() WHERE id = 1', values: [] };
}
