// A virtual UITD over real TCP, for the simulator, tests and benchmarks. It speaks the
// device side of GB/T 26875.3: uploads (command 2) wait for the center's confirm and are
// resent when unconfirmed; control commands from the center (clock sync 90, duty check
// 91) are confirmed, and duty checks are answered with a type-24 upload after a delay
// (or never, per `dutyAnswer`).
import { connect, type Socket } from 'node:net';
import { encodeAdu, parseAdu, type AduObject } from '../codec/adu.ts';
import { DecodeError } from '../codec/errors.ts';
import { FrameDecoder } from '../codec/frame-decoder.ts';
import { AsciiHexFramer, toAsciiHex } from '../codec/ascii-hex.ts';
import { Command, encodeConfirm, encodeFrame, type Frame } from '../codec/frame.ts';
import { isoLocalAt } from '../codec/time-label.ts';
import type { Random } from './random.ts';

export interface SimulatedUitdOptions {
  host?: string;
  port: number;
  /** This device's 6-byte address (source of its frames). */
  address: number;
  /** The center's address (destination). Default 0. */
  centerAddress?: number;
  /** Resend an unconfirmed upload after this long (ms). Default 10,000 (the standard's recommendation). */
  resendAfterMs?: number;
  /** Resends before giving up. Default 3. */
  maxResends?: number;
  /** Send an empty command-2 heartbeat this often (ms); 0 = never. Default 0. */
  heartbeatMs?: number;
  /** Duty-check answers: probability the operator answers, and the delay range (ms). Default: always, 1–3 s. */
  dutyAnswer?: { probability: number; minDelayMs: number; maxDelayMs: number };
  random?: Random;
  /** Speak the frames as ASCII hex text, as some vendors' devices do. Default false. */
  asciiHex?: boolean;
  /** Protocol versions written in the header. Default {main: 1, user: 1}. */
  version?: { main: number; user: number };
}

export interface SendResult {
  serial: number;
  /** Send (first attempt) → confirm received, ms. */
  latencyMs: number;
  resends: number;
  denied: boolean;
}

export interface PointRef {
  systemType?: number;
  systemAddress?: number;
  componentType?: number;
  componentAddress: number;
  description?: string;
}

interface Pending {
  resolve: (r: SendResult) => void;
  reject: (e: Error) => void;
  bytes: Buffer;
  sentAt: number;
  resends: number;
  timer: NodeJS.Timeout;
}

export class UnconfirmedError extends Error {}

