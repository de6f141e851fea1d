// Who holds a device address, by default (no allowlist): the live connection keeps it; a
// second peer is refused and never closes it; a dead holder is found by a challenge. Also
// the frame-based timeouts and the budget of raw frames kept for strangers. Real TCP into a
// real database; other hosts are posed by binding other loopback addresses (127.0.0.x).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { encodeAdu, encodeConfirm, encodeFrame } from '../codec/index.ts';
import { EventStore } from '../store/event-store.ts';
import { startGb26875Server, type Gb26875Server } from './gb26875-server.ts';
import { PeerPolicy } from './peer-policy.ts';
import { RawPeer } from './raw-peer.ts';

const T = '2026-11-29T12:00:00';
const CHALLENGE_MS = 300;
const HOLD_MS = 1500;

const fire = (serial: number, source: number) =>
  encodeFrame({
    serial,
    source,
    destination: 0,
    command: 2,
    adu: encodeAdu({ type: 2, objects: [{ systemType: 1, systemAddress: 1, componentType: 42, componentAddress: 7, status: 0x0003, time: T }] }),
    time: T,
  });
const bareConfirm = (serial: number, source: number) => encodeFrame({ serial, source, destination: 0, command: 3, time: T });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const confirmed = (serial: number) => (f: Array<{ command: number; serial: number }>) => f.some((x) => x.command === 3 && x.serial === serial);

