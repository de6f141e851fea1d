// Supervision setup over HTTP against the real server and PostgreSQL: testing agencies
// registered and edited within a jurisdiction (鼓楼 sees and touches nothing of 玄武's), the
// agency that tested a unit, stage targets set by a district supervisor, and the delivery of
// the scheduled reports through the outbox: without an endpoint each row is closed as "not
// configured" (never pending for ever) and the report stays downloadable; with a real HTTP
// endpoint a 503 is retried and then sent, a 400 refusal is not retried.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { createTestUser, ensureRegions, type TestUser } from '../auth/testing.ts';
import { startTestServer, type TestServer } from '../devtools/test-support.ts';
import { createLogger } from '../logger.ts';
import { HttpReportEndpoint, ReportSender } from '../notifications/report-sender.ts';
import { REPORT_NOT_CONFIGURED } from '../notifications/report-queries.ts';
import { supervisionFeature } from './feature.ts';
import type { SupervisionWork } from './work-service.ts';

const XUANWU = 320102;
const GULOU = 320106;
const DAY = 86_400_000;
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('supervision setup: testing agencies, stage targets, report delivery', () => {
  let db: TestDatabase;
  let server: TestServer;
  let work: SupervisionWork;
  let clock = new Date();
  let admin: TestUser, supX: TestUser, supG: TestUser;
  let unitX: number;
  const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');

  const call: TestServer['call'] = (...a) => server.call(...a);

  before(async () => {
    db = await createTestDatabase('supervision_setup');
    const p = db.pool;
    await ensureRegions(p, [XUANWU, GULOU]);
    await p.query(`UPDATE regions SET name = '玄武区' WHERE adcode = $1`, [XUANWU]);
    await p.query(`UPDATE regions SET name = '鼓楼区' WHERE adcode = $1`, [GULOU]);
    const unit = async (name: string, adcode: number) =>
      Number((await p.query(`INSERT INTO units (name, region_adcode, point, onboarding_state) VALUES ($1, $2, ST_SetSRID(ST_MakePoint(118.78, 32.05), 4326), 'open') RETURNING id`, [name, adcode])).rows[0].id);
    unitX = await unit('玄武测试单位', XUANWU);
    await unit('鼓楼测试单位', GULOU);
    admin = await createTestUser(p, { role: 'admin' });
    supX = await createTestUser(p, { role: 'supervisor', regions: [XUANWU], username: 'setup_xuanwu' });
    supG = await createTestUser(p, { role: 'supervisor', regions: [GULOU], username: 'setup_gulou' });
    server = await startTestServer(
      db.url,
      [supervisionFeature({ options: { everyMs: 0, now: () => clock }, expose: (_s, w) => (work = w) })],
      { env: { FIRELINK_DEMO: '0' } },
    );
  });

  after(async () => {
    await server?.close();
    await db?.drop();
  });

  it('testing agencies: registered and edited within the jurisdiction, versioned, audited; a unit names the agency that tested it', async () => {
    // A supervisor names a region of their own; 鼓楼 cannot register one in 玄武.
    assert.equal((await call(supX, 'POST', '/api/supervision/testing-agencies', { name: '玄武检测站' })).status, 400);
    assert.equal((await call(supG, 'POST', '/api/supervision/testing-agencies', { name: '越界检测', regionAdcode: XUANWU })).status, 404);
    const made = await call(supX, 'POST', '/api/supervision/testing-agencies', { name: '玄武检测站', licenseNo: 'JC-001', regionAdcode: XUANWU });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.deepEqual([made.body.name, made.body.licenseNo, made.body.regionName, made.body.editable, made.body.version], ['玄武检测站', 'JC-001', '玄武区', true, 1]);
    assert.equal((await call(supX, 'POST', '/api/supervision/testing-agencies', { name: '玄武检测站', regionAdcode: XUANWU })).status, 409);
    const all = await call(admin, 'POST', '/api/supervision/testing-agencies', { name: '省级检测中心' });
    assert.equal(all.status, 201);
    // 鼓楼 sees the agency for every region, not 玄武's; 玄武 sees both but edits only its own.
    const listG = (await call(supG, 'GET', '/api/supervision/testing-agencies')).body.items as Json[];
    assert.deepEqual(listG.map((a) => a.name), ['省级检测中心']);
    const listX = (await call(supX, 'GET', '/api/supervision/testing-agencies')).body.items as Json[];
    assert.deepEqual(listX.map((a) => [a.name, a.editable]).sort(), [['玄武检测站', true], ['省级检测中心', false]].sort());
    assert.equal((await call(supX, 'PUT', `/api/supervision/testing-agencies/${all.body.id}`, { name: '改名', version: 1 })).status, 403);
    assert.equal((await call(supG, 'PUT', `/api/supervision/testing-agencies/${made.body.id}`, { name: '改名', version: 1 })).status, 404);
    const edited = await call(supX, 'PUT', `/api/supervision/testing-agencies/${made.body.id}`, { name: '玄武消防检测站', licenseNo: 'JC-002', version: 1 });
    assert.deepEqual([edited.status, edited.body.name, edited.body.version], [200, '玄武消防检测站', 2]);
    assert.equal((await call(supX, 'PUT', `/api/supervision/testing-agencies/${made.body.id}`, { name: '旧版本', version: 1 })).status, 409);
    // The unit's testing agency: its supervisor sets it, 鼓楼 cannot; the list counts it.
    assert.equal((await call(supG, 'PUT', `/api/supervision/units/${unitX}/testing-agency`, { agencyId: all.body.id })).status, 404);
    assert.equal((await call(supX, 'PUT', `/api/supervision/units/${unitX}/testing-agency`, { agencyId: made.body.id })).status, 200);
    const counted = ((await call(supX, 'GET', '/api/supervision/testing-agencies')).body.items as Json[]).find((a) => a.id === made.body.id)!;
    assert.equal(counted.units, 1);
    const audit = await db.pool.query(`SELECT action FROM audit_log WHERE action LIKE 'supervision.%testing_agency%' ORDER BY id`);
    assert.deepEqual(audit.rows.map((a) => a.action), ['supervision.testing_agency_create', 'supervision.testing_agency_create', 'supervision.testing_agency_update', 'supervision.unit_testing_agency']);
  });

  it('stage targets: a district supervisor sets their district, never another; the other district does not see them', async () => {
    const stages = [
      { metric: 'high_risk', dueOn: '2026-06-30', targetPct: 60 },
      { metric: 'high_risk', dueOn: '2027-06-30', targetPct: 90 },
    ];
    assert.equal((await call(supG, 'PUT', `/api/supervision/stage-targets/${XUANWU}`, { stages })).status, 404);
    assert.equal((await call(supX, 'PUT', `/api/supervision/stage-targets/${XUANWU}`, { stages: [{ metric: 'high_risk', dueOn: '2026-06-30', targetPct: 120 }] })).status, 400);
    assert.equal((await call(supX, 'PUT', `/api/supervision/stage-targets/${XUANWU}`, { stages })).status, 200);
    const mine = (await call(supX, 'GET', '/api/supervision/stage-targets')).body.items as Json[];
    assert.deepEqual(mine.map((s) => [s.regionAdcode, s.dueOn, s.targetPct]), [[XUANWU, '2026-06-30', 60], [XUANWU, '2027-06-30', 90]]);
    assert.deepEqual((await call(supG, 'GET', '/api/supervision/stage-targets')).body.items, []);
  });

  it('report delivery: not configured closes the rows and the report stays downloadable; an endpoint gets them, 503 retried, 400 not', async () => {
    clock = new Date(Date.now() + 2 * DAY);
    const first = await work.runReports();
    assert.ok(first.created > 0 && first.notices > 0);
    // No endpoint: every pending row is closed, saying why.
    const idle = new ReportSender(db.pool, null, logger);
    assert.equal(await idle.runOnce(), first.notices);
    const rows = (await db.pool.query(`SELECT status, last_error FROM outbox WHERE channel = 'supervision_report'`)).rows;
    assert.ok(rows.every((r) => r.status === 'failed' && r.last_error === REPORT_NOT_CONFIGURED));
    const reps = (await call(supX, 'GET', '/api/supervision/reports')).body.items as Json[];
    assert.ok(reps.length > 0);
    assert.ok(reps.every((r) => r.delivery.notConfigured >= 1 && r.delivery.pending === 0));
    const daily = reps.find((r) => r.period === 'daily')!;
    const csv = await call(supX, 'GET', `/api/supervision/reports/${daily.id}/download?format=csv`);
    assert.equal(csv.status, 200);
    const text = String(csv.body.text).replace(/^\uFEFF/, '');
    assert.match(text, /^项目,数值\r\n报表,消防监督日报\r\n辖区,玄武区\r\n统计期间,\d{4}-\d{2}-\d{2}\r\n单位数,1/);
    assert.equal((await call(supG, 'GET', `/api/supervision/reports/${daily.id}/download?format=csv`)).status, 404);

    // A real endpoint: the first delivery answers 503, the next ones 200; one recipient refuses with 400.
    const got: Array<{ body: Json; headers: IncomingHttpHeaders }> = [];
    let busy = 0;
    const refuse = `user:${supX.userId}`;
    const sink: Server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
      req.on('end', () => {
        const body = JSON.parse(raw) as Json;
        if (body.recipient === refuse && body.report.period === 'daily') return void res.writeHead(400).end('unknown recipient');
        if (busy++ === 0) return void res.writeHead(503).end('busy');
        got.push({ body, headers: req.headers });
        res.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    try {
      clock = new Date(clock.getTime() + DAY);
      const next = await work.runReports();
      assert.ok(next.created > 0);
      const sender = new ReportSender(db.pool, new HttpReportEndpoint(`http://127.0.0.1:${(sink.address() as AddressInfo).port}/reports`), logger, { retryBaseS: 1 });
      await sender.runOnce();
      const after1 = (await db.pool.query(`SELECT status, count(*)::int AS n FROM outbox WHERE channel = 'supervision_report' AND last_error IS DISTINCT FROM $1 GROUP BY status`, [REPORT_NOT_CONFIGURED])).rows;
      const by = Object.fromEntries(after1.map((r) => [r.status, r.n]));
      // The first other delivery got 503 and waits for its retry, the refused daily report to 玄武 failed at once, the rest sent.
      assert.equal(by.pending, 1);
      assert.equal(by.failed, 1);
      assert.equal(by.sent ?? 0, next.notices - 2);
      await db.pool.query(`UPDATE outbox SET next_attempt_at = now() WHERE channel = 'supervision_report' AND status = 'pending'`);
      await sender.runOnce();
      const left = (await db.pool.query(`SELECT count(*)::int AS n FROM outbox WHERE channel = 'supervision_report' AND status = 'pending'`)).rows[0].n;
      assert.equal(left, 0);
      const refused = (await db.pool.query(`SELECT last_error, attempts FROM outbox WHERE channel = 'supervision_report' AND status = 'failed' AND last_error LIKE '%400%'`)).rows;
      assert.equal(refused.length, 1);
      assert.equal(refused[0].attempts, 1);
      const sample = got.find((g) => g.body.recipient === `user:${supG.userId}`)!;
      assert.match(String(sample.body.report.text), /【消防监督(日报|周报|月报)】鼓楼区/);
      assert.equal(sample.headers['idempotency-key'], `firelink-report-${sample.body.ref}`);
      const shown = (await call(supG, 'GET', '/api/supervision/reports?period=daily')).body.items as Json[];
      assert.ok(shown.some((r) => r.delivery.sent >= 1));
    } finally {
      await new Promise((r) => sink.close(r));
    }
  });
});
