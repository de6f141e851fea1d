// Browser test of the onboarding views (frontend/src/views/onboarding, mounted at /onboarding)
// against the real backend and PostGIS: queue, live completeness in the unit form, opening
// refused with the missing list, funnel. Written by ONBOARDING with FRONTEND's harness.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { SimulatedUitd } from '@firelink/ingest';
import { CHROMIUM, ensureFrontendBuilt, launchBrowser, login, startStack, type BrowserSession, type Stack } from './harness.ts';

const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: install Debian's chromium package to run the browser tests`;

describe('onboarding views in Chromium', { skip, timeout: 180_000 }, () => {
  let db: TestDatabase;
  let stack: Stack;
  let browser: BrowserSession;
  let unitId: number;

  before(async () => {
    await ensureFrontendBuilt((m) => console.log(m));
    db = await createTestDatabase('e2e_onboarding');
    await db.pool.query(
      `INSERT INTO regions (adcode, name, level, geom) VALUES (320106, '鼓楼区', 'district',
         ST_GeomFromText('MULTIPOLYGON(((118.70 32.03, 118.80 32.03, 118.80 32.10, 118.70 32.10, 118.70 32.03)))', 4326))
       ON CONFLICT (adcode) DO NOTHING`,
    );
    unitId = Number(
      (
        await db.pool.query(
          `INSERT INTO units (name, address, category, onboarding_state, region_adcode, point, verified_detection_points, verified_linkage_points)
           VALUES ('鼓楼医院门诊楼', '中山路321号', 'hospital', 'reviewed', 320106, ST_SetSRID(ST_MakePoint(118.78, 32.06), 4326), 5, 2)
           RETURNING id`,
        )
      ).rows[0].id,
    );
    stack = await startStack(db.url);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await stack?.close();
    await db?.drop();
  });

  it('shows the queue (every pending state, filters, total) and funnel, live completeness, and opening held back while items are missing', async () => {
    const page = await browser.newPage();
    await login(page, stack.baseUrl, stack, '/onboarding');
    await page.waitForSelector('[data-testid=onboarding-queue] tr[data-state=reviewed]', { timeout: 20_000 });
    assert.match(await page.textContent('[data-testid=onboarding-queue]') ?? '', /鼓楼医院门诊楼/);
    await page.waitForSelector('[data-testid=onboarding-funnel] .onb-funnel-region');
    assert.match(await page.textContent('[data-testid=onboarding-funnel]') ?? '', /鼓楼区/);

    // Every state before opening is reachable from the queue (the director's review too), with the total.
    assert.match((await page.textContent('[data-testid=queue-total]')) ?? '', /共 \d+ 个/);
    await page.click('[data-testid=queue-state-reviewed]');
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('[data-testid=onboarding-queue] tbody tr[data-state]')];
      return rows.length > 0 && rows.every((r) => r.getAttribute('data-state') === 'reviewed');
    }, null, { timeout: 20_000 });
    await page.fill('[data-testid=queue-search]', '鼓楼医院');
    await page.waitForFunction(() => /鼓楼医院门诊楼/.test(document.querySelector('[data-testid=onboarding-queue]')?.textContent ?? '') && /共 1 个/.test(document.querySelector('[data-testid=queue-total]')?.textContent ?? ''), null, { timeout: 20_000 });
    await page.click('[data-testid=onboarding-queue] tr[data-state=reviewed] button');
    await page.waitForURL((u) => u.pathname === `/onboarding/units/${unitId}`);
    // Wait for the unit to load: filling the empty form earlier races the load, which
    // would then overwrite the typed phone (the flake seen under load).
    await page.waitForSelector('[data-testid=unit-form][data-loaded=true]');
    await page.waitForSelector('[data-testid=live-completeness] li[data-rule=control_room]');
    // Typing the control-room phone clears that item at once, before saving.
    await page.fill('[data-testid=unit-form] input[name=controlRoomPhone]', '025-83300000');
    await page.waitForSelector('[data-testid=live-completeness] li[data-rule=control_room]', { state: 'detached' });
    assert.ok(await page.$('[data-testid=live-completeness] li[data-rule=point_totals]'), 'verified 5/2 vs 0 registered points is flagged');

    // "Open" is held back while items are missing, and says which (no refusal to run into).
    const open = '[data-testid=transitions] button[data-to=open]';
    assert.equal(await page.isDisabled(open), true, 'opening is disabled while items are missing');
    assert.match((await page.textContent(open)) ?? '', /尚缺 \d+ 项/);
    assert.match((await page.getAttribute(open, 'title')) ?? '', /核实点位总数与已登记点位不符/);
    const state = await db.pool.query('SELECT onboarding_state FROM units WHERE id = $1', [unitId]);
    assert.equal(state.rows[0].onboarding_state, 'reviewed');
    // A refused opening is a 422 the view shows; anything else on the console is a defect.
    assert.deepEqual(browser.errors.filter((e) => !/422|Unprocessable/.test(e)), []);
    assert.deepEqual(browser.external, []);
  });

  it('lists an address that sends frames unregistered, and registers it to a unit from the list', async () => {
    const stranger = new SimulatedUitd({ port: stack.gbPort, host: '127.0.0.1', address: 0x0000_5151_5151 });
    await stranger.connect();
    await stranger.sendFault({ componentAddress: 9 });
    stranger.close();
    const page = await browser.newPage();
    await login(page, stack.baseUrl, stack, '/onboarding/unregistered');
    const row = `[data-testid=unregistered-${0x0000_5151_5151}]`;
    await page.waitForSelector(row, { timeout: 20_000 });
    assert.match((await page.textContent(row)) ?? '', /0x000051515151/);
    // The unit is found by name, not typed as an id.
    await page.fill(`${row} input[type=search]`, '鼓楼医院');
    await page.click(`${row} [data-testid$=-hit]`, { timeout: 20_000 });
    await page.waitForSelector(`${row} [data-testid$=-picked]`);
    await page.click(`${row} button:not([aria-label])`);
    await page.waitForSelector(row, { state: 'detached', timeout: 10_000 });
    const d = await db.pool.query('SELECT unit_id FROM devices WHERE address = $1', [0x0000_5151_5151]);
    assert.equal(Number(d.rows[0].unit_id), unitId);
    assert.deepEqual(browser.errors.filter((e) => !/422|Unprocessable/.test(e)), []);
    await page.close();
  });
});
