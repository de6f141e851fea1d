// Supervision's second part over real HTTP, real PostGIS and real sessions: the inspection
// plan from the analytics ranking (faults sent as GB/T 26875 frames over TCP make a unit the
// top risk), inspections with photos, rectification orders and re-inspections, cases,
// accountability statistics, the league against dated stage targets, acceptance records filled
// from the frames a device sent over TCP, printed by Chromium, and reports made on an
// injected clock into the outbox. A 鼓楼 supervisor is refused every 玄武 id.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AcceptanceRecord, CaseDto, InspectionDto, LeagueRow, PlanRow } from '@firelink/common';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { SimulatedUitd } from '@firelink/ingest';
import { refreshAnalytics } from '../analytics/service.ts';
import { createTestUser, ensureRegions, type TestUser } from '../auth/testing.ts';
import { startTestServer, waitFor, type TestServer } from '../devtools/test-support.ts';
import { ingestFeature } from '../devices/feature.ts';
import { onboardingFeature } from '../onboarding/feature.ts';
import { liveFeature, type LiveParts } from '../pipeline/feature.ts';
import { planBands } from './domain/plan.ts';
import { supervisionFeature } from './feature.ts';
import type { SupervisionWork } from './work-service.ts';

const XUANWU = 320102;
const GULOU = 320106;
const NANJING = 320100;
const DAY = 86_400_000;
const DEVICE_HOT = 890_001;
const DEVICE_NEW = 890_002;
// A 1×1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('supervision: plan, inspections, cases, statistics, acceptance, reports', () => {
  let db: TestDatabase;
  let server: TestServer;
  let gbPort = 0;
  let live: LiveParts;
  let work: SupervisionWork;
  let clock = new Date();
  let admin: TestUser, supX: TestUser, supG: TestUser, cityChief: TestUser, analyst: TestUser, ownAgency: TestUser, otherAgency: TestUser;
  const xUnits: number[] = [];
  const gUnits: number[] = [];
  let hotUnit: number, newUnit: number, newDevice: number, agencyA: number, agencyB: number, testingT: number;

  const call: TestServer['call'] = (...a) => server.call(...a);
  /** A reply's bytes and type (images, PDF): the shared client reads a body as text. */
  const bytes = async (user: TestUser, path: string) => {
    const res = await fetch(`${server.base}${path}`, { headers: user.headers });
    return { status: res.status, type: res.headers.get('content-type'), buf: Buffer.from(await res.arrayBuffer()) };
  };
  const today = () => new Date(clock.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);
  const daysFrom = (ymd: string, n: number) => new Date(Date.parse(`${ymd}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);

  before(async () => {
    db = await createTestDatabase('supervision_work');
    const p = db.pool;
    await ensureRegions(p, [XUANWU, GULOU]);
    await p.query(`UPDATE regions SET name = '玄武区' WHERE adcode = $1`, [XUANWU]);
    await p.query(`UPDATE regions SET name = '鼓楼区' WHERE adcode = $1`, [GULOU]);
    await p.query(`UPDATE regions SET name = '南京市' WHERE adcode = $1`, [NANJING]);
    agencyA = Number((await p.query(`INSERT INTO maintenance_agencies (name) VALUES ('甲维保公司') RETURNING id`)).rows[0].id);
    agencyB = Number((await p.query(`INSERT INTO maintenance_agencies (name) VALUES ('乙维保公司') RETURNING id`)).rows[0].id);
    testingT = Number((await p.query(`INSERT INTO testing_agencies (name) VALUES ('丙检测中心') RETURNING id`)).rows[0].id);
    const unit = async (name: string, adcode: number, o: { highRisk?: boolean; state?: string; agency?: number; construction?: boolean } = {}) =>
      Number(
        (
          await p.query(
            `INSERT INTO units (name, address, region_adcode, point, onboarding_state, high_risk, maintenance_agency_id, under_construction)
             VALUES ($1, '中山路1号', $2, ST_SetSRID(ST_MakePoint(118.78, 32.05), 4326), $3, $4, $5, $6) RETURNING id`,
            [name, adcode, o.state ?? 'open', o.highRisk ?? false, o.agency ?? null, o.construction ?? false],
          )
        ).rows[0].id,
      );
    // 玄武: ten units, two high-risk (one of them not yet open); 鼓楼: four units.
    for (let i = 0; i < 10; i++) xUnits.push(await unit(`玄武单位${i + 1}`, XUANWU, { highRisk: i < 2, state: i === 1 ? 'reviewed' : 'open', agency: agencyA }));
    for (let i = 0; i < 4; i++) gUnits.push(await unit(`鼓楼单位${i + 1}`, GULOU, { agency: i === 0 ? agencyB : undefined }));
    hotUnit = xUnits[5]!;
    newUnit = await unit('玄武新建工地', XUANWU, { state: 'verified', agency: agencyA, construction: true });
    await p.query(`INSERT INTO supervision_unit_testing (unit_id, testing_agency_id) SELECT unnest($1::bigint[]), $2`, [xUnits.slice(0, 3), testingT]);
    const device = async (unitId: number, address: number) => {
      const d = Number((await p.query(`INSERT INTO devices (unit_id, address) VALUES ($1, $2) RETURNING id`, [unitId, address])).rows[0].id);
      const s = Number((await p.query(`INSERT INTO facility_systems (device_id, system_type, system_address) VALUES ($1, 1, 1) RETURNING id`, [d])).rows[0].id);
      for (let k = 1; k <= 3; k++) await p.query(`INSERT INTO points (unit_id, system_id, component_type, component_address, floor, label) VALUES ($1, $2, 42, $3, 1, $4)`, [unitId, s, k, `1F 点位 ${k}`]);
      return d;
    };
    await device(hotUnit, DEVICE_HOT);
    newDevice = await device(newUnit, DEVICE_NEW);

    admin = await createTestUser(p, { role: 'admin' });
    supX = await createTestUser(p, { role: 'supervisor', regions: [XUANWU], username: 'sup_xuanwu' });
    supG = await createTestUser(p, { role: 'supervisor', regions: [GULOU], username: 'sup_gulou' });
    cityChief = await createTestUser(p, { role: 'supervisor', regions: [NANJING], username: 'chief_nanjing' });
    analyst = await createTestUser(p, { role: 'analyst', regions: [NANJING] });
    // Maintainers bound to the new unit: one of the agency that collected it (A), one of another (B).
    ownAgency = await createTestUser(p, { role: 'maintainer', units: [newUnit], username: 'maint_a' });
    otherAgency = await createTestUser(p, { role: 'maintainer', units: [newUnit], username: 'maint_b' });
    await p.query(`UPDATE users SET maintenance_agency_id = $2 WHERE id = $1`, [ownAgency.userId, agencyA]);
    await p.query(`UPDATE users SET maintenance_agency_id = $2 WHERE id = $1`, [otherAgency.userId, agencyB]);

    server = await startTestServer(
      db.url,
      [
        liveFeature({ expose: (x) => (live = x) }),
        ingestFeature({ onStarted: (h) => (gbPort = h.port) }),
        onboardingFeature(),
        supervisionFeature({
          options: {
            rules: { hostOfflineHours: 24, offDutyHours: 12, faultRepairHours: 72, falseAlarmCount: 3, falseAlarmWindowDays: 30, disabledPointDays: 7 },
            taskDays: 7,
            everyMs: 0,
            now: () => clock,
          },
          expose: (_s, w) => (work = w),
        }),
      ],
      { env: { FIRELINK_DEMO: '0' } },
    );
  });

  after(async () => {
    await server?.close();
    await db?.drop();
  });

  it('plan: bands are configurable (admin); the plan comes from the analytics ranking, top decile monthly; scoped', async () => {
    assert.deepEqual((await call(supX, 'GET', '/api/supervision/plan/bands')).body.bands, [
      { band: 'high', uptoPct: 10, everyDays: 30 },
      { band: 'normal', uptoPct: 100, everyDays: 90 },
    ]);
    assert.equal((await call(supX, 'PUT', '/api/supervision/plan/bands', { bands: [{ band: 'all', uptoPct: 100, everyDays: 30 }] })).status, 403);
    const bad = await call(admin, 'PUT', '/api/supervision/plan/bands', { bands: [{ band: 'high', uptoPct: 10, everyDays: 30 }] });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /uptoPct 100/);
    const set = await call(admin, 'PUT', '/api/supervision/plan/bands', {
      bands: [
        { band: 'high', uptoPct: 10, everyDays: 30 },
        { band: 'medium', uptoPct: 30, everyDays: 60 },
        { band: 'normal', uptoPct: 100, everyDays: 90 },
      ],
    });
    assert.equal(set.status, 200);

    // Faults over TCP make the hot unit the riskiest of 玄武 (fault rate beats the high-risk flag).
    const uitd = new SimulatedUitd({ port: gbPort, address: DEVICE_HOT });
    await uitd.connect();
    for (const k of [1, 2, 3]) await uitd.sendFault({ componentAddress: k });
    uitd.close();
    await live.pipeline.idle();
    await waitFor('fault events', async () => Number((await db.pool.query(`SELECT count(*) AS n FROM events WHERE unit_id = $1 AND kind = 'fault'`, [hotUnit])).rows[0].n) === 3);
    await refreshAnalytics(db.pool);

    assert.equal((await call(supG, 'POST', '/api/supervision/plan/generate', { regionAdcode: XUANWU })).status, 404);
    const gen = await call(supX, 'POST', '/api/supervision/plan/generate', { windowDays: 30 });
    assert.equal(gen.status, 200, JSON.stringify(gen.body));
    assert.equal(gen.body.units, 11);
    assert.deepEqual(gen.body.bands, { high: 1, medium: 2, normal: 8 });
    const plan = (await call(supX, 'GET', '/api/supervision/plan')).body.items as PlanRow[];
    const hot = plan.find((r) => r.unitId === hotUnit)!;
    assert.deepEqual([hot.band, hot.everyDays, hot.rankInRegion, hot.regionUnits, hot.nextDue], ['high', 30, 1, 11, today()]);
    // The two high-risk units come next (10 points each).
    assert.deepEqual(plan.filter((r) => r.band === 'medium').map((r) => r.unitId).sort(), xUnits.slice(0, 2).sort());
    assert.ok(plan.every((r) => xUnits.includes(r.unitId) || r.unitId === newUnit));
    // The plan is one SQL statement now: it bands exactly as the pure reference (domain/plan.ts).
    const reference = planBands(plan.map((r) => ({ unitId: r.unitId, regionAdcode: r.regionAdcode, score: r.score })), set.body.bands);
    assert.deepEqual(
      plan.map((r) => [r.unitId, r.band, r.everyDays, r.rankInRegion, r.regionUnits]).sort((a, b) => Number(a[0]) - Number(b[0])),
      reference.map((r) => [r.unitId, r.band, r.everyDays, r.rankInRegion, r.regionUnits]).sort((a, b) => Number(a[0]) - Number(b[0])),
    );

    // 鼓楼's supervisor plans 鼓楼 only and sees nothing of 玄武's plan.
    assert.equal((await call(supG, 'POST', '/api/supervision/plan/generate', {})).body.units, 4);
    const g = (await call(supG, 'GET', '/api/supervision/plan')).body.items as PlanRow[];
    assert.deepEqual(g.map((r) => r.unitId).sort(), [...gUnits].sort());
    const audit = await db.pool.query(`SELECT action FROM audit_log WHERE action LIKE 'supervision.plan%' ORDER BY id`);
    assert.deepEqual(audit.rows.map((a) => a.action), ['supervision.plan_bands', 'supervision.plan_generate', 'supervision.plan_generate']);
  });

  let order: InspectionDto;
  it('inspections: checklist, rectification order, photos with type and size limits, re-inspection; each 玄武 id refused to 鼓楼', async () => {
    const day = today();
    const created = await call(supX, 'POST', '/api/supervision/inspections', {
      unitId: hotUnit,
      inspectedOn: day,
      checklist: [
        { item: '消防控制室值班人员持证在岗', ok: true },
        { item: '火灾报警控制器无故障', ok: false, note: '3 个探测器故障' },
      ],
      findings: '探测器故障未及时维修',
      result: 'rectify',
      rectifyBy: daysFrom(day, 15),
      rectifyItems: '更换故障探测器',
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    order = created.body as InspectionDto;
    assert.match(order.orderNo!, /^ZG\d{8}-\d{6}$/);
    assert.deepEqual([order.result, order.rectifyBy, order.planned, order.checklist[1]!.ok], ['rectify', daysFrom(day, 15), true, false]);
    // The plan moves on by the band's 30 days.
    const plan = (await call(supX, 'GET', '/api/supervision/plan')).body.items as PlanRow[];
    assert.equal(plan.find((r) => r.unitId === hotUnit)!.nextDue, daysFrom(day, 30));

    // Bad input: an order without a deadline, a date in the future.
    assert.equal((await call(supX, 'POST', '/api/supervision/inspections', { unitId: hotUnit, inspectedOn: day, result: 'rectify' })).status, 400);
    assert.equal((await call(supX, 'POST', '/api/supervision/inspections', { unitId: hotUnit, inspectedOn: daysFrom(day, 3), result: 'pass' })).status, 400);

    // Photos: a PNG is kept; a text file sent as PNG and an oversized one are refused.
    const ph = await call(supX, 'POST', `/api/supervision/inspections/${order.id}/photos?caption=控制器`, PNG, { 'content-type': 'image/png' });
    assert.equal(ph.status, 201, JSON.stringify(ph.body));
    const photoId = (ph.body as InspectionDto).photos[0]!.id;
    assert.equal((await call(supX, 'POST', `/api/supervision/inspections/${order.id}/photos`, Buffer.from('not an image'), { 'content-type': 'image/png' })).status, 400);
    assert.equal((await call(supX, 'POST', `/api/supervision/inspections/${order.id}/photos`, PNG, { 'content-type': 'image/jpeg' })).status, 400);
    const huge = Buffer.concat([PNG, Buffer.alloc(9 * 1024 * 1024)]);
    assert.equal((await call(supX, 'POST', `/api/supervision/inspections/${order.id}/photos`, huge, { 'content-type': 'image/png' })).status, 413);
    const got = await bytes(supX, `/api/supervision/inspections/${order.id}/photos/${photoId}`);
    assert.equal(got.type, 'image/png');
    assert.deepEqual(got.buf, PNG);

    // 鼓楼 is refused every 玄武 id: the inspection, its photo, a re-inspection of it, a new one on a 玄武 unit.
    assert.equal((await call(supG, 'GET', `/api/supervision/inspections/${order.id}`)).status, 404);
    assert.equal((await call(supG, 'GET', `/api/supervision/inspections/${order.id}/photos/${photoId}`)).status, 404);
    assert.equal((await call(supG, 'POST', `/api/supervision/inspections/${order.id}/photos`, PNG, { 'content-type': 'image/png' })).status, 404);
    assert.equal((await call(supG, 'POST', '/api/supervision/inspections', { unitId: hotUnit, inspectedOn: day, result: 'pass' })).status, 404);
    assert.equal((await call(supG, 'POST', '/api/supervision/inspections', { unitId: gUnits[0], inspectedOn: day, result: 'pass', reinspectionOf: order.id })).status, 404);
    assert.equal((await call(supG, 'GET', `/api/supervision/inspections?unit=${hotUnit}`)).status, 404);
    // A 玄武 colleague who did not inspect may not add photos.
    assert.equal((await call(cityChief, 'POST', `/api/supervision/inspections/${order.id}/photos`, PNG, { 'content-type': 'image/png' })).status, 403);

    // Open orders, then a re-inspection that passes closes the order; a second one is refused.
    assert.deepEqual(((await call(supX, 'GET', '/api/supervision/inspections?openOrders=true')).body.items as InspectionDto[]).map((i) => i.id), [order.id]);
    assert.equal((await call(supX, 'POST', '/api/supervision/inspections', { unitId: xUnits[0], inspectedOn: day, result: 'pass', reinspectionOf: order.id })).status, 400);
    const re = await call(supX, 'POST', '/api/supervision/inspections', { unitId: hotUnit, inspectedOn: day, result: 'pass', reinspectionOf: order.id, findings: '已更换' });
    assert.equal(re.status, 201, JSON.stringify(re.body));
    assert.equal((await call(supX, 'GET', `/api/supervision/inspections/${order.id}`)).body.rectifiedOn, day);
    assert.equal((await call(supX, 'POST', '/api/supervision/inspections', { unitId: hotUnit, inspectedOn: day, result: 'pass', reinspectionOf: order.id })).status, 409);
    const audit = await db.pool.query(`SELECT action FROM audit_log WHERE action LIKE 'supervision.inspection%'`);
    assert.equal(audit.rows.filter((a) => a.action === 'supervision.inspection.create').length, 2);
    assert.equal(audit.rows.filter((a) => a.action === 'supervision.inspection.photo').length, 1);
  });

  it('cases: number, basis, outcome; linked inspection and task checked for unit and jurisdiction; closing is versioned', async () => {
    const task = await call(supX, 'POST', '/api/supervision/tasks', { unitId: hotUnit, detail: '复查整改' });
    assert.equal(task.status, 201);
    const body = { unitId: hotUnit, caseNo: '宁玄消立字〔2026〕第001号', basis: '《中华人民共和国消防法》第六十条', facts: '消防设施未保持完好有效', openedOn: today(), inspectionId: order.id, taskId: task.body.id };
    const opened = await call(supX, 'POST', '/api/supervision/cases', body);
    assert.equal(opened.status, 201, JSON.stringify(opened.body));
    const c = opened.body as CaseDto;
    assert.equal((await call(supX, 'POST', '/api/supervision/cases', body)).status, 409); // the number is taken
    // 鼓楼: no 玄武 unit, no 玄武 inspection or task behind a 鼓楼 unit, no 玄武 case.
    assert.equal((await call(supG, 'POST', '/api/supervision/cases', { ...body, caseNo: 'G-1' })).status, 404);
    assert.equal((await call(supG, 'POST', '/api/supervision/cases', { ...body, caseNo: 'G-2', unitId: gUnits[0], taskId: undefined })).status, 404);
    assert.equal((await call(supG, 'POST', '/api/supervision/cases', { ...body, caseNo: 'G-3', unitId: gUnits[0], inspectionId: undefined })).status, 404);
    assert.equal((await call(supG, 'GET', `/api/supervision/cases/${c.id}`)).status, 404);
    assert.equal((await call(supG, 'POST', `/api/supervision/cases/${c.id}/close`, { outcome: 'x', closedOn: today(), version: c.version })).status, 404);
    assert.equal((await call(supG, 'GET', '/api/supervision/cases')).body.total, 0);
    // 玄武 with another unit's inspection: refused.
    assert.equal((await call(supX, 'POST', '/api/supervision/cases', { ...body, caseNo: 'X-2', unitId: xUnits[0], taskId: undefined })).status, 400);

    assert.equal((await call(supX, 'POST', `/api/supervision/cases/${c.id}/close`, { outcome: '罚款', closedOn: today(), version: c.version + 1 })).status, 409);
    const closed = await call(supX, 'POST', `/api/supervision/cases/${c.id}/close`, { outcome: '责令改正并处罚款', fineYuan: 5000, closedOn: today(), version: c.version });
    assert.equal(closed.status, 200, JSON.stringify(closed.body));
    assert.deepEqual([closed.body.state, closed.body.fineYuan], ['closed', 5000]);
    const audit = await db.pool.query(`SELECT action FROM audit_log WHERE action LIKE 'supervision.case%' ORDER BY id`);
    assert.deepEqual(audit.rows.map((a) => a.action), ['supervision.case.open', 'supervision.case.close']);
  });

  it('accountability: per maintenance and testing agency, per supervisor (tasks on time, inspections vs plan), scoped', async () => {
    const m = await call(supX, 'GET', '/api/supervision/stats/agencies?kind=maintenance');
    assert.equal(m.status, 200, JSON.stringify(m.body));
    const a = (m.body.items as Json[]).find((x) => x.agencyId === agencyA)!;
    assert.deepEqual([a.units, a.points, a.faultEvents], [11, 6, 3]);
    assert.ok(a.faultsPer100Points30d > 0);
    // 鼓楼 sees agency B (its unit) and nothing of A's 玄武 units.
    const g = (await call(supG, 'GET', '/api/supervision/stats/agencies')).body.items as Json[];
    assert.deepEqual(g.map((x) => [x.agencyId, x.units]), [[agencyB, 1]]);
    const t = (await call(analyst, 'GET', '/api/supervision/stats/agencies?kind=testing')).body.items as Json[];
    assert.deepEqual(t.map((x) => [x.name, x.units]), [['丙检测中心', 3]]);
    assert.equal((await call(supG, 'GET', '/api/supervision/stats/agencies?kind=testing')).body.items.length, 0);

    // Make supX responsible for 玄武; one task closed on time.
    assert.equal((await call(supX, 'POST', '/api/supervision/assign-region', { regionAdcode: XUANWU, supervisorId: supX.userId })).status, 200);
    // The assignment screen: districts, their units and holders, the audited history — 鼓楼 sees none of 玄武's.
    const regs = (await call(supX, 'GET', '/api/supervision/assignment/regions')).body.items as Json[];
    assert.deepEqual(regs.map((r) => [r.adcode, r.units, r.unassigned, r.holders.map((h: Json) => h.name)]), [[XUANWU, 11, 0, ['sup_xuanwu']]]);
    assert.equal((await call(supX, 'GET', `/api/supervision/assignment/units?region=${XUANWU}`)).body.total, 11);
    assert.equal((await call(supG, 'GET', `/api/supervision/assignment/units?region=${XUANWU}`)).status, 404);
    const hist = (await call(supX, 'GET', '/api/supervision/assignment/history')).body.items as Json[];
    assert.deepEqual(hist.map((h) => [h.kind, h.entityName, h.supervisorName, h.units]), [['region', '玄武区', 'sup_xuanwu', 11]]);
    assert.deepEqual((await call(supG, 'GET', '/api/supervision/assignment/history')).body.items, []);
    const task = ((await call(supX, 'GET', '/api/supervision/tasks?view=mine')).body.items as Json[])[0]!;
    let version = task.version;
    for (const to of ['in_progress', 'checked', 'rectified', 'closed']) {
      const r = await call(supX, 'POST', `/api/supervision/tasks/${task.id}/transition`, { to, version });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      version = r.body.version;
    }
    const s = await call(supX, 'GET', `/api/supervision/stats/supervisors?from=${new Date(Date.now() - 30 * DAY).toISOString()}&to=${new Date(Date.now() + DAY).toISOString()}`);
    assert.equal(s.status, 200, JSON.stringify(s.body));
    const mine = (s.body.items as Json[]).find((x) => x.supervisorId === supX.userId)!;
    // 31 days: the hot unit (every 30 days) is planned twice, the two medium ones once, the 8 normal once.
    assert.deepEqual([mine.units, mine.tasksFinished, mine.tasksOnTime, mine.onTimePct], [11, 1, 1, 100]);
    assert.deepEqual([mine.inspectionsPlanned, mine.inspectionsDone], [2 + 2 + 8, 2]);
    assert.ok(!(await call(supG, 'GET', '/api/supervision/stats/supervisors')).body.items.some((x: Json) => x.supervisorId === supX.userId));
    assert.equal((await call(ownAgency, 'GET', '/api/supervision/stats/supervisors')).status, 403);
  });

  it('league: several dated stages per metric, overdue stages flagged, the notice denominators; a district sees no city row', async () => {
    const past = daysFrom(today(), -10);
    const future = daysFrom(today(), 100);
    // A district supervisor sets their district's stages, never the city's (outside the jurisdiction: 404).
    assert.equal((await call(supX, 'PUT', `/api/supervision/stage-targets/${NANJING}`, { stages: [] })).status, 404);
    assert.equal((await call(admin, 'PUT', `/api/supervision/stage-targets/${NANJING}`, { stages: [{ metric: 'high_risk', dueOn: past, targetPct: 40 }, { metric: 'high_risk', dueOn: past, targetPct: 60 }] })).status, 400);
    const put = await call(admin, 'PUT', `/api/supervision/stage-targets/${NANJING}`, {
      stages: [
        { metric: 'high_risk', dueOn: past, targetPct: 40 },
        { metric: 'high_risk', dueOn: daysFrom(today(), -1), targetPct: 80 },
        { metric: 'high_risk', dueOn: future, targetPct: 100 },
        { metric: 'control_room', dueOn: past, targetPct: 60 },
      ],
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const rows = (await call(cityChief, 'GET', '/api/supervision/league')).body.items as LeagueRow[];
    const city = rows.find((r) => r.adcode === NANJING)!;
    const x = rows.find((r) => r.adcode === XUANWU)!;
    // 玄武: 2 high-risk units with a control room, 1 open; 10 existing units with a control room, 9 open; the construction site apart.
    assert.deepEqual([x.highRisk.numerator, x.highRisk.denominator, x.highRisk.pct], [1, 2, 50]);
    assert.deepEqual([x.controlRoom.numerator, x.controlRoom.denominator, x.underConstruction], [9, 10, 1]);
    assert.deepEqual(x.highRisk.stages.map((s) => s.state), ['met', 'missed', 'upcoming']);
    assert.equal(x.highRisk.overdue, true);
    assert.equal(x.controlRoom.overdue, false);
    assert.deepEqual([city.level, city.controlRoom.denominator], ['city', 14]);
    const g = rows.find((r) => r.adcode === GULOU)!;
    assert.equal(g.highRisk.overdue, false); // no high-risk unit: nothing to connect
    assert.ok(g.rank < x.rank);
    // A 鼓楼 supervisor sees 鼓楼 only.
    assert.deepEqual(((await call(supG, 'GET', '/api/supervision/league')).body.items as LeagueRow[]).map((r) => r.adcode), [GULOU]);
  });

  let record: AcceptanceRecord;
  it('acceptance: filled from frames received over TCP in the window; the collecting agency cannot pass its own unit; PDF and export', async () => {
    const from = new Date(Date.now() - 1000).toISOString();
    const uitd = new SimulatedUitd({ port: gbPort, address: DEVICE_NEW });
    await uitd.connect();
    await uitd.sendFire({ componentAddress: 1 });
    await uitd.sendFault({ componentAddress: 2 });
    await uitd.sendComponentStatus({ componentAddress: 3 }, 0x0011); // supervisory
    await live.pipeline.idle();
    const partialTo = new Date(Date.now() + 200).toISOString();
    await waitFor('three signals', async () => Number((await db.pool.query(`SELECT count(*) AS n FROM events WHERE device_id = $1`, [newDevice])).rows[0].n) >= 3);
    const partial = await call(otherAgency, 'GET', `/api/supervision/acceptance/evidence?unit=${newUnit}&device=${newDevice}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(partialTo)}`);
    assert.equal(partial.status, 200, JSON.stringify(partial.body));
    assert.deepEqual(
      Object.fromEntries(Object.entries(partial.body.signals as Record<string, Json>).map(([k, v]) => [k, v.received])),
      { fire: true, fault: true, supervisory: true, feedback: false, dutyCheck: false },
    );
    await new Promise((r) => setTimeout(r, 300));
    await uitd.sendComponentStatus({ componentAddress: 3 }, 0x0041); // feedback
    await uitd.answerDutyCheck();
    uitd.close();
    await waitFor('all signals', async () => Number((await db.pool.query(`SELECT count(*) AS n FROM events WHERE device_id = $1 AND kind IN ('feedback', 'duty_check_answered')`, [newDevice])).rows[0].n) >= 2);
    await new Promise((r) => setTimeout(r, 50));
    clock = new Date();
    const to = new Date(Date.now()).toISOString();
    const sign = { unitId: newUnit, deviceId: newDevice, windowFrom: from, windowTo: to, result: 'pass', testingAgencyId: testingT, signature: '王检查', notes: '五类信号均正常' };
    // A pass over the window that missed two signals is refused.
    assert.equal((await call(otherAgency, 'POST', '/api/supervision/acceptance', { ...sign, windowTo: partialTo })).status, 409);
    // The agency that collected the unit may not sign it, pass or fail.
    const own = await call(ownAgency, 'POST', '/api/supervision/acceptance', sign);
    assert.equal(own.status, 403);
    assert.match(own.body.message, /collected this unit/);
    assert.equal((await call(ownAgency, 'POST', '/api/supervision/acceptance', { ...sign, result: 'fail' })).status, 403);
    // Nor pass it through the onboarding room's own acceptance form (the hook in onboarding/service.ts); a fail is still recorded.
    const form = { checkedOn: today(), deviceTested: true, fireSignalReceived: true, faultSignalReceived: true, supervisorySignalReceived: true, feedbackSignalReceived: true, dutyCheckAnswered: true, result: 'pass', inspector: '甲公司' };
    assert.equal((await call(ownAgency, 'POST', `/api/units/${newUnit}/acceptance-checks`, form)).status, 403);
    assert.equal((await call(ownAgency, 'POST', `/api/units/${newUnit}/acceptance-checks`, { ...form, result: 'fail' })).status, 201);
    await db.pool.query(`DELETE FROM acceptance_checks WHERE unit_id = $1`, [newUnit]);
    // Scope: 鼓楼 neither reads the evidence nor signs; a device of another unit is refused.
    assert.equal((await call(supG, 'GET', `/api/supervision/acceptance/evidence?unit=${newUnit}&device=${newDevice}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`)).status, 404);
    assert.equal((await call(supG, 'POST', '/api/supervision/acceptance', sign)).status, 404);
    assert.equal((await call(supX, 'GET', `/api/supervision/acceptance/evidence?unit=${hotUnit}&device=${newDevice}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`)).status, 404);

    // Only a testing agency the signer may see: another district's is not found (nor named).
    const foreign = Number((await db.pool.query(`INSERT INTO testing_agencies (name, region_adcode) VALUES ('鼓楼检测站', 320106) RETURNING id`)).rows[0].id);
    const refused = await call(otherAgency, 'POST', '/api/supervision/acceptance', { ...sign, testingAgencyId: foreign });
    assert.equal(refused.status, 404);
    assert.doesNotMatch(JSON.stringify(refused.body), /鼓楼检测站/);

    const ok = await call(otherAgency, 'POST', '/api/supervision/acceptance', sign);
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    record = ok.body as AcceptanceRecord;
    assert.equal(record.complete, true);
    assert.deepEqual([record.collectingAgency, record.testingAgency, record.result], ['甲维保公司', '丙检测中心', 'pass']);
    const frames = await db.pool.query(`SELECT id FROM events WHERE device_id = $1 AND kind = 'fire' ORDER BY id`, [newDevice]);
    assert.deepEqual(record.signals.fire.eventIds, frames.rows.map((r) => Number(r.id)));
    // The onboarding gate sees it: construction accepted, an acceptance check recorded from the same evidence.
    const u = (await db.pool.query(`SELECT under_construction, construction_accepted_at FROM units WHERE id = $1`, [newUnit])).rows[0];
    assert.deepEqual([u.under_construction, u.construction_accepted_at != null], [false, true]);
    const check = (await db.pool.query(`SELECT result, feedback_signal_received, duty_check_answered, inspector FROM acceptance_checks WHERE unit_id = $1`, [newUnit])).rows;
    assert.deepEqual(check, [{ result: 'pass', feedback_signal_received: true, duty_check_answered: true, inspector: '王检查' }]);
    assert.equal((await call(supG, 'GET', `/api/supervision/acceptance/${record.id}`)).status, 404);
    assert.equal((await call(supG, 'GET', `/api/supervision/acceptance/${record.id}/print`)).status, 404);
    assert.equal((await call(supG, 'GET', `/api/supervision/acceptance/${record.id}/export`)).status, 404);

    const html = await call(supX, 'GET', `/api/supervision/acceptance/${record.id}/print?format=html`);
    assert.match(String(html.body.text), /消防设施运行状态信息传输验收检查记录[\s\S]*合格[\s\S]*王检查/);
    const pdf = await bytes(supX, `/api/supervision/acceptance/${record.id}/print`);
    assert.equal(pdf.status, 200);
    assert.equal(pdf.type, 'application/pdf');
    assert.equal(pdf.buf.subarray(0, 5).toString('latin1'), '%PDF-');
    const exp = await call(supX, 'GET', `/api/supervision/acceptance/${record.id}/export`);
    const doc = exp.body;
    assert.equal(doc.记录编号, `YS-${String(record.id).padStart(6, '0')}`);
    assert.equal(doc.信号.查岗应答.已接收, true);
    assert.equal(doc.验收结论, '合格');
  });

  it('reports: the last day, week and month made on the injected clock, kept once, sent through the outbox; the monthly table in Chinese', async () => {
    clock = new Date(Date.now() + 2 * DAY);
    await refreshAnalytics(db.pool);
    const first = await work.runReports();
    // Regions with units: 玄武, 鼓楼 and 南京市; three periods each.
    assert.equal(first.created, 9);
    assert.equal((await work.runReports()).created, 0);
    const out = await db.pool.query(`SELECT recipient, payload FROM outbox WHERE channel = 'supervision_report' ORDER BY id`);
    assert.equal(out.rows.length, first.notices);
    const toG = out.rows.filter((r) => r.recipient === `user:${supG.userId}`);
    assert.equal(toG.length, 3); // 鼓楼's three reports, nothing of 玄武 or the city
    assert.match(String(toG[0]!.payload.text), /【消防监督(日报|周报|月报)】鼓楼区/);
    assert.equal(out.rows.filter((r) => r.recipient === `user:${cityChief.userId}`).length, 9);
    const reps = (await call(supG, 'GET', '/api/supervision/reports')).body.items as Json[];
    assert.deepEqual([...new Set(reps.map((r) => r.regionAdcode))], [GULOU]);
    const daily = ((await call(supX, 'GET', '/api/supervision/reports?period=daily')).body.items as Json[]).find((r) => r.regionAdcode === XUANWU)!;
    assert.equal(daily.periodStart, daysFrom(today(), -1));

    const month = today().slice(0, 7);
    const csv = await call(supX, 'GET', `/api/supervision/monthly-units?month=${month}&format=csv`);
    assert.equal(csv.status, 200);
    const lines = String(csv.body.text).replace(/^\uFEFF/, '').split('\r\n');
    assert.match(lines[0]!, /^序号,单位编号,单位名称,所属辖区,维保单位,责任监督员,点位数,火警信号数/);
    assert.equal(lines.filter((l) => l.includes('玄武')).length, 11);
    assert.equal((await call(supG, 'GET', `/api/supervision/monthly-units?month=${month}&region=${XUANWU}`)).status, 404);
    const gj = (await call(supG, 'GET', `/api/supervision/monthly-units?month=${month}`)).body;
    assert.equal(gj.rows.length, 4);
  });
});
