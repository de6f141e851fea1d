import { createPool } from '../src/db/pool.ts';
import { suggestStations } from '../src/dispatch/suggest.ts';
import { prng } from '../src/dispatch/grid-network.ts';
const pool = createPool(process.argv[2]!, 2);
const times = new Map<string, number[]>();
const orig = pool.query.bind(pool);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
(pool as any).query = async (q: any, v?: any) => { const t = performance.now(); const r = await orig(q, v); const key = String(q.text ?? q).replace(/\s+/g,' ').slice(0, 60); (times.get(key) ?? times.set(key, []).get(key)!).push(performance.now() - t); return r; };
const rnd = prng(5);
const box = (await orig('SELECT ST_XMin(e) x0, ST_YMin(e) y0, ST_XMax(e) x1, ST_YMax(e) y1 FROM (SELECT ST_Extent(geom) e FROM roads) q')).rows[0];
const all: number[] = [];
for (let i = 0; i < 100; i++) {
  const lon = box.x0 + rnd() * (box.x1 - box.x0), lat = box.y0 + rnd() * (box.y1 - box.y0);
  const t = performance.now();
  await suggestStations(pool, { lon, lat, k: 5 });
  if (i >= 10) all.push(performance.now() - t);
}
all.sort((a,b)=>a-b);
console.log('p50', all[45], 'p99', all[all.length-1]);
for (const [k, v] of times) console.log(v.length, (v.reduce((a,b)=>a+b,0)/v.length).toFixed(1), k);
await pool.end();
