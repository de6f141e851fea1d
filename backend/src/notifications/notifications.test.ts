// Notification rules → outbox → SMS gateway, against a real local HTTP gateway that fails
// before it succeeds, and the real outbox table.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { EventBus, StoredEvent } from '@firelink/common';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { createTestUser, type TestUser } from '../auth/testing.ts';
import { startTestServer, type TestServer } from '../devtools/test-support.ts';
import { loadOnboardingConfig } from '../onboarding/config.ts';
import { onboardingFeature } from '../onboarding/feature.ts';
import { HttpSmsGateway } from './gateway.ts';
import { OutboxWorker, eventDetailZh, notifyForEvents } from './service.ts';

const event = (id: number, unitId: number, kind: StoredEvent['kind'], description: string | null = null): StoredEvent => ({
  id,
  dedupeKey: `t:${id}`,
  source: 'gb26875',
  kind,
  deviceAddress: 1,
  systemType: 1,
  systemAddress: 0,
  componentType: 42,
  componentAddress: 1,
  status: null,
  value: null,
  description,
  deviceTime: null,
  receivedAt: new Date().toISOString(),
  payload: {},
  deviceId: null,
  unitId,
  pointId: null,
  regionAdcode: 320106,
  h3R9: null,
});

/** A system status event (power faults): no component. */
const power = (id: number, unitId: number, kind: StoredEvent['kind']): StoredEvent => ({ ...event(id, unitId, kind), componentType: null, componentAddress: null });

