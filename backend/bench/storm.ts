// `npm run bench:storm [-- --quick] [-- --runs N --devices N --seconds S]`
// An alarm storm from outside: 10,000 registered UITDs over TCP report
// mains-power faults (alarm-producing traffic) at 1,000 frames/s (10 s: one fault per device)
// and at 3,000 frames/s (10 s: fault, restoration, fault per device), each followed by the
// restorations; before each, analog-value uploads at the same rate (no alarm) are the
// baseline measured in the same run. Per phase: send→confirm p50/p99 (the device's view),
// frame→alarm on the wall (one WebSocket client subscribed to everything) p50/p99/max and
// how long after the last frame the last alarm arrived, time to drain (alarm pipeline and
// SMS digests idle after the last frame), SMS messages queued (and the most any recipient
// got), storm groups formed; after the run, duplicate alarms (a device with more than one
// alarm row for its mains fault: must be 0, flapping reopens the same alarm).
// Median of three runs (fresh alarms, outbox and server each run), with the load average.
// Targets: 1,000/s sustained p99 confirm < 100 ms; 3,000/s burst p99 < 1 s and every alarm
// on the wall within 5 s of its frame; no duplicate alarm; messages per unit bounded.
//
// The server (ingest + live pipeline + SMS digests, as wired in production) runs in this
// process; the devices and the wall run in a child process (backend/bench/storm-driver.ts).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pg from 'pg';
import type { BenchContext } from '@firelink/common/testing';
import { configSchema } from '../src/kernel/config.ts';
import { ingestFeature } from '../src/devices/feature.ts';
import { threadedIngestFeature } from '../src/devices/ingest-thread.ts';
import { liveFeature, type LiveParts } from '../src/pipeline/feature.ts';
import { createSession } from '../src/live/test-support.ts';
import { createLogger } from '../src/logger.ts';
import { startServer } from '../src/main.ts';
import { NotificationIntake } from '../src/notifications/service.ts';
import { median } from '../../ingest/bench/machine.ts';

/** Units in two districts (鼓楼, 玄武), one UITD each, a responsible person's phone each, 20 maintenance agencies. */
async function seed(pool: pg.Pool, devices: number): Promise<Array<{ address: number; unitId: number }>> {
  await pool.query(`INSERT INTO regions (adcode, name, level, parent_adcode) VALUES
      (320000, '江苏省', 'province', NULL), (320100, '南京市', 'city', 320000),
      (320102, '玄武区', 'district', 320100), (320106, '鼓楼区', 'district', 320100)
    ON CONFLICT DO NOTHING`);
  await pool.query(`INSERT INTO maintenance_agencies (name, phone) SELECT '维保公司' || g, '025' || lpad(g::text, 8, '0') FROM generate_series(1, 20) g`);
  await pool.query(
    `WITH ag AS (SELECT array_agg(id ORDER BY id) AS ids FROM maintenance_agencies),
     u AS (
       INSERT INTO units (name, region_adcode, point, onboarding_state, synthetic, maintenance_agency_id, contacts)
       SELECT '风暴单位' || g, CASE WHEN g % 4 = 0 THEN 320102 ELSE 320106 END,
              ST_SetSRID(ST_MakePoint(118.70 + (g % 100) * 0.001, 32.00 + (g / 100) * 0.001), 4326), 'open', true,
              ag.ids[1 + g % 20], jsonb_build_array(jsonb_build_object('role', 'responsible', 'name', '负责人', 'phone', '138' || lpad(g::text, 8, '0')))
         FROM generate_series(1, $1) g, ag RETURNING id, name)
     INSERT INTO devices (unit_id, address, online, last_seen_at) SELECT id, 6000000 + substr(name, 5)::int, true, now() FROM u`,
    [devices],
  );
  const r = await pool.query(`SELECT address, unit_id FROM devices ORDER BY address`);
  return r.rows.map((x) => ({ address: Number(x.address), unitId: Number(x.unit_id) }));
}

