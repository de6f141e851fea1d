// `npm run bench:wall`: headless Chromium on /wall with 100,000 units and 200 events/s for
// 10 minutes (`--quick`: 2 minutes); prints median frames per second and JS heap growth.
//
// Traffic is real: simulated UITDs send GB/T 26875.3 fault / fault-cleared frames (and a fire
// now and then) over TCP to the real backend, through ingest, the pipeline and the
// WebSocket to the page. The 100,000 units are synthetic positions handed to the page's
// units store (window.__firelinkWall.injectUnits): the demo database has only the small
// subset, and paging 100,000 rows through GET /api/units (500 a page) would measure the
// units API rather than the wall.
//
// Each invocation makes --runs (default 3) runs on one server and prints each run and their
// medians, with the conditions that move the figure: CJK fonts installed, the WebGL renderer
// (SwiftShader or a GPU), load average and CPU steal during each run.
//
// Options: --quick | --profile (prints where the page's threads spend their time, and the frame rate with one part of the wall switched off at a time) | --runs N | --minutes N | --units N | --rate N (events/s) | --width N --height N
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { existsSync } from 'node:fs';
import pg from 'pg';
import type { BenchContext } from '@firelink/common/testing';
import { seedDemoSubset } from '@firelink/geodata';
import { SimulatedUitd, type PointRef } from '@firelink/ingest';
import { fmtLoad, measureLoad, median, percentile, positiveArg, type MachineLoad } from '../../ingest/bench/machine.ts';
import { CHROMIUM, ensureFrontendBuilt, launchBrowser, login, startStack, type Stack } from './harness.ts';

/** Font families with Chinese glyphs that fontconfig knows (what Chromium draws CJK text with). */
function cjkFonts(): string[] {
  try {
    const out = execFileSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' });
    return [...new Set(out.split('\n').map((l) => l.split(',')[0]!.trim()).filter(Boolean))].sort();
  } catch {
    return [];
  }
}

interface RunFigures {
  fps: { median: number; p10: number; p90: number };
  /** Share of frames longer than 200 ms while the map was not flying. */
  longShare: number;
  longFrames: number;
  frames: number;
  heapGrowthMb: number;
  load: MachineLoad;
}

const mb = (b: number) => (b / 1024 / 1024).toFixed(1);

/**
 * Where the frame time goes, by switching one part of the wall off at a time for a few
 * seconds and counting frames (rAF) with the stream running: the compositor's cost of a
 * layer is visible only this way (software WebGL composites every frame with damage on
 * the CPU, in the GPU process, which the page's own profiler cannot see).
 */
async function splitByAblation(page: import('playwright-core').Page): Promise<void> {
  const PHASE_MS = 6000;
  const parts: Array<[string, string]> = [
    ['everything on', ''],
    ['without pulse markers', '.fl-pulse { display: none !important; }'],
    ['without the deck.gl canvas', '[data-testid=command-map] canvas:not(.maplibregl-canvas) { visibility: hidden !important; }'],
    ['without the MapLibre canvas', '.maplibregl-canvas { visibility: hidden !important; }'],
    ['without ticker, counters, header', '.wall-side, .wall-ticker, .wall-header, .wall-fire { display: none !important; }'],
    ['map canvases only', '.fl-pulse, .wall-side, .wall-ticker, .wall-header, .wall-fire { display: none !important; }'],
  ];
  for (const [name, css] of parts) {
    const r = (await page.evaluate(`(async () => {
      const style = document.createElement('style');
      style.textContent = ${JSON.stringify(css)};
      document.head.appendChild(style);
      await new Promise((r) => setTimeout(r, 800));
      const s = window.__firelinkMap.drawStats;
      const d0 = { frames: s.frames, totalMs: s.totalMs, mapFrames: s.mapFrames };
      const frames = [];
      let last = 0;
      const t0 = performance.now();
      await new Promise((done) => {
        const tick = function (t) {
          if (last) frames.push(t - last);
          last = t;
          if (t - t0 < ${PHASE_MS}) requestAnimationFrame(tick); else done();
        };
        requestAnimationFrame(tick);
      });
      const secs = (performance.now() - t0) / 1000;
      style.remove();
      frames.sort((a, b) => a - b);
      return { fps: frames.length / secs, p90: frames[Math.floor(frames.length * 0.9)] || 0,
        deckPerS: (s.frames - d0.frames) / secs, deckMs: s.frames > d0.frames ? (s.totalMs - d0.totalMs) / (s.frames - d0.frames) : 0,
        mapPerS: (s.mapFrames - d0.mapFrames) / secs };
    })()`)) as { fps: number; p90: number; deckPerS: number; deckMs: number; mapPerS: number };
    process.stderr.write(
      `[bench wall] split ${name.padEnd(34)} ${r.fps.toFixed(1).padStart(5)} fps, p90 frame ${r.p90.toFixed(0).padStart(4)} ms; deck.gl ${r.deckPerS.toFixed(1)} draws/s × ${r.deckMs.toFixed(0)} ms; MapLibre ${r.mapPerS.toFixed(1)} repaints/s\n`,
    );
  }
}

