// `npm run bench:supervision`: the follow-up task rules over 100,000 units and the
// supervisor's task list, median of three runs each.
//
// Data: 100,000 open units in 11 Nanjing districts, one district supervisor each (with a
// chief) responsible for every unit of the district; open alarms in the proportions a
// center sees (1% of units with the host offline, 0.5% off duty, 3% with an open fault),
// 15,000 verified false alarms over 45 days, 2,000 disabled points, 1% of units with
// drawings overdue, and a year of closed alarm history (300,000 rows) in the same table.
//
// Figures: the rule run that creates the tasks (tasks deleted before each run), the steady
// run that finds them all present (what every SUPERVISION_EVAL_MS tick costs), split into
// reading the snapshot and the pure rules; GET /api/supervision/tasks for a district
// supervisor (view=mine, pending) and for an admin (view=all, first 200). Then the second
// part: the inspection plan over every unit beside its baseline, the analytics inspection
// ranking alone (the plan calls it); the plan list, the league, agency and supervisor
// statistics and a district's monthly table over HTTP. 50 maintenance agencies hold the units.
//
// Options: --units N (default 100000) | --runs N (default 3) | --quick (= --units 10000 --runs 1,
// a smoke run; the sizes given beside it win)
import type { BenchContext } from '@firelink/common/testing';
import { createTestUser, ensureRegions } from '../src/auth/testing.ts';
import { createPool } from '../src/db/pool.ts';
import { loadConfig } from '../src/kernel/config.ts';
import { createLogger } from '../src/logger.ts';
import { startServer } from '../src/main.ts';
import { evaluateRules, type RuleConfig } from '../src/supervision/domain/rules.ts';
import { supervisionFeature } from '../src/supervision/feature.ts';
import type { SupervisionService } from '../src/supervision/service.ts';
import type { SupervisionWork } from '../src/supervision/work-service.ts';
import { prioritiesQuery } from '../src/analytics/queries.ts';
import { refreshAnalytics } from '../src/analytics/service.ts';
import { ALL } from '../src/auth/scope.ts';
import { median, positiveArg } from '../../ingest/bench/machine.ts';

const DISTRICTS = [320102, 320104, 320105, 320106, 320111, 320113, 320114, 320115, 320116, 320117, 320118];
const RULES: RuleConfig = { hostOfflineHours: 24, offDutyHours: 24, faultRepairHours: 72, falseAlarmCount: 3, falseAlarmWindowDays: 30, disabledPointDays: 30 };

const ms = (x: number) => `${x.toFixed(1)} ms`;

