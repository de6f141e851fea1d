// `npm run bench:soak [-- --minutes 60 | --quick] [-- --rate 200 --clients 5 --devices 200 --wall --svg PATH --warmup M]`
// Memory and latency over time: the real server (every feature, startStack as the browser
// tests start it) runs in this process under a steady simulated fleet (GB/T 26875.3 analog
// uploads over TCP at --rate events/s, default 200) with --clients WebSocket clients
// subscribed to everything (default 5), and with --wall a /wall page in headless Chromium
// logged in as an operator. The devices and the clients are backend/bench/live-driver.ts in
// a child process, driven one minute at a time ("phase <rate> <seconds>"), so each minute
// yields its frame→WebSocket-message latency p50/p99.
//
// Every minute: the server's RSS and V8 heap (process.memoryUsage of this process, which is
// the server; measured after a forced full GC so the figure is what is retained, not garbage
// waiting to be collected), the wall page's JS heap after GC (CDP), events stored, the
// database size (pg_database_size) and the load average. Memory is also sampled every 15 s
// (same method) for the slope. At the end: the table, the RSS and heap slopes in MB/hour by
// least squares over the samples after the warm-up (default: a third of the run, at most
// 10 min), the database growth projected per day at this rate, a verdict, and an SVG plot
// (default /tmp/firelink-soak.svg).
//
// --quick = 3 minutes. Figures include the cost of the driver and the browser, which share
// the machine's cores with the server.
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import os from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';
import pg from 'pg';
import type { BenchContext } from '@firelink/common/testing';
import { createSession } from '../src/live/test-support.ts';
import { fmtLoad, measureLoad, positiveValue, ms, type MachineLoad } from '../../ingest/bench/machine.ts';
import { CHROMIUM, startStack } from '../../frontend/e2e/harness.ts';
import { seedFleet } from './fleet-seed.ts';

interface MemSample {
  /** Seconds since the traffic began. */
  t: number;
  rss: number;
  heap: number;
  /** The wall page's JS heap (bytes), NaN without --wall. */
  wallHeap: number;
}

interface Minute {
  minute: number;
  mem: MemSample;
  offered: number;
  received: number;
  expected: number;
  p50: number;
  p99: number;
  events: number;
  dbBytes: number;
  load: MachineLoad;
}

const MB = 1024 * 1024;
const mb = (b: number) => (Number.isFinite(b) ? (b / MB).toFixed(1) : '–');

