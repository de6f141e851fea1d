// `npm run bench:ingest [-- --quick] [-- --devices N --rate R --seconds S]`
// 1. Codec alone: frames/s (decode, and decode + ADU parse) on a realistic frame mix.
// 2. Over TCP into PostGIS with N simulated devices connected (default 10,000, from one
//    child process): sustained confirmed events/s at a high offered rate, and p50/p99 of
//    frame received → confirm sent at 2,000 events/s.
// Targets (one 2-core machine): codec ≥ 200,000 frames/s; ≥ 5,000 confirmed
// events/s sustained; p99 confirm latency < 50 ms at 2,000 events/s.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import os from 'node:os';
import pg from 'pg';
import { PG_CONNECTION_OPTIONS } from '@firelink/common';
import type { BenchContext } from '@firelink/common/testing';
import { FrameDecoder, encodeAdu, encodeFrame, parseAdu } from '../src/codec/index.ts';
import { EventStore } from '../src/store/event-store.ts';
import { startGb26875Server } from '../src/server/gb26875-server.ts';
import { syntheticPoints } from '../src/sim/fleet.ts';

const T = '2026-11-29T10:05:00';

function frameMix(n: number): Buffer {
  const kinds = [
    () => encodeAdu({ type: 2, objects: [{ systemType: 1, systemAddress: 1, componentType: 42, componentAddress: 0x10023, status: 2, description: '三层东走廊烟感', time: T }] }),
    () => encodeAdu({ type: 1, objects: [{ systemType: 1, systemAddress: 1, status: 0x0001, time: T }] }),
    () => encodeAdu({ type: 3, objects: [{ systemType: 11, systemAddress: 1, componentType: 99, componentAddress: 5, analogType: 4, value: 6, time: T }] }),
    () => Buffer.alloc(0),
  ];
  const adus = kinds.map((k) => k());
  const frames: Buffer[] = [];
  for (let i = 0; i < n; i++) frames.push(encodeFrame({ serial: i & 0xffff, source: 100_000 + (i % 1000), destination: 0, command: 2, adu: adus[i % adus.length]!, time: T }));
  return Buffer.concat(frames);
}

function benchCodec(log: (m: string) => void, frames: number): { decode: { wall: number; cpu: number }; parse: { wall: number; cpu: number } } {
  const stream = frameMix(frames);
  const chunk = 64 * 1024;
  const run = (parse: boolean) => {
    const d = new FrameDecoder();
    let n = 0;
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let at = 0; at < stream.length; at += chunk) {
      for (const f of d.push(stream.subarray(at, at + chunk))) {
        if (parse && !(f instanceof Error)) parseAdu(f.adu);
        n++;
      }
    }
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    if (n !== frames) throw new Error(`decoded ${n} of ${frames} frames`);
    return { wall: frames / s, cpu: frames / ((cpu.user + cpu.system) / 1e6) };
  };
  run(true); // warm up
  const best = (a: { wall: number; cpu: number }, b: { wall: number; cpu: number }) => ({ wall: Math.max(a.wall, b.wall), cpu: Math.max(a.cpu, b.cpu) });
  const decode = best(run(false), run(false));
  const parse = best(run(true), run(true));
  log(`codec: ${frames} frames (${(stream.length / 1e6).toFixed(1)} MB)`);
  return { decode, parse };
}

async function registerDevices(pool: pg.Pool, n: number, startAddress: number, pointsPerDevice: number): Promise<void> {
  await pool.query(
    `INSERT INTO units (external_id, name, onboarding_state, h3_r9, synthetic)
     SELECT 'bench-' || g, 'bench unit ' || g, 'open', '8931aa42a1bffff', true FROM generate_series(0, $1 - 1) g`,
    [n],
  );
  await pool.query(
    `INSERT INTO devices (unit_id, address) SELECT u.id, $2 + (substr(u.external_id, 7))::int FROM units u WHERE u.external_id LIKE 'bench-%' AND u.id IS NOT NULL ORDER BY u.id LIMIT $1`,
    [n, startAddress],
  );
  await pool.query(`INSERT INTO facility_systems (device_id, system_type, system_address) SELECT id, 1, 1 FROM devices`);
  const addresses = syntheticPoints(pointsPerDevice).map((p) => p.componentAddress);
  await pool.query(
    `INSERT INTO points (unit_id, system_id, component_type, component_address)
     SELECT d.unit_id, s.id, 42, a FROM facility_systems s JOIN devices d ON d.id = s.device_id, unnest($1::bigint[]) a`,
    [addresses],
  );
  await pool.query('ANALYZE');
}

/** Commit batches of a phase: count, mean size, and where a transaction's time goes. */
function storeTiming(now: EventStore['timing'], before: EventStore['timing']): string {
  const b = now.batches - before.batches;
  if (b === 0) return 'no commit batches';
  const per = (x: number) => (x / b).toFixed(1);
  const tx = now.txMs - before.txMs;
  const read = now.readMs - before.readMs;
  const write = now.writeMs - before.writeMs;
  const fast = now.fastBatches - before.fastBatches;
  return `${b} commit batches of ${((now.frames - before.frames) / b).toFixed(1)} frames (${fast} on the 2-round-trip fast path), per batch ${per(tx)} ms in transaction (read statement ${per(read)} ms, write statement ${per(write)} ms, BEGIN/COMMIT (transactions only)/JS ${per(tx - read - write)} ms)`;
}

