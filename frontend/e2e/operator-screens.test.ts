// The screens as each role lives with them, in Chromium against the real backend: the top
// bar offers only the views a role may use (a station account saw the desk and its
// acknowledge button, which then failed with 403), a view outside the role says whom it is
// for, a supervisor reads the desk without step buttons; the desk's queue has per-kind
// counts and filters, a desk opened during a fire shows the new-fire banner at once, a
// cleared alarm is marked, stations of the same name read apart (without ids), and
// the stations sent to a fire are listed with their release.
// E2E_SCREENSHOTS=<dir> also saves operator-*.png.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { seedDemoSubset } from '@firelink/geodata';
import { SimulatedUitd } from '@firelink/ingest';
import type { Page } from 'playwright-core';
import { hashPassword } from '../../backend/src/auth/passwords.ts';
import { CHROMIUM, ensureFrontendBuilt, launchBrowser, login, startStack, type BrowserSession, type Stack } from './harness.ts';

const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: install Debian's chromium package to run the browser tests`;
/** The machine is shared: a loaded Chromium may take a while to draw. */
const UI_TIMEOUT_MS = 60_000;
const SHOTS = process.env.E2E_SCREENSHOTS;
const PASSWORD = 'e2e-password-789';

type PointRef = { systemType: number; systemAddress: number; componentType: number; componentAddress: number };

