// Duty operations over real HTTP, real PostGIS and real bearer sessions: roster, handover
// between two operator sessions, the duty log, the alarm handling register with its
// exports, the 119 communication test against a real local HTTP server, jurisdiction probes.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import ExcelJS from 'exceljs';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { createTestUser, ensureRegions, type TestUser } from '../auth/testing.ts';
import { startTestServer, type TestServer } from '../devtools/test-support.ts';
import { dutyFeature } from './feature.ts';
import { registerHeaders } from './register-export.ts';
import type { CommTester } from './service.ts';

const XUANWU = 320102;
const GULOU = 320106;
const HOUR = 3600_000;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('duty operations', () => {
  let db: TestDatabase;
  let server: TestServer;
  let terminal: Server;
  let comm: CommTester;
  /** What the fake 119 terminal answers next (HTTP status), and what it received. */
  const terminalAnswers: number[] = [];
  const received: Array<{ headers: IncomingHttpHeaders; body: Json }> = [];
  let clock = new Date('2026-03-02T00:00:00Z'); // 08:00 Shanghai
  let opA: TestUser, opB: TestUser, opGulou: TestUser, supervisor: TestUser, supervisorGulou: TestUser, analyst: TestUser, unitUser: TestUser;
  let unitX: number, unitG: number;
  let fireFalse: number, faultOpen: number, fireGulou: number, oldFault: number;

  // Its own client, not server.call: the exports are read as bytes.
  const call = async (user: TestUser, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.base}${path}`, {
      method,
      headers: { ...user.headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const buf = Buffer.from(await res.arrayBuffer());
    let json: Json = {};
    if ((res.headers.get('content-type') ?? '').includes('json')) json = JSON.parse(buf.toString('utf8')) as Json;
    return { status: res.status, body: json, buf, headers: res.headers };
  };

  before(async () => {
    db = await createTestDatabase('duty');
    const p = db.pool;
    await ensureRegions(p, [XUANWU, GULOU]);
    await p.query(`UPDATE regions SET name = '玄武区' WHERE adcode = $1`, [XUANWU]);
    await p.query(`UPDATE regions SET name = '鼓楼区' WHERE adcode = $1`, [GULOU]);
    const unit = async (name: string, adcode: number) =>
      Number((await p.query(`INSERT INTO units (name, address, region_adcode, onboarding_state) VALUES ($1, '中山路1号', $2, 'open') RETURNING id`, [name, adcode])).rows[0].id);
    unitX = await unit('新街口百货', XUANWU);
    const unitFormula = await unit('=HYPERLINK("http://x")', XUANWU);
    unitG = await unit('鼓楼医院', GULOU);

    opA = await createTestUser(p, { role: 'operator', regions: [XUANWU], username: 'op_a' });
    opB = await createTestUser(p, { role: 'operator', regions: [XUANWU], username: 'op_b' });
    opGulou = await createTestUser(p, { role: 'operator', regions: [GULOU], username: 'op_gulou' });
    supervisor = await createTestUser(p, { role: 'supervisor', regions: [XUANWU] });
    supervisorGulou = await createTestUser(p, { role: 'supervisor', regions: [GULOU] });
    analyst = await createTestUser(p, { role: 'analyst', regions: [320100] });
    unitUser = await createTestUser(p, { role: 'unit_user', units: [unitX] });

    const now = Date.now();
    const alarm = async (unitId: number, adcode: number, kind: string, openedAgoH: number, extra: Record<string, unknown> = {}) =>
      Number(
        (
          await p.query(
            `INSERT INTO alarms (unit_id, kind, priority, state, verdict, region_adcode, opened_at, acknowledged_at, acknowledged_by,
                                 verified_at, verified_by, closed_at, closed_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
            [
              unitId,
              kind,
              kind === 'fire' ? 1 : 4,
              extra.state ?? 'open',
              extra.verdict ?? null,
              adcode,
              new Date(now - openedAgoH * HOUR),
              extra.ackAt ?? null,
              extra.ackBy ?? null,
              extra.verAt ?? null,
              extra.verBy ?? null,
              extra.closedAt ?? null,
              extra.closedBy ?? null,
            ],
          )
        ).rows[0].id,
      );
    const t = (agoH: number) => new Date(now - agoH * HOUR);
    fireFalse = await alarm(unitX, XUANWU, 'fire', 3, { state: 'closed', verdict: 'false_alarm', ackAt: t(2.9), ackBy: opA.userId, verAt: t(2.8), verBy: opA.userId, closedAt: t(2.7), closedBy: opA.userId });
    for (const [step, agoH, note] of [
      ['opened', 3, null],
      ['acknowledged', 2.9, null],
      ['verified', 2.8, '电话核实：厨房油烟'],
      ['closed', 2.7, null],
    ] as const) {
      await p.query(`INSERT INTO alarm_steps (alarm_id, step, actor_id, actor_name, at, note) VALUES ($1, $2, $3, $4, $5, $6)`, [
        fireFalse,
        step,
        step === 'opened' ? null : opA.userId,
        step === 'opened' ? 'system' : 'op_a',
        t(agoH),
        note,
      ]);
    }
    await p.query(`UPDATE alarms SET cause = 'smoking_cooking' WHERE id = $1`, [fireFalse]);
    faultOpen = await alarm(unitFormula, XUANWU, 'fault', 1);
    oldFault = await alarm(unitX, XUANWU, 'fault', 30);
    fireGulou = await alarm(unitG, GULOU, 'fire', 2);

    terminal = createServer((req, res) => {
      let data = '';
      req.on('data', (c) => (data += c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: JSON.parse(data) as Json });
        res.statusCode = terminalAnswers.shift() ?? 200;
        res.end('{}');
      });
    });
    await new Promise<void>((r) => terminal.listen(0, '127.0.0.1', () => r()));
    const terminalPort = (terminal.address() as { port: number }).port;

    server = await startTestServer(db.url, [dutyFeature({ comm: { dailyAt: '09:00', checkEveryMs: 3_600_000, timeoutMs: 2000, now: () => clock }, expose: (c) => (comm = c) })], {
      env: { FORWARD_119_URL: `http://127.0.0.1:${terminalPort}/119` },
    });
  });

  after(async () => {
    await server?.close();
    await new Promise<void>((r) => (terminal ? terminal.close(() => r()) : r()));
    await db?.drop();
  });

  it('roster: a supervisor puts two operators of the district on duty; overlaps and outsiders are refused', async () => {
    const now = Date.now();
    const a = await call(supervisor, 'POST', '/api/duty/shifts', {
      regionAdcode: XUANWU,
      userId: opA.userId,
      startsAt: new Date(now - 8 * HOUR).toISOString(),
      endsAt: new Date(now + 60_000).toISOString(),
    });
    assert.equal(a.status, 201, JSON.stringify(a.body));
    assert.equal(a.body.userName, 'op_a');
    assert.equal(a.body.regionName, '玄武区');
    const b = await call(supervisor, 'POST', '/api/duty/shifts', {
      regionAdcode: XUANWU,
      userId: opB.userId,
      dutyRole: 'chief',
      startsAt: new Date(now + 60_000).toISOString(),
      endsAt: new Date(now + 8 * HOUR).toISOString(),
    });
    assert.equal(b.status, 201, JSON.stringify(b.body));
    const clash = await call(supervisor, 'POST', '/api/duty/shifts', {
      regionAdcode: XUANWU,
      userId: opA.userId,
      startsAt: new Date(now - HOUR).toISOString(),
      endsAt: new Date(now + HOUR).toISOString(),
    });
    assert.equal(clash.status, 409);
    assert.match(clash.body.message, /already on duty/);
    const longAgo = await call(supervisor, 'POST', '/api/duty/shifts', { regionAdcode: XUANWU, userId: opA.userId, startsAt: '1000-01-01T08:00:00+08:00', endsAt: '1000-01-01T16:00:00+08:00' });
    assert.equal(longAgo.status, 400);
    assert.match(longAgo.body.message, /between 2000 and 2099/);

    // A user outside the supervisor's jurisdiction → 404, as is a post outside it.
    const outsider = await call(supervisor, 'POST', '/api/duty/shifts', { regionAdcode: XUANWU, userId: opGulou.userId, startsAt: new Date(now).toISOString(), endsAt: new Date(now + HOUR).toISOString() });
    assert.equal(outsider.status, 404);
    const otherPost = await call(supervisor, 'POST', '/api/duty/shifts', { regionAdcode: GULOU, userId: opA.userId, startsAt: new Date(now).toISOString(), endsAt: new Date(now + HOUR).toISOString() });
    assert.equal(otherPost.status, 404);
    // Operators may not edit the roster.
    const byOperator = await call(opA, 'POST', '/api/duty/shifts', { regionAdcode: XUANWU, userId: opB.userId, startsAt: new Date(now).toISOString(), endsAt: new Date(now + HOUR).toISOString() });
    assert.equal(byOperator.status, 403);
    // Bad bodies say how to fix them.
    const bad = await call(supervisor, 'POST', '/api/duty/shifts', { regionAdcode: XUANWU, userId: opB.userId, startsAt: 'tomorrow', endsAt: new Date(now).toISOString() });
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /startsAt: use ISO 8601/);

    const list = await call(opA, 'GET', `/api/duty/shifts?region=${XUANWU}`);
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.shifts.map((s: Json) => s.userName), ['op_a', 'op_b']);
    // Another district sees none of them; deleting one of them from there is a 404.
    assert.equal((await call(opGulou, 'GET', '/api/duty/shifts')).body.shifts.length, 0);
    assert.equal((await call(supervisorGulou, 'DELETE', `/api/duty/shifts/${a.body.id}`)).status, 404);
    const users = await call(supervisor, 'GET', `/api/duty/users?region=${XUANWU}`);
    assert.deepEqual(users.body.users.map((u: Json) => u.username).sort(), ['op_a', 'op_b', supervisor.username].sort());
  });

  it('handover between two operator sessions: frozen summary, accepted by the incoming operator only', async () => {
    // A window past one shift (the probe sent year 1) is refused: it would count all history.
    const ancient = await call(opA, 'POST', '/api/duty/handovers', { regionAdcode: XUANWU, shiftStart: '0001-01-01T00:00:00Z' });
    assert.equal(ancient.status, 400, JSON.stringify(ancient.body));
    const created = await call(opA, 'POST', '/api/duty/handovers', { regionAdcode: XUANWU, notes: '新街口百货故障待维保到场', toUserId: opB.userId });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const h = created.body;
    assert.equal(h.fromName, 'op_a');
    assert.equal(h.toName, 'op_b');
    // Open alarms of the post only (the Gulou fire is not ours); the 30-hour-old fault is pending.
    assert.deepEqual(h.openAlarms.map((a: Json) => a.id).sort(), [faultOpen, oldFault].sort());
    assert.deepEqual(h.pendingAlarms.map((a: Json) => a.id), [oldFault]);
    // The shift started with op_a's roster entry 8 hours ago: the false alarm 3 hours ago is in it.
    assert.equal(h.summary.alarmsByKind.fire, 1);
    assert.equal(h.summary.alarmsByKind.fault, 1);
    assert.equal(h.summary.falseAlarms, 1);
    assert.equal(h.summary.closed, 1);
    assert.ok(Date.now() - Date.parse(h.shiftStart) > 7.9 * HOUR);

    // One handover waits per post.
    const second = await call(opA, 'POST', '/api/duty/handovers', { regionAdcode: XUANWU });
    assert.equal(second.status, 409);
    assert.equal(second.body.pendingHandoverId, h.id);
    // The outgoing operator cannot accept their own handover; another district cannot see it.
    assert.equal((await call(opA, 'POST', `/api/duty/handovers/${h.id}/accept`, {})).status, 409);
    assert.equal((await call(opGulou, 'POST', `/api/duty/handovers/${h.id}/accept`, {})).status, 404);
    assert.equal((await call(opGulou, 'GET', `/api/duty/handovers/${h.id}`)).status, 404);
    // Addressed to op_b: the supervisor of the district may not accept in their place.
    assert.equal((await call(supervisor, 'POST', `/api/duty/handovers/${h.id}/accept`, {})).status, 403);

    const acc = await call(opB, 'POST', `/api/duty/handovers/${h.id}/accept`, { note: '已接班，已知悉故障' });
    assert.equal(acc.status, 200, JSON.stringify(acc.body));
    assert.equal(acc.body.acceptedName, 'op_b');
    assert.equal(acc.body.acceptedBy, opB.userId);
    assert.ok(acc.body.acceptedAt);
    assert.equal((await call(opB, 'POST', `/api/duty/handovers/${h.id}/accept`, {})).status, 409);

    const log = await call(opB, 'GET', `/api/duty/log?region=${XUANWU}`);
    const kinds = log.body.entries.map((e: Json) => e.kind);
    assert.ok(kinds.includes('handover_created') && kinds.includes('handover_accepted'), kinds.join(','));
    const audit = await db.pool.query(`SELECT action FROM audit_log WHERE entity = 'duty_handover' AND entity_id = $1 ORDER BY id`, [String(h.id)]);
    assert.deepEqual(audit.rows.map((r) => r.action), ['duty.handover.create', 'duty.handover.accept']);
  });

  it('duty log: free text per post, scoped; an empty entry says what to write', async () => {
    const e = await call(opB, 'POST', '/api/duty/log', { regionAdcode: XUANWU, text: '23:10 巡查监控系统正常' });
    assert.equal(e.status, 201, JSON.stringify(e.body));
    assert.equal(e.body.kind, 'note');
    assert.equal(e.body.actorName, 'op_b');
    const empty = await call(opB, 'POST', '/api/duty/log', { regionAdcode: XUANWU, text: '  ' });
    assert.equal(empty.status, 400);
    assert.match(empty.body.message, /write what happened/);
    assert.equal((await call(opB, 'POST', '/api/duty/log', { regionAdcode: GULOU, text: 'x' })).status, 404);
    const gulou = await call(opGulou, 'GET', '/api/duty/log');
    assert.ok(gulou.body.entries.every((x: Json) => x.regionAdcode !== XUANWU));
    assert.equal((await call(unitUser, 'GET', '/api/duty/log')).status, 403);
  });

  it('register: filters by unit, kind, verdict, operator, region and time, inside the jurisdiction', async () => {
    const ids = async (user: TestUser, qs: string) => {
      const r = await call(user, 'GET', `/api/duty/register?${qs}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.rows.map((x: Json) => x.id).sort((a: number, b: number) => a - b);
    };
    const from = new Date(Date.now() - 48 * HOUR).toISOString();
    assert.deepEqual(await ids(opA, `from=${from}`), [fireFalse, faultOpen, oldFault].sort((a, b) => a - b));
    assert.deepEqual(await ids(opA, `from=${from}&kind=fire`), [fireFalse]);
    assert.deepEqual(await ids(opA, `from=${from}&verdict=false_alarm`), [fireFalse]);
    assert.deepEqual(await ids(opA, `from=${from}&verdict=none`), [faultOpen, oldFault].sort((a, b) => a - b));
    assert.deepEqual(await ids(opA, `from=${from}&operator=op_a`), [fireFalse]);
    assert.deepEqual(await ids(opA, `from=${from}&cause=smoking_cooking`), [fireFalse]);
    assert.deepEqual(await ids(opA, `from=${from}&cause=construction`), []);
    assert.deepEqual(await ids(opA, `from=${from}&unit=${encodeURIComponent('百货')}`), [fireFalse, oldFault].sort((a, b) => a - b));
    // Default window: the last 7 days; a 24-hour window leaves the 30-hour-old fault out.
    assert.deepEqual(await ids(opA, `from=${new Date(Date.now() - 24 * HOUR).toISOString()}`), [fireFalse, faultOpen].sort((a, b) => a - b));
    // An analyst of the city sees both districts and narrows by region.
    assert.deepEqual(await ids(analyst, `from=${from}&region=${GULOU}`), [fireGulou]);
    // Jurisdiction probes: another district's region or unit is a 404, a unit user may not read the register.
    assert.equal((await call(opA, 'GET', `/api/duty/register?region=${GULOU}`)).status, 404);
    assert.equal((await call(opA, 'GET', `/api/duty/register?from=${from}&unitId=${unitG}`)).status, 404);
    assert.equal((await call(unitUser, 'GET', '/api/duty/register')).status, 403);

    const row = (await call(opA, 'GET', `/api/duty/register?kind=fire&from=${from}`)).body.rows[0];
    assert.equal(row.verdict, 'false_alarm');
    assert.equal(row.verifiedBy, 'op_a');
    assert.deepEqual(row.steps.map((s: Json) => s.step), ['opened', 'acknowledged', 'verified', 'closed']);
    assert.equal(row.steps[2].note, '电话核实：厨房油烟');

    const bad = await call(opA, 'GET', '/api/duty/register?kind=smoke');
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /kind/);
  });

  it('register export: CSV and XLSX with Chinese headers and values; formula cells stay text', async () => {
    const from = new Date(Date.now() - 48 * HOUR).toISOString();
    const csv = await call(opA, 'GET', `/api/duty/register?format=csv&from=${from}`);
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type')!, /text\/csv/);
    assert.match(csv.headers.get('content-disposition')!, /filename\*=UTF-8''%E6%8E%A5%E5%A4%84%E8%AD%A6/);
    const text = csv.buf.toString('utf8');
    assert.ok(text.startsWith('\uFEFF'), 'BOM for Excel');
    const lines = text.slice(1).trimEnd().split('\r\n');
    assert.equal(lines[0], registerHeaders('zh-CN').join(','));
    assert.ok(lines[0]!.startsWith('序号,警情编号,接警时间,警情类型,联网单位'));
    assert.equal(lines.length, 4);
    assert.ok(text.includes('火警') && text.includes('误报') && text.includes('故障') && text.includes('已关闭'));
    assert.ok(text.includes('吸烟、烹饪'), 'the false-alarm cause by its Chinese label');
    assert.ok(text.includes(`"'=HYPERLINK(""http://x"")"`), 'a unit name that looks like a formula is exported as text');

    const en = await call(opA, 'GET', `/api/duty/register?format=csv&lang=en&from=${from}`);
    assert.ok(en.buf.toString('utf8').slice(1).startsWith('No.,Alarm ID,Received,Kind,Unit'));

    const xlsx = await call(opA, 'GET', `/api/duty/register?format=xlsx&from=${from}&kind=fire`);
    assert.equal(xlsx.status, 200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx.buf as unknown as ArrayBuffer);
    const ws = wb.worksheets[0]!;
    assert.equal(ws.name, '接处警登记表');
    const header = (ws.getRow(1).values as unknown[]).slice(1);
    assert.deepEqual(header, registerHeaders('zh-CN'));
    const values = (ws.getRow(2).values as unknown[]).slice(1);
    assert.equal(values[1], fireFalse);
    assert.equal(values[3], '火警');
    assert.equal(values[10], '误报');
    assert.equal(values[11], '吸烟、烹饪');
    assert.equal(ws.rowCount, 2);
  });

  it('119 communication test: a failure raises a duty alert, a later success records recovery', async () => {
    const status0 = await call(opA, 'GET', '/api/duty/comm-test');
    assert.equal(status0.body.configured, true);
    assert.equal(status0.body.failing, false);

    terminalAnswers.push(503);
    const fail = await call(opA, 'POST', '/api/duty/comm-test', {});
    assert.equal(fail.status, 201, JSON.stringify(fail.body));
    assert.equal(fail.body.ok, false);
    assert.equal(fail.body.httpStatus, 503);
    const msg = received.at(-1)!;
    assert.equal(msg.body.test, true);
    assert.equal(msg.body.type, 'communication_test');
    assert.equal(msg.headers['idempotency-key'], `firelink-commtest-${fail.body.id}`);

    const failing = await call(opB, 'GET', '/api/duty/comm-test');
    assert.equal(failing.body.failing, true);
    assert.ok(failing.body.failingSince);
    const alerts = await db.pool.query(`SELECT payload FROM outbox WHERE channel = 'duty_alert' ORDER BY id`);
    assert.equal(alerts.rows.length, 1);
    assert.equal(alerts.rows[0].payload.kind, 'comm_test_failed');

    // A second failure is logged but does not alert again.
    terminalAnswers.push(500);
    assert.equal((await call(opA, 'POST', '/api/duty/comm-test', {})).body.ok, false);
    assert.equal((await db.pool.query(`SELECT 1 FROM outbox WHERE channel = 'duty_alert'`)).rows.length, 1);

    const ok = await call(opA, 'POST', '/api/duty/comm-test', {});
    assert.equal(ok.body.ok, true);
    assert.equal(ok.body.httpStatus, 200);
    const after = await call(opB, 'GET', '/api/duty/comm-test');
    assert.equal(after.body.failing, false);
    assert.equal(after.body.last.id, ok.body.id);
    const recovered = await db.pool.query(`SELECT payload FROM outbox WHERE channel = 'duty_alert' ORDER BY id`);
    assert.deepEqual(recovered.rows.map((r) => r.payload.kind), ['comm_test_failed', 'comm_test_recovered']);
    const log = await call(opB, 'GET', '/api/duty/log?kind=comm_test_failed,comm_test_recovered');
    assert.deepEqual(log.body.entries.map((e: Json) => e.kind), ['comm_test_recovered', 'comm_test_failed', 'comm_test_failed']);
    // Center-wide entries are visible from every district.
    assert.ok((await call(opGulou, 'GET', '/api/duty/log')).body.entries.some((e: Json) => e.kind === 'comm_test_recovered'));
    assert.equal((await call(unitUser, 'POST', '/api/duty/comm-test', {})).status, 403);
  });

  it('119 communication test: the daily test runs once per Shanghai day at its time', async () => {
    const sent = received.length;
    clock = new Date('2026-03-02T00:59:00Z'); // 08:59 Shanghai: not yet
    assert.equal(await comm.runScheduledIfDue(), null);
    clock = new Date('2026-03-02T01:00:30Z'); // 09:00:30 Shanghai
    const id = await comm.runScheduledIfDue();
    assert.ok(id);
    assert.equal(await comm.runScheduledIfDue(), null, 'once per day');
    clock = new Date('2026-03-02T15:30:00Z'); // 23:30 Shanghai, same day
    assert.equal(await comm.runScheduledIfDue(), null);
    clock = new Date('2026-03-02T16:30:00Z'); // 00:30 Shanghai next day: before 09:00
    assert.equal(await comm.runScheduledIfDue(), null);
    assert.equal(received.length, sent + 1);
    const row = (await db.pool.query(`SELECT trigger, scheduled_day::text AS day, ok FROM duty_comm_tests WHERE id = $1`, [id])).rows[0];
    assert.deepEqual(row, { trigger: 'scheduled', day: '2026-03-02', ok: true });
  });
});
