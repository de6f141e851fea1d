// A fleet of simulated UITDs over real TCP: the `firelink simulate` command, the demo's
// background traffic and the benchmarks. Each unit has its own fault and false-alarm
// propensity (a few units produce most of the noise, as in the field), sends heartbeats,
// resends unconfirmed uploads and answers duty checks after a realistic delay, or never.
import { LatencyRecorder } from '../server/latency.ts';
import { between, seededRandom, type Random } from './random.ts';
import { SimulatedUitd, type PointRef } from './simulated-uitd.ts';

export interface FleetOptions {
  host?: string;
  port: number;
  /** Number of virtual UITDs. */
  units: number;
  /** Events per second over the whole fleet (0 = heartbeats and duty answers only). */
  ratePerS: number;
  /** Stop after this many seconds (0 = run until stop()). */
  durationS?: number;
  seed?: number;
  /** Device addresses to use (e.g. the registered demo devices); default startAddress, startAddress+1, … */
  addresses?: number[];
  startAddress?: number;
  /** Points per address (registered demo points); default 24 synthetic points per device. */
  points?: Map<number, PointRef[]>;
  /** Synthetic points per device when `points` has none for it. Default 24. */
  pointsPerDevice?: number;
  /** Heartbeat interval per device, ms (0 = none). Default 30,000. */
  heartbeatMs?: number;
  /** Share of duty checks some operator answers (per unit it varies around this). Default 0.9. */
  dutyAnswerRate?: number;
  /** Resend timeout, ms. Default 10,000. */
  resendAfterMs?: number;
  /** Share of devices (0…1) that speak ASCII hex text instead of binary frames, as some vendors' do. Default 0. */
  asciiHexShare?: number;
  /** Each device reports its UITD status (type 21, normal) right after connecting, as real UITDs do. Default true. */
  announce?: boolean;
  /** Simultaneous connection attempts while starting. Default 200. */
  connectConcurrency?: number;
  /** Log line sink. */
  log?: (line: string) => void;
}

export interface FleetReport {
  units: number;
  connected: number;
  sent: number;
  confirmed: number;
  denied: number;
  resends: number;
  failed: number;
  dutyChecks: number;
  dutyAnswers: number;
  clockSyncs: number;
  elapsedS: number;
  confirmedPerS: number;
  latencyMs: { p50: number; p99: number; max: number };
}

interface SimUnit {
  uitd: SimulatedUitd;
  points: PointRef[];
  /** Relative share of events coming from this unit. */
  weight: number;
  faultShare: number;
  falseAlarmShare: number;
  faulted: Set<number>;
}

export class Fleet {
  readonly latency = new LatencyRecorder();
  private units: SimUnit[] = [];
  private cumulative: number[] = [];
  private totalWeight = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopTimer: NodeJS.Timeout | null = null;
  private clears = new Set<NodeJS.Timeout>();
  private startedAt = 0;
  private rnd: Random;
  private carry = 0;
  private done: Promise<FleetReport>;
  private finish!: (r: FleetReport) => void;

  constructor(private readonly opts: FleetOptions) {
    this.rnd = seededRandom(opts.seed ?? 1);
    this.done = new Promise((r) => (this.finish = r));
  }

