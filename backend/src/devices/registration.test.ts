// Device registration (POST/DELETE /api/units/:id/devices) and who may speak for a device:
// the allowlist survives unbinding and registering again, every step shows it in the audit
// log, and a clash never names a unit the caller cannot see. Real HTTP, real PostGIS.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { createTestUser, type TestUser } from '../auth/testing.ts';
import { startTestServer, type TestServer } from '../devtools/test-support.ts';
import { ingestFeature } from './feature.ts';

const DISTRICT = 320106;
const OTHER_DISTRICT = 320102;

describe('device registration keeps who may speak for a device', () => {
  let db: TestDatabase;
  let server: TestServer;
  let admin: TestUser, supervisor: TestUser, maintainer: TestUser, otherMaintainer: TestUser;
  let unitA = 0;
  let unitB = 0;

  const call = (user: TestUser, method: string, path: string, body?: unknown) => server.call(user, method, path, body);
  const peersOf = async (address: number) =>
    (await db.pool.query(`SELECT unit_id::int, allowed_peers::text[] AS p FROM devices WHERE address = $1`, [address])).rows[0] as { unit_id: number | null; p: string[] | null };

  before(async () => {
    db = await createTestDatabase('device_registration');
    const p = db.pool;
    await p.query(`INSERT INTO regions (adcode, name, level) VALUES (320000, '江苏省', 'province') ON CONFLICT DO NOTHING`);
    await p.query(`INSERT INTO regions (adcode, name, level, parent_adcode) VALUES (320100, '南京市', 'city', 320000) ON CONFLICT DO NOTHING`);
    await p.query(
      `INSERT INTO regions (adcode, name, level, parent_adcode) VALUES ($1, '秦淮区', 'district', 320100), ($2, '玄武区', 'district', 320100) ON CONFLICT DO NOTHING`,
      [DISTRICT, OTHER_DISTRICT],
    );
    unitA = Number((await p.query(`INSERT INTO units (name, region_adcode) VALUES ('秦淮甲单位', $1) RETURNING id`, [DISTRICT])).rows[0].id);
    unitB = Number((await p.query(`INSERT INTO units (name, region_adcode) VALUES ('玄武乙单位', $1) RETURNING id`, [OTHER_DISTRICT])).rows[0].id);
    admin = await createTestUser(p, { role: 'admin' });
    supervisor = await createTestUser(p, { role: 'supervisor', regions: [DISTRICT] });
    maintainer = await createTestUser(p, { role: 'maintainer', units: [unitA] });
    otherMaintainer = await createTestUser(p, { role: 'maintainer', units: [unitB] });
    // The registration routes are mounted under /api/units by the devices feature.
    server = await startTestServer(db.url, [ingestFeature()], { env: { FIRELINK_DEMO: '0', DUTY_CHECKS_PER_SHIFT: '0' } });
  });
  after(async () => {
    await server?.close();
    await db?.drop();
  });

  // Bug guarded: a maintainer removed a device's allowlist by unbinding and registering it
  // again (allowed_peers back to NULL), and the audit log did not show the peers change.
  it('keeps the allowlist when a maintainer unbinds and registers the device again, and audits the peers on both sides', async () => {
    const address = 771001;
    const dev = await call(maintainer, 'POST', `/api/units/${unitA}/devices`, { address });
    assert.equal(dev.status, 201, JSON.stringify(dev.body));
    const path = `/api/units/${unitA}/devices/${dev.body.id}`;
    assert.equal((await call(supervisor, 'PATCH', path, { allowedPeers: ['10.20.0.0/16'] })).status, 200);

    assert.equal((await call(maintainer, 'DELETE', path)).status, 200);
    assert.deepEqual(await peersOf(address), { unit_id: null, p: ['10.20.0.0/16'] }, 'unbinding keeps the list');
    const again = await call(maintainer, 'POST', `/api/units/${unitA}/devices`, { address });
    assert.equal(again.status, 201);
    assert.deepEqual(again.body.allowedPeers, ['10.20.0.0/16']);
    assert.deepEqual(await peersOf(address), { unit_id: unitA, p: ['10.20.0.0/16'] }, 'registering again keeps the list');

    // Moved to another unit by that unit's maintainer: the list goes with the device.
    assert.equal((await call(maintainer, 'DELETE', path)).status, 200);
    assert.equal((await call(otherMaintainer, 'POST', `/api/units/${unitB}/devices`, { address })).status, 201);
    assert.deepEqual(await peersOf(address), { unit_id: unitB, p: ['10.20.0.0/16'] });

    const audit = await db.pool.query(
      `SELECT action, before, after FROM audit_log WHERE action IN ('device.register', 'device.unbind', 'device.peers') ORDER BY id`,
    );
    const rows = audit.rows.map((r) => [r.action, r.before?.allowedPeers, r.after?.allowedPeers, r.before?.unitId, r.after?.unitId]);
    assert.deepEqual(rows, [
      ['device.register', undefined, null, undefined, unitA],
      ['device.peers', null, ['10.20.0.0/16'], undefined, undefined],
      ['device.unbind', ['10.20.0.0/16'], ['10.20.0.0/16'], unitA, null],
      ['device.register', ['10.20.0.0/16'], ['10.20.0.0/16'], null, unitA],
      ['device.unbind', ['10.20.0.0/16'], ['10.20.0.0/16'], unitA, null],
      ['device.register', ['10.20.0.0/16'], ['10.20.0.0/16'], null, unitB],
    ]);
  });

  // Bug guarded: the 409 said "registered to another unit", which told a caller which
  // addresses are installed outside their jurisdiction.
  it('refuses an address bound elsewhere without naming a unit the caller cannot see', async () => {
    const address = 771002;
    assert.equal((await call(otherMaintainer, 'POST', `/api/units/${unitB}/devices`, { address })).status, 201);

    for (const who of [maintainer, supervisor]) {
      const clash = await call(who, 'POST', `/api/units/${unitA}/devices`, { address });
      assert.equal(clash.status, 409);
      const text = JSON.stringify(clash.body);
      assert.doesNotMatch(text, /another unit|玄武乙单位|unit \d/, text);
      assert.doesNotMatch(text, new RegExp(`\\b${unitB}\\b`), text);
    }
    // A caller who can see the other unit is told where it is.
    const seen = await call(admin, 'POST', `/api/units/${unitA}/devices`, { address });
    assert.equal(seen.status, 409);
    assert.match(JSON.stringify(seen.body), new RegExp(`unit ${unitB} \\(玄武乙单位\\)`));
    const row = await peersOf(address);
    assert.equal(row.unit_id, unitB, 'nothing moved');
  });
});
