// The wall display in Chromium against the real backend: pulsing rings drawn at their
// alarms, the camera's round, and the banner of an account without a jurisdiction.
// E2E_SCREENSHOTS=<dir> also saves wall-*.png at 1920×1080 and 1280×800.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { seedDemoSubset } from '@firelink/geodata';
import { SimulatedUitd } from '@firelink/ingest';
import type { Page } from 'playwright-core';
import { hashPassword } from '../../backend/src/auth/passwords.ts';
import { CHROMIUM, launchBrowser, login, startStack, waitForMapIdle, ensureFrontendBuilt, type BrowserSession, type Stack } from './harness.ts';

const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: install Debian's chromium package to run the browser tests`;
const UI_TIMEOUT_MS = 45_000;
const SHOTS = process.env.E2E_SCREENSHOTS;

type PointRef = { systemType: number; systemAddress: number; componentType: number; componentAddress: number };

interface WallHook {
  stats: () => { units: number; focus: number | null };
  alarms: () => Array<{ id: number; lonWgs84: number; latWgs84: number; priority: number }>;
  setTourPaused: (paused: boolean) => void;
}

describe('wall display in Chromium', { skip, timeout: 300_000 }, () => {
  let db: TestDatabase;
  let stack: Stack;
  let browser: BrowserSession;
  let devices: Array<{ address: number; unitName: string; point: PointRef }>;

  before(async () => {
    await ensureFrontendBuilt((m) => console.log(m));
    db = await createTestDatabase('e2e_wall');
    await seedDemoSubset(db.pool, { units: Number(process.env.E2E_WALL_UNITS ?? 40), roads: true, maxPointsPerUnit: 8 });
    // One registered UITD with a point in each of several located units.
    const r = await db.pool.query(
      `SELECT DISTINCT ON (u.id) d.address, u.name, s.system_type, s.system_address, p.component_type, p.component_address
         FROM devices d JOIN units u ON u.id = d.unit_id
         JOIN facility_systems s ON s.device_id = d.id JOIN points p ON p.system_id = s.id
        WHERE d.protocol = 'gb26875' AND u.point IS NOT NULL
        ORDER BY u.id, d.id, p.id LIMIT 6`,
    );
    assert.ok(r.rows.length >= 4, `the demo subset has at least 4 units with a GB/T 26875 device (got ${r.rows.length})`);
    devices = r.rows.map((row) => ({
      address: Number(row.address),
      unitName: row.name,
      point: { systemType: row.system_type, systemAddress: row.system_address, componentType: row.component_type, componentAddress: Number(row.component_address) },
    }));
    stack = await startStack(db.url);
    browser = await launchBrowser({ viewport: { width: 1280, height: 800 } });
  });

  after(async () => {
    await browser?.close();
    await stack?.close();
    await db?.drop();
  });

  async function openWall(page: Page): Promise<void> {
    await login(page, stack.baseUrl, stack, '/wall');
    await page.waitForFunction(() => document.querySelector('[data-testid=conn-status]')?.classList.contains('live'), null, { timeout: UI_TIMEOUT_MS });
    await page.waitForFunction(() => ((window as unknown as { __firelinkWall?: WallHook }).__firelinkWall?.stats().units ?? 0) > 0, null, { timeout: UI_TIMEOUT_MS });
    await waitForMapIdle(page);
  }

  async function sendAlarms(kind: 'fire' | 'fault', from: typeof devices): Promise<void> {
    for (const d of from) {
      const uitd = new SimulatedUitd({ port: stack.gbPort, address: d.address, host: '127.0.0.1' });
      await uitd.connect();
      try {
        const sent = kind === 'fire' ? await uitd.sendFire(d.point) : await uitd.sendFault(d.point);
        assert.equal(sent.denied, false);
      } finally {
        uitd.close();
      }
    }
  }

  // The rings were drawn in a column down the map: the app's CSS gave `.fl-pulse`
  // `position: relative`, overriding MapLibre's absolute marker positioning (each ring
  // ~30 px below the previous one, whatever its alarm's position).
  it('draws every pulsing ring at its alarm: marker box and ring pixels at the projected position', async () => {
    const page = await browser.newPage();
    try {
      await openWall(page);
      await sendAlarms('fire', devices.slice(0, 3));
      await sendAlarms('fault', devices.slice(3, 5));
      const expected = Math.min(devices.length, 5);
      await page.waitForFunction((n) => document.querySelectorAll('.fl-pulse').length >= n, expected, { timeout: UI_TIMEOUT_MS });
      // Hold the camera on the overview: positions are compared across a screenshot.
      await page.evaluate(() => {
        const w = (window as unknown as { __firelinkWall: WallHook }).__firelinkWall;
        w.setTourPaused(true);
        const m = (window as unknown as { __firelinkMap: { map: { stop: () => void; jumpTo: (o: object) => void } } }).__firelinkMap.map;
        m.stop();
      });
      await page.evaluate(`(() => {
        const a = window.__firelinkWall.alarms();
        let w = 180, s = 90, e = -180, n = -90;
        for (const x of a) { w = Math.min(w, x.lonWgs84); e = Math.max(e, x.lonWgs84); s = Math.min(s, x.latWgs84); n = Math.max(n, x.latWgs84); }
        window.__firelinkMap.fitBounds([w, s, e, n], 200, 0);
        window.__firelinkMap.map.jumpTo({ pitch: 0, bearing: 0 });
      })()`);
      await waitForMapIdle(page);
      const placed = (await page.evaluate(`(() => {
        const alarms = window.__firelinkWall.alarms();
        return [...document.querySelectorAll('.fl-pulse')].map((el) => {
          const a = alarms.find((x) => String(x.id) === el.dataset.alarmId);
          const r = el.getBoundingClientRect();
          const p = window.__firelinkMap.project([a.lonWgs84, a.latWgs84]);
          const c = window.__firelinkMap.map.getContainer().getBoundingClientRect();
          return { id: a.id, priority: a.priority, box: { x: r.left + r.width / 2, y: r.top + r.height / 2, w: r.width }, at: { x: c.left + p.x, y: c.top + p.y } };
        });
      })()`)) as Array<{ id: number; priority: number; box: { x: number; y: number; w: number }; at: { x: number; y: number } }>;
      assert.equal(placed.length, expected);
      // Software WebGL (this Chromium: SwiftShader): the rings stand still (wall.css
      // .still-rings), since each step of an animated ring costs a commit that reads the WebGL
      // canvases back; with a GPU they pulse.
      const rings = (await page.evaluate(`(() => {
        const software = window.__firelinkWall.stats().softwareWebgl;
        const el = document.querySelector('.fl-pulse');
        return { software, still: document.querySelector('[data-testid=wall]').classList.contains('still-rings'), before: getComputedStyle(el, '::before').animationName, after: getComputedStyle(el, '::after').animationName, legend: document.querySelector('[data-testid=legend-pulse]').textContent };
      })()`)) as { software: boolean; still: boolean; before: string; after: string; legend: string };
      assert.equal(rings.still, rings.software, 'still rings exactly where WebGL is software');
      if (rings.software) {
        assert.deepEqual([rings.before, rings.after], ['none', 'none'], 'no ring animation without a GPU');
        assert.match(rings.legend, /光圈/);
      } else {
        assert.deepEqual([rings.before, rings.after], ['fl-pulse', 'fl-pulse']);
      }
      for (const p of placed) {
        const off = Math.hypot(p.box.x - p.at.x, p.box.y - p.at.y);
        assert.ok(off <= 2, `ring of alarm ${p.id} is centred on its alarm: box centre (${p.box.x.toFixed(1)}, ${p.box.y.toFixed(1)}), alarm at (${p.at.x.toFixed(1)}, ${p.at.y.toFixed(1)}), ${off.toFixed(1)} px off`);
      }
      // Pixels: freeze the rings at full size and opacity, hide the map's canvases, and
      // look for ring colour on each ring's edge (and not at its empty centre).
      await page.addStyleTag({ content: '.fl-pulse::before, .fl-pulse::after { animation: none !important; transform: none !important; opacity: 1 !important; } canvas, .wall-side, .wall-ticker, .wall-fire, .wall-header, .synthetic-badge, .wall-sound-hint { visibility: hidden !important; }' });
      await page.waitForTimeout(200);
      const png = await page.screenshot();
      const samples = placed.flatMap((p) => {
        const edge = p.box.w / 2 - 1.5;
        return [[p.box.x + edge, p.box.y], [p.box.x - edge, p.box.y], [p.box.x, p.box.y + edge], [p.box.x, p.box.y]] as Array<[number, number]>;
      });
      const px = await page.evaluate(
        async ({ b64, points }) => {
          const img = new Image();
          img.src = `data:image/png;base64,${b64}`;
          await img.decode();
          const c = document.createElement('canvas');
          c.width = img.width;
          c.height = img.height;
          const g = c.getContext('2d')!;
          g.drawImage(img, 0, 0);
          return points.map(([x, y]) => [...g.getImageData(Math.round(x), Math.round(y), 1, 1).data]);
        },
        { b64: png.toString('base64'), points: samples },
      );
      const ringRgb: Record<number, [number, number, number]> = { 1: [255, 45, 45], 4: [255, 221, 51] };
      placed.forEach((p, i) => {
        const want = ringRgb[p.priority]!;
        for (let k = 0; k < 3; k++) {
          const got = px[i * 4 + k]!;
          const d = Math.hypot(got[0]! - want[0], got[1]! - want[1], got[2]! - want[2]);
          assert.ok(d < 60, `ring pixel ${k} of alarm ${p.id} (priority ${p.priority}) has the ring colour: rgb(${got.slice(0, 3).join(',')})`);
        }
        const centre = px[i * 4 + 3]!;
        const dc = Math.hypot(centre[0]! - want[0], centre[1]! - want[1], centre[2]! - want[2]);
        assert.ok(dc > 60, `the ring of alarm ${p.id} is hollow at its alarm position: rgb(${centre.slice(0, 3).join(',')})`);
      });
      assert.deepEqual(browser.errors, []);
      assert.deepEqual(browser.external, []);
    } finally {
      await page.close();
    }
  });

  it('counts unacknowledged fires, lists alarm news in the ticker and tours the fires', async () => {
    const page = await browser.newPage();
    try {
      await openWall(page);
      // Three fires sent, none acknowledged: both figures agree (the demo seed opens no alarms).
      await page.waitForFunction(() => Number(document.querySelector('[data-testid=counter-fire] .value')?.textContent) >= 3, null, { timeout: UI_TIMEOUT_MS });
      assert.equal(await page.textContent('[data-testid=counter-fire-open]'), await page.textContent('[data-testid=counter-fire] .value'));
      // Legend: unit states, every alarm kind, pulses and stations.
      for (const id of ['legend-unit-offline', 'legend-unit-unopened', 'legend-alarm-host_offline', 'legend-alarm-off_duty', 'legend-alarm-fault', 'legend-pulse', 'legend-station']) {
        assert.ok(await page.$(`[data-testid=${id}]`), `legend has ${id}`);
      }
      // The ticker holds alarm news only (openings and the alarms' state changes; on a slow
      // machine the unacknowledged fires escalate meanwhile), never routine events.
      const rows = await page.$$eval('[data-testid=ticker] li', (li) => li.map((x) => x.getAttribute('data-change')));
      const news = new Set(['opened', 'acknowledged', 'verified', 'dispatched', 'cleared', 'escalated', 'closed', 'auto_closed']);
      assert.ok(rows.filter((c) => c === 'opened').length >= 5 && rows.every((c) => c !== null && news.has(c)), JSON.stringify(rows));
      // No emoji: the mute button's icon is an SVG.
      assert.ok(await page.$('[data-testid=mute] svg'));
      assert.doesNotMatch((await page.textContent('[data-testid=mute]')) ?? '', /[\u{1F300}-\u{1FAFF}]/u);
      if (SHOTS) {
        for (const [w, h] of [[1920, 1080], [1280, 800]] as const) {
          await page.setViewportSize({ width: w, height: h });
          await page.waitForTimeout(1500);
          await waitForMapIdle(page);
          await page.screenshot({ path: `${SHOTS}/wall-alarms-${w}x${h}.png` });
        }
        // The camera on one fire (street zoom, 3D buildings, label).
        await page.waitForFunction(() => (window as unknown as { __firelinkWall: WallHook }).__firelinkWall.stats().focus !== null, null, { timeout: 40_000 });
        await page.waitForTimeout(3500);
        await waitForMapIdle(page);
        await page.screenshot({ path: `${SHOTS}/wall-fire-focus-1280x800.png` });
        await page.setViewportSize({ width: 1280, height: 800 });
        await page.click('.wall-header button:not(.mute)');
        await page.waitForTimeout(1000);
        await page.screenshot({ path: `${SHOTS}/wall-alarms-en-1280x800.png` });
        // The choice is kept in localStorage: back to Chinese for the next test.
        await page.click('.wall-header button:not(.mute)');
      }
      assert.deepEqual(browser.errors, []);
      assert.deepEqual(browser.external, []);
    } finally {
      await page.close();
    }
  });

  // Walk-through: the notice printed a raw path (/login?next=/wall) and lay over the heading.
  // It now says it in words with a button, between the left column and the ticker.
  it('a wall opened from a desk login says in words that its session is not kept, clear of the headings, and re-logs in', async () => {
    const page = await browser.newPage();
    try {
      await login(page, stack.baseUrl, stack, '/');
      for (const size of [{ width: 1280, height: 800 }, { width: 1920, height: 1080 }]) {
        await page.setViewportSize(size);
        await page.goto(`${stack.baseUrl}/wall`);
        await page.waitForSelector('[data-testid=session-not-kept]', { timeout: UI_TIMEOUT_MS });
        const text = (await page.textContent('[data-testid=session-not-kept]')) ?? '';
        assert.match(text, /不会自动续期.*重新登录大屏/);
        assert.doesNotMatch(text, /\/login|next=/, 'no raw path on the screen');
        const notice = (await page.$('[data-testid=session-not-kept]'))!;
        const nb = (await notice.boundingBox())!;
        for (const sel of ['.wall-header h1', '.wall-header .clock', '.wall-side', '.wall-ticker h2', '[data-testid=latest-fire]']) {
          const b = (await (await page.$(sel))!.boundingBox())!;
          const apart = nb.x + nb.width <= b.x || b.x + b.width <= nb.x || nb.y + nb.height <= b.y || b.y + b.height <= nb.y;
          assert.ok(apart, `the notice (${JSON.stringify(nb)}) does not cover ${sel} (${JSON.stringify(b)}) at ${size.width}×${size.height}`);
        }
        if (SHOTS) await page.screenshot({ path: `${SHOTS}/wall-session-notice-${size.width}x${size.height}.png` });
      }
      // The button leads to the wall's own login; that session is kept and the notice goes.
      await page.click('[data-testid=session-relogin]');
      await page.waitForURL((u) => u.pathname === '/login' && u.searchParams.get('next') === '/wall', { timeout: UI_TIMEOUT_MS });
      await page.fill('input[name=username]', stack.username);
      await page.fill('input[name=password]', stack.password);
      await Promise.all([page.waitForURL((u) => u.pathname === '/wall', { timeout: UI_TIMEOUT_MS }), page.click('button[type=submit]')]);
      await page.waitForSelector('[data-testid=counters]', { timeout: UI_TIMEOUT_MS });
      await page.waitForTimeout(1500);
      assert.equal(await page.$('[data-testid=session-not-kept]'), null, 'a wall login is kept alive');
    } finally {
      await page.close();
    }
    // The refused refresh of the desk session is an expected 403 on the console.
    browser.errors.splice(0, browser.errors.length, ...browser.errors.filter((e) => !/403|Forbidden/.test(e)));
  });

  // An operator whose jurisdiction is empty saw "live", every counter 0 and "no open fires"
  // while the city burned: indistinguishable from a quiet city.
  it('tells an account without a jurisdiction so, in Chinese and in English', async () => {
    const username = 'e2e_no_region';
    const password = 'e2e-password-456';
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    try {
      await pool.query(`INSERT INTO users (username, display_name, password_hash, role) VALUES ($1, $2, $3, 'operator')`, [username, '无辖区值班员', await hashPassword(password)]);
    } finally {
      await pool.end();
    }
    const page = await browser.newPage();
    try {
      await login(page, stack.baseUrl, { username, password }, '/wall');
      await page.waitForSelector('[data-testid=no-jurisdiction]', { timeout: UI_TIMEOUT_MS });
      const zh = (await page.textContent('[data-testid=no-jurisdiction]')) ?? '';
      assert.match(zh, /此账号未分配辖区/);
      assert.match(zh, /管理员/);
      assert.equal(await page.textContent('[data-testid=conn-status]'), '无辖区', 'not "live"');
      assert.equal(await page.textContent('[data-testid=counter-fire] .value'), '—', 'no zero that reads as a quiet city');
      assert.doesNotMatch(await page.textContent('[data-testid=latest-fire]') ?? '', /当前无未处置火警/);
      if (SHOTS) await page.screenshot({ path: `${SHOTS}/wall-no-jurisdiction-1280x800.png` });
      await page.click('.wall-header button:not(.mute)');
      await page.waitForFunction(() => /no jurisdiction/i.test(document.querySelector('[data-testid=no-jurisdiction]')?.textContent ?? ''), null, { timeout: UI_TIMEOUT_MS });
      assert.match((await page.textContent('[data-testid=no-jurisdiction]')) ?? '', /administrator/);
      // Back to Chinese for whoever uses this browser next.
      await page.click('.wall-header button:not(.mute)');
      assert.deepEqual(browser.external, []);
    } finally {
      await page.close();
    }
  });
});
