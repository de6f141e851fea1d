// TCP adapter around the codec: thousands of concurrent UITDs on GB26875_PORT.
//
// A connection speaks binary frames, or (some vendors) the same frames as ASCII hex text:
// told apart by its first bytes, and answered in kind.
// Per connection: a FrameDecoder, a bound on frames in flight (the socket is paused while
// it is reached, so a flooding peer is slowed, not buffered), an idle timeout and a
// garbage budget. Frames are handed to the store as they arrive; the store keeps each
// device's frames in arrival order and commits them in batches. One peer's failure never touches
// another's. An upload is confirmed (command 3, serial echoed, addresses swapped) only
// after its events are committed; a bad checksum is denied (command 6). Events are
// published on the bus after commit.
import { createServer, type Server, type Socket } from 'node:net';
import type { EventBus, StoredEvent } from '@firelink/common';
import { parseAdu, type AduObject } from '../codec/adu.ts';
import { DecodeError } from '../codec/errors.ts';
import { FrameDecoder } from '../codec/frame-decoder.ts';
import { AsciiHexFramer, detectWireFormat, toAsciiHex } from '../codec/ascii-hex.ts';
import { Command, encodeConfirm, encodeDeny, encodeFrame, type Frame } from '../codec/frame.ts';
import { encodeAdu } from '../codec/adu.ts';
import { isoLocalAt } from '../codec/time-label.ts';
import type { EventStore } from '../store/event-store.ts';
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
  /** Close a connection silent for this long (ms). Default 10 min (heartbeats are tens of seconds). */
  idleTimeoutMs?: number;
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

interface Connection {
  socket: Socket;
  /** ip:port */
  peer: string;
  ip: string;
  decoder: FrameDecoder;
  inflight: number;
  address: number | null;
  garbageBytes: number;
  nextSerial: number;
  paused: boolean;
  /** A frame was refused (peer not allowed): nothing more is read from this connection. */
  refused?: boolean;
  /** How the device speaks: decided from its first bytes (null until then). */
  wire: 'binary' | 'ascii-hex' | null;
  /** First bytes held until the wire format is known. */
  head: Buffer;
  /** Set for ASCII-hex devices: text in, and our replies out, as hex digits. */
  hex?: AsciiHexFramer;
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
    /** Frames from a peer not in the device's allowed_peers. */
    framesRefused: number;
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
  const maxQueue = opts.maxQueuedFrames ?? 32;
  const maxGarbage = opts.maxGarbageBytes ?? 64 * 1024;
  const latency = new LatencyRecorder();
  const conns = new Set<Connection>();
  const byAddress = new Map<number, Connection>();
  const counters = { framesReceived: 0, framesConfirmed: 0, framesDenied: 0, storeErrors: 0, eventsStored: 0, framesRefused: 0, connectionsRefused: 0 };
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

  const write = (c: Connection, bytes: Buffer) => {
    if (!c.socket.destroyed && c.socket.writable) c.socket.write(c.hex ? toAsciiHex(bytes) : bytes);
  };

  const sendTo = (c: Connection, command: number, type: number, objects: AduObject[]): number => {
    const serial = c.nextSerial;
    c.nextSerial = (c.nextSerial + 1) & 0xffff;
    write(c, encodeFrame({ serial, source: center, destination: c.address ?? 0, command, adu: encodeAdu({ type, objects }) }));
    return serial;
  };

