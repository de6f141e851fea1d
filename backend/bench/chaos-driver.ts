// Child process of `npm run bench:chaos`: the outside world of the fault campaign. Simulated
// UITDs (GB/T 26875.3 over TCP, straight to the server's port) offer uploads at a steady
// rate and, like field devices, keep readings in order (at most 8 unconfirmed on the wire),
// reconnect whenever the center drops them and resend every unconfirmed upload every 10 s
// (the standard's resend timeout) until it is confirmed;
// WebSocket clients (through the parent's proxy) subscribe to everything and, dropped,
// reconnect and resume from the last id they saw.
//
// Every frame is identifiable in the database: an analog upload carries its device's own
// counter as the value (address, value unique within a run), a fire upload a point of its
// device that fires only once. The parent joins the dump with what was stored.
//
// Input: one JSON argument. Commands on stdin: "start"; "clock <ms>" (device clocks jump:
// the time label of every later frame is off by ms); "stop" (answers "drained" once no
// upload is pending, or after 90 s); "settle <stream id>" (answers "done" once every client
// has seen that id, or after 60 s, having written the dump to `out`).
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { SimulatedUitd, isoLocalAt } from '@firelink/ingest';
import WebSocket from 'ws';

interface Input {
  gbPort: number;
  wsUrl: string;
  token: string;
  clients: number;
  rate: number;
  /** One frame in `fireEvery` is a fire on a fresh point (while the device has one left). */
  fireEvery: number;
  devices: Array<{ address: number; firePoints: number[] }>;
  out: string;
}

export interface ClientDump {
  /** The stream id of the first snapshot: the client's stream is complete from there. */
  firstId: number;
  lastId: number;
  /** Stream ids received, as [first, last] runs of consecutive ids. */
  runs: Array<[number, number]>;
  /** Messages whose id was not above the last one received (duplicates or out of order). */
  outOfOrder: number;
  /** Resumes the server answered with a snapshot instead of a replay (a gap by design). */
  snapshotResets: number;
  subscribeFailed: number;
  /** Per connection after the first: when it closed and when the resumed subscription was confirmed. */
  reconnects: Array<{ closedAt: number; subscribedAt: number; mode: string }>;
  /** alarm_opened messages per alarm id. */
  alarmOpened: Record<string, number>;
}

export interface DriverDump {
  frames: { dev: number[]; value: number[]; fire: number[]; sent: number[]; confirmed: number[]; offset: number[] };
  addresses: number[];
  clients: ClientDump[];
  denied: number;
  failed: number;
  resends: number;
}

const input = JSON.parse(process.argv[2]!) as Input;
/** Uploads a device has unconfirmed on the wire at most. */
const WINDOW = 8;
const now = () => performance.timeOrigin + performance.now();
const say = (s: string) => process.stdout.write(`${s}\n`);

// ---- WebSocket clients
class ResumingClient {
  readonly d: ClientDump = { firstId: -1, lastId: -1, runs: [], outOfOrder: 0, snapshotResets: 0, subscribeFailed: 0, reconnects: [], alarmOpened: {} };
  private ws: WebSocket | null = null;
  private stopped = false;
  private pending: { closedAt: number; subscribedAt: number; mode: string } | null = null;
  private subscribed!: () => void;
  readonly ready = new Promise<void>((r) => (this.subscribed = r));

  open(): void {
    if (this.stopped) return;
    const ws = new WebSocket(input.wsUrl, { headers: { authorization: `Bearer ${input.token}` }, perMessageDeflate: false });
    this.ws = ws;
    ws.on('error', () => {});
    ws.on('close', () => {
      if (this.ws !== ws) return;
      this.ws = null;
      // A second close before the resume finished keeps the first close's time.
      if (this.d.firstId >= 0 && !this.pending) this.pending = { closedAt: now(), subscribedAt: NaN, mode: '' };
      if (!this.stopped) setTimeout(() => this.open(), 250);
    });
    ws.on('message', (data) => this.onMessage(ws, String(data)));
  }

  close(): void {
    this.stopped = true;
    this.ws?.terminate();
  }

  private onMessage(ws: WebSocket, text: string): void {
    const m = JSON.parse(text) as { type: string; id?: number; mode?: string; messages?: Array<{ type: string; id: number; alarm?: { id: number } }> };
    switch (m.type) {
      case 'hello':
        ws.send(JSON.stringify({ type: 'subscribe', filters: {}, batch: true, ...(this.d.firstId >= 0 ? { resumeFrom: this.d.lastId } : {}) }));
        return;
      case 'subscribed':
        if (this.d.firstId >= 0 && m.mode !== 'resume') this.d.snapshotResets++;
        if (this.pending) {
          this.pending.subscribedAt = now();
          this.pending.mode = m.mode ?? '';
          this.d.reconnects.push(this.pending);
          this.pending = null;
        }
        return;
      case 'snapshot':
        if (this.d.firstId < 0) {
          this.d.firstId = m.id!;
          this.d.lastId = m.id!;
          this.subscribed();
        }
        return;
      case 'error':
        this.d.subscribeFailed++;
        ws.terminate();
        return;
      case 'batch':
        for (const x of m.messages!) this.onStream(x);
        return;
      default:
        if (typeof m.id === 'number') this.onStream(m as { type: string; id: number });
    }
  }

