// One device's TCP connection, at the wire: which format it speaks (binary frames, or the
// same frames as ASCII hex text, told apart by its first bytes and answered in kind), the
// frame decoder, the garbage budget (undecodable bytes without a valid frame in between),
// the partial-frame clock, and backpressure (frames in flight past a bound pause the socket,
// so a flooding peer is slowed, not buffered). Who the connection speaks for — address
// holding, peer policy, timeouts — is the listener's (gb26875-server.ts).
import type { Socket } from 'node:net';
import { AsciiHexFramer, detectWireFormat, toAsciiHex } from '../codec/ascii-hex.ts';
import { DecodeError, type FrameHeaderInfo } from '../codec/errors.ts';
import { FrameDecoder } from '../codec/frame-decoder.ts';
import type { Frame } from '../codec/frame.ts';

export interface ConnectionLimits {
  /** Frames in flight before the socket is paused (resumed at half). */
  maxQueuedFrames: number;
  /** Garbage bytes tolerated without a single valid frame in between. */
  maxGarbageBytes: number;
}

/** What the wire hands the listener. */
export interface WireEvents {
  /** A complete, valid frame, with the high-resolution time its bytes arrived. */
  frame(frame: Frame, receivedAtNs: bigint): Promise<void>;
  /** A frame whose checksum failed (its header is known): deny it. */
  badChecksum(header: FrameHeaderInfo): void;
  /** Debug detail of an undecodable stretch. */
  garbage(code: string, offset: number, message: string): void;
  /** The connection was closed for too much garbage (reason for the log). */
  closedForGarbage(reason: string, bytes: number): void;
  /** The device speaks ASCII hex text (logged once). */
  asciiHex(): void;
  /** A frame handler failed unexpectedly: the connection is closed. */
  handlerFailed(err: unknown): void;
}

export class DeviceConnection {
  /** ip:port */
  readonly peer: string;
  readonly ip: string;
  /** Frames handed to the listener and not yet finished. */
  inflight = 0;
  /** The device address this connection holds (the listener decides), or null. */
  address: number | null = null;
  /** Serial of our next downlink frame. */
  nextSerial = 0;
  /** A frame was refused (peer not allowed, address held): nothing more is read. */
  refused = false;
  /** When the connection was accepted (ms since epoch). */
  readonly openedAt = Date.now();
  /** Last valid frame (ms since epoch; 0 = none yet): liveness for the idle timeout and for holding an address. */
  lastFrameAt = 0;
  /** Since when bytes of an incomplete frame have been waiting (ms since epoch), or null. */
  partialSince: number | null = null;
  /** Pending challenge of this connection's hold on its address (another peer claimed it). */
  challenge: NodeJS.Timeout | null = null;
  private garbageBytes = 0;
  private paused = false;
  private readonly decoder = new FrameDecoder();
  /** How the device speaks: decided from its first bytes (null until then). */
  private wire: 'binary' | 'ascii-hex' | null = null;
  /** First bytes held until the wire format is known. */
  private head = Buffer.alloc(0);
  /** Set for ASCII-hex devices: text in, and our replies out, as hex digits. */
  private hex: AsciiHexFramer | null = null;

  constructor(
    readonly socket: Socket,
    private readonly limits: ConnectionLimits,
    private readonly events: WireEvents,
  ) {
    this.ip = socket.remoteAddress ?? '';
    this.peer = `${this.ip}:${socket.remotePort}`;
    socket.on('data', (data: Buffer) => this.onData(data));
  }

  /** Writes a frame in the device's own format (hex text for ASCII-hex devices). */
  write(bytes: Buffer): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(this.hex ? toAsciiHex(bytes) : bytes);
  }

  private onData(data: Buffer): void {
    if (this.refused) return;
    const now = process.hrtime.bigint();
    const chunk = this.unwrap(data);
    if (chunk === null) return;
    let framed = false;
    for (const item of this.decoder.push(chunk)) {
      if (item instanceof DecodeError) {
        if (item.code === 'checksum' && item.header) this.events.badChecksum(item.header);
        this.events.garbage(item.code, item.offset, item.message);
        if (this.overGarbageBudget(item.bytes.length, 'too many undecodable bytes; closing the connection')) return;
        continue;
      }
      this.garbageBytes = 0;
      framed = true;
      this.lastFrameAt = Date.now();
      this.inflight++;
      this.events
        .frame(item, now)
        .catch((err: unknown) => {
          this.events.handlerFailed(err);
          this.socket.destroy();
        })
        .finally(() => {
          this.inflight--;
          if (this.paused && this.inflight <= this.limits.maxQueuedFrames / 2) {
            this.paused = false;
            this.socket.resume();
            // The rest of a frame begun before the pause can arrive only now: its clock starts again.
            if (this.decoder.buffered > 0) this.partialSince = Date.now();
          }
        });
    }
    // A frame begun must be finished within the partial-frame timeout; each completed frame restarts the clock.
    if (this.decoder.buffered === 0) this.partialSince = null;
    else if (framed || this.partialSince === null) this.partialSince = Date.now();
    if (this.inflight >= this.limits.maxQueuedFrames && !this.paused) {
      this.paused = true;
      this.socket.pause();
      // We stopped reading, not the device: a frame left half-read is not late while paused
      // (a slow or stalled database would otherwise close healthy devices' connections).
      this.partialSince = null;
    }
  }

  /** The frame bytes of a chunk: the wire format decided first, hex text turned into bytes. Null: nothing to decode yet (or closed). */
  private unwrap(data: Buffer): Buffer | null {
    let chunk = data;
    if (this.wire === null) {
      // Binary frames or a vendor's ASCII hex text: told apart by the first bytes.
      this.head = Buffer.concat([this.head, data]);
      const wire = detectWireFormat(this.head) ?? (this.head.length > 64 ? 'binary' : null);
      if (wire === null) {
        this.partialSince ??= Date.now();
        return null;
      }
      this.wire = wire;
      chunk = this.head;
      this.head = Buffer.alloc(0);
      if (wire === 'ascii-hex') {
        this.hex = new AsciiHexFramer();
        this.events.asciiHex();
      }
    }
    if (this.hex) {
      const r = this.hex.push(chunk);
      if (this.overGarbageBudget(r.garbage, 'too many characters that are not hex digits; closing the connection')) return null;
      chunk = r.bytes;
    }
    return chunk;
  }

  /** Counts garbage; past the budget the connection is closed (true). */
  private overGarbageBudget(bytes: number, reason: string): boolean {
    this.garbageBytes += bytes;
    if (this.garbageBytes <= this.limits.maxGarbageBytes) return false;
    this.events.closedForGarbage(reason, this.garbageBytes);
    this.socket.destroy();
    return true;
  }
}
