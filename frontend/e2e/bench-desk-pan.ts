// `npm run bench:desk` (`firelink bench wall --desk`): headless Chromium on /desk with 100,000
// units, panning and zooming the map as an operator does (mouse drags and wheel turns, real
// input events through MapLibre's handlers); prints frames per second while the map moves,
// median and p10 of one-second samples, per run and the median over the runs.
//
// The units are synthetic positions handed to the desk's units store
// (window.__firelinkDesk.injectUnits), the same 100,000 as bench:wall. No event traffic: the
// figure is the map's own cost of moving (bench:wall measures the stream).
//
// Options: --shots DIR (screenshots of the first run) | --runs N (default 3) | --seconds N (scripted input per run, default 60) | --units N |
// --width N --height N | --profile (before the first run's script: where a drag's time goes, from the JavaScript profiler and a
// trace of every thread, and the frame rate of a drag with and without the alarm pulse markers)
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import type { BenchContext } from '@firelink/common/testing';
import { seedDemoSubset } from '@firelink/geodata';
import pg from 'pg';
import type { Page } from 'playwright-core';
import { fmtLoad, measureLoad, median, positiveArg, type MachineLoad } from '../../ingest/bench/machine.ts';
import { FRAME_COUNTER_JS, browserCpuSeconds, cjkFonts, fmtFps, fpsFigures, injectBenchUnits, profileMainThread, traceThreads, type SecondSample } from './bench-wall.ts';
import { CHROMIUM, ensureFrontendBuilt, launchBrowser, login, startStack, waitForMapIdle } from './harness.ts';

interface PanFigures {
  fps: { median: number; p10: number; p90: number; n: number };
  /** Share of frames over 200 ms. */
  longShare: number;
  /** Chromium's CPU (all processes) per frame, ms: moves less with the machine's load than the frame rate does. */
  cpuMsPerFrame: number;
  cpuCores: number;
  load: MachineLoad;
}

/** Frames per second of the page (rAF), deck.gl draws and MapLibre repaints during one drag, with `css` applied. */
async function dragSplit(page: Page, name: string, css: string, gesture: () => Promise<void>, log: (m: string) => void): Promise<void> {
  await page.evaluate(`(() => { const s = document.createElement('style'); s.id = 'fl-split'; s.textContent = ${JSON.stringify(css)}; document.head.appendChild(s);
    const st = window.__firelinkMap.drawStats; window.__split = { t0: performance.now(), frames: 0, d0: { ...st }, on: true };
    const tick = () => { if (!window.__split.on) return; window.__split.frames++; requestAnimationFrame(tick); }; requestAnimationFrame(tick); })()`);
  await gesture();
  const r = (await page.evaluate(`(() => { const x = window.__split; x.on = false; document.getElementById('fl-split').remove();
    const st = window.__firelinkMap.drawStats; const secs = (performance.now() - x.t0) / 1000;
    return { fps: x.frames / secs, deck: (st.frames - x.d0.frames) / secs, deckMs: st.frames > x.d0.frames ? (st.totalMs - x.d0.totalMs) / (st.frames - x.d0.frames) : 0, map: (st.mapFrames - x.d0.mapFrames) / secs }; })()`)) as { fps: number; deck: number; deckMs: number; map: number };
  log(`profile: drag ${name.padEnd(28)} ${r.fps.toFixed(1).padStart(5)} frames/s; deck.gl ${r.deck.toFixed(1)} draws/s × ${r.deckMs.toFixed(1)} ms (main thread); MapLibre ${r.map.toFixed(1)} repaints/s`);
  await page.waitForTimeout(1500);
}

/** One scripted gesture: a drag along a circle, or wheel turns in then out. */
async function drag(page: Page, cx: number, cy: number, radius: number, ms: number): Promise<void> {
  await page.mouse.move(cx + radius, cy);
  await page.mouse.down();
  const t0 = Date.now();
  // ~60 input events a second, as a mouse sends them; the angle follows the clock, so a slow
  // page gets fewer, larger steps (as it would from a real mouse).
  while (Date.now() - t0 < ms) {
    const a = ((Date.now() - t0) / ms) * 2 * Math.PI;
    await page.mouse.move(cx + radius * Math.cos(a), cy + radius * Math.sin(a));
    await new Promise((r) => setTimeout(r, 16));
  }
  await page.mouse.up();
}

