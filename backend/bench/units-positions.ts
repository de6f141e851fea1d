// `npm run bench:units`: GET /api/units/positions (the wall's unit loader) response time and
// size, for the demo city and for 100,000 units (demo city + synthetic units in Nanjing,
// one device each, 1% with an open alarm), as admin (everything) and as a district
// supervisor; compared with paging GET /api/units 500 at a time (what the wall did before).
//
// Options: --quick (20,000 units, 5 runs) | --units N (default 100000) | --runs N (default 9)
//          | --no-legacy (skip the paging comparison)
import { gzipSync } from 'node:zlib';
import { decodeUnitPositions } from '@firelink/common';
import type { BenchContext } from '@firelink/common/testing';
import { seedDemo } from '@firelink/geodata';
import { createTestUser, type TestUser } from '../src/auth/testing.ts';
import { principalForUser } from '../src/auth/authenticate.ts';
import { loadConfig } from '../src/kernel/config.ts';
import { createPool } from '../src/db/pool.ts';
import { createLogger } from '../src/logger.ts';
import { startServer } from '../src/main.ts';
import { loadOnboardingConfig } from '../src/onboarding/config.ts';
import { onboardingFeature } from '../src/onboarding/feature.ts';
import { packUnitPositions } from '../src/units/positions.ts';
import { unitPositions } from '../src/units/queries.ts';
import { median, positiveArg } from '../../ingest/bench/machine.ts';

const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

