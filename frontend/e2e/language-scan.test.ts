// No raw codes and no English server text on the Chinese screen: every view is opened in
// Chromium against the real backend (with a fire and a fault open, a unit selected) and its
// visible text is scanned for snake_case codes and English server phrases; a refused login
// reads in Chinese. E2E_SCREENSHOTS=<dir> also saves a screenshot of each view at 1920×1080
// and 1280×800 (as the other browser tests do: the software-WebGL screenshots cost minutes
// on a loaded machine and assert nothing).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { seedDemoSubset } from '@firelink/geodata';
import { SimulatedUitd } from '@firelink/ingest';
import type { Page } from 'playwright-core';
import { CHROMIUM, ensureFrontendBuilt, launchBrowser, login, startStack, type BrowserSession, type Stack } from './harness.ts';

const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: install Debian's chromium package to run the browser tests`;
const SHOTS = process.env.E2E_SCREENSHOTS;
/** The machine is shared and the wall draws in software WebGL: generous waits. */
const UI_TIMEOUT_MS = 60_000;

/** snake_case codes (category, state, role, error codes) and English words servers write. */
const RAW_CODE = /\b[a-z]+(?:_[a-z0-9]+)+\b/;
const SERVER_ENGLISH = /\b(?:the|is|are|not|failed|cannot|must|required|found|invalid|forbidden|unauthorized|undefined|null|NaN|Invalid Date|object Object|Reviewed|event \d+)\b/;

/** Text a reader sees (inputs' values and placeholders too), minus the synthetic-data badge. */
async function visibleText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const parts = [document.body.innerText];
    for (const el of document.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>('input, textarea')) {
      if (el.type !== 'hidden' && el.type !== 'password') parts.push(el.placeholder, el.type === 'file' ? '' : el.value);
    }
    for (const el of document.querySelectorAll<HTMLElement>('[title]')) parts.push(el.title);
    return parts.join('\n');
  });
}

function findings(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const code = RAW_CODE.exec(line);
    if (code) out.push(`code "${code[0]}" in: ${line.trim().slice(0, 120)}`);
    const en = SERVER_ENGLISH.exec(line);
    if (en) out.push(`English "${en[0]}" in: ${line.trim().slice(0, 120)}`);
  }
  return out;
}

