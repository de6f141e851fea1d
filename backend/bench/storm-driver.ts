// Child process of `npm run bench:storm`: the outside world of an alarm storm. Connects the
// simulated UITDs over TCP and one WebSocket client (the wall: everything, batch: true), then
// runs the phases the parent starts one at a time ("next" on stdin):
//   analog  — analog-value uploads (open no alarm): the baseline confirm latency;
//   storm   — system status uploads alternating mains-power fault (0x0101) and normal
//             (0x0001) per device, round-robin, so at 1,000 frames/s over 10,000 devices
//             each device reports one fault in 10 s, at 3,000/s fault, restoration, fault;
//   restore — every device still in fault reports normal.
// Per phase it prints "sent" when the last frame left, then "report {json}" once every
// upload is confirmed and every fault frame is on the wall (or after 30 s): confirm
// latency, frame → alarm message on the wall, and how long after the last frame the last
// alarm arrived.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { SimulatedUitd } from '@firelink/ingest';
import WebSocket from 'ws';
import { percentile as pct } from '../../ingest/bench/machine.ts';

interface Phase {
  name: string;
  kind: 'analog' | 'storm' | 'restore';
  rate: number;
  seconds: number;
}
interface Input {
  tcpPort: number;
  wsUrl: string;
  token: string;
  devices: Array<{ address: number; unitId: number }>;
  phases: Phase[];
}

/** The bench writes the input to a file (argv[2]): its device list is too long for an argument. */
const input = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Input;
const now = () => performance.timeOrigin + performance.now();
const say = (s: string) => process.stdout.write(`${s}\n`);
const addressOfUnit = new Map(input.devices.map((d) => [d.unitId, d.address]));

/** Fault frames sent and not yet seen on the wall, per device address: send times. */
const pendingWall = new Map<number, number[]>();
let wallSamples: number[] = [];
let lastWallAt = 0;
let alarmMessages = 0;
let stormMessages = 0;
let lastStorm: unknown = null;

function onWallMessage(m: { type: string; alarm?: { unitId: number | null; state: string; clearedAt: string | null; kind: string }; group?: unknown }) {
  if (m.type === 'storm') {
    stormMessages++;
    lastStorm = m.group;
    return;
  }
  if ((m.type !== 'alarm_opened' && m.type !== 'alarm_updated') || !m.alarm || m.alarm.kind !== 'fault') return;
  alarmMessages++;
  // An opening counts even when the alarm is already closed (fault and restoration in one
  // alarm batch: the message carries the alarm as it is after the batch).
  if (m.alarm.unitId === null || (m.type !== 'alarm_opened' && (m.alarm.state === 'closed' || m.alarm.clearedAt !== null))) return;
  const address = addressOfUnit.get(m.alarm.unitId);
  const sends = address === undefined ? undefined : pendingWall.get(address);
  if (!sends?.length) return;
  const t = now();
  for (const t0 of sends) wallSamples.push(t - t0);
  pendingWall.delete(address!);
  lastWallAt = t;
}