  /** Connects every unit (bounded concurrency) and starts sending. */
  async start(): Promise<void> {
    const o = this.opts;
    const addresses = o.addresses ?? Array.from({ length: o.units }, (_, i) => (o.startAddress ?? 100_000) + i);
    for (const address of addresses.slice(0, o.units)) {
      const rnd = this.rnd;
      // Heavy-tailed propensities: most units are quiet, a few are noisy.
      const noise = Math.pow(rnd(), 3);
      const unit: SimUnit = {
        uitd: new SimulatedUitd({
          host: o.host,
          port: o.port,
          address,
          heartbeatMs: o.heartbeatMs ?? 30_000,
          resendAfterMs: o.resendAfterMs ?? 10_000,
          // (No draw when unused: seeded fleets keep their sequences.)
          asciiHex: (o.asciiHexShare ?? 0) > 0 && rnd() < o.asciiHexShare!,
          random: rnd,
          dutyAnswer: { probability: Math.min(1, Math.max(0, (o.dutyAnswerRate ?? 0.9) + between(rnd, -0.1, 0.1))), minDelayMs: 5_000, maxDelayMs: 90_000 },
        }),
        points: o.points?.get(address) ?? syntheticPoints(o.pointsPerDevice ?? 24),
        weight: 0.2 + noise * 5,
        faultShare: between(rnd, 0.1, 0.5),
        falseAlarmShare: between(rnd, 0.01, 0.08) * (0.5 + noise * 3),
        faulted: new Set(),
      };
      unit.uitd.onLatency = (ms) => this.latency.record(ms);
      this.units.push(unit);
      this.totalWeight += unit.weight;
      this.cumulative.push(this.totalWeight);
    }
    const concurrency = o.connectConcurrency ?? 200;
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(concurrency, this.units.length) }, async () => {
        while (next < this.units.length) {
          const u = this.units[next++]!;
          try {
            await u.uitd.connect();
            if (o.announce ?? true) u.uitd.sendUitdStatus(0x01).catch(() => {});
          } catch (err) {
            o.log?.(`unit ${u.uitd.address}: connect failed: ${(err as Error).message}`);
          }
        }
      }),
    );
    this.startedAt = performance.now();
    const tickMs = 20;
    if (o.ratePerS > 0) {
      this.timer = setInterval(() => this.tick(tickMs), tickMs);
    }
    if (o.durationS && o.durationS > 0) {
      this.stopTimer = setTimeout(() => void this.stop(), o.durationS * 1000);
    }
  }

  /** Changes the fleet-wide event rate (events/s) while running. */
  setRate(ratePerS: number): void {
    this.opts.ratePerS = ratePerS;
    this.lastTick = 0;
    if (ratePerS > 0 && !this.timer) this.timer = setInterval(() => this.tick(20), 20);
  }

  /** Uploads sent and not yet confirmed, over the fleet. */
  pendingUploads(): number {
    return this.units.reduce((n, u) => n + u.uitd.pendingCount, 0);
  }

  /** Resets the latency samples and counters baseline (benchmark phases). */
  resetLatency(): void {
    this.latency.reset();
  }

  /** Resolves when the run ends (duration elapsed or stop()). */
  finished(): Promise<FleetReport> {
    return this.done;
  }

  private lastTick = 0;

  /** Emits what the rate owes since the last tick (by the clock, not the timer: timers run late under load). */
  private tick(_ms: number): void {
    const now = performance.now();
    const elapsed = this.lastTick === 0 ? _ms : Math.min(1000, now - this.lastTick);
    this.lastTick = now;
    this.carry += (this.opts.ratePerS * elapsed) / 1000;
    const n = Math.floor(this.carry);
    this.carry -= n;
    for (let i = 0; i < n; i++) this.emitOne();
  }

  private pickUnit(): SimUnit {
    const x = this.rnd() * this.totalWeight;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return this.units[lo]!;
  }

  private emitOne(): void {
    const u = this.pickUnit();
    if (!u.uitd.connected) return;
    const rnd = this.rnd;
    const idx = Math.floor(rnd() * u.points.length);
    const point = u.points[idx]!;
    const r = rnd();
    const swallow = () => {};
    if (r < u.falseAlarmShare) {
      // A (mostly false) fire alarm, reset by the panel 30–120 s later.
      u.uitd.sendFire(point).catch(swallow);
      const t = setTimeout(() => {
        this.clears.delete(t);
        if (u.uitd.connected) u.uitd.sendNormal(point).catch(swallow);
      }, between(rnd, 30_000, 120_000));
      t.unref?.();
      this.clears.add(t);
    } else if (r < u.falseAlarmShare + u.faultShare) {
      if (u.faulted.has(idx)) {
        u.faulted.delete(idx);
        u.uitd.sendNormal(point).catch(swallow);
      } else {
        u.faulted.add(idx);
        u.uitd.sendFault(point).catch(swallow);
      }
    } else {
      // Analog reading, e.g. hydrant pressure in 0.1 MPa.
      u.uitd.sendAnalog(point, 4, Math.round(between(rnd, 2, 8))).catch(swallow);
    }
  }

  report(): FleetReport {
    const s = { sent: 0, confirmed: 0, denied: 0, resends: 0, failed: 0, dutyChecks: 0, dutyAnswers: 0, clockSyncs: 0 };
    let connected = 0;
    for (const u of this.units) {
      if (u.uitd.connected) connected++;
      for (const k of Object.keys(s) as Array<keyof typeof s>) s[k] += u.uitd.stats[k];
    }
    const elapsedS = this.startedAt ? (performance.now() - this.startedAt) / 1000 : 0;
    return {
      units: this.units.length,
      connected,
      ...s,
      elapsedS,
      confirmedPerS: elapsedS > 0 ? s.confirmed / elapsedS : 0,
      latencyMs: { p50: this.latency.percentile(50), p99: this.latency.percentile(99), max: this.latency.percentile(100) },
    };
  }

  /** Stops sending, waits up to `drainMs` for outstanding confirms, then disconnects. */
  async stop(drainMs = 3000): Promise<FleetReport> {
    if (this.timer) clearInterval(this.timer);
    if (this.stopTimer) clearTimeout(this.stopTimer);
    for (const t of this.clears) clearTimeout(t);
    this.timer = null;
    const until = performance.now() + drainMs;
    while (performance.now() < until && this.units.some((u) => u.uitd.connected && u.uitd.pendingCount > 0)) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const report = this.report();
    for (const u of this.units) u.uitd.close();
    this.finish(report);
    return report;
  }
}

export function syntheticPoints(n: number): PointRef[] {
  // Loop 1–2, points 1…: component address = loop << 16 | point.
  return Array.from({ length: n }, (_, i) => ({ systemType: 1, systemAddress: 1, componentType: i % 6 === 0 ? 23 : 42, componentAddress: ((1 + (i % 2)) << 16) | (i + 1) }));
}

export function formatReport(r: FleetReport): string {
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '–');
  return [
    `units ${r.units} (connected ${r.connected}), ${r.elapsedS.toFixed(1)} s`,
    `sent ${r.sent}, confirmed ${r.confirmed} (${r.confirmedPerS.toFixed(1)}/s), denied ${r.denied}, resends ${r.resends}, unconfirmed ${r.failed}`,
    `confirm latency p50 ${f(r.latencyMs.p50)} ms, p99 ${f(r.latencyMs.p99)} ms, max ${f(r.latencyMs.max)} ms`,
    `duty checks received ${r.dutyChecks}, answered ${r.dutyAnswers}`,
  ].join('\n');
}