export default async function benchWall(ctx: BenchContext): Promise<void> {
  const { log, args } = ctx;
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package`);
  const quick = args.includes('--quick');
  const minutes = positiveArg(args, 'minutes', quick ? 2 : 10);
  const unitCount = positiveArg(args, 'units', 100_000);
  const rate = positiveArg(args, 'rate', 200);
  const width = positiveArg(args, 'width', 1920);
  const height = positiveArg(args, 'height', 1080);

  await ensureFrontendBuilt(log);
  const pool = new pg.Pool({ connectionString: ctx.databaseUrl, max: 4 });
  log('seeding the demo subset (regions, roads, units with UITDs) …');
  await seedDemoSubset(pool, { units: 60, roads: false, maxPointsPerUnit: 30 });
  const devices = await pool.query<{ address: string; system_type: number; system_address: number; component_type: number; component_address: string }>(
    `SELECT d.address, s.system_type, s.system_address, p.component_type, p.component_address
       FROM devices d JOIN facility_systems s ON s.device_id = d.id JOIN points p ON p.system_id = s.id
      WHERE d.protocol = 'gb26875' ORDER BY d.id, p.id`,
  );
  const byDevice = new Map<number, PointRef[]>();
  for (const r of devices.rows) {
    const list = byDevice.get(Number(r.address)) ?? [];
    list.push({ systemType: r.system_type, systemAddress: r.system_address, componentType: r.component_type, componentAddress: Number(r.component_address) });
    byDevice.set(Number(r.address), list);
  }
  await pool.end();
  if (byDevice.size === 0) throw new Error('the demo subset has no GB/T 26875 devices: check @firelink/geodata seedDemoSubset');

  const runs = positiveArg(args, 'runs', 3);
  const fonts = cjkFonts();
  const loadAll = measureLoad();
  const stack = await startStack(ctx.databaseUrl);
  const results: RunFigures[] = [];
  const failures: string[] = [];
  let renderer = 'unknown';
  try {
    for (let runNo = 1; runNo <= runs; runNo++) {
      const browser = await launchBrowser({ viewport: { width, height } });
      const sims: SimulatedUitd[] = [];
      const state = { stopTraffic: false };
      try {
        const r = await oneRun(runNo, browser, stack, sims, state, (x) => (renderer = x));
        results.push(r);
      } catch (err) {
        // A run that dies (the page crashed, Chromium was killed) is reported and left out of the medians.
        failures.push(`run ${runNo}: ${(err as Error).message.split('\n')[0]}`);
        log(`run ${runNo} failed: ${(err as Error).message.split('\n')[0]}`);
      } finally {
        state.stopTraffic = true;
        for (const s of sims) s.close();
        await browser.close();
      }
    }
  } finally {
    await stack.close();
  }
  const med = (f: (r: RunFigures) => number) => median(results.map(f));
  process.stdout.write(
    [
      '',
      `bench:wall — median of ${results.length} runs (${minutes} min each, ${unitCount.toLocaleString('en')} units, ${rate} events/s, ${width}×${height})`,
      `  conditions           renderer ${renderer}; CJK fonts ${fonts.length ? fonts.join(', ') : 'none (Chinese text drawn as boxes: faster, not what a center sees)'}; ${fmtLoad(loadAll())} over the whole bench; ${cpus().length} CPUs`,
      `  frames per second    median ${med((r) => r.fps.median).toFixed(1)} (runs: ${results.map((r) => r.fps.median.toFixed(1)).join(', ')}), p10 ${med((r) => r.fps.p10).toFixed(1)}, p90 ${med((r) => r.fps.p90).toFixed(1)}`,
      `  long frames          ${(med((r) => r.longShare) * 100).toFixed(1)}% over 200 ms outside fly-tos (runs: ${results.map((r) => `${(r.longShare * 100).toFixed(1)}%`).join(', ')})`,
      `  JS heap growth       ${results.map((r) => `${r.heapGrowthMb.toFixed(2)} MB`).join(', ')}`,
      `  load during runs     ${results.map((r) => fmtLoad(r.load)).join(' | ')}`,
      ...(failures.length ? [`  failed runs          ${failures.join('; ')}`] : []),
      '  targets: median ≥ 30 fps, p10 ≥ 15, heap flat. Software WebGL on shared cores is the pessimistic case; a wall PC with a GPU draws faster.',
      '',
    ].join('\n'),
  );

  async function oneRun(runNo: number, browser: Awaited<ReturnType<typeof launchBrowser>>, stack: Stack, sims: SimulatedUitd[], state: { stopTraffic: boolean }, setRenderer: (r: string) => void): Promise<RunFigures> {
    const page = await browser.newPage();
    page.on('crash', () => log(`run ${runNo}: the wall page crashed`));
    await login(page, stack.baseUrl, stack, '/wall');
    // What draws the map: SwiftShader (software) or a GPU.
    setRenderer(
      (await page.evaluate(`(() => { const gl = document.createElement('canvas').getContext('webgl2') || document.createElement('canvas').getContext('webgl');
        if (!gl) return 'no WebGL'; const x = gl.getExtension('WEBGL_debug_renderer_info');
        return String(x ? gl.getParameter(x.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER)); })()`)) as string,
    );
    await page.waitForFunction(() => document.querySelector('[data-testid=conn-status]')?.classList.contains('live'), null, { timeout: 60_000 });

    // The wall loads the real units once (GET /api/units/positions); inject only after that,
    // or the load lands later and replaces the injected units (seen: 60 units drawn).
    // (Polled with evaluate: waitForFunction with a string needs eval, which our CSP forbids.)
    for (const started = Date.now(); ; ) {
      const n = (await page.evaluate(`window.__firelinkWall ? window.__firelinkWall.stats().units : 0`)) as number;
      if (n > 0) break;
      if (Date.now() - started > 60_000) throw new Error('bench:wall: the wall loaded no units within 60 s');
      await new Promise((r) => setTimeout(r, 250));
    }
    // Browser-side code is passed as plain JavaScript strings: tsx compiles this file with
    // esbuild's keepNames, whose __name() helper does not exist in the page.
    // 100,000 units around the demo city, deterministic.
    await page.evaluate(`(() => {
      let seed = 42;
      const rnd = function () { seed = (seed * 1664525 + 1013904223) >>> 0; return seed / 4294967296; };
      const list = [];
      for (let i = 0; i < ${unitCount}; i++) {
        list.push({ id: 1000000 + i, lonWgs84: 118.35 + rnd() * 0.9, latWgs84: 31.65 + rnd() * 0.75,
          open: rnd() < 0.85, highRisk: rnd() < 0.1, hasControlRoom: true, online: rnd() < 0.97 });
      }
      window.__firelinkWall.injectUnits(list);
    })()`);
    const injected = (await page.evaluate(`window.__firelinkWall.stats().units`)) as number;
    if (injected !== unitCount) throw new Error(`bench:wall: ${injected} units on the wall after injecting ${unitCount}`);

    // Frame counter: frames per whole second, kept in a bounded array.
    await page.evaluate(`(() => {
      window.__fps = [];
      let frames = 0;
      let t0 = performance.now();
      window.__long = { frames: 0, long: 0 };
      let last = 0;
      const tick = function (t) {
        frames++;
        // Frames over 200 ms while the camera is not flying (a fly-to is allowed to be heavy).
        const m = window.__firelinkMap && window.__firelinkMap.map;
        if (last && !(m && m.isMoving())) {
          window.__long.frames++;
          if (t - last > 200) window.__long.long++;
        }
        last = t;
        if (t - t0 >= 1000) {
          window.__fps.push((frames * 1000) / (t - t0));
          if (window.__fps.length > 3600) window.__fps.shift();
          frames = 0;
          t0 = t;
        }
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    })()`);

    // Traffic: one connection per device, events spread evenly at `rate` per second.
    const addresses = [...byDevice.keys()];
    for (const address of addresses) {
      const s = new SimulatedUitd({ port: stack.gbPort, host: '127.0.0.1', address });
      await s.connect();
      sims.push(s);
    }
    let sent = 0;
    let failed = 0;
    let offered = 0;
    const inFault = new Set<string>();
    const trafficStart = Date.now();
    const traffic = (async () => {
      let i = 0;
      while (!state.stopTraffic) {
        const due = trafficStart + (i * 1000) / rate;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const sim = sims[i % sims.length]!;
        const points = byDevice.get(sim.address)!;
        const p = points[Math.floor(i / sims.length) % points.length]!;
        const key = `${sim.address}:${p.componentAddress}`;
        // Every 30 s one fire somewhere; otherwise faults that open and clear alarms.
        const fire = i % (rate * 30) === rate * 5;
        const send = fire ? sim.sendFire(p) : inFault.has(key) ? sim.sendNormal(p) : sim.sendFault(p);
        if (!fire) {
          if (inFault.has(key)) inFault.delete(key);
          else inFault.add(key);
        }
        // Sends still pending when the run ends are cut off by close(): not counted as failures.
        send.then(() => sent++, () => (state.stopTraffic ? undefined : failed++));
        offered++;
        i++;
      }
    })();

    const cdp = await browser.context.newCDPSession(page);
    await cdp.send('HeapProfiler.enable');
    const heapAfterGc = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      const h = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
      return h.usedSize;
    };
    const warmupMs = Math.min(60_000, (minutes * 60_000) / 5);
    if (args.includes('--profile')) {
      // Where the page's main thread spends its time under load: 10 s of the CPU profiler.
      await page.waitForTimeout(Math.min(20_000, warmupMs));
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.start');
      await page.waitForTimeout(10_000);
      const { profile } = (await cdp.send('Profiler.stop')) as { profile: { nodes: Array<{ id: number; hitCount?: number; callFrame: { functionName: string; url: string; lineNumber: number } }>; samples: number[]; timeDeltas: number[] } };
      const byId = new Map(profile.nodes.map((n) => [n.id, n]));
      const self = new Map<string, number>();
      for (let i = 0; i < profile.samples.length; i++) {
        const n = byId.get(profile.samples[i]!)!;
        const key = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber + 1}`;
        self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
      }
      const total = [...self.values()].reduce((a, b) => a + b, 0);
      log(`main thread, 10 s profile: top self time (ms) of ${total.toFixed(0)} ms sampled`);
      for (const [k, v] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25)) log(`  ${v.toFixed(0).padStart(6)}  ${k}`);
      // The same for native work (style, layout, paint, GPU waits): a 10 s trace of the renderer.
      const events: Array<{ name: string; ph: string; dur?: number; tid: number; pid: number; args?: { name?: string } }> = [];
      cdp.on('Tracing.dataCollected', (d) => void events.push(...(d.value as unknown as typeof events)));
      const done = new Promise<void>((r) => cdp.once('Tracing.tracingComplete', () => r()));
      await cdp.send('Tracing.start', { categories: 'devtools.timeline,disabled-by-default-devtools.timeline,gpu,cc,blink', transferMode: 'ReportEvents' });
      await page.waitForTimeout(10_000);
      await cdp.send('Tracing.end');
      await done;
      const threadNames = new Map<string, string>();
      for (const e of events) if (e.name === 'thread_name' && e.args?.name) threadNames.set(`${e.pid}:${e.tid}`, e.args.name);
      const perThread = new Map<string, Map<string, number>>();
      for (const e of events) {
        if (e.ph !== 'X' || !e.dur) continue;
        const t = threadNames.get(`${e.pid}:${e.tid}`) ?? `${e.pid}:${e.tid}`;
        if (!perThread.has(t)) perThread.set(t, new Map());
        const m = perThread.get(t)!;
        m.set(e.name, (m.get(e.name) ?? 0) + e.dur / 1000);
      }
      // Per thread: busy time (top-level tasks) and the named work inside them, in ms per second.
      const TASKS = new Set(['RunTask', 'ThreadControllerImpl::RunTask', 'ThreadControllerImpl::DoWork']);
      for (const [t, m] of [...perThread.entries()].sort((a, b) => (b[1].get('RunTask') ?? 0) - (a[1].get('RunTask') ?? 0))) {
        const busy = m.get('RunTask') ?? 0;
        const top = [...m.entries()].filter(([k]) => !TASKS.has(k)).sort((a, b) => b[1] - a[1]).slice(0, 7);
        if (busy > 100 || (top[0] && top[0][1] > 100)) log(`trace ${t}: busy ${(busy / 10).toFixed(0)} ms/s; ${top.map(([k, v]) => `${k} ${(v / 10).toFixed(0)}`).join(', ')} (ms/s, nested events overlap)`);
      }
      await splitByAblation(page);
    }
    // The measured run starts after any profiling: its phases switch parts of the page off.
    await page.evaluate(`(() => { window.__fps.length = 0; })()`);
    log(`running ${minutes} min with ${unitCount} units at ${rate} events/s (warm-up ${warmupMs / 1000} s excluded from the heap baseline) …`);
    await page.waitForTimeout(warmupMs);
    const heap0 = await heapAfterGc();
    const stats0 = await page.evaluate(() => (window as unknown as { __firelinkWall: { stats: () => { applied: number } } }).__firelinkWall.stats());
    const drawStats = `(() => { const s = window.__firelinkMap.drawStats; return { frames: s.frames, totalMs: s.totalMs, maxMs: s.maxMs, mapFrames: s.mapFrames }; })()`;
    const draw0 = (await page.evaluate(drawStats)) as { frames: number; totalMs: number; maxMs: number; mapFrames: number };
    const long0 = (await page.evaluate(`window.__long`)) as { frames: number; long: number };
    const loadOf = measureLoad();
    const t1 = Date.now();
    const samples: Array<{ s: number; heap: number }> = [];
    // Measured: the run's minutes less the warm-up, from here (however long the warm-up's GC took).
    const measureMs = minutes * 60_000 - warmupMs;
    while (Date.now() - t1 < measureMs) {
      await page.waitForTimeout(Math.min(30_000, measureMs - (Date.now() - t1)));
      const h = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
      samples.push({ s: Math.round((Date.now() - trafficStart) / 1000), heap: h.usedSize });
      log(`  t=${samples.at(-1)!.s}s heap ${mb(h.usedSize)} MB, events confirmed ${sent}`);
    }
    state.stopTraffic = true;
    await traffic;
    const elapsedS = (Date.now() - t1) / 1000;
    const heap1 = await heapAfterGc();
    const stats1 = await page.evaluate(() => (window as unknown as { __firelinkWall: { stats: () => { applied: number; queue: number; ticker: number; units: number; alertsPlayed: number } } }).__firelinkWall.stats());
    const draw1 = (await page.evaluate(drawStats)) as { frames: number; totalMs: number; maxMs: number; mapFrames: number };
    const drawFrames = draw1.frames - draw0.frames;
    const long1 = (await page.evaluate(`window.__long`)) as { frames: number; long: number };
    const fps = (await page.evaluate(() => (window as unknown as { __fps: number[] }).__fps)).slice(Math.round(warmupMs / 1000));
    const growthMb = (heap1 - heap0) / 1024 / 1024;
    const load = loadOf();
    const measuredFrames = long1.frames - long0.frames;
    const longShare = measuredFrames ? (long1.long - long0.long) / measuredFrames : NaN;
    const lines = [
      '',
      `run ${runNo} of ${runs} — /wall in headless Chromium (${width}×${height}), ${fmtLoad(load)}`,
      `  duration             ${minutes} min (${Math.round(elapsedS)} s measured after ${warmupMs / 1000} s warm-up)`,
      `  units drawn          ${stats1.units.toLocaleString('en')}`,
      `  events               offered ${rate}/s (${offered} frames); confirmed by the center ${(sent / ((Date.now() - trafficStart) / 1000)).toFixed(1)}/s on average; unconfirmed after resends ${failed}; still pending at the end ${offered - sent - failed}`,
      `  stream messages      ${((stats1.applied - stats0.applied) / elapsedS).toFixed(1)}/s applied by the page`,
      `  frames per second    median ${median(fps).toFixed(1)}, p10 ${percentile([...fps].sort((a, b) => a - b), 10).toFixed(1)}, p90 ${percentile([...fps].sort((a, b) => a - b), 90).toFixed(1)} (${fps.length} one-second samples)`,
      `  long frames          ${(longShare * 100).toFixed(1)}% of ${measuredFrames} frames over 200 ms outside fly-tos`,
      `  deck.gl redraws      ${(drawFrames / elapsedS).toFixed(2)}/s, ${drawFrames ? ((draw1.totalMs - draw0.totalMs) / drawFrames).toFixed(1) : '—'} ms mean on the main thread (max over the run ${draw1.maxMs.toFixed(0)} ms; fly-to frames included); MapLibre frames ${((draw1.mapFrames - draw0.mapFrames) / elapsedS).toFixed(2)}/s`,
      `  JS heap after GC     ${mb(heap0)} MB → ${mb(heap1)} MB: growth ${growthMb.toFixed(2)} MB (${((growthMb / elapsedS) * 3600).toFixed(1)} MB/h extrapolated)`,
      `  heap samples (MB)    ${samples.map((x) => `${x.s}s:${mb(x.heap)}`).join(' ')}`,
      `  bounded state        queue ${stats1.queue} alarms, ticker ${stats1.ticker} rows, ${stats1.alertsPlayed} fire alerts played`,
      '',
    ];
    process.stdout.write(lines.join('\n'));
    return { fps: { median: median(fps), p10: percentile([...fps].sort((a, b) => a - b), 10), p90: percentile([...fps].sort((a, b) => a - b), 90) }, longShare, longFrames: long1.long - long0.long, frames: measuredFrames, heapGrowthMb: growthMb, load };
  }
}
