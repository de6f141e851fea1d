// Browser test of the desk's alarm procedures against the real backend, ingest and PostGIS:
// a UITD reports a fire and a power loss over GB/T 26875; the operator walks the fire alarm
// through acknowledge → verification call → verdict → dispatch → close, and the host-offline
// alarm through acknowledge → contact the unit → cause → deadline → (power back) close, with
// a note on every step and call records. Only the steps valid for the kind and stage are
// offered. Screenshots at 1920×1080 and 1280×800 go to SHOTS_DIR (/tmp/shots).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { seedDemoSubset } from '@firelink/geodata';
import { SimulatedUitd } from '@firelink/ingest';
import type { Page } from 'playwright-core';
import { CHROMIUM, ensureFrontendBuilt, launchBrowser, login, startStack, type BrowserSession, type Stack } from './harness.ts';

const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: install Debian's chromium package to run the browser tests`;
const SHOTS = process.env.SHOTS_DIR ?? '/tmp/shots';
const UI_TIMEOUT_MS = 20_000;
/** Codes and English server words that must never reach the Chinese screen. */
const RAW = /false_alarm|host_offline|power_cut|acknowledged|not_in_stage|needs_recovery|cannot|\bstep\b|confirmed|verdict/;

describe('desk procedures in Chromium', { skip, timeout: 300_000 }, () => {
  let db: TestDatabase;
  let stack: Stack;
  let session: BrowserSession;
  let page: Page;
  let uitd: SimulatedUitd;
  let point: { systemType: number; systemAddress: number; componentType: number; componentAddress: number };

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    await ensureFrontendBuilt((m) => console.log(m));
    db = await createTestDatabase('e2e_desk_procedures');
    await seedDemoSubset(db.pool, { units: 12, roads: false, maxPointsPerUnit: 6 });
    const r = await db.pool.query(
      `SELECT d.address, s.system_type, s.system_address, p.component_type, p.component_address
         FROM devices d JOIN units u ON u.id = d.unit_id
         JOIN facility_systems s ON s.device_id = d.id JOIN points p ON p.system_id = s.id
        WHERE d.protocol = 'gb26875' AND u.point IS NOT NULL
        ORDER BY (u.onboarding_state = 'open') DESC, d.id, p.id LIMIT 1`,
    );
    assert.ok(r.rows[0], 'the demo subset has a registered GB/T 26875 device with a point');
    const row = r.rows[0];
    point = { systemType: row.system_type, systemAddress: row.system_address, componentType: row.component_type, componentAddress: Number(row.component_address) };
    stack = await startStack(db.url);
    // Heartbeats like a real UITD: the listener closes a connection that says nothing for
    // GB26875_FIRST_FRAME_TIMEOUT_S, and a slow login on a loaded machine can take that long.
    uitd = new SimulatedUitd({ port: stack.gbPort, address: Number(row.address), host: '127.0.0.1', heartbeatMs: 20_000 });
    await uitd.connect();
    session = await launchBrowser({ viewport: { width: 1920, height: 1080 } });
    page = await session.newPage();
    await login(page, stack.baseUrl, stack, '/desk');
    await page.waitForSelector('[data-testid=conn-status].live', { timeout: UI_TIMEOUT_MS });
    // Water sources around the unit: three usable ones, one out of service (never offered), one far.
    await db.pool.query(
      `INSERT INTO water_sources (kind, name, status, flow_lps, capacity_m3, point)
       SELECT v.k, v.n, v.st, v.f, v.c, ST_Translate(u.point, v.dx, 0)
         FROM devices d JOIN units u ON u.id = d.unit_id,
              (VALUES ('hydrant', 'E2E 消火栓甲', 'usable', 15::real, NULL::real, 0.001),
                      ('hydrant', 'E2E 消火栓乙', 'usable', 10, NULL, 0.002),
                      ('pool', 'E2E 消防水池', 'usable', NULL, 300, 0.003),
                      ('hydrant', 'E2E 停用消火栓', 'out_of_service', 15, NULL, 0.0005),
                      ('hydrant', 'E2E 远处消火栓', 'usable', 15, NULL, 0.02)) v(k, n, st, f, c, dx)
        WHERE d.address = $1`,
      [Number(row.address)],
    );
  });

  after(async () => {
    uitd?.close();
    await session?.close();
    await stack?.close();
    await db?.drop();
  });

  const waitStage = (text: string) =>
    page.waitForFunction((t) => document.querySelector('[data-testid=detail-stage]')?.textContent === t, text, { timeout: UI_TIMEOUT_MS });
  const offered = async () => (await page.$$eval('[data-testid^=step-]:is(button[role=tab])', (els) => els.map((e) => e.getAttribute('data-testid')))).sort();
  async function submit(note: string) {
    await page.fill('[data-testid=note]', note);
    await page.click('[data-testid=step-submit]:not([disabled])');
  }
  async function fillCall(who: string, outcome: string, seconds: number) {
    await page.waitForSelector('[data-testid=call-form]', { timeout: UI_TIMEOUT_MS });
    if (!(await page.inputValue('[data-testid=call-number]'))) await page.fill('[data-testid=call-number]', '025-84001119');
    await page.fill('[data-testid=call-answered-by]', who);
    await page.selectOption('[data-testid=call-outcome]', outcome);
    await page.fill('[data-testid=call-duration]', String(seconds));
  }
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, name) });
  async function assertNoRawText() {
    const text = (await page.textContent('[data-testid=detail]')) ?? '';
    assert.doesNotMatch(text, RAW, 'no codes or English server text on the Chinese desk');
  }

  it('walks a fire alarm through its procedure with notes and a call record', async () => {
    await uitd.sendFire(point);
    // A fire that arrives live: a banner over the queue and the fire on the first row.
    await page.waitForSelector('[data-testid=desk-new-fire]', { timeout: UI_TIMEOUT_MS });
    const firstRow = await page.$eval('[data-testid=queue] [data-testid^=queue-row-]', (e) => e.getAttribute('data-kind'));
    assert.equal(firstRow, 'fire', 'the new fire is on top of the queue');
    await page.click('[data-testid=desk-new-fire]');
    await page.waitForURL(/\/desk\/\d+$/);
    await page.click('[data-testid^=queue-row-][data-kind=fire]', { timeout: UI_TIMEOUT_MS });
    await waitStage('待确认');
    assert.deepEqual(await offered(), ['step-ack']);
    // The 3 nearest usable water sources with their distance (the out-of-service one is left out).
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=water] li').length === 3, null, { timeout: UI_TIMEOUT_MS });
    const water = (await page.textContent('[data-testid=water]')) ?? '';
    assert.match(water, /最近可用水源.*消火栓 E2E 消火栓甲 · 15 升\/秒.*公里.*E2E 消火栓乙.*消防水池 E2E 消防水池 · 300 立方米/s);
    assert.doesNotMatch(water, /停用|远处/);
    await submit('已接警，准备电话核实');
    await waitStage('已确认');
    assert.deepEqual(await offered(), ['step-call'], 'a fire is verified by phone before any verdict');
    assert.match((await page.textContent('[data-testid=hint-call-first]')) ?? '', /未接通也请记录/, 'the desk says what opens the verdict');
    await fillCall('消控室值班员王某', 'confirmed', 45);
    await page.fill('[data-testid=note]', '消控室确认三楼有烟雾');
    await shot('desk-fire-call-1920.png');
    await page.click('[data-testid=step-submit]:not([disabled])');
    await waitStage('已电话核实');
    assert.deepEqual(await offered(), ['step-call', 'step-verdict']);
    await page.click('[data-testid=step-verdict]');
    // A false alarm needs its cause from the fixed list; a true fire does not.
    await page.click('[data-testid=verdict-false_alarm]');
    await page.waitForSelector('[data-testid=cause]');
    assert.equal(await page.isDisabled('[data-testid=step-submit]'), true, 'false alarm without a cause cannot be submitted');
    await page.click('[data-testid=verdict-fire]');
    assert.equal(await page.$('[data-testid=cause]'), null);
    // This stack has no FORWARD_119_URL: the desk says plainly that nothing goes to 119 by
    // itself (walk-through: it showed "待发送" for ever), before and after the verdict.
    assert.match((await page.textContent('[data-testid=forward-note]')) ?? '', /未配置119自动转报.*电话拨打119/);
    // A true fire forwards to 119: the dispatcher confirms once more; going back sends nothing.
    await submit('现场反馈确有明火，确认真实火警');
    await page.waitForSelector('[data-testid=confirm-fire-box]', { timeout: UI_TIMEOUT_MS });
    assert.match((await page.textContent('[data-testid=confirm-fire-box]')) ?? '', /未配置119自动转报.*电话拨打119/);
    await shot('desk-fire-confirm-1920.png');
    await page.click('[data-testid=confirm-fire-cancel]');
    assert.equal(await page.$('[data-testid=confirm-fire-box]'), null);
    assert.equal(await page.textContent('[data-testid=detail-stage]'), '已电话核实', 'nothing was sent before the confirmation');
    await page.click('[data-testid=step-submit]:not([disabled])');
    await page.click('[data-testid=confirm-fire]', { timeout: UI_TIMEOUT_MS });
    await waitStage('已出结论');
    await page.waitForSelector('[data-testid=forward-not-configured]', { timeout: UI_TIMEOUT_MS });
    assert.match((await page.textContent('[data-testid=forward-not-configured]')) ?? '', /未配置 119 自动转报.*电话拨打 119/);
    await page.waitForSelector('[data-testid=forward-not_configured]', { timeout: UI_TIMEOUT_MS });
    const forwards = (await page.textContent('[data-testid=forwards]')) ?? '';
    assert.doesNotMatch(forwards, /待发送/, 'never "pending" when nothing will be sent');
    assert.match((await page.textContent('[data-testid=step-submit]')) ?? '', /派警（已电话报119）/, 'the step does not claim to forward');
    await shot('desk-fire-forward-off-1920.png');
    await page.setViewportSize({ width: 1280, height: 800 });
    await shot('desk-fire-forward-off-1280.png');
    await page.setViewportSize({ width: 1920, height: 1080 });
    assert.deepEqual(await offered(), ['step-dispatch'], 'a true fire is dispatched before it can be closed');
    // The suggested stations are checkboxes with the nearest checked; the dispatcher may add more.
    await page.waitForSelector('[data-testid=dispatch-stations]', { timeout: UI_TIMEOUT_MS });
    const boxes = await page.$$eval('[data-testid=dispatch-stations] input[type=checkbox]', (els) => els.map((e) => (e as HTMLInputElement).checked));
    if (boxes.length > 0) assert.deepEqual(boxes, boxes.map((_, i) => i === 0), 'only the nearest station is preselected');
    else assert.ok(await page.$('[data-testid=dispatch-none]'), 'no station suggested: 119 dispatches');
    if (boxes.length > 1) await page.click('[data-testid=dispatch-stations] label:nth-of-type(2) input');
    await submit('转报119，派最近消防站');
    await waitStage('已派警');
    await page.waitForSelector('[data-testid=forward-not-configured]', { state: 'detached', timeout: UI_TIMEOUT_MS });
    const sent = await db.pool.query(`SELECT count(*)::int AS n FROM dispatches WHERE alarm_id = (SELECT id FROM alarms WHERE kind = 'fire' ORDER BY id DESC LIMIT 1)`);
    assert.equal(sent.rows[0].n, Math.min(boxes.length, 2), 'one dispatch record per checked station');
    assert.deepEqual(await offered(), ['step-close']);
    assert.equal(await page.isDisabled('[data-testid=step-submit]'), true, 'closing a fire needs its outcome');
    await shot('desk-fire-close-1920.png');
    await submit('明火已扑灭，无人员伤亡');
    await waitStage('已关闭');
    await page.waitForFunction(() => (document.querySelector('[data-testid=timeline]')?.textContent ?? '').includes('明火已扑灭'), null, { timeout: UI_TIMEOUT_MS });
    await assertNoRawText();

    const alarm = await db.pool.query(`SELECT id, state, verdict FROM alarms WHERE kind = 'fire' ORDER BY id DESC LIMIT 1`);
    assert.deepEqual([alarm.rows[0].state, alarm.rows[0].verdict], ['closed', 'fire']);
    const steps = await db.pool.query(`SELECT step, actor_name, note FROM alarm_steps WHERE alarm_id = $1 AND actor_name <> 'system' ORDER BY id`, [alarm.rows[0].id]);
    assert.deepEqual(steps.rows.map((s) => [s.step, s.actor_name]), [
      ['acknowledged', stack.username],
      ['called', stack.username],
      ['verified', stack.username],
      ['dispatched', stack.username],
      ['closed', stack.username],
    ]);
    assert.ok(steps.rows.every((s) => s.note), 'every step carries its note');
    const calls = await db.pool.query(`SELECT answered_by, outcome, duration_s FROM alarm_calls WHERE alarm_id = $1`, [alarm.rows[0].id]);
    assert.deepEqual(calls.rows, [{ answered_by: '消控室值班员王某', outcome: 'confirmed', duration_s: 45 }]);
  });

  it('walks a host-offline alarm: no verdict or dispatch, contact, cause, deadline, closed after recovery', async () => {
    await uitd.sendUitdStatus(0x19); // mains + backup power lost: the host goes offline
    await page.click('[data-testid^=queue-row-][data-kind=host_offline]', { timeout: UI_TIMEOUT_MS });
    await waitStage('待确认');
    await submit('已知悉主机关机');
    await waitStage('已确认');
    assert.deepEqual(await offered(), ['step-call']);
    assert.equal(await page.textContent('[data-testid=step-call]'), '联系单位');
    await fillCall('物业经理张某', 'confirmed', 62);
    await submit('单位称园区停电');
    await waitStage('已联系单位');
    assert.deepEqual(await offered(), ['step-call', 'step-cause']);
    assert.equal(await page.$('[data-testid=verdict-fire]'), null, 'no fire verdicts for a shutdown');
    await page.click('[data-testid=step-cause]');
    await page.selectOption('[data-testid=cause]', 'power_cut');
    await submit('供电部门抢修中');
    await waitStage('已查明原因');
    await page.click('[data-testid=step-deadline]');
    assert.ok(await page.inputValue('[data-testid=deadline]'), 'the deadline starts at the default');
    // Chosen from lists in Chinese (the browser's datetime input spoke the browser's language).
    assert.match((await page.textContent('.date-selects')) ?? '', /年.*月.*日.*时.*分/s);
    await submit('要求24小时内恢复供电并报告');
    await waitStage('限期整改中');
    await page.waitForSelector('[data-testid=step-close-blocked]');
    await page.waitForSelector('[data-testid=deadline-shown]');
    await assertNoRawText();
    await shot('desk-offline-waiting-1920.png');

    await page.setViewportSize({ width: 1280, height: 800 });
    await shot('desk-offline-waiting-1280.png');
    await page.click('[data-testid=lang-switch]');
    await page.waitForFunction(() => document.querySelector('[data-testid=detail-stage]')?.textContent === 'Rectifying', null, { timeout: UI_TIMEOUT_MS });
    await shot('desk-offline-waiting-1280-en.png');
    await page.click('[data-testid=lang-switch]');
    await waitStage('限期整改中');

    await uitd.sendUitdStatus(0x01); // power back: host online
    await page.waitForSelector('[data-testid=step-close]', { timeout: UI_TIMEOUT_MS });
    assert.equal(await page.textContent('[data-testid=step-close]'), '确认恢复并关闭');
    await page.click('[data-testid=step-close]');
    await submit('电话确认供电恢复，主机运行正常');
    await waitStage('已关闭');
    await shot('desk-offline-closed-1280.png');
    await assertNoRawText();

    const a = await db.pool.query(`SELECT id, state, cause, deadline_at FROM alarms WHERE kind = 'host_offline' ORDER BY id DESC LIMIT 1`);
    assert.equal(a.rows[0].state, 'closed');
    assert.equal(a.rows[0].cause, 'power_cut');
    assert.ok(a.rows[0].deadline_at);
    const steps = await db.pool.query(`SELECT step FROM alarm_steps WHERE alarm_id = $1 AND actor_name <> 'system' ORDER BY id`, [a.rows[0].id]);
    assert.deepEqual(steps.rows.map((s) => s.step), ['acknowledged', 'called', 'cause', 'deadline', 'closed']);
    assert.deepEqual(session.errors, []);
    assert.deepEqual(session.external, []);
  });

  // Walk-through at 1280×800: the new-fire banner lay over the first row's unit name, and it
  // could name another fire than the row on top. It now sits in the queue's head (the rows
  // start under it) and names the top unacknowledged fire.
  it('a new fire: the banner pushes the rows down and names the fire on the top row', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${stack.baseUrl}/desk`);
    await page.waitForSelector('[data-testid=conn-status].live', { timeout: UI_TIMEOUT_MS });
    const others = await db.pool.query(
      `SELECT s.system_type, s.system_address, p.component_type, p.component_address
         FROM points p JOIN facility_systems s ON s.id = p.system_id JOIN devices d ON d.id = s.device_id
        WHERE d.address = $1 AND NOT (s.system_type = $2 AND s.system_address = $3 AND p.component_type = $4 AND p.component_address = $5)
        ORDER BY p.id LIMIT 2`,
      [uitd.address, point.systemType, point.systemAddress, point.componentType, String(point.componentAddress)],
    );
    assert.equal(others.rows.length, 2, 'the device has two more points');
    const at = (r: Record<string, unknown>) => ({ systemType: Number(r.system_type), systemAddress: Number(r.system_address), componentType: Number(r.component_type), componentAddress: Number(r.component_address) });
    const topRow = () => page.$eval('[data-testid=queue] [data-testid^=queue-row-]', (e) => ({ id: (e.getAttribute('data-testid') ?? '').replace('queue-row-', ''), kind: e.getAttribute('data-kind'), state: e.getAttribute('data-state') }));
    const bannerId = () => page.getAttribute('[data-testid=desk-new-fire]', 'data-alarm-id');
    async function assertBannerOnTopRow() {
      await page.waitForFunction(
        () => {
          const b = document.querySelector('[data-testid=desk-new-fire]');
          const r = document.querySelector('[data-testid=queue] [data-testid^=queue-row-]');
          return !!b && !!r && r.getAttribute('data-testid') === `queue-row-${b.getAttribute('data-alarm-id')}`;
        },
        null,
        { timeout: UI_TIMEOUT_MS },
      );
      const row = await topRow();
      assert.deepEqual([row.kind, row.state], ['fire', 'open']);
      assert.equal(await bannerId(), row.id, 'the banner names the top unacknowledged fire');
      const b = (await page.$('[data-testid=desk-new-fire]'))!;
      const r = (await page.$(`[data-testid=queue-row-${row.id}]`))!;
      const bb = (await b.boundingBox())!;
      const rb = (await r.boundingBox())!;
      assert.ok(bb.y + bb.height <= rb.y + 0.5, `banner (bottom ${bb.y + bb.height}) ends above the first row (top ${rb.y})`);
      // The first row's unit name is what a click there hits (not the banner).
      const hit = await page.evaluate(([x, y]) => document.elementFromPoint(x!, y!)?.closest('[data-testid^=queue-row-]')?.getAttribute('data-testid') ?? null, [rb.x + 60, rb.y + 12]);
      assert.equal(hit, `queue-row-${row.id}`);
    }
    await uitd.sendFire(at(others.rows[0]));
    await page.waitForSelector('[data-testid=desk-new-fire]', { timeout: UI_TIMEOUT_MS });
    await assertBannerOnTopRow();
    const first = await bannerId();
    await uitd.sendFire(at(others.rows[1]));
    await page.waitForFunction((id) => document.querySelector('[data-testid=desk-new-fire]')?.getAttribute('data-alarm-id') !== id, first, { timeout: UI_TIMEOUT_MS });
    await assertBannerOnTopRow();
    assert.notEqual(await bannerId(), first, 'the newer fire is on top and in the banner');
    await shot('desk-new-fire-1280.png');
    await page.setViewportSize({ width: 1920, height: 1080 });
    await assertBannerOnTopRow();
    await shot('desk-new-fire-1920.png');
    // The longest-waiting unacknowledged fire is named under the banner; a click opens it.
    assert.equal(await page.getAttribute('[data-testid=desk-oldest-fire]', 'data-alarm-id'), first, 'the older fire is named as the longest waiting');
    await page.click('[data-testid=desk-oldest-fire]');
    await page.waitForURL(new RegExp(`/desk/${first}$`));
    // Clicking the banner opens that fire.
    const id = await bannerId();
    await page.click('[data-testid=desk-new-fire]');
    await page.waitForURL(new RegExp(`/desk/${id}$`));
    assert.deepEqual(session.errors, []);
  });
});