export default async function bench(ctx: BenchContext): Promise<void> {
  const { values } = parseArgs({
    args: ctx.args,
    options: {
      quick: { type: 'boolean' },
      devices: { type: 'string' },
      rate: { type: 'string' },
      seconds: { type: 'string' },
      lanes: { type: 'string' },
    },
  });
  const quick = values.quick ?? false;
  const devices = Number(values.devices ?? (quick ? 1000 : 10_000));
  const highRate = Number(values.rate ?? 5000);
  const seconds = Number(values.seconds ?? (quick ? 5 : 20));
  const out = (l: string) => process.stdout.write(`${l}\n`);

  out(`FireLink ingest benchmark — ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), node ${process.version}`);
  out('NOTE: the machine is shared with other engineers\' builds and tests right now; figures are pessimistic.');
  out('');
  const codec = benchCodec(ctx.log, quick ? 100_000 : 400_000);
  const n = (x: number) => Math.round(x).toLocaleString('en');
  out(`codec   decode only            ${n(codec.decode.wall)} frames/s wall clock, ${n(codec.decode.cpu)} frames per CPU-second   (target ≥ 200,000)`);
  out(`codec   decode + ADU parse     ${n(codec.parse.wall)} frames/s wall clock, ${n(codec.parse.cpu)} frames per CPU-second`);

  const pool = new pg.Pool({ connectionString: ctx.databaseUrl, max: 20, options: PG_CONNECTION_OPTIONS });
  pool.on('error', () => {});
  const startAddress = 1_000_000;
  const pointsPerDevice = 8;
  ctx.log(`registering ${devices} devices…`);
  await registerDevices(pool, devices, startAddress, pointsPerDevice);
  const store = new EventStore(pool, { lanes: Number(values.lanes ?? 4) });
  const server = await startGb26875Server({ port: 0, host: '127.0.0.1', store, clockSyncOnConnect: false, maxConnections: devices + 100 });

  // Latency first (a clean system), then a ramp to find the sustainable rate: a phase is
  // sustained when what was confirmed during it keeps up with what was offered.
  const ramp = values.rate ? [highRate] : [3000, 5000, 7000];
  const phases = [{ name: 'latency @2000/s', rate: 2000, seconds }, ...ramp.map((rate) => ({ name: `ramp @${rate}/s`, rate, seconds }))];
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./fleet-runner.ts', import.meta.url)), JSON.stringify({ port: server.port, units: devices, startAddress, pointsPerDevice, phases: phases.map(({ rate, seconds: s }) => ({ rate, seconds: s })) })],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout! });
  let phaseStart = { at: 0, events: 0, frames: 0, cpu: process.cpuUsage(), timing: { ...store.timing } };
  let phaseIndex = -1;
  const results: string[] = [];
  let connectedLine = '';
  for await (const line of lines) {
    if (line.startsWith('connected')) {
      const [, n, s] = line.split(' ');
      connectedLine = `${n} of ${devices} devices connected in ${s} s (server sees ${server.stats().connections} connections)`;
      ctx.log(connectedLine);
    } else if (line.startsWith('phase')) {
      phaseIndex = Number(line.split(' ')[1]);
      server.latency.reset();
      const st = server.stats();
      phaseStart = { at: performance.now(), events: st.eventsStored, frames: st.framesConfirmed, cpu: process.cpuUsage(), timing: { ...store.timing } };
      ctx.log(`phase ${phases[phaseIndex]!.name}: offering ${phases[phaseIndex]!.rate} events/s for ${phases[phaseIndex]!.seconds} s`);
    } else if (line.startsWith('report')) {
      const client = JSON.parse(line.slice(7)) as { sent: number; confirmed: number; resends: number; failed: number; latencyMs: { p50: number; p99: number } };
      const st = server.stats();
      const s = (performance.now() - phaseStart.at) / 1000;
      const p = phases[phaseIndex]!;
      const events = st.eventsStored - phaseStart.events;
      const cpu = process.cpuUsage(phaseStart.cpu);
      const cpuMs = (cpu.user + cpu.system) / 1000;
      const frames = st.framesConfirmed - phaseStart.frames;
      results.push(
        `tcp     ${p.name.padEnd(18)} ${p.seconds} s + ${(s - p.seconds).toFixed(1)} s drain: confirmed ${(frames / s).toFixed(0)} frames/s, stored ${(events / s).toFixed(0)} events/s (over phase + drain); ` +
          `server received→confirm p50 ${server.latency.percentile(50).toFixed(1)} ms, p99 ${server.latency.percentile(99).toFixed(1)} ms; ` +
          `device send→confirm p50 ${client.latencyMs.p50.toFixed(1)} ms, p99 ${client.latencyMs.p99.toFixed(1)} ms; devices sent ${(client.sent / p.seconds).toFixed(0)}/s, resends ${client.resends}, unconfirmed ${client.failed}; ` +
          `server process CPU ${((cpuMs / (s * 1000)) * 100).toFixed(0)}% of one core (${frames > 0 ? ((cpuMs * 1000) / frames).toFixed(0) : '–'} µs per confirmed frame); ` +
          storeTiming(store.timing, phaseStart.timing),
      );
    }
  }
  out(`tcp     ${connectedLine}`);
  for (const r of results) out(r);
  out('targets: ≥ 5,000 confirmed events/s sustained; p99 received→confirm < 50 ms at 2,000 events/s');
  out(`load average during the run: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} on ${os.cpus().length} cores`);
  await server.close();
  await pool.end();
}
