// The ingest feature inside the real server: an ephemeral GB/T 26875 port under PORT=0,
// committed events reach ctx.bus, and last-seen times reach the devices table.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { StoredEvent } from '@firelink/common';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { SimulatedUitd, type Gb26875Server } from '@firelink/ingest';
import { busProbe, startTestServer, type TestServer } from '../devtools/test-support.ts';
import { ingestFeature, type IngestFeatureOptions } from './feature.ts';

describe('ingest feature', () => {
  let db: TestDatabase;
  let server: TestServer;
  let gbPort = 0;
  const seen: StoredEvent[] = [];
  const probe = busProbe(seen);

  before(async () => {
    db = await createTestDatabase('ingest_feature');
    const u = await db.pool.query(`INSERT INTO units (name, onboarding_state) VALUES ('单位', 'open') RETURNING id`);
    await db.pool.query(`INSERT INTO devices (unit_id, address) VALUES ($1, 777001)`, [u.rows[0].id]);
    server = await startTestServer(db.url, [probe, ingestFeature({ onStarted: (h) => (gbPort = h.port) })], {
      env: { FIRELINK_DEMO: '1', FIRELINK_SIM_UNITS: '5' },
    });
  });

  after(async () => {
    await server?.close();
    await db?.drop();
  });

  it('listens on an ephemeral port under PORT=0, confirms, publishes and tracks the device', async () => {
    assert.ok(gbPort > 0 && gbPort !== 9030, `port ${gbPort}`);
    const uitd = new SimulatedUitd({ port: gbPort, address: 777001 });
    await uitd.connect();
    const r = await uitd.sendFire({ componentAddress: 3 });
    assert.equal(r.denied, false);
    uitd.close();
    const fire = seen.find((e) => e.kind === 'fire');
    assert.ok(fire, `kinds seen: ${seen.map((e) => e.kind).join(',')}`);
    assert.equal(fire.deviceAddress, 777001);
    assert.ok(fire.unitId !== null);
    // No demo fleet under PORT=0: the only traffic is ours.
    assert.deepEqual([...new Set(seen.map((e) => e.deviceAddress))], [777001]);
    await server.close(); // stop() flushes device health
    const d = await db.pool.query(`SELECT online, last_seen_at FROM devices WHERE address = 777001`);
    assert.equal(d.rows[0].online, true);
    assert.ok(d.rows[0].last_seen_at instanceof Date);
  });
});

describe('ingest feature demo fleet', () => {
  let db: TestDatabase;

  before(async () => {
    db = await createTestDatabase('ingest_demo_fleet');
    const { seedDemoSubset } = await import('@firelink/geodata');
    await seedDemoSubset(db.pool, { units: 8, unitsPerOtherCity: 0 });
  });
  after(async () => {
    await db?.drop();
  });

  it('drives the registered demo devices over TCP; their events carry unit and region', async () => {
    const server = await startTestServer(db.url, [ingestFeature({ demoFleet: true })], { env: { FIRELINK_DEMO: '1', FIRELINK_SIM_UNITS: '5' } });
    try {
      const until = Date.now() + 10_000;
      let rows: Array<{ device_address: number; unit_id: number | null; region_adcode: number | null }> = [];
      while (Date.now() < until) {
        rows = (await db.pool.query(`SELECT DISTINCT device_address, unit_id, region_adcode FROM events WHERE source = 'gb26875'`)).rows;
        if (rows.length >= 5) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(rows.length, 5, `devices with events: ${rows.length}`);
      for (const r of rows) {
        assert.ok(r.unit_id !== null, `device ${r.device_address} has no unit`);
        assert.ok(r.region_adcode !== null, `device ${r.device_address} has no region`);
      }
    } finally {
      await server.close();
    }
    const online = await db.pool.query(`SELECT count(*)::int AS n FROM devices WHERE online`);
    assert.equal(online.rows[0].n, 5);
  });
});

// Bug guarded: with the default configuration any peer that wrote a registered address took
// the device over (its connection closed, the impostor's frames became events).
describe('ingest feature: a registered device is not taken over by default', () => {
  let db: TestDatabase;
  let server: TestServer;
  let gbPort = 0;
  let stats: () => ReturnType<Gb26875Server['stats']> = () => {
    throw new Error('listener not started');
  };

  before(async () => {
    db = await createTestDatabase('ingest_feature_hold');
    const u = await db.pool.query(`INSERT INTO units (name, onboarding_state) VALUES ('单位', 'open') RETURNING id`);
    await db.pool.query(`INSERT INTO devices (unit_id, address) VALUES ($1, 777002)`, [u.rows[0].id]);
    const onStarted: IngestFeatureOptions['onStarted'] = (h) => {
      gbPort = h.port;
      stats = () => h.server.stats();
    };
    server = await startTestServer(db.url, [ingestFeature({ onStarted })], { env: { FIRELINK_DEMO: '0', DUTY_CHECKS_PER_SHIFT: '0' } });
  });

  after(async () => {
    await server?.close();
    await db?.drop();
  });

  it('denies a second peer writing the address of a live device; the device keeps its connection and its frames', async () => {
    const device = new SimulatedUitd({ port: gbPort, address: 777002 });
    await device.connect();
    assert.equal((await device.sendFire({ componentAddress: 1 })).denied, false);
    const impostor = new SimulatedUitd({ port: gbPort, address: 777002, maxResends: 0 });
    await impostor.connect();
    assert.equal((await impostor.sendFire({ componentAddress: 2 })).denied, true);
    impostor.close();
    assert.equal(device.connected, true);
    assert.equal((await device.sendFire({ componentAddress: 3 })).denied, false);
    device.close();
    const rows = await db.pool.query(`SELECT component_address FROM events WHERE device_address = 777002 AND kind = 'fire' ORDER BY id`);
    assert.deepEqual(rows.rows.map((r) => Number(r.component_address)), [1, 3]);
    const raw = await db.pool.query(`SELECT reason FROM raw_frames WHERE device_address = 777002`);
    assert.deepEqual(raw.rows.map((r) => r.reason), ['address_held']);
    assert.equal(stats().addressClaimsRefused, 1);
  });
});