async function openWall(): Promise<WebSocket> {
  const ws = new WebSocket(input.wsUrl, { headers: { authorization: `Bearer ${input.token}` }, perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let synced!: () => void;
  const subscribed = new Promise<void>((r) => (synced = r));
  ws.on('message', (data) => {
    const raw = JSON.parse(String(data)) as { type: string; messages?: unknown[] };
    for (const m of (raw.type === 'batch' ? raw.messages! : [raw]) as Array<Parameters<typeof onWallMessage>[0]>) {
      if (m.type === 'snapshot') synced();
      onWallMessage(m);
    }
  });
  ws.send(JSON.stringify({ type: 'subscribe', filters: {}, batch: true }));
  await subscribed;
  return ws;
}


async function main() {
  const wall = await openWall();
  const devices = input.devices.map((d) => new SimulatedUitd({ port: input.tcpPort, address: d.address, resendAfterMs: 30_000, maxResends: 2 }));
  const t0c = now();
  for (let i = 0; i < devices.length; i += 250) await Promise.all(devices.slice(i, i + 250).map((d) => d.connect()));
  say(`connected ${devices.length} ${((now() - t0c) / 1000).toFixed(1)}`);
  const inFault = new Set<number>();
  let analogValue = 0;
  const lines = createInterface({ input: process.stdin });
  const nextLine = (() => {
    const queue: string[] = [];
    let waiting: ((l: string) => void) | null = null;
    lines.on('line', (l) => (waiting ? (waiting(l), (waiting = null)) : queue.push(l)));
    return () => new Promise<string>((r) => (queue.length ? r(queue.shift()!) : (waiting = r)));
  })();

  for (const phase of input.phases) {
    if ((await nextLine()) !== 'next') break;
    wallSamples = [];
    lastWallAt = 0;
    alarmMessages = 0;
    stormMessages = 0;
    const confirms: number[] = [];
    let unconfirmed = 0;
    const inflight: Array<Promise<void>> = [];
    // The frames of this phase, in order: [device index, status or analog value].
    const restoreList = phase.kind === 'restore' ? devices.map((d, i) => [i, d.address] as const).filter(([, a]) => inFault.has(a)).map(([i]) => i) : [];
    const total = phase.kind === 'restore' ? restoreList.length : Math.round(phase.rate * phase.seconds);
    let sent = 0;
    let next = 0;
    const t0 = now();
    await new Promise<void>((resolve) => {
      const tick = () => {
        const t = now();
        const due = Math.min(total, Math.floor(((t - t0) / 1000) * phase.rate)) - sent;
        for (let k = 0; k < due; k++) {
          const idx = phase.kind === 'restore' ? restoreList[next++]! : next++ % devices.length;
          const dev = devices[idx]!;
          let p: Promise<{ latencyMs: number }>;
          if (phase.kind === 'analog') {
            p = dev.sendAnalog({ componentAddress: 1, componentType: 99, systemType: 1, systemAddress: 1 }, 4, (analogValue = (analogValue % 32_000) + 1));
          } else {
            const fault = phase.kind === 'storm' && !inFault.has(dev.address);
            if (fault) {
              inFault.add(dev.address);
              const l = pendingWall.get(dev.address);
              if (l) l.push(now());
              else pendingWall.set(dev.address, [now()]);
            } else inFault.delete(dev.address);
            p = dev.sendSystemStatus(fault ? 0x0101 : 0x0001);
          }
          inflight.push(p.then((r) => void confirms.push(r.latencyMs), () => void unconfirmed++));
          sent++;
        }
        if (sent >= total) return resolve();
        setTimeout(tick, 5);
      };
      tick();
    });
    const sendEnd = now();
    const seconds = (sendEnd - t0) / 1000;
    say('sent');
    await Promise.all(inflight);
    // Every fault frame on the wall, or 30 s.
    const until = now() + 30_000;
    while (phase.kind === 'storm' && pendingWall.size > 0 && now() < until) await new Promise((r) => setTimeout(r, 20));
    // A little longer for the storm messages (at most one per group per second).
    await new Promise((r) => setTimeout(r, 1200));
    const c = confirms.sort((a, b) => a - b);
    const w = wallSamples.sort((a, b) => a - b);
    say(
      `report ${JSON.stringify({
        name: phase.name,
        kind: phase.kind,
        rate: phase.rate,
        frames: sent,
        offered: sent / seconds,
        confirmed: c.length,
        unconfirmed,
        confirmP50: pct(c, 50),
        confirmP99: pct(c, 99),
        confirmMax: c[c.length - 1] ?? NaN,
        wallSeen: w.length,
        wallMissing: [...pendingWall.values()].reduce((n, l) => n + l.length, 0),
        wallP50: pct(w, 50),
        wallP99: pct(w, 99),
        wallMax: w[w.length - 1] ?? NaN,
        allOnWallAfterLastFrameMs: phase.kind === 'storm' && w.length ? Math.max(0, lastWallAt - sendEnd) : NaN,
        alarmMessages,
        stormMessages,
        lastStorm,
      })}`,
    );
    pendingWall.clear();
  }
  for (const d of devices) d.close();
  wall.close();
  process.stdout.on('error', () => {});
  setTimeout(() => process.exit(0), 200);
}

main().catch((err) => {
  process.stderr.write(`storm bench driver failed: ${(err as Error).stack}\n`);
  process.exit(1);
});
