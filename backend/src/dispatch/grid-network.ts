// A generated road network with stations, for dispatch tests and the benchmark when the
// geodata demo city is not loaded: a jittered grid of local streets (30 km/h) with an
// arterial (60 km/h) every `arterialEvery` lines, some one-way streets, some missing
// blocks, and stations scattered over it. Deterministic for a given seed.
import type pg from 'pg';
import { seededRandom } from '@firelink/common';

export interface GridNetworkOptions {
  /** South-west corner. */
  originLon: number;
  originLat: number;
  cols: number;
  rows: number;
  spacingM: number;
  stations: number;
  seed?: number;
  arterialEvery?: number;
  /** Share of local edges made one-way (random direction). */
  onewayShare?: number;
  /** Share of local edges left out. */
  missingShare?: number;
  /** Extra stations placed beyond the snap tolerance, off the network. */
  offNetworkStations?: number;
}

export interface GridNetwork {
  vertices: number;
  edges: number;
  stationIds: number[];
  bbox: { west: number; south: number; east: number; north: number };
}


export async function loadGridNetwork(db: pg.Pool | pg.ClientBase, o: GridNetworkOptions): Promise<GridNetwork> {
  const rnd = seededRandom(o.seed ?? 7);
  const every = o.arterialEvery ?? 5;
  const mLon = 111_320 * Math.cos((o.originLat * Math.PI) / 180);
  const mLat = 110_574;
  const vid = (r: number, c: number) => r * o.cols + c + 1;
  const xs: number[] = [];
  const ys: number[] = [];
  const ids: number[] = [];
  for (let r = 0; r < o.rows; r++) {
    for (let c = 0; c < o.cols; c++) {
      // ±15 % jitter breaks ETA ties, so "the top k" has one answer.
      const jx = (rnd() - 0.5) * 0.3 * o.spacingM;
      const jy = (rnd() - 0.5) * 0.3 * o.spacingM;
      ids.push(vid(r, c));
      xs.push(o.originLon + (c * o.spacingM + jx) / mLon);
      ys.push(o.originLat + (r * o.spacingM + jy) / mLat);
    }
  }
  const src: number[] = [];
  const tgt: number[] = [];
  const cls: string[] = [];
  const speed: number[] = [];
  const oneway: number[] = [];
  const addEdge = (a: number, b: number, arterial: boolean) => {
    if (!arterial && rnd() < (o.missingShare ?? 0.05)) return;
    src.push(a);
    tgt.push(b);
    cls.push(arterial ? 'primary' : 'local');
    speed.push(arterial ? 60 : 30);
    oneway.push(!arterial && rnd() < (o.onewayShare ?? 0.12) ? (rnd() < 0.5 ? 1 : -1) : 0);
  };
  for (let r = 0; r < o.rows; r++) {
    for (let c = 0; c < o.cols; c++) {
      if (c + 1 < o.cols) addEdge(vid(r, c), vid(r, c + 1), r % every === 0);
      if (r + 1 < o.rows) addEdge(vid(r, c), vid(r + 1, c), c % every === 0);
    }
  }
  await db.query(
    `INSERT INTO road_vertices (id, geom)
     SELECT id, ST_SetSRID(ST_MakePoint(x, y), 4326) FROM unnest($1::bigint[], $2::float8[], $3::float8[]) AS t(id, x, y)`,
    [ids, xs, ys],
  );
  await db.query(
    `INSERT INTO roads (class, oneway, speed_kmh, source, target, geom, synthetic)
     SELECT t.cls, t.oneway, t.speed, t.s, t.t, ST_MakeLine(a.geom, b.geom), true
     FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::real[], $5::smallint[]) AS t(s, t, cls, speed, oneway)
     JOIN road_vertices a ON a.id = t.s JOIN road_vertices b ON b.id = t.t`,
    [src, tgt, cls, speed, oneway],
  );
  // Costs in seconds from geodesic length and class speed; one-way closes a direction (-1).
  await db.query(
    `UPDATE roads SET length_m = ST_Length(geom::geography),
       cost_s = CASE WHEN oneway = -1 THEN -1 ELSE ST_Length(geom::geography) / (speed_kmh / 3.6) END,
       reverse_cost_s = CASE WHEN oneway = 1 THEN -1 ELSE ST_Length(geom::geography) / (speed_kmh / 3.6) END
     WHERE synthetic`,
  );
  const west = o.originLon;
  const south = o.originLat;
  const east = o.originLon + ((o.cols - 1) * o.spacingM) / mLon;
  const north = o.originLat + ((o.rows - 1) * o.spacingM) / mLat;
  const sx: number[] = [];
  const sy: number[] = [];
  const names: string[] = [];
  const statuses: string[] = [];
  for (let i = 0; i < o.stations; i++) {
    sx.push(west + rnd() * (east - west));
    sy.push(south + rnd() * (north - south));
    names.push(`测试消防站 ${i + 1}`);
    const u = rnd();
    statuses.push(u < 0.1 ? 'dispatched' : u < 0.15 ? 'out_of_service' : 'available');
  }
  for (let i = 0; i < (o.offNetworkStations ?? 0); i++) {
    // 1–3 km north of the grid: far beyond the snap tolerance.
    sx.push(west + rnd() * (east - west));
    sy.push(north + (1000 + rnd() * 2000) / mLat);
    names.push(`离网消防站 ${i + 1}`);
    statuses.push('available');
  }
  const st = await db.query(
    `INSERT INTO stations (name, point, status, synthetic)
     SELECT n, ST_SetSRID(ST_MakePoint(x, y), 4326), s, true
     FROM unnest($1::text[], $2::float8[], $3::float8[], $4::text[]) WITH ORDINALITY AS t(n, x, y, s, i)
     ORDER BY i RETURNING id`,
    [names, sx, sy, statuses],
  );
  return { vertices: ids.length, edges: src.length, stationIds: st.rows.map((r) => Number(r.id)), bbox: { west, south, east, north } };
}