/** Least-squares slope of y over x (units of y per unit of x); NaN with fewer than 2 points. */
export function slope(points: Array<[number, number]>): number {
  const p = points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  if (p.length < 2) return NaN;
  const mx = p.reduce((a, [x]) => a + x, 0) / p.length;
  const my = p.reduce((a, [, y]) => a + y, 0) / p.length;
  let num = 0;
  let den = 0;
  for (const [x, y] of p) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

export default async function bench(ctx: BenchContext): Promise<void> {
  const { values } = parseArgs({
    args: ctx.args.filter((a) => a !== '--'),
    options: {
      quick: { type: 'boolean', default: false },
      minutes: { type: 'string' },
      rate: { type: 'string' },
      clients: { type: 'string' },
      devices: { type: 'string' },
      warmup: { type: 'string' },
      wall: { type: 'boolean', default: false },
      svg: { type: 'string', default: '/tmp/firelink-soak.svg' },
    },
  });
  const minutes = Math.round(positiveValue('minutes', values.minutes, values.quick ? 3 : 60));
  const rate = positiveValue('rate', values.rate, 200);
  const clients = Math.round(positiveValue('clients', values.clients, 5));
  const devices = Math.round(positiveValue('devices', values.devices, 200));
  const warmupMin = values.warmup !== undefined ? Number(values.warmup) : Math.min(10, minutes / 3);
  if (!Number.isFinite(warmupMin) || warmupMin < 0 || warmupMin >= minutes) throw new Error(`--warmup needs minutes in [0, ${minutes}), e.g. --warmup 10`);
  const out = (l: string) => process.stdout.write(`${l}\n`);
  if (values.wall && !existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (or run without --wall)`);

  // A forced full GC before each sample: the retained heap, not the garbage of the last seconds.
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;

  // vite build (when frontend/dist is stale) runs in a child process: built in this one, it
  // would stay in the RSS and heap measured as the server's (seen: RSS 814 MB instead of 230).
  if (values.wall) await buildFrontendInChild();
  const pool = new pg.Pool({ connectionString: ctx.databaseUrl, max: 2 });
  pool.on('error', () => {});
  const addresses = await seedFleet(pool, devices, { prefix: '耐久单位', addressBase: 6_000_000 });
  const { token } = await createSession(pool, { username: 'bench-soak', role: 'admin' });
  const stack = await startStack(ctx.databaseUrl);
  let wallChild: ReturnType<typeof spawn> | undefined;
  let child: ReturnType<typeof spawn> | undefined;
  const memSamples: MemSample[] = [];
  const rows: Minute[] = [];
  try {
    ctx.log(`server up: HTTP ${stack.server.httpPort}, GB/T 26875 ${stack.gbPort}; ${devices} devices, ${clients} WebSocket clients, ${rate} events/s for ${minutes} min${values.wall ? ', /wall in Chromium' : ''}`);

    let wallHeap: () => Promise<number> = async () => NaN;
    if (values.wall) {
      // The page runs in a child process (backend/bench/soak-wall.ts): Playwright's objects
      // would otherwise be counted in this process's heap, which is the server's.
      const proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./soak-wall.ts', import.meta.url)), JSON.stringify({ baseUrl: stack.baseUrl, username: stack.username, password: stack.password })], {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      wallChild = proc;
      const wallLines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
      const wallLine = async () => {
        const r = await wallLines.next();
        if (r.done) throw new Error('the /wall page process (backend/bench/soak-wall.ts) exited early: see its error above');
        return r.value;
      };
      if ((await wallLine()) !== 'live') throw new Error('the /wall page process did not report the page live');
      wallHeap = async () => {
        proc.stdin!.write('heap\n');
        return Number(await wallLine());
      };
      ctx.log('wall page live');
    }

    const input = { tcpPort: stack.gbPort, wsUrl: `ws://127.0.0.1:${stack.server.httpPort}/ws`, token, clients, addresses, settleMs: 1000, batch: true };
    const driver = fileURLToPath(new URL('./live-driver.ts', import.meta.url));
    const proc = spawn(process.execPath, ['--import', 'tsx', driver, JSON.stringify(input)], { stdio: ['pipe', 'pipe', 'inherit'] });
    child = proc;
    const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
    const next = async (): Promise<Record<string, number>> => {
      const r = await lines.next();
      if (r.done) throw new Error('soak driver (backend/bench/live-driver.ts) exited early: see its error above');
      return JSON.parse(r.value) as Record<string, number>;
    };
    await next(); // ready: clients subscribed, devices connected

    const t0 = performance.now();
    const sample = async (): Promise<MemSample> => {
      gc();
      const m = process.memoryUsage();
      return { t: (performance.now() - t0) / 1000, rss: m.rss, heap: m.heapUsed, wallHeap: await wallHeap() };
    };
    memSamples.push(await sample());
    // Memory every 15 s while the minute's phase runs in the driver.
    let sampling = Promise.resolve();
    const timer = setInterval(() => {
      sampling = sampling.then(async () => void memSamples.push(await sample())).catch(() => {});
    }, 15_000);
    try {
      for (let minute = 1; minute <= minutes; minute++) {
        const load = measureLoad();
        // The driver sends for the phase, then waits for stragglers (≥ settleMs): ~60 s in all.
        proc.stdin!.write(`phase ${rate} ${60 - input.settleMs / 1000}\n`);
        const r = await next();
        await sampling;
        const mem = await sample();
        memSamples.push(mem);
        const db = await pool.query<{ events: string; bytes: string }>(`SELECT (SELECT count(*) FROM events) AS events, pg_database_size(current_database()) AS bytes`);
        const row: Minute = {
          minute,
          mem,
          offered: r.offered!,
          received: r.received!,
          expected: r.expected!,
          p50: r.p50!,
          p99: r.p99!,
          events: Number(db.rows[0]!.events),
          dbBytes: Number(db.rows[0]!.bytes),
          load: load(),
        };
        rows.push(row);
        ctx.log(`minute ${minute}/${minutes}: RSS ${mb(mem.rss)} MB, heap ${mb(mem.heap)} MB${values.wall ? `, wall heap ${mb(mem.wallHeap)} MB` : ''}, p50 ${ms(row.p50)}, p99 ${ms(row.p99)}, ${row.received}/${row.expected} delivered, ${row.events} events, db ${mb(row.dbBytes)} MB (${fmtLoad(row.load)})`);
      }
    } finally {
      clearInterval(timer);
      await sampling;
    }
    proc.stdin!.write('quit\n');
    const code = await new Promise<number>((res) => (proc.exitCode !== null ? res(proc.exitCode) : proc.once('exit', (c) => res(c ?? 1))));
    child = undefined;
    if (code !== 0) throw new Error(`soak driver exited with ${code}`);
  } finally {
    child?.kill();
    wallChild?.stdin?.write('quit\n');
    wallChild?.stdin?.end();
    await stack.close();
    await pool.end();
  }

  // ---- Report
  const warmS = warmupMin * 60;
  const after = memSamples.filter((s) => s.t >= warmS);
  const perHour = (f: (s: MemSample) => number) => slope(after.map((s) => [s.t / 3600, f(s) / MB]));
  const rssSlope = perHour((s) => s.rss);
  const heapSlope = perHour((s) => s.heap);
  const wallSlope = perHour((s) => s.wallHeap);
  const first = rows[0]!;
  const last = rows[rows.length - 1]!;
  const spanMin = Math.max(1, last.minute - first.minute);
  // Growth per day from the database size between the first and the last minute (the first
  // minute's size holds the empty schema and the seed).
  const dbPerDay = ((last.dbBytes - first.dbBytes) / spanMin) * 60 * 24;
  const eventsPerDay = ((last.events - first.events) / spanMin) * 60 * 24;
  const bytesPerEvent = last.events > first.events ? (last.dbBytes - first.dbBytes) / (last.events - first.events) : NaN;

  out('');
  out(`bench:soak — ${minutes} min at ${rate} events/s offered by ${devices} simulated UITDs over TCP, ${clients} WebSocket clients subscribed to everything (batch: true)${values.wall ? ', one /wall page in headless Chromium' : ''}; ${os.cpus().length} CPUs`);
  out('  min | achieved/s | delivered | p50      | p99      | server RSS MB | server heap MB | wall heap MB | events stored | db MB  | load');
  for (const r of rows) {
    out(
      `  ${String(r.minute).padStart(3)} | ${r.offered.toFixed(0).padStart(10)} | ${`${((r.received / Math.max(1, r.expected)) * 100).toFixed(1)}%`.padStart(9)} | ${ms(r.p50).padStart(8)} | ${ms(r.p99).padStart(8)} | ` +
        `${mb(r.mem.rss).padStart(13)} | ${mb(r.mem.heap).padStart(14)} | ${mb(r.mem.wallHeap).padStart(12)} | ${r.events.toLocaleString('en').padStart(13)} | ${mb(r.dbBytes).padStart(6)} | ${fmtLoad(r.load)}`,
    );
  }
  const fmtSlope = (x: number) => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${x.toFixed(1)} MB/h` : '–');
  out(`  memory sampled every 15 s after a forced GC (${memSamples.length} samples, ${after.length} after the ${warmupMin.toFixed(1)}-min warm-up)`);
  out(`  slope (least squares after warm-up): server RSS ${fmtSlope(rssSlope)}, server heap ${fmtSlope(heapSlope)}${values.wall ? `, wall heap ${fmtSlope(wallSlope)}` : ''}`);
  out(`  database: ${mb(first.dbBytes)} MB → ${mb(last.dbBytes)} MB over ${spanMin} min = ${(dbPerDay / 1024 ** 3).toFixed(2)} GB/day projected at this rate (${Math.round(eventsPerDay).toLocaleString('en')} events/day, ${Number.isFinite(bytesPerEvent) ? `${bytesPerEvent.toFixed(0)} bytes/event with indexes and stream_log` : '–'})`);
  // Flat: within 5 MB/h for the server heap and 10 MB/h for RSS (the allocator holds pages) and
  // the wall heap; a slope measured over less than 30 min after warm-up is not a verdict.
  const measuredMin = after.length > 1 ? (after[after.length - 1]!.t - after[0]!.t) / 60 : 0;
  const flat = Math.abs(heapSlope) <= 5 && Math.abs(rssSlope) <= 10 && (!values.wall || Math.abs(wallSlope) <= 10);
  const verdict = !Number.isFinite(heapSlope)
    ? 'NO VERDICT: too few samples after the warm-up'
    : measuredMin < 30
      ? `${flat ? 'flat so far' : 'NOT flat so far'} (bounds: heap ±5 MB/h, RSS ±10 MB/h${values.wall ? ', wall heap ±10 MB/h' : ''}), but only ${measuredMin.toFixed(1)} min measured after warm-up: a short run's slope is mostly noise; run --minutes 60 for a verdict`
      : flat
        ? `memory FLAT: every slope within bounds (heap ±5 MB/h, RSS ±10 MB/h${values.wall ? ', wall heap ±10 MB/h' : ''}) over ${measuredMin.toFixed(0)} min`
        : `memory NOT FLAT: a slope exceeds its bound (heap ±5 MB/h, RSS ±10 MB/h${values.wall ? ', wall heap ±10 MB/h' : ''}) over ${measuredMin.toFixed(0)} min`;
  out(`  verdict: ${verdict}`);
  writeFileSync(values.svg, soakSvg(memSamples, rows, { rate, minutes, warmS, wall: values.wall }));
  out(`  plot: ${values.svg} (RSS, heap, wall heap in MB and p99 in ms over time)`);
}

/** ensureFrontendBuilt (frontend/e2e/harness.ts) in a child node process. */
function buildFrontendInChild(): Promise<void> {
  const harness = JSON.stringify(fileURLToPath(new URL('../../frontend/e2e/harness.ts', import.meta.url)));
  const code = `const m = await import(${harness}); await m.ensureFrontendBuilt((l) => process.stderr.write('[bench soak] ' + l + '\\n'));`;
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'inherit', 'inherit'] });
    p.once('error', reject);
    p.once('exit', (c) => (c === 0 ? resolve() : reject(new Error(`building the frontend (vite build) exited with ${c}`))));
  });
}

