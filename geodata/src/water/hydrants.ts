// Demo water sources: hydrants along the demo city's streets, fire ponds beside some
// high-risk units, and a drafting point on the shore of each water body. Set-based SQL,
// deterministic (statuses from a hash of the external id), idempotent by external id.
import type pg from 'pg';

/** Hydrant spacing along a street, metres (GB 50974: at most 120 m apart on municipal roads). */
export const DEMO_HYDRANT_SPACING_M = 120;

export async function seedDemoWaterSources(c: pg.Pool | pg.ClientBase, spacingM = DEMO_HYDRANT_SPACING_M): Promise<number> {
  // Hydrants: every `spacingM` along each synthetic drivable street (not motorways), half a
  // step in from each end so intersections do not get two. ~4 % out of service, ~3 % under repair.
  await c.query(
    `INSERT INTO water_sources (external_id, kind, name, status, flow_lps, point, synthetic)
     SELECT 'demo-hydrant-' || r.id || '-' || k, 'hydrant', NULL,
            CASE WHEN abs(hashtext(r.id || '-' || k)) % 100 < 4 THEN 'out_of_service'
                 WHEN abs(hashtext(r.id || '-' || k)) % 100 < 7 THEN 'under_repair' ELSE 'usable' END,
            CASE WHEN r.class IN ('primary', 'trunk', 'secondary', 'arterial', '主干路', '快速路') THEN 15 ELSE 10 END,
            ST_LineInterpolatePoint(r.geom, LEAST(1, (k - 0.5) * $1::float8 / r.length_m)), true
     FROM roads r
     CROSS JOIN LATERAL generate_series(1, GREATEST(1, floor(r.length_m / $1::float8))::int) AS k
     WHERE r.synthetic AND r.length_m >= $1::float8 / 2 AND r.class NOT IN ('motorway', 'motorway_link')
     ON CONFLICT (external_id) DO NOTHING`,
    [spacingM],
  );
  // Fire ponds (消防水池): beside every fifth high-risk unit, 25 m east of it.
  await c.query(
    `INSERT INTO water_sources (external_id, kind, name, status, capacity_m3, point, synthetic)
     SELECT 'demo-pool-' || u.id, 'pool', u.name || '消防水池', 'usable', 300 + (u.id % 5) * 100,
            ST_Translate(u.point, 25 / (111320 * cos(radians(ST_Y(u.point)))), 0), true
     FROM units u WHERE u.synthetic AND u.high_risk AND u.point IS NOT NULL AND u.id % 5 = 0
     ON CONFLICT (external_id) DO NOTHING`,
  );
  // Natural sources (天然水源): a drafting point on each water body's shore nearest a road.
  await c.query(
    `INSERT INTO water_sources (external_id, kind, name, status, point, synthetic)
     SELECT 'demo-natural-' || w.id, 'natural', COALESCE(w.name, '天然水源') || '取水点', 'usable',
            ST_ClosestPoint(ST_Boundary(w.geom), r.geom), true
     FROM water w
     CROSS JOIN LATERAL (SELECT geom FROM roads ORDER BY roads.geom <-> w.geom LIMIT 1) r
     ON CONFLICT (external_id) DO NOTHING`,
  );
  await c.query(
    `UPDATE water_sources ws SET region_adcode = rg.adcode
       FROM regions rg
      WHERE ws.synthetic AND ws.region_adcode IS NULL AND rg.level = 'district' AND ST_Covers(rg.geom, ws.point)`,
  );
  const total = await c.query(`SELECT count(*)::int AS n FROM water_sources WHERE synthetic`);
  return total.rows[0].n;
}
