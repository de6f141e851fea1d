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
// Options: --shots DIR (screenshots of the first run) | --desk (the desk map panned and zoomed instead: bench-desk-pan.ts) | --quick | --profile (prints where the page's threads spend their time, and the frame rate with one part of the wall switched off at a time) | --profile-end (the page's profiles at the end of the measured minutes, the queue full) | --flights (the frame rate of fly-tos with one change at a time) | --cuts (the frame rate after the tour's cuts with one change at a time) | --runs N | --minutes N | --units N | --rate N (events/s) | --width N --height N
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
export function cjkFonts(): string[] {
  try {
    const out = execFileSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' });
    return [...new Set(out.split('\n').map((l) => l.split(',')[0]!.trim()).filter(Boolean))].sort();
  } catch {
    return [];
  }
}

/**
 * Waits until the page's view has loaded its real units (once: injecting before that, the
 * load lands later and replaces the injected ones), then hands it `n` deterministic units
 * around the demo city through `window[hook].injectUnits` and checks they all arrived.
 * `countJs` reads the view's unit count. Browser-side code is passed as plain JavaScript
 * strings: tsx compiles this file with esbuild's keepNames, whose __name() helper does not
 * exist in the page; polled with evaluate (waitForFunction with a string needs eval, which
 * our CSP forbids).
 */
