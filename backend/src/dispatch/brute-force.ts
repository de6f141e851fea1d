// Routing to EVERY available station, the slow obvious way, to check the pruned search
// against (tests, and the benchmark's spot checks). Deliberately independent of
// suggest.ts: the forward graph over the whole network, from each station to both ends
// of the incident's edge.
import type pg from 'pg';
import { ACCESS_SPEED_MPS, SNAP_TOLERANCE_M, straightEtaSeconds } from './model.ts';

/**
 * Brute force, written independently of suggest.ts: the FORWARD graph over the whole
 * network, many-to-many from every station vertex to both ends of the incident's edge.
 */
export async function bruteForceTopStations(db: pg.Pool | pg.ClientBase, lon: number, lat: number): Promise<Array<{ id: number; eta: number }>> {
  const snap = (
    await db.query(
      `WITH p AS (SELECT ST_SetSRID(ST_MakePoint($1::float8, $2::float8), 4326) AS g)
       SELECT r.id, r.source, r.target, r.cost_s, r.reverse_cost_s, ST_LineLocatePoint(r.geom, p.g) AS f,
              ST_Distance(ST_LineInterpolatePoint(r.geom, ST_LineLocatePoint(r.geom, p.g))::geography, p.g::geography) AS d
       FROM roads r, p ORDER BY d, r.id LIMIT 1`,
      [lon, lat],
    )
  ).rows[0];
  const stations = (
    await db.query(
      `SELECT s.id, ST_Distance(s.point::geography, ST_SetSRID(ST_MakePoint($1::float8, $2::float8), 4326)::geography) AS dist,
              v.id AS vid, v.d AS vd
       FROM stations s CROSS JOIN LATERAL (
         SELECT rv.id, ST_Distance(rv.geom::geography, s.point::geography) AS d FROM road_vertices rv
         ORDER BY rv.geom <-> s.point LIMIT 1) v
       WHERE s.status = 'available'`,
      [lon, lat],
    )
  ).rows;
  const costs = new Map<string, number>();
  const r = await db.query(
    `SELECT start_vid, end_vid, agg_cost FROM pgr_dijkstraCost(
       'SELECT id, source, target, cost_s AS cost, reverse_cost_s AS reverse_cost FROM roads',
       $1::bigint[], $2::bigint[], true)`,
    [stations.map((s) => s.vid), [snap.source, snap.target]],
  );
  for (const x of r.rows) costs.set(`${x.start_vid}:${x.end_vid}`, x.agg_cost);
  const pathCost = (from: number, to: number) => (Number(from) === Number(to) ? 0 : costs.get(`${from}:${to}`));
  return stations
    .map((s) => {
      const options: number[] = [];
      const viaS = pathCost(s.vid, snap.source);
      if (viaS !== undefined && snap.cost_s >= 0) options.push(viaS + snap.f * snap.cost_s);
      const viaT = pathCost(s.vid, snap.target);
      if (viaT !== undefined && snap.reverse_cost_s >= 0) options.push(viaT + (1 - snap.f) * snap.reverse_cost_s);
      const road = options.length ? Math.min(...options) : undefined;
      const eta =
        road === undefined || s.vd > SNAP_TOLERANCE_M || snap.d > SNAP_TOLERANCE_M
          ? straightEtaSeconds(s.dist)
          : s.vd / ACCESS_SPEED_MPS + road + snap.d / ACCESS_SPEED_MPS;
      return { id: Number(s.id), eta };
    })
    .sort((a, b) => a.eta - b.eta || a.id - b.id);
}

