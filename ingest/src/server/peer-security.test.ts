// Who may speak for a device: devices.allowed_peers (PeerPolicy) and the per-IP connection
// limit, over real TCP into a real database. Other hosts are posed by binding other
// loopback addresses (127.0.0.2, 127.0.0.3 …: all of 127/8 is loopback on Linux).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { encodeAdu, encodeFrame } from '../codec/index.ts';
import { EventStore } from '../store/event-store.ts';
import { startGb26875Server, type Gb26875Server } from './gb26875-server.ts';
import { PeerPolicy } from './peer-policy.ts';
import { RawPeer } from './raw-peer.ts';

const GUARDED = 0x0000_0b0b_0001;
const OPEN = 0x0000_0b0b_0002;
const T = '2026-11-29T11:00:00';

const fire = (serial: number, source: number) =>
  encodeFrame({
    serial,
    source,
    destination: 0,
    command: 2,
    adu: encodeAdu({ type: 2, objects: [{ systemType: 1, systemAddress: 1, componentType: 42, componentAddress: 7, status: 0x0003, time: T }] }),
    time: T,
  });

describe('GB/T 26875.3 peers: allowlists and per-IP limits', () => {
  let db: TestDatabase;
  let server: Gb26875Server;
  let policy: PeerPolicy;
  const warnings: string[] = [];

  before(async () => {
    db = await createTestDatabase('ingest_peers');
    const unit = await db.pool.query(`INSERT INTO units (name, onboarding_state) VALUES ('白名单测试', 'open') RETURNING id`);
    await db.pool.query(`INSERT INTO devices (unit_id, address, allowed_peers) VALUES ($1, $2, '{127.0.0.2/32}'), ($1, $3, NULL)`, [unit.rows[0].id, GUARDED, OPEN]);
    policy = new PeerPolicy(db.pool);
    await policy.start();
    const logger = { info() {}, debug() {}, error() {}, warn: (_o: object, msg?: string) => void warnings.push(msg ?? '') };
    server = await startGb26875Server({
      port: 0,
      host: '127.0.0.1',
      store: new EventStore(db.pool),
      logger,
      clockSyncOnConnect: false,
      peerAllowed: (a, ip) => policy.allows(a, ip),
      maxConnectionsPerIp: 3,
      // The test's "hosts" are loopback addresses, which the limit exempts by default.
      perIpLimitExempt: () => false,
    });
  });

  after(async () => {
    await policy?.stop();
    await server?.close();
    await db?.drop();
  });

  const stored = async (serial: number) =>
    Number((await db.pool.query(`SELECT count(*)::int AS n FROM events WHERE (payload->>'serial')::int = $1`, [serial])).rows[0].n);

  it('accepts a guarded device from its allowed address; refuses an impostor without disturbing it', async () => {
    const device = await RawPeer.open(server.port, '127.0.0.2');
    device.socket.write(fire(1, GUARDED));
    await device.waitFor((f) => f.some((x) => x.command === 3 && x.serial === 1));
    assert.equal(await stored(1), 1);

    // Someone on 127.0.0.1 claims the same address: denied, not stored, disconnected.
    const impostor = await RawPeer.open(server.port, '127.0.0.1');
    // Its refused frame and one right behind it in the same write (for an unguarded address).
    impostor.socket.write(Buffer.concat([fire(2, GUARDED), fire(8, OPEN)]));
    await impostor.waitClosed();
    assert.deepEqual(impostor.frames.map((f) => [f.command, f.serial]), [[6, 2]], 'one deny, no confirm');
    assert.equal(await stored(2), 0);
    assert.equal(await stored(8), 0, 'nothing more is read from a refused connection');
    const raw = await db.pool.query(`SELECT reason, device_address FROM raw_frames WHERE reason = 'peer_not_allowed'`);
    assert.deepEqual(raw.rows.map((r) => [r.reason, Number(r.device_address)]), [['peer_not_allowed', GUARDED]], 'the refused frame is kept for investigation');
    assert.ok(warnings.some((w) => /allowed_peers/.test(w)));
    assert.equal(server.stats().framesRefused, 1);

    // The real device kept its connection and its binding.
    assert.equal(device.closed, false);
    assert.ok(server.connectedAddresses().includes(GUARDED));
    device.socket.write(fire(3, GUARDED));
    await device.waitFor((f) => f.some((x) => x.command === 3 && x.serial === 3));
    assert.equal(await stored(3), 1);
    device.socket.destroy();

    // A device without a list still accepts any peer.
    const other = await RawPeer.open(server.port, '127.0.0.1');
    other.socket.write(fire(4, OPEN));
    await other.waitFor((f) => f.some((x) => x.command === 3 && x.serial === 4));
    other.socket.destroy();
  });

  it('picks up a changed allowlist at once (NOTIFY from the devices table), without waiting for the timer', async () => {
    assert.equal(policy.allows(GUARDED, '127.0.0.1'), false);
    await db.pool.query(`UPDATE devices SET allowed_peers = '{127.0.0.0/8}' WHERE address = $1`, [GUARDED]);
    const t0 = Date.now();
    while (!policy.allows(GUARDED, '127.0.0.1')) {
      assert.ok(Date.now() - t0 < 3000, 'reloaded within 3 s (the timer is 30 s)');
      await new Promise((r) => setTimeout(r, 20));
    }
    const now = await RawPeer.open(server.port, '127.0.0.1');
    now.socket.write(fire(5, GUARDED));
    await now.waitFor((f) => f.some((x) => x.command === 3 && x.serial === 5));
    now.socket.destroy();
  });

  it('listens again when its connection is killed, and stops cleanly', async () => {
    const p = new PeerPolicy(db.pool, { refreshMs: 3600_000, relistenMs: 100 });
    await p.start();
    const killed = await db.pool.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN firelink_devices_changed%' AND pid <> pg_backend_pid()`,
    );
    assert.ok(killed.rows.length >= 1, 'a LISTEN connection was found and killed');
    await new Promise((r) => setTimeout(r, 400)); // past relistenMs
    assert.equal(p.allows(OPEN, '127.0.0.1'), true);
    await db.pool.query(`UPDATE devices SET allowed_peers = '{10.0.0.0/8}' WHERE address = $1`, [OPEN]);
    const t0 = Date.now();
    while (p.allows(OPEN, '127.0.0.1')) {
      assert.ok(Date.now() - t0 < 3000, 'notified on the new connection');
      await new Promise((r) => setTimeout(r, 20));
    }
    await p.stop();
    await db.pool.query(`UPDATE devices SET allowed_peers = NULL WHERE address = $1`, [OPEN]);
    // The suite's own policy lost its connection too (it listens again within 5 s and then
    // catches up); bring it in step now for the next test.
    await policy.refresh();
  });

  it('closes connections over the per-IP limit at once; other addresses are not affected', async () => {
    const mine = await Promise.all([1, 2, 3].map(() => RawPeer.open(server.port, '127.0.0.5')));
    const fourth = await RawPeer.open(server.port, '127.0.0.5');
    await fourth.waitClosed();
    assert.equal(server.stats().connectionsRefused, 1);
    assert.ok(warnings.some((w) => /too many connections/.test(w)));
    const elsewhere = await RawPeer.open(server.port, '127.0.0.6');
    elsewhere.socket.write(fire(6, OPEN));
    await elsewhere.waitFor((f) => f.some((x) => x.command === 3 && x.serial === 6));
    // Closing one frees a place. (`elsewhere` hangs up too: while it lives it holds OPEN.)
    mine[0]!.socket.destroy();
    elsewhere.socket.destroy();
    await mine[0]!.waitClosed();
    await new Promise((r) => setTimeout(r, 50));
    const again = await RawPeer.open(server.port, '127.0.0.5');
    again.socket.write(fire(7, OPEN));
    await again.waitFor((f) => f.some((x) => x.command === 3 && x.serial === 7));
    for (const p of [...mine, again]) p.socket.destroy();
  });
});
