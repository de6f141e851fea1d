// The database goes away under a running center (a TCP proxy in front of PostgreSQL cuts
// every connection and refuses new ones): frames are not confirmed while nothing can be
// stored, the process and its device connections stay up, and when the database is back
// the device's own resends are stored exactly once and confirmed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { PG_CONNECTION_OPTIONS } from '@firelink/common';
import { createTestDatabase, startCutProxy, type TestDatabase } from '@firelink/common/testing';
import { EventStore } from '../store/event-store.ts';
import { startGb26875Server, type Gb26875Server } from './gb26875-server.ts';
import { SimulatedUitd } from '../sim/simulated-uitd.ts';

const DEVICE = 0x0000_0a0b_0c0d;
const POINT = 0x0002_0031;

describe('GB/T 26875.3 server while the database is down', () => {
  let db: TestDatabase;
  let proxy: Awaited<ReturnType<typeof startCutProxy>>;
  let pool: pg.Pool;
  let server: Gb26875Server;
  const errors: string[] = [];

  before(async () => {
    db = await createTestDatabase('ingest_db_outage');
    const unit = await db.pool.query(`INSERT INTO units (name, onboarding_state, point) VALUES ('断库测试', 'open', ST_SetSRID(ST_MakePoint(118.78, 32.05), 4326)) RETURNING id`);
    const dev = await db.pool.query(`INSERT INTO devices (unit_id, address) VALUES ($1, $2) RETURNING id`, [unit.rows[0].id, DEVICE]);
    const sys = await db.pool.query(`INSERT INTO facility_systems (device_id, system_type, system_address) VALUES ($1, 1, 1) RETURNING id`, [dev.rows[0].id]);
    await db.pool.query(`INSERT INTO points (unit_id, system_id, component_type, component_address, floor) VALUES ($1, $2, 42, $3, 2)`, [unit.rows[0].id, sys.rows[0].id, POINT]);
    const url = new URL(db.url);
    proxy = await startCutProxy(Number(url.port || 5432), url.hostname);
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    // As the backend's pool (backend/src/db/pool.ts): an idle client's error must not crash us.
    pool = new pg.Pool({ connectionString: url.href, max: 4, options: PG_CONNECTION_OPTIONS, connectionTimeoutMillis: 2000 });
    pool.on('error', () => {});
    const logger = { info() {}, debug() {}, warn() {}, error: (_o: object, msg?: string) => void errors.push(msg ?? '') };
    server = await startGb26875Server({ port: 0, host: '127.0.0.1', store: new EventStore(pool), logger, clockSyncOnConnect: false });
  });

  after(async () => {
    await server?.close();
    await pool?.end();
    await proxy?.close();
    await db?.drop();
  });

  it('confirms nothing while the database is unreachable, then stores the resend once and confirms it', async () => {
    const uitd = new SimulatedUitd({ port: server.port, host: '127.0.0.1', address: DEVICE, resendAfterMs: 800, maxResends: 20 });
    await uitd.connect();
    try {
      // Warm: the path works through the proxy.
      const first = await uitd.sendFault({ componentAddress: POINT, componentType: 42 });
      assert.equal(first.denied, false);

      proxy.cut();
      const cutAt = Date.now();
      const fire = uitd.sendFire({ componentAddress: POINT, componentType: 42, description: '二层烟感' });
      let confirmedAt = 0;
      void fire.then(() => (confirmedAt = Date.now()), () => {});
      await new Promise((r) => setTimeout(r, 3000));
      assert.equal(confirmedAt, 0, 'nothing was confirmed while nothing could be stored');
      assert.ok(errors.some((m) => /not stored; not confirmed/.test(m)), `the failure is logged: ${JSON.stringify(errors)}`);
      assert.ok(uitd.stats.resends >= 2, `the device resent (${uitd.stats.resends})`);

      proxy.restore();
      const r = await fire;
      assert.equal(r.denied, false);
      assert.ok(confirmedAt - cutAt >= 3000, 'confirmed only after the database came back');
      const rows = await db.pool.query(`SELECT kind, description FROM events WHERE device_address = $1 AND kind = 'fire'`, [DEVICE]);
      assert.deepEqual(rows.rows, [{ kind: 'fire', description: '二层烟感' }], 'stored exactly once despite the resends');

      // Later traffic on the same connection flows as before.
      const after = await uitd.sendNormal({ componentAddress: POINT, componentType: 42 });
      assert.equal(after.denied, false);
      const n = await db.pool.query(`SELECT count(*)::int AS n FROM events WHERE device_address = $1`, [DEVICE]);
      assert.ok(n.rows[0].n >= 3, `fault, fire and their clears stored (${n.rows[0].n})`);
    } finally {
      uitd.close();
    }
  });
});