describe('Chinese screens carry no raw codes or English server text', { skip, timeout: 600_000 }, () => {
  let db: TestDatabase;
  let stack: Stack;
  let browser: BrowserSession;
  let unitId: number;
  let uitd: SimulatedUitd;

  before(async () => {
    if (SHOTS) mkdirSync(SHOTS, { recursive: true });
    await ensureFrontendBuilt((m) => console.log(m));
    db = await createTestDatabase('e2e_language_scan');
    await seedDemoSubset(db.pool, { units: 12, roads: false, maxPointsPerUnit: 6 });
    const r = await db.pool.query(
      `SELECT u.id AS unit_id, d.address, s.system_type, s.system_address, p.component_type, p.component_address
         FROM devices d JOIN units u ON u.id = d.unit_id
         JOIN facility_systems s ON s.device_id = d.id JOIN points p ON p.system_id = s.id
        WHERE d.protocol = 'gb26875' AND u.point IS NOT NULL
        ORDER BY d.id, p.id LIMIT 2`,
    );
    assert.equal(r.rows.length, 2);
    unitId = Number(r.rows[0].unit_id);
    stack = await startStack(db.url);
    uitd = new SimulatedUitd({ port: stack.gbPort, address: Number(r.rows[0].address), host: '127.0.0.1' });
    await uitd.connect();
    const ref = (row: Record<string, unknown>) => ({ systemType: Number(row.system_type), systemAddress: Number(row.system_address), componentType: Number(row.component_type), componentAddress: Number(row.component_address) });
    await uitd.sendFire(ref(r.rows[0]));
    await uitd.sendFault(ref(r.rows[1]));
    browser = await launchBrowser({ viewport: { width: 1920, height: 1080 } });
  });

  after(async () => {
    uitd?.close();
    await browser?.close();
    await stack?.close();
    await db?.drop();
  });

  it('a refused login says why in Chinese', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${stack.baseUrl}/login`);
      await page.fill('input[name=username]', stack.username);
      await page.fill('input[name=password]', 'wrong-password-1');
      await page.click('button[type=submit]');
      await page.waitForSelector('.login .error, [role=alert]', { timeout: UI_TIMEOUT_MS });
      const text = await visibleText(page);
      assert.match(text, /用户名或密码错误/);
      assert.deepEqual(findings(text), []);
    } finally {
      await page.close();
    }
  });

  it('every view, at 1920×1080 and 1280×800', async () => {
    // One page per view (the session cookie is the context's): a closed wall page stops drawing.
    let page = await browser.newPage();
    const problems: string[] = [];
    try {
      // Screenshots are for people to look at; on a loaded machine the software-WebGL wall may
      // not settle in time for one, which is not what this test is about.
      const shot = async (file: string) => {
        if (SHOTS) await page.screenshot({ path: `${SHOTS}/${file}`, timeout: 60_000 }).catch((e: Error) => console.warn(`screenshot ${file} skipped: ${e.message.split('\n')[0]}`));
      };
      await login(page, stack.baseUrl, stack, '/');
      const views: Array<[string, string, () => Promise<void>]> = [
        ['home', '/', async () => void (await page.waitForSelector('.tiles a'))],
        [
          'desk',
          '/desk',
          async () => {
            await page.click('[data-testid^=queue-row-][data-kind=fire]', { timeout: UI_TIMEOUT_MS });
            await page.waitForSelector('[data-testid=timeline] li', { timeout: UI_TIMEOUT_MS });
          },
        ],
        ['unit', `/units/${unitId}`, async () => void (await page.waitForSelector('.unit-view .side h2, .unit-view h1, .unit-view h2', { timeout: UI_TIMEOUT_MS }))],
        ['analyst', '/analyst', async () => void (await page.waitForSelector('[data-testid=analyst] table, .ana-page table, table', { timeout: UI_TIMEOUT_MS }))],
        ['onboarding', '/onboarding', async () => void (await page.waitForSelector('[data-testid=onboarding-queue]', { timeout: UI_TIMEOUT_MS }))],
        ['onboarding-unit', `/onboarding/units/${unitId}`, async () => void (await page.waitForSelector('.onb-form, .onb-card', { timeout: UI_TIMEOUT_MS }))],
        ['onboarding-new', '/onboarding/new', async () => void (await page.waitForSelector('.onb-card', { timeout: UI_TIMEOUT_MS }))],
        ['onboarding-outbox', '/onboarding/outbox', async () => void (await page.waitForSelector('.onb-table, .onb-hint', { timeout: UI_TIMEOUT_MS }))],
        ['onboarding-unregistered', '/onboarding/unregistered', async () => void (await page.waitForSelector('.onb-table, .onb-hint', { timeout: UI_TIMEOUT_MS }))],
        ['duty', '/duty', async () => void (await page.waitForSelector('main .page, main > *', { timeout: UI_TIMEOUT_MS }))],
        ['supervise', '/supervise', async () => void (await page.waitForSelector('main > *', { timeout: UI_TIMEOUT_MS }))],
        // Last: the software-WebGL wall loads the machine most.
        [
          'wall',
          '/wall',
          async () => void (await page.waitForFunction(() => document.querySelector('[data-testid=conn-status]')?.classList.contains('live'), null, { timeout: UI_TIMEOUT_MS, polling: 500 })),
        ],
      ];
      for (const [name, path, ready] of views) {
        await page.close();
        page = await browser.newPage();
        await page.setViewportSize({ width: 1920, height: 1080 });
        await page.goto(`${stack.baseUrl}${path}`, { timeout: 90_000 });
        await ready();
        await page.waitForTimeout(1500);
        for (const f of findings(await visibleText(page))) problems.push(`${name}: ${f}`);
        await shot(`view-${name}-1920x1080.png`);
        await page.setViewportSize({ width: 1280, height: 800 });
        await page.waitForTimeout(800);
        for (const f of findings(await visibleText(page))) problems.push(`${name} (1280×800): ${f}`);
        await shot(`view-${name}-1280x800.png`);
      }
      assert.deepEqual(problems, [], problems.join('\n'));
      assert.deepEqual(browser.external, []);
    } finally {
      await page.close();
    }
  });
});
