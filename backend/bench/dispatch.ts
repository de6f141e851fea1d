// `npm run bench:dispatch` — suggestion latency over random points in the demo city, and
// the time to compute 5-minute coverage for every station.
//
//   --points N   random incident points (default 1000)
//   --k K        stations per suggestion (default 5)
//   --check N    points also checked against brute-force routing (default 50)
//   --quick      200 points, 20 checks
//   --grid       use a generated 120 × 120 grid network instead of the geodata demo city
import { readFileSync } from 'node:fs';
import { ALL } from '../src/auth/scope.ts';
import { createPool } from '../src/db/pool.ts';
import { bruteForceTopStations } from '../src/dispatch/brute-force.ts';
import { computeCoverage, coverageByRegion, uncoveredUnits } from '../src/dispatch/coverage.ts';
import { seededRandom } from '@firelink/common';
import { loadGridNetwork } from '../src/dispatch/grid-network.ts';
import { suggestStations } from '../src/dispatch/suggest.ts';
import type { BenchContext } from '@firelink/common/testing';
import { percentile as pct, positiveArg } from '../../ingest/bench/machine.ts';

/** CPU seconds (user + system) of a local process, from /proc; null when not readable. */
function processCpuSeconds(pid: number): number | null {
  try {
    // Fields after the parenthesised command name: utime is the 12th, stime the 13th (clock ticks, 100 Hz).
    const rest = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(rest[11]) + Number(rest[12])) / 100;
  } catch {
    return null;
  }
}


