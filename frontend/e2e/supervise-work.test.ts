// Browser test of the supervise workspace's sections beyond the task list, against the real
// backend and PostGIS with the demo city: a district supervisor assigns their district, makes
// the inspection plan from the risk ranking, records an inspection with a rectification order
// and a photo, opens and closes a case, reads the league against dated stage targets, signs an
// acceptance record from the signals of a device and reads the reports; the other district's
// supervisor is refused every id of the first. Screenshots at 1920×1080 and 1280×800 go to
// /tmp/shots (SHOTS_DIR).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { TestDatabase } from '@firelink/common/testing';
import { CHROMIUM, login, startStack, type Stack } from './harness.ts';
import { assertNoRaw, deviceWithSignals, inBrowser, openSection, runReportsAsAdmin, screenText, SHOTS, superviseWorld } from './supervise-support.ts';

const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: install Debian's chromium package to run the browser tests`;
const PASSWORD = 'supervise-work-e2e-password-1';
// A 1×1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

/** Codes and English server words that must never reach the Chinese screen. */
const RAW = /\brectify\b|\bpass\b|\bfail\b|\bhigh\b|\bnormal\b|\bmedium\b|\bmissed\b|\bupcoming\b|\bdaily\b|\bweekly\b|\bmonthly\b|\bdistrict\b|\bcity\b|HTTP \d|not found|undefined|NaN/;