describe('operator screens by role in Chromium', { skip, timeout: 400_000 }, () => {
  let db: TestDatabase;
  let stack: Stack;
  let browser: BrowserSession;
  let uitdAddress: number;
  let fire: PointRef;
  let fault: PointRef;
  let adcode: number;

  async function addUser(username: string, role: string, opts: { region?: number; stationId?: number } = {}): Promise<void> {
    const r = await db.pool.query(`INSERT INTO users (username, display_name, password_hash, role, station_id) VALUES ($1, $2, $3, $4, $5) RETURNING id`, [
      username,
      `${role} E2E`,
      await hashPassword(PASSWORD),
      role,
      opts.stationId ?? null,
    ]);
    if (opts.region) await db.pool.query(`INSERT INTO user_regions (user_id, adcode) VALUES ($1, $2)`, [r.rows[0].id, opts.region]);
  }

  /** The admin's bearer session, for steps the browser test does not walk itself. */
  async function bearer(): Promise<string> {
    const res = await fetch(`${stack.baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: stack.username, password: stack.password, session: 'bearer' }),
    });
    assert.equal(res.status, 200);
    return ((await res.json()) as { token: string }).token;
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of several routes, read field by field
  async function call(token: string, path: string, body?: unknown): Promise<any> {
    const res = await fetch(`${stack.baseUrl}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json();
    assert.ok(res.ok, `${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  before(async () => {
    await ensureFrontendBuilt((m) => console.log(m));
    db = await createTestDatabase('e2e_operator_screens');
    await seedDemoSubset(db.pool, { units: 12, roads: false, maxPointsPerUnit: 6 });
    const r = await db.pool.query(
      `SELECT d.address, u.region_adcode, s.system_type, s.system_address, p.component_type, p.component_address
         FROM devices d JOIN units u ON u.id = d.unit_id
         JOIN facility_systems s ON s.device_id = d.id JOIN points p ON p.system_id = s.id
        WHERE d.protocol = 'gb26875' AND u.point IS NOT NULL AND u.region_adcode IS NOT NULL
        ORDER BY d.id, p.id LIMIT 2`,
    );
    assert.equal(r.rows.length, 2, 'the demo subset has a GB/T 26875 device with two points');
    const ref = (row: Record<string, unknown>): PointRef => ({ systemType: Number(row.system_type), systemAddress: Number(row.system_address), componentType: Number(row.component_type), componentAddress: Number(row.component_address) });
    [fire, fault] = [ref(r.rows[0]), ref(r.rows[1])];
    adcode = Number(r.rows[0].region_adcode);
    stack = await startStack(db.url);
    uitdAddress = Number(r.rows[0].address);
    const station = (await db.pool.query(`SELECT id FROM stations ORDER BY id LIMIT 1`)).rows[0];
    await addUser('e2e_station', 'station', { stationId: Number(station.id) });
    await addUser('e2e_supervisor', 'supervisor', { region: adcode });
    await addUser('e2e_analyst', 'analyst', { region: adcode });
    // 1280×800: less software-WebGL work per frame on a shared machine.
    browser = await launchBrowser({ viewport: { width: 1280, height: 800 } });
  });

  after(async () => {
    await browser?.close();
    await stack?.close();
    await db?.drop();
  });

  /** A UITD connection for one exchange (a connection idle through a long test may be dropped). */
  async function withUitd(fn: (u: SimulatedUitd) => Promise<unknown>): Promise<void> {
    const u = new SimulatedUitd({ port: stack.gbPort, address: uitdAddress, host: '127.0.0.1' });
    await u.connect();
    try {
      await fn(u);
    } finally {
      u.close();
    }
  }

  const navLinks = (page: Page) => page.$$eval('.topbar nav a', (as) => as.map((a) => a.getAttribute('href')));

  async function as(username: string, path: string): Promise<Page> {
    const page = await browser.newPage();
    await login(page, stack.baseUrl, { username, password: PASSWORD }, path);
    await page.waitForSelector('.topbar', { timeout: UI_TIMEOUT_MS });
    return page;
  }

  it('shows each role only its views; a view outside the role says whom it is for', async () => {
    const station = await as('e2e_station', '/desk');
    try {
      await station.waitForSelector('[data-testid=not-for-role]', { timeout: UI_TIMEOUT_MS });
      const nav = await navLinks(station);
      for (const v of ['/wall', '/desk', '/analyst', '/onboarding', '/duty', '/supervise']) assert.ok(!nav.includes(v), `a station account is not offered ${v}: ${JSON.stringify(nav)}`);
      assert.ok(nav.every((v) => v === '/station'), `a station account is offered its own workspace only: ${JSON.stringify(nav)}`);
      const text = (await station.textContent('[data-testid=not-for-role]')) ?? '';
      assert.match(text, /接警台/);
      assert.match(text, /值班员/);
      assert.match(text, /消防站/, 'names the account\'s own role');
      assert.equal(await station.$('[data-testid=step-ack]'), null, 'no acknowledge button for a station');
      await station.goto(`${stack.baseUrl}/wall`);
      await station.waitForSelector('[data-testid=not-for-role]', { timeout: UI_TIMEOUT_MS });
      if (SHOTS) await station.screenshot({ path: `${SHOTS}/operator-station-desk-1280x800.png` });
    } finally {
      await station.close();
    }
    const analyst = await as('e2e_analyst', '/');
    try {
      await analyst.waitForSelector('[data-testid=home-tiles] a', { timeout: UI_TIMEOUT_MS });
      assert.deepEqual((await navLinks(analyst)).sort(), ['/analyst', '/wall']);
      const tiles = await analyst.$$eval('[data-testid=home-tiles] a', (as) => as.map((a) => a.getAttribute('href')));
      assert.deepEqual(tiles.sort(), ['/analyst', '/wall']);
    } finally {
      await analyst.close();
    }
    const sup = await as('e2e_supervisor', '/');
    try {
      const nav = await navLinks(sup);
      for (const v of ['/analyst', '/desk', '/duty', '/onboarding', '/supervise', '/wall']) assert.ok(nav.includes(v), `a supervisor is offered ${v}: ${JSON.stringify(nav)}`);
    } finally {
      await sup.close();
    }
    assert.deepEqual(browser.external, []);
  });

  it('desk: per-kind counts and filters, a cleared fire marked, a supervisor reads without step buttons', async () => {
    await withUitd(async (u) => {
      await u.sendFire(fire);
      await u.sendFault(fault);
    });
    const page = await browser.newPage();
    try {
      await login(page, stack.baseUrl, stack, '/desk');
      await page.waitForSelector('[data-testid=filter-fire]', { timeout: UI_TIMEOUT_MS });
      await page.waitForSelector('[data-testid=filter-fault]', { timeout: UI_TIMEOUT_MS });
      // The fire was open before the desk was: the banner is there at once, naming it.
      await page.waitForSelector('[data-testid=desk-new-fire]', { timeout: 5_000 });
      const topFire = await page.getAttribute('[data-testid=queue] [data-kind=fire]', 'data-testid');
      assert.equal(`queue-row-${await page.getAttribute('[data-testid=desk-new-fire]', 'data-alarm-id')}`, topFire, 'the banner names the fire waiting');
      assert.match((await page.textContent('[data-testid=filter-fire]')) ?? '', /火警\s*1/);
      assert.match((await page.textContent('[data-testid=filter-all]')) ?? '', /全部\s*2/);
      await page.click('[data-testid=filter-fault]');
      const kinds = await page.$$eval('[data-testid=queue] [data-testid^=queue-row-]', (rows) => rows.map((r) => r.getAttribute('data-kind')));
      assert.deepEqual(kinds, ['fault'], 'the fault filter shows the fault only');
      await page.click('[data-testid=filter-all]');
      // 火警恢复: the point is back to normal; the fire stays open but reads as cleared.
      await withUitd((u) => u.sendNormal(fire));
      await page.waitForSelector('[data-testid^=queue-row-][data-kind=fire] [data-testid=tag-cleared]', { timeout: UI_TIMEOUT_MS });
      assert.match((await page.getAttribute('[data-testid^=queue-row-][data-kind=fire]', 'class')) ?? '', /cleared/);
      if (SHOTS) await page.screenshot({ path: `${SHOTS}/operator-desk-filters-1280x800.png` });
    } finally {
      await page.close();
    }
    const sup = await as('e2e_supervisor', '/desk');
    try {
      await sup.click('[data-testid^=queue-row-][data-kind=fire]', { timeout: UI_TIMEOUT_MS });
      await sup.waitForSelector('[data-testid=desk-read-only]', { timeout: UI_TIMEOUT_MS });
      assert.match((await sup.textContent('[data-testid=desk-read-only]')) ?? '', /只读/);
      assert.equal(await sup.$('[data-testid^=step-]'), null, 'no step buttons for a role that cannot take them');
      await sup.keyboard.press('a');
      await sup.waitForTimeout(500);
      assert.equal(browser.errors.filter((e) => /403/.test(e)).length, 0, 'the A key sends nothing for a supervisor');
    } finally {
      await sup.close();
    }
  });

  it('desk: stations of the same name read apart; the stations sent are listed and released', async () => {
    const token = await bearer();
    const list = await call(token, '/api/alarms?state=open');
    const alarm = (list.alarms as Array<{ id: number; kind: string; version: number; lonLatWgs84: [number, number] }>).find((a) => a.kind === 'fire');
    assert.ok(alarm, 'the open fire from the previous test');
    // Give the two nearest stations one name (the demo city has five such pairs).
    const sug = await call(token, `/api/dispatch/suggest?lon=${alarm.lonLatWgs84[0]}&lat=${alarm.lonLatWgs84[1]}&k=3`);
    const [s1, s2] = sug.suggestions as Array<{ stationId: number; name: string }>;
    assert.ok(s1 && s2);
    await db.pool.query(`UPDATE stations SET name = $1 WHERE id = $2`, [s1.name, s2.stationId]);
    // Acknowledge, call, verdict fire, dispatch the first station: through the procedure API.
    let v = alarm.version as number;
    // The fire may escalate (FIRE_ESCALATE_AFTER_S) between the list and the acknowledgement:
    // a stale version is answered 409 with the current one, taken as an operator would.
    const ack = await fetch(`${stack.baseUrl}/api/alarms/${alarm.id}/steps/ack`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ version: v }),
    });
    if (ack.status === 409) v = ((await ack.json()) as { current: { version: number } }).current.version;
    else assert.equal(ack.status, 200);
    if (ack.status === 409) v = (await call(token, `/api/alarms/${alarm.id}/steps/ack`, { version: v })).alarm.version;
    else v = ((await ack.json()) as { alarm: { version: number } }).alarm.version;
    v = (await call(token, `/api/alarms/${alarm.id}/steps/call`, { version: v, call: { number: '025-84001119', answeredBy: '消控室', outcome: 'confirmed', durationS: 30 } })).alarm.version;
    v = (await call(token, `/api/alarms/${alarm.id}/steps/verdict`, { version: v, verdict: 'fire', note: '确认' })).alarm.version;
    await call(token, `/api/alarms/${alarm.id}/steps/dispatch`, { version: v, stationIds: [s1.stationId], note: '派警' });

    const page = await browser.newPage();
    try {
      // A loaded machine may take a while for the login page's first paint.
      await page.goto(`${stack.baseUrl}/login?next=${encodeURIComponent(`/desk/${alarm.id}`)}`, { timeout: 90_000 });
      await page.waitForSelector('input[name=username]', { timeout: UI_TIMEOUT_MS });
      await login(page, stack.baseUrl, stack, `/desk/${alarm.id}`);
      const records = await call(token, `/api/dispatch/records?alarmId=${alarm.id}`);
      assert.equal(records.dispatches.length, 1, JSON.stringify(records));
      await page.waitForSelector('[data-testid=detail-stage]', { timeout: UI_TIMEOUT_MS });
      await page.waitForSelector('[data-testid=dispatches] [data-released="0"]', { timeout: UI_TIMEOUT_MS }).catch(async (e) => {
        if (SHOTS) await page.screenshot({ path: `${SHOTS}/operator-desk-dispatch-failure.png` });
        const inPage = await page.evaluate((id) => fetch(`/api/dispatch/records?alarmId=${id}`).then((r) => r.text()), alarm.id);
        throw new Error(`${(e as Error).message}; records seen by the page: ${inPage}; errors: ${browser.errors.join(' | ')}`);
      });
      const nearest = await page.$$eval('.detail .stations li > span:first-child', (els) => els.map((e) => e.textContent ?? ''));
      // The station sent (s1, now dispatched) and its namesake among the nearest (s2).
      const same = [...new Set(nearest.filter((n) => n.startsWith(s1.name)))];
      assert.ok(same.length >= 2, `both stations named ${s1.name} are listed: ${JSON.stringify(nearest)}`);
      // Apart by district or phone, never by a database id on the Chinese screen.
      assert.ok(same.every((n) => n !== s1.name && !n.includes('#')), `stations of the same name read apart without ids: ${JSON.stringify(same)}`);
      // The timeline names the station sent, not a count.
      await page.waitForFunction((name) => (document.querySelector('[data-testid=timeline]')?.textContent ?? '').includes(`派往 ${name}`), s1.name, { timeout: UI_TIMEOUT_MS });
      // 119 forwarding of the verified fire is shown.
      assert.ok(await page.$('[data-testid=forwards] li'), '119 forward status shown');
      if (SHOTS) await page.screenshot({ path: `${SHOTS}/operator-desk-dispatched-1280x800.png` });
      await page.click('[data-testid=dispatches] button[data-testid^=release-]');
      await page.waitForSelector('[data-testid=dispatches] [data-released="1"]', { timeout: UI_TIMEOUT_MS });
      const status = await db.pool.query(`SELECT status FROM stations WHERE id = $1`, [s1.stationId]);
      assert.equal(status.rows[0].status, 'available', 'the released station is available again');
      assert.deepEqual(browser.external, []);
    } finally {
      await page.close();
    }
  });
});