export async function injectBenchUnits(page: import('playwright-core').Page, n: number, view: { what: string; countJs: string; hook: string }): Promise<void> {
  for (const started = Date.now(); ; ) {
    if (((await page.evaluate(view.countJs)) as number) > 0) break;
    if (Date.now() - started > 60_000) throw new Error(`${view.what} loaded no units within 60 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
  await page.evaluate(`(() => {
    let seed = 42;
    const rnd = function () { seed = (seed * 1664525 + 1013904223) >>> 0; return seed / 4294967296; };
    const list = [];
    for (let i = 0; i < ${n}; i++) {
      list.push({ id: 1000000 + i, lonWgs84: 118.35 + rnd() * 0.9, latWgs84: 31.65 + rnd() * 0.75,
        open: rnd() < 0.85, highRisk: rnd() < 0.1, hasControlRoom: true, online: rnd() < 0.97 });
    }
    window.${view.hook}.injectUnits(list);
  })()`);
  const injected = (await page.evaluate(view.countJs)) as number;
  if (injected !== n) throw new Error(`${view.what}: ${injected} units after injecting ${n}`);
}

interface RunFigures {
  /** Per-second frame rates over every second of the measured run. */
  fps: { median: number; p10: number; p90: number };
  /** The same over the seconds in which the camera did not move (no fly-to in flight). */
  fpsStill: { median: number; p10: number; p90: number };
  /** The same over the seconds with a camera move (fly-to, flight back). */
  fpsMoving: { median: number; p10: number; p90: number };
  /** Share of seconds with a camera move. */
  movingShare: number;
  /** Share of frames longer than 200 ms while the map was not flying. */
  longShare: number;
  /** Share of all frames longer than 200 ms, fly-tos included. */
  longShareAll: number;
  longFrames: number;
  frames: number;
  heapGrowthMb: number;
  load: MachineLoad;
}

/**
 * CPU time (s) of all the browser's processes so far (page, GPU process, network …): under a
 * shared, loaded machine the CPU a frame costs moves less than the frame rate does.
 */
export async function browserCpuSeconds(browser: import('playwright-core').Browser): Promise<number> {
  const s = await browser.newBrowserCDPSession();
  try {
    const r = (await s.send('SystemInfo.getProcessInfo')) as { processInfo: Array<{ cpuTime: number }> };
    return r.processInfo.reduce((a, p) => a + p.cpuTime, 0);
  } finally {
    await s.detach();
  }
}

/** One second of the page's frames (see FRAME_COUNTER_JS). */
export interface SecondSample {
  fps: number;
  /** The camera moved (fly-to, flight back, pan or zoom) during some frame of this second. */
  moving: boolean;
  zoom: number;
  /** Longest frame interval ending in this second (ms). */
  maxFrameMs: number;
  /** Long tasks (over 50 ms, main thread) that ended in this second: their summed duration (ms). */
  longTaskMs: number;
}

/**
 * Runs in the page: samples frames per second from requestAnimationFrame into
 * `window.__fps` (SecondSample, at most an hour), and counts frames over 200 ms in
 * `window.__long` (all frames, and those while the camera was still).
 */
export const FRAME_COUNTER_JS = `(() => {
  window.__fps = [];
  window.__long = { frames: 0, long: 0, allFrames: 0, allLong: 0 };
  let frames = 0, moving = false, maxFrame = 0, longTask = 0;
  let t0 = performance.now();
  let last = 0;
  try {
    new PerformanceObserver((list) => { for (const e of list.getEntries()) longTask += e.duration; }).observe({ type: 'longtask' });
  } catch (e) { /* no long-task timing in this browser */ }
  const tick = function (t) {
    frames++;
    const m = window.__firelinkMap && window.__firelinkMap.map;
    const mov = !!(m && m.isMoving());
    if (mov) moving = true;
    if (last) {
      const d = t - last;
      if (d > maxFrame) maxFrame = d;
      window.__long.allFrames++;
      if (d > 200) window.__long.allLong++;
      if (!mov) {
        window.__long.frames++;
        if (d > 200) window.__long.long++;
      }
    }
    last = t;
    if (t - t0 >= 1000) {
      window.__fps.push({ fps: (frames * 1000) / (t - t0), moving, zoom: m ? m.getZoom() : 0, maxFrameMs: maxFrame, longTaskMs: longTask });
      if (window.__fps.length > 3600) window.__fps.shift();
      frames = 0; moving = mov; maxFrame = 0; longTask = 0;
      t0 = t;
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})()`;

/**
 * Frame rates around the wall's cuts (the tour's jumps between the overview and a fire: a zoom
 * change from one second to the next while the camera is still): the median of the seconds
 * 0–2 after a cut, and of the other seconds.
 */
function aroundCuts(seconds: readonly SecondSample[]): { cuts: number; after: ReturnType<typeof fpsFigures>; other: ReturnType<typeof fpsFigures> } {
  const near = new Set<number>();
  let cuts = 0;
  for (let i = 1; i < seconds.length; i++) {
    if (Math.abs(seconds[i]!.zoom - seconds[i - 1]!.zoom) < 0.5) continue;
    cuts++;
    for (let k = i; k < Math.min(seconds.length, i + 3); k++) near.add(k);
  }
  return {
    cuts,
    after: fpsFigures(seconds.filter((_, i) => near.has(i)).map((x) => x.fps)),
    other: fpsFigures(seconds.filter((_, i) => !near.has(i)).map((x) => x.fps)),
  };
}

/** Frame-rate figures of each minute of per-second samples (the last, partial minute included). */
function perMinute(seconds: readonly SecondSample[]): Array<ReturnType<typeof fpsFigures>> {
  const out: Array<ReturnType<typeof fpsFigures>> = [];
  for (let i = 0; i < seconds.length; i += 60) out.push(fpsFigures(seconds.slice(i, i + 60).map((x) => x.fps)));
  return out;
}

/** Median, p10 and p90 of per-second frame rates. */
export function fpsFigures(xs: number[]): { median: number; p10: number; p90: number; n: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { median: median(s), p10: percentile(s, 10), p90: percentile(s, 90), n: s.length };
}

export const fmtFps = (f: { median: number; p10: number; p90: number; n: number }) =>
  f.n ? `median ${f.median.toFixed(1)}, p10 ${f.p10.toFixed(1)}, p90 ${f.p90.toFixed(1)} (${f.n} s)` : '— (0 s)';

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
    // A software-WebGL wall's rings stand still (wall.css .still-rings): these are the rings as a GPU wall animates them, and in 2 steps a cycle.
    ...[8, 2].map((steps): [string, string] => [
      `pulse rings in ${steps} steps a cycle`,
      `.wall .fl-pulse::before, .wall .fl-pulse::after { animation-name: fl-pulse !important; animation-duration: 1.4s !important; animation-iteration-count: infinite !important; animation-timing-function: steps(${steps}, jump-end) !important; will-change: transform, opacity !important; }`,
    ]),
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

type Cdp = import('playwright-core').CDPSession;

/** The page's main thread under the JavaScript profiler while `during` runs: top self time. */
export async function profileMainThread(cdp: Cdp, during: () => Promise<unknown>, log: (m: string) => void): Promise<void> {
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.start');
  const t0 = Date.now();
  await during();
  const secs = (Date.now() - t0) / 1000;
  const { profile } = (await cdp.send('Profiler.stop')) as { profile: { nodes: Array<{ id: number; hitCount?: number; callFrame: { functionName: string; url: string; lineNumber: number } }>; samples: number[]; timeDeltas: number[] } };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const n = byId.get(profile.samples[i]!)!;
    const key = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  log(`main thread, ${secs.toFixed(0)} s profile: top self time (ms) of ${total.toFixed(0)} ms sampled`);
  for (const [k, v] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25)) log(`  ${v.toFixed(0).padStart(6)}  ${k}`);
}

/** A trace of every thread while `during` runs: busy time and the named work inside, per second. */
export async function traceThreads(cdp: Cdp, during: () => Promise<unknown>, log: (m: string) => void): Promise<void> {
  const events: Array<{ name: string; ph: string; dur?: number; tid: number; pid: number; args?: { name?: string } }> = [];
  const onData = (d: { value: unknown }) => void events.push(...(d.value as typeof events));
  cdp.on('Tracing.dataCollected', onData);
  const done = new Promise<void>((r) => cdp.once('Tracing.tracingComplete', () => r()));
  await cdp.send('Tracing.start', { categories: 'devtools.timeline,disabled-by-default-devtools.timeline,gpu,cc,blink,viz', transferMode: 'ReportEvents' });
  const t0 = Date.now();
  await during();
  const secs = (Date.now() - t0) / 1000;
  await cdp.send('Tracing.end');
  await done;
  cdp.off('Tracing.dataCollected', onData);
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
    const top = [...m.entries()].filter(([k]) => !TASKS.has(k)).sort((a, b) => b[1] - a[1]).slice(0, 8);
    if (busy > 10 * secs || (top[0] && top[0][1] > 10 * secs)) log(`trace ${t}: busy ${(busy / secs).toFixed(0)} ms/s; ${top.map(([k, v]) => `${k} ${(v / secs).toFixed(0)}`).join(', ')} (ms/s, nested events overlap)`);
  }
}

/**
 * What a fly-to costs, by flying the wall's round by hand (to street zoom and back to the
 * overview, as WallTour does) with one change at a time, and counting frames while the
 * camera moves. The tour is paused meanwhile.
 */
async function splitFlights(page: import('playwright-core').Page, cdp: Cdp, cpu: () => Promise<number>, log: (m: string) => void): Promise<void> {
  const variants: Array<[string, string]> = [
    ['as shipped', ''],
    ['full resolution in flight', 'c.motionResolution = 1;'],
    ['without pulse markers', `pulses.textContent = '.fl-pulse { display: none !important; }';`],
    ['without 3D buildings', `if (c.map.getLayer('fl-buildings-3d')) c.map.setLayoutProperty('fl-buildings-3d', 'visibility', 'none');`],
    ['pitch 0', 'pitch = 0;'],
  ];
  await page.evaluate(`window.__firelinkWall.setTourPaused(true)`);
  const round = (change: string) =>
    page.evaluate(`(async () => {
      const c = window.__firelinkMap;
      const was = c.motionResolution;
      const pulses = document.createElement('style');
      document.head.appendChild(pulses);
      let pitch = 45;
      ${change}
      const overview = [118.35, 31.65, 119.25, 32.4];
      const pad = { top: 100, bottom: 150, left: 428, right: 508 };
      let frames = 0, movingMs = 0, last = 0, worst = 0;
      let on = true;
      const tick = function (t) {
        if (last && c.map.isMoving()) { frames++; movingMs += t - last; worst = Math.max(worst, t - last); }
        last = t;
        if (on) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
      const rest = () => new Promise((r) => c.map.once('moveend', () => setTimeout(r, 1000)));
      const targets = [[118.80, 32.05], [118.62, 31.9], [119.0, 32.2]];
      for (const lonLat of targets) {
        c.map.flyTo({ center: lonLat, zoom: 15.5, pitch, duration: 2500, essential: true });
        await rest();
        c.fitBounds(overview, pad, 2500);
        await rest();
      }
      on = false;
      c.motionResolution = was;
      pulses.remove();
      if (c.map.getLayer('fl-buildings-3d')) c.map.setLayoutProperty('fl-buildings-3d', 'visibility', 'visible');
      return { fps: movingMs ? (frames * 1000) / movingMs : 0, frames, worst };
    })()`) as Promise<{ fps: number; frames: number; worst: number }>;
  // Where a round's time goes: once under the JavaScript profiler, once traced.
  await profileMainThread(cdp, () => round(''), (m) => log(`flights: ${m}`));
  await traceThreads(cdp, () => round(''), (m) => log(`flights: ${m}`));
  for (const [name, change] of variants) {
    const cpu0 = await cpu();
    const r = await round(change);
    const cpuS = (await cpu()) - cpu0;
    log(`flights ${name.padEnd(28)} ${r.fps.toFixed(1).padStart(5)} fps while moving (${r.frames} frames, longest ${r.worst.toFixed(0)} ms); browser CPU ${(cpuS / 6).toFixed(2)} s a flight (1 s at rest included)`);
  }
  await page.evaluate(`window.__firelinkWall.setTourPaused(false)`);
}

/**
 * `--cuts`: the frame rate in the 3 s after the tour's cuts (overview ↔ a fire at 15.5, as the
 * wall without a GPU does), with one change at a time. The variants take turns (their order
 * rotates every round), so tiles cached by an earlier cut and other work on the machine fall
 * on all of them alike; the median of the rounds is printed.
 */
async function splitCuts(page: import('playwright-core').Page, log: (m: string) => void, rounds = 4): Promise<void> {
  const variants: Array<[string, string]> = [
    ['as shipped (straight down)', ''],
    ['pitched 45°', 'pitch = 45;'],
    ['pitched 45°, no 3D buildings', `pitch = 45; if (c.map.getLayer('fl-buildings-3d')) c.map.setLayoutProperty('fl-buildings-3d', 'visibility', 'none');`],
  ];
  await page.evaluate(`window.__firelinkWall.setTourPaused(true)`);
  const round = (change: string) =>
    page.evaluate(`(async () => {
      const c = window.__firelinkMap;
      const was = c.motionResolution;
      let pitch;
      ${change}
      const overview = [118.35, 31.65, 119.25, 32.4];
      const pad = { top: 100, bottom: 150, left: 428, right: 508 };
      const framesFor = (ms) => new Promise((resolve) => {
        let n = 0; const t0 = performance.now();
        const tick = (t) => { n++; if (t - t0 < ms) requestAnimationFrame(tick); else resolve(n * 1000 / (t - t0)); };
        requestAnimationFrame(tick);
      });
      const out = [];
      for (const lonLat of [[118.80, 32.05], [118.62, 31.9], [119.0, 32.2]]) {
        c.flyTo(lonLat, 15.5, { pitch, durationMs: 0 });
        out.push(await framesFor(3000));
        await new Promise((r) => setTimeout(r, 2000));
        c.fitBounds(overview, pad, 0);
        out.push(await framesFor(3000));
        await new Promise((r) => setTimeout(r, 2000));
      }
      c.motionResolution = was;
      if (c.map.getLayer('fl-buildings-3d')) c.map.setLayoutProperty('fl-buildings-3d', 'visibility', 'visible');
      return out;
    })()`) as Promise<number[]>;
  const fps = new Map<string, number[]>(variants.map(([name]) => [name, []]));
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < variants.length; k++) {
      const [name, change] = variants[(k + r) % variants.length]!;
      fps.get(name)!.push(...(await round(change)));
    }
  }
  for (const [name, xs] of fps) {
    const f = fpsFigures(xs);
    log(`cuts ${name.padEnd(28)} 3 s after a cut: median ${f.median.toFixed(1)} fps, p10 ${f.p10.toFixed(1)} (${xs.length} cuts)`);
  }
  await page.evaluate(`window.__firelinkWall.setTourPaused(false)`);
}

export default async function benchWall(ctx: BenchContext): Promise<void> {
  const { log, args } = ctx;
  // `--desk`: the desk map panned and zoomed instead (bench-desk-pan.ts; `npm run bench:desk`).
  if (args.includes('--desk')) return (await import('./bench-desk-pan.ts')).default(ctx);
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
  // INGEST_THREAD=0 in the environment runs the server's ingest in its main thread, for comparison.
  const stack = await startStack(ctx.databaseUrl, process.env.INGEST_THREAD ? { INGEST_THREAD: process.env.INGEST_THREAD } : {});
  const results: RunFigures[] = [];
  const failures: string[] = [];
  let renderer = 'unknown';
  // Fires sent so far, over all runs: each goes to the next device (unit), so every fire of
  // every run opens a new alarm instead of joining one a previous run left open.
  let firesSent = 0;
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
      `  frames per second    all seconds: median ${med((r) => r.fps.median).toFixed(1)} (runs: ${results.map((r) => r.fps.median.toFixed(1)).join(', ')}), p10 ${med((r) => r.fps.p10).toFixed(1)} (runs: ${results.map((r) => r.fps.p10.toFixed(1)).join(', ')}), p90 ${med((r) => r.fps.p90).toFixed(1)}`,
      `                       outside fly-tos: median ${med((r) => r.fpsStill.median).toFixed(1)}, p10 ${med((r) => r.fpsStill.p10).toFixed(1)} (runs: ${results.map((r) => r.fpsStill.p10.toFixed(1)).join(', ')}), p90 ${med((r) => r.fpsStill.p90).toFixed(1)}`,
      `                       during fly-tos (${(med((r) => r.movingShare) * 100).toFixed(0)}% of seconds): median ${med((r) => r.fpsMoving.median).toFixed(1)}, p10 ${med((r) => r.fpsMoving.p10).toFixed(1)}, p90 ${med((r) => r.fpsMoving.p90).toFixed(1)}`,
      `  long frames          ${(med((r) => r.longShare) * 100).toFixed(2)}% over 200 ms outside fly-tos (runs: ${results.map((r) => `${(r.longShare * 100).toFixed(2)}%`).join(', ')}); ${(med((r) => r.longShareAll) * 100).toFixed(2)}% of all frames`,
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
    await injectBenchUnits(page, unitCount, { what: 'bench:wall: the wall', countJs: 'window.__firelinkWall ? window.__firelinkWall.stats().units : 0', hook: '__firelinkWall' });

    // Frame counter: one sample per whole second (frames/s, whether the camera moved in that
    // second, the zoom at its end, its longest frame and the long tasks that ended in it), in a
    // bounded array. Long frames are counted outside camera moves (a fly-to is reported apart).
    await page.evaluate(FRAME_COUNTER_JS);

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
        // Every 30 s one fire at the next unit; otherwise faults that open and clear alarms.
        const fire = i % (rate * 30) === rate * 5;
        const n = fire ? firesSent++ : i;
        const sim = sims[n % sims.length]!;
        const points = byDevice.get(sim.address)!;
        const p = points[Math.floor(n / sims.length) % points.length]!;
        const key = `${sim.address}:${p.componentAddress}`;
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
    // `--shots DIR`: the first run's overview and its first fire in focus, as PNG (during the
    // warm-up, so the measured minutes are not disturbed).
    const shots = args.includes('--shots') ? args[args.indexOf('--shots') + 1] : undefined;
    if (shots && runNo === 1) {
      await page.waitForTimeout(5000);
      await page.screenshot({ path: `${shots}/wall-100k-overview-${width}x${height}.png` });
      for (const started = Date.now(); Date.now() - started < 60_000; await page.waitForTimeout(500)) {
        if ((await page.evaluate(`window.__firelinkWall.stats().focus`)) !== null) break;
      }
      await page.waitForTimeout(3000);
      await page.screenshot({ path: `${shots}/wall-100k-fire-${width}x${height}.png` });
    }
    if (args.includes('--profile')) {
      // Where the page's main thread spends its time under load: 10 s of the CPU profiler.
      await page.waitForTimeout(Math.min(20_000, warmupMs));
      await profileMainThread(cdp, () => page.waitForTimeout(10_000), log);
      // The same for native work (style, layout, paint, GPU waits): a 10 s trace of the renderer.
      await traceThreads(cdp, () => page.waitForTimeout(10_000), log);
      await splitByAblation(page);
    }
    if (args.includes('--profile') || args.includes('--flights')) await splitFlights(page, cdp, () => browserCpuSeconds(browser.browser), log);
    if (args.includes('--cuts')) await splitCuts(page, log);
    // The measured run starts after any profiling: its phases switch parts of the page off.
    await page.evaluate(`(() => { window.__fps.length = 0; })()`);
    log(`running ${minutes} min with ${unitCount} units at ${rate} events/s (warm-up ${warmupMs / 1000} s excluded from the heap baseline) …`);
    await page.waitForTimeout(warmupMs);
    const heap0 = await heapAfterGc();
    const stats0 = await page.evaluate(() => (window as unknown as { __firelinkWall: { stats: () => { applied: number } } }).__firelinkWall.stats());
    const drawStats = `(() => { const s = window.__firelinkMap.drawStats; return { frames: s.frames, totalMs: s.totalMs, maxMs: s.maxMs, mapFrames: s.mapFrames }; })()`;
    const draw0 = (await page.evaluate(drawStats)) as { frames: number; totalMs: number; maxMs: number; mapFrames: number };
    const long0 = (await page.evaluate(`window.__long`)) as { frames: number; long: number; allFrames: number; allLong: number };
    const loadOf = measureLoad();
    const cpu0 = await browserCpuSeconds(browser.browser);
    const t1 = Date.now();
    const samples: Array<{ s: number; heap: number }> = [];
    // Measured: the run's minutes less the warm-up, from here (however long the warm-up's GC took).
    const measureMs = minutes * 60_000 - warmupMs;
    // The page's own counters every 30 s (DOM nodes, listeners, and the main thread's time per
    // second in tasks, script, style and layout): what grows when a wall slows down over time.
    await cdp.send('Performance.enable');
    // Pulse markers added to the page (each a DOM element with two animated rings and a MapLibre marker's listeners).
    await page.evaluate(`(() => {
      window.__pulsesAdded = 0;
      new MutationObserver((ms) => { for (const m of ms) for (const n of m.addedNodes) if (n.classList && n.classList.contains('fl-pulse')) window.__pulsesAdded++; })
        .observe(document.body, { childList: true, subtree: true });
    })()`);
    let pulses0 = 0;
    const pageMetrics = async () => Object.fromEntries(((await cdp.send('Performance.getMetrics')) as { metrics: Array<{ name: string; value: number }> }).metrics.map((m) => [m.name, m.value]));
    let m0 = await pageMetrics();
    let tm0 = Date.now();
    while (Date.now() - t1 < measureMs) {
      await page.waitForTimeout(Math.min(30_000, measureMs - (Date.now() - t1)));
      const h = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
      samples.push({ s: Math.round((Date.now() - trafficStart) / 1000), heap: h.usedSize });
      const m1 = await pageMetrics();
      const per = (k: string) => (((m1[k] ?? 0) - (m0[k] ?? 0)) * 1000) / ((Date.now() - tm0) / 1000);
      const pulses1 = (await page.evaluate(`window.__pulsesAdded`)) as number;
      const pulsesPerS = (pulses1 - pulses0) / ((Date.now() - tm0) / 1000);
      pulses0 = pulses1;
      log(
        `  t=${samples.at(-1)!.s}s heap ${mb(h.usedSize)} MB, events confirmed ${sent}; DOM nodes ${m1.Nodes}, listeners ${m1.JSEventListeners}, pulse markers added ${pulsesPerS.toFixed(1)}/s; ` +
          `main thread ms/s: tasks ${per('TaskDuration').toFixed(0)}, script ${per('ScriptDuration').toFixed(0)}, style ${per('RecalcStyleDuration').toFixed(0)}, layout ${per('LayoutDuration').toFixed(0)}`,
      );
      m0 = m1;
      tm0 = Date.now();
    }
    // `--profile-end`: the same profiles as --profile, at the end of the measured minutes
    // (traffic still running, the alarm queue as full as the run made it).
    if (args.includes('--profile-end')) {
      await profileMainThread(cdp, () => page.waitForTimeout(10_000), log);
      await traceThreads(cdp, () => page.waitForTimeout(10_000), log);
    }
    state.stopTraffic = true;
    await traffic;
    const elapsedS = (Date.now() - t1) / 1000;
    const cpuS = (await browserCpuSeconds(browser.browser)) - cpu0;
    const heap1 = await heapAfterGc();
    const stats1 = await page.evaluate(() => (window as unknown as { __firelinkWall: { stats: () => { applied: number; queue: number; ticker: number; units: number; alertsPlayed: number } } }).__firelinkWall.stats());
    const draw1 = (await page.evaluate(drawStats)) as { frames: number; totalMs: number; maxMs: number; mapFrames: number };
    const drawFrames = draw1.frames - draw0.frames;
    const long1 = (await page.evaluate(`window.__long`)) as { frames: number; long: number; allFrames: number; allLong: number };
    const seconds = ((await page.evaluate(`window.__fps`)) as SecondSample[]).slice(Math.round(warmupMs / 1000));
    const fps = seconds.map((x) => x.fps);
    const all = fpsFigures(fps);
    const still = fpsFigures(seconds.filter((x) => !x.moving).map((x) => x.fps));
    const moving = fpsFigures(seconds.filter((x) => x.moving).map((x) => x.fps));
    // The slowest seconds outside camera moves, with what was going on in them.
    const slowest = seconds
      .map((x, i) => ({ ...x, i }))
      .filter((x) => !x.moving)
      .sort((a, b) => a.fps - b.fps)
      .slice(0, 8);
    const growthMb = (heap1 - heap0) / 1024 / 1024;
    const load = loadOf();
    const measuredFrames = long1.frames - long0.frames;
    const longShare = measuredFrames ? (long1.long - long0.long) / measuredFrames : NaN;
    const allFrames = long1.allFrames - long0.allFrames;
    const longShareAll = allFrames ? (long1.allLong - long0.allLong) / allFrames : NaN;
    const lines = [
      '',
      `run ${runNo} of ${runs} — /wall in headless Chromium (${width}×${height}), ${fmtLoad(load)}`,
      `  duration             ${minutes} min (${Math.round(elapsedS)} s measured after ${warmupMs / 1000} s warm-up)`,
      `  units drawn          ${stats1.units.toLocaleString('en')}; alarms in the queue at the end ${stats1.queue.toLocaleString('en')}`,
      `  events               offered ${rate}/s (${offered} frames); confirmed by the center ${(sent / ((Date.now() - trafficStart) / 1000)).toFixed(1)}/s on average; unconfirmed after resends ${failed}; still pending at the end ${offered - sent - failed}`,
      `  stream messages      ${((stats1.applied - stats0.applied) / elapsedS).toFixed(1)}/s applied by the page`,
      `  frames per second    all seconds ${fmtFps(all)}`,
      `                       outside fly-tos ${fmtFps(still)}`,
      `                       during fly-tos ${fmtFps(moving)}`,
      `  per minute           ${perMinute(seconds).map((m, i) => `${i + 1}: ${m.median.toFixed(0)}/${m.p10.toFixed(0)}`).join(', ')} (median/p10 fps; a wall that slows as its queue grows shows here)`,
      ((c) => `  around cuts          ${c.cuts} cuts (overview ↔ fire); the 3 s from each: ${fmtFps(c.after)}; all other seconds: ${fmtFps(c.other)}`)(aroundCuts(seconds)),
      `  slowest still secs   ${slowest.map((x) => `${x.fps.toFixed(0)} fps @z${x.zoom.toFixed(1)} max ${x.maxFrameMs.toFixed(0)} ms, long tasks ${x.longTaskMs.toFixed(0)} ms`).join('; ')}`,
      `  browser CPU          ${(cpuS / elapsedS).toFixed(2)} cores on average (all Chromium processes), ${allFrames ? ((cpuS * 1000) / allFrames).toFixed(0) : '—'} ms a frame`,
      `  long frames          ${(longShare * 100).toFixed(2)}% of ${measuredFrames} frames over 200 ms outside fly-tos; ${(longShareAll * 100).toFixed(2)}% of all ${allFrames}`,
      `  deck.gl redraws      ${(drawFrames / elapsedS).toFixed(2)}/s, ${drawFrames ? ((draw1.totalMs - draw0.totalMs) / drawFrames).toFixed(1) : '—'} ms mean on the main thread (max over the run ${draw1.maxMs.toFixed(0)} ms; fly-to frames included); MapLibre frames ${((draw1.mapFrames - draw0.mapFrames) / elapsedS).toFixed(2)}/s`,
      `  JS heap after GC     ${mb(heap0)} MB → ${mb(heap1)} MB: growth ${growthMb.toFixed(2)} MB (${((growthMb / elapsedS) * 3600).toFixed(1)} MB/h extrapolated)`,
      `  heap samples (MB)    ${samples.map((x) => `${x.s}s:${mb(x.heap)}`).join(' ')}`,
      `  bounded state        queue ${stats1.queue} alarms, ticker ${stats1.ticker} rows, ${stats1.alertsPlayed} fire alerts played`,
      '',
    ];
    process.stdout.write(lines.join('\n'));
    return { fps: all, fpsStill: still, fpsMoving: moving, movingShare: seconds.length ? seconds.filter((x) => x.moving).length / seconds.length : NaN, longShare, longShareAll, longFrames: long1.long - long0.long, frames: measuredFrames, heapGrowthMb: growthMb, load };
  }
}