export class SimulatedUitd {
  readonly address: number;
  readonly stats = { sent: 0, confirmed: 0, denied: 0, resends: 0, failed: 0, dutyChecks: 0, dutyAnswers: 0, clockSyncs: 0 };
  /** Called for every latency sample (ms). */
  onLatency: ((ms: number) => void) | null = null;
  private socket: Socket | null = null;
  private decoder = new FrameDecoder();
  private hexIn: AsciiHexFramer | null = null;
  private serial = 0;
  private pending = new Map<number, Pending>();
  private heartbeat: NodeJS.Timeout | null = null;
  private dutyTimers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly opts: SimulatedUitdOptions) {
    this.address = opts.address;
  }

  /** Uploads sent and not yet confirmed. */
  get pendingCount(): number {
    return this.pending.size;
  }

  get connected(): boolean {
    return this.socket !== null && !this.socket.destroyed;
  }

  async connect(): Promise<void> {
    this.closed = false;
    this.decoder = new FrameDecoder();
    this.hexIn = this.opts.asciiHex ? new AsciiHexFramer() : null;
    const socket = connect({ host: this.opts.host ?? '127.0.0.1', port: this.opts.port, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    socket.on('error', () => {});
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('close', () => {
      if (this.socket === socket) this.socket = null;
    });
    this.socket = socket;
    const hb = this.opts.heartbeatMs ?? 0;
    if (hb > 0) {
      // The first heartbeat at a random point of the interval: a fleet that connected within
      // a second (a simulator's start, a bench) would otherwise send every heartbeat in the
      // same second of each interval (10,000 devices: a burst of 10,000 frames every 30 s).
      const beat = () => void this.sendHeartbeat().catch(() => {});
      this.heartbeat = setTimeout(() => {
        beat();
        this.heartbeat = setInterval(beat, hb);
        this.heartbeat.unref();
      }, Math.random() * hb);
      this.heartbeat.unref();
    }
  }

  /** Reconnects after the center dropped us; pending uploads are resent on the new socket. */
  async reconnect(): Promise<void> {
    this.socket?.destroy();
    if (this.heartbeat) clearInterval(this.heartbeat);
    await this.connect();
    for (const p of this.pending.values()) this.put(p.bytes);
  }

  close(): void {
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const t of this.dutyTimers) clearTimeout(t);
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new UnconfirmedError('connection closed before the confirm arrived'));
    }
    this.pending.clear();
    this.socket?.destroy();
    this.socket = null;
  }

  /** Sends an upload of `type` and resolves when the center confirms it (or rejects after the resends). */
  sendUpload(type: number, objects: AduObject[], time?: string): Promise<SendResult> {
    return this.sendRaw(encodeAdu({ type, objects }), time);
  }

  /** An empty command-2 frame: the field heartbeat. */
  sendHeartbeat(): Promise<SendResult> {
    return this.sendRaw(Buffer.alloc(0));
  }

  sendRaw(adu: Buffer, time?: string): Promise<SendResult> {
    const serial = this.serial;
    this.serial = (this.serial + 1) & 0xffff;
    const bytes = encodeFrame({
      serial,
      version: this.opts.version,
      time: time ?? isoLocalAt(new Date()),
      source: this.address,
      destination: this.opts.centerAddress ?? 0,
      command: Command.sendData,
      adu,
    });
    return new Promise<SendResult>((resolve, reject) => {
      const p: Pending = { resolve, reject, bytes, sentAt: performance.now(), resends: 0, timer: undefined as unknown as NodeJS.Timeout };
      const arm = () => {
        p.timer = setTimeout(() => {
          if (p.resends >= (this.opts.maxResends ?? 3)) {
            this.pending.delete(serial);
            this.stats.failed++;
            reject(new UnconfirmedError(`upload serial ${serial} from ${this.address} not confirmed after ${p.resends} resends`));
            return;
          }
          p.resends++;
          this.stats.resends++;
          this.put(bytes);
          arm();
        }, this.opts.resendAfterMs ?? 10_000);
        p.timer.unref?.();
      };
      arm();
      this.pending.set(serial, p);
      this.stats.sent++;
      this.put(bytes);
    });
  }

  sendFire(point: PointRef, time?: string): Promise<SendResult> {
    return this.sendComponentStatus(point, 0x0002, time);
  }

  sendFault(point: PointRef, time?: string): Promise<SendResult> {
    return this.sendComponentStatus(point, 0x0005, time);
  }

  /** Component back to normal (bit 0 set, nothing else): clears fire/fault. */
  sendNormal(point: PointRef, time?: string): Promise<SendResult> {
    return this.sendComponentStatus(point, 0x0001, time);
  }

  sendComponentStatus(point: PointRef, status: number, time?: string): Promise<SendResult> {
    const t = time ?? isoLocalAt(new Date());
    return this.sendUpload(2, [{ systemType: 1, systemAddress: 1, componentType: 42, ...point, status, time: t }], t);
  }

  sendSystemStatus(status: number, systemType = 1, systemAddress = 1, time?: string): Promise<SendResult> {
    const t = time ?? isoLocalAt(new Date());
    return this.sendUpload(1, [{ systemType, systemAddress, status, time: t }], t);
  }

  sendUitdStatus(status: number, time?: string): Promise<SendResult> {
    const t = time ?? isoLocalAt(new Date());
    return this.sendUpload(21, [{ status, time: t }], t);
  }

  sendAnalog(point: PointRef, analogType: number, value: number, time?: string): Promise<SendResult> {
    const t = time ?? isoLocalAt(new Date());
    return this.sendUpload(3, [{ systemType: 1, systemAddress: 1, componentType: 42, ...point, analogType, value, time: t }], t);
  }

  /** Operator presses the duty-check answer key: type 24 with bit 5. */
  answerDutyCheck(): Promise<SendResult> {
    const t = isoLocalAt(new Date());
    this.stats.dutyAnswers++;
    return this.sendUpload(24, [{ operationFlags: 0x20, operator: 1, time: t }], t);
  }

  /** Writes a frame as this device speaks: binary, or ASCII hex text (opts.asciiHex). */
  private put(bytes: Buffer): void {
    this.socket?.write(this.opts.asciiHex ? toAsciiHex(bytes) : bytes);
  }

  private onData(chunk: Buffer): void {
    const bytes = this.hexIn ? this.hexIn.push(chunk).bytes : chunk;
    for (const item of this.decoder.push(bytes)) {
      if (item instanceof DecodeError) continue;
      this.onFrame(item);
    }
  }

  private onFrame(f: Frame): void {
    if (f.command === Command.confirm || f.command === Command.deny) {
      const p = this.pending.get(f.serial);
      if (!p) return; // a late confirm of a resend already confirmed
      this.pending.delete(f.serial);
      clearTimeout(p.timer);
      const latencyMs = performance.now() - p.sentAt;
      const denied = f.command === Command.deny;
      if (denied) this.stats.denied++;
      else this.stats.confirmed++;
      this.onLatency?.(latencyMs);
      p.resolve({ serial: f.serial, latencyMs, resends: p.resends, denied });
      return;
    }
    if (f.command === Command.control || f.command === Command.request) {
      // Confirm every control command at once, as devices do.
      this.put(encodeConfirm(f));
      const adu = parseAdu(f.adu);
      if (adu?.typeName === 'clockSync') this.stats.clockSyncs++;
      if (adu?.typeName === 'dutyCheck') this.onDutyCheck();
    }
  }

  private onDutyCheck(): void {
    this.stats.dutyChecks++;
    const policy = this.opts.dutyAnswer ?? { probability: 1, minDelayMs: 1000, maxDelayMs: 3000 };
    const rnd = this.opts.random ?? Math.random;
    if (rnd() >= policy.probability || this.closed) return; // the operator is away
    const delay = policy.minDelayMs + (policy.maxDelayMs - policy.minDelayMs) * rnd();
    const t = setTimeout(() => {
      this.dutyTimers.delete(t);
      if (!this.closed) void this.answerDutyCheck().catch(() => {});
    }, delay);
    t.unref?.();
    this.dutyTimers.add(t);
  }
}