interface PhaseReport {
  name: string;
  kind: 'analog' | 'storm' | 'restore';
  rate: number;
  frames: number;
  offered: number;
  confirmed: number;
  unconfirmed: number;
  confirmP50: number;
  confirmP99: number;
  confirmMax: number;
  wallSeen: number;
  wallMissing: number;
  wallP50: number;
  wallP99: number;
  wallMax: number;
  allOnWallAfterLastFrameMs: number;
  alarmMessages: number;
  stormMessages: number;
  lastStorm: { units?: number; members?: number; regionName?: string } | null;
  // measured here
  drainMs: number;
  maxPipelineQueue: number;
  maxNotifyQueue: number;
  smsQueued: number;
  smsMaxPerRecipient: number;
  groups: number;
  load1: number;
  alarmBatches: number;
  alarmEvents: number;
  alarmMs: number;
  /** AlarmService.publishRows (the changes appended to the stream and sent; overlaps the next batch) in the phase, ms. */
  broadcastMs: number;
  /** The server process's event-loop delay during the phase (frames, confirms and the pipeline share that loop), ms. */
  loopP99: number;
  loopMax: number;
}

async function oneRun(ctx: BenchContext, devices: Array<{ address: number; unitId: number }>, seconds: number, token: string, run: number, inProcess: boolean): Promise<{ phases: PhaseReport[]; duplicates: number; alarms: number; flapped: number }> {
  const admin = new pg.Pool({ connectionString: ctx.databaseUrl, max: 2 });
  admin.on('error', (err) => ctx.log(`bench database connection lost: ${err.message}`));
  // A fresh start: no alarms, groups, messages or device states from the run before.
  await admin.query(`TRUNCATE alarms, alarm_events, alarm_steps, alarm_group_members, alarm_groups, outbox, stream_log, events CASCADE`);
  let tcpPort = 0;
  let parts: LiveParts | undefined;
  let intake: NotificationIntake | undefined;
  const config = configSchema.parse({ PORT: '0', HOST: '127.0.0.1', FIRELINK_DEMO: '0', DUTY_CHECKS_PER_SHIFT: '0', LOG_LEVEL: 'warn' });
  const server = await startServer({
    config,
    databaseUrl: ctx.databaseUrl,
    logger: createLogger(process.env.BENCH_LOG_LEVEL ?? 'fatal'),
    features: [
      inProcess ? ingestFeature({ demoFleet: false, onStarted: (h) => (tcpPort = h.port) }) : threadedIngestFeature({ demoFleet: false, onStarted: (h) => (tcpPort = h.port) }),
      liveFeature({ expose: (p) => (parts = p), hub: { heartbeatMs: 120_000 } }),
      // The SMS digests exactly as the onboarding feature wires them (bus → bounded queue → outbox).
      (fctx) => {
        intake = new NotificationIntake(fctx.pool, {}, fctx.logger);
        let off: (() => void) | null = null;
        return {
          name: 'bench-notifications',
          start: async () => {
            off = fctx.bus.subscribe(intake!.handle);
            intake!.start();
          },
          stop: async () => {
            off?.();
            await intake!.stop();
          },
        };
      },
    ],
  });
  // The alarm stage's own time (AlarmService.applyEvents: one transaction per batch), read by wrapping the instance's method.
  const alarmStage = { batches: 0, events: 0, ms: 0, broadcastMs: 0 };
  // Its broadcast: the stream append and sending, which overlaps the next batch's rules.
  const broadcast = parts!.alarms.publishRows.bind(parts!.alarms);
  parts!.alarms.publishRows = async (rows) => {
    const t = performance.now();
    try {
      return await broadcast(rows);
    } finally {
      alarmStage.broadcastMs += performance.now() - t;
    }
  };
  const apply = parts!.alarms.applyEvents.bind(parts!.alarms);
  parts!.alarms.applyEvents = async (events) => {
    const t = performance.now();
    try {
      return await apply(events);
    } finally {
      alarmStage.batches++;
      alarmStage.events += events.length;
      alarmStage.ms += performance.now() - t;
    }
  };
  const phases: Array<{ name: string; kind: 'analog' | 'storm' | 'restore'; rate: number; seconds: number }> = [];
  for (const rate of [1000, 3000]) {
    phases.push({ name: `baseline ${rate}/s`, kind: 'analog', rate, seconds });
    phases.push({ name: `storm ${rate}/s`, kind: 'storm', rate, seconds });
    phases.push({ name: `restore ${rate}/s`, kind: 'restore', rate, seconds });
  }
  const input = { tcpPort, wsUrl: `ws://127.0.0.1:${server.httpPort}/ws`, token, devices, phases };
  const driver = fileURLToPath(new URL('./storm-driver.ts', import.meta.url));
  // The input goes through a file: 10,000 devices as an argument pass the kernel's argument size (E2BIG).
  const inputFile = join(mkdtempSync(join(os.tmpdir(), 'firelink-storm-')), 'input.json');
  writeFileSync(inputFile, JSON.stringify(input));
  const child = spawn(process.execPath, ['--import', 'tsx', driver, inputFile], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.once('exit', () => rmSync(dirname(inputFile), { recursive: true, force: true }));
  const rl = createInterface({ input: child.stdout! });
  const lines: string[] = [];
  let wake: (() => void) | null = null;
  rl.on('line', (l) => {
    lines.push(l);
    wake?.();
  });
  const exited = new Promise<number>((r) => child.once('exit', (c) => r(c ?? 1)));
  const nextLine = async (prefix: string): Promise<string> => {
    for (;;) {
      const i = lines.findIndex((l) => l.startsWith(prefix));
      if (i >= 0) return lines.splice(i, 1)[0]!;
      const done = await Promise.race([new Promise<boolean>((r) => (wake = () => r(false))), exited.then(() => true)]);
      if (done && !lines.some((l) => l.startsWith(prefix))) throw new Error(`bench driver exited before "${prefix}"`);
    }
  };
  const connected = await nextLine('connected');
  ctx.log(`run ${run}: ${connected.split(' ')[1]} devices connected in ${connected.split(' ')[2]} s`);
  const out: PhaseReport[] = [];
  for (let i = 0; i < phases.length; i++) {
    const sms0 = Number((await admin.query(`SELECT coalesce(max(id), 0) AS id FROM outbox`)).rows[0].id);
    let maxPipe = 0;
    let maxNotify = 0;
    const sampler = setInterval(() => {
      maxPipe = Math.max(maxPipe, parts?.pipeline.queued ?? 0);
      maxNotify = Math.max(maxNotify, intake?.queued ?? 0);
    }, 50);
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    child.stdin!.write('next\n');
    await nextLine('sent');
    const sentAt = performance.now();
    // Drained: the live pipeline (broadcast and alarm stages) idle and no event waiting for SMS digests.
    await parts!.pipeline.idle();
    while ((intake?.queued ?? 0) > 0) await new Promise((r) => setTimeout(r, 20));
    await intake!.flush();
    const drainMs = performance.now() - sentAt;
    // NaN travels as null in JSON.
    const report = JSON.parse((await nextLine('report')).slice(7), (_k, v: unknown) => (v === null ? NaN : v)) as PhaseReport;
    if (!report.lastStorm || typeof report.lastStorm !== 'object') report.lastStorm = null;
    const stage = { ...alarmStage };
    alarmStage.batches = 0;
    alarmStage.events = 0;
    alarmStage.ms = 0;
    alarmStage.broadcastMs = 0;
    clearInterval(sampler);
    loop.disable();
    const loopP99 = loop.percentile(99) / 1e6;
    const loopMax = loop.max / 1e6;
    const sms = (
      await admin.query(
        `SELECT count(*) AS n, coalesce(max(c), 0) AS top FROM (SELECT recipient, count(*) OVER (PARTITION BY recipient) AS c FROM outbox WHERE channel = 'sms' AND id > $1) x`,
        [sms0],
      )
    ).rows[0];
    const groups = Number((await admin.query(`SELECT count(*) FROM alarm_groups`)).rows[0].count);
    Object.assign(report, { alarmBatches: stage.batches, alarmEvents: stage.events, alarmMs: stage.ms, broadcastMs: stage.broadcastMs, drainMs, maxPipelineQueue: maxPipe, maxNotifyQueue: maxNotify, smsQueued: Number(sms.n), smsMaxPerRecipient: Number(sms.top), groups, load1: os.loadavg()[0]!, loopP99, loopMax });
    out.push(report);
    ctx.log(
      `run ${run} ${report.name}: confirm p50/p99 ${report.confirmP50.toFixed(1)}/${report.confirmP99.toFixed(1)} ms, server event-loop delay p99/max ${loopP99.toFixed(0)}/${loopMax.toFixed(0)} ms` +
        (report.kind !== 'analog'
          ? `, wall p99/max ${report.wallP99.toFixed(0)}/${report.wallMax.toFixed(0)} ms (missing ${report.wallMissing}), drain ${drainMs.toFixed(0)} ms, SMS ${report.smsQueued}, ` +
            `alarm stage ${stage.batches} batches / ${stage.events} events in ${stage.ms.toFixed(0)} ms (${(stage.events / Math.max(stage.ms / 1000, 0.001)).toFixed(0)} events/s), broadcast ${stage.broadcastMs.toFixed(0)} ms`
          : ''),
    );
  }
  child.stdin!.end();
  const code = await exited;
  await server.close();
  const dup = (
    await admin.query(
      `SELECT coalesce(sum(n - 1), 0) AS dup, coalesce(sum(n), 0) AS alarms, coalesce(sum(flaps), 0) AS flapped
         FROM (SELECT unit_id, count(*) AS n, sum(flap_count) AS flaps FROM alarms WHERE trigger_kind = 'mains_power_fault' GROUP BY unit_id) x`,
    )
  ).rows[0];
  await admin.end();
  if (code !== 0) throw new Error(`bench driver exited with ${code}`);
  return { phases: out, duplicates: Number(dup.dup), alarms: Number(dup.alarms), flapped: Number(dup.flapped) };
}

export default async function bench(ctx: BenchContext): Promise<void> {
  const { values } = parseArgs({
    args: ctx.args.filter((a) => a !== '--'),
    options: {
      quick: { type: 'boolean', default: false },
      runs: { type: 'string' },
      devices: { type: 'string' },
      seconds: { type: 'string' },
      // GB/T 26875 ingest in the main thread (INGEST_THREAD=0) instead of its own thread, for comparison.
      'in-process': { type: 'boolean', default: false },
    },
  });
  const inProcess = values['in-process'];
  const runs = Number(values.runs ?? 3);
  const deviceCount = Number(values.devices ?? (values.quick ? 2000 : 10_000));
  const seconds = Number(values.seconds ?? (values.quick ? 3 : 10));
  const pool = new pg.Pool({ connectionString: ctx.databaseUrl, max: 2 });
  const devices = await seed(pool, deviceCount);
  const { token } = await createSession(pool, { username: 'bench-wall', role: 'admin' });
  await pool.end();
  ctx.log(`${deviceCount} devices, ${seconds} s per phase, ${runs} runs`);

  const results: Array<Awaited<ReturnType<typeof oneRun>>> = [];
  for (let i = 1; i <= runs; i++) results.push(await oneRun(ctx, devices, seconds, token, i, inProcess));

  const names = results[0]!.phases.map((p) => p.name);
  const med = (name: string, k: keyof PhaseReport) => median(results.map((r) => Number(r.phases.find((p) => p.name === name)![k])));
  const f = (x: number, d = 0) => (Number.isNaN(x) ? '-' : x.toFixed(d));
  const cpus = os.cpus();
  const lines = [
    '',
    `alarm storm: ${deviceCount} UITDs over TCP, mains-power faults and restorations; ingest ${inProcess ? 'in the main thread (--in-process)' : 'on its own thread'}; median of ${runs} runs (each: fresh alarms, outbox and server)`,
    `machine: ${cpus.length} × ${cpus[0]?.model ?? 'cpu'}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} at the end (shared with other engineers' work: figures are pessimistic)`,
    '',
    'phase            | frames | achieved/s | confirm p50 ms | confirm p99 ms | on wall p50/p99/max ms | last alarm after last frame ms | drain ms | max queued events (pipeline / SMS) | SMS queued (max per recipient) | storm messages | load 1m',
    '-----------------|--------|------------|----------------|----------------|------------------------|--------------------------------|----------|------------------------------------|--------------------------------|----------------|--------',
    ...names.map((n) => {
      const storm = results[0]!.phases.find((p) => p.name === n)!.kind === 'storm';
      return [
        n.padEnd(16),
        f(med(n, 'frames')).padStart(6),
        f(med(n, 'offered')).padStart(10),
        f(med(n, 'confirmP50'), 1).padStart(14),
        f(med(n, 'confirmP99'), 1).padStart(14),
        (storm ? `${f(med(n, 'wallP50'))} / ${f(med(n, 'wallP99'))} / ${f(med(n, 'wallMax'))}` : '-').padStart(22),
        (storm ? f(med(n, 'allOnWallAfterLastFrameMs')) : '-').padStart(30),
        f(med(n, 'drainMs')).padStart(8),
        `${f(med(n, 'maxPipelineQueue'))} / ${f(med(n, 'maxNotifyQueue'))}`.padStart(34),
        `${f(med(n, 'smsQueued'))} (${f(med(n, 'smsMaxPerRecipient'))})`.padStart(30),
        f(med(n, 'stormMessages')).padStart(14),
        f(med(n, 'load1'), 1).padStart(7),
      ].join(' | ');
    }),
    '',
    `alarm stage (AlarmService.applyEvents, one transaction per batch) per phase, median: ${names
      .filter((n) => results[0]!.phases.find((p) => p.name === n)!.kind !== 'analog')
      .map((n) => `${n}: ${f(med(n, 'alarmEvents'))} events in ${f(med(n, 'alarmBatches'))} batches, ${f(med(n, 'alarmMs'))} ms (then broadcast ${f(med(n, 'broadcastMs'))} ms)`)
      .join('; ')}`,
    `server event-loop delay p99 / max (ms), median per phase: ${names.map((n) => `${n}: ${f(med(n, 'loopP99'))} / ${f(med(n, 'loopMax'))}`).join('; ')}`,
    `per run: unconfirmed uploads ${results.map((r) => r.phases.reduce((s, p) => s + p.unconfirmed, 0)).join(' / ')}; fault frames never on the wall ${results.map((r) => r.phases.reduce((s, p) => s + p.wallMissing, 0)).join(' / ')}`,
    `per run: mains-fault alarm rows ${results.map((r) => r.alarms).join(' / ')} for ${deviceCount} devices, duplicates ${results.map((r) => r.duplicates).join(' / ')} (must be 0), reopened by flapping ${results.map((r) => r.flapped).join(' / ')}`,
    `per run: storm groups ${results.map((r) => r.phases[r.phases.length - 1]!.groups).join(' / ')}; last storm message ${JSON.stringify(results[results.length - 1]!.phases.find((p) => p.kind === 'storm' && p.lastStorm)?.lastStorm ?? null)}`,
    '',
    'confirm: upload sent by the device → confirm received (ingest commit; the device\'s view). on wall: fault frame sent → alarm message received by the',
    'WebSocket client. drain: last frame sent → live pipeline idle and SMS digests written. SMS: digests written in the phase (SMS_GATEWAY_URL unset: queued).',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}
