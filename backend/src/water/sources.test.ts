// GET /api/water/sources over a real server: pages of at most WATER_LIST_MAX, walked with
// afterId. Bug (API probe): limit=50000 was accepted and answered 12.5 MB at once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WATER_LIST_MAX, waterSourceListSchema } from '@firelink/common';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { createTestUser, type TestUser } from '../auth/testing.ts';
import { startTestServer, type TestServer } from '../devtools/test-support.ts';
import { waterFeature } from './feature.ts';
import { scatterWaterSources } from './testing.ts';

const SOURCES = 4500;

describe('water source layer: capped pages', () => {
  let db: TestDatabase;
  let server: TestServer;
  let admin: TestUser;
  before(async () => {
    db = await createTestDatabase('water_sources_list');
    await scatterWaterSources(db.pool, { west: 118.7, south: 32.0, east: 118.8, north: 32.1 }, SOURCES, 3);
    admin = await createTestUser(db.pool, { role: 'admin' });
    server = await startTestServer(db.url, [waterFeature]);
  });
  after(async () => {
    await server?.close();
    await db?.drop();
  });

  it('refuses a limit above the maximum with a 400 that names it', async () => {
    for (const q of ['limit=50000', `limit=${WATER_LIST_MAX + 1}`]) {
      const r = await server.call(admin, 'GET', `/api/water/sources?${q}`);
      assert.equal(r.status, 400, q);
      assert.match(r.body.message, new RegExp(`^limit: limit is at most ${WATER_LIST_MAX}: page on with afterId`), q);
    }
    const bad = await server.call(admin, 'GET', '/api/water/sources?afterId=abc');
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /^afterId: expected a positive integer id/);
  });

  it('answers at most WATER_LIST_MAX by default; afterId walks every source once, in id order', async () => {
    const seen: number[] = [];
    let afterId: number | null = null;
    let pages = 0;
    for (;;) {
      const path: string = `/api/water/sources${afterId == null ? '' : `?afterId=${afterId}`}`;
      const res = await fetch(`${server.base}${path}`, { headers: admin.headers });
      const text = await res.text();
      assert.equal(res.status, 200, text.slice(0, 200));
      assert.ok(text.length < 1_000_000, `a page is ${text.length} bytes`);
      const page = waterSourceListSchema.parse(JSON.parse(text));
      pages++;
      assert.ok(page.sources.length <= WATER_LIST_MAX);
      seen.push(...page.sources.map((s) => s.id));
      assert.equal(page.truncated, page.nextAfterId != null);
      if (page.nextAfterId == null) break;
      assert.equal(page.nextAfterId, page.sources.at(-1)!.id);
      afterId = page.nextAfterId;
    }
    assert.equal(pages, Math.ceil(SOURCES / WATER_LIST_MAX));
    assert.equal(seen.length, SOURCES);
    assert.deepEqual(seen, [...seen].sort((a, b) => a - b));
    assert.equal(new Set(seen).size, SOURCES);
  });
});
