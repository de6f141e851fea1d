// `npm run bench:station` — the station home with 5,000 units in the station's area: how long
// the screen's loads take over HTTP against the real server, as the page makes them:
//   list   GET /api/station/units (the list's first page and every unit's map point, one answer)
//   map    the list, then a street-zoom screen of the water_sources vector tiles around the
//          station (4 × 3 tiles at z14, as MapLibre's 512 px tiles cover 1920 × 1080)
//   map (JSON water, before)  the list, then the area's water sources page by page
//          (GET /api/water/sources): what the page did before the water tiles
//   home   GET /api/station/home (station, districts, 5-minute area)
// p50 / p99 per load over --loads loads, three runs (median of the three reported), beside a
// baseline measured in the same run on the same server and units: the command map's plain
// units load (GET /api/units/positions, packed positions of the same 5,000 units).
//
//   --units N   units in the station's district (default 5000)
//   --loads N   loads per run (default 40)
//   --quick     15 loads per run
import { loadavg } from 'node:os';
import { WATER_LIST_MAX, stationUnitListSchema, waterSourceListSchema } from '@firelink/common';
import type { BenchContext } from '@firelink/common/testing';
import { accessFeature } from '../src/auth/feature.ts';
import { createTestUser } from '../src/auth/testing.ts';
import { createPool } from '../src/db/pool.ts';
import { dispatchFeature } from '../src/dispatch/feature.ts';
import { configSchema } from '../src/kernel/config.ts';
import { createLogger } from '../src/logger.ts';
import { startServer } from '../src/main.ts';
import { median, percentile, positiveArg } from '../../ingest/bench/machine.ts';
import { onboardingFeature } from '../src/onboarding/feature.ts';
import { stationFeature } from '../src/station/feature.ts';
import { tilesFeature } from '../src/tiles/feature.ts';
import { waterFeature } from '../src/water/feature.ts';