  const handle = async (c: Connection, frame: Frame, receivedAtNs: bigint): Promise<void> => {
    counters.framesReceived++;
    if (c.refused) return;
    if (opts.peerAllowed && !opts.peerAllowed(frame.source, c.ip)) {
      // A device's address from a peer not on its list: never bind it (the real device's
      // connection stays), never turn it into events; keep the bytes in raw_frames (a real
      // device that changed its IP shows up there), deny, and drop the connection.
      c.refused = true;
      counters.framesRefused++;
      warnOnce(`refused ${c.ip}`, { peer: c.peer, device: frame.source }, 'frame refused: this peer is not in the device\'s allowed_peers; kept in raw_frames, denied, connection closed');
      await opts.store.storeRefusedFrame(frame, c.peer, 'peer_not_allowed').catch((err: unknown) => log.error({ err, peer: c.peer }, 'refused frame not kept'));
      if (frame.command === Command.sendData) write(c, encodeDeny(frame));
      c.socket.destroySoon();
      return;
    }
    if (c.address !== frame.source) {
      if (c.address !== null && byAddress.get(c.address) === c) byAddress.delete(c.address);
      c.address = frame.source;
      const old = byAddress.get(frame.source);
      if (old && old !== c) old.socket.destroy(); // the device reconnected; the old socket is stale
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
    const c: Connection = { socket, peer, ip, decoder: new FrameDecoder(), inflight: 0, address: null, garbageBytes: 0, nextSerial: 0, paused: false, wire: null, head: Buffer.alloc(0) };
    conns.add(c);
    socket.setTimeout(idleMs, () => {
      log.info({ peer, device: c.address }, 'idle connection closed');
      socket.destroy();
    });
    socket.on('data', (data: Buffer) => {
      if (c.refused) return;
      const now = process.hrtime.bigint();
      let chunk = data;
      if (c.wire === null) {
        // Binary frames or a vendor's ASCII hex text: told apart by the first bytes.
        c.head = Buffer.concat([c.head, data]);
        const wire = detectWireFormat(c.head) ?? (c.head.length > 64 ? 'binary' : null);
        if (wire === null) return;
        c.wire = wire;
        chunk = c.head;
        c.head = Buffer.alloc(0);
        if (wire === 'ascii-hex') {
          c.hex = new AsciiHexFramer();
          log.info({ peer }, 'device speaks GB/T 26875 as ASCII hex text; replying in kind');
        }
      }
      if (c.hex) {
        const r = c.hex.push(chunk);
        chunk = r.bytes;
        c.garbageBytes += r.garbage;
        if (c.garbageBytes > maxGarbage) {
          log.warn({ peer, bytes: c.garbageBytes }, 'too many characters that are not hex digits; closing the connection');
          socket.destroy();
          return;
        }
      }
      for (const item of c.decoder.push(chunk)) {
        if (item instanceof DecodeError) {
          if (item.code === 'checksum' && item.header) {
            write(c, encodeDeny(item.header));
            counters.framesDenied++;
          }
          c.garbageBytes += item.bytes.length;
          log.debug({ peer, code: item.code, offset: item.offset }, item.message);
          if (c.garbageBytes > maxGarbage) {
            log.warn({ peer, bytes: c.garbageBytes }, 'too many undecodable bytes; closing the connection');
            socket.destroy();
            return;
          }
          continue;
        }
        c.garbageBytes = 0;
        c.inflight++;
        handle(c, item, now)
          .catch((err: unknown) => {
            log.error({ err, peer: c.peer }, 'frame handler failed; closing the connection');
            socket.destroy();
          })
          .finally(() => {
            c.inflight--;
            if (c.paused && c.inflight <= maxQueue / 2) {
              c.paused = false;
              socket.resume();
            }
          });
      }
      if (c.inflight >= maxQueue && !c.paused) {
        c.paused = true;
        socket.pause();
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      const left = (perIp.get(ip) ?? 1) - 1;
      if (left > 0) perIp.set(ip, left);
      else perIp.delete(ip);
      conns.delete(c);
      if (c.address !== null && byAddress.get(c.address) === c) byAddress.delete(c.address);
    });
  });
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
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const c of conns) c.socket.destroy();
      });
      // Let in-flight handlers finish their transactions.
      for (let i = 0; i < 100 && [...conns].some((c) => c.inflight > 0); i++) await new Promise((r) => setTimeout(r, 10));
    },
  };
}
