// `npm run bench:water` — nearest usable water sources by road with 50,000 hydrants along
// the demo city's streets: p50 / p99 per query over random incident points, three runs
// (median of the three reported), beside a baseline measured in the same run on the same
// points (the straight-line KNN of the same index, one query: what any search must pay).
// A few points are also checked against the brute force (every source, whole network).
//
//   --hydrants N  hydrants along the streets (default 50000)
//   --points N    incident points per run (default 500)
//   --k K         sources per query (default 5)
//   --quick       150 points, 1 check
import { loadavg } from 'node:os';
import { createPool } from '../src/db/pool.ts';
import { seededRandom } from '@firelink/common';
import { nearestWaterSources } from '../src/water/nearest.ts';
import { bruteForceNearestWater } from '../src/water/testing.ts';
import type { BenchContext } from '@firelink/common/testing';
import { median, percentile as pct, positiveArg } from '../../ingest/bench/machine.ts';


export default async function bench(ctx: BenchContext): Promise<void> {
  const quick = ctx.args.includes('--quick');
  const hydrants = positiveArg(ctx.args, 'hydrants', 50_000, { integer: true });
  const points = positiveArg(ctx.args, 'points', quick ? 150 : 500, { integer: true });
  const k = positiveArg(ctx.args, 'k', 5, { integer: true });
  const checks = quick ? 1 : 3;
  const pool = createPool(ctx.databaseUrl, 2);
  try {
    const t0 = performance.now();
    const { seedDemoSubset, seedDemoWaterSources } = await import('@firelink/geodata');
    await seedDemoSubset(pool, { units: 400, maxPointsPerUnit: 1 });
    // Replace the demo's water sources by `hydrants` hydrants spread evenly along the streets.
    const streets = Number((await pool.query(`SELECT sum(length_m) AS m FROM roads WHERE synthetic AND class NOT IN ('motorway', 'motorway_link')`)).rows[0].m);
    await pool.query('DELETE FROM water_sources');
    // Per street the count rounds down: seed denser, then drop a deterministic sample to exactly `hydrants`.
    await seedDemoWaterSources(pool, (0.7 * streets) / hydrants);
    await pool.query(
      `DELETE FROM water_sources WHERE id IN (SELECT id FROM water_sources WHERE kind = 'hydrant' ORDER BY hashtext(external_id), id
         LIMIT GREATEST(0, (SELECT count(*) FROM water_sources WHERE kind = 'hydrant') - $1))`,
      [hydrants],
    );
    const n = (await pool.query(`SELECT count(*)::int AS n, count(*) FILTER (WHERE status = 'usable')::int AS usable FROM water_sources WHERE kind = 'hydrant'`)).rows[0];
    await pool.query('ANALYZE');
    const e = (await pool.query(`SELECT ST_XMin(e) x0, ST_YMin(e) y0, ST_XMax(e) x1, ST_YMax(e) y1 FROM (SELECT ST_Extent(geom) e FROM roads) s`)).rows[0];
    ctx.log(`loaded the demo city and ${n.n} hydrants (${n.usable} usable) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const rnd = seededRandom(20261204);
    const pts: Array<[number, number]> = [];
    // Points in the middle half of the road extent: the city, not its empty margins.
    for (let i = 0; i < points; i++) pts.push([e.x0 + (0.25 + rnd() / 2) * (e.x1 - e.x0), e.y0 + (0.25 + rnd() / 2) * (e.y1 - e.y0)]);
    const one = createPool(ctx.databaseUrl, 1);
    for (const [lon, lat] of pts.slice(0, 20)) await nearestWaterSources(one, { lon, lat, k });

    const runs: Array<{ p50: number; p99: number; base50: number; base99: number; rounds: number }> = [];
    for (let run = 0; run < 3; run++) {
      const t: number[] = [];
      const b: number[] = [];
      let rounds = 0;
      for (const [lon, lat] of pts) {
        const s0 = performance.now();
        await one.query(
          `SELECT id FROM water_sources WHERE status = 'usable' ORDER BY point::geography <-> ST_SetSRID(ST_MakePoint($1::float8, $2::float8), 4326)::geography LIMIT $3`,
          [lon, lat, k],
        );
        b.push(performance.now() - s0);
        const s1 = performance.now();
        const r = await nearestWaterSources(one, { lon, lat, k });
        t.push(performance.now() - s1);
        rounds += r.stats.rounds;
      }
      t.sort((x, y) => x - y);
      b.sort((x, y) => x - y);
      runs.push({ p50: pct(t, 50), p99: pct(t, 99), base50: pct(b, 50), base99: pct(b, 99), rounds: rounds / pts.length });
      ctx.log(`run ${run + 1}: p50 ${pct(t, 50).toFixed(1)} ms, p99 ${pct(t, 99).toFixed(1)} ms (baseline p99 ${pct(b, 99).toFixed(1)} ms)`);
    }
    // Spot checks against the brute force (every usable source, the whole network).
    const brute = await bruteForceNearestWater(one);
    let agree = 0;
    for (const [lon, lat] of pts.slice(0, checks)) {
      const truth = (await brute(lon, lat)).slice(0, k).map((x) => x.id);
      const got = (await nearestWaterSources(one, { lon, lat, k })).sources.map((s) => s.id);
      if (JSON.stringify(truth) === JSON.stringify(got)) agree++;
    }
    await one.end();
    const line = (label: string, value: string) => console.log(`  ${label.padEnd(44)} ${value}`);
    console.log(`\nwater benchmark — demo city streets, ${n.n} hydrants (${n.usable} usable), k = ${k}, ${points} points × 3 runs`);
    console.log(`  load average ${loadavg().map((x) => x.toFixed(1)).join(' / ')} (2 shared cores)\n`);
    line('nearest by road p50 (median of 3 runs)', `${median(runs.map((r) => r.p50)).toFixed(1)} ms`);
    line('nearest by road p99 (median of 3 runs)', `${median(runs.map((r) => r.p99)).toFixed(1)} ms`);
    line('baseline straight KNN p50 (median of 3)', `${median(runs.map((r) => r.base50)).toFixed(1)} ms`);
    line('baseline straight KNN p99 (median of 3)', `${median(runs.map((r) => r.base99)).toFixed(1)} ms`);
    line('p99 of each run', runs.map((r) => r.p99.toFixed(1)).join(' / ') + ' ms');
    line('rounds per query (mean)', runs[0]!.rounds.toFixed(2));
    line('brute-force spot checks agreeing', `${agree} / ${checks}`);
  } finally {
    await pool.end();
  }
}