describe('supervise sections in Chromium', { skip, timeout: 300_000 }, () => {
  let db: TestDatabase;
  let stack: Stack;
  let districtA: { adcode: number; name: string };
  let districtB: { adcode: number; name: string };
  let device: { id: number; unitId: number; unitName: string };

  before(async () => {
    const w = await superviseWorld('e2e_supervise_work', PASSWORD);
    ({ db, districtA, districtB } = w);
    const p = db.pool;
    const user = w.user;
    await user('sup_a', '王强', districtA.adcode);
    await user('sup_a2', '赵敏', districtA.adcode);
    await user('sup_b', '刘洋', districtB.adcode);
    // Stage targets of the city: one passed stage, one to come.
    const city = Math.floor(districtA.adcode / 100) * 100;
    const day = (n: number) => new Date(Date.now() + 8 * 3_600_000 + n * 86_400_000).toISOString().slice(0, 10);
    await p.query(
      `INSERT INTO supervision_stage_targets (region_adcode, metric, due_on, target_pct) VALUES ($1, 'high_risk', $2, 95), ($1, 'high_risk', $3, 100), ($1, 'control_room', $2, 50), ($1, 'control_room', $3, 90)`,
      [city, day(-30), day(60)],
    );
    device = await deviceWithSignals(db, districtA.adcode, 'e2e-acc');
    stack = await startStack(db.url);
  });

  after(async () => {
    await stack?.close();
    await db?.drop();
  });

  const text = screenText;
  const noRaw = (page: Page) => assertNoRaw(page, RAW);
  const section = openSection;

  it('assignment, plan, inspection with order and photo, case, league (1920×1080)', async () => {
    await inBrowser({ width: 1920, height: 1080 }, async (page) => {
      await login(page, stack.baseUrl, { username: 'sup_a', password: PASSWORD }, '/supervise');
      await section(page, 'assign', 'sv-assign');
      await page.click(`[data-testid=sv-assign-region]:has-text("${districtA.name}")`);
      await page.waitForSelector('[data-testid=sv-assign-unit]');
      const units = await page.$$eval('[data-testid=sv-assign-unit]', (r) => r.length);
      assert.ok(units > 3, `${units} units`);
      await page.selectOption('[data-testid=sv-assign-sup]', { label: '王强（0）' });
      await page.click('[data-testid=sv-assign-bulk]');
      await page.waitForFunction((n) => new RegExp(`已分配 ${n} 家单位`).test(document.querySelector('[data-testid=sv-work-message]')?.textContent ?? ''), units);
      await page.waitForFunction(() => /王强 将 .* 的 \d+ 家单位分配给 王强/.test(document.querySelector('[data-testid=sv-assign-history]')?.textContent ?? ''));
      assert.ok(!(await text(page, '[data-testid=sv-assign]')).includes(districtB.name), 'nothing of the other district');
      await noRaw(page);
      await page.screenshot({ path: join(SHOTS, 'supervise-assign-1920.png') });

      await section(page, 'plan', 'sv-plan');
      await page.click('[data-testid=sv-plan-generate]');
      await page.waitForSelector('[data-testid=sv-plan-row]');
      assert.equal(await page.$$eval('[data-testid=sv-plan-row]', (r) => r.length), units);
      assert.match(await text(page, '[data-testid=sv-plan-list]'), /高风险[\s\S]*每 30 天/);
      await noRaw(page);
      await page.screenshot({ path: join(SHOTS, 'supervise-plan-1920.png') });

      // The top unit: an inspection with a rectification order.
      const top = (await text(page, '[data-testid=sv-plan-row] td')).trim();
      await page.click('[data-testid=sv-plan-inspect]');
      await page.waitForSelector('[data-testid=sv-inspection-form]');
      await page.uncheck('[data-testid=sv-ck-1]');
      await page.fill('[data-testid=sv-findings]', '火灾报警控制器 2 处故障未修复');
      await page.check('[data-testid=sv-result-rectify]');
      const due = new Date(Date.now() + 8 * 3_600_000 + 15 * 86_400_000).toISOString().slice(0, 10);
      // The deadline is picked from the year / month / day lists (the UI's language, not the browser's).
      await page.selectOption('[data-testid=sv-rectify-by-year]', String(Number(due.slice(0, 4))));
      await page.selectOption('[data-testid=sv-rectify-by-month]', String(Number(due.slice(5, 7))));
      await page.selectOption('[data-testid=sv-rectify-by-day]', String(Number(due.slice(8, 10))));
      assert.equal(await page.inputValue('[data-testid=sv-rectify-by]'), due);
      await page.fill('[data-testid=sv-rectify-items]', '修复故障探测器');
      await page.click('[data-testid=sv-inspection-save]');
      await page.waitForSelector('[data-testid=sv-inspection]');
      assert.match(await text(page, '[data-testid=sv-inspection-result]'), /责令整改 · 通知书编号 ZG\d{8}-\d{6}/);
      assert.match(await text(page, '[data-testid=sv-inspection]'), new RegExp(`${top}[\\s\\S]*✘ 火灾报警控制器运行正常`));
      await page.setInputFiles('[data-testid=sv-photo-input]', { name: 'scene.png', mimeType: 'image/png', buffer: PNG });
      await page.waitForSelector('.sv-photos img');
      // A case from this inspection, then closed.
      await page.click('[data-testid=sv-open-case]');
      await page.fill('[data-testid=sv-case-no]', '宁消立字〔2026〕第018号');
      await page.fill('[data-testid=sv-case-basis]', '《中华人民共和国消防法》第六十条第一款第一项');
      await page.click('[data-testid=sv-case-save]');
      await page.waitForFunction(() => /已保存/.test(document.querySelector('[data-testid=sv-inspection]')?.textContent ?? ''));
      await noRaw(page);
      await page.screenshot({ path: join(SHOTS, 'supervise-inspection-1920.png') });

      await section(page, 'cases', 'sv-case-row');
      await page.fill('[data-testid=sv-case-outcome]', '责令改正，罚款人民币伍仟元');
      await page.click('[data-testid=sv-case-close]');
      await page.waitForFunction(() => /已结案/.test(document.querySelector('[data-testid=sv-cases]')?.textContent ?? ''));

      await section(page, 'stats', 'sv-league-row');
      const league = await text(page, '[data-testid=sv-league]');
      assert.match(league, new RegExp(districtA.name));
      assert.match(league, /目标 95% 未达到|目标 95% 已达到/);
      assert.ok(!league.includes(districtB.name), 'the other district is not in my league');
      await page.waitForFunction(() => /王强/.test(document.querySelector('[data-testid=sv-sup-stats]')?.textContent ?? ''));
      await noRaw(page);
      await page.screenshot({ path: join(SHOTS, 'supervise-stats-1920.png') });
    });
  });

  it('acceptance from received signals with PDF, reports, English; the other district is refused (1280×800)', async () => {
    await inBrowser({ width: 1280, height: 800 }, async (page) => {
      await login(page, stack.baseUrl, { username: 'sup_a', password: PASSWORD }, '/supervise');
      await section(page, 'accept', 'sv-accept');
      // The unit is found by name and its device picked from the list (no ids typed).
      await page.fill('[data-testid=sv-accept-unit-search]', device.unitName);
      await page.click(`[data-testid=sv-accept-unit-hit]:has-text("${device.unitName}")`);
      await page.waitForSelector(`[data-testid=sv-accept-device] option[value="${device.id}"]`, { state: 'attached' });
      await page.selectOption('[data-testid=sv-accept-device]', String(device.id));
      await page.click('[data-testid=sv-accept-read]');
      await page.waitForSelector('[data-testid=sv-accept-signals]');
      assert.equal((await text(page, '[data-testid=sv-accept-signals]')).match(/✔ 已接收/g)?.length, 5);
      await page.fill('[data-testid=sv-accept-signature]', '王强');
      await page.click('[data-testid=sv-accept-sign]');
      await page.waitForSelector('[data-testid=sv-accept-print]');
      assert.match(await text(page, '[data-testid=sv-work-message]'), /验收记录已签字（合格）/);
      const href = await page.getAttribute('[data-testid=sv-accept-print]', 'href');
      const pdf = await page.evaluate(async (u) => {
        const r = await fetch(u!);
        return { status: r.status, type: r.headers.get('content-type'), head: new TextDecoder().decode((await r.arrayBuffer()).slice(0, 5)) };
      }, href);
      assert.deepEqual(pdf, { status: 200, type: 'application/pdf', head: '%PDF-' });
      await noRaw(page);
      await page.screenshot({ path: join(SHOTS, 'supervise-accept-1280.png') });

      // Reports made by the schedule's run (the admin triggers it here).
      const run = await runReportsAsAdmin(page, stack);
      assert.equal(run, 200);
      await section(page, 'reports', 'sv-reports');
      await page.waitForSelector('[data-testid=sv-report-list]');
      const reports = await text(page, '[data-testid=sv-report-list]');
      assert.match(reports, /日报[\s\S]*周报|周报[\s\S]*日报/);
      assert.ok(reports.includes(districtA.name) && !reports.includes(districtB.name));
      await noRaw(page);
      await page.screenshot({ path: join(SHOTS, 'supervise-reports-1280.png') });
      await page.click('[data-testid=lang-switch]');
      await page.waitForFunction(() => /Daily|Weekly/.test(document.querySelector('[data-testid=sv-report-list]')?.textContent ?? ''));
      await section(page, 'stats', 'sv-league-row');
      assert.match(await text(page, '[data-testid=sv-league]'), /High-risk units/);
      await page.screenshot({ path: join(SHOTS, 'supervise-stats-1280-en.png') });
      await page.click('[data-testid=lang-switch]');
      await page.click('button:has-text("退出")');

      // The other district's supervisor: every id of district A is not found.
      await login(page, stack.baseUrl, { username: 'sup_b', password: PASSWORD }, '/supervise');
      const ids = (await db.pool.query(`SELECT (SELECT max(id) FROM supervision_inspections) AS i, (SELECT max(id) FROM supervision_cases) AS c, (SELECT max(id) FROM supervision_acceptance_records) AS a, (SELECT max(id) FROM supervision_inspection_photos) AS ph`)).rows[0];
      const statuses = await page.evaluate(
        async (x) =>
          Promise.all(
            [`/api/supervision/inspections/${x.i}`, `/api/supervision/inspections/${x.i}/photos/${x.ph}`, `/api/supervision/cases/${x.c}`, `/api/supervision/acceptance/${x.a}`, `/api/supervision/acceptance/${x.a}/print`].map(
              async (u) => (await fetch(u)).status,
            ),
          ),
        ids,
      );
      assert.deepEqual(statuses, [404, 404, 404, 404, 404]);
      await section(page, 'inspections', 'sv-inspections');
      await page.waitForFunction(() => /暂无检查记录/.test(document.querySelector('[data-testid=sv-inspections]')?.textContent ?? ''));
    }, /status of 404/); // the browser's notes on the deliberate 404 probes
  });
});
