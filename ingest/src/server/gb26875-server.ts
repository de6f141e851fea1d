// TCP adapter around the codec: thousands of concurrent UITDs on GB26875_PORT.
//
// The wire of one connection (binary or ASCII hex, decoder, garbage budget, backpressure)
// is connection.ts; this file holds the listener's policies (timeouts, who holds which
// address, peer allowlists, per-IP limits) and the downlink API. Frames are handed to the
// store as they arrive; the store keeps each device's frames in arrival order and commits
// them in batches. One peer's failure never touches another's. An upload is confirmed (command 3, serial echoed, addresses swapped) only
// after its events are committed; a bad checksum is denied (command 6). Events are
// published on the bus after commit.
//
// Who holds a device address. The protocol has no authentication, so the listener decides
// which connection speaks for an address: the first connection whose upload (command 2)
// carries it holds it for as long as it stays live (a valid frame within `addressHoldMs`).
// Another peer claiming a held address is refused (`address_held`: denied, kept in
// raw_frames, its connection closed) and never closes the holder; instead the holder is
// challenged (a clock sync, command 1 / type 90, which every UITD confirms): if it sends
// nothing within `challengeMs` it is taken for a dead link (a device that rebooted or lost its
// route leaves a half-open socket here) and closed, so the real device's next reconnect
// gets the address. A peer on the device's allowlist (`peerVouched`) may take the address
// at once. Confirms, answers and denies never claim an address and count only from the holder.
//
// Timeouts are measured in frames, not bytes, so a peer trickling bytes keeps nothing
// open: a connection must hold an address within `firstFrameTimeoutMs`, a frame once begun
// must be complete within `partialFrameTimeoutMs`, and a connection without a valid frame
// for `idleTimeoutMs` is closed.
import { createServer, type Server } from 'node:net';
import type { EventBus, StoredEvent } from '@firelink/common';
import { parseAdu, type AduObject } from '../codec/adu.ts';
import { Command, encodeConfirm, encodeDeny, encodeFrame, type Frame } from '../codec/frame.ts';
import { encodeAdu } from '../codec/adu.ts';
import { isoLocalAt } from '../codec/time-label.ts';
import type { EventStore } from '../store/event-store.ts';
import { DeviceConnection as Connection } from './connection.ts';
import { LatencyRecorder } from './latency.ts';

export interface IngestLogger {
  info: (obj: object, msg?: string) => void;
  warn: (obj: object, msg?: string) => void;
  error: (obj: object, msg?: string) => void;
  debug: (obj: object, msg?: string) => void;
}

const isLoopback = (ip: string) => ip === '::1' || /^(::ffff:)?127\./.test(ip);

const silentLogger: IngestLogger = { info() {}, warn() {}, error() {}, debug() {} };

export interface Gb26875ServerOptions {
  port: number;
  host?: string;
  store: EventStore;
  bus?: EventBus;
  logger?: IngestLogger;
  /** Our own 6-byte address, the destination devices write (monitoring center). Default 0. */
  centerAddress?: number;
  /** Close a connection without a valid frame for this long (ms). Default 10 min (heartbeats are tens of seconds). */
  idleTimeoutMs?: number;
  /** Close a connection that has not claimed a device address (an upload accepted) within this (ms). Default 60 s. */
  firstFrameTimeoutMs?: number;
  /** Close a connection whose frame, once begun, is not complete within this (ms). Default 10 s (a frame is ≤ 1054 bytes). */
  partialFrameTimeoutMs?: number;
  /**
   * A connection holds its device address while it sends a valid frame at least this often
   * (ms); a claim by another peer after that much silence takes the address at once. Default 180 s
   * (DEVICE_OFFLINE_AFTER_S: the same silence makes the device offline).
   */
  addressHoldMs?: number;
  /** How long (ms) a challenged holder has to send any valid frame before it is closed as dead. Default 10 s (the standard's resend timeout). */
  challengeMs?: number;
  /**
   * True when the device's allowlist names this peer: it may take the address over from a
   * live connection at once (PeerPolicy.vouches). Default: nobody (the holder keeps it).
   */
  peerVouched?: (address: number, ip: string) => boolean;
  /** Frames in flight per connection before its socket is paused. Default 32. */
  maxQueuedFrames?: number;
  /** Garbage bytes tolerated per connection without a single valid frame in between. Default 64 KiB. */
  maxGarbageBytes?: number;
  /** Maximum simultaneous connections. Default 20,000. */
  maxConnections?: number;
  /** Sync the device clock (type 90) when a device first speaks on a connection. Default true. */
  clockSyncOnConnect?: boolean;
  /** Called for every frame from a device (health tracking): address and peer. */
  onTraffic?: (address: number, peer: string) => void;
  /** Called when a device confirms one of our commands (command 3 from the device). */
  onDeviceConfirm?: (address: number, serial: number) => void;
  /**
   * Whether a peer IP may speak for a device address (devices.allowed_peers, PeerPolicy).
   * A refused frame is denied, never turned into events (its bytes are kept in raw_frames),
   * and its connection closed. Default: anyone.
   */
  peerAllowed?: (address: number, ip: string) => boolean;
  /** Simultaneous connections from one IP address (0 = no limit, the default). */
  maxConnectionsPerIp?: number;
  /**
   * Peers the per-IP limit does not apply to. Default: loopback (the simulator, benchmarks,
   * or a TLS/TCP proxy on this machine, behind which every device shares one address).
   */
  perIpLimitExempt?: (ip: string) => boolean;
}

