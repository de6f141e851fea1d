// Child process of `npm run bench:live`: the outside world. Opens the WebSocket clients,
// connects the simulated UITDs over TCP, offers analog-value uploads at each phase's rate
// and measures, per message a client receives, the time since its frame was sent.
// Frames are correlated with messages by (device address, analog value): every device
// counts its values up from 1, so the pair is unique within a run.
// Input: one JSON argument, then one command per line on stdin: "phase <rate> <seconds>"
// answers one JSON line (the phase's figures); "wsbase <url> <seconds> <events per frame>"
// opens as many plain clients to a raw WebSocket broadcaster and answers {"wsbase": events
// received per second, all clients}; "quit" ends.
import { SimulatedUitd } from '@firelink/ingest';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { percentile as pct } from '../../ingest/bench/machine.ts';

interface Input {
  tcpPort: number;
  wsUrl: string;
  token: string;
  clients: number;
  addresses: number[];
  /** Wait for stragglers after each phase, ms. */
  settleMs: number;
  /** Subscribe with batch: true (default), as the frontend does. */
  batch?: boolean;
}

const input = JSON.parse(process.argv[2]!) as Input;
const now = () => performance.timeOrigin + performance.now();

// key address * 1e7 + value → send time (ms, epoch-based, comparable across processes on this host)
const sentAt = new Map<number, number>();
const key = (address: number, value: number) => address * 1e7 + value;
let samples: number[] = [];
// The same latencies by the second of the phase their frame was sent in (where a phase's tail comes from).
let bySecond: number[][] = [];
let phaseStart = 0;
let received = 0;
// One event message: its device address, then (later in the same message) its analog value.
const eventRe = /"type":"event","at":"[^"]*","event":\{[^{}]*?"deviceAddress":(\d+)[^{}]*?"value":(-?\d+(?:\.\d+)?)/g;