export default async function bench(ctx: BenchContext): Promise<void> {
  const quick = ctx.args.includes('--quick');
  const units = positiveArg(ctx.args, 'units', 5000, { integer: true });
  const loads = positiveArg(ctx.args, 'loads', quick ? 15 : 40, { integer: true });
  const pool = createPool(ctx.databaseUrl, 2);
  try {
    const t0 = performance.now();
    const { seedDemoSubset } = await import('@firelink/geodata');
    await seedDemoSubset(pool, { units: 100, maxPointsPerUnit: 1 });
    // The station of the district with the most stations; its district gets `units` more units.
    const st = (
      await pool.query(
        `SELECT s.id, s.name, s.region_adcode FROM stations s WHERE s.region_adcode IS NOT NULL
          ORDER BY (SELECT count(*) FROM stations t WHERE t.region_adcode = s.region_adcode) DESC, s.id LIMIT 1`,
      )
    ).rows[0];
    const adcode = Number(st.region_adcode);
    const have = Number((await pool.query(`SELECT count(*) FROM units WHERE region_adcode = $1`, [adcode])).rows[0].count);
    // Random points inside the district; categories as the demo uses them; 1 in 10 high risk;
    // half visited within the year; 1 in 100 with an open alarm.
    await pool.query(
      `INSERT INTO units (name, address, category, high_risk, point, region_adcode, synthetic, onboarding_state)
       SELECT '压测单位 ' || g, '压测路 ' || g || ' 号', (SELECT category FROM units ORDER BY id OFFSET (g % 20) LIMIT 1), g % 10 = 0,
              (ST_Dump(ST_GeneratePoints(r.geom, 1, g))).geom, r.adcode, true, 'open'
         FROM regions r, generate_series(1, $2::int) g WHERE r.adcode = $1`,
      [adcode, Math.max(0, units - have)],
    );
    await pool.query(
      `INSERT INTO unit_visits (unit_id, by_name, visited_at, note)
       SELECT id, '压测', now() - make_interval(days => (id % 700)::int), '熟悉' FROM units WHERE region_adcode = $1 AND id % 2 = 0`,
      [adcode],
    );
    await pool.query(
      `INSERT INTO alarms (unit_id, kind, priority, state, region_adcode, location)
       SELECT id, 'fault', 3, 'open', region_adcode, point FROM units WHERE region_adcode = $1 AND id % 100 = 0`,
      [adcode],
    );
    await pool.query('ANALYZE');
    const inArea = Number((await pool.query(`SELECT count(*) FROM units WHERE region_adcode = $1 AND onboarding_state <> 'closed'`, [adcode])).rows[0].count);
    const water = Number((await pool.query(`SELECT count(*) FROM water_sources w JOIN regions r ON r.adcode = $1 AND ST_Intersects(r.geom, w.point)`, [adcode])).rows[0].count);
    const user = await createTestUser(pool, { role: 'station', regions: [adcode], ttlHours: 4 });
    await pool.query('UPDATE users SET station_id = $2 WHERE id = $1', [user.userId, st.id]);
    ctx.log(`seeded: station ${st.name}, district ${adcode}: ${inArea} units, ${water} water sources, in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const config = configSchema.parse({ PORT: '0', HOST: '127.0.0.1', FIRELINK_DEMO: '0', DUTY_CHECKS_PER_SHIFT: '0', LOG_LEVEL: 'warn' });
    const server = await startServer({
      config,
      databaseUrl: ctx.databaseUrl,
      logger: createLogger(process.env.BENCH_LOG_LEVEL ?? 'fatal'),
      features: [accessFeature, onboardingFeature(), dispatchFeature, waterFeature, stationFeature, tilesFeature],
    });
    const base = `http://127.0.0.1:${server.httpPort}`;
    const get = async (path: string): Promise<{ body: unknown; bytes: number }> => {
      const r = await fetch(`${base}${path}`, { headers: user.headers });
      const text = await r.text();
      if (!r.ok) throw new Error(`${path}: HTTP ${r.status} ${text.slice(0, 200)}`);
      return { body: JSON.parse(text === '' ? 'null' : text) as unknown, bytes: text.length };
    };
    const getRaw = async (path: string): Promise<number> => {
      const r = await fetch(`${base}${path}`, { headers: user.headers });
      const b = await r.arrayBuffer();
      if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
      return b.byteLength;
    };
    let listBytes = 0;
    let waterCount = 0;
    let baseBytes = 0;
    /** One load of the map: the units, then the water sources of their bounding box (+0.01°), page by page. */
    const loadMap = async (): Promise<{ listMs: number; mapMs: number }> => {
      const s0 = performance.now();
      const r = await get('/api/station/units');
      const listMs = performance.now() - s0;
      const list = stationUnitListSchema.parse(r.body);
      listBytes = r.bytes;
      const { lon, lat } = list.points;
      const bbox = [Math.min(...lon) - 0.01, Math.min(...lat) - 0.01, Math.max(...lon) + 0.01, Math.max(...lat) + 0.01];
      let afterId: number | null = null;
      waterCount = 0;
      for (let page = 0; page < 10; page++) {
        const q = new URLSearchParams({ bbox: bbox.join(','), limit: String(WATER_LIST_MAX) });
        if (afterId != null) q.set('afterId', String(afterId));
        const w = waterSourceListSchema.parse((await get(`/api/water/sources?${q}`)).body);
        waterCount += w.sources.length;
        if (w.nextAfterId == null) break;
        afterId = w.nextAfterId;
      }
      return { listMs, mapMs: performance.now() - s0 };
    };
    // The station's z14 tile and its neighbours: 4 × 3 tiles.
    const stLonLat = (await pool.query(`SELECT ST_X(point) AS lon, ST_Y(point) AS lat FROM stations WHERE id = $1`, [st.id])).rows[0];
    const z = 14;
    const tx = Math.floor(((stLonLat.lon + 180) / 360) * 2 ** z);
    const latR = (stLonLat.lat * Math.PI) / 180;
    const ty = Math.floor(((1 - Math.log(Math.tan(latR) + 1 / Math.cos(latR)) / Math.PI) / 2) * 2 ** z);
    let tileBytes = 0;
    let tileN = 0;
    /** One map load now: the list, then the water tiles of one screen (in parallel, as MapLibre fetches them); cache cleared per load. */
    const loadMapTiles = async (): Promise<number> => {
      const s0 = performance.now();
      await get('/api/station/units');
      // A different (z, x, y) cache key per load is not possible; move the version instead so every load misses the tile cache.
      await pool.query('UPDATE geodata_state SET version = version + 1 WHERE id = 1');
      const sizes = await Promise.all(
        [-2, -1, 0, 1].flatMap((dx) => [-1, 0, 1].map((dy) => getRaw(`/tiles/water_sources/${z}/${tx + dx}/${ty + dy}.pbf`))),
      );
      tileBytes = sizes.reduce((a, b) => a + b, 0);
      tileN = sizes.length;
      return performance.now() - s0;
    };
    try {
      // Warm up: plans, caches, connections.
      for (let i = 0; i < 3; i++) {
        await loadMap();
        await get('/api/station/home');
        baseBytes = await getRaw('/api/units/positions');
      }
      const runs: Array<Record<'list50' | 'list99' | 'map50' | 'map99' | 'json50' | 'json99' | 'home50' | 'home99' | 'base50' | 'base99', number>> = [];
      for (let run = 0; run < 3; run++) {
        const list: number[] = [];
        const map: number[] = [];
        const json: number[] = [];
        const home: number[] = [];
        const baseline: number[] = [];
        // Interleaved, so the baseline sees the same machine as the station's loads.
        for (let i = 0; i < loads; i++) {
          const b0 = performance.now();
          await getRaw('/api/units/positions');
          baseline.push(performance.now() - b0);
          const m = await loadMap();
          list.push(m.listMs);
          json.push(m.mapMs);
          map.push(await loadMapTiles());
          const h0 = performance.now();
          await get('/api/station/home');
          home.push(performance.now() - h0);
        }
        for (const xs of [list, map, json, home, baseline]) xs.sort((a, b) => a - b);
        runs.push({
          list50: percentile(list, 50), list99: percentile(list, 99), map50: percentile(map, 50), map99: percentile(map, 99), json50: percentile(json, 50), json99: percentile(json, 99),
          home50: percentile(home, 50), home99: percentile(home, 99), base50: percentile(baseline, 50), base99: percentile(baseline, 99),
        });
        ctx.log(`run ${run + 1}: list p99 ${percentile(list, 99).toFixed(0)} ms, map p99 ${percentile(map, 99).toFixed(0)} ms (baseline p99 ${percentile(baseline, 99).toFixed(0)} ms)`);
      }
      const m = (k: keyof (typeof runs)[number]) => `${median(runs.map((r) => r[k])).toFixed(0)} ms`;
      const line = (label: string, value: string) => console.log(`  ${label.padEnd(52)} ${value}`);
      console.log(`\nstation home benchmark — ${inArea} units in the station's district, ${waterCount} water sources on its map, ${loads} loads × 3 runs (medians of the 3 runs' p50 / p99)`);
      console.log(`  load average ${loadavg().map((x) => x.toFixed(1)).join(' / ')} (2 shared cores)\n`);
      line('list: GET /api/station/units p50 / p99', `${m('list50')} / ${m('list99')}  (${(listBytes / 1024).toFixed(0)} KiB)`);
      line('map: units + one screen of water tiles (z14)', `${m('map50')} / ${m('map99')}  (${tileN} tiles, ${(tileBytes / 1024).toFixed(0)} KiB, cache missed)`);
      line('map before: units + the area\'s water as JSON', `${m('json50')} / ${m('json99')}  (${waterCount} sources)`);
      line('home: GET /api/station/home p50 / p99', `${m('home50')} / ${m('home99')}`);
      line('baseline: GET /api/units/positions p50 / p99', `${m('base50')} / ${m('base99')}  (${(baseBytes / 1024).toFixed(0)} KiB, same units)`);
      line('list p99 of each run', runs.map((r) => r.list99.toFixed(0)).join(' / ') + ' ms');
    } finally {
      await server.close();
    }
  } finally {
    await pool.end();
  }
}
