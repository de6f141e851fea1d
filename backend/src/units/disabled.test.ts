// Disabled (屏蔽) points as a risk indicator in the unit view: GET
// /api/units/:id carries what is disabled now, since when and the hours of the last 30 days,
// the same facts (disabled_unit_facts) the duty view's list shows. Real HTTP, real PostGIS;
// the spells are written as the pipeline writes them (the TCP path is in duty/checks.test.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { unitDetailSchema } from '@firelink/common';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { createTestUser, ensureRegions, type TestUser } from '../auth/testing.ts';
import { startTestServer, type TestServer } from '../devtools/test-support.ts';
import { dutyFeature } from '../duty/feature.ts';
import { loadOnboardingConfig } from '../onboarding/config.ts';
import { onboardingFeature } from '../onboarding/feature.ts';

const XUANWU = 320102;
const GULOU = 320106;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('disabled points in the unit view', () => {
  let db: TestDatabase;
  let server: TestServer;
  let supervisor: TestUser, gulou: TestUser;
  let unitId: number, quietUnit: number;
  const t0 = Date.now();

  before(async () => {
    db = await createTestDatabase('unit_disabled');
    await ensureRegions(db.pool, [XUANWU, GULOU]);
    supervisor = await createTestUser(db.pool, { role: 'supervisor', regions: [XUANWU] });
    gulou = await createTestUser(db.pool, { role: 'supervisor', regions: [GULOU] });
    unitId = Number((await db.pool.query(`INSERT INTO units (name, region_adcode, onboarding_state) VALUES ('屏蔽单位', $1, 'open') RETURNING id`, [XUANWU])).rows[0].id);
    quietUnit = Number((await db.pool.query(`INSERT INTO units (name, region_adcode, onboarding_state) VALUES ('正常单位', $1, 'open') RETURNING id`, [XUANWU])).rows[0].id);
    const device = Number((await db.pool.query(`INSERT INTO devices (unit_id, address) VALUES ($1, 880001) RETURNING id`, [unitId])).rows[0].id);
    const system = Number((await db.pool.query(`INSERT INTO facility_systems (device_id, system_type, system_address) VALUES ($1, 1, 1) RETURNING id`, [device])).rows[0].id);
    const point = Number(
      (await db.pool.query(`INSERT INTO points (unit_id, system_id, component_type, component_address, label) VALUES ($1, $2, 42, 7, '3F 感烟 7') RETURNING id`, [unitId, system])).rows[0].id,
    );
    const spell = (pointId: number | null, component: number | null, since: number, until: number | null) =>
      db.pool.query(
        `INSERT INTO disabled_spells (unit_id, device_id, point_id, system_type, system_address, component_address, region_adcode, since, until) VALUES ($1, $2, $3, 1, 1, $4, $5, $6, $7)`,
        [unitId, device, pointId, component, XUANWU, new Date(since), until == null ? null : new Date(until)],
      );
    await spell(point, 7, t0 - 40 * DAY, null); // a point disabled 40 days ago, still disabled
    await spell(null, null, t0 - 2 * DAY, null); // the whole system disabled 2 days ago
    await spell(null, 9, t0 - 10 * DAY, t0 - 10 * DAY + 5 * HOUR); // 5 h ten days ago, over
    await spell(null, 8, t0 - 60 * DAY, t0 - 50 * DAY); // before the 30-day window
    server = await startTestServer(db.url, [onboardingFeature({ config: loadOnboardingConfig({}) }), dutyFeature()]);
  });
  after(async () => {
    await server?.close();
    await db?.drop();
  });

  it('GET /api/units/:id: disabled now, since when, hours of the last 30 days, the targets; as the duty list says', async () => {
    const r = await server.call(supervisor, 'GET', `/api/units/${unitId}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const d = unitDetailSchema.parse(r.body).disabled;
    assert.deepEqual([d.windowDays, d.now, d.systemsNow, d.spellsInWindow], [30, 2, 1, 3]);
    assert.equal(d.oldestSince, new Date(t0 - 40 * DAY).toISOString());
    // 30 days of the point (clipped to the window) + 2 days of the system + 5 h.
    assert.ok(Math.abs(d.hoursInWindow - (720 + 48 + 5)) < 0.2, `${d.hoursInWindow} h`);
    assert.deepEqual(
      d.targets.map((t) => [t.label, t.componentAddress]),
      [['3F 感烟 7', 7], [null, null]],
      'longest first; the whole system has no component address',
    );
    const duty = (await server.call(supervisor, 'GET', `/api/duty/disabled-points?unitId=${unitId}`)).body as { units: Array<Record<string, unknown>> };
    assert.deepEqual(
      [duty.units[0]!.disabledNow, duty.units[0]!.systemsDisabledNow, duty.units[0]!.oldestSince, duty.units[0]!.spellsInWindow],
      [d.now, d.systemsNow, d.oldestSince, d.spellsInWindow],
    );

    const quiet = unitDetailSchema.parse((await server.call(supervisor, 'GET', `/api/units/${quietUnit}`)).body).disabled;
    assert.deepEqual(quiet, { windowDays: 30, now: 0, systemsNow: 0, oldestSince: null, hoursInWindow: 0, spellsInWindow: 0, targets: [] });
    assert.equal((await server.call(gulou, 'GET', `/api/units/${unitId}`)).status, 404);
  });
});
