// Water sources scattered over a generated network, and the nearest ones found the slow
// obvious way, for the test and the benchmark's spot checks. The brute force is written
// apart from nearest.ts: every edge in memory, the point and every usable source as extra
// nodes on their edges, one Dijkstra over the whole graph.
import type pg from 'pg';
import { seededRandom } from '@firelink/common';
import { SNAP_TOLERANCE_M } from '../dispatch/model.ts';

/** Inserts `n` water sources uniformly in the box (some beyond it, off the network); ~10 % not usable. */
export async function scatterWaterSources(
  db: pg.Pool | pg.ClientBase,
  bbox: { west: number; south: number; east: number; north: number },
  n: number,
  seed = 5,
): Promise<void> {
  const rnd = seededRandom(seed);
  const xs: number[] = [];
  const ys: number[] = [];
  const kinds: string[] = [];
  const statuses: string[] = [];
  const padLat = (bbox.north - bbox.south) * 0.05;
  for (let i = 0; i < n; i++) {
    xs.push(bbox.west + rnd() * (bbox.east - bbox.west));
    ys.push(bbox.south - padLat + rnd() * (bbox.north - bbox.south + 2 * padLat));
    const u = rnd();
    kinds.push(u < 0.85 ? 'hydrant' : u < 0.95 ? 'pool' : 'natural');
    const v = rnd();
    statuses.push(v < 0.06 ? 'out_of_service' : v < 0.1 ? 'under_repair' : 'usable');
  }
  for (let i = 0; i < xs.length; i += 20_000) {
    await db.query(
      `INSERT INTO water_sources (external_id, kind, status, point, synthetic)
       SELECT 'gen-' || ($5::int + t.i), t.k, t.s, ST_SetSRID(ST_MakePoint(t.x, t.y), 4326), true
       FROM unnest($1::float8[], $2::float8[], $3::text[], $4::text[]) WITH ORDINALITY AS t(x, y, k, s, i)`,
      [xs.slice(i, i + 20_000), ys.slice(i, i + 20_000), kinds.slice(i, i + 20_000), statuses.slice(i, i + 20_000), i],
    );
  }
}

interface EdgeSnap {
  road: number;
  source: number;
  target: number;
  len: number;
  f: number;
  snapM: number;
}

// The nearest of the 8 edges nearest by the index, by geodesic distance.
const snapSql = (pt: string) => `(SELECT x.road, x.source, x.target, x.len, x.f,
    ST_Distance(ST_LineInterpolatePoint(x.geom, x.f)::geography, ${pt}::geography) AS snap_m
  FROM (SELECT r.id AS road, r.source, r.target, r.length_m AS len, r.geom, ST_LineLocatePoint(r.geom, ${pt}) AS f
        FROM roads r WHERE r.source IS NOT NULL AND r.target IS NOT NULL AND r.cost_s IS NOT NULL AND r.length_m IS NOT NULL
        ORDER BY r.geom <-> ${pt} LIMIT 8) x
  ORDER BY snap_m, x.road LIMIT 1)`;

/**
 * Loads the network and every usable source's snap once; the returned function gives every
 * source's road distance from a point, nearest first (off-network sources left out).
 */
export async function bruteForceNearestWater(db: pg.Pool | pg.ClientBase): Promise<(lon: number, lat: number) => Promise<Array<{ id: number; d: number }>>> {
  const edges = (await db.query(`SELECT id, source, target, length_m FROM roads WHERE source IS NOT NULL AND target IS NOT NULL AND cost_s IS NOT NULL AND length_m IS NOT NULL`)).rows;
  const sources = (
    await db.query(`SELECT w.id, s.* FROM water_sources w CROSS JOIN LATERAL ${snapSql('w.point')} s WHERE w.status = 'usable'`)
  ).rows;
  return async (lon, lat) => {
    const p = (await db.query(`WITH q AS (SELECT ST_SetSRID(ST_MakePoint($1::float8, $2::float8), 4326) AS g) SELECT s.* FROM q CROSS JOIN LATERAL ${snapSql('q.g')} s`, [lon, lat])).rows[0];
    const adj = new Map<string, Array<[string, number]>>();
    const link = (a: string, b: string, w: number) => {
      if (!adj.has(a)) adj.set(a, []);
      if (!adj.has(b)) adj.set(b, []);
      adj.get(a)!.push([b, w]);
      adj.get(b)!.push([a, w]);
    };
    // Edges split where the point or a source meets them: pieces between consecutive marks.
    const marks = new Map<number, Array<{ node: string; f: number }>>();
    const mark = (s: EdgeSnap, node: string) => {
      const list = marks.get(Number(s.road)) ?? [];
      list.push({ node, f: Number(s.f) });
      marks.set(Number(s.road), list);
    };
    const P: EdgeSnap = { road: p.road, source: p.source, target: p.target, len: p.len, f: p.f, snapM: p.snap_m };
    mark(P, 'P*');
    for (const w of sources) if (w.snap_m <= SNAP_TOLERANCE_M) mark({ road: w.road, source: w.source, target: w.target, len: w.len, f: w.f, snapM: w.snap_m }, `W*${w.id}`);
    for (const e of edges) {
      const list = (marks.get(Number(e.id)) ?? []).slice().sort((a, b) => a.f - b.f);
      let prev = { node: `v${e.source}`, f: 0 };
      for (const m of [...list, { node: `v${e.target}`, f: 1 }]) {
        link(prev.node, m.node, (m.f - prev.f) * e.length_m);
        prev = m;
      }
    }
    // Dijkstra from the point (a simple binary heap).
    const dist = new Map<string, number>([['P*', 0]]);
    const heap: Array<[number, string]> = [[0, 'P*']];
    const push = (x: [number, string]) => {
      heap.push(x);
      let i = heap.length - 1;
      while (i > 0) {
        const j = (i - 1) >> 1;
        if (heap[j]![0] <= heap[i]![0]) break;
        [heap[i], heap[j]] = [heap[j]!, heap[i]!];
        i = j;
      }
    };
    const pop = (): [number, string] => {
      const top = heap[0]!;
      const last = heap.pop()!;
      if (heap.length > 0) {
        heap[0] = last;
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < heap.length && heap[l]![0] < heap[m]![0]) m = l;
          if (r < heap.length && heap[r]![0] < heap[m]![0]) m = r;
          if (m === i) break;
          [heap[i], heap[m]] = [heap[m]!, heap[i]!];
          i = m;
        }
      }
      return top;
    };
    while (heap.length > 0) {
      const [d, n] = pop();
      if (d > (dist.get(n) ?? Infinity)) continue;
      for (const [m, w] of adj.get(n) ?? []) {
        const nd = d + w;
        if (nd < (dist.get(m) ?? Infinity)) {
          dist.set(m, nd);
          push([nd, m]);
        }
      }
    }
    return sources
      .filter((w) => w.snap_m <= SNAP_TOLERANCE_M && dist.has(`W*${w.id}`))
      .map((w) => ({ id: Number(w.id), d: p.snap_m + dist.get(`W*${w.id}`)! + w.snap_m }))
      .sort((a, b) => a.d - b.d || a.id - b.id);
  };
}
