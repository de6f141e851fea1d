// /api/devices over real HTTP and real GB/T 26875 traffic: unregistered addresses seen by
// the listener, duty checks by jurisdiction, and the listener's counters.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { SimulatedUitd } from '@firelink/ingest';
import type { Principal } from '../auth/scope.ts';
import { principalsByHeader, startTestServer, type TestServer } from '../devtools/test-support.ts';
import { ingestFeature } from './feature.ts';

const WEST = 320102;
const EAST = 320104;
const PRINCIPALS: Record<string, Principal> = {
  admin: { userId: null, username: 'admin-test', role: 'admin', scope: { kind: 'all' } },
  westSupervisor: { userId: null, username: 'west-sv', role: 'supervisor', scope: { kind: 'regions', adcodes: [WEST] } },
};
const callers = principalsByHeader(PRINCIPALS);

describe('device traffic API', () => {
  let db: TestDatabase;
  let server: TestServer;
  let gbPort = 0;
  const unit: Record<'west' | 'east', number> = { west: 0, east: 0 };

  const get = (who: string | null, path: string) => server.call(callers.as(who), 'GET', path);

  before(async () => {
    db = await createTestDatabase('devices_api');
    await db.pool.query(
      `INSERT INTO regions (adcode, name, level) VALUES (320000, '江苏省', 'province'), (320100, '南京市', 'city') ON CONFLICT DO NOTHING;
       INSERT INTO regions (adcode, name, level, parent_adcode) VALUES (${WEST}, '玄武区', 'district', 320100), (${EAST}, '秦淮区', 'district', 320100) ON CONFLICT DO NOTHING`,
    );
    for (const [k, adcode] of [['west', WEST], ['east', EAST]] as const) {
      const u = await db.pool.query(`INSERT INTO units (name, onboarding_state, region_adcode) VALUES ($1, 'open', $2) RETURNING id`, [`${k}单位`, adcode]);
      unit[k] = Number(u.rows[0].id);
    }
    const dw = await db.pool.query(`INSERT INTO devices (unit_id, address) VALUES ($1, 880001) RETURNING id`, [unit.west]);
    const de = await db.pool.query(`INSERT INTO devices (unit_id, address) VALUES ($1, 880002) RETURNING id`, [unit.east]);
    await db.pool.query(
      `INSERT INTO duty_checks (device_id, unit_id, sent_at, timeout_s, answered_at, response_s, missed_at) VALUES
         ($1, $2, now() - interval '2 hours', 600, now() - interval '2 hours' + interval '40 seconds', 40, NULL),
         ($1, $2, now() - interval '1 hour', 600, NULL, NULL, now() - interval '50 minutes'),
         ($3, $4, now() - interval '30 minutes', 600, NULL, NULL, NULL)`,
      [dw.rows[0].id, unit.west, de.rows[0].id, unit.east],
    );
    server = await startTestServer(db.url, [ingestFeature({ onStarted: (h) => (gbPort = h.port) })], {
      env: { FIRELINK_DEMO: '0', DUTY_CHECKS_PER_SHIFT: '0' },
      before: [callers.before],
    });
  });

  after(async () => {
    await server?.close();
    await db?.drop();
  });

  it('lists addresses that sent frames without being registered (admins only), and drops them once registered', async () => {
    const stranger = new SimulatedUitd({ port: gbPort, host: '127.0.0.1', address: 0x00aa_bbcc_ddee });
    await stranger.connect();
    await stranger.sendFire({ componentAddress: 1 });
    await stranger.sendFault({ componentAddress: 2 });
    stranger.close();
    assert.equal((await get(null, '/api/devices/unregistered')).status, 401);
    assert.equal((await get('westSupervisor', '/api/devices/unregistered')).status, 403);
    const r = await get('admin', '/api/devices/unregistered');
    assert.equal(r.status, 200);
    assert.equal(r.body.devices.length, 1);
    assert.equal(r.body.devices[0].address, 0x00aa_bbcc_ddee);
    assert.equal(r.body.devices[0].addressHex, '00aabbccddee');
    assert.equal(r.body.devices[0].frames, 2);
    assert.match(r.body.devices[0].lastPeer, /^127\.0\.0\.1:\d+$/);
    await db.pool.query(`INSERT INTO devices (unit_id, address) VALUES ($1, $2)`, [unit.west, 0x00aa_bbcc_ddee]);
    assert.deepEqual((await get('admin', '/api/devices/unregistered')).body.devices, []);
  });

  it('lists duty checks by jurisdiction and outcome', async () => {
    const all = await get('admin', '/api/devices/duty-checks');
    assert.deepEqual(all.body.dutyChecks.map((d: { outcome: string }) => d.outcome), ['pending', 'missed', 'answered']);
    const west = await get('westSupervisor', '/api/devices/duty-checks');
    assert.deepEqual(west.body.dutyChecks.map((d: { unitId: number; outcome: string }) => [d.unitId, d.outcome]), [
      [unit.west, 'missed'],
      [unit.west, 'answered'],
    ]);
    const answered = await get('westSupervisor', '/api/devices/duty-checks?outcome=answered');
    assert.equal(answered.body.dutyChecks[0].responseS, 40);
    assert.equal((await get('westSupervisor', `/api/devices/duty-checks?unitId=${unit.east}`)).status, 404, 'another district\'s unit is not found');
    const bad = await get('admin', '/api/devices/duty-checks?outcome=maybe');
    assert.equal(bad.status, 400);
  });

  it('reports the listener\'s counters and confirm latency to admins', async () => {
    const r = await get('admin', '/api/devices/listener');
    assert.equal(r.status, 200);
    assert.ok(r.body.framesConfirmed >= 2, JSON.stringify(r.body));
    assert.ok(r.body.confirmLatencyMs.p99 >= r.body.confirmLatencyMs.p50);
    assert.equal((await get('westSupervisor', '/api/devices/listener')).status, 403);
  });
});
