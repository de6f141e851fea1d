// Enrichment of committed events with where they are: unit name, building, point label,
// floor and WGS84 position (the point's when drawn, else the unit's).
import type { Query } from '../db/pool.ts';

export function unitPlaces(ids: number[]): Query {
  return {
    text: `SELECT id, name, building_id, region_adcode, ST_X(point) AS lon, ST_Y(point) AS lat FROM units WHERE id = ANY($1::bigint[])`,
    values: [ids],
  };
}

export function pointPlaces(ids: number[]): Query {
  return {
    text: `SELECT id, label, floor, ST_X(position) AS lon, ST_Y(position) AS lat FROM points WHERE id = ANY($1::bigint[])`,
    values: [ids],
  };
}
