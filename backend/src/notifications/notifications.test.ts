// Notification rules → outbox → SMS gateway, against a real local HTTP gateway that fails
// before it succeeds, and the real outbox table.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { EventBus, StoredEvent } from '@firelink/common';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { createTestUser, type TestUser } from '../auth/testing.ts';
import { loadConfig } from '../kernel/config.ts';
import { createLogger } from '../logger.ts';
import { startServer, type RunningServer } from '../main.ts';
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

  it('queues one SMS per recipient for faults, offline hosts and missed duty checks, throttled', async () => {
    const n = await notifyForEvents(db.pool, [event(1, unitId, 'fault', '3F 烟感故障'), event(2, unitId, 'fire'), event(3, unitId, 'duty_check_missed')]);
    // fault + duty check: responsible, manager, control room (none here) and the agency = 3 each; fire has no rule.
    assert.equal(n, 6);
    const rows = (await db.pool.query(`SELECT recipient, payload FROM outbox WHERE channel = 'sms' ORDER BY id`)).rows;
    assert.deepEqual([...new Set(rows.map((r) => r.recipient))].sort(), ['02511110000', '13800000001', '13800000002']);
    assert.match(rows[0].payload.text, /新街口百货发生故障：3F 烟感故障/);
    // A blank description (devices often send none) still says what is at fault.
    await db.pool.query(`DELETE FROM outbox`);
    assert.equal(await notifyForEvents(db.pool, [event(10, unitId, 'fault', '   ')]), 3);
    const blank = (await db.pool.query(`SELECT payload FROM outbox WHERE channel = 'sms' ORDER BY id`)).rows[0].payload.text as string;
    assert.doesNotMatch(blank, /故障：。/);
    assert.match(blank, /发生故障：.+ 0回路1号 故障。/);
    assert.equal(eventDetailZh({ kind: 'host_offline', description: null, componentType: null, componentAddress: null, payload: { reason: 'power' } }), '主电和备电均故障（主机断电）');
    // The same fault again within the throttle window queues nothing.
    assert.equal(await notifyForEvents(db.pool, [event(4, unitId, 'fault')]), 0);
    // Events of other units and kinds without a rule are ignored.
    assert.equal(await notifyForEvents(db.pool, [event(5, unitId, 'supervisory'), { ...event(6, unitId, 'fault'), unitId: null }]), 0);
  });

  it('retries on a failing gateway with growing delays until it accepts, with one idempotency key', async () => {
    await db.pool.query(`DELETE FROM outbox`);
    await notifyForEvents(db.pool, [event(10, otherUnit, 'host_offline', 'UITD 心跳超时')]);
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
    await notifyForEvents(db.pool, [event(20, otherUnit, 'fault')]);
    const worker = new OutboxWorker(db.pool, new HttpSmsGateway(gatewayUrl), { maxAttempts: 2, retryBaseMs: 10 });
    script = [503, 503];
    await worker.runOnce();
    await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual(await worker.runOnce(), { sent: 0, retried: 0, failed: 1 });
    await db.pool.query(`DELETE FROM outbox`);
    await notifyForEvents(db.pool, [event(21, otherUnit, 'duty_check_missed')]);
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
    let server: RunningServer;
    let base: string;
    let supervisor: TestUser;
    let admin: TestUser;
    let bus: EventBus;
    before(async () => {
      supervisor = await createTestUser(db.pool, { role: 'supervisor', regions: [320106] });
      admin = await createTestUser(db.pool, { role: 'admin' });
      server = await startServer({
        config: loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' }),
        databaseUrl: db.url,
        logger: createLogger('silent'),
        features: [
          (ctx) => {
            bus = ctx.bus;
            return { name: 'bus-probe' };
          },
          onboardingFeature({ config: loadOnboardingConfig({ SMS_GATEWAY_URL: gatewayUrl, SMS_POLL_MS: '20', SMS_RETRY_BASE_MS: '20' }) }),
        ],
      });
      base = `http://127.0.0.1:${server.httpPort}`;
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
        const r = await fetch(`${base}/api/notifications/outbox`, { headers: supervisor.headers });
        items = ((await r.json()) as { items: typeof items }).items;
        if (items.length && items.every((i) => i.status === 'sent')) break;
        await new Promise((r) => setTimeout(r, 30));
      }
      assert.equal(items.length, 3); // only the supervisor's district: 2 contacts + agency
      assert.ok(items.every((i) => i.unitId === unitId && i.status === 'sent'));
      const all = (await (await fetch(`${base}/api/notifications/outbox?status=sent`, { headers: admin.headers })).json()) as { total: number };
      assert.equal(all.total, 4);

      await db.pool.query(`UPDATE outbox SET status = 'failed'`);
      const fid = Number((await db.pool.query(`SELECT id FROM outbox WHERE ref_id = $1 LIMIT 1`, [String(otherUnit)])).rows[0].id);
      const refused = await fetch(`${base}/api/notifications/outbox/${fid}/retry`, { method: 'POST', headers: supervisor.headers });
      assert.equal(refused.status, 404); // not in the supervisor's district
      const ok = await fetch(`${base}/api/notifications/outbox/${fid}/retry`, { method: 'POST', headers: admin.headers });
      assert.equal(ok.status, 200);

      const rule = { enabled: false, notifyContacts: true, contactRoles: ['responsible'], notifyAgency: false, throttleS: 60, templateZh: '{unit} 故障' };
      const put = await fetch(`${base}/api/notifications/rules/fault`, { method: 'PUT', headers: { ...supervisor.headers, 'content-type': 'application/json' }, body: JSON.stringify(rule) });
      assert.equal(put.status, 403);
      const put2 = await fetch(`${base}/api/notifications/rules/fault`, { method: 'PUT', headers: { ...admin.headers, 'content-type': 'application/json' }, body: JSON.stringify(rule) });
      assert.equal(put2.status, 200);
      assert.equal(await notifyForEvents(db.pool, [event(40, unitId, 'fault')]), 0);
    });
  });
});
