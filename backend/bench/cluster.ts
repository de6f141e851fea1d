// `npm run bench:cluster [-- --quick] [-- --devices N --seconds S --rates 1000,3000 --clients N]`
// One node against the scale-out, on the same machine and the same database:
//   single   the single-process server as `firelink start` runs it (cluster-single.ts);
//   cluster  2 `firelink ingest`, 2 `firelink api`, 1 `firelink worker` on NATS JetStream.
// In each, N simulated UITDs (default 20,000; --quick 2,000) stay connected over TCP
// (ingest/bench/fleet-runner.ts, one child per ingest node, half the fleet each) and offer
// each phase's rate of mixed uploads; a second child (backend/bench/live-driver.ts) sends
// analog values from 50 more devices to one ingest node and times them to the WebSocket
// clients of (in the cluster) the other ingest node's frames to the first api node. Printed:
// confirmed events/s, confirm p99 and frame→WebSocket p50/p99 per mode, as ratios
// cluster/single. Then, in the cluster only, the failover gaps:
//   ingest  20 probe devices behind a TCP balancer (as devices reach a center's one
//           address) send a value every 100 ms; one ingest node is SIGKILLed and the
//           balancer stops sending to it; its devices notice the dropped connection,
//           reconnect to the other and resend what was unconfirmed. Gap: the longest time
//           a device had no confirm.
//   api     a WebSocket client on the api node that is SIGKILLed reconnects to the other
//           and resumes from its last id. Gap: kill → its first new message; and whether
//           it then has every stream message a client of the surviving node had.
// Each run uses a JetStream stream of its own (deleted afterwards): other users of the NATS
// server are never disturbed. Every process shares the machine's cores (figures are ratios).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import WebSocket from 'ws';
import type { BenchContext } from '@firelink/common/testing';
import { SimulatedUitd } from '@firelink/ingest';
import { fmtLoad, int, measureLoad, ms, percentile, type MachineLoad } from '../../ingest/bench/machine.ts';
import { deleteStream } from '../src/cluster/jetstream-bus.ts';
import { waitForNodeUp, type RoleNode } from '../src/cluster/test-support.ts';
import { freePort } from '../src/kernel/net.ts';
import { REPO_ROOT } from '../src/db/environment.ts';
import { createSession } from '../src/live/test-support.ts';
import { seedFleet } from './fleet-seed.ts';

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const BIN = join(REPO_ROOT, 'backend', 'bin', 'firelink.mjs');
const FLEET_BASE = 6_000_000;
const PROBE_BASE = 7_000_000;
const FAILOVER_BASE = 7_500_000;
const LATENCY_DEVICES = 50;
const FAILOVER_DEVICES = 20;
const POINTS_PER_DEVICE = 8;

type Node = RoleNode;

interface PhaseResult {
  rate: number;
  confirmedPerS: number;
  confirmed: number;
  sent: number;
  failed: number;
  confirmP99: number;
  wsP50: number;
  wsP99: number;
  wsReceived: number;
  wsExpected: number;
  load: MachineLoad;
}

interface ModeResult {
  mode: string;
  devices: number;
  connected: number;
  connectS: number;
  startS: number;
  phases: PhaseResult[];
}

const sleep = (msec: number) => new Promise((r) => setTimeout(r, msec));

/** The per-process open-file limit (each connected device is one descriptor in the node that holds it). */
function openFileLimit(): number {
  const r = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' });
  const n = Number(r.stdout.trim());
  return Number.isFinite(n) && n > 0 ? n : Infinity;
}

/** A child speaking one JSON or text line per answer on stdout. */
function lineChild(args: string[]): { child: ChildProcess; next: (prefix?: string) => Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async (prefix?: string): Promise<string> => {
    for (;;) {
      const r = await lines.next();
      if (r.done) throw new Error(`${args[0]} exited early`);
      if (!prefix || r.value.startsWith(prefix)) return r.value;
    }
  };
  return { child, next };
}

/** A TCP balancer: each new connection goes to the next live target (round robin). */
function balancer(targets: number[]): Promise<{ port: number; server: Server; targets: number[]; byTarget: Map<number, Set<Socket>> }> {
  const byTarget = new Map<number, Set<Socket>>();
  let rr = 0;
  const lb = { port: 0, server: null as unknown as Server, targets, byTarget };
  lb.server = createServer((inbound) => {
    const target = lb.targets[rr++ % lb.targets.length]!;
    const out = connect({ host: '127.0.0.1', port: target, noDelay: true });
    const set = byTarget.get(target) ?? new Set<Socket>();
    byTarget.set(target, set);
    set.add(inbound);
    const end = () => {
      set.delete(inbound);
      inbound.destroy();
      out.destroy();
    };
    inbound.on('error', end).on('close', end);
    out.on('error', end).on('close', end);
    inbound.pipe(out);
    out.pipe(inbound);
  });
  return new Promise((resolve) => lb.server.listen(0, '127.0.0.1', () => resolve({ ...lb, port: (lb.server.address() as { port: number }).port })));
}