describe('notifications: rules, outbox, SMS gateway retries', () => {
  let db: TestDatabase;
  let gateway: Server;
  let gatewayUrl: string;
  /** Status codes the gateway answers with, in order; 200 once they run out. */
  let script: number[] = [];
  const received: Array<{ to: string; text: string; ref: string; key: string | undefined }> = [];
  let unitId: number;
  let otherUnit: number;

  before(async () => {
    db = await createTestDatabase('notifications');
    gateway = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const msg = JSON.parse(body) as { to: string; text: string; ref: string };
        received.push({ ...msg, key: req.headers['idempotency-key'] as string | undefined });
        res.statusCode = script.shift() ?? 200;
        res.end(res.statusCode === 200 ? '{"ok":true}' : 'gateway busy');
      });
    });
    await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', () => r()));
    const addr = gateway.address();
    gatewayUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/sms`;
    await db.pool.query(`INSERT INTO regions (adcode, name, level) VALUES (320106, '秦淮区', 'district'), (320102, '玄武区', 'district') ON CONFLICT DO NOTHING`);
    const ag = (await db.pool.query(`INSERT INTO maintenance_agencies (name, phone) VALUES ('维保甲', '02511110000') RETURNING id`)).rows[0].id;
    unitId = Number(
      (
        await db.pool.query(
          `INSERT INTO units (name, region_adcode, maintenance_agency_id, contacts) VALUES ('新街口百货', 320106, $1, $2) RETURNING id`,
          [ag, JSON.stringify([
            { role: 'responsible', name: '张三', phone: '13800000001' },
            { role: 'manager', name: '李四', phone: '13800000002' },
            { role: 'other', name: '王五', phone: '13800000003' },
          ])],
        )
      ).rows[0].id,
    );
    otherUnit = Number((await db.pool.query(`INSERT INTO units (name, region_adcode, contacts) VALUES ('玄武单位', 320102, $1) RETURNING id`, [JSON.stringify([{ role: 'responsible', name: '赵', phone: '13900000009' }])])).rows[0].id);
  });
  after(async () => {
    // fetch keeps connections alive; close them so the file ends promptly.
    gateway.closeAllConnections();
    await new Promise<void>((r) => gateway.close(() => r()));
    await db.drop();
  });

  const now0 = Date.parse('2026-12-04T02:00:00Z'); // 10:00 in Shanghai
  const policy = { coalesceS: 60, minIntervalS: 600, dailyCap: 4, maxChars: 300 };
  const sms = async () =>
    (await db.pool.query(`SELECT id, recipient, payload, hold_key, next_attempt_at, created_at FROM outbox WHERE channel = 'sms' ORDER BY id`)).rows;
  /** What the worker does when it claims a message: it is no longer open for merging. */
  const claimAll = () => db.pool.query(`UPDATE outbox SET hold_key = NULL, status = 'sent', sent_at = now()`);

  it('names the fault, and gives each recipient one message for several faults of a unit (per unit and per recipient coalescing)', async () => {
    await db.pool.query(`DELETE FROM outbox`);
    const r = await notifyForEvents(db.pool, [event(1, unitId, 'fault', '3F 烟感故障'), event(2, unitId, 'fire'), event(3, unitId, 'duty_check_missed')], { policy, now: () => now0 });
    // fault + duty check for responsible, manager and the agency: one message each (fire has no rule).
    assert.deepEqual(r, { queued: 3, merged: 3, suppressed: 0 });
    let rows = await sms();
    assert.deepEqual(rows.map((x) => x.recipient).sort(), ['02511110000', '13800000001', '13800000002']);
    assert.match(rows[0].payload.text, /新街口百货 故障：3F 烟感故障；新街口百货 查岗未应答/);
    assert.ok(rows.every((x) => x.hold_key), 'open for merging while it waits');
    // Waits coalesceS for more before it is due.
    assert.equal(rows[0].next_attempt_at.getTime(), now0 + 60_000);
    // A blank description (devices often send none) still says what is at fault: the point.
    await db.pool.query(`DELETE FROM outbox`);
    await notifyForEvents(db.pool, [event(10, unitId, 'fault', '   ')], { policy, now: () => now0 });
    const blank = (await sms())[0].payload.text as string;
    assert.doesNotMatch(blank, /故障：。/);
    assert.match(blank, /新街口百货发生故障：.+ 0回路1号 故障。/);
    // A host-offline message names why (the pipeline's reason on the event).
    const offline = (reason: string) => eventDetailZh({ kind: 'host_offline', description: null, componentType: null, componentAddress: null, payload: { reason } });
    assert.equal(offline('power'), '用户信息传输装置主电和备电均故障（传输装置断电）');
    assert.equal(offline('line_fault'), '传输装置与火灾报警控制器之间线路故障（控制器关机或线路断开）');
    assert.equal(offline('panel_power'), '火灾报警控制器主电和备电均故障（控制器断电）');
    assert.match(offline('silent'), /^超过规定时间未收到数据/);
    assert.equal(offline('something_new'), '主机离线');
    assert.equal(eventDetailZh({ kind: 'mains_power_fault', description: null, componentType: null, componentAddress: null, payload: {} }), '主电故障');
    // More faults of the unit while the message waits: the same message, every fault named, repeats counted.
    const more = [2, 3, 4].map((p) => ({ ...event(10 + p, unitId, 'fault'), componentAddress: p }));
    const r2 = await notifyForEvents(db.pool, [...more, event(15, unitId, 'fault', '   ')], { policy, now: () => now0 + 5000 });
    assert.deepEqual(r2, { queued: 0, merged: 12, suppressed: 0 });
    rows = await sms();
    assert.equal(rows.length, 3);
    const text = rows[0].payload.text as string;
    assert.match(text, /^【消防联网】新街口百货发生故障：.*0回路1号 故障（2次）、.*0回路2号 故障、.*0回路3号 故障、.*0回路4号 故障。请尽快处理。$/);
    // Events of units without a rule or without a unit are ignored.
    assert.deepEqual(await notifyForEvents(db.pool, [event(5, unitId, 'supervisory'), { ...event(6, unitId, 'fault'), unitId: null }], { policy }), { queued: 0, merged: 0, suppressed: 0 });
  });

  it('rate-limits a recipient, throttles repeats of a unit and kind, caps the day and summarises the rest', async () => {
    await db.pool.query(`DELETE FROM outbox`);
    await notifyForEvents(db.pool, [event(1, otherUnit, 'fault', '1F 手报故障')], { policy, now: () => now0 });
    await claimAll(); // sent at once (test time); its created_at is the database's now
    const sentAt = (await sms())[0].created_at.getTime();
    // The same unit and kind within the rule's throttle (1800 s): not again.
    assert.deepEqual(await notifyForEvents(db.pool, [event(2, otherUnit, 'fault', '1F 手报故障')], { policy, now: () => sentAt + 1000 }), { queued: 0, merged: 0, suppressed: 1 });
    // Another kind: a new message, but not before minIntervalS after the last one.
    await notifyForEvents(db.pool, [event(3, otherUnit, 'host_offline', 'UITD 心跳超时')], { policy, now: () => sentAt + 1000 });
    let rows = await sms();
    assert.equal(rows.length, 2);
    assert.equal(rows[1].next_attempt_at.getTime(), sentAt + 600_000);
    await claimAll();
    // Daily cap 4: messages 3 and 4; the 4th is the day's remainder summary, held to 23:59 Shanghai.
    await notifyForEvents(db.pool, [event(4, otherUnit, 'duty_check_missed')], { policy, now: () => sentAt + 2000 });
    await claimAll();
    await notifyForEvents(db.pool, [power(5, otherUnit, 'mains_power_fault')], { policy, now: () => sentAt + 3000 });
    await notifyForEvents(db.pool, [power(6, otherUnit, 'backup_power_fault'), { ...event(7, otherUnit, 'fault', '2F 烟感故障') }], { policy, now: () => sentAt + 4000 });
    rows = await sms();
    assert.equal(rows.length, 4);
    const summary = rows[3];
    assert.equal(summary.payload.summary, true);
    assert.equal(new Date(summary.next_attempt_at.getTime() + 8 * 3600_000).toISOString().slice(11, 16), '23:59');
    assert.match(summary.payload.text, /今日短信已达上限（4条），此后1个单位另有2项异常：玄武单位 主电故障；玄武单位 备电故障。详情请登录消防联网平台查看。/);
    // 1F 手报故障 was throttled; 2F 烟感故障 is a new fault of the same unit+kind within the throttle: suppressed too.
    await claimAll();
    assert.deepEqual(await notifyForEvents(db.pool, [event(8, otherUnit, 'host_offline', '再次离线')], { policy, now: () => sentAt + 5000 }), { queued: 0, merged: 0, suppressed: 1 });
  });

  it('a storm: 300 units of one agency each with a fault → one message per contact and one for the agency, naming the count', async () => {
    await db.pool.query(`DELETE FROM outbox`);
    const ag = (await db.pool.query(`SELECT maintenance_agency_id FROM units WHERE id = $1`, [unitId])).rows[0].maintenance_agency_id;
    const ids = (
      await db.pool.query(
        `INSERT INTO units (name, region_adcode, maintenance_agency_id, contacts)
         SELECT '风暴单位' || g, 320106, $1, jsonb_build_array(jsonb_build_object('role', 'responsible', 'name', '负责人', 'phone', '1370000' || lpad(g::text, 4, '0')))
           FROM generate_series(1, 300) g RETURNING id`,
        [ag],
      )
    ).rows.map((x) => Number(x.id));
    const evs = ids.flatMap((u, i) => [power(1000 + 2 * i, u, 'mains_power_fault'), power(1001 + 2 * i, u, 'mains_power_fault')]);
    const r = await notifyForEvents(db.pool, evs, { policy, now: () => now0 });
    assert.equal(r.queued, 301);
    const rows = await sms();
    const perRecipient = new Map<string, number>();
    for (const x of rows) perRecipient.set(x.recipient, (perRecipient.get(x.recipient) ?? 0) + 1);
    assert.ok([...perRecipient.values()].every((n) => n === 1));
    const agency = rows.find((x) => x.recipient === '02511110000')!;
    assert.match(agency.payload.text, /^【消防联网】300个单位有300项异常：风暴单位1 主电故障（2次）；风暴单位2 主电故障（2次）；.*另有\d+项。请尽快处理。$/);
    assert.ok(agency.payload.text.length <= 300);
    assert.equal(agency.payload.unitIds.length, 300);
    await db.pool.query(`DELETE FROM outbox`);
    await db.pool.query(`DELETE FROM units WHERE id = ANY($1::bigint[])`, [ids]);
  });

  it('retries on a failing gateway with growing delays until it accepts, with one idempotency key', async () => {
    await db.pool.query(`DELETE FROM outbox`);
    await notifyForEvents(db.pool, [event(10, otherUnit, 'host_offline', 'UITD 心跳超时')], { policy: { ...policy, coalesceS: 0 } });
    const id = Number((await db.pool.query(`SELECT id FROM outbox`)).rows[0].id);
    script = [503, 500];
    received.length = 0;
    // A 2 s base delay: the second wait must be twice the first. Time is then skipped by
    // making the message due, so the test does not sleep through the back-off.
    const worker = new OutboxWorker(db.pool, new HttpSmsGateway(gatewayUrl, { timeoutMs: 2000 }), { maxAttempts: 5, retryBaseMs: 2000 });
    const dueInMs = async () =>
      Number((await db.pool.query(`SELECT EXTRACT(EPOCH FROM next_attempt_at - now()) * 1000 AS ms FROM outbox WHERE id = $1`, [id])).rows[0].ms);
    const makeDue = () => db.pool.query(`UPDATE outbox SET next_attempt_at = now() WHERE id = $1`, [id]);
    assert.deepEqual(await worker.runOnce(), { sent: 0, retried: 1, failed: 0 });
    let row = (await db.pool.query(`SELECT status, attempts, last_error, sent_at FROM outbox WHERE id = $1`, [id])).rows[0];
    assert.equal(row.status, 'pending');
    assert.match(row.last_error, /503/);
    const wait1 = await dueInMs();
    assert.ok(wait1 > 1000 && wait1 <= 2000, `first back-off ${wait1} ms`);
    // Not due yet: nothing is sent before the back-off passes.
    assert.deepEqual(await worker.runOnce(), { sent: 0, retried: 0, failed: 0 });
    await makeDue();
    assert.deepEqual(await worker.runOnce(), { sent: 0, retried: 1, failed: 0 });
    const wait2 = await dueInMs();
    assert.ok(wait2 > 3000 && wait2 <= 4000, `second back-off ${wait2} ms`);
    await makeDue();
    assert.deepEqual(await worker.runOnce(), { sent: 1, retried: 0, failed: 0 });
    row = (await db.pool.query(`SELECT status, attempts, sent_at FROM outbox WHERE id = $1`, [id])).rows[0];
    assert.equal(row.status, 'sent');
    assert.equal(row.attempts, 3);
    assert.ok(row.sent_at);
    assert.equal(received.length, 3);
    assert.deepEqual(new Set(received.map((r) => r.key)), new Set([`outbox-${id}`]));
    assert.equal(received[2]!.to, '13900000009');
    assert.match(received[2]!.text, /UITD 心跳超时/);
  });

  it('gives up after the maximum attempts, and at once on a refused message', async () => {
    await db.pool.query(`DELETE FROM outbox`);
    await notifyForEvents(db.pool, [event(20, otherUnit, 'fault')], { policy: { ...policy, coalesceS: 0 } });
    const worker = new OutboxWorker(db.pool, new HttpSmsGateway(gatewayUrl), { maxAttempts: 2, retryBaseMs: 10 });
    script = [503, 503];
    await worker.runOnce();
    await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual(await worker.runOnce(), { sent: 0, retried: 0, failed: 1 });
    await db.pool.query(`DELETE FROM outbox`);
    await notifyForEvents(db.pool, [event(21, otherUnit, 'duty_check_missed')], { policy: { ...policy, coalesceS: 0, minIntervalS: 0 } });
    script = [400];
    assert.deepEqual(await worker.runOnce(), { sent: 0, retried: 0, failed: 1 });
    const row = (await db.pool.query(`SELECT status, attempts, last_error FROM outbox`)).rows[0];
    assert.deepEqual([row.status, row.attempts], ['failed', 1]);
    assert.match(row.last_error, /400/);
    // Unreachable gateway is retryable.
    await db.pool.query(`UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = now()`);
    const dead = new OutboxWorker(db.pool, new HttpSmsGateway('http://127.0.0.1:1/sms', { timeoutMs: 500 }), { maxAttempts: 3, retryBaseMs: 10 });
    assert.deepEqual(await dead.runOnce(), { sent: 0, retried: 1, failed: 0 });
  });

  describe('over HTTP, scoped, and fed by the event bus', () => {
    let server: TestServer;
    let supervisor: TestUser;
    let admin: TestUser;
    let bus: EventBus;
    before(async () => {
      supervisor = await createTestUser(db.pool, { role: 'supervisor', regions: [320106] });
      admin = await createTestUser(db.pool, { role: 'admin' });
      server = await startTestServer(db.url, [
        (ctx) => {
          bus = ctx.bus;
          return { name: 'bus-probe' };
        },
        onboardingFeature({ config: loadOnboardingConfig({ SMS_GATEWAY_URL: gatewayUrl, SMS_POLL_MS: '20', SMS_RETRY_BASE_MS: '20' }) }),
      ]);
    });
    after(async () => server.close());

    it('lists the outbox within the jurisdiction, retries on request, edits rules', async () => {
      await db.pool.query(`DELETE FROM outbox`);
      // What ingest publishes after commit reaches the rules through the feature's bus subscription.
      await bus.publish([event(30, unitId, 'host_offline'), event(31, otherUnit, 'host_offline')]);
      script = [];
      const deadline = Date.now() + 5000;
      let items: Array<{ status: string; unitId: number; recipient: string }> = [];
      while (Date.now() < deadline) {
        const r = await fetch(`${server.base}/api/notifications/outbox`, { headers: supervisor.headers });
        items = ((await r.json()) as { items: typeof items }).items;
        if (items.length === 3 && items.every((i) => i.status === 'sent')) break;
        // Digests wait coalesceS (60 s) for more: skip that time.
        await db.pool.query(`UPDATE outbox SET next_attempt_at = now() WHERE status = 'pending' AND hold_key IS NOT NULL`);
        await new Promise((r) => setTimeout(r, 30));
      }
      assert.equal(items.length, 3); // only the supervisor's district: 2 contacts + agency
      assert.ok(items.every((i) => i.unitId === unitId && i.status === 'sent'));
      // The other district's message is sent by the same worker, maybe a poll later.
      let all = { total: 0 };
      for (const until = Date.now() + 5000; Date.now() < until; await new Promise((r) => setTimeout(r, 30))) {
        all = (await (await fetch(`${server.base}/api/notifications/outbox?status=sent`, { headers: admin.headers })).json()) as { total: number };
        if (all.total >= 4) break;
        await db.pool.query(`UPDATE outbox SET next_attempt_at = now() WHERE status = 'pending' AND hold_key IS NOT NULL`);
      }
      assert.equal(all.total, 4);

      await db.pool.query(`UPDATE outbox SET status = 'failed'`);
      const fid = Number((await db.pool.query(`SELECT id FROM outbox WHERE ref_id = $1 LIMIT 1`, [String(otherUnit)])).rows[0].id);
      const refused = await fetch(`${server.base}/api/notifications/outbox/${fid}/retry`, { method: 'POST', headers: supervisor.headers });
      assert.equal(refused.status, 404); // not in the supervisor's district
      const ok = await fetch(`${server.base}/api/notifications/outbox/${fid}/retry`, { method: 'POST', headers: admin.headers });
      assert.equal(ok.status, 200);

      const rule = { enabled: false, notifyContacts: true, contactRoles: ['responsible'], notifyAgency: false, throttleS: 60, templateZh: '{unit} 故障' };
      const put = await fetch(`${server.base}/api/notifications/rules/fault`, { method: 'PUT', headers: { ...supervisor.headers, 'content-type': 'application/json' }, body: JSON.stringify(rule) });
      assert.equal(put.status, 403);
      const put2 = await fetch(`${server.base}/api/notifications/rules/fault`, { method: 'PUT', headers: { ...admin.headers, 'content-type': 'application/json' }, body: JSON.stringify(rule) });
      assert.equal(put2.status, 200);
      assert.deepEqual(await notifyForEvents(db.pool, [event(40, unitId, 'fault')]), { queued: 0, merged: 0, suppressed: 0 });
    });

    // Bug (API probe): every logged-in role read the outbox of its scope with the
    // contacts' phone numbers. Now: full for admin, operator, supervisor; masked for
    // maintainers; refused for the rest.
    it('shows phone numbers to the center roles only: masked for maintainers, 403 for the rest', async () => {
      const phones = ['13800000001', '13800000002', '02511110000'];
      const [smsId] = (await db.pool.query(`SELECT id FROM outbox WHERE ref_id = $1 ORDER BY id LIMIT 1`, [String(unitId)])).rows.map((r) => Number(r.id));
      await db.pool.query(`UPDATE outbox SET last_error = 'gateway 400: bad number ' || recipient, payload = jsonb_set(payload, '{text}', to_jsonb('请回电 13800000001，或 138-0000-0003 / +86 139 0000 0004（2026-12-04 10:00）'::text)) WHERE id = $1`, [smsId]);
      const operator = await createTestUser(db.pool, { role: 'operator', regions: [320106] });
      const maintainer = await createTestUser(db.pool, { role: 'maintainer', units: [unitId] });
      const outbox = async (who: TestUser) => {
        const r = await fetch(`${server.base}/api/notifications/outbox`, { headers: who.headers });
        return { status: r.status, text: await r.text() };
      };
      for (const who of [operator, supervisor]) {
        const r = await outbox(who);
        assert.equal(r.status, 200);
        const body = JSON.parse(r.text) as { masked: boolean; items: Array<{ recipient: string }> };
        assert.equal(body.masked, false);
        assert.deepEqual(body.items.map((i) => i.recipient).sort(), [...phones].sort());
      }
      const m = await outbox(maintainer);
      assert.equal(m.status, 200);
      const body = JSON.parse(m.text) as { masked: boolean; items: Array<{ id: number; recipient: string; text: string; lastError: string | null }> };
      assert.equal(body.masked, true);
      assert.deepEqual(body.items.map((i) => i.recipient).sort(), ['025****0000', '138****0001', '138****0002']);
      const edited = body.items.find((i) => i.id === smsId)!;
      // Numbers written with dashes or spaces are masked too; a date is left alone.
      assert.equal(edited.text, '请回电 138****0001，或 138****0003 / 861****0004（2026-12-04 10:00）');
      assert.match(edited.lastError!, /^gateway 400: bad number \d{3}\*{4}\d{4}$/);
      for (const phone of [...phones, '13900000009']) assert.ok(!m.text.includes(phone), `a maintainer's answer holds ${phone}`);
      // The maintainer may not retry either.
      assert.equal((await fetch(`${server.base}/api/notifications/outbox/${smsId}/retry`, { method: 'POST', headers: maintainer.headers })).status, 403);
      for (const role of ['dispatcher', 'station', 'analyst'] as const) {
        const who = await createTestUser(db.pool, { role, regions: [320106] });
        const r = await outbox(who);
        assert.equal(r.status, 403, role);
        assert.ok(!r.text.includes('138'), role);
      }
      assert.equal((await outbox(await createTestUser(db.pool, { role: 'unit_user', units: [unitId] }))).status, 403);
    });
  });
});
