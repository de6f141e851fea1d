// Browser test of the duty view (frontend/src/views/duty, mounted at /duty) against the real
// backend and PostGIS: the outgoing operator writes the log, runs the 119 test against a
// terminal that fails, and hands over; the incoming operator, in another browser context, accepts,
// tests again (recovery), searches the register and exports it. Screenshots at 1920×1080
// and 1280×800 go to /tmp/shots (SHOTS_DIR).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { hashPassword } from '../../backend/src/auth/passwords.ts';
import { CHROMIUM, ensureFrontendBuilt, launchChromium, login, startStack, type Stack } from './harness.ts';

const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: install Debian's chromium package to run the browser tests`;
const SHOTS = process.env.SHOTS_DIR ?? '/tmp/shots';
const HOUR = 3600_000;
const XUANWU = 320102;
const PASSWORD = 'duty-e2e-password-1';

/** Codes and English server words that must never reach the Chinese screen. */
const RAW = /false_alarm|host_offline|off_duty|handover_created|handover_accepted|comm_test|acknowledged|\bopen\b|HTTP \d|ECONN/;

describe('duty view in Chromium', { skip, timeout: 240_000 }, () => {
  let db: TestDatabase;
  let stack: Stack;
  let terminal: Server;
  /** One Chromium for the file; each test's people get a fresh context (their own login). */
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  const answers: number[] = [];

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    await ensureFrontendBuilt((m) => console.log(m));
    db = await createTestDatabase('e2e_duty');
    const p = db.pool;
    await p.query(`INSERT INTO regions (adcode, name, name_en, level, parent_adcode) VALUES
        (320000, '江苏省', 'Jiangsu', 'province', NULL), (320100, '南京市', 'Nanjing', 'city', 320000),
        (320102, '玄武区', 'Xuanwu', 'district', 320100) ON CONFLICT DO NOTHING`);
    const hash = await hashPassword(PASSWORD);
    const user = async (username: string, name: string) => {
      const id = Number((await p.query(`INSERT INTO users (username, display_name, password_hash, role) VALUES ($1, $2, $3, 'operator') RETURNING id`, [username, name, hash])).rows[0].id);
      await p.query(`INSERT INTO user_regions (user_id, adcode) VALUES ($1, $2)`, [id, XUANWU]);
      return id;
    };
    const a = await user('duty_a', '张伟');
    await p.query(`INSERT INTO users (username, display_name, password_hash, role) VALUES ('duty_sup', '王强', $1, 'supervisor')`, [hash]);
    await p.query(`INSERT INTO user_regions (user_id, adcode) SELECT id, $1 FROM users WHERE username = 'duty_sup'`, [XUANWU]);
    const b = await user('duty_b', '李娜');
    const now = Date.now();
    await p.query(`INSERT INTO duty_shifts (region_adcode, user_id, duty_role, starts_at, ends_at, note) VALUES
        ($1, $2, 'operator', $4, $5, '白班'), ($1, $3, 'chief', $5, $6, '夜班')`, [XUANWU, a, b, new Date(now - 8 * HOUR), new Date(now + 60_000), new Date(now + 8 * HOUR)]);
    const unit = async (name: string) =>
      Number((await p.query(`INSERT INTO units (name, address, region_adcode, onboarding_state) VALUES ($1, '中山路1号', $2, 'open') RETURNING id`, [name, XUANWU])).rows[0].id);
    const mall = await unit('新街口百货大楼');
    const hotel = await unit('金陵饭店');
    const alarm = async (unitId: number, kind: string, agoH: number, state: string, verdict: string | null) =>
      Number(
        (
          await p.query(
            `INSERT INTO alarms (unit_id, kind, priority, state, verdict, region_adcode, opened_at, verified_at, verified_by, closed_at, closed_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $9) RETURNING id`,
            [unitId, kind, kind === 'fire' ? 1 : kind === 'host_offline' ? 2 : 4, state, verdict, XUANWU, new Date(now - agoH * HOUR), verdict ? new Date(now - (agoH - 0.2) * HOUR) : null, verdict ? a : null, state === 'closed' ? new Date(now - (agoH - 0.3) * HOUR) : null],
          )
        ).rows[0].id,
      );
    const fire = await alarm(mall, 'fire', 3, 'closed', 'false_alarm');
    for (const [step, agoH, note] of [
      ['opened', 3, null],
      ['acknowledged', 2.9, null],
      ['verified', 2.8, '电话核实：厨房油烟'],
      ['closed', 2.7, null],
    ] as const) {
      await p.query(`INSERT INTO alarm_steps (alarm_id, step, actor_id, actor_name, at, note) VALUES ($1, $2, $3, $4, $5, $6)`, [
        fire,
        step,
        step === 'opened' ? null : a,
        step === 'opened' ? 'system' : 'duty_a',
        new Date(now - agoH * HOUR),
        note,
      ]);
    }
    await p.query(`UPDATE alarms SET cause = 'smoking_cooking' WHERE id = $1`, [fire]);
    await alarm(hotel, 'host_offline', 30, 'acknowledged', null);
    await alarm(mall, 'fault', 1, 'open', null);

    terminal = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.statusCode = answers.shift() ?? 200;
        res.end('{}');
      });
    });
    await new Promise<void>((r) => terminal.listen(0, '127.0.0.1', () => r()));
    stack = await startStack(db.url, { FORWARD_119_URL: `http://127.0.0.1:${(terminal.address() as { port: number }).port}/119`, DUTY_COMM_TEST_AT: '23:59' });
    chromium = await launchChromium();
  });

  after(async () => {
    await chromium?.close();
    await stack?.close();
    await new Promise<void>((r) => (terminal ? terminal.close(() => r()) : r()));
    await db?.drop();
  });

  /** Sets a time typed as the form's lists (year, month, day, hour, minute) to 'yyyy-mm-ddThh:mm'. */
  const setTime = async (page: Page, name: string, value: string) => {
    const group = page.locator('.date-selects', { has: page.locator(`input[name=${name}]`) });
    const [y, mo, d, h, mi] = value.split(/[-T:]/).map(Number);
    for (const [label, v] of [['年', y], ['月', mo], ['日', d], ['时', h], ['分', mi]] as const) await group.locator(`select[aria-label="${label}"]`).selectOption(String(v));
    assert.equal(await page.$eval(`input[name=${name}]`, (el) => (el as HTMLInputElement).value), value);
  };

  const assertNoRawCodes = async (page: Page) => {
    const text = (await page.textContent('[data-testid=duty-view]')) ?? '';
    assert.doesNotMatch(text, RAW, 'the Chinese screen shows no raw codes or English server text');
  };

  it('outgoing operator: log entry, failing 119 test, handover (1920×1080)', async () => {
    const browser = await chromium.session({ viewport: { width: 1920, height: 1080 } });
    try {
      const page = await browser.newPage();
      await login(page, stack.baseUrl, { username: 'duty_a', password: PASSWORD }, '/duty');
      await page.waitForSelector('[data-testid=duty-view] [data-testid=shift-row]');
      assert.equal(await page.$eval('[data-testid=duty-post]', (el) => (el as HTMLSelectElement).value), String(XUANWU));
      assert.equal((await page.$$('[data-testid=shift-row]')).length, 2);

      await page.fill('textarea[name=logText]', '08:30 巡查消控室，设备运行正常');
      await page.click('[data-testid=log-add]');
      await page.waitForSelector('[data-testid=log-entry][data-kind=note]');

      answers.push(503);
      await page.click('[data-testid=comm-run]');
      await page.waitForSelector('[data-testid=comm-status][data-state=failing]');
      await page.waitForSelector('[data-testid=log-entry][data-kind=comm_test_failed]');
      assert.match((await page.textContent('[data-testid=comm-message]')) ?? '', /测试失败/);

      await page.selectOption('select[name=toUserId]', { label: '李娜' });
      await page.fill('textarea[name=notes]', '金陵饭店主机离线已超 24 小时，已电话通知单位，待维保到场。');
      // Handing over asks once more (walk-through: it went at the first click); going back sends nothing.
      await page.click('[data-testid=handover-create]');
      await page.waitForSelector('[data-testid=handover-confirm]');
      assert.match((await page.textContent('[data-testid=handover-confirm]')) ?? '', /确认交班给李娜？.*不能撤回/);
      await page.locator('[data-testid=handover-confirm]').scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(SHOTS, 'duty-1920-handover-confirm.png'), fullPage: false });
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.locator('[data-testid=handover-confirm]').scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(SHOTS, 'duty-1280-handover-confirm.png'), fullPage: false });
      await page.setViewportSize({ width: 1920, height: 1080 });
      await page.click('[data-testid=handover-confirm-no]');
      assert.equal(await page.$('[data-testid=handover-confirm]'), null);
      await page.waitForTimeout(300);
      assert.equal(await page.$('[data-testid=handover-card]'), null, 'nothing was handed over');
      assert.equal(await page.inputValue('textarea[name=notes]'), '金陵饭店主机离线已超 24 小时，已电话通知单位，待维保到场。', 'the notes are kept');
      await page.click('[data-testid=handover-create]');
      await page.click('[data-testid=handover-confirm-yes]');
      await page.waitForSelector('[data-testid=handover-card][data-pending=true]');
      assert.equal(await page.textContent('[data-testid=sum-false]'), '1');
      assert.match((await page.textContent('[data-testid=handover-pending]')) ?? '', /金陵饭店/);
      // The outgoing operator has no accept button on their own handover.
      assert.equal(await page.$('[data-testid=handover-accept]'), null);

      await page.waitForSelector('[data-testid=register-row]');
      await assertNoRawCodes(page);
      await page.screenshot({ path: join(SHOTS, 'duty-1920-handover.png'), fullPage: false });
      assert.deepEqual(browser.errors.filter((e) => !/503|Service Unavailable/.test(e)), []);
      assert.deepEqual(browser.external, []);
    } finally {
      await browser.close();
    }
  });

  it('incoming operator: accepts, 119 recovers, register search and export (1280×800)', async () => {
    const browser = await chromium.session({ viewport: { width: 1280, height: 800 } });
    try {
      const page = await browser.newPage();
      await login(page, stack.baseUrl, { username: 'duty_b', password: PASSWORD }, '/duty');
      await page.waitForSelector('[data-testid=handover-card][data-pending=true]');
      assert.match((await page.textContent('[data-testid=handover-notes]')) ?? '', /待维保到场/);
      assert.match((await page.textContent('[data-testid=handover-card]')) ?? '', /张伟 交班/);
      await page.waitForSelector('[data-testid=comm-status][data-state=failing]');
      await page.screenshot({ path: join(SHOTS, 'duty-1280-pending.png') });

      await page.fill('input[name=acceptNote]', '已接班，知悉金陵饭店离线');
      await page.click('[data-testid=handover-accept]');
      await page.waitForSelector('[data-testid=handover-recent]');
      await page.waitForSelector('[data-testid=log-entry][data-kind=handover_accepted]');
      // Records name people as they are known (display names), not by login.
      assert.match((await page.textContent('[data-testid=handover-recent]')) ?? '', /张伟 → 李娜/);

      await page.click('[data-testid=comm-run]');
      await page.waitForSelector('[data-testid=comm-status][data-state=ok]');
      await page.waitForSelector('[data-testid=log-entry][data-kind=comm_test_recovered]');

      await page.selectOption('select[name=kind]', 'fire');
      await page.click('[data-testid=register-search]');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=register-row]').length === 1);
      assert.match((await page.textContent('[data-testid=register-row]')) ?? '', /新街口百货大楼[\s\S]*误报[\s\S]*吸烟、烹饪[\s\S]*厨房油烟/);
      const csvHref = await page.getAttribute('[data-testid=export-csv]', 'href');
      assert.match(csvHref ?? '', /format=csv/);
      assert.match(csvHref ?? '', /kind=fire/);
      const csv = await page.evaluate(async (href) => (await fetch(href!)).text(), csvHref);
      assert.ok(csv.replace(/^\uFEFF/, '').startsWith('序号,警情编号,接警时间,警情类型,联网单位'), csv.slice(0, 80));
      assert.match(csv, /火警/);
      const xlsxHref = await page.getAttribute('[data-testid=export-xlsx]', 'href');
      const xlsx = await page.evaluate(async (href) => {
        const r = await fetch(href!);
        return { status: r.status, type: r.headers.get('content-type'), bytes: (await r.arrayBuffer()).byteLength };
      }, xlsxHref);
      assert.equal(xlsx.status, 200);
      assert.match(xlsx.type ?? '', /spreadsheetml/);
      assert.ok(xlsx.bytes > 1000);

      await page.selectOption('select[name=kind]', '');
      // The district is chosen by name from the caller's own; reversed dates are refused in Chinese.
      const districts = await page.$$eval('[data-testid=register-region] option', (os) => os.map((o) => o.textContent ?? ''));
      assert.ok(districts.length > 1 && districts.every((d) => !/^\d{6}$/.test(d)), `districts by name: ${districts.join(' | ')}`);
      const from = await page.inputValue('input[name=from]');
      const to = await page.inputValue('input[name=to]');
      await page.fill('input[name=from]', to);
      await page.fill('input[name=to]', from);
      await page.click('[data-testid=register-search]');
      assert.match((await page.textContent('[data-testid=register-error]')) ?? '', /“自”须早于“至”/);
      await page.fill('input[name=from]', from);
      await page.fill('input[name=to]', to);
      await page.click('[data-testid=register-search]');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=register-row]').length === 3);
      assert.equal(await page.$('[data-testid=register-error]'), null);
      await assertNoRawCodes(page);
      await page.screenshot({ path: join(SHOTS, 'duty-1280-accepted.png') });
      await page.screenshot({ path: join(SHOTS, 'duty-1280-full.png'), fullPage: true });

      // English is one click away and uses the same data.
      await page.click('[data-testid=lang-switch]');
      await page.waitForFunction(() => document.querySelector('[data-testid=duty-register] h2')?.textContent === 'Alarm handling register');
      await page.screenshot({ path: join(SHOTS, 'duty-1280-en.png') });
      assert.deepEqual(browser.errors, []);
      assert.deepEqual(browser.external, []);
    } finally {
      await browser.close();
    }
  });

  it('supervisor: adds a shift to the roster from the form (1280×800)', async () => {
    const browser = await chromium.session({ viewport: { width: 1280, height: 800 } });
    try {
      const page = await browser.newPage();
      await login(page, stack.baseUrl, { username: 'duty_sup', password: PASSWORD }, '/duty');
      await page.waitForSelector('[data-testid=shift-form]');
      await page.selectOption('[data-testid=shift-form] select[name=userId]', { label: '张伟' });
      const start = await page.$eval('input[name=startsAt]', (el) => (el as HTMLInputElement).value);
      // Tomorrow's day shift, typed as Shanghai wall-clock time.
      const day = new Date(Date.now() + 8 * HOUR + 24 * HOUR).toISOString().slice(0, 10);
      await setTime(page, 'startsAt', `${day}T08:00`);
      await setTime(page, 'endsAt', `${day}T16:00`);
      await page.fill('[data-testid=shift-form] input[name=note]', '白班');
      await page.click('[data-testid=shift-form] button[type=submit]');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=shift-row]').length === 3);
      assert.match((await page.textContent('[data-testid=duty-roster]')) ?? '', new RegExp(`${day.replace(/-/g, '/')} 08:00`));
      assert.ok(start, 'the form starts with a proposed time');
      await assertNoRawCodes(page);
      await page.screenshot({ path: join(SHOTS, 'duty-1280-roster.png') });
      const row = await db.pool.query(`SELECT starts_at FROM duty_shifts WHERE note = '白班' AND starts_at > now() ORDER BY id DESC LIMIT 1`);
      assert.equal((row.rows[0].starts_at as Date).toISOString(), new Date(`${day}T08:00:00+08:00`).toISOString());
      assert.deepEqual(browser.errors, []);
    } finally {
      await browser.close();
    }
  });

  // The roster's phone (the duty chief's SMS number) could not be entered in the UI.
  it('supervisor: a duty chief shift needs a valid mobile, checked before sending; the roster shows it (1280×800)', async () => {
    const browser = await chromium.session({ viewport: { width: 1280, height: 800 } });
    try {
      const page = await browser.newPage();
      await login(page, stack.baseUrl, { username: 'duty_sup', password: PASSWORD }, '/duty');
      await page.waitForSelector('[data-testid=shift-form]');
      // The roster (three shifts by now) loads after the form: count it once it is there.
      await page.waitForSelector('[data-testid=shift-row]');
      const rows = (await page.$$('[data-testid=shift-row]')).length;
      const day = new Date(Date.now() + 8 * HOUR + 48 * HOUR).toISOString().slice(0, 10);
      await page.selectOption('[data-testid=shift-form] select[name=userId]', { label: '李娜' });
      await page.selectOption('[data-testid=shift-form] select[name=dutyRole]', 'chief');
      await setTime(page, 'startsAt', `${day}T16:00`);
      await setTime(page, 'endsAt', `${day}T23:45`);
      const hint = '[data-testid=shift-phone-hint]';
      // No number for a chief: refused in the form.
      await page.click('[data-testid=shift-form] button[type=submit]');
      await page.waitForFunction((sel) => document.querySelector(sel)?.classList.contains('duty-error'), hint);
      assert.match((await page.textContent(hint)) ?? '', /值班长须填写手机号/);
      // Letters: refused in the form with the format.
      await page.fill('[data-testid=shift-form] input[name=phone]', '138abc');
      assert.match((await page.textContent(hint)) ?? '', /值班告警短信发往此号码/, 'typing clears the error');
      await page.click('[data-testid=shift-form] button[type=submit]');
      await page.waitForFunction((sel) => /格式不正确/.test(document.querySelector(sel)?.textContent ?? ''), hint);
      const written = await db.pool.query(`SELECT count(*)::int AS n FROM duty_shifts WHERE phone IS NOT NULL OR starts_at > now() + interval '36 hours'`);
      assert.equal(written.rows[0].n, 0, 'nothing sent');
      await assertNoRawCodes(page);
      // Spaces and dashes as people type them are dropped; the number is saved and listed.
      await page.fill('[data-testid=shift-form] input[name=phone]', '138 0000-0003');
      await page.click('[data-testid=shift-form] button[type=submit]');
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid=shift-row]').length === n, rows + 1);
      const texts = await page.$$eval('[data-testid=shift-phone]', (els) => els.map((e) => e.textContent));
      assert.ok(texts.includes('13800000003'), texts.join(','));
      const saved = await db.pool.query(`SELECT duty_role, phone FROM duty_shifts WHERE phone IS NOT NULL`);
      assert.deepEqual(saved.rows, [{ duty_role: 'chief', phone: '13800000003' }]);
      await page.screenshot({ path: join(SHOTS, 'duty-1280-roster-phone.png') });
      assert.deepEqual(browser.errors, []);
    } finally {
      await browser.close();
    }
  });

  it('1920×1080 after the handover: accepted, recovered, full register', async () => {
    const browser = await chromium.session({ viewport: { width: 1920, height: 1080 } });
    try {
      const page = await browser.newPage();
      await login(page, stack.baseUrl, { username: 'duty_a', password: PASSWORD }, '/duty');
      await page.waitForSelector('[data-testid=handover-form]');
      await page.waitForSelector('[data-testid=comm-status][data-state=ok]');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=register-row]').length === 3);
      await assertNoRawCodes(page);
      await page.screenshot({ path: join(SHOTS, 'duty-1920-after.png') });
    } finally {
      await browser.close();
    }
  });
});
