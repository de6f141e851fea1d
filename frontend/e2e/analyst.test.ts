// Browser test of the analyst view (frontend/src/views/analyst, mounted at /analyst) against
// the real backend and PostGIS: H3 heatmap drawn, region league table with numerator and
// denominator, ranking rows linking to /units/:id, metric picker refetching, no external
// requests. Written by ANALYTICS with FRONTEND's harness.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { refreshAnalytics } from '../../backend/src/analytics/service.ts';
import { CHROMIUM, ensureFrontendBuilt, launchBrowser, login, startStack, type BrowserSession, type Stack } from './harness.ts';

const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: install Debian's chromium package to run the browser tests`;

describe('analyst view in Chromium', { skip, timeout: 180_000 }, () => {
  let db: TestDatabase;
  let stack: Stack;
  let browser: BrowserSession;
  let worst: number;

  before(async () => {
    await ensureFrontendBuilt((m) => console.log(m));
    db = await createTestDatabase('e2e_analyst');
    await db.pool.query(`INSERT INTO regions (adcode, name, level) VALUES (320106, '鼓楼区', 'district'), (320104, '秦淮区', 'district') ON CONFLICT (adcode) DO NOTHING`);
    const units = await db.pool.query<{ id: number }>(
      `INSERT INTO units (name, region_adcode, point, high_risk, onboarding_state) VALUES
         ('鼓楼医院门诊楼', 320106, ST_SetSRID(ST_MakePoint(118.78, 32.06), 4326), true, 'open'),
         ('秦淮商场', 320104, ST_SetSRID(ST_MakePoint(118.79, 32.02), 4326), false, 'open')
       RETURNING id`,
    );
    worst = units.rows[0]!.id;
    await db.pool.query(`INSERT INTO points (unit_id, component_type, component_address) SELECT u, 1, g FROM unnest($1::bigint[]) u, generate_series(1, 10) g`, [units.rows.map((r) => r.id)]);
    // Hospital: 3 false alarms of 4 verified in the last days; mall: 1 of 2.
    await db.pool.query(
      `INSERT INTO alarms (unit_id, kind, priority, state, verdict, opened_at)
       SELECT $1::bigint, 'fire', 1, 'closed', v, now() - g * interval '1 day'
       FROM unnest(ARRAY['false_alarm','false_alarm','false_alarm','fire']) WITH ORDINALITY AS t(v, g)
       UNION ALL SELECT $2::bigint, 'fire', 1, 'closed', v, now() - g * interval '1 day'
       FROM unnest(ARRAY['false_alarm','fire']) WITH ORDINALITY AS t(v, g)`,
      [units.rows[0]!.id, units.rows[1]!.id],
    );
    await db.pool.query(`INSERT INTO events (dedupe_key, source, kind, unit_id, received_at) SELECT 'e' || g, 'gb26875', 'fault', $1::bigint, now() - g * interval '1 hour' FROM generate_series(1, 6) g`, [worst]);
    // A point of the mall disabled (屏蔽) 40 days ago, still disabled.
    await db.pool.query(
      `INSERT INTO disabled_spells (unit_id, point_id, component_address, since) SELECT unit_id, id, component_address, now() - interval '40 days' FROM points WHERE unit_id = $1 ORDER BY id LIMIT 1`,
      [units.rows[1]!.id],
    );
    // Rolled up before the server starts, so the view's first load sees the data.
    await refreshAnalytics(db.pool);
    stack = await startStack(db.url);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await stack?.close();
    await db?.drop();
  });

  it('loads the heatmap cells, the league table and the ranking linking to units', async () => {
    const page = await browser.newPage();
    const hexes = page.waitForResponse((r) => r.url().includes('/api/stats/rates?by=h3'), { timeout: 30_000 });
    await login(page, stack.baseUrl, stack, '/analyst');
    // The heatmap layer's data: one res-8 cell per unit (they are 4.5 km apart).
    const cells = (await (await hexes).json()) as { rows: Array<{ key: string }> };
    assert.equal(cells.rows.length, 2);
    await page.waitForSelector('[data-testid=ana-league] tbody tr', { timeout: 30_000 });
    const league = (await page.textContent('[data-testid=ana-league]')) ?? '';
    // Sorted worst first: 鼓楼区 75 % (3 / 4), then 秦淮区 50 % (1 / 2); both samples are too
    // small to compare (fewer than 10 alarms) and say so.
    assert.match(league, /鼓楼区75\.0 %样本少34.*秦淮区50\.0 %样本少12/s);
    assert.equal(await page.$$eval('[data-testid=ana-league] tbody tr[data-small="1"]', (r) => r.length), 2);
    // The report is for a chosen district and day, not whichever district tops the metric.
    assert.equal(await page.$('[data-testid=ana-report-link]'), null, 'no report link before a district is chosen');
    await page.selectOption('[data-testid=ana-report-region]', { label: '秦淮区' });
    // The day from year, month and day lists in Chinese (a browser date input spoke English).
    await page.selectOption('[data-testid=ana-report-date-year]', '2026');
    await page.selectOption('[data-testid=ana-report-date-month]', '3');
    await page.selectOption('[data-testid=ana-report-date-day]', '1');
    assert.match((await page.textContent('[data-testid=ana-report]')) ?? '', /2026年.*3月.*1日/s);
    const href = (await page.getAttribute('[data-testid=ana-report-link]', 'href')) ?? '';
    assert.match(href, /region=320104&period=weekly&date=2026-03-01/);
    // A monthly report picks a month: year and month only.
    await page.selectOption('[data-testid=ana-report-period]', 'monthly');
    assert.equal(await page.$('[data-testid=ana-report-date-day]'), null);
    assert.match((await page.getAttribute('[data-testid=ana-report-link]', 'href')) ?? '', /period=monthly&date=2026-03-01/);
    // The heatmap legend explains the grey cells.
    assert.match((await page.textContent('[data-testid=ana-legend]')) ?? '', /无数据/);
    await page.waitForSelector(`[data-testid=ana-ranking] a[href="/units/${worst}"]`);
    const first = await page.textContent('[data-testid=ana-ranking] tbody tr:first-child');
    assert.match(first ?? '', /鼓楼医院门诊楼/);

    // Another metric refetches: fault rate for the hospital is 6 faults / (10 points × 30/30 d) × 100 = 60.
    await page.selectOption('[data-testid=ana-metric]', 'fault_rate');
    await page.waitForFunction(() => /60/.test(document.querySelector('[data-testid=ana-league] tbody tr')?.textContent ?? ''));

    // Disabled points: 秦淮区 1 of 10 points (worst first), and the mall's row says for how long.
    await page.selectOption('[data-testid=ana-metric]', 'disabled_rate');
    await page.waitForFunction(() => /秦淮区10\.0 %/.test(document.querySelector('[data-testid=ana-league] tbody tr')?.textContent ?? ''));
    const mall = await page.$$eval('[data-testid=ana-ranking] tbody tr', (rows) => rows.map((r) => r.textContent ?? '').find((t) => t.includes('秦淮商场')) ?? '');
    assert.match(mall, /1（最久 40 天）/);

    await page.click(`[data-testid=ana-ranking] a[href="/units/${worst}"]`);
    await page.waitForURL((u) => u.pathname === `/units/${worst}`);
    assert.deepEqual(browser.external, []);
    assert.deepEqual(browser.errors.filter((e) => !/404|Not Found/.test(e)), []);
  });
});