async function openClient(): Promise<WebSocket> {
  const ws = new WebSocket(input.wsUrl, { headers: { authorization: `Bearer ${input.token}` }, perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.on('message', (data) => {
    const t = now();
    const s = String(data);
    // Cheap extraction instead of JSON.parse: 50 clients × thousands of messages/s. A frame is
    // one message or (subscribed with batch: true) a batch of them; every event in it counts.
    eventRe.lastIndex = 0;
    let found = 0;
    const count = (address: number, value: number) => {
      found++;
      const t0 = sentAt.get(key(address, value));
      if (t0 === undefined) return;
      received++;
      samples.push(t - t0);
      (bySecond[Math.floor((t0 - phaseStart) / 1000)] ??= []).push(t - t0);
    };
    for (let m = eventRe.exec(s); m; m = eventRe.exec(s)) count(Number(m[1]), Number(m[2]));
    // A server that sends the messages' keys in another order (the scale-out api nodes read
    // them back from a jsonb column): parse the frame instead.
    if (found === 0 && s.includes('"deviceAddress"')) {
      const f = JSON.parse(s) as { type: string; messages?: unknown[] };
      for (const m of (f.type === 'batch' ? f.messages! : [f]) as Array<{ type: string; event?: { deviceAddress: number; value: number | null } }>) {
        if (m.type === 'event' && m.event && m.event.value != null) count(m.event.deviceAddress, m.event.value);
      }
    }
  });
  const subscribed = new Promise<void>((resolve) => {
    const on = (data: WebSocket.RawData) => {
      if (String(data).includes('"type":"snapshot"')) {
        ws.off('message', on);
        resolve();
      }
    };
    ws.on('message', on);
  });
  ws.send(JSON.stringify({ type: 'subscribe', filters: {}, batch: input.batch ?? true }));
  await subscribed;
  return ws;
}

async function main() {
  const clients: WebSocket[] = [];
  for (let i = 0; i < input.clients; i++) clients.push(await openClient());
  const devices = input.addresses.map((address) => new SimulatedUitd({ port: input.tcpPort, address, resendAfterMs: 30_000 }));
  for (let i = 0; i < devices.length; i += 50) await Promise.all(devices.slice(i, i + 50).map((d) => d.connect()));
  const counters = new Map<number, number>();
  let sendErrors = 0;
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);

  for await (const line of createInterface({ input: process.stdin })) {
    const [cmd, a, b, c] = line.trim().split(' ');
    if (cmd === 'quit') break;
    if (cmd === 'wsbase') {
      process.stdout.write(`${JSON.stringify({ wsbase: (await wsBaseline(a!, Number(b), input.clients)) * Number(c ?? 1) })}\n`);
      continue;
    }
    if (cmd !== 'phase') continue;
    const phase = { rate: Number(a), seconds: Number(b) };
    samples = [];
    bySecond = [];
    received = 0;
    let sent = 0;
    const cpu0 = process.cpuUsage();
    const tickMs = 10;
    const t0 = now();
    phaseStart = t0;
    const end = t0 + phase.seconds * 1000;
    let next = 0;
    await new Promise<void>((resolve) => {
      const tick = () => {
        const t = now();
        if (t >= end) return resolve();
        // Frames due by now at the phase's rate, spread round-robin over the devices.
        const due = Math.floor(((t - t0) / 1000) * phase.rate) - sent;
        for (let k = 0; k < due; k++) {
          const dev = devices[next++ % devices.length]!;
          const value = (counters.get(dev.address) ?? 0) + 1;
          counters.set(dev.address, value);
          sentAt.set(key(dev.address, value), now());
          dev.sendAnalog({ componentAddress: 1 + (value % 8), componentType: 99, systemType: 1, systemAddress: 1 }, 4, value).catch(() => sendErrors++);
          sent++;
        }
        setTimeout(tick, tickMs);
      };
      tick();
    });
    const elapsed = (now() - t0) / 1000;
    // Stragglers: until every client has every message, at least settleMs and at most 15 s.
    const settleEnd = now() + 15_000;
    await new Promise((r) => setTimeout(r, input.settleMs));
    while (received < sent * input.clients && now() < settleEnd) await new Promise((r) => setTimeout(r, 100));
    const cpu = process.cpuUsage(cpu0);
    // Share of one core this process used during the phase and its settle time.
    const driverCpu = (cpu.user + cpu.system) / 1000 / (now() - t0);
    const sorted = samples.slice().sort((a, b) => a - b);
    process.stdout.write(
      JSON.stringify({
        rate: phase.rate,
        offered: sent / elapsed,
        sent,
        expected: sent * input.clients,
        received,
        p50: pct(sorted, 50),
        p99: pct(sorted, 99),
        max: sorted[sorted.length - 1] ?? NaN,
        sendErrors,
        driverCpu,
        p99BySecond: Array.from(bySecond, (xs) => (xs ? Math.round(pct(xs.sort((a, b) => a - b), 99)) : null)),
      }) + '\n',
    );
    sentAt.clear();
  }
  for (const d of devices) d.close();
  for (const c of clients) c.close();
  process.stdout.on('error', () => {});
  setTimeout(() => process.exit(0), 200);
}

/** Plain clients of a raw broadcaster: messages received per second over all of them. */
async function wsBaseline(url: string, seconds: number, n: number): Promise<number> {
  let count = 0;
  const sockets = await Promise.all(
    Array.from({ length: n }, () => new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
      ws.on('message', () => count++);
    })),
  );
  await new Promise((r) => setTimeout(r, 300)); // the broadcaster starts once all are in
  const c0 = count;
  const t0 = now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const rate = (count - c0) / ((now() - t0) / 1000);
  for (const ws of sockets) ws.terminate();
  return rate;
}

main().catch((err) => {
  process.stderr.write(`live bench driver failed: ${(err as Error).stack}\n`);
  process.exit(1);
});