  private onStream(m: { type: string; id: number; alarm?: { id: number } }): void {
    if (m.id <= this.d.lastId) {
      this.d.outOfOrder++;
      return;
    }
    const last = this.d.runs[this.d.runs.length - 1];
    if (last && last[1] === m.id - 1) last[1] = m.id;
    else this.d.runs.push([m.id, m.id]);
    this.d.lastId = m.id;
    if (m.type === 'alarm_opened' && m.alarm) this.d.alarmOpened[m.alarm.id] = (this.d.alarmOpened[m.alarm.id] ?? 0) + 1;
  }
}

// ---- Devices
const frames: DriverDump['frames'] = { dev: [], value: [], fire: [], sent: [], confirmed: [], offset: [] };
let denied = 0;
let failed = 0;
let clockOffsetMs = 0;

async function main() {
  const clients = Array.from({ length: input.clients }, () => new ResumingClient());
  for (const c of clients) c.open();
  await Promise.all(clients.map((c) => c.ready));
  const devices = input.devices.map((d) => new SimulatedUitd({ port: input.gbPort, address: d.address, resendAfterMs: 10_000, maxResends: 1_000_000 }));
  for (let i = 0; i < devices.length; i += 50) await Promise.all(devices.slice(i, i + 50).map((d) => d.connect()));
  // Field devices reconnect when the center drops them; reconnect() resends what is pending.
  const connecting = new Set<SimulatedUitd>();
  const reconnector = setInterval(() => {
    for (const d of devices) {
      if (d.connected || connecting.has(d)) continue;
      connecting.add(d);
      d.reconnect().catch(() => {}).finally(() => connecting.delete(d));
    }
  }, 250);
  const counters = devices.map(() => 0);
  const nextFire = devices.map(() => 0);
  const framesOf = devices.map(() => 0);
  // Store and forward, as UITDs do: a device keeps its readings in order and has at most
  // WINDOW uploads unconfirmed on the wire; the rest wait on the device. (Without the window
  // every reading of a long outage would be resent every 10 s at once.)
  const backlog = devices.map((): Array<() => Promise<void>> => []);
  const onWire = devices.map(() => 0);
  const pump = (i: number) => {
    while (onWire[i]! < WINDOW && backlog[i]!.length > 0) {
      onWire[i]!++;
      void backlog[i]!.shift()!().finally(() => {
        onWire[i]!--;
        pump(i);
      });
    }
  };
  say('ready');

  let sending: NodeJS.Timeout | null = null;
  for await (const line of createInterface({ input: process.stdin })) {
    const [cmd, arg] = line.trim().split(' ');
    if (cmd === 'start') {
      const t0 = now();
      let sent = 0;
      let next = 0;
      const tick = () => {
        const due = Math.floor(((now() - t0) / 1000) * input.rate) - sent;
        for (let k = 0; k < due; k++) {
          const i = next++ % devices.length;
          const dev = devices[i]!;
          const points = input.devices[i]!.firePoints;
          // Each device's own frames: one in fireEvery a fire, the devices staggered.
          const nth = framesOf[i]!;
          framesOf[i] = nth + 1;
          const fire = (nth + i) % input.fireEvery === input.fireEvery - 1 && nextFire[i]! < points.length;
          const value = fire ? points[nextFire[i]!++]! : ++counters[i]!;
          const time = isoLocalAt(new Date(Date.now() + clockOffsetMs));
          const n = frames.dev.length;
          frames.dev.push(i);
          frames.value.push(value);
          frames.fire.push(fire ? 1 : 0);
          frames.sent.push(now());
          frames.confirmed.push(NaN);
          frames.offset.push(clockOffsetMs);
          backlog[i]!.push(() =>
            (fire
              ? dev.sendFire({ componentAddress: value }, time)
              : dev.sendAnalog({ componentAddress: 1 + (value % 8), componentType: 99, systemType: 1, systemAddress: 1 }, 4, value, time)
            ).then(
              (r) => void (r.denied ? denied++ : (frames.confirmed[n] = now())),
              () => void failed++,
            ),
          );
          pump(i);
          sent++;
        }
        sending = setTimeout(tick, 10);
      };
      tick();
    } else if (cmd === 'clock') {
      clockOffsetMs = Number(arg);
    } else if (cmd === 'stop') {
      if (sending) clearTimeout(sending);
      const until = now() + 90_000;
      while (devices.some((d, i) => d.pendingCount > 0 || backlog[i]!.length > 0) && now() < until) await new Promise((r) => setTimeout(r, 200));
      say('drained');
    } else if (cmd === 'settle') {
      const head = Number(arg);
      const until = now() + 60_000;
      while (clients.some((c) => c.d.lastId < head) && now() < until) await new Promise((r) => setTimeout(r, 200));
      clearInterval(reconnector);
      const resends = devices.reduce((n, d) => n + d.stats.resends, 0);
      for (const d of devices) d.close();
      for (const c of clients) c.close();
      const dump: DriverDump = { frames, addresses: input.devices.map((d) => d.address), clients: clients.map((c) => c.d), denied, failed, resends };
      writeFileSync(input.out, JSON.stringify(dump));
      say('done');
      break;
    }
  }
  process.stdout.on('error', () => {});
  setTimeout(() => process.exit(0), 200);
}

main().catch((err) => {
  process.stderr.write(`chaos bench driver failed: ${(err as Error).stack}\n`);
  process.exit(1);
});
