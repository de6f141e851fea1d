// What the supervise browser tests share: a database with the demo city and its two largest
// districts, supervisors bound to a district, a device whose five kinds of signal the center
// received in the last hour, and the page helpers (read the screen, open a section, no raw
// codes, run the report schedule as the admin).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { hashPassword } from '../../backend/src/auth/passwords.ts';
import { ensureFrontendBuilt, launchBrowser, type Stack } from './harness.ts';

export const SHOTS = process.env.SHOTS_DIR ?? '/tmp/shots';

export interface District {
  adcode: number;
  name: string;
}

export interface SuperviseWorld {
  db: TestDatabase;
  /** The two districts with the most demo units, most first. */
  districtA: District;
  districtB: District;
  /** A supervisor (or another role) bound to a region; returns the user id. */
  user: (username: string, displayName: string, adcode: number, role?: string) => Promise<number>;
}

/** Builds the frontend if needed, makes the database `name` with 40 demo units and reads its two largest districts. */
export async function superviseWorld(name: string, password: string): Promise<SuperviseWorld> {
  mkdirSync(SHOTS, { recursive: true });
  await ensureFrontendBuilt((m) => console.log(m));
  const db = await createTestDatabase(name);
  const p = db.pool;
  const { seedDemoSubset } = await import('@firelink/geodata');
  await seedDemoSubset(p, { units: 40, unitsPerOtherCity: 0 });
  const districts = (
    await p.query(`SELECT u.region_adcode AS adcode, r.name, count(*) AS n FROM units u JOIN regions r ON r.adcode = u.region_adcode
                   WHERE u.point IS NOT NULL GROUP BY 1, 2 ORDER BY n DESC, 1 LIMIT 2`)
  ).rows;
  assert.equal(districts.length, 2, 'the demo city has two districts with units');
  const [districtA, districtB] = districts.map((d) => ({ adcode: Number(d.adcode), name: String(d.name) })) as [District, District];
  const hash = await hashPassword(password);
  const user = async (username: string, displayName: string, adcode: number, role = 'supervisor') => {
    const id = Number((await p.query(`INSERT INTO users (username, display_name, password_hash, role) VALUES ($1, $2, $3, $4) RETURNING id`, [username, displayName, hash, role])).rows[0].id);
    await p.query(`INSERT INTO user_regions (user_id, adcode) VALUES ($1, $2)`, [id, adcode]);
    return id;
  };
  return { db, districtA, districtB, user };
}

/**
 * The first device of a unit in the district, with a fire, fault, supervisory, feedback and
 * duty-check answer received in the last half hour (the TCP path is tested in the backend).
 */
export async function deviceWithSignals(db: TestDatabase, adcode: number, keyPrefix: string): Promise<{ id: number; unitId: number; unitName: string }> {
  const p = db.pool;
  const d = (await p.query(`SELECT d.id, d.unit_id, d.address, u.name FROM devices d JOIN units u ON u.id = d.unit_id WHERE u.region_adcode = $1 ORDER BY d.id LIMIT 1`, [adcode])).rows[0];
  const device = { id: Number(d.id), unitId: Number(d.unit_id), unitName: String(d.name) };
  for (const [i, kind] of ['fire', 'fault', 'supervisory', 'feedback', 'duty_check_answered'].entries()) {
    await p.query(
      `INSERT INTO events (dedupe_key, source, kind, device_id, device_address, unit_id, region_adcode, received_at) VALUES ($1, 'gb26875', $2, $3, $4, $5, $6, now() - $7 * interval '1 minute')`,
      [`${keyPrefix}-${i}`, kind, device.id, d.address, device.unitId, adcode, 30 - i],
    );
  }
  return device;
}

/** The text of the supervise page (or of `sel`). */
export const screenText = async (page: Page, sel = '[data-testid=supervise]') => (await page.textContent(sel)) ?? '';

/** No raw codes or English server words on the Chinese screen. */
export const assertNoRaw = async (page: Page, raw: RegExp) => assert.doesNotMatch(await screenText(page), raw, 'no raw codes or English server text on the Chinese screen');

/** Opens a section of the workspace and waits for its content. */
export const openSection = async (page: Page, key: string, testid: string) => {
  await page.click(`[data-testid=sv-sec-${key}]`);
  await page.waitForSelector(`[data-testid=${testid}]`);
};

/** The admin runs the report schedule now (it also runs on its timer); returns the HTTP status. */
export const runReportsAsAdmin = (page: Page, stack: Pick<Stack, 'username' | 'password'>) =>
  page.evaluate(
    async ({ u, pw }) => {
      const l = await fetch('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: u, password: pw, session: 'bearer' }) });
      const { token } = (await l.json()) as { token: string };
      return (await fetch('/api/supervision/reports/run', { method: 'POST', headers: { authorization: `Bearer ${token}` } })).status;
    },
    { u: stack.username, pw: stack.password },
  );

/**
 * One test's browser at `viewport`: `body` drives its page; afterwards the console shows no
 * error (but those `allowedErrors` matches, e.g. the browser's note on a deliberate 404 probe)
 * and nothing was fetched from outside the stack. The browser is closed whatever happens.
 */
export async function inBrowser(viewport: { width: number; height: number }, body: (page: Page) => Promise<void>, allowedErrors?: RegExp): Promise<void> {
  const browser = await launchBrowser({ viewport });
  try {
    const page = await browser.newPage();
    await body(page);
    assert.deepEqual(
      browser.errors.filter((e) => !allowedErrors?.test(e)),
      [],
      'no console errors',
    );
    assert.deepEqual(browser.external, [], 'nothing fetched from outside');
  } finally {
    await browser.close();
  }
}
