// "Nobody watching is an alarm" over real WebSockets, real PostgreSQL and a real HTTP SMS
// gateway (a small server in this test that records what it is sent): desks and walls say
// which screen they are when they connect (/ws?view=desk|wall); a staffed post (a shift now)
// without an operator desk for CENTER_UNATTENDED_AFTER_S raises a "center unattended" record,
// a duty log entry and a duty alert to the duty chief's phone; a desk back clears it. The
// watch runs on an injected clock (the test calls check()).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import WebSocket from 'ws';
import { createTestUser, ensureRegions, type TestUser } from '../auth/testing.ts';
import { startTestServer, waitFor, type TestServer } from '../devtools/test-support.ts';
import { liveFeature, type LiveParts } from '../pipeline/feature.ts';
import { HttpSmsGateway } from '../notifications/gateway.ts';
import type { DutyAlertSender } from './alerts.ts';
import { dutyFeature } from './feature.ts';

const XUANWU = 320102;
const GULOU = 320106;
const HOUR = 3_600_000;

describe('center unattended (nobody watching)', () => {
  let db: TestDatabase;
  let server: TestServer;
  let live: LiveParts;
  let alerts: DutyAlertSender | null = null;
  let sms: Server;
  const received: Array<{ to: string; text: string }> = [];
  let clock = Date.now();
  let operator: TestUser, gulouOperator: TestUser, chief: TestUser, wallUser: TestUser, gulouSup: TestUser;
  let wsBase = '';

  const connect = (user: TestUser, view: string) =>
    new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(`${wsBase}/ws?view=${view}`, { headers: user.headers });
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });
  const close = (ws: WebSocket) => new Promise<void>((r) => (ws.readyState === WebSocket.CLOSED ? r() : (ws.once('close', () => r()), ws.close())));
  const desks = () => live.hub.presence().filter((p) => p.view === 'desk').length;
  const open = async () => (await db.pool.query(`SELECT region_adcode, screen, absent_since, raised_at, notified FROM duty_unattended WHERE cleared_at IS NULL`)).rows;

  before(async () => {
    db = await createTestDatabase('duty_presence');
    await ensureRegions(db.pool, [XUANWU, GULOU]);
    await db.pool.query(`UPDATE regions SET name = '玄武区' WHERE adcode = $1`, [XUANWU]);
    operator = await createTestUser(db.pool, { role: 'operator', regions: [XUANWU] });
    gulouOperator = await createTestUser(db.pool, { role: 'operator', regions: [GULOU] });
    chief = await createTestUser(db.pool, { role: 'supervisor', regions: [XUANWU] });
    wallUser = await createTestUser(db.pool, { role: 'analyst', regions: [XUANWU] });
    gulouSup = await createTestUser(db.pool, { role: 'supervisor', regions: [GULOU] });
    // 玄武 is staffed now: an operator and a chief with a phone. 鼓楼 has nobody rostered.
    const shift = `INSERT INTO duty_shifts (region_adcode, user_id, duty_role, starts_at, ends_at, phone) VALUES ($1, $2, $3, now() - interval '2 hours', now() + interval '6 hours', $4)`;
    await db.pool.query(shift, [XUANWU, operator.userId, 'operator', null]);
    await db.pool.query(shift, [XUANWU, chief.userId, 'chief', '13800000001']);

    sms = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((r) => sms.listen(0, '127.0.0.1', () => r()));
    const smsPort = (sms.address() as { port: number }).port;

    server = await startTestServer(
      db.url,
      [
        liveFeature({ now: () => clock, expose: (x) => (live = x) }),
        dutyFeature({ alertGateway: new HttpSmsGateway(`http://127.0.0.1:${smsPort}/sms`), expose: (_c, a) => (alerts = a) }),
      ],
      { env: { FIRELINK_DEMO: '0', CENTER_UNATTENDED_AFTER_S: '60', DUTY_WATCH_MS: '3600000' } },
    );
    wsBase = `ws://127.0.0.1:${server.httpPort}`;
  });

  after(async () => {
    await server?.close();
    await new Promise((r) => sms?.close(r));
    await db?.drop();
  });

  it('a desk connected keeps the post attended; gone for longer than the threshold raises the alarm and alerts the chief once; a desk back clears it', async () => {
    const desk = await connect(operator, 'desk');
    await waitFor('desk registered', () => desks() === 1);
    let d = await live.presence.check();
    assert.deepEqual([d.raise, d.clear], [[], []]);

    await close(desk);
    await waitFor('desk gone', () => desks() === 0);
    const goneAt = clock;
    clock += 30_000;
    d = await live.presence.check();
    assert.deepEqual(d.raise, [], '30 s without a desk is not yet unattended (threshold 60 s)');

    // Screens that do not count for 玄武: a wall (only desks are required here), and a desk of
    // a 鼓楼 operator (another jurisdiction).
    const wall = await connect(wallUser, 'wall');
    const otherDesk = await connect(gulouOperator, 'desk');
    const untagged = await connect(operator, 'analyst'); // a desk user on another screen
    await waitFor('others registered', () => live.hub.presence().length === 3);
    clock += 31_000;
    d = await live.presence.check();
    assert.deepEqual(d.raise.map((r) => [r.post, r.screen]), [[XUANWU, 'desk']]);
    const rows = await open();
    assert.equal(rows.length, 1);
    assert.equal(Number(rows[0].region_adcode), XUANWU);
    assert.equal(rows[0].absent_since.getTime(), goneAt, 'absent since the last moment a desk was seen');
    assert.equal(rows[0].notified, 1);
    const log = await db.pool.query(`SELECT entry_kind, text FROM duty_log WHERE entry_kind = 'center_unattended'`);
    assert.equal(log.rows.length, 1);
    assert.match(log.rows[0].text, /玄武区监控中心无人值守.*没有值班台在线/);
    const outbox = await db.pool.query(`SELECT recipient, payload, status FROM outbox WHERE channel = 'duty_alert' ORDER BY id`);
    assert.deepEqual(outbox.rows.map((r) => [r.recipient, r.payload.kind, r.payload.userId, r.status]), [['13800000001', 'center_unattended', chief.userId, 'pending']]);

    // The duty_alert sender delivers it to the chief's phone through the SMS gateway.
    assert.ok(alerts);
    assert.deepEqual(await alerts.runOnce(), { sent: 1, retried: 0, failed: 0 });
    assert.equal(received.length, 1);
    assert.equal(received[0]!.to, '13800000001');
    assert.match(received[0]!.text, /无人值守/);
    assert.equal((await db.pool.query(`SELECT status FROM outbox WHERE channel = 'duty_alert'`)).rows[0].status, 'sent');

    // Still nobody: no second record, no second alert.
    clock += 60_000;
    d = await live.presence.check();
    assert.deepEqual(d.raise, []);
    assert.equal((await db.pool.query(`SELECT count(*)::int AS n FROM outbox WHERE channel = 'duty_alert'`)).rows[0].n, 1);

    // The records through the API, within the caller's jurisdiction only.
    const mine = (await (await fetch(`${server.base}/api/duty/unattended`, { headers: chief.headers })).json()) as { items: Array<{ regionAdcode: number; clearedAt: string | null; screen: string }> };
    assert.deepEqual(mine.items.map((i) => [i.regionAdcode, i.screen, i.clearedAt]), [[XUANWU, 'desk', null]]);
    const theirs = (await (await fetch(`${server.base}/api/duty/unattended`, { headers: gulouSup.headers })).json()) as { items: unknown[] };
    assert.deepEqual(theirs.items, [], 'a 鼓楼 supervisor does not see 玄武 records');

    // A desk of 玄武 back: cleared, logged, the chief told.
    const back = await connect(operator, 'desk');
    await waitFor('desk back', () => desks() === 2);
    clock += 5_000;
    d = await live.presence.check();
    assert.deepEqual(d.clear, [{ post: XUANWU, screen: 'desk' }]);
    assert.deepEqual(await open(), []);
    assert.equal((await db.pool.query(`SELECT count(*)::int AS n FROM duty_log WHERE entry_kind = 'center_attended'`)).rows[0].n, 1);
    await alerts.runOnce();
    assert.equal(received.length, 2);
    assert.match(received[1]!.text, /值班台已恢复在线/);
    for (const ws of [wall, otherDesk, untagged, back]) await close(ws);
  });

  it('a duty alert without a phone fails with the reason; a post whose shift ended is no longer unattended', async () => {
    await db.pool.query(`UPDATE duty_shifts SET phone = NULL WHERE user_id = $1`, [chief.userId]);
    await waitFor('no desks', () => desks() === 0);
    clock += 61_000 + HOUR;
    let d = await live.presence.check();
    assert.equal(d.raise.length, 1);
    assert.ok(alerts);
    assert.deepEqual(await alerts.runOnce(), { sent: 0, retried: 0, failed: 1 });
    const failed = await db.pool.query(`SELECT last_error FROM outbox WHERE channel = 'duty_alert' AND status = 'failed'`);
    assert.match(failed.rows[0].last_error, /no mobile number for this duty chief/);
    // The roster ends: nobody is on duty, the record is cleared.
    await db.pool.query(`UPDATE duty_shifts SET ends_at = now() - interval '1 minute', starts_at = now() - interval '3 hours'`);
    d = await live.presence.check();
    assert.deepEqual(d.clear, [{ post: XUANWU, screen: 'desk' }]);
    assert.deepEqual(await open(), []);
  });
});