async function wheel(page: Page, x: number, y: number, clicks: number, direction: 1 | -1): Promise<void> {
  await page.mouse.move(x, y);
  for (let i = 0; i < clicks; i++) {
    await page.mouse.wheel(0, direction * 120);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export default async function benchDeskPan(ctx: BenchContext): Promise<void> {
  const { log, args } = ctx;
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package`);
  const runs = positiveArg(args, 'runs', 3);
  const seconds = positiveArg(args, 'seconds', 60);
  const unitCount = positiveArg(args, 'units', 100_000);
  const width = positiveArg(args, 'width', 1920);
  const height = positiveArg(args, 'height', 1080);

  await ensureFrontendBuilt(log);
  const pool = new pg.Pool({ connectionString: ctx.databaseUrl, max: 4 });
  log('seeding the demo subset (regions, roads, units) …');
  await seedDemoSubset(pool, { units: 60, roads: false, maxPointsPerUnit: 30 });
  await pool.end();

  const fonts = cjkFonts();
  const loadAll = measureLoad();
  const stack = await startStack(ctx.databaseUrl);
  const results: PanFigures[] = [];
  const failures: string[] = [];
  let renderer = 'unknown';
  try {
    for (let runNo = 1; runNo <= runs; runNo++) {
      const browser = await launchBrowser({ viewport: { width, height } });
      try {
        const page = await browser.newPage();
        await login(page, stack.baseUrl, stack, '/desk');
        await waitForMapIdle(page, 60_000);
        renderer = (await page.evaluate(`(() => { const gl = document.createElement('canvas').getContext('webgl2') || document.createElement('canvas').getContext('webgl');
          if (!gl) return 'no WebGL'; const x = gl.getExtension('WEBGL_debug_renderer_info');
          return String(x ? gl.getParameter(x.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER)); })()`)) as string;
        // The same deterministic units as bench:wall, once the desk has loaded its real ones.
        await injectBenchUnits(page, unitCount, { what: 'bench:desk: the desk', countJs: 'window.__firelinkDesk ? window.__firelinkDesk.units() : 0', hook: '__firelinkDesk' });
        await page.waitForTimeout(3000);

        const box = (await page.evaluate(`(() => { const r = document.querySelector('[data-testid=command-map]').getBoundingClientRect(); return { x: r.left, y: r.top, w: r.width, h: r.height }; })()`)) as { x: number; y: number; w: number; h: number };
        const cx = box.x + box.w / 2;
        const cy = box.y + box.h / 2;
        const radius = Math.min(box.w, box.h) / 4;
        // `--shots DIR`: the first run's map at rest and in the middle of a drag, as PNG.
        const shots = args.includes('--shots') ? args[args.indexOf('--shots') + 1] : undefined;
        if (shots && runNo === 1) {
          await page.screenshot({ path: `${shots}/desk-100k-rest-${width}x${height}.png` });
          await page.mouse.move(cx, cy);
          await page.mouse.down();
          for (let k = 1; k <= 10; k++) await page.mouse.move(cx + k * 8, cy + k * 4);
          await page.screenshot({ path: `${shots}/desk-100k-dragging-${width}x${height}.png` });
          await page.mouse.up();
          await page.waitForTimeout(2000);
        }
        if (args.includes('--profile') && runNo === 1) {
          const cdp = await browser.context.newCDPSession(page);
          const gesture = () => drag(page, cx, cy, radius, 4000);
          await dragSplit(page, 'everything on', '', gesture, log);
          await dragSplit(page, 'without pulse markers', '.fl-pulse { display: none !important; }', gesture, log);
          await profileMainThread(cdp, gesture, log);
          await traceThreads(cdp, gesture, log);
          await cdp.detach();
        }
        await page.evaluate(FRAME_COUNTER_JS);
        const loadOf = measureLoad();
        const cpu0 = await browserCpuSeconds(browser.browser);
        const long0 = (await page.evaluate(`window.__long`)) as { allFrames: number; allLong: number };
        const first = ((await page.evaluate(`window.__fps.length`)) as number) + 1;
        log(`run ${runNo}: ${seconds} s of drags and wheel zooms over ${unitCount.toLocaleString('en')} units …`);
        // The script: drag circles at city zoom, zoom in three wheel clicks, drag, zoom back out.
        const t0 = Date.now();
        await page.evaluate(`window.__gestureMoves = 0; window.__firelinkMap.map.on('move', (e) => { if (e.originalEvent) window.__gestureMoves++; })`);
        for (let round = 0; Date.now() - t0 < seconds * 1000; round++) {
          await drag(page, cx, cy, radius, 4000);
          // A drag that ends early (something stopped the gesture) would measure a still map.
          const moves = (await page.evaluate(`window.__gestureMoves`)) as number;
          if (round === 0 && moves < 5) throw new Error(`bench:desk: a 4 s drag moved the map ${moves} times: the gesture was stopped`);
          if (round % 2 === 0) await wheel(page, cx, cy, 3, -1);
          else await wheel(page, cx, cy, 3, 1);
        }
        const elapsedS = (Date.now() - t0) / 1000;
        const cpuS = (await browserCpuSeconds(browser.browser)) - cpu0;
        const long1 = (await page.evaluate(`window.__long`)) as { allFrames: number; allLong: number };
        const samples = ((await page.evaluate(`window.__fps`)) as SecondSample[]).slice(first);
        const all = fpsFigures(samples.map((x) => x.fps));
        const moving = fpsFigures(samples.filter((x) => x.moving).map((x) => x.fps));
        const frames = long1.allFrames - long0.allFrames;
        const r: PanFigures = { fps: all, longShare: frames ? (long1.allLong - long0.allLong) / frames : NaN, cpuMsPerFrame: frames ? (cpuS * 1000) / frames : NaN, cpuCores: cpuS / elapsedS, load: loadOf() };
        results.push(r);
        process.stdout.write(
          [
            '',
            `run ${runNo} of ${runs} — /desk in headless Chromium (${width}×${height}), ${fmtLoad(r.load)}`,
            `  frames per second    ${fmtFps(all)}; seconds with the camera moving ${fmtFps(moving)}`,
            `  long frames          ${(r.longShare * 100).toFixed(2)}% of ${frames} frames over 200 ms`,
            `  browser CPU          ${r.cpuCores.toFixed(2)} cores on average (all Chromium processes), ${r.cpuMsPerFrame.toFixed(0)} ms a frame`,
            '',
          ].join('\n'),
        );
      } catch (err) {
        failures.push(`run ${runNo}: ${(err as Error).message.split('\n')[0]}`);
        log(`run ${runNo} failed: ${(err as Error).message.split('\n')[0]}`);
      } finally {
        await browser.close();
      }
    }
  } finally {
    await stack.close();
  }
  const med = (f: (r: PanFigures) => number) => median(results.map(f));
  process.stdout.write(
    [
      '',
      `bench:desk — desk map panned and zoomed, median of ${results.length} runs (${seconds} s each, ${unitCount.toLocaleString('en')} units, ${width}×${height})`,
      `  conditions           renderer ${renderer}; CJK fonts ${fonts.length ? fonts.join(', ') : 'none'}; ${fmtLoad(loadAll())} over the whole bench; ${cpus().length} CPUs`,
      `  frames per second    median ${med((r) => r.fps.median).toFixed(1)} (runs: ${results.map((r) => r.fps.median.toFixed(1)).join(', ')}), p10 ${med((r) => r.fps.p10).toFixed(1)} (runs: ${results.map((r) => r.fps.p10.toFixed(1)).join(', ')}), p90 ${med((r) => r.fps.p90).toFixed(1)}`,
      `  long frames          ${(med((r) => r.longShare) * 100).toFixed(2)}% over 200 ms`,
      `  browser CPU          ${med((r) => r.cpuMsPerFrame).toFixed(0)} ms a frame (runs: ${results.map((r) => r.cpuMsPerFrame.toFixed(0)).join(', ')}; all Chromium processes)`,
      `  load during runs     ${results.map((r) => fmtLoad(r.load)).join(' | ')}`,
      ...(failures.length ? [`  failed runs          ${failures.join('; ')}`] : []),
      '  target: ≥ 15 frames/s while panning with 100,000 units.',
      '',
    ].join('\n'),
  );
}
