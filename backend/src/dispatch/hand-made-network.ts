// A six-vertex road network with known travel times, for dispatch tests (known answers).
import type pg from 'pg';

// Hand-made network, metres east (x) and north (y) of (118.8, 32.0):
//
//   V5(1000,1000) ──100 s── V6(2000,1000)
//     │ 100 s                 │ 100 s
//   V1(0,0) ─60 s─ V2(1000,0) ═60 s, one-way east═▶ V3(2000,0) ─60 s─ V4(3000,0)
//
// Stations: A at V1, B at V4, C at V5, D at V6 (dispatched), E 5 km north (off network).
const LON0 = 118.8;
const LAT0 = 32.0;
const M_LON = 111_320 * Math.cos((LAT0 * Math.PI) / 180);
const M_LAT = 110_574;
export const at = (x: number, y: number): [number, number] => [LON0 + x / M_LON, LAT0 + y / M_LAT];

export async function loadHandMadeNetwork(db: pg.Pool | pg.ClientBase): Promise<Record<string, number>> {
  const v: Record<number, [number, number]> = { 1: [0, 0], 2: [1000, 0], 3: [2000, 0], 4: [3000, 0], 5: [1000, 1000], 6: [2000, 1000] };
  for (const [id, [x, y]] of Object.entries(v)) {
    await db.query('INSERT INTO road_vertices (id, geom) VALUES ($1, ST_SetSRID(ST_MakePoint($2, $3), 4326))', [id, ...at(x, y)]);
  }
  // [source, target, cost_s, reverse_cost_s]
  const edges: Array<[number, number, number, number]> = [
    [1, 2, 60, 60],
    [2, 3, 60, -1],
    [3, 4, 60, 60],
    [2, 5, 100, 100],
    [5, 6, 100, 100],
    [6, 3, 100, 100],
  ];
  for (const [s, t, c, rc] of edges) {
    await db.query(
      `INSERT INTO roads (source, target, cost_s, reverse_cost_s, oneway, geom)
       SELECT $1, $2, $3::float8, $4::float8, CASE WHEN $4::float8 < 0 THEN 1 ELSE 0 END, ST_MakeLine(a.geom, b.geom)
       FROM road_vertices a, road_vertices b WHERE a.id = $1 AND b.id = $2`,
      [s, t, c, rc],
    );
  }
  const stations: Array<[string, [number, number], string]> = [
    ['A', at(0, 0), 'available'],
    ['B', at(3000, 0), 'available'],
    ['C', at(1000, 1000), 'available'],
    ['D', at(2000, 1000), 'dispatched'],
    ['E', at(1500, 5000), 'available'],
  ];
  const ids: Record<string, number> = {};
  for (const [name, [lon, lat], status] of stations) {
    const r = await db.query(
      `INSERT INTO stations (name, point, status) VALUES ($1, ST_SetSRID(ST_MakePoint($2, $3), 4326), $4) RETURNING id`,
      [name, lon, lat, status],
    );
    ids[name] = Number(r.rows[0].id);
  }
  return ids;
}