export default async function bench(ctx: BenchContext): Promise<void> {
  const quick = ctx.args.includes('--quick');
  const target = positiveArg(ctx.args, 'units', quick ? 20_000 : 100_000, { integer: true });
  const runs = positiveArg(ctx.args, 'runs', quick ? 5 : 9, { integer: true });
  const legacy = !ctx.args.includes('--no-legacy');
  const pool = createPool(ctx.databaseUrl);
  const server = await startServer({
    config: loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' }),
    databaseUrl: ctx.databaseUrl,
    logger: createLogger('warn'),
    features: [onboardingFeature({ config: loadOnboardingConfig({}) })],
  });
  const base = `http://127.0.0.1:${server.httpPort}`;
  try {
    ctx.log('seeding the demo city (units, devices, a few points each; no roads)');
    const seed = await seedDemo(pool, { roads: false, maxPointsPerUnit: 3 });
    ctx.log(`demo city: ${seed.units} units, ${seed.devices} devices`);
    const district = Number(
      (await pool.query(`SELECT region_adcode FROM units WHERE region_adcode IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`)).rows[0].region_adcode,
    );
    const admin = await createTestUser(pool, { role: 'admin' });
    const supervisor = await createTestUser(pool, { role: 'supervisor', regions: [district] });

    const rows: string[][] = [];
    const measure = async (label: string, user: TestUser) => {
      const times: number[] = [];
      let bytes = new Uint8Array(0);
      let etag = '';
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        const res = await fetch(`${base}/api/units/positions`, { headers: user.headers });
        bytes = new Uint8Array(await res.arrayBuffer());
        times.push(performance.now() - t0);
        etag = res.headers.get('etag') ?? '';
      }
      const t1 = performance.now();
      const p = decodeUnitPositions(bytes);
      const decodeMs = performance.now() - t1;
      const jsonT: number[] = [];
      let jsonBytes = 0;
      for (let i = 0; i < Math.min(runs, 3); i++) {
        const t0 = performance.now();
        const res = await fetch(`${base}/api/units/positions?format=json`, { headers: user.headers });
        const text = await res.text();
        JSON.parse(text);
        jsonT.push(performance.now() - t0);
        jsonBytes = Buffer.byteLength(text);
      }
      const revalT: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        const res = await fetch(`${base}/api/units/positions`, { headers: { ...user.headers, 'if-none-match': etag } });
        await res.arrayBuffer();
        if (res.status !== 304) throw new Error(`expected 304 on revalidation, got ${res.status}`);
        revalT.push(performance.now() - t0);
      }
      // Where the time goes: the SQL alone, and SQL + packing in-process (no HTTP).
      const scope = (await principalForUser(pool, user.userId))!.scope;
      const sqlT: number[] = [];
      const packT: number[] = [];
      for (let i = 0; i < runs; i++) {
        const q = unitPositions(scope);
        let t0 = performance.now();
        await pool.query({ text: q.text, values: q.values, rowMode: 'array' });
        sqlT.push(performance.now() - t0);
        t0 = performance.now();
        await packUnitPositions(pool, scope);
        packT.push(performance.now() - t0);
      }
      let legacyMs = NaN;
      let legacyBytes = NaN;
      if (legacy) {
        const t0 = performance.now();
        legacyBytes = 0;
        const page = async (o: number) => {
          const res = await fetch(`${base}/api/units?limit=500&offset=${o}`, { headers: user.headers });
          const text = await res.text();
          legacyBytes += Buffer.byteLength(text);
          return JSON.parse(text) as { total: number };
        };
        const first = await page(0);
        const offsets: number[] = [];
        for (let o = 500; o < first.total; o += 500) offsets.push(o);
        for (let i = 0; i < offsets.length; i += 4) await Promise.all(offsets.slice(i, i + 4).map(page));
        legacyMs = performance.now() - t0;
      }
      rows.push([
        label,
        String(p.count),
        `${median(times).toFixed(0)} ms`,
        `${median(sqlT).toFixed(0)} / ${median(packT).toFixed(0)} ms`,
        kb(bytes.byteLength),
        kb(gzipSync(bytes).byteLength),
        `${decodeMs.toFixed(2)} ms`,
        `${median(jsonT).toFixed(0)} ms / ${kb(jsonBytes)}`,
        `${median(revalT).toFixed(1)} ms`,
        legacy ? `${legacyMs.toFixed(0)} ms / ${kb(legacyBytes)}` : '-',
      ]);
    };

    await measure('demo city, admin', admin);
    await measure(`demo city, district ${district}`, supervisor);

    const have = Number((await pool.query(`SELECT count(*) FROM units`)).rows[0].count);
    const extra = Math.max(0, target - have);
    ctx.log(`adding ${extra} synthetic units (one device each) to reach ${target}`);
    const t0 = performance.now();
    await pool.query(
      `WITH d AS (SELECT array_agg(adcode ORDER BY adcode) AS codes FROM regions WHERE level = 'district' AND adcode / 100 = 3201),
            s AS (SELECT g, d.codes[1 + g % array_length(d.codes, 1)] AS region FROM generate_series(1, $1::int) g, d)
       INSERT INTO units (name, region_adcode, point, onboarding_state, has_control_room, high_risk)
       SELECT 'bench ' || g, region,
              ST_SetSRID(ST_MakePoint(118.5 + (g * 0.6180339887 % 1) * 0.6, 31.85 + (g * 0.7548776662 % 1) * 0.45), 4326),
              CASE WHEN g % 5 = 0 THEN 'collecting' ELSE 'open' END, g % 3 = 0, g % 17 = 0
       FROM s`,
      [extra],
    );
    await pool.query(
      `INSERT INTO devices (unit_id, address, online)
       SELECT id, 900000000 + id, id % 23 <> 0 FROM units WHERE name LIKE 'bench %'`,
    );
    await pool.query(
      `INSERT INTO alarms (unit_id, kind, priority, region_adcode)
       SELECT id, CASE WHEN id % 3 = 0 THEN 'fire' ELSE 'fault' END, CASE WHEN id % 3 = 0 THEN 1 ELSE 4 END, region_adcode
       FROM units WHERE name LIKE 'bench %' AND id % 100 = 0`,
    );
    await pool.query('ANALYZE units; ANALYZE devices; ANALYZE alarms');
    ctx.log(`synthetic units in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    await measure(`${target} units, admin`, admin);
    await measure(`${target} units, district ${district}`, supervisor);

    const head = ['case', 'units', 'binary median', 'SQL / SQL+pack', 'binary size', 'gzip size', 'decode', 'JSON (?format=json)', '304 revalidate', 'old: paging /api/units'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
    console.log(`\nGET /api/units/positions, ${runs} runs each (medians; loopback HTTP, 2 shared cores: pessimistic)`);
    console.log(line(head));
    console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
    for (const r of rows) console.log(line(r));
  } finally {
    await server.close();
    await pool.end();
  }
}
