// Duty operations that reach the devices, end to end over real TCP, HTTP and PostgreSQL:
// an operator's duty check (查岗) of one unit from the desk, answered by the simulated
// control-room operator with its answer time; a unit with no device connected; device clock
// drift recorded at the clock sync and devices beyond 5 s listed; disabled (屏蔽) points per
// unit as a risk indicator. A 鼓楼 operator reads and starts nothing of 玄武. 查岗 is
// throttled: one pending check per unit, at most 6 requests a minute per user (429).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { SimulatedUitd, type DutyChecks, isoLocalAt } from '@firelink/ingest';
import { createTestUser, ensureRegions, type TestUser } from '../auth/testing.ts';
import { ingestFeature } from '../devices/feature.ts';
import { startTestServer, waitFor, type TestServer } from '../devtools/test-support.ts';
import { liveFeature, type LiveParts } from '../pipeline/feature.ts';
import { dutyFeature } from './feature.ts';

const XUANWU = 320102;
const GULOU = 320106;
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('duty checks from the desk, clock drift, disabled points', () => {
  let db: TestDatabase;
  let server: TestServer;
  let gbPort = 0;
  let duty: DutyChecks;
  let live: LiveParts;
  let operator: TestUser, gulou: TestUser;
  let unitA: number, unitB: number;
  const uitds: SimulatedUitd[] = [];

  const call = (user: TestUser, method: string, path: string, body?: unknown) => server.call(user, method, path, body);
  const unit = async (name: string, address: number) => {
    const id = Number((await db.pool.query(`INSERT INTO units (name, region_adcode, onboarding_state) VALUES ($1, $2, 'open') RETURNING id`, [name, XUANWU])).rows[0].id);
    const d = Number((await db.pool.query(`INSERT INTO devices (unit_id, address) VALUES ($1, $2) RETURNING id`, [id, address])).rows[0].id);
    const s = Number((await db.pool.query(`INSERT INTO facility_systems (device_id, system_type, system_address) VALUES ($1, 1, 1) RETURNING id`, [d])).rows[0].id);
    await db.pool.query(`INSERT INTO points (unit_id, system_id, component_type, component_address, label) VALUES ($1, $2, 42, 1, '1F 感烟 1'), ($1, $2, 42, 2, '1F 感烟 2')`, [id, s]);
    return id;
  };

  before(async () => {
    db = await createTestDatabase('duty_checks');
    await ensureRegions(db.pool, [XUANWU, GULOU]);
    operator = await createTestUser(db.pool, { role: 'operator', regions: [XUANWU] });
    gulou = await createTestUser(db.pool, { role: 'operator', regions: [GULOU] });
    unitA = await unit('查岗单位', 770_001);
    unitB = await unit('未连接单位', 770_002);
    server = await startTestServer(
      db.url,
      [
        liveFeature({ expose: (x) => (live = x) }),
        ingestFeature({
          onStarted: (h) => {
            gbPort = h.port;
            duty = h.dutyChecks;
          },
        }),
        dutyFeature(),
      ],
      { env: { FIRELINK_DEMO: '0', DUTY_CHECKS_PER_SHIFT: '0', DUTY_CHECK_TIMEOUT_MIN: '1' } },
    );
  });

  after(async () => {
    for (const u of uitds) u.close();
    await server?.close();
    await db?.drop();
  });

  it('an operator checks one unit: sent to its connected UITD, answered, the answer time shown; refused outside the jurisdiction', async () => {
    const uitd = new SimulatedUitd({ port: gbPort, address: 770_001, dutyAnswer: { probability: 1, minDelayMs: 300, maxDelayMs: 400 } });
    uitds.push(uitd);
    await uitd.connect();
    await uitd.sendHeartbeat(); // the listener knows the address from its first frame

    assert.equal((await call(gulou, 'POST', '/api/duty/duty-checks', { unitId: unitA })).status, 404);
    assert.equal((await call(operator, 'POST', '/api/duty/duty-checks', { unitId: 'x' })).status, 400);
    const req = await call(operator, 'POST', '/api/duty/duty-checks', { unitId: unitA });
    assert.equal(req.status, 202, JSON.stringify(req.body));
    assert.equal(req.body.status, 'pending');
    assert.equal((await call(gulou, 'GET', `/api/duty/duty-checks/${req.body.id}`)).status, 404);

    assert.equal(await duty.sendRequested(), 1); // the scheduler's next tick
    const answered = await waitFor('answer', async () => {
      const r = await call(operator, 'GET', `/api/duty/duty-checks/${req.body.id}`);
      return r.body.status === 'answered' && r.body;
    });
    assert.ok(answered.responseS >= 0.2 && answered.responseS < 5, `answer time ${answered.responseS} s`);
    assert.equal(answered.timeoutS, 60);
    assert.equal(uitd.stats.dutyAnswers, 1);
    const log = await db.pool.query(`SELECT actor_name, text FROM duty_log WHERE entry_kind = 'duty_check_requested'`);
    assert.deepEqual(log.rows, [{ actor_name: operator.username, text: '查岗单位' }]);
  });

  it('a unit with no device connected is answered not_connected', async () => {
    const req = await call(operator, 'POST', '/api/duty/duty-checks', { unitId: unitB });
    assert.equal(await duty.sendRequested(), 0);
    assert.equal((await call(operator, 'GET', `/api/duty/duty-checks/${req.body.id}`)).body.status, 'not_connected');
  });

  it('clock drift is recorded at each sync; devices beyond 5 s are listed', async () => {
    const fast = new SimulatedUitd({ port: gbPort, address: 770_002 });
    uitds.push(fast);
    await fast.connect();
    await fast.sendUitdStatus(0x01, isoLocalAt(new Date(Date.now() + 30_000))); // its clock is 30 s ahead
    await uitds[0]!.sendUitdStatus(0x01); // the other one is right
    assert.ok((await duty.syncClocks()) >= 2);
    const checks = await db.pool.query(`SELECT d.address, c.drift_ms FROM device_clock_checks c JOIN devices d ON d.id = c.device_id ORDER BY d.address`);
    assert.equal(checks.rows.length, 2);
    assert.ok(Math.abs(Number(checks.rows[0].drift_ms)) < 2000, `in time: ${checks.rows[0].drift_ms} ms`);
    assert.ok(Math.abs(Number(checks.rows[1].drift_ms) - 30_000) < 2000, `ahead: ${checks.rows[1].drift_ms} ms`);
    const listed = await call(operator, 'GET', '/api/duty/clock-drift');
    assert.deepEqual(listed.body.devices.map((d: Json) => [d.address, Math.round(d.driftS / 10) * 10]), [[770_002, 30]]);
    assert.deepEqual((await call(gulou, 'GET', '/api/duty/clock-drift')).body.devices, []);
  });

  it('disabled (屏蔽) points per unit: how many now and since when, within the caller\'s jurisdiction', async () => {
    await uitds[0]!.sendComponentStatus({ componentAddress: 1, componentType: 42 }, 0x0009);
    await uitds[0]!.sendComponentStatus({ componentAddress: 2, componentType: 42 }, 0x0009);
    await waitFor('spells', async () => (await db.pool.query(`SELECT 1 FROM disabled_spells WHERE unit_id = $1`, [unitA])).rows.length === 2);
    await uitds[0]!.sendComponentStatus({ componentAddress: 2, componentType: 42 }, 0x0001);
    await live.pipeline.idle();
    await waitFor('one ended', async () => (await db.pool.query(`SELECT 1 FROM disabled_spells WHERE unit_id = $1 AND until IS NOT NULL`, [unitA])).rows.length === 1);
    const r = await call(operator, 'GET', '/api/duty/disabled-points');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.units.length, 1);
    const u = r.body.units[0];
    assert.deepEqual([u.unitId, u.disabledNow, u.spellsInWindow], [unitA, 1, 2]);
    assert.ok(Date.now() - Date.parse(u.oldestSince) < 60_000);
    assert.equal((await call(operator, 'GET', `/api/duty/disabled-points?unitId=${unitA}`)).body.units.length, 1);
    assert.deepEqual((await call(gulou, 'GET', '/api/duty/disabled-points')).body.units, []);
    assert.equal((await call(gulou, 'GET', `/api/duty/disabled-points?unitId=${unitA}`)).status, 404);
    // A region filter outside the caller's jurisdiction is 404 (as the register's), not an empty list.
    const foreign = await call(gulou, 'GET', `/api/duty/disabled-points?region=${XUANWU}`);
    assert.equal(foreign.status, 404, JSON.stringify(foreign.body));
    assert.equal((await call(operator, 'GET', `/api/duty/disabled-points?region=${XUANWU}`)).body.units.length, 1);
  });
  it('查岗 throttle: a second check of a unit while one is pending is 429 duty_check_pending; a seventh request a minute is 429 duty_check_rate_limited', async () => {
    const post = (user: TestUser, unitId: number) =>
      fetch(`${server.base}/api/duty/duty-checks`, { method: 'POST', headers: { ...user.headers, 'content-type': 'application/json' }, body: JSON.stringify({ unitId }) });
    const first = await post(operator, unitA);
    assert.equal(first.status, 202);
    const firstId = Number(((await first.json()) as Json).id);
    const again = await post(operator, unitA);
    assert.equal(again.status, 429);
    const body = (await again.json()) as Json;
    assert.deepEqual([body.error, body.requestId], ['duty_check_pending', firstId]);
    assert.ok(Number(again.headers.get('retry-after')) >= 1);
    assert.equal((await db.pool.query(`SELECT count(*)::int AS n FROM duty_check_requests WHERE unit_id = $1 AND processed_at IS NULL`, [unitA])).rows[0].n, 1, 'the refused request wrote nothing');
    // Sent and answered: the unit may be checked again.
    assert.equal(await duty.sendRequested(), 1);
    await waitFor('answer', async () => (await call(operator, 'GET', `/api/duty/duty-checks/${firstId}`)).body.status === 'answered');
    assert.equal((await post(operator, unitA)).status, 202);
    await duty.sendRequested();

    // One user, many units: six a minute pass, the seventh is refused.
    const busy = await createTestUser(db.pool, { role: 'operator', regions: [XUANWU] });
    const units: number[] = [];
    for (let i = 0; i < 7; i++) units.push(Number((await db.pool.query(`INSERT INTO units (name, region_adcode, onboarding_state) VALUES ($1, $2, 'open') RETURNING id`, [`频繁查岗 ${i}`, XUANWU])).rows[0].id));
    for (const u of units.slice(0, 6)) assert.equal((await post(busy, u)).status, 202);
    const seventh = await post(busy, units[6]!);
    assert.equal(seventh.status, 429);
    const sb = (await seventh.json()) as Json;
    assert.equal(sb.error, 'duty_check_rate_limited');
    assert.ok(sb.retryAfterS >= 1 && sb.retryAfterS <= 60, `retry after ${sb.retryAfterS} s`);
    assert.equal((await db.pool.query(`SELECT count(*)::int AS n FROM duty_check_requests WHERE requested_by = $1`, [busy.userId])).rows[0].n, 6);
    // Another operator is not held back by this one.
    assert.equal((await post(operator, units[6]!)).status, 202);
  });
});