export default async function bench(ctx: BenchContext): Promise<void> {
  const quick = ctx.args.includes('--quick');
  const points = positiveArg(ctx.args, 'points', quick ? 200 : 1000, { integer: true });
  const k = positiveArg(ctx.args, 'k', 5, { integer: true });
  const checks = positiveArg(ctx.args, 'check', quick ? 20 : 50, { integer: true });
  const pool = createPool(ctx.databaseUrl, 4);
  try {
    let source: string;
    const t0 = performance.now();
    if (ctx.args.includes('--grid')) {
      await loadGridNetwork(pool, { originLon: 118.6, originLat: 31.9, cols: 120, rows: 120, spacingM: 250, stations: 60, seed: 3 });
      source = 'generated 120 × 120 grid (250 m), 60 stations';
    } else {
      const { seedDemoSubset } = await import('@firelink/geodata');
      // The demo city's road network and stations; 2,400 Nanjing units with one point each
      // (points do not matter here, and keep the load short).
      await seedDemoSubset(pool, { units: 2400, maxPointsPerUnit: 1 });
      source = 'geodata demo city (Nanjing road network, stations, 2,400 units)';
    }
    ctx.log(`loaded ${source} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    await pool.query('ANALYZE');
    const size = (
      await pool.query(
        `SELECT (SELECT count(*) FROM roads WHERE cost_s IS NOT NULL)::int AS roads,
                (SELECT count(*) FROM road_vertices)::int AS vertices,
                (SELECT count(*) FROM stations)::int AS stations,
                (SELECT count(*) FROM stations WHERE status = 'available')::int AS available,
                (SELECT count(*) FROM units WHERE point IS NOT NULL)::int AS units,
                ST_XMin(e) AS xmin, ST_YMin(e) AS ymin, ST_XMax(e) AS xmax, ST_YMax(e) AS ymax
         FROM (SELECT ST_Extent(geom) AS e FROM roads) x`,
      )
    ).rows[0];

    const rnd = seededRandom(20261129);
    const pts: Array<[number, number]> = [];
    for (let i = 0; i < points; i++) {
      pts.push([size.xmin + rnd() * (size.xmax - size.xmin), size.ymin + rnd() * (size.ymax - size.ymin)]);
    }
    // One connection for the timed loop, so the database's CPU time can be read from its
    // backend process: a figure the other engineers' load does not inflate.
    const one = createPool(ctx.databaseUrl, 1);
    const backendPid = Number((await one.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
    // Warm-up: plans, caches, the network facts.
    for (const [lon, lat] of pts.slice(0, 20)) await suggestStations(one, { lon, lat, k });
    const cpuDb0 = processCpuSeconds(backendPid);
    const cpuNode0 = process.cpuUsage();

    const ms: number[] = [];
    let rounds = 0;
    let routed = 0;
    let snapped = 0;
    let roadSuggestions = 0;
    let total = 0;
    for (const [lon, lat] of pts) {
      const t = performance.now();
      const r = await suggestStations(one, { lon, lat, k });
      ms.push(performance.now() - t);
      rounds += r.stats.rounds;
      routed += r.stats.candidatesRouted;
      if (r.incident.snap) snapped++;
      roadSuggestions += r.suggestions.filter((s) => s.method === 'road').length;
      total += r.suggestions.length;
    }
    const cpuDb1 = processCpuSeconds(backendPid);
    const cpuNode = process.cpuUsage(cpuNode0);
    await one.end();
    const cpuDbMs = cpuDb0 != null && cpuDb1 != null ? ((cpuDb1 - cpuDb0) * 1000) / points : null;
    const cpuNodeMs = (cpuNode.user + cpuNode.system) / 1000 / points;
    ms.sort((a, b) => a - b);

    let mismatches = 0;
    const tc = performance.now();
    for (const [lon, lat] of pts.slice(0, checks)) {
      const r = await suggestStations(pool, { lon, lat, k });
      const truth = await bruteForceTopStations(pool, lon, lat);
      const same = r.suggestions.every((s, j) => s.stationId === truth[j]?.id && Math.abs(s.etaSeconds - truth[j]!.eta) <= 0.051);
      if (!same || r.suggestions.length !== Math.min(k, truth.length)) mismatches++;
    }
    const checkMs = (performance.now() - tc) / Math.max(1, checks);

    const cov = await computeCoverage(pool);
    const tr = performance.now();
    const regions = await coverageByRegion(pool, ALL);
    const uncovered = await uncoveredUnits(pool, ALL, 100_000);
    const readMs = performance.now() - tr;
    const units = regions.reduce((a, r) => a + r.units, 0);
    const covered = regions.reduce((a, r) => a + r.covered, 0);

    const line = (label: string, value: string) => console.log(`  ${label.padEnd(38)} ${value}`);
    console.log(`\ndispatch benchmark — ${source}`);
    console.log('  (2 shared cores, other engineers busy: figures are pessimistic)\n');
    line('road edges / vertices', `${size.roads} / ${size.vertices}`);
    line('stations (available)', `${size.stations} (${size.available})`);
    console.log('\nsuggestions');
    line('points, k', `${points}, ${k}`);
    line('latency p50 / p90 / p99 / max', `${pct(ms, 50).toFixed(1)} / ${pct(ms, 90).toFixed(1)} / ${pct(ms, 99).toFixed(1)} / ${ms[ms.length - 1]!.toFixed(1)} ms`);
    line('latency mean', `${(ms.reduce((a, b) => a + b, 0) / ms.length).toFixed(1)} ms`);
    line('p99 target', `< 50 ms: ${pct(ms, 99) < 50 ? 'met' : 'NOT met on this machine now'}`);
    line('CPU per suggestion (PostgreSQL + Node)', `${cpuDbMs == null ? '—' : cpuDbMs.toFixed(1)} + ${cpuNodeMs.toFixed(1)} ms (load-independent: the work itself)`);
    line('incident snapped to a road', `${snapped} of ${points}`);
    line('suggestions by road', `${roadSuggestions} of ${total}`);
    line('routing rounds per query (mean)', (rounds / points).toFixed(2));
    line('candidates routed per query (mean)', `${(routed / points).toFixed(1)} of ${size.available} available`);
    line('brute-force check', `${checks - mismatches} of ${checks} equal (brute force ${checkMs.toFixed(0)} ms/point incl. suggestion)`);
    console.log('\ncoverage (5 minutes)');
    line('stations computed (road / straight)', `${cov.stations} (${cov.road} / ${cov.straight})`);
    line('time for all stations', `${(cov.elapsedMs / 1000).toFixed(2)} s (${(cov.elapsedMs / Math.max(1, cov.stations)).toFixed(0)} ms/station)`);
    line('units covered', `${covered} of ${units} (${units ? ((100 * covered) / units).toFixed(1) : '—'} %)`);
    line('uncovered units listed', `${uncovered.features.length}`);
    line('per-region shares + uncovered read', `${readMs.toFixed(0)} ms`);
    for (const r of regions) {
      line(`  ${r.regionAdcode ?? '(none)'} ${r.regionName ?? ''}`.slice(0, 38), `${r.covered}/${r.units} = ${r.share == null ? '—' : (100 * r.share).toFixed(1) + ' %'}`);
    }
    if (mismatches > 0) process.exitCode = 1;
  } finally {
    await pool.end();
  }
}
