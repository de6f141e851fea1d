// Enrichment of committed events with where they are: unit name, building, point label,
// floor and WGS84 position (the point's when drawn, else the unit's).
import type { Query } from '../db/pool.ts';

export function enrichEvents(rows: Array<{ id: number; unitId: number | null; pointId: number | null }>): Query {
  return {
    text: `SELECT e.id, u.name AS unit_name, u.building_id, u.region_adcode AS unit_region, p.label AS point_label, p.floor,
                  ST_X(COALESCE(p.position, u.point)) AS lon, ST_Y(COALESCE(p.position, u.point)) AS lat
             FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS e(id, unit_id, point_id)
             LEFT JOIN units u ON u.id = e.unit_id
             LEFT JOIN points p ON p.id = e.point_id`,
    values: [rows.map((r) => r.id), rows.map((r) => r.unitId), rows.map((r) => r.pointId)],
  };
}