describe('GB/T 26875.3 device addresses: held by the live connection', () => {
  let db: TestDatabase;
  let server: Gb26875Server;
  let policy: PeerPolicy;
  const warnings: string[] = [];
  const deviceConfirms: Array<[number, number]> = [];
  let nextAddress = 0x0000_0c0c_0000;
  let unitId = 0;

  const register = async (allowedPeers: string[] | null = null) => {
    const address = ++nextAddress;
    await db.pool.query(`INSERT INTO devices (unit_id, address, allowed_peers) VALUES ($1, $2, $3::cidr[])`, [unitId, address, allowedPeers]);
    await policy.refresh();
    return address;
  };
  const stored = async (address: number, serial: number) =>
    Number((await db.pool.query(`SELECT count(*)::int AS n FROM events WHERE device_address = $1 AND (payload->>'serial')::int = $2`, [address, serial])).rows[0].n);
  const rawReasons = async (address: number) =>
    (await db.pool.query(`SELECT reason FROM raw_frames WHERE device_address = $1 ORDER BY id`, [address])).rows.map((r) => r.reason as string);

  before(async () => {
    db = await createTestDatabase('ingest_address_hold');
    unitId = Number((await db.pool.query(`INSERT INTO units (name, onboarding_state) VALUES ('占用测试', 'open') RETURNING id`)).rows[0].id);
    policy = new PeerPolicy(db.pool);
    await policy.start();
    server = await startGb26875Server({
      port: 0,
      host: '127.0.0.1',
      store: new EventStore(db.pool, { rawFrameBudget: { perAddress: 3, perPeer: 5, perPeerExempt: () => false } }),
      logger: { info() {}, debug() {}, error() {}, warn: (_o: object, msg?: string) => void warnings.push(msg ?? '') },
      clockSyncOnConnect: false,
      peerAllowed: (a, ip) => policy.allows(a, ip),
      peerVouched: (a, ip) => policy.vouches(a, ip),
      onDeviceConfirm: (address, serial) => void deviceConfirms.push([address, serial]),
      addressHoldMs: HOLD_MS,
      challengeMs: CHALLENGE_MS,
      firstFrameTimeoutMs: 400,
      partialFrameTimeoutMs: 300,
      idleTimeoutMs: 60_000,
    });
  });

  after(async () => {
    await policy?.stop();
    await server?.close();
    await db?.drop();
  });

  // Bug guarded: any peer that wrote a registered address took the device over (the real
  // device's connection was closed and the impostor's frames became events).
  it('refuses a second peer for a live device (address_held): denied, kept raw, no events, the device keeps its connection', async () => {
    const D = await register();
    const device = await RawPeer.open(server.port, '127.0.0.2');
    device.socket.write(fire(1, D));
    await device.waitFor(confirmed(1));

    const impostor = await RawPeer.open(server.port, '127.0.0.3');
    impostor.socket.write(fire(2, D));
    await impostor.waitClosed();
    assert.deepEqual(impostor.frames.map((f) => [f.command, f.serial]), [[6, 2]], 'one deny, no confirm');
    assert.equal(await stored(D, 2), 0, 'the impostor\'s frame is no event');
    assert.deepEqual(await rawReasons(D), ['address_held'], 'its bytes are kept for investigation');
    assert.ok(warnings.some((w) => /another live connection holds this device address/.test(w)));

    // The holder is challenged with a clock sync and answers it, as a live UITD does.
    await device.waitFor((f) => f.some((x) => x.command === 1));
    const challenge = device.frames.find((x) => x.command === 1)!;
    device.socket.write(encodeConfirm(challenge));
    await sleep(CHALLENGE_MS * 2);
    assert.equal(device.closed, false, 'the real device keeps its connection');
    assert.ok(server.connectedAddresses().includes(D));
    device.socket.write(fire(3, D));
    await device.waitFor(confirmed(3));
    assert.equal(await stored(D, 3), 1);
    assert.equal(server.stats().addressClaimsRefused, 1);
    device.socket.destroy();
  });

  // Bug guarded: a bare confirm (or a malformed frame) for a registered address kicked the real device.
  it('never moves an address on a bare confirm or a malformed frame, and takes confirms only from the holder', async () => {
    const D = await register();
    const device = await RawPeer.open(server.port, '127.0.0.4');
    device.socket.write(fire(1, D));
    await device.waitFor(confirmed(1));

    const other = await RawPeer.open(server.port, '127.0.0.5');
    const bad = fire(9, D);
    bad.writeUInt8(bad.readUInt8(bad.length - 3) ^ 0xff, bad.length - 3); // checksum byte
    other.socket.write(Buffer.concat([bareConfirm(77, D), bad, bareConfirm(78, D)]));
    await sleep(200);
    assert.equal(device.closed, false, 'the real device keeps its connection');
    assert.deepEqual(deviceConfirms.filter(([a]) => a === D), [], 'a confirm from a connection that does not hold the address confirms nothing');
    device.socket.write(fire(2, D));
    await device.waitFor(confirmed(2));
    assert.equal(await stored(D, 9), 0);
    // It never held an address: the first-frame timeout closes it.
    await other.waitClosed(2000);
    device.socket.destroy();
  });

  it('closes a holder that does not answer the challenge (a dead link); the device reconnecting then gets its address', async () => {
    const D = await register();
    const stale = await RawPeer.open(server.port, '127.0.0.6'); // answers nothing from now on, like a half-open socket
    stale.socket.write(fire(1, D));
    await stale.waitFor(confirmed(1));

    const device = await RawPeer.open(server.port, '127.0.0.7');
    device.socket.write(fire(2, D));
    await device.waitClosed();
    assert.deepEqual(device.frames.map((f) => f.command), [6], 'refused while the old connection may still be the device');
    await stale.waitClosed(CHALLENGE_MS + 2000);
    assert.equal(server.stats().holdersReleased >= 1, true);

    const again = await RawPeer.open(server.port, '127.0.0.7');
    again.socket.write(fire(2, D)); // the device's resend
    await again.waitFor(confirmed(2));
    assert.equal(await stored(D, 2), 1);
    again.socket.destroy();
  });

  it('gives the address at once to a claimant when the holder has been silent past the hold window', async () => {
    const D = await register();
    const quiet = await RawPeer.open(server.port, '127.0.0.8');
    quiet.socket.write(fire(1, D));
    await quiet.waitFor(confirmed(1));
    await sleep(HOLD_MS + 100);
    const device = await RawPeer.open(server.port, '127.0.0.9');
    device.socket.write(fire(2, D));
    await device.waitFor(confirmed(2));
    await quiet.waitClosed();
    device.socket.destroy();
  });

  it('lets a peer on the device\'s allowlist take the address over at once', async () => {
    const D = await register(['127.0.0.10/31']);
    const first = await RawPeer.open(server.port, '127.0.0.10');
    first.socket.write(fire(1, D));
    await first.waitFor(confirmed(1));
    const second = await RawPeer.open(server.port, '127.0.0.11');
    second.socket.write(fire(2, D));
    await second.waitFor(confirmed(2));
    await first.waitClosed();
    second.socket.destroy();
  });

  // Bug guarded: the only timer was the 600 s idle timeout, reset by every byte, so a peer
  // trickling bytes (or sending nothing) held a connection for as long as it liked.
  it('closes a connection without a device frame within the first-frame timeout, even while it trickles bytes', async () => {
    const silent = await RawPeer.open(server.port, '127.0.0.12');
    const trickle = await RawPeer.open(server.port, '127.0.0.13');
    const t = setInterval(() => trickle.socket.write(Buffer.from([0x00])), 50);
    try {
      await silent.waitClosed(2000);
      await trickle.waitClosed(2000);
    } finally {
      clearInterval(t);
    }
  });

  it('closes a connection whose frame, once begun, does not complete within the partial-frame timeout', async () => {
    const D = await register();
    const idle = await RawPeer.open(server.port, '127.0.0.14');
    const D2 = await register();
    const slow = await RawPeer.open(server.port, '127.0.0.15');
    idle.socket.write(fire(1, D));
    slow.socket.write(fire(1, D2));
    await idle.waitFor(confirmed(1));
    await slow.waitFor(confirmed(1));
    // One byte every 100 ms: each one used to reset the idle timer.
    const bytes = fire(2, D2);
    let i = 0;
    const t = setInterval(() => {
      if (i < bytes.length - 1) slow.socket.write(bytes.subarray(i, ++i));
    }, 100);
    try {
      await slow.waitClosed(2000);
    } finally {
      clearInterval(t);
    }
    assert.equal(await stored(D2, 2), 0);
    assert.equal(idle.closed, false, 'a device between frames is idle, not partial: it stays');
    idle.socket.destroy();
  });

  // Bug guarded: frames of unregistered addresses were all kept (90 days) with no limit.
  it('keeps raw frames of unregistered addresses within a budget per address and per peer, and still counts them all', async () => {
    const U1 = 0x0000_0d0d_0001;
    const U2 = 0x0000_0d0d_0002;
    const U3 = 0x0000_0d0d_0003;
    const peer = await RawPeer.open(server.port, '127.0.0.20');
    for (let s = 1; s <= 6; s++) peer.socket.write(fire(s, U1));
    await peer.waitFor((f) => f.filter((x) => x.command === 3).length === 6);
    peer.socket.destroy();
    const peer2 = await RawPeer.open(server.port, '127.0.0.20');
    for (let s = 1; s <= 4; s++) peer2.socket.write(fire(s, U2));
    await peer2.waitFor((f) => f.filter((x) => x.command === 3).length === 4, 5000);
    peer2.socket.destroy();
    const elsewhere = await RawPeer.open(server.port, '127.0.0.21');
    elsewhere.socket.write(fire(1, U3));
    await elsewhere.waitFor(confirmed(1));
    elsewhere.socket.destroy();

    const raw = async (a: number) => Number((await db.pool.query(`SELECT count(*)::int AS n FROM raw_frames WHERE device_address = $1`, [a])).rows[0].n);
    assert.equal(await raw(U1), 3, 'per address: 3');
    assert.equal(await raw(U2), 2, 'per peer: 5 in all from 127.0.0.20');
    assert.equal(await raw(U3), 1, 'another peer has its own budget');
    const seen = await db.pool.query(`SELECT device_address, frames FROM ingest_unregistered_devices WHERE device_address = ANY($1::bigint[]) ORDER BY 1`, [[U1, U2, U3]]);
    assert.deepEqual(seen.rows.map((r) => [Number(r.device_address), Number(r.frames)]), [[U1, 6], [U2, 4], [U3, 1]], 'every frame is still counted');
  });
});