/** A WebSocket client subscribed to everything (one message per delta), keeping each message's id and arrival time. */
async function streamClient(url: string, token: string, resumeFrom?: number): Promise<{ ws: WebSocket; got: Array<{ id: number; type: string; at: number }>; closed: Promise<number> }> {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
  const got: Array<{ id: number; type: string; at: number }> = [];
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.on('error', () => {});
  const closed = new Promise<number>((r) => ws.once('close', () => r(performance.now())));
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as { id?: number; type: string };
    if (typeof m.id === 'number') got.push({ id: m.id, type: m.type, at: performance.now() });
  });
  ws.send(JSON.stringify({ type: 'subscribe', filters: {}, ...(resumeFrom !== undefined ? { resumeFrom } : {}) }));
  return { ws, got, closed };
}

const DELTAS = new Set(['alarm_opened', 'alarm_updated', 'alarm_closed', 'event', 'device_status', 'storm']);

export default async function bench(ctx: BenchContext): Promise<void> {
  const { values } = parseArgs({
    args: ctx.args.filter((a) => a !== '--'),
    options: {
      quick: { type: 'boolean', default: false },
      devices: { type: 'string' },
      seconds: { type: 'string' },
      rates: { type: 'string' },
      clients: { type: 'string' },
    },
  });
  const devices = Number(values.devices ?? (values.quick ? 2000 : 20_000));
  const seconds = Number(values.seconds ?? (values.quick ? 5 : 10));
  const rates = (values.rates ?? (values.quick ? '500,1500' : '1000,3000')).split(',').map(Number);
  const clients = Number(values.clients ?? 5);
  const out = (l: string) => process.stdout.write(`${l}\n`);
  const stream = `FLBENCH_${randomBytes(4).toString('hex')}`;

  const pool = new pg.Pool({ connectionString: ctx.databaseUrl, max: 2 });
  const fleet = await seedFleet(pool, devices, { prefix: '集群基准', addressBase: FLEET_BASE });
  const probes = (await seedFleet(pool, LATENCY_DEVICES, { prefix: '集群探针', addressBase: PROBE_BASE })).filter((a) => a < FAILOVER_BASE);
  const failover = await seedFleet(pool, FAILOVER_DEVICES, { prefix: '集群切换', addressBase: FAILOVER_BASE });
  const { token } = await createSession(pool, { username: 'bench-cluster', role: 'admin' });
  await pool.end();
  const nofile = openFileLimit();
  ctx.log(`${devices} devices seeded (+${LATENCY_DEVICES} latency probes, ${FAILOVER_DEVICES} failover probes); open-file limit ${nofile}; JetStream stream ${stream}`);

  const nodes: Node[] = [];
  const children: ChildProcess[] = [];
  const baseEnv = () => {
    // Not test processes: the nodes print as programs do.
    const { NODE_TEST_CONTEXT: _ctx, ...env } = process.env;
    return {
      ...env,
      DATABASE_URL: ctx.databaseUrl,
      HOST: '127.0.0.1',
      FIRELINK_DEMO: '0',
      DUTY_CHECKS_PER_SHIFT: '0',
      FIRE_ESCALATE_AFTER_S: '3600',
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'error',
      NATS_URL,
      NATS_STREAM: stream,
      CLUSTER_LEADER_RETRY_MS: '1000',
    };
  };
  async function startNode(role: string, args: string[], env: Record<string, string>): Promise<Node> {
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env: { ...baseEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const node: Node = { role, child, http: 0, tcp: null, log: [] };
    nodes.push(node);
    return waitForNodeUp(node, 180_000);
  }
  const stopNodes = async () => {
    await Promise.all(
      nodes.splice(0).map(
        (n) =>
          new Promise<void>((r) => {
            if (n.child.exitCode !== null || n.child.signalCode !== null) return r();
            const t = setTimeout(() => n.child.kill('SIGKILL'), 20_000);
            n.child.once('exit', () => (clearTimeout(t), r()));
            n.child.kill('SIGTERM');
          }),
      ),
    );
  };

  /** One mode: fleets connected to the ingest ports, latency probes from `probeTcp` to `wsUrl`. */
  async function measure(mode: string, ingestPorts: number[], probeTcp: number, wsUrl: string, startS: number, held: number): Promise<ModeResult> {
    const share = Math.floor(held / ingestPorts.length);
    const t0 = performance.now();
    const runners = ingestPorts.map((port, i) => {
      const startAddress = fleet[i * share]!;
      const r = lineChild([fileURLToPath(new URL('../../ingest/bench/fleet-runner.ts', import.meta.url)), JSON.stringify({ port, units: share, startAddress, pointsPerDevice: POINTS_PER_DEVICE })]);
      children.push(r.child);
      return r;
    });
    const connected = (await Promise.all(runners.map((r) => r.next('connected')))).reduce((s, l) => s + Number(l.split(' ')[1]), 0);
    const connectS = (performance.now() - t0) / 1000;
    ctx.log(`${mode}: ${connected} of ${held} devices connected in ${connectS.toFixed(1)} s`);
    const driver = lineChild([
      fileURLToPath(new URL('./live-driver.ts', import.meta.url)),
      JSON.stringify({ tcpPort: probeTcp, wsUrl, token, clients, addresses: probes, settleMs: 1500, batch: true }),
    ]);
    children.push(driver.child);
    await driver.next('{');
    const phases: PhaseResult[] = [];
    for (const rate of rates) {
      const load = measureLoad();
      for (const r of runners) r.child.stdin!.write(`phase ${rate / runners.length} ${seconds}\n`);
      driver.child.stdin!.write(`phase ${LATENCY_DEVICES} ${seconds}\n`);
      const started = await Promise.all(runners.map((r) => r.next('start').then(() => performance.now())));
      const reports = await Promise.all(runners.map((r) => r.next('report').then((l) => ({ at: performance.now(), r: JSON.parse(l.slice(7)) as { sent: number; confirmed: number; failed: number; latencyMs: { p99: number } } }))));
      const ws = JSON.parse(await driver.next('{')) as Record<string, number>;
      const wall = (Math.max(...reports.map((x) => x.at)) - Math.min(...started)) / 1000;
      const confirmed = reports.reduce((s, x) => s + x.r.confirmed, 0);
      const p: PhaseResult = {
        rate,
        confirmed,
        sent: reports.reduce((s, x) => s + x.r.sent, 0),
        failed: reports.reduce((s, x) => s + x.r.failed, 0),
        // Confirms over the phase and the drain after it (the fleet waits for its last confirms).
        confirmedPerS: confirmed / wall,
        confirmP99: Math.max(...reports.map((x) => x.r.latencyMs.p99)),
        wsP50: ws.p50!,
        wsP99: ws.p99!,
        wsReceived: ws.received!,
        wsExpected: ws.expected!,
        load: load(),
      };
      phases.push(p);
      ctx.log(`${mode} @${rate}/s: ${int(p.confirmedPerS)} confirmed/s (${p.confirmed}/${p.sent}), confirm p99 ${ms(p.confirmP99)}, frame→WebSocket p50 ${ms(p.wsP50)} p99 ${ms(p.wsP99)} (${p.wsReceived}/${p.wsExpected}); ${fmtLoad(p.load)}`);
    }
    driver.child.stdin!.write('quit\n');
    for (const r of runners) r.child.stdin!.write('quit\n');
    await Promise.all([driver, ...runners].map((r) => new Promise((res) => (r.child.exitCode !== null ? res(null) : r.child.once('exit', res)))));
    return { mode, devices: held, connected, connectS, startS, phases };
  }

  const results: ModeResult[] = [];
  let failoverReport: string[];
  try {
    // 1. One node.
    {
      const [http, tcp] = [await freePort(), await freePort()];
      const t0 = performance.now();
      const n = await startNode('start', ['--import', 'tsx', fileURLToPath(new URL('./cluster-single.ts', import.meta.url))], { PORT: String(http), GB26875_PORT: String(tcp) });
      const startS = (performance.now() - t0) / 1000;
      // One process holds every device connection: it cannot hold more than its open-file limit allows.
      const held = Math.min(devices, Number.isFinite(nofile) ? nofile - 1000 : devices);
      if (held < devices) ctx.log(`single: the server's open-file limit (${nofile}) holds ${held} of ${devices} device connections; the single node is measured with ${held}`);
      results.push(await measure('single', [n.tcp!], n.tcp!, `ws://127.0.0.1:${n.http}/ws`, startS, held));
      await stopNodes();
    }
    // 2. The cluster.
    {
      const env = { PORT: '0' };
      const t0 = performance.now();
      const started = await Promise.all([
        startNode('ingest', [BIN, 'ingest'], { ...env, GB26875_PORT: '0' }),
        startNode('ingest', [BIN, 'ingest'], { ...env, GB26875_PORT: '0' }),
        startNode('api', [BIN, 'api'], env),
        startNode('api', [BIN, 'api'], env),
        startNode('worker', [BIN, 'worker'], env),
      ]);
      const startS = (performance.now() - t0) / 1000;
      const [ingestA, ingestB, apiA, apiB] = started as [Node, Node, Node, Node, Node];
      results.push(await measure('cluster', [ingestA.tcp!, ingestB.tcp!], ingestB.tcp!, `ws://127.0.0.1:${apiA.http}/ws`, startS, devices));
      failoverReport = await failovers(ingestA, ingestB, apiA, apiB);
      await stopNodes();
    }
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    for (const n of nodes) if (n.child.exitCode === null) n.child.kill('SIGKILL');
    await deleteStream(NATS_URL, stream).catch(() => {});
  }

  async function failovers(ingestA: Node, ingestB: Node, apiA: Node, apiB: Node): Promise<string[]> {
    const lines: string[] = [];
    const lb = await balancer([ingestA.tcp!, ingestB.tcp!]);
    const sims = failover.map((address) => new SimulatedUitd({ port: lb.port, address, resendAfterMs: 2000, maxResends: 50 }));
    for (const s of sims) await s.connect();
    // Which probes reached ingest A: the balancer alternates, the first connection went to A.
    const onA = new Set(sims.filter((_, i) => i % 2 === 0).map((s) => s.address));
    const confirms = new Map<number, number[]>(sims.map((s) => [s.address, []]));
    let running = true;
    let value = 0;
    const loops = sims.map(async (s) => {
      while (running) {
        const v = ++value;
        try {
          await s.sendAnalog({ componentAddress: 1, componentType: 99, systemType: 1, systemAddress: 1 }, 4, v);
          confirms.get(s.address)!.push(performance.now());
        } catch {
          // Resends exhausted: the loop goes on with the next value.
        }
        await sleep(100);
      }
    });
    // A device notices its dropped connection and dials the center's address again.
    const dialing = new Set<SimulatedUitd>();
    const watch = setInterval(() => {
      for (const s of sims) {
        if (!running || s.connected || dialing.has(s)) continue;
        dialing.add(s);
        void s.reconnect().catch(() => {}).finally(() => dialing.delete(s));
      }
    }, 50);
    const steady = await streamClient(`ws://127.0.0.1:${apiB.http}/ws`, token);
    const moving = await streamClient(`ws://127.0.0.1:${apiA.http}/ws`, token);
    await sleep(3000);

    // Ingest node A dies.
    const killIngest = performance.now();
    ingestA.child.kill('SIGKILL');
    lb.targets.splice(0, lb.targets.length, ingestB.tcp!);
    const deadline = killIngest + 60_000;
    while (performance.now() < deadline && [...onA].some((a) => !confirms.get(a)!.some((t) => t > killIngest))) await sleep(50);
    const gaps = [...onA].map((a) => {
      const ts = confirms.get(a)!;
      const before = ts.filter((t) => t <= killIngest).pop() ?? killIngest;
      const afterT = ts.find((t) => t > killIngest);
      return afterT === undefined ? Infinity : afterT - before;
    });
    const sorted = gaps.slice().sort((x, y) => x - y);
    lines.push(
      `ingest node SIGKILLed: its ${onA.size} probe devices went without a confirm for p50 ${ms(percentile(sorted, 50))}, max ${ms(sorted[sorted.length - 1]!)} (reconnect through the balancer, resend, confirm by the other ingest node); ` +
        `the other node's ${sims.length - onA.size} devices kept being confirmed (longest gap ${ms(Math.max(...sims.filter((s) => !onA.has(s.address)).map((s) => maxGap(confirms.get(s.address)!, killIngest - 1000, performance.now()))))})`,
    );
    await sleep(2000);

    // Api node A dies: its client resumes on api B from its last id.
    const lastSeen = moving.got.length ? moving.got[moving.got.length - 1]!.id : 0;
    const killApi = performance.now();
    apiA.child.kill('SIGKILL');
    const closedAt = await moving.closed;
    const back = await streamClient(`ws://127.0.0.1:${apiB.http}/ws`, token, lastSeen);
    const firstNew = async () => {
      const until = performance.now() + 30_000;
      while (performance.now() < until) {
        const m = back.got.find((x) => x.id > lastSeen && DELTAS.has(x.type));
        if (m) return m.at;
        await sleep(10);
      }
      return Infinity;
    };
    const resumedAt = await firstNew();
    await sleep(3000);
    running = false;
    clearInterval(watch);
    await Promise.all(loops);
    await sleep(2000);
    const ids = (c: { got: Array<{ id: number; type: string }> }, from: number) => c.got.filter((m) => m.id > from && DELTAS.has(m.type)).map((m) => m.id);
    const last = Math.min(steady.got[steady.got.length - 1]?.id ?? 0, back.got[back.got.length - 1]?.id ?? 0);
    const start = Math.max(steady.got.find((m) => DELTAS.has(m.type))?.id ?? 0, moving.got.find((m) => DELTAS.has(m.type))?.id ?? 0);
    const want = ids(steady, start).filter((id) => id <= last);
    const have = [...ids(moving, start).filter((id) => id <= lastSeen), ...ids(back, lastSeen)].filter((id) => id <= last);
    const same = want.length === have.length && want.every((id, i) => id === have[i]);
    const wantSet = new Set(want);
    const haveSet = new Set(have);
    const dup = have.filter((id, i) => have.indexOf(id) !== i);
    const missing = want.filter((id) => !haveSet.has(id));
    const extra = have.filter((id) => !wantSet.has(id));
    const differ = `duplicates ${dup.slice(0, 5).join(',') || 'none'}, missing ${missing.slice(0, 5).join(',') || 'none'}, extra ${extra.slice(0, 5).join(',') || 'none'}, resumed after ${lastSeen}`;
    lines.push(
      `api node SIGKILLed: its client saw the close after ${ms(closedAt - killApi)}, reconnected to the other api node and had its first new message ${ms(resumedAt - killApi)} after the kill; ` +
        `${same ? 'it has every stream message the steady client has, in the same order' : `its messages DIFFER from the steady client's (${have.length} vs ${want.length}: ${differ})`} (${want.length} messages compared)`,
    );
    for (const s of sims) s.close();
    for (const c of [steady, moving, back]) c.ws.close();
    lb.server.close();
    for (const set of lb.byTarget.values()) for (const s of set) s.destroy();
    return lines;
  }

  const [single, cluster] = results as [ModeResult, ModeResult];
  const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : '–');
  out('');
  out(`bench:cluster — 1 node (firelink start) vs 2 ingest + 2 api + 1 worker on NATS JetStream; ${seconds} s per rate; ${clients} WebSocket clients subscribed to everything; ${os.cpus().length} cores shared by every process`);
  for (const r of results) out(`  ${r.mode.padEnd(7)}: ${int(r.connected)} of ${int(r.devices)} devices connected in ${r.connectS.toFixed(1)} s; node(s) up in ${r.startS.toFixed(1)} s`);
  out('  rate  | mode    | confirmed/s | sent/confirmed/failed   | confirm p99 | frame→WS p50 | frame→WS p99 | WS delivered | load');
  for (const rate of rates) {
    for (const r of results) {
      const p = r.phases.find((x) => x.rate === rate)!;
      out(
        `  ${String(rate).padStart(5)} | ${r.mode.padEnd(7)} | ${int(p.confirmedPerS).padStart(11)} | ${`${p.sent}/${p.confirmed}/${p.failed}`.padEnd(23)} | ${ms(p.confirmP99).padStart(11)} | ${ms(p.wsP50).padStart(12)} | ${ms(p.wsP99).padStart(12)} | ${`${p.wsReceived}/${p.wsExpected}`.padStart(12)} | ${fmtLoad(p.load)}`,
      );
    }
    const s = single.phases.find((x) => x.rate === rate)!;
    const c = cluster.phases.find((x) => x.rate === rate)!;
    out(`        | cluster/single: confirmed/s ${ratio(c.confirmedPerS, s.confirmedPerS)}, confirm p99 ${ratio(c.confirmP99, s.confirmP99)}, frame→WS p50 ${ratio(c.wsP50, s.wsP50)}, p99 ${ratio(c.wsP99, s.wsP99)}`);
  }
  if (single.devices < devices) out(`  (the single node held ${int(single.devices)} devices: one process cannot hold ${int(devices)} connections under the open-file limit of ${nofile}; the cluster spreads them over two ingest nodes)`);
  out('failover (cluster):');
  for (const l of failoverReport) out(`  ${l}`);
  out(`load average at the end ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} on ${os.cpus().length} cores`);
}

/** The longest interval between consecutive confirms within [from, to], ms. */
function maxGap(ts: number[], from: number, to: number): number {
  const xs = [from, ...ts.filter((t) => t > from && t < to), to];
  let g = 0;
  for (let i = 1; i < xs.length; i++) g = Math.max(g, xs[i]! - xs[i - 1]!);
  return g;
}