/** A hand-written SVG: memory (MB, left axis) and p99 (ms, right axis) over minutes. */
function soakSvg(mem: MemSample[], rows: Minute[], o: { rate: number; minutes: number; warmS: number; wall: boolean }): string {
  const W = 960;
  const H = 480;
  const L = 70;
  const R = 70;
  const T = 50;
  const B = 60;
  const pw = W - L - R;
  const ph = H - T - B;
  const xMax = Math.max(1, ...mem.map((s) => s.t / 60), ...rows.map((r) => r.minute));
  // Axis tops rounded up to 1, 2 or 5 × a power of ten, so the five grid steps read evenly.
  const nice = (v: number) => {
    const p = 10 ** Math.floor(Math.log10(v));
    return ([1, 2, 5, 10].find((k) => k * p >= v) ?? 10) * p;
  };
  const memMax = nice(Math.max(1, ...mem.flatMap((s) => [s.rss, s.heap, s.wallHeap].filter(Number.isFinite).map((x) => x / MB))) * 1.05);
  const p99Max = nice(Math.max(1, ...rows.map((r) => r.p99).filter(Number.isFinite)) * 1.05);
  const x = (min: number) => L + (min / xMax) * pw;
  const yMem = (v: number) => T + ph - (v / memMax) * ph;
  const yP = (v: number) => T + ph - (v / p99Max) * ph;
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const path = (pts: Array<[number, number]>) =>
    pts.filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b)).map(([a, b], i) => `${i ? 'L' : 'M'}${a.toFixed(1)},${b.toFixed(1)}`).join(' ');
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  parts.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="16">FireLink soak: ${o.minutes} min at ${o.rate} events/s</text>`);
  // Warm-up band.
  if (o.warmS > 0) parts.push(`<rect x="${L}" y="${T}" width="${(x(o.warmS / 60) - L).toFixed(1)}" height="${ph}" fill="#eee"/><text x="${L + 4}" y="${T + 14}" fill="#888">warm-up</text>`);
  // Grid and axes.
  for (let i = 0; i <= 5; i++) {
    const y = T + (ph * i) / 5;
    parts.push(`<line x1="${L}" y1="${y}" x2="${L + pw}" y2="${y}" stroke="#ddd"/>`);
    parts.push(`<text x="${L - 6}" y="${y + 4}" text-anchor="end">${((memMax * (5 - i)) / 5).toFixed(0)}</text>`);
    parts.push(`<text x="${L + pw + 6}" y="${y + 4}" fill="#c0392b">${((p99Max * (5 - i)) / 5).toFixed(0)}</text>`);
  }
  const step = Math.max(1, Math.ceil(xMax / 12));
  for (let m = 0; m <= xMax; m += step) parts.push(`<text x="${x(m).toFixed(1)}" y="${T + ph + 18}" text-anchor="middle">${m}</text>`);
  parts.push(`<rect x="${L}" y="${T}" width="${pw}" height="${ph}" fill="none" stroke="#444"/>`);
  parts.push(`<text x="${L + pw / 2}" y="${H - 22}" text-anchor="middle">minutes since traffic began</text>`);
  parts.push(`<text transform="translate(18 ${T + ph / 2}) rotate(-90)" text-anchor="middle">memory, MB</text>`);
  parts.push(`<text transform="translate(${W - 14} ${T + ph / 2}) rotate(90)" text-anchor="middle" fill="#c0392b">frame→WebSocket p99, ms</text>`);
  const series: Array<[string, string, string]> = [
    ['server RSS', '#1f77b4', path(mem.map((s) => [x(s.t / 60), yMem(s.rss / MB)]))],
    ['server heap', '#2ca02c', path(mem.map((s) => [x(s.t / 60), yMem(s.heap / MB)]))],
  ];
  if (o.wall) series.push(['wall heap', '#9467bd', path(mem.map((s) => [x(s.t / 60), yMem(s.wallHeap / MB)]))]);
  series.push(['p99 per minute', '#c0392b', path(rows.map((r) => [x(r.minute), yP(r.p99)]))]);
  series.forEach(([name, colour, d], i) => {
    parts.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="2"${name.startsWith('p99') ? ' stroke-dasharray="6 3"' : ''}/>`);
    const lx = L + 10 + i * 160;
    parts.push(`<line x1="${lx}" y1="${H - 8}" x2="${lx + 24}" y2="${H - 8}" stroke="${colour}" stroke-width="2"/><text x="${lx + 30}" y="${H - 4}">${esc(name)}</text>`);
  });
  for (const r of rows) if (Number.isFinite(r.p99)) parts.push(`<circle cx="${x(r.minute).toFixed(1)}" cy="${yP(r.p99).toFixed(1)}" r="3" fill="#c0392b"/>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