export interface Gb26875Server {
  port: number;
  server: Server;
  latency: LatencyRecorder;
  stats: () => {
    connections: number;
    devices: number;
    framesReceived: number;
    framesConfirmed: number;
    framesDenied: number;
    storeErrors: number;
    eventsStored: number;
    /** Frames refused: from a peer not in the device's allowed_peers, or claiming an address a live connection holds. */
    framesRefused: number;
    /** Frames claiming an address a live connection holds (part of framesRefused). */
    addressClaimsRefused: number;
    /** Holders closed because they did not answer a challenge (dead links). */
    holdersReleased: number;
    /** Connections closed by the first-frame or partial-frame timeout. */
    connectionsTimedOut: number;
    /** Connections over the per-IP limit. */
    connectionsRefused: number;
  };
  /** Sends a downlink (command 1 control or 4 request) to a connected device; returns its serial, or null when not connected. */
  send: (address: number, command: number, type: number, objects: AduObject[]) => number | null;
  connectedAddresses: () => number[];
  close: () => Promise<void>;
}

export async function startGb26875Server(opts: Gb26875ServerOptions): Promise<Gb26875Server> {
  const log = opts.logger ?? silentLogger;
  const center = opts.centerAddress ?? 0;
  const idleMs = opts.idleTimeoutMs ?? 10 * 60_000;
  const firstFrameMs = opts.firstFrameTimeoutMs ?? 60_000;
  const partialMs = opts.partialFrameTimeoutMs ?? 10_000;
  const holdMs = opts.addressHoldMs ?? 180_000;
  const challengeMs = opts.challengeMs ?? 10_000;
  const maxQueue = opts.maxQueuedFrames ?? 32;
  const maxGarbage = opts.maxGarbageBytes ?? 64 * 1024;
  const latency = new LatencyRecorder();
  const conns = new Set<Connection>();
  const byAddress = new Map<number, Connection>();
  const counters = {
    framesReceived: 0,
    framesConfirmed: 0,
    framesDenied: 0,
    storeErrors: 0,
    eventsStored: 0,
    framesRefused: 0,
    addressClaimsRefused: 0,
    holdersReleased: 0,
    connectionsRefused: 0,
    connectionsTimedOut: 0,
  };
  const perIpLimit = opts.maxConnectionsPerIp ?? 0;
  const perIp = new Map<string, number>();
  /** Last warning per IP (ms): a flood is logged once a minute, not once a connection. */
  const warnedAt = new Map<string, number>();
  const warnOnce = (key: string, obj: object, msg: string) => {
    const now = Date.now();
    if ((warnedAt.get(key) ?? 0) > now - 60_000) return;
    warnedAt.set(key, now);
    if (warnedAt.size > 10_000) warnedAt.clear();
    log.warn(obj, msg);
  };

  const write = (c: Connection, bytes: Buffer) => c.write(bytes);

  const sendTo = (c: Connection, command: number, type: number, objects: AduObject[]): number => {
    const serial = c.nextSerial;
    c.nextSerial = (c.nextSerial + 1) & 0xffff;
    write(c, encodeFrame({ serial, source: center, destination: c.address ?? 0, command, adu: encodeAdu({ type, objects }) }));
    return serial;
  };

  /** Refuses a frame: never bound, never events; its bytes kept in raw_frames (budgeted by the store), denied, connection closed. */
  const refuse = async (c: Connection, frame: Frame, reason: 'peer_not_allowed' | 'address_held', msg: string): Promise<void> => {
    c.refused = true;
    counters.framesRefused++;
    warnOnce(`${reason} ${c.ip}`, { peer: c.peer, device: frame.source, reason }, msg);
    await opts.store.storeRefusedFrame(frame, c.peer, reason).catch((err: unknown) => log.error({ err, peer: c.peer }, 'refused frame not kept'));
    if (frame.command === Command.sendData) write(c, encodeDeny(frame));
    c.socket.destroySoon();
  };

  /** Releases a connection's address (if it still holds it) and closes it. */
  const drop = (c: Connection) => {
    if (c.address !== null && byAddress.get(c.address) === c) byAddress.delete(c.address);
    c.socket.destroy();
  };

  /**
   * Another peer claimed the address `h` holds: ask `h` to prove it is alive. Any valid frame
   * from it within challengeMs will do (it confirms the clock sync at once; a heartbeat also
   * counts); otherwise its link is taken for dead and it is closed, freeing the address.
   */
  const challenge = (h: Connection) => {
    if (h.challenge) return; // one challenge at a time, however many claims arrive
    const sentAt = Date.now();
    sendTo(h, Command.control, 90, [{ time: isoLocalAt(new Date()) }]);
    h.challenge = setTimeout(() => {
      h.challenge = null;
      if (h.lastFrameAt >= sentAt || h.socket.destroyed) return;
      counters.holdersReleased++;
      log.warn({ peer: h.peer, device: h.address }, 'the connection holding this device address did not answer after another peer claimed it; closed as a dead link (the address is free)');
      drop(h);
    }, challengeMs);
    h.challenge.unref?.();
  };

  const handle = async (c: Connection, frame: Frame, receivedAtNs: bigint): Promise<void> => {
    counters.framesReceived++;
    if (c.refused) return;
    if (opts.peerAllowed && !opts.peerAllowed(frame.source, c.ip)) {
      // A device's address from a peer not on its list: never bind it (the real device's
      // connection stays), never turn it into events; keep the bytes in raw_frames (a real
      // device that changed its IP shows up there), deny, and drop the connection.
      return refuse(c, frame, 'peer_not_allowed', "frame refused: this peer is not in the device's allowed_peers; kept in raw_frames, denied, connection closed");
    }
    if (c.address !== frame.source) {
      // Only an upload claims an address: a bare confirm, answer or deny from a connection
      // that does not hold it is ignored (it must never move a device, nor confirm our commands).
      if (frame.command !== Command.sendData) {
        log.debug({ peer: c.peer, device: frame.source, command: frame.command }, 'frame for an address this connection does not hold; ignored');
        return;
      }
      const holder = byAddress.get(frame.source);
      if (holder && holder !== c && !holder.socket.destroyed && !holder.socket.readableEnded) {
        const live = Date.now() - holder.lastFrameAt < holdMs;
        if (live && !(opts.peerVouched?.(frame.source, c.ip) ?? false)) {
          counters.addressClaimsRefused++;
          challenge(holder);
          return refuse(c, frame, 'address_held', 'frame refused: another live connection holds this device address; kept in raw_frames, denied, connection closed (the holder is challenged and closed if it does not answer)');
        }
        // Silent past the hold window, or the claimant is on the device's allowlist: the old socket is stale.
        drop(holder);
      }
      if (c.address !== null && byAddress.get(c.address) === c) byAddress.delete(c.address);
      c.address = frame.source;
      byAddress.set(frame.source, c);
      if (opts.clockSyncOnConnect ?? true) sendTo(c, Command.control, 90, [{ time: isoLocalAt(new Date()) }]);
    }
    opts.onTraffic?.(frame.source, c.peer);
    switch (frame.command) {
      case Command.sendData:
      case Command.answer: {
        const adu = parseAdu(frame.adu);
        let events: StoredEvent[];
        try {
          const r = await opts.store.storeFrame(frame, adu, c.peer);
          events = r.events;
        } catch (err) {
          // Not durable: no confirm. The device resends; the receipt makes that idempotent.
          counters.storeErrors++;
          log.error({ err, peer: c.peer, device: frame.source, serial: frame.serial }, 'frame not stored; not confirmed (the device will resend)');
          return;
        }
        if (frame.command === Command.sendData) {
          write(c, encodeConfirm(frame));
          counters.framesConfirmed++;
          latency.record(Number(process.hrtime.bigint() - receivedAtNs) / 1e6);
        }
        if (events.length > 0) {
          counters.eventsStored += events.length;
          await opts.bus?.publish(events).catch((err: unknown) => log.error({ err }, 'event publish failed'));
        }
        return;
      }
      case Command.confirm:
        opts.onDeviceConfirm?.(frame.source, frame.serial);
        return;
      case Command.deny:
        log.warn({ peer: c.peer, device: frame.source, serial: frame.serial }, 'device denied a command');
        return;
      default:
        log.debug({ peer: c.peer, command: frame.command }, 'ignored command from device');
    }
  };

  const server = createServer({ noDelay: true }, (socket) => {
    const ip = socket.remoteAddress ?? '';
    const peer = `${ip}:${socket.remotePort}`;
    const open = (perIp.get(ip) ?? 0) + 1;
    if (perIpLimit > 0 && open > perIpLimit && !(opts.perIpLimitExempt ?? isLoopback)(ip)) {
      counters.connectionsRefused++;
      warnOnce(`limit ${ip}`, { peer, limit: perIpLimit }, 'connection refused: too many connections from this address (GB26875_MAX_CONNECTIONS_PER_IP)');
      socket.on('error', () => {});
      socket.destroy();
      return;
    }
    perIp.set(ip, open);
    const c: Connection = new Connection(socket, { maxQueuedFrames: maxQueue, maxGarbageBytes: maxGarbage }, {
      frame: (frame, receivedAtNs) => handle(c, frame, receivedAtNs),
      badChecksum: (header) => {
        write(c, encodeDeny(header));
        counters.framesDenied++;
      },
      garbage: (code, offset, message) => log.debug({ peer, code, offset }, message),
      closedForGarbage: (reason, bytes) => log.warn({ peer, bytes }, reason),
      asciiHex: () => log.info({ peer }, 'device speaks GB/T 26875 as ASCII hex text; replying in kind'),
      handlerFailed: (err) => log.error({ err, peer }, 'frame handler failed; closing the connection'),
    });
    conns.add(c);
    socket.on('error', () => {});
    socket.on('close', () => {
      const left = (perIp.get(ip) ?? 1) - 1;
      if (left > 0) perIp.set(ip, left);
      else perIp.delete(ip);
      conns.delete(c);
      if (c.challenge) clearTimeout(c.challenge);
      if (c.address !== null && byAddress.get(c.address) === c) byAddress.delete(c.address);
    });
  });

  // Timeouts, by one sweep over the connections rather than a timer each (20,000 sockets).
  const sweepMs = Math.max(20, Math.min(1000, Math.min(firstFrameMs, partialMs, idleMs) / 4));
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const c of conns) {
      if (c.socket.destroyed) continue;
      let why: string | null = null;
      if (c.address === null && now - c.openedAt > firstFrameMs) why = 'no device frame within the first-frame timeout (GB26875_FIRST_FRAME_TIMEOUT_S); connection closed';
      else if (c.partialSince !== null && now - c.partialSince > partialMs) why = 'frame not completed within the partial-frame timeout (GB26875_PARTIAL_FRAME_TIMEOUT_S); connection closed';
      if (why) {
        counters.connectionsTimedOut++;
        warnOnce(`timeout ${c.ip}`, { peer: c.peer, device: c.address }, why);
        drop(c);
      } else if (now - Math.max(c.openedAt, c.lastFrameAt) > idleMs) {
        log.info({ peer: c.peer, device: c.address }, 'idle connection closed (no valid frame within GB26875_IDLE_TIMEOUT_S)');
        drop(c);
      }
    }
  }, sweepMs);
  sweep.unref?.();
  server.maxConnections = opts.maxConnections ?? 20_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: opts.port, host: opts.host ?? '0.0.0.0', backlog: 4096 }, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  log.info({ port }, 'GB/T 26875.3 listener started');

  return {
    port,
    server,
    latency,
    stats: () => ({ connections: conns.size, devices: byAddress.size, ...counters }),
    send: (address, command, type, objects) => {
      const c = byAddress.get(address);
      return c ? sendTo(c, command, type, objects) : null;
    },
    connectedAddresses: () => [...byAddress.keys()],
    close: async () => {
      clearInterval(sweep);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const c of conns) c.socket.destroy();
      });
      // Let in-flight handlers finish their transactions.
      for (let i = 0; i < 100 && [...conns].some((c) => c.inflight > 0); i++) await new Promise((r) => setTimeout(r, 10));
    },
  };
}
