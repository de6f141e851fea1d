// Every supervision route probed as an attacker of another district would: 鼓楼's supervisor
// sends 玄武's ids — tasks, units, inspections, photos, cases, acceptance records, testing
// agencies, regions — with good bodies and with bad ones. Each answer is 404, never a 400 that
// shows the id was read, never a 2xx; nothing is written, and no list or statistic names a
// 玄武 unit. The same requests from 玄武's supervisor pass the jurisdiction check (so the
// probe really reaches the routes).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { createTestUser, ensureRegions, type TestUser } from '../auth/testing.ts';
import { startTestServer, type Reply, type TestServer } from '../devtools/test-support.ts';
import { supervisionFeature } from './feature.ts';

const XUANWU = 320102;
const GULOU = 320106;
// A 1×1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

describe('supervision: ids of another jurisdiction', () => {
  let db: TestDatabase;
  let server: TestServer;
  let admin: TestUser, supX: TestUser, supX2: TestUser, supG: TestUser;
  let unitX: number;
  const ids = { task: 0, inspection: 0, photo: 0, case: 0, acceptance: 0, agency: 0, report: 0 };
  const today = () => new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);

  before(async () => {
    db = await createTestDatabase('supervision_jurisdiction');
    const p = db.pool;
    await ensureRegions(p, [XUANWU, GULOU]);
    const unit = async (name: string, adcode: number) =>
      Number((await p.query(`INSERT INTO units (name, region_adcode, point, onboarding_state) VALUES ($1, $2, ST_SetSRID(ST_MakePoint(118.78, 32.05), 4326), 'open') RETURNING id`, [name, adcode])).rows[0].id);
    unitX = await unit('玄武探针单位', XUANWU);
    await unit('鼓楼探针单位', GULOU);
    admin = await createTestUser(p, { role: 'admin' });
    supX = await createTestUser(p, { role: 'supervisor', regions: [XUANWU], username: 'probe_xuanwu' });
    supX2 = await createTestUser(p, { role: 'supervisor', regions: [XUANWU], username: 'probe_xuanwu2' });
    supG = await createTestUser(p, { role: 'supervisor', regions: [GULOU], username: 'probe_gulou' });
    server = await startTestServer(db.url, [supervisionFeature({ options: { everyMs: 0 } })], { env: { FIRELINK_DEMO: '0' } });
    const ok = async (r: Promise<Reply>) => {
      const x = await r;
      assert.ok(x.status < 300, JSON.stringify(x.body));
      return x.body;
    };
    // 玄武's records, made through the API by its supervisor.
    ids.task = (await ok(server.call(supX, 'POST', '/api/supervision/tasks', { unitId: unitX, detail: '复查' }))).id;
    ids.inspection = (await ok(server.call(supX, 'POST', '/api/supervision/inspections', { unitId: unitX, inspectedOn: today(), result: 'rectify', rectifyBy: '2099-12-31', rectifyItems: '整改' }))).id;
    ids.photo = (await ok(server.call(supX, 'POST', `/api/supervision/inspections/${ids.inspection}/photos`, PNG, { 'content-type': 'image/png' }))).photos[0].id;
    ids.case = (await ok(server.call(supX, 'POST', '/api/supervision/cases', { unitId: unitX, caseNo: 'X-1', basis: '消防法', facts: '', openedOn: today() }))).id;
    ids.agency = (await ok(server.call(supX, 'POST', '/api/supervision/testing-agencies', { name: '玄武检测站', regionAdcode: XUANWU }))).id;
    const device = Number((await p.query(`INSERT INTO devices (unit_id, address) VALUES ($1, 900001) RETURNING id`, [unitX])).rows[0].id);
    ids.acceptance = Number(
      (
        await p.query(
          `INSERT INTO supervision_acceptance_records (unit_id, device_id, device_address, window_from, window_to, evidence, result, inspector_name)
           VALUES ($1, $2, 900001, now() - interval '1 hour', now(), '{}', 'pass', '王检查') RETURNING id`,
          [unitX, device],
        )
      ).rows[0].id,
    );
    await ok(server.call(admin, 'POST', '/api/supervision/reports/run'));
    ids.report = Number((await p.query(`SELECT id FROM supervision_reports WHERE region_adcode = $1 LIMIT 1`, [XUANWU])).rows[0].id);
  });

  after(async () => {
    await server?.close();
    await db?.drop();
  });

  /** Rows that a refused request must leave as they were. */
  const snapshot = async () =>
    (
      await db.pool.query(`SELECT (SELECT count(*) FROM audit_log) AS audit, (SELECT count(*) FROM supervision_task_steps) AS steps,
                                  (SELECT coalesce(sum(version), 0) FROM supervision_tasks) AS tasks, (SELECT coalesce(sum(version), 0) FROM supervision_cases) AS cases,
                                  (SELECT count(*) FROM supervision_inspection_photos) AS photos, (SELECT count(*) FROM supervision_assignments) AS assigned,
                                  (SELECT count(*) FROM supervision_stage_targets) AS stages, (SELECT count(*) FROM supervision_unit_testing) AS tested,
                                  (SELECT string_agg(name || version, ',') FROM testing_agencies) AS agencies`)
    ).rows[0];

  // Each probe: a request with 玄武's id, once with a body that would pass and once with one that would not.
  const probes = (): Array<[string, string, unknown, unknown]> => {
    const stages = [{ metric: 'high_risk', dueOn: '2026-12-31', targetPct: 90 }];
    return [
      ['GET', `/api/supervision/tasks/${ids.task}`, undefined, undefined],
      ['POST', `/api/supervision/tasks/${ids.task}/transition`, { to: 'in_progress', version: 1, note: '' }, { to: 'nonsense' }],
      ['POST', `/api/supervision/tasks/${ids.task}/notes`, { note: '越权' }, { note: 42 }],
      ['GET', `/api/supervision/units/${unitX}/responsible`, undefined, undefined],
      ['PUT', `/api/supervision/units/${unitX}/responsible`, { supervisorId: supG.userId }, { supervisorId: 'x' }],
      ['GET', `/api/supervision/units/${unitX}/agencies`, undefined, undefined],
      ['PUT', `/api/supervision/units/${unitX}/testing-agency`, { agencyId: null }, { agencyId: 'x' }],
      ['GET', `/api/supervision/inspections/${ids.inspection}`, undefined, undefined],
      ['POST', `/api/supervision/inspections/${ids.inspection}/photos`, PNG, Buffer.from('not an image')],
      ['GET', `/api/supervision/inspections/${ids.inspection}/photos/${ids.photo}`, undefined, undefined],
      ['GET', `/api/supervision/cases/${ids.case}`, undefined, undefined],
      ['POST', `/api/supervision/cases/${ids.case}/close`, { outcome: '罚款', closedOn: today(), version: 1 }, { outcome: '' }],
      ['GET', `/api/supervision/acceptance/${ids.acceptance}`, undefined, undefined],
      ['GET', `/api/supervision/acceptance/${ids.acceptance}/print?format=html`, undefined, undefined],
      ['GET', `/api/supervision/acceptance/${ids.acceptance}/export`, undefined, undefined],
      ['GET', `/api/supervision/reports/${ids.report}/download?format=csv`, undefined, undefined],
      ['PUT', `/api/supervision/testing-agencies/${ids.agency}`, { name: '改名', version: 1 }, { name: '' }],
      ['PUT', `/api/supervision/stage-targets/${XUANWU}`, { stages }, { stages: [{ metric: 'high_risk', dueOn: 'soon', targetPct: 120 }] }],
      ['POST', '/api/supervision/tasks', { unitId: unitX, detail: '越权' }, undefined],
      ['POST', '/api/supervision/inspections', { unitId: unitX, inspectedOn: today(), result: 'pass' }, undefined],
      ['POST', '/api/supervision/inspections', { unitId: unitX, inspectedOn: today(), result: 'pass', reinspectionOf: ids.inspection }, undefined],
      ['POST', '/api/supervision/cases', { unitId: unitX, caseNo: 'G-1', basis: '消防法', facts: '', openedOn: today() }, undefined],
      ['POST', '/api/supervision/assign-region', { regionAdcode: XUANWU, supervisorId: supG.userId }, undefined],
      ['POST', '/api/supervision/plan/generate', { regionAdcode: XUANWU }, undefined],
      ['GET', `/api/supervision/assignment/units?region=${XUANWU}`, undefined, undefined],
      ['GET', `/api/supervision/monthly-units?month=2026-11&region=${XUANWU}`, undefined, undefined],
      ['GET', `/api/supervision/acceptance/evidence?unit=${unitX}&device=1&from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z`, undefined, undefined],
    ];
  };

  const send = (who: TestUser, method: string, path: string, body: unknown) =>
    server.call(who, method, path, body, Buffer.isBuffer(body) ? { 'content-type': 'image/png' } : {});

  it('鼓楼 gets 404 for every 玄武 id, with a good body or a bad one, and nothing changes', async () => {
    const before = await snapshot();
    const wrong: string[] = [];
    for (const [method, path, good, bad] of probes()) {
      for (const body of bad === undefined ? [good] : [good, bad]) {
        const r = await send(supG, method, path, body);
        if (r.status !== 404) wrong.push(`${method} ${path} ${body === bad ? '(bad body)' : ''} → ${r.status} ${JSON.stringify(r.body).slice(0, 160)}`);
        else assert.doesNotMatch(JSON.stringify(r.body), /玄武探针单位|玄武检测站|王检查/, `${method} ${path}: a 404 names nothing of 玄武`);
      }
    }
    assert.deepEqual(wrong, [], 'every probe is 404');
    assert.deepEqual(await snapshot(), before, 'no refused request wrote anything');
  });

  it('lists and statistics of 鼓楼 name nothing of 玄武; a 玄武 unit filter is 404', async () => {
    for (const path of [`/api/supervision/tasks?unit=${unitX}`, `/api/supervision/inspections?unit=${unitX}`, `/api/supervision/cases?unit=${unitX}`]) {
      const r = await server.call(supG, 'GET', path);
      assert.equal(r.status, 404, `${path}: ${JSON.stringify(r.body)}`);
      assert.doesNotMatch(JSON.stringify(r.body), /玄武探针单位/, `${path} names nothing of 玄武`);
    }
    for (const path of [
      '/api/supervision/tasks?view=all',
      '/api/supervision/inspections',
      '/api/supervision/cases',
      '/api/supervision/plan',
      '/api/supervision/stats/agencies?kind=testing',
      '/api/supervision/stats/supervisors',
      '/api/supervision/league',
      '/api/supervision/stage-targets',
      '/api/supervision/reports',
      '/api/supervision/supervisors',
      '/api/supervision/assignment/regions',
      '/api/supervision/assignment/history',
      '/api/supervision/testing-agencies',
      '/api/supervision/monthly-units?month=2026-11',
    ]) {
      const r = await server.call(supG, 'GET', path);
      assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.body)}`);
      assert.doesNotMatch(JSON.stringify(r.body), /玄武探针单位|玄武检测站|probe_xuanwu|X-1/, `${path} names nothing of 玄武`);
    }
  });

  it('the same ids reach the routes for 玄武 (the probe is not refused for another reason)', async () => {
    // Bad bodies from 玄武 are judged on their content (400), so 鼓楼's 404 above came from the jurisdiction.
    for (const [method, path, , bad] of probes()) {
      if (bad === undefined) continue;
      const r = await send(supX2, method, path, bad);
      assert.ok([400, 403].includes(r.status), `${method} ${path} (bad body) from 玄武 → ${r.status} ${JSON.stringify(r.body).slice(0, 160)}`);
    }
    const view = await server.call(supX, 'GET', `/api/supervision/units/${unitX}/agencies`);
    assert.equal(view.status, 200);
    assert.equal(view.body.unitName, '玄武探针单位');
  });
});