export default async function bench(ctx: BenchContext): Promise<void> {
  const quick = ctx.args.includes('--quick');
  const units = positiveArg(ctx.args, 'units', quick ? 10_000 : 100_000, { integer: true });
  const runs = positiveArg(ctx.args, 'runs', quick ? 1 : 3, { integer: true });
  const pool = createPool(ctx.databaseUrl);
  let service: SupervisionService | undefined;
  let work: SupervisionWork | undefined;
  const server = await startServer({
    config: loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', FIRELINK_DEMO: '0' }),
    databaseUrl: ctx.databaseUrl,
    logger: createLogger('warn'),
    features: [supervisionFeature({ options: { rules: RULES, taskDays: 7, everyMs: 0 }, expose: (s, w) => ((service = s), (work = w)) })],
  });
  const base = `http://127.0.0.1:${server.httpPort}`;
  try {
    const t0 = performance.now();
    await ensureRegions(pool, DISTRICTS);
    await pool.query(
      `INSERT INTO units (name, region_adcode, point, onboarding_state, synthetic, drawings_due)
       SELECT '模拟单位' || g, ($2::int[])[1 + g % array_length($2::int[], 1)],
              ST_SetSRID(ST_MakePoint(118.5 + random() * 0.6, 31.8 + random() * 0.5), 4326), 'open', true,
              CASE WHEN g % 100 = 42 THEN current_date - (1 + g % 20) END
       FROM generate_series(1, $1) g`,
      [units, DISTRICTS],
    );
    // One point per unit; 2% disabled for 0–60 days.
    await pool.query(
      `INSERT INTO points (unit_id, component_type, component_address, state, state_changed_at)
       SELECT id, 42, 1, CASE WHEN id % 50 = 0 THEN 'disabled' ELSE 'normal' END,
              CASE WHEN id % 50 = 0 THEN now() - random() * interval '60 days' END
       FROM units`,
    );
    const alarms = (kind: string, priority: number, where: string, age: string, extra = `'open', NULL, NULL`) =>
      pool.query(
        `INSERT INTO alarms (unit_id, kind, priority, region_adcode, opened_at, state, verdict, verified_at)
         SELECT id, '${kind}', ${priority}, region_adcode, now() - random() * interval '${age}', ${extra} FROM units WHERE ${where}`,
      );
    await alarms('host_offline', 2, 'id % 100 = 0', '72 hours');
    await alarms('off_duty', 3, 'id % 200 = 7', '72 hours');
    await alarms('fault', 4, 'id % 33 = 1', '10 days');
    // 5,000 units with three verified false alarms each over 45 days.
    await pool.query(
      `INSERT INTO alarms (unit_id, kind, priority, region_adcode, opened_at, state, verdict, verified_at, closed_at)
       SELECT u.id, 'fire', 1, u.region_adcode, t, 'closed', 'false_alarm', t + interval '5 minutes', t + interval '10 minutes'
       FROM units u, LATERAL (SELECT now() - random() * interval '45 days' AS t FROM generate_series(1, 3) k WHERE u.id > 0) x
       WHERE u.id % 20 = 3`,
    );
    // A year of closed history.
    await pool.query(
      `INSERT INTO alarms (unit_id, kind, priority, region_adcode, opened_at, state, closed_at)
       SELECT u.id, CASE WHEN g % 3 = 0 THEN 'fire' ELSE 'fault' END, 4, u.region_adcode, t, 'closed', t + interval '2 hours'
       FROM generate_series(1, 300000) g
       JOIN units u ON u.id = 1 + (g::bigint * 7919) % $1,
       LATERAL (SELECT now() - interval '45 days' - (g % 320) * interval '1 day' AS t) x`,
      [units],
    );
    const chief = await createTestUser(pool, { role: 'supervisor', regions: [320100], username: 'bench_chief' });
    const supervisors = [];
    for (const d of DISTRICTS) {
      const s = await createTestUser(pool, { role: 'supervisor', regions: [d], username: `bench_sup_${d}`, ttlHours: 4 });
      await pool.query(`INSERT INTO supervisor_chiefs (supervisor_id, chief_id) VALUES ($1, $2)`, [s.userId, chief.userId]);
      await pool.query(`INSERT INTO supervision_assignments (unit_id, supervisor_id) SELECT id, $1 FROM units WHERE region_adcode = $2`, [s.userId, d]);
      supervisors.push(s);
    }
    const admin = await createTestUser(pool, { role: 'admin', ttlHours: 4 });
    await pool.query(`INSERT INTO maintenance_agencies (name) SELECT '模拟维保' || g FROM generate_series(1, 50) g`);
    await pool.query(`UPDATE units SET maintenance_agency_id = (SELECT min(id) FROM maintenance_agencies) + id % 50`);
    const tr = performance.now();
    await refreshAnalytics(pool);
    ctx.log(`analytics rollups refreshed in ${((performance.now() - tr) / 1000).toFixed(1)} s`);
    await pool.query('ANALYZE');
    const counts = (
      await pool.query(`SELECT (SELECT count(*) FROM units)::int AS units, (SELECT count(*) FROM alarms WHERE state <> 'closed')::int AS open,
                               (SELECT count(*) FROM alarms)::int AS alarms, (SELECT count(*) FROM points WHERE state = 'disabled')::int AS disabled`)
    ).rows[0];
    ctx.log(`seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${counts.units} units, ${counts.open} open alarms of ${counts.alarms}, ${counts.disabled} disabled points`);

    const svc = service!;
    // Creating: the run that finds every task missing.
    const create: number[] = [];
    let created = 0;
    for (let i = 0; i < runs; i++) {
      await pool.query(`TRUNCATE supervision_tasks CASCADE`);
      await pool.query(`DELETE FROM outbox WHERE channel = 'supervision'`);
      const t = performance.now();
      created = (await svc.evaluate()).created;
      create.push(performance.now() - t);
    }
    // Steady: every task already there (each periodic tick).
    const steady: number[] = [];
    const read: number[] = [];
    const pure: number[] = [];
    let candidates = 0;
    for (let i = 0; i < runs; i++) {
      let t = performance.now();
      const r = await svc.evaluate();
      steady.push(performance.now() - t);
      if (r.created !== 0) throw new Error(`steady run created ${r.created} tasks: the rule run is not idempotent`);
      t = performance.now();
      const snap = await svc.snapshot(new Date());
      read.push(performance.now() - t);
      t = performance.now();
      candidates = evaluateRules(snap, RULES, new Date()).length;
      pure.push(performance.now() - t);
    }

    const list = async (headers: Record<string, string>, query: string) => {
      const times: number[] = [];
      let n = 0;
      for (let i = 0; i <= runs; i++) {
        const t = performance.now();
        const res = await fetch(`${base}/api/supervision/tasks?${query}`, { headers });
        const body = (await res.json()) as { total: number; items: unknown[] };
        if (res.status !== 200) throw new Error(`GET /api/supervision/tasks answered ${res.status}`);
        if (i > 0) times.push(performance.now() - t); // the first request warms the connection
        n = body.total;
      }
      return { ms: median(times), total: n };
    };
    const mine = await list(supervisors[0]!.headers, 'view=mine&state=open,in_progress,checked&limit=500');
    const all = await list(admin.headers, 'view=all&limit=200');

    // Second part: the plan beside the ranking it calls, then the reads over HTTP.
    const w2 = work!;
    const adminP = { userId: admin.userId, username: admin.username, role: 'admin' as const, scope: ALL };
    const ranking: number[] = [];
    const plan: number[] = [];
    let planned = 0;
    for (let i = 0; i < runs; i++) {
      const now = new Date();
      let t = performance.now();
      await pool.query(prioritiesQuery({ from: new Date(now.getTime() - 90 * 86_400_000), to: now, scope: ALL, region: null, limit: 1_000_000, disabledDays: RULES.disabledPointDays }));
      ranking.push(performance.now() - t);
      await pool.query(`TRUNCATE supervision_inspection_plan`);
      t = performance.now();
      planned = (await w2.generatePlan(adminP, { windowDays: 90 }, null)).units;
      plan.push(performance.now() - t);
    }
    // Regenerating an unchanged plan (the rows are not rewritten).
    const replan: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      await w2.generatePlan(adminP, { windowDays: 90 }, null);
      replan.push(performance.now() - t);
    }
    const get = async (headers: Record<string, string>, path: string) => {
      const times: number[] = [];
      let body: Record<string, unknown> = {};
      for (let i = 0; i <= runs; i++) {
        const t = performance.now();
        const res = await fetch(`${base}/api/supervision${path}`, { headers });
        body = (await res.json()) as Record<string, unknown>;
        if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${JSON.stringify(body)}`);
        if (i > 0) times.push(performance.now() - t);
      }
      return { ms: median(times), body };
    };
    const planMine = await get(supervisors[0]!.headers, '/plan?view=mine&limit=500');
    const league = await get(admin.headers, '/league');
    const agencies = await get(admin.headers, '/stats/agencies?kind=maintenance');
    const supStats = await get(admin.headers, '/stats/supervisors');
    const month = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 7);
    const monthly = await get(supervisors[0]!.headers, `/monthly-units?month=${month}`);

    const rows: Array<[string, string, string]> = [
      ['rule run, creating every task', ms(median(create)), `${created} tasks from ${counts.open} open alarms`],
      ['rule run, tasks already present', ms(median(steady)), `${candidates} candidates, 0 created`],
      ['  of which reading the snapshot', ms(median(read)), 'alarms, false alarms, disabled points, drawings'],
      ['  of which the pure rules', ms(median(pure)), `${units} units`],
      ['task list, district supervisor (mine, pending)', ms(mine.ms), `${mine.total} tasks`],
      ['task list, admin (all, first 200)', ms(all.ms), `${all.total} tasks`],
      ['baseline: analytics inspection ranking, 90 days', ms(median(ranking)), `${units} units`],
      ['inspection plan from the ranking (bands, write)', ms(median(plan)), `${planned} units planned (empty plan before)`],
      ['  regenerating an unchanged plan', ms(median(replan)), 'no row rewritten'],
      ['plan list, district supervisor (mine, first 500)', ms(planMine.ms), `${planMine.body.total} units`],
      ['league, admin (cities and districts)', ms(league.ms), `${(league.body.items as unknown[]).length} regions`],
      ['maintenance agency statistics, admin (30 days)', ms(agencies.ms), `${(agencies.body.items as unknown[]).length} agencies`],
      ['supervisor statistics, admin (30 days)', ms(supStats.ms), `${(supStats.body.items as unknown[]).length} supervisors`],
      ['monthly unit table, district supervisor', ms(monthly.ms), `${(monthly.body.rows as unknown[]).length} rows`],
    ];
    const w = Math.max(...rows.map((r) => r[0].length));
    process.stdout.write(`supervision benchmark: ${units} units, median of ${runs} runs\n`);
    for (const [a, b, c] of rows) process.stdout.write(`${a.padEnd(w)}  ${b.padStart(10)}  ${c}\n`);
  } finally {
    await server.close();
    await pool.end();
  }
}
