// The simulator over real TCP against the real server and PostGIS: sends, confirms,
// heartbeats, duty-check answers; and the `firelink simulate` command's exit path.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { EventStore } from '../store/event-store.ts';
import { startGb26875Server, type Gb26875Server } from '../server/gb26875-server.ts';
import { Fleet } from './fleet.ts';
import { simulateCommand } from '../cli/simulate.ts';

describe('simulated fleet', () => {
  let db: TestDatabase;
  let server: Gb26875Server;

  before(async () => {
    db = await createTestDatabase('ingest_fleet');
    server = await startGb26875Server({ port: 0, host: '127.0.0.1', store: new EventStore(db.pool) });
  });
  after(async () => {
    await server?.close();
    await db?.drop();
  });

  it('runs N devices at a rate, every upload confirmed and stored, with per-unit propensities', async () => {
    const fleet = new Fleet({ port: server.port, units: 20, ratePerS: 200, durationS: 1.5, seed: 7, heartbeatMs: 0, startAddress: 500_000 });
    await fleet.start();
    assert.equal(fleet.report().connected, 20);
    const r = await fleet.finished();
    assert.ok(r.sent >= 250, `sent ${r.sent}`);
    assert.ok(r.confirmed >= r.sent * 0.9, `confirmed ${r.confirmed} of ${r.sent}`);
    assert.equal(r.failed, 0);
    // The server syncs each device's clock (type 90) when it first speaks.
    assert.equal(r.clockSyncs, 20);
    const ev = await db.pool.query(`SELECT count(DISTINCT device_address)::int AS devices, count(*)::int AS n FROM events WHERE device_address BETWEEN 500000 AND 500019 AND kind <> 'unregistered_device'`);
    assert.ok(ev.rows[0].n >= r.confirmed * 0.9, `stored ${ev.rows[0].n}, confirmed ${r.confirmed}`);
    // Heavy-tailed propensities: the noisiest device sends far more than the quietest.
    const per = await db.pool.query(`SELECT count(*)::int AS n FROM events WHERE device_address BETWEEN 500000 AND 500019 GROUP BY device_address ORDER BY n`);
    assert.ok(per.rows.at(-1).n >= 3 * per.rows[0].n, `per-device counts ${per.rows.map((x) => x.n).join(',')}`);
  });

  it('`firelink simulate` exits 1 with a hint when nothing listens', async () => {
    const free = await startGb26875Server({ port: 0, host: '127.0.0.1', store: new EventStore(db.pool) });
    const port = free.port;
    await free.close();
    const code = await simulateCommand(['--units', '1', '--rate', '1', '--port', String(port), '--duration', '1']);
    assert.equal(code, 1);
    assert.equal(await simulateCommand(['--units', 'many']), 1);
  });

  it('`firelink simulate` prints a report and exits 0', async () => {
    const code = await simulateCommand(['--units', '3', '--rate', '20', '--port', String(server.port), '--duration', '1', '--seed', '2', '--start-address', '600000']);
    assert.equal(code, 0);
    const ev = await db.pool.query(`SELECT count(*)::int AS n FROM events WHERE device_address BETWEEN 600000 AND 600002`);
    assert.ok(ev.rows[0].n > 0);
  });

  it('`firelink simulate --ascii-hex 1`: a fleet speaking ASCII hex text is confirmed and stored like binary', async () => {
    const code = await simulateCommand(['--units', '3', '--rate', '20', '--port', String(server.port), '--duration', '1', '--seed', '3', '--start-address', '610000', '--ascii-hex', '1']);
    assert.equal(code, 0);
    const ev = await db.pool.query(`SELECT count(*)::int AS n FROM events WHERE device_address BETWEEN 610000 AND 610002`);
    assert.ok(ev.rows[0].n > 0, 'events stored from hex-speaking devices');
    assert.equal(await simulateCommand(['--units', '1', '--ascii-hex', '2']), 1, 'a share above 1 is refused');
  });
});
