// The unit finder over real HTTP and PostGIS: GET /api/units?q= ranks name matches before
// address matches, filters by district and category, escapes LIKE wildcards, and sees only
// the caller's jurisdiction (a 鼓楼 supervisor finds nothing of 玄武); GET /api/units/districts
// lists the districts holding units in the scope. 2,400 units, as in a city's network.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { unitDistrictsSchema, unitListSchema } from '@firelink/common';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { createTestUser, type TestUser } from '../auth/testing.ts';
import { startTestServer, type TestServer } from '../devtools/test-support.ts';
import { loadOnboardingConfig } from '../onboarding/config.ts';
import { onboardingFeature } from '../onboarding/feature.ts';

const GULOU = 320106;
const XUANWU = 320102;
const NANJING = 320100;

let db: TestDatabase;
let server: TestServer;
let base: string;
let admin: TestUser;
let gulou: TestUser;
const ids: Record<string, number> = {};

async function search(user: TestUser, query: string) {
  const res = await fetch(`${base}/api/units?${query}`, { headers: user.headers });
  const body = (await res.json()) as { total: number; items: Array<{ name: string }> };
  return { status: res.status, body };
}

async function found(user: TestUser, query: string): Promise<string[]> {
  const r = await search(user, query);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return unitListSchema.parse(r.body).items.map((u) => u.name);
}

before(async () => {
  db = await createTestDatabase('unit-search');
  const p = db.pool;
  await p.query(
    `INSERT INTO regions (adcode, name, level) VALUES (${NANJING}, '南京市', 'city') ON CONFLICT (adcode) DO NOTHING;
     INSERT INTO regions (adcode, name, level, parent_adcode) VALUES (${GULOU}, '鼓楼区', 'district', ${NANJING}), (${XUANWU}, '玄武区', 'district', ${NANJING})
       ON CONFLICT (adcode) DO NOTHING`,
  );
  const category = (await p.query(`SELECT code FROM unit_categories ORDER BY code LIMIT 2`)).rows.map((r) => String(r.code));
  assert.equal(category.length, 2, 'the migrations seed unit categories');
  const named = [
    // [name, address, region, category]
    ['鼓楼医院门诊楼', '中山路321号', GULOU, category[0]],
    ['中山大厦', '鼓楼医院对面', GULOU, category[1]],
    ['玄武湖宾馆', '玄武大道1号', XUANWU, category[0]],
    ['100%纯净水厂', '玄武大道2号', XUANWU, category[1]],
  ] as const;
  for (const [name, address, region, cat] of named) {
    const r = await p.query(
      `INSERT INTO units (name, address, region_adcode, category, point, onboarding_state)
       VALUES ($1, $2, $3, $4, ST_SetSRID(ST_MakePoint(118.78, 32.06), 4326), 'open') RETURNING id`,
      [name, address, region, cat],
    );
    ids[name] = Number(r.rows[0].id);
  }
  // Fill up to a city's 2,400 units, split between the two districts.
  await p.query(
    `INSERT INTO units (name, address, region_adcode, category, point)
     SELECT '单位' || g, '某路' || g || '号', CASE WHEN g % 2 = 0 THEN ${GULOU} ELSE ${XUANWU} END, $1,
            ST_SetSRID(ST_MakePoint(118.7 + g * 0.00001, 32.0), 4326)
     FROM generate_series(1, 2396) g`,
    [category[0]],
  );
  await p.query('ANALYZE units');
  admin = await createTestUser(p, { role: 'admin' });
  gulou = await createTestUser(p, { role: 'supervisor', regions: [GULOU] });
  server = await startTestServer(db.url, [onboardingFeature({ config: loadOnboardingConfig({}) })]);
  base = server.base;
});
after(async () => {
  await server?.close();
  await db?.drop();
});

describe('unit finder: GET /api/units?q=', () => {
  it('finds a unit by part of its name, name matches ranked before address matches', async () => {
    assert.deepEqual(await found(admin, `q=${encodeURIComponent('门诊')}`), ['鼓楼医院门诊楼']);
    // 鼓楼医院门诊楼 (name prefix) before 中山大厦 (address 鼓楼医院对面), though its id is not smaller in every seed.
    assert.deepEqual(await found(admin, `q=${encodeURIComponent('鼓楼医院')}`), ['鼓楼医院门诊楼', '中山大厦']);
    // Exact name first, then a name containing it, then address matches.
    assert.deepEqual(await found(admin, `q=${encodeURIComponent('中山')}`), ['中山大厦', '鼓楼医院门诊楼']);
    const r = await search(admin, `q=${encodeURIComponent('单位12')}&limit=5`);
    assert.equal(r.body.total, 1 + 10 + 100, '单位12, 单位120–129, 单位1200–1299');
    assert.equal(r.body.items[0]?.name, '单位12', 'the exact name first');
  });

  it('filters by district and category, and pages', async () => {
    assert.deepEqual(await found(admin, `q=${encodeURIComponent('玄武')}&region=${GULOU}`), []);
    assert.deepEqual(await found(admin, `q=${encodeURIComponent('玄武')}&region=${XUANWU}`), ['玄武湖宾馆', '100%纯净水厂']);
    const cat = (await db.pool.query('SELECT category FROM units WHERE id = $1', [ids['100%纯净水厂']])).rows[0].category;
    assert.deepEqual(await found(admin, `q=${encodeURIComponent('玄武')}&category=${cat}`), ['100%纯净水厂']);
    const page2 = await found(admin, `q=${encodeURIComponent('单位')}&region=${GULOU}&limit=10&offset=10`);
    assert.equal(page2.length, 10);
  });

  it('treats % and _ in the search text as characters, not wildcards', async () => {
    assert.deepEqual(await found(admin, `q=${encodeURIComponent('100%')}`), ['100%纯净水厂']);
    assert.deepEqual(await found(admin, `q=${encodeURIComponent('%')}`), ['100%纯净水厂']);
    assert.deepEqual(await found(admin, `q=_`), []);
  });

  it('is scoped like the units list: a 鼓楼 account finds nothing of 玄武', async () => {
    assert.deepEqual(await found(gulou, `q=${encodeURIComponent('玄武湖宾馆')}`), []);
    assert.equal((await search(gulou, `q=${encodeURIComponent('玄武')}&region=${XUANWU}`)).status, 404, 'a 玄武 region filter is not found');
    assert.deepEqual(await found(gulou, `q=${encodeURIComponent('鼓楼医院')}`), ['鼓楼医院门诊楼', '中山大厦']);
    const all = await search(gulou, `q=${encodeURIComponent('单位')}&limit=1`);
    assert.equal(all.body.total, 1198, 'the even half of the filler units');
  });

  it('refuses a malformed query with 400 (zod)', async () => {
    assert.equal((await search(admin, 'limit=100000')).status, 400);
    assert.equal((await search(admin, `q=${'x'.repeat(101)}`)).status, 400);
  });
});

describe('GET /api/units/districts', () => {
  it('lists the districts with units in the scope, with city name and counts', async () => {
    const get = async (u: TestUser) => unitDistrictsSchema.parse(await (await fetch(`${base}/api/units/districts`, { headers: u.headers })).json());
    const all = await get(admin);
    assert.deepEqual(
      all.districts.map((d) => [d.adcode, d.name, d.cityName, d.units]),
      [
        [XUANWU, '玄武区', '南京市', 1198 + 2],
        [GULOU, '鼓楼区', '南京市', 1198 + 2],
      ],
    );
    assert.deepEqual((await get(gulou)).districts.map((d) => d.adcode), [GULOU]);
  });
});
