// Browser test of the supervise pickers and setup screens against the real backend and
// PostGIS with the demo city: a district supervisor finds the unit of an acceptance by name and
// picks its device (no ids typed), edits the district's annex-1 stage targets (a bad date is
// refused before sending), registers and edits a testing agency and picks it on the acceptance;
// the reports made by the schedule say that no delivery endpoint is configured and download.
// Screenshots at 1920×1080 and 1280×800 go to SHOTS_DIR (/tmp/shots).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { TestDatabase } from '@firelink/common/testing';
import { CHROMIUM, login, startStack, type Stack } from './harness.ts';
import { assertNoRaw, deviceWithSignals, inBrowser, openSection, runReportsAsAdmin, screenText, SHOTS, superviseWorld } from './supervise-support.ts';

const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: install Debian's chromium package to run the browser tests`;
const PASSWORD = 'supervise-setup-e2e-password-1';
/** Codes and English server words that must never reach the Chinese screen. */
const RAW = /\bhigh_risk\b|\bcontrol_room\b|\bpass\b|\bfail\b|\bdaily\b|\bweekly\b|\bmonthly\b|\bdistrict\b|\bcity\b|not configured|HTTP \d|not found|undefined|NaN/;

describe('supervise pickers and setup in Chromium', { skip, timeout: 300_000 }, () => {
  let db: TestDatabase;
  let stack: Stack;
  let districtA: { adcode: number; name: string };
  let districtB: { adcode: number; name: string };
  let device: { id: number; unitId: number; unitName: string };

  before(async () => {
    const w = await superviseWorld('e2e_supervise_setup', PASSWORD);
    ({ db, districtA, districtB } = w);
    await w.user('sup_set', '王强', districtA.adcode);
    device = await deviceWithSignals(db, districtA.adcode, 'e2e-set');
    // The report sender polls every 10 s while the schedule runs (SUPERVISION_EVAL_MS > 0); no SUPERVISION_REPORT_URL.
    stack = await startStack(db.url, { SUPERVISION_EVAL_MS: '600000' });
  });

  after(async () => {
    await stack?.close();
    await db?.drop();
  });

  const text = screenText;
  const noRaw = (page: Page) => assertNoRaw(page, RAW);
  const section = openSection;
  const pickUnit = async (page: Page) => {
    // Part of the name is enough; the hit names the district.
    await page.fill('[data-testid=sv-accept-unit-search]', device.unitName.slice(0, Math.max(2, device.unitName.length - 2)));
    await page.waitForSelector(`[data-testid=sv-accept-unit-hit]:has-text("${device.unitName}")`);
  };

  it('stage targets and a testing agency of my district, picked on an acceptance found by name (1920×1080)', async () => {
    await inBrowser({ width: 1920, height: 1080 }, async (page) => {
      await login(page, stack.baseUrl, { username: 'sup_set', password: PASSWORD }, '/supervise');
      await section(page, 'setup', 'sv-setup');
      await page.waitForSelector('[data-testid=sv-targets-list]');
      const list = await text(page, '[data-testid=sv-targets-list]');
      assert.ok(list.includes(districtA.name) && !list.includes(districtB.name), 'only my district');
      await page.click(`[data-testid=sv-targets-edit-${districtA.adcode}]`);
      await page.click('[data-testid=sv-stage-add]');
      await page.fill('[data-testid=sv-stage-due] >> nth=0', '2026-13-01');
      await page.fill('[data-testid=sv-stage-pct] >> nth=0', '80');
      assert.match(await text(page, '[data-testid=sv-targets-form]'), /第 1 行：到期日请按 年-月-日 填写/);
      assert.equal(await page.isDisabled('[data-testid=sv-stage-save]'), true);
      await page.fill('[data-testid=sv-stage-due] >> nth=0', '2026-12-31');
      await page.click('[data-testid=sv-stage-add]');
      await page.selectOption('[data-testid=sv-stage-metric] >> nth=1', 'control_room');
      await page.fill('[data-testid=sv-stage-due] >> nth=1', '2027-06-30');
      await page.fill('[data-testid=sv-stage-pct] >> nth=1', '95');
      await page.click('[data-testid=sv-stage-save]');
      await page.waitForFunction(() => /2026-12-31 ≥ 80%[\s\S]*2027-06-30 ≥ 95%/.test(document.querySelector('[data-testid=sv-targets-list]')?.textContent ?? ''));
      const stored = (await db.pool.query(`SELECT metric, due_on::text, target_pct::float8 AS pct FROM supervision_stage_targets WHERE region_adcode = $1 ORDER BY metric`, [districtA.adcode])).rows;
      assert.deepEqual(stored, [{ metric: 'control_room', due_on: '2027-06-30', pct: 95 }, { metric: 'high_risk', due_on: '2026-12-31', pct: 80 }]);

      // A testing agency registered in my district, then renamed.
      await page.click('[data-testid=sv-agency-new]');
      await page.fill('[data-testid=sv-agency-name]', '金陵消防检测');
      await page.fill('[data-testid=sv-agency-license]', 'JC-2026-01');
      await page.click('[data-testid=sv-agency-save]');
      await page.waitForSelector('[data-testid=sv-agency-list] >> text=金陵消防检测');
      await page.click('[data-testid=sv-agency-edit]');
      await page.fill('[data-testid=sv-agency-name]', '金陵消防设施检测中心');
      await page.click('[data-testid=sv-agency-save]');
      await page.waitForSelector('[data-testid=sv-agency-list] >> text=金陵消防设施检测中心');
      assert.match(await text(page, '[data-testid=sv-agency-list]'), new RegExp(`金陵消防设施检测中心JC-2026-01${districtA.name}0`));
      await noRaw(page);
      await page.screenshot({ path: join(SHOTS, 'supervise-setup-1920.png') });

      // The acceptance: unit by name, device from its list, the agency from the registry.
      await section(page, 'accept', 'sv-accept');
      await pickUnit(page);
      await page.screenshot({ path: join(SHOTS, 'supervise-accept-picker-1920.png') });
      await page.click(`[data-testid=sv-accept-unit-hit]:has-text("${device.unitName}")`);
      await page.waitForSelector(`[data-testid=sv-accept-device] option[value="${device.id}"]`, { state: 'attached' });
      await page.selectOption('[data-testid=sv-accept-device]', String(device.id));
      assert.match(await text(page, '[data-testid=sv-accept-unit-picked]'), new RegExp(device.unitName));
      // The window is typed and shown as yyyy-mm-dd hh:mm (Shanghai), never the browser's "AM/PM"; a bad time blocks the read.
      const to = await page.inputValue('[data-testid=sv-accept-to]');
      assert.match(to, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
      await page.fill('[data-testid=sv-accept-to]', to.slice(0, 11) + '25:00');
      assert.equal(await page.isDisabled('[data-testid=sv-accept-read]'), true);
      await page.fill('[data-testid=sv-accept-to]', to);
      await page.click('[data-testid=sv-accept-read]');
      await page.waitForSelector('[data-testid=sv-accept-signals]');
      assert.equal((await text(page, '[data-testid=sv-accept-signals]')).match(/✔ 已接收/g)?.length, 5);
      await page.selectOption('[data-testid=sv-accept-agency]', { label: '金陵消防设施检测中心' });
      await page.fill('[data-testid=sv-accept-signature]', '王强');
      await page.click('[data-testid=sv-accept-sign]');
      await page.waitForSelector('[data-testid=sv-accept-print]');
      const rec = (await db.pool.query(`SELECT ar.unit_id, ar.device_id, ta.name FROM supervision_acceptance_records ar JOIN testing_agencies ta ON ta.id = ar.testing_agency_id ORDER BY ar.id DESC LIMIT 1`)).rows[0];
      assert.deepEqual([Number(rec.unit_id), Number(rec.device_id), rec.name], [device.unitId, device.id, '金陵消防设施检测中心']);
      await noRaw(page);
      await page.screenshot({ path: join(SHOTS, 'supervise-accept-1920.png') });

      // The unit's agencies: none testing it yet, the back-check just signed; the supervisor assigns the agency (audited).
      await section(page, 'units', 'sv-unit-agencies');
      assert.match(await text(page, '[data-testid=sv-unit-agencies]'), /查找一个单位/);
      await page.screenshot({ path: join(SHOTS, 'supervise-unit-agencies-empty-1920.png') });
      await page.fill('[data-testid=sv-ua-unit-search]', device.unitName);
      await page.click(`[data-testid=sv-ua-unit-hit]:has-text("${device.unitName}")`);
      await page.waitForSelector('[data-testid=sv-ua-card]');
      assert.equal(await text(page, '[data-testid=sv-ua-testing]'), '未登记');
      assert.match(await text(page, '[data-testid=sv-ua-checks]'), /合格5\/5金陵消防设施检测中心王强/);
      await page.selectOption('[data-testid=sv-ua-select]', { label: `金陵消防设施检测中心 · ${districtA.name}` });
      await page.click('[data-testid=sv-ua-save]');
      await page.waitForFunction(() => /金陵消防设施检测中心/.test(document.querySelector('[data-testid=sv-ua-testing]')?.textContent ?? ''));
      assert.match(await text(page, '[data-testid=sv-ua-changes]'), /王强（无） → 金陵消防设施检测中心/);
      const audit = (await db.pool.query(`SELECT after FROM audit_log WHERE action = 'supervision.unit_testing_agency' AND entity_id = $1`, [String(device.unitId)])).rows;
      assert.equal(audit.length, 1);
      await noRaw(page);
      await page.screenshot({ path: join(SHOTS, 'supervise-unit-agencies-1920.png') });
    });
  });

  it('reports without a delivery endpoint read "not configured" and download; setup in English (1280×800)', async () => {
    await inBrowser({ width: 1280, height: 800 }, async (page) => {
      await login(page, stack.baseUrl, { username: 'sup_set', password: PASSWORD }, '/supervise');
      const run = await runReportsAsAdmin(page, stack);
      assert.equal(run, 200);
      // The sender's next round (every 10 s) closes the rows: none stays pending.
      const until = Date.now() + 30_000;
      for (;;) {
        const n = Number((await db.pool.query(`SELECT count(*) AS n FROM outbox WHERE channel = 'supervision_report' AND status = 'pending'`)).rows[0].n);
        if (n === 0) break;
        if (Date.now() > until) throw new Error(`${n} report rows still pending after 30 s`);
        await new Promise((r) => setTimeout(r, 500));
      }
      await section(page, 'reports', 'sv-reports');
      await page.waitForSelector('[data-testid=sv-report-list]');
      assert.match(await text(page, '[data-testid=sv-report-delivery] >> nth=0'), /未配置推送地址，请下载/);
      const href = await page.getAttribute('[data-testid=sv-report-download] >> nth=0', 'href');
      const file = await page.evaluate(async (u) => {
        const r = await fetch(u!);
        return { status: r.status, type: r.headers.get('content-type'), bytes: (await r.arrayBuffer()).byteLength };
      }, href);
      assert.equal(file.status, 200);
      assert.equal(file.type, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
      assert.ok(file.bytes > 1000);
      await noRaw(page);
      await page.screenshot({ path: join(SHOTS, 'supervise-reports-delivery-1280.png') });

      await section(page, 'setup', 'sv-setup');
      await page.waitForSelector('[data-testid=sv-agency-list]');
      await noRaw(page);
      await page.screenshot({ path: join(SHOTS, 'supervise-setup-1280.png') });
      await section(page, 'accept', 'sv-accept');
      await pickUnit(page);
      await page.screenshot({ path: join(SHOTS, 'supervise-accept-picker-1280.png') });
      await section(page, 'units', 'sv-unit-agencies');
      await page.fill('[data-testid=sv-ua-unit-search]', device.unitName);
      await page.click(`[data-testid=sv-ua-unit-hit]:has-text("${device.unitName}")`);
      await page.waitForSelector('[data-testid=sv-ua-checks]');
      await noRaw(page);
      await page.screenshot({ path: join(SHOTS, 'supervise-unit-agencies-1280.png') });
      await page.click('[data-testid=lang-switch]');
      await section(page, 'setup', 'sv-setup');
      await page.waitForFunction(() => /Stage targets \(annex 1\)[\s\S]*Testing agencies/.test(document.querySelector('[data-testid=sv-setup]')?.textContent ?? ''));
      await page.screenshot({ path: join(SHOTS, 'supervise-setup-1280-en.png') });
      await page.click('[data-testid=lang-switch]');
    });
  });
});
