// `npm run bench:analytics [-- --events N --units N --runs N]`: generates a year of events
// in SQL (generate_series, no round trips), backfills the rollups, then measures the
// latency of region, H3 and unit rates over 1 day, 30 days and 1 year. Prints figures.
//   --events N  events to generate (default 10 000 000, the issue's size)
//   --units N   units, one UITD and 20 points each (default 2 000)
//   --runs N    timed runs per query (default 5; median and max are printed)
//   --quick     = --events 500000 --runs 3
import pg from 'pg';
import type { BenchContext } from '@firelink/common/testing';
import { ratesQuery, METRICS, type GroupBy, type H3Res } from '../src/analytics/queries.ts';
import { refreshAnalytics } from '../src/analytics/service.ts';
import { positiveArg } from '../../ingest/bench/machine.ts';
import type { Scope } from '../src/auth/scope.ts';

const DISTRICTS = [330102, 330105, 330106, 330108, 330109, 330110, 330111, 330112, 330113, 330114];
const CHUNK = 1_000_000;
const YEAR_S = 365 * 86400;

export default async function bench(ctx: BenchContext): Promise<void> {
  const quick = ctx.args.includes('--quick');
  const events = positiveArg(ctx.args, 'events', quick ? 500_000 : 10_000_000);
  const units = positiveArg(ctx.args, 'units', 2000);
  const runs = positiveArg(ctx.args, 'runs', quick ? 3 : 5);
  const pool = new pg.Pool({ connectionString: ctx.databaseUrl, max: 4 });
  const out: string[] = [];
  const line = (s: string) => {
    out.push(s);
    ctx.log(s);
  };
  try {
    const end = new Date(Math.floor(Date.now() / 3600_000) * 3600_000);
    const start = new Date(end.getTime() - YEAR_S * 1000);
    let t0 = performance.now();
    await pool.query(`INSERT INTO regions (adcode, name, level, parent_adcode) VALUES (330000, '浙江省', 'province', NULL), (330100, '杭州市', 'city', 330000)`);
    await pool.query(`INSERT INTO regions (adcode, name, level, parent_adcode) SELECT a, 'district ' || a, 'district', 330100 FROM unnest($1::int[]) a`, [DISTRICTS]);
    // Units spread over ~50 × 55 km around Hangzhou; ids are 1..units.
    await pool.query(
      `INSERT INTO units (name, region_adcode, point, high_risk, has_control_room, onboarding_state, synthetic)
       SELECT 'bench unit ' || g, ($2::int[])[1 + g % 10],
              ST_SetSRID(ST_MakePoint(119.9 + ((g * 7919) % 1000) / 1000.0 * 0.6, 30.0 + ((g * 104729) % 1000) / 1000.0 * 0.5), 4326),
              g % 5 = 0, g % 7 <> 0, (ARRAY['open','open','open','reviewed','collecting','registered'])[1 + g % 6], true
       FROM generate_series(1, $1::int) g`,
      [units, DISTRICTS],
    );
    await pool.query(`INSERT INTO devices (unit_id, address) SELECT id, 100000 + id FROM units`);
    await pool.query(`INSERT INTO points (unit_id, component_type, component_address, in_fault)
                      SELECT u.id, 1, p, (u.id * 31 + p) % 50 = 0 FROM units u, generate_series(1, 20) p`);
    line(`setup: ${units} units, ${units} devices, ${units * 20} points (${(performance.now() - t0).toFixed(0)} ms)`);

    // Events: kind by a hash of g; spread evenly over the year in arrival order.
    // Kinds: 30 % fault, 25 % fault_cleared, 20 % status, 8 % supervisory, 3 % fire,
    // 2 % fire_cleared, 2 % host_offline, 2 % host_online, 8 % feedback.
    t0 = performance.now();
    for (let lo = 1; lo <= events; lo += CHUNK) {
      const hi = Math.min(events, lo + CHUNK - 1);
      const t1 = performance.now();
      await pool.query(
        `INSERT INTO events (dedupe_key, source, kind, device_id, unit_id, region_adcode, received_at, device_time)
         SELECT 'b' || g, 'gb26875',
                CASE WHEN k < 30 THEN 'fault' WHEN k < 55 THEN 'fault_cleared' WHEN k < 75 THEN 'status'
                     WHEN k < 83 THEN 'supervisory' WHEN k < 86 THEN 'fire' WHEN k < 88 THEN 'fire_cleared'
                     WHEN k < 90 THEN 'host_offline' WHEN k < 92 THEN 'host_online' ELSE 'feedback' END,
                u, u, ($5::int[])[1 + u % 10], t, t
         FROM (SELECT g, (g * 37) % 100 AS k, 1 + (g * 7919) % $3::bigint AS u,
                      -- in arrival order (as ingest writes them), ±30 min of jitter
                      $4::timestamptz + (((g - 1) * ${YEAR_S}.0 / $6::bigint) + ((g * 2654435761) % 3600) - 1800) * interval '1 second' AS t
               FROM generate_series($1::bigint, $2::bigint) g) s`,
        [lo, hi, units, start, DISTRICTS, events],
      );
      ctx.log(`  events ${hi.toLocaleString('en')} / ${events.toLocaleString('en')} (${((performance.now() - t1) / 1000).toFixed(1)} s)`);
    }
    const genS = (performance.now() - t0) / 1000;
    line(`generate ${events.toLocaleString('en')} events over one year: ${genS.toFixed(1)} s (${Math.round(events / genS).toLocaleString('en')} events/s)`);

    t0 = performance.now();
    // Every fire event became an alarm, verified: 70 % false, 20 % fire, 10 % test.
    const alarms = await pool.query(
      `INSERT INTO alarms (unit_id, device_id, kind, priority, state, verdict, opened_at, verified_at, first_event_id)
       SELECT unit_id, device_id, 'fire', 1, 'closed', (ARRAY['false_alarm','false_alarm','false_alarm','false_alarm','false_alarm','false_alarm','false_alarm','fire','fire','test'])[1 + id % 10],
              received_at, received_at + interval '3 minutes', id
       FROM events WHERE kind = 'fire'`,
    );
    // One duty check per unit per day: 90 % answered in 10–300 s, 10 % missed.
    const duty = await pool.query(
      `INSERT INTO duty_checks (device_id, unit_id, sent_at, timeout_s, answered_at, response_s, missed_at)
       SELECT d.id, d.unit_id, s, 600,
              CASE WHEN (d.id + extract(doy FROM s)::int) % 10 <> 0 THEN s + ((d.id * 13 + extract(doy FROM s)::int) % 290 + 10) * interval '1 second' END,
              CASE WHEN (d.id + extract(doy FROM s)::int) % 10 <> 0 THEN ((d.id * 13 + extract(doy FROM s)::int) % 290 + 10)::real END,
              CASE WHEN (d.id + extract(doy FROM s)::int) % 10 = 0 THEN s + interval '600 seconds' END
       FROM devices d, generate_series($1::timestamptz + (d.id % 24) * interval '1 hour', $2::timestamptz - interval '1 hour', interval '1 day') s`,
      [start, end],
    );
    line(`generate ${alarms.rowCount?.toLocaleString('en')} verified fire alarms, ${duty.rowCount?.toLocaleString('en')} duty checks: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    await pool.query('ANALYZE');

    t0 = performance.now();
    const full = await refreshAnalytics(pool);
    line(`rollup backfill: ${full.hours} dirty hours, ${full.cells} unit cells in ${(full.ms / 1000).toFixed(1)} s`);
    await pool.query('ANALYZE analytics_rollup');
    const sizes = await pool.query<{ grain: string; n: number }>(`SELECT grain, count(*)::int AS n FROM analytics_rollup GROUP BY grain ORDER BY grain`);
    line(`rollup rows: ${sizes.rows.map((r) => `${r.grain} ${r.n.toLocaleString('en')}`).join(', ')}`);

    // Incremental: a minute of live traffic (2 000 events in the current hour) then refresh.
    await pool.query(
      `INSERT INTO events (dedupe_key, source, kind, device_id, unit_id, received_at)
       SELECT 'live' || g, 'gb26875', CASE WHEN g % 3 = 0 THEN 'fault' ELSE 'status' END, 1 + g % $1::int, 1 + g % $1::int, now() - (g % 60) * interval '1 second'
       FROM generate_series(1, 2000) g`,
      [units],
    );
    const inc = await refreshAnalytics(pool);
    line(`incremental refresh after 2 000 new events: ${inc.hours} hour(s) in ${inc.ms.toFixed(0)} ms`);

    const windows: Array<[string, number]> = [['1 day', 1], ['30 days', 30], ['1 year', 365]];
    const groups: Array<[string, GroupBy, H3Res]> = [['region', 'region', 9], ['h3 res 6', 'h3', 6], ['h3 res 8', 'h3', 8], ['h3 res 9', 'h3', 9], ['unit', 'unit', 9]];
    const scopes: Array<[string, Scope]> = [['all', { kind: 'all' }], ['1 district', { kind: 'regions', adcodes: [330102] }]];
    line('');
    line('query latency of GET /api/stats/rates SQL (all 7 metrics), ms: median / max of ' + runs + ' runs');
    line(`${'group'.padEnd(10)} ${'scope'.padEnd(11)} ${windows.map(([w]) => w.padStart(16)).join(' ')}   rows (1 year)`);
    const now = new Date();
    for (const [label, by, res] of groups) {
      for (const [sl, scope] of scopes) {
        const cells: string[] = [];
        let rowsYear = 0;
        for (const [, days] of windows) {
          const from = new Date(now.getTime() - days * 86400_000);
          const times: number[] = [];
          for (let i = 0; i < runs; i++) {
            const t = performance.now();
            const r = await pool.query(ratesQuery({ by, res, from, to: now, metrics: METRICS, scope }));
            times.push(performance.now() - t);
            rowsYear = r.rowCount ?? 0;
          }
          times.sort((a, b) => a - b);
          cells.push(`${times[Math.floor(times.length / 2)]!.toFixed(0)} / ${times[times.length - 1]!.toFixed(0)}`.padStart(16));
        }
        line(`${label.padEnd(10)} ${sl.padEnd(11)} ${cells.join(' ')}   ${rowsYear}`);
      }
    }
    // The same one-year query straight from the source tables, for contrast.
    const t = performance.now();
    await pool.query(ratesQuery({ by: 'region', res: 9, from: new Date(now.getTime() - 365 * 86400_000), to: now, metrics: METRICS, scope: { kind: 'all' }, raw: true }));
    line(`reference: region rates over 1 year from raw tables (no rollup): ${(performance.now() - t).toFixed(0)} ms`);
    line('');
    line('Note: measured on a 2-core machine shared with other engineers\' builds and tests; figures are pessimistic.');
    process.stdout.write(out.join('\n') + '\n');
  } finally {
    await pool.end();
  }
}
