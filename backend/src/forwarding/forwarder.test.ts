import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { alarmDetailSchema, type AlarmDto } from '@firelink/common';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { ADMIN, insertEvents, seedPlace, startLiveServer, type LiveServer, type Place } from '../live/test-support.ts';

interface Received {
  at: number;
  body: { alarm: AlarmDto };
  key: string | undefined;
}

/** A real local HTTP server standing in for the 119 command center. */
async function start119(answer: (n: number) => number): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      received.push({ at: Date.now(), body: JSON.parse(data), key: req.headers['idempotency-key'] as string | undefined });
      res.statusCode = answer(received.length);
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return { server, url: `http://127.0.0.1:${port}/api/119/alarms`, received };
}

let db: TestDatabase;
let place: Place;

before(async () => {
  db = await createTestDatabase('forward119');
  place = await seedPlace(db.pool);
});
after(async () => {
  await db?.drop();
});

async function verifiedFire(live: LiveServer, unit: Place['units'][number], point: number): Promise<{ alarm: AlarmDto; verifiedAt: number }> {
  const events = await insertEvents(db.pool, [{ kind: 'fire', unit, point }]);
  await live.bus.publish(events);
  await live.parts.pipeline.idle();
  const list = (await (await fetch(`${live.baseUrl}/api/alarms?kind=fire&state=open&unitId=${unit.id}`)).json()) as { alarms: AlarmDto[] };
  const alarm = list.alarms.find((a) => a.pointId === point)!;
  // The fire procedure: acknowledge, the verification call, then the verdict.
  const post = async (path: string, body: Record<string, unknown>) =>
    fetch(`${live.baseUrl}/api/alarms/${alarm.id}/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const acked = ((await (await post('ack', { version: alarm.version })).json()) as { alarm: AlarmDto }).alarm;
  const call = { number: '025-84000000', answeredBy: '保安', outcome: 'confirmed', durationS: 20 };
  const called = ((await (await post('steps/call', { version: acked.version, call })).json()) as { alarm: AlarmDto }).alarm;
  const verifiedAt = Date.now();
  const res = await post('verify', { version: called.version, verdict: 'fire' });
  assert.equal(res.status, 200);
  return { alarm, verifiedAt };
}

async function until(cond: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('forward verified fires to 119', () => {
  it('delivers within 3 s of verification, retrying a failed attempt, and records each attempt', async () => {
    const cc = await start119((n) => (n === 1 ? 503 : 200));
    const live = await startLiveServer(db.url, { principal: () => ADMIN, env: { FORWARD_119_URL: cc.url } });
    try {
      const u = place.units[0]!;
      const { alarm, verifiedAt } = await verifiedFire(live, u, u.pointIds[0]!);
      await until(async () => (await db.pool.query(`SELECT 1 FROM outbox WHERE ref_id = $1 AND status = 'sent'`, [String(alarm.id)])).rows.length > 0, 8000);
      assert.equal(cc.received.length, 2, 'one failure, one retry');
      assert.ok(cc.received[0]!.at - verifiedAt < 3000, `first delivery ${cc.received[0]!.at - verifiedAt} ms after verification`);
      assert.ok(cc.received[1]!.at - verifiedAt < 3000, `accepted ${cc.received[1]!.at - verifiedAt} ms after verification`);
      assert.equal(cc.received[1]!.body.alarm.id, alarm.id);
      assert.equal(cc.received[1]!.body.alarm.verdict, 'fire');
      assert.deepEqual(cc.received[1]!.body.alarm.lonLatWgs84, u.lonLat);
      assert.equal(cc.received[0]!.key, cc.received[1]!.key, 'retries carry the same idempotency key');
      const attempts = await db.pool.query(
        `SELECT ok, http_status FROM outbox_attempts a JOIN outbox o ON o.id = a.outbox_id WHERE o.ref_id = $1 ORDER BY a.id`,
        [String(alarm.id)],
      );
      assert.deepEqual(attempts.rows.map((r) => [r.ok, r.http_status]), [[false, 503], [true, 200]]);
      const detail = alarmDetailSchema.parse(await (await fetch(`${live.baseUrl}/api/alarms/${alarm.id}`)).json());
      assert.equal(detail.forwards[0]!.status, 'sent');
      assert.equal(detail.forward119Configured, true);
      assert.ok(detail.steps.some((s) => s.step === 'forwarded'));
    } finally {
      await live.server.close();
      cc.server.close();
    }
  });

  // Operator walk-through: with no FORWARD_119_URL the desk showed "待发送" for ever for a
  // true fire, as if a retry were coming. The detail says the forwarding is not configured.
  it('without a 119 endpoint, a verified fire reads not_configured (never "pending"), and is not sent once one is set', async () => {
    let alarmId = 0;
    const live = await startLiveServer(db.url, { principal: () => ADMIN });
    try {
      const u = place.units[1]!;
      const { alarm } = await verifiedFire(live, u, u.pointIds[0]!);
      alarmId = alarm.id;
      assert.equal(live.parts.forwarder, null, 'no forwarder runs without FORWARD_119_URL');
      const detail = alarmDetailSchema.parse(await (await fetch(`${live.baseUrl}/api/alarms/${alarm.id}`)).json());
      assert.equal(detail.forward119Configured, false);
      assert.equal(detail.forwards.length, 1, 'the forward is still recorded in the outbox');
      assert.equal(detail.forwards[0]!.status, 'not_configured');
      const row = await db.pool.query(`SELECT status FROM outbox WHERE ref_id = $1 AND channel = 'forward_119'`, [String(alarm.id)]);
      assert.equal(row.rows[0].status, 'pending');
    } finally {
      await live.server.close();
    }
    // Once an endpoint is configured, that fire is not sent late (the operator phoned 119
    // long ago): it is closed as failed with a step on the alarm, and 119 receives nothing.
    const cc = await start119(() => 200);
    const later = await startLiveServer(db.url, { principal: () => ADMIN, env: { FORWARD_119_URL: cc.url }, live: { forwarder: { pollMs: 100 } } });
    try {
      const row = async () => (await db.pool.query(`SELECT status, last_error FROM outbox WHERE ref_id = $1 AND channel = 'forward_119'`, [String(alarmId)])).rows[0];
      await until(async () => (await row()).status !== 'pending', 5000);
      assert.equal((await row()).status, 'failed');
      assert.match((await row()).last_error, /FORWARD_119_URL was not set/);
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(cc.received.length, 0, 'nothing queued without an endpoint goes to 119 later');
      const detail = alarmDetailSchema.parse(await (await fetch(`${later.baseUrl}/api/alarms/${alarmId}`)).json());
      assert.equal(detail.forwards[0]!.status, 'failed');
      assert.ok(detail.steps.some((x) => x.step === 'forward_failed'));
    } finally {
      await later.server.close();
      cc.server.close();
    }
  });

  it('gives up after the last attempt and notes it on the alarm', async () => {
    const cc = await start119(() => 500);
    const live = await startLiveServer(db.url, {
      principal: () => ADMIN,
      env: { FORWARD_119_URL: cc.url },
      live: { forwarder: { maxAttempts: 2, pollMs: 100 } },
    });
    try {
      const u = place.units[1]!;
      const { alarm } = await verifiedFire(live, u, u.pointIds[1]!);
      await until(async () => (await db.pool.query(`SELECT 1 FROM outbox WHERE ref_id = $1 AND status = 'failed'`, [String(alarm.id)])).rows.length > 0, 8000);
      assert.equal(cc.received.length, 2);
      const steps = await db.pool.query(`SELECT step, note FROM alarm_steps WHERE alarm_id = $1 AND step = 'forward_failed'`, [alarm.id]);
      assert.equal(steps.rows.length, 1);
      assert.match(steps.rows[0].note, /HTTP 500/);
    } finally {
      await live.server.close();
      cc.server.close();
    }
  });
});
