// `npm run bench:chaos [-- --quick] [-- --rate 1000 --devices 200 --clients 4]`
// The fault campaign: the real server, in a child process (backend/bench/chaos-server.ts), on
// a PostgreSQL cluster of its own (a scratch cluster this bench initialises, starts, restarts
// and removes: the machine's shared PostgreSQL is never touched), under a simulated fleet
// offering --rate uploads/s (default 1,000) with --clients WebSocket clients that resume by
// last id (backend/bench/chaos-driver.ts, a child process). Between the server and the
// database, and between the clients and the server, sit TCP proxies this process runs. In
// sequence:
//   kill      — the server is SIGKILLed and started again;
//   pg        — PostgreSQL stops as if it crashed (pg_ctl stop -m immediate) and starts again;
//   db-stall  — the database proxy stops forwarding (connections open, nothing moves), then
//               drops every connection;
//   ws-drop   — the client proxy stalls the WebSockets, then drops them;
//   clock     — device clocks jump hours ahead, then hours behind, then back.
// Afterwards the ledger: per fault the time to recover (first upload confirmed after the
// fault, sent after it; for the WebSocket clients the last resumed subscription), frames
// sent, confirmed, stored, confirmed but not stored (must be 0), stored twice (must be 0),
// stored fires without an alarm (must be 0), duplicate alarms (must be 0), alarms never on
// the stream (must be 0), and per client the gaps and out-of-order messages in its
// resumed stream (must be 0). Exits non-zero when an invariant fails.
//
// --quick: ~2.5 min of traffic; the full run repeats the sequence twice with longer phases.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { BenchContext } from '@firelink/common/testing';
import { startScratchCluster, type ScratchCluster } from '../src/db/cluster.ts';
import { createDatabase } from '../src/db/environment.ts';
import { migrate } from '../src/db/migrate.ts';
import { freePort } from '../src/kernel/net.ts';
import { createSession } from '../src/live/test-support.ts';
import { fmtLoad, measureLoad, positiveValue } from '../../ingest/bench/machine.ts';
import { seedFleet } from './fleet-seed.ts';
import type { DriverDump } from './chaos-driver.ts';

const ADDRESS_BASE = 7_000_000;
const SERVER_LOG = '/tmp/firelink-chaos-server.log';
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A TCP proxy that can stall (hold every byte, both ways, on open and new connections) and drop (destroy them all). */
class FaultProxy {
  private readonly sockets = new Set<Socket>();
  private stalled = false;
  private held: Array<[Socket, Buffer]> = [];
  private server!: Server;
  port = 0;

  constructor(private readonly targetPort: number) {}

  async start(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {});
      }
      const forward = (to: Socket) => (chunk: Buffer) => (this.stalled ? this.held.push([to, chunk]) : to.write(chunk));
      client.on('data', forward(upstream));
      upstream.on('data', forward(client));
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    this.port = await new Promise<number>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve((this.server.address() as { port: number }).port)));
  }

  stall(): void {
    this.stalled = true;
  }

  /** Every connection cut, held bytes discarded; new connections flow again. */
  drop(): void {
    this.held = [];
    for (const s of this.sockets) s.destroy();
    this.stalled = false;
  }

  close(): Promise<void> {
    this.drop();
    return new Promise((r) => this.server.close(() => r()));
  }
}

interface Fault {
  name: string;
  what: string;
  /** When the fault began and when it was healed (epoch ms). */
  at: number;
  healedAt: number;
}

export default async function bench(ctx: BenchContext): Promise<void> {
  const { values } = parseArgs({
    args: ctx.args.filter((a) => a !== '--'),
    options: {
      quick: { type: 'boolean', default: false },
      rate: { type: 'string' },
      devices: { type: 'string' },
      clients: { type: 'string' },
    },
  });
  const quick = values.quick!;
  const rate = positiveValue('rate', values.rate, 1000);
  const deviceCount = Math.round(positiveValue('devices', values.devices, 200));
  const clientCount = Math.round(positiveValue('clients', values.clients, 4));
  // Phase lengths (s): quick ≈ 2.5 min of traffic; full: longer phases, the sequence twice.
  const k = quick ? 1 : 3;
  const rounds = quick ? 1 : 2;
  const fireEvery = 200;
  // Fire points per device: enough for every fire frame the run offers, with room to spare.
  const trafficS = (15 + 130 * rounds) * k;
  const firePoints = Math.ceil((rate * trafficS) / fireEvery / deviceCount) + 4;
  const out = (l: string) => process.stdout.write(`${l}\n`);
  const load = measureLoad();

  const cluster: ScratchCluster = await startScratchCluster(ctx.log);
  const children: ChildProcess[] = [];
  const proxies: FaultProxy[] = [];
  const dumpPath = `/tmp/firelink-chaos-${process.pid}.json`;
  const serverLog = createWriteStream(SERVER_LOG);
  let pool: pg.Pool | undefined;
  try {
    await createDatabase(cluster.url('postgres'), 'chaos');
    const url = cluster.url('chaos');
    await migrate(url);
    pool = new pg.Pool({ connectionString: url, max: 2 });
    pool.on('error', () => {});
    const addresses = await seedFleet(pool, deviceCount, { prefix: '混沌单位', addressBase: ADDRESS_BASE });
    // Registered fire points (component type 42 on system 1/1), component addresses 1000…, per device.
    await pool.query(
      `WITH s AS (INSERT INTO facility_systems (device_id, system_type, system_address)
                  SELECT id, 1, 1 FROM devices WHERE address >= $1 RETURNING id, device_id)
       INSERT INTO points (unit_id, system_id, component_type, component_address, floor)
       SELECT d.unit_id, s.id, 42, 1000 + g, 1 FROM s JOIN devices d ON d.id = s.device_id, generate_series(0, $2 - 1) g`,
      [ADDRESS_BASE, firePoints],
    );
    const { token } = await createSession(pool, { username: 'bench-chaos', role: 'admin' });

    // ---- Proxies and the server
    const dbProxy = new FaultProxy(cluster.port);
    await dbProxy.start();
    proxies.push(dbProxy);
    const [httpPort, gbPort] = await Promise.all([freePort(), freePort()]);
    const wsProxy = new FaultProxy(httpPort);
    await wsProxy.start();
    proxies.push(wsProxy);
    const serverEnv = {
      ...process.env,
      DATABASE_URL: `postgres://postgres@127.0.0.1:${dbProxy.port}/chaos`,
      PORT: String(httpPort),
      HOST: '127.0.0.1',
      GB26875_PORT: String(gbPort),
      FIRELINK_DEMO: '0',
      FIRELINK_SIM_UNITS: '0',
      DUTY_CHECKS_PER_SHIFT: '0',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
    };
    let server: ChildProcess | undefined;
    const startServer = async (): Promise<number> => {
      const t0 = now();
      const p = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./chaos-server.ts', import.meta.url))], { env: serverEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(p);
      server = p;
      p.stderr!.pipe(serverLog, { end: false });
      const lines = createInterface({ input: p.stdout! });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the server did not start within 60 s; see ${SERVER_LOG}`)), 60_000);
        p.once('exit', (c) => reject(new Error(`the server exited with ${c} while starting; see ${SERVER_LOG}`)));
        lines.on('line', (l) => {
          if (l.startsWith('listening ')) {
            clearTimeout(timer);
            resolve();
          } else serverLog.write(`${l}\n`);
        });
      });
      return now() - t0;
    };
    ctx.log(`server up in ${((await startServer()) / 1000).toFixed(1)} s (log: ${SERVER_LOG}); ${deviceCount} devices, ${clientCount} WebSocket clients, ${rate} uploads/s`);

    // ---- The outside world
    const devices = addresses.map((address) => ({ address, firePoints: Array.from({ length: firePoints }, (_, i) => 1000 + i) }));
    const input = { gbPort, wsUrl: `ws://127.0.0.1:${wsProxy.port}/ws`, token, clients: clientCount, rate, fireEvery, devices, out: dumpPath };
    const driver = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./chaos-driver.ts', import.meta.url)), JSON.stringify(input)], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(driver);
    const driverLines = createInterface({ input: driver.stdout! })[Symbol.asyncIterator]();
    const expect = async (word: string, timeoutMs: number) => {
      const r = await Promise.race([driverLines.next(), sleep(timeoutMs).then(() => null)]);
      if (!r) throw new Error(`the chaos driver did not answer "${word}" within ${timeoutMs / 1000} s`);
      if (r.done) throw new Error('the chaos driver (backend/bench/chaos-driver.ts) exited early: see its error above');
      if (r.value !== word) throw new Error(`the chaos driver said "${r.value}", expected "${word}"`);
    };
    const tell = (cmd: string) => driver.stdin!.write(`${cmd}\n`);
    await expect('ready', 120_000);

    // ---- The campaign
    const faults: Fault[] = [];
    const fault = async (name: string, what: string, inject: () => Promise<void> | void, heal: () => Promise<void> | void, holdMs: number, afterS: number) => {
      const f: Fault = { name, what, at: now(), healedAt: NaN };
      faults.push(f);
      ctx.log(`fault ${name}: ${what}`);
      await inject();
      await sleep(holdMs);
      await heal();
      f.healedAt = now();
      await sleep(afterS * 1000 * k);
    };
    const t0 = now();
    tell('start');
    await sleep(15_000 * k);
    for (let round = 1; round <= rounds; round++) {
      const r = rounds > 1 ? `#${round}` : '';
      await fault(`kill${r}`, 'server SIGKILLed, started again', () => {
        server!.kill('SIGKILL');
      }, async () => {
        await sleep(500);
        await startServer();
      }, 2000, 20);
      await fault(`pg${r}`, 'PostgreSQL stopped (immediate) and started', () => cluster.stopServer('immediate'), () => cluster.startServer(), 3000, 25);
      await fault(`db-stall${r}`, 'database proxy stalls 8 s, then drops every connection', () => dbProxy.stall(), () => dbProxy.drop(), 8000, 20);
      await fault(`ws-drop${r}`, 'client proxy stalls the WebSockets 5 s, then drops them', () => wsProxy.stall(), () => wsProxy.drop(), 5000, 15);
      await fault(`clock${r}`, 'device clocks 6 h ahead for 10 s, then 6 h behind for 10 s', () => void tell(`clock ${6 * 3600_000}`), async () => {
        await sleep(10_000);
        tell(`clock ${-6 * 3600_000}`);
        await sleep(10_000);
        tell('clock 0');
      }, 0, 10);
    }
    const trafficEnd = now();
    ctx.log(`traffic stopped after ${((trafficEnd - t0) / 1000).toFixed(0)} s; waiting for every upload to be confirmed`);
    tell('stop');
    await expect('drained', 120_000);
    // Let the server's pipeline finish (every stored fire through the alarm rules, at most
    // 60 s), then ask the clients to reach the stream's head.
    for (const until = now() + 60_000; now() < until; await sleep(500)) {
      const r = await pool.query(`SELECT count(*)::int AS n FROM events e WHERE e.kind = 'fire' AND e.device_address >= $1 AND NOT EXISTS (SELECT 1 FROM alarm_events ae WHERE ae.event_id = e.id)`, [ADDRESS_BASE]).catch(() => null);
      if (r?.rows[0].n === 0) break;
    }
    await sleep(3000);
    const head = Number((await pool.query(`SELECT coalesce(max(id), 0) AS id FROM stream_log`)).rows[0].id);
    tell(`settle ${head}`);
    await expect('done', 90_000);
    const dump = JSON.parse(readFileSync(dumpPath, 'utf8')) as DriverDump;
    const machine = load();

    // ---- What was stored
    const stored = new Map<number, number>();
    const key = (dev: number, fire: number, value: number) => (dev * 2 + fire) * 1e6 + value;
    const devIndex = new Map(dump.addresses.map((a, i) => [a, i]));
    const ev = await pool.query<{ a: string; f: number; v: number; n: number }>(
      `SELECT device_address AS a, (kind = 'fire')::int AS f, CASE WHEN kind = 'fire' THEN component_address ELSE value END::int AS v, count(*)::int AS n
         FROM events WHERE device_address >= $1 AND kind IN ('analog_value', 'fire') GROUP BY 1, 2, 3`,
      [ADDRESS_BASE],
    );
    for (const r of ev.rows) stored.set(key(devIndex.get(Number(r.a))!, r.f, r.v), r.n);
    // Fire alarms per point: one each, counting each stored fire event once.
    const alarms = await pool.query<{ a: string; c: number; n: number; events: number }>(
      `SELECT d.address AS a, p.component_address::int AS c, count(*)::int AS n, sum(al.event_count)::int AS events
         FROM alarms al JOIN points p ON p.id = al.point_id JOIN facility_systems s ON s.id = p.system_id JOIN devices d ON d.id = s.device_id
        WHERE al.kind = 'fire' GROUP BY 1, 2`,
    );
    const alarmOf = new Map(alarms.rows.map((r) => [key(devIndex.get(Number(r.a))!, 1, r.c), r]));
    const streamed = await pool.query<{ n: number; twice: number; unstreamed: number }>(
      `SELECT (SELECT count(DISTINCT payload->'alarm'->>'id') FROM stream_log WHERE type = 'alarm_opened')::int AS n,
              (SELECT count(*) FROM (SELECT 1 FROM stream_log WHERE type = 'alarm_opened' GROUP BY payload->'alarm'->>'id' HAVING count(*) > 1) x)::int AS twice,
              (SELECT count(*) FROM alarms a WHERE NOT EXISTS (SELECT 1 FROM stream_log s WHERE s.type = 'alarm_opened' AND s.payload->'alarm'->>'id' = a.id::text))::int AS unstreamed`,
    );

    // ---- The ledger, per phase (a phase runs from its fault to the next one's)
    const phases = [{ name: 'baseline', what: 'no fault', at: t0, healedAt: t0 }, ...faults];
    const F = dump.frames;
    interface Row { sent: number; confirmed: number; stored: number; lost: number; twice: number; fires: number; unalarmed: number; dupAlarms: number; recoverMs: number }
    const rows: Row[] = phases.map(() => ({ sent: 0, confirmed: 0, stored: 0, lost: 0, twice: 0, fires: 0, unalarmed: 0, dupAlarms: 0, recoverMs: NaN }));
    let phase = 0;
    for (let i = 0; i < F.dev.length; i++) {
      while (phase + 1 < phases.length && F.sent[i]! >= phases[phase + 1]!.at) phase++;
      const row = rows[phase]!;
      const n = stored.get(key(F.dev[i]!, F.fire[i]!, F.value[i]!)) ?? 0;
      const confirmed = Number.isFinite(F.confirmed[i]!);
      row.sent++;
      if (confirmed) row.confirmed++;
      if (n > 0) row.stored++;
      if (confirmed && n === 0) row.lost++;
      if (n > 1) row.twice++;
      if (F.fire[i]) {
        row.fires++;
        const a = alarmOf.get(key(F.dev[i]!, 1, F.value[i]!));
        if (a && (a.n > 1 || a.events > n)) row.dupAlarms++;
        if (!a && n > 0) row.unalarmed++;
      }
      // Recovery: the first confirm of an upload sent after the fault began.
      if (confirmed && phase > 0) row.recoverMs = Math.min(Number.isFinite(row.recoverMs) ? row.recoverMs : Infinity, F.confirmed[i]! - phases[phase]!.at);
    }
    const ms = (x: number) => (Number.isFinite(x) ? `${(x / 1000).toFixed(1)} s` : '–');
    // WebSocket recovery: the last client's resumed subscription after the fault began.
    const wsRecover = (f: { at: number }, next: number) => {
      const times = dump.clients.map((c) => c.reconnects.filter((r) => r.closedAt >= f.at && r.closedAt < next).map((r) => r.subscribedAt - f.at));
      const all = times.flat();
      return all.length ? Math.max(...times.map((t) => (t.length ? Math.min(...t) : 0))) : NaN;
    };

    // Gaps per client: stream_log ids after its first snapshot it never received.
    const ids = (await pool.query<{ id: string }>(`SELECT id FROM stream_log WHERE id > (SELECT min(x) FROM unnest($1::bigint[]) x) ORDER BY id`, [dump.clients.map((c) => c.firstId)])).rows.map((r) => Number(r.id));
    const clientRows = dump.clients.map((c, i) => {
      let gaps = 0;
      let run = 0;
      const gapIds: number[] = [];
      for (const id of ids) {
        if (id <= c.firstId || id > c.lastId) continue;
        while (run < c.runs.length && c.runs[run]![1] < id) run++;
        const r = c.runs[run];
        if (!r || r[0] > id) {
          gaps++;
          if (gapIds.length < 20) gapIds.push(id);
        }
      }
      const received = c.runs.reduce((n, [a, b]) => n + b - a + 1, 0);
      const dupOpened = Object.values(c.alarmOpened).filter((n) => n > 1).length;
      return { i, received, gaps, gapIds, missingAtEnd: ids.filter((id) => id > c.lastId && id <= head).length, ...c, dupOpened };
    });

    out('');
    out(`bench:chaos${quick ? ' --quick' : ''} — ${rate} uploads/s offered by ${deviceCount} simulated UITDs over TCP (1 in ${fireEvery} a fire on a fresh point), ${clientCount} WebSocket clients resuming by last id; scratch PostgreSQL cluster; ${((trafficEnd - t0) / 1000).toFixed(0)} s of traffic; ${fmtLoad(machine)}`);
    out('  phase       | fault                                                     | recover (ingest) | recover (ws) | sent    | confirmed | stored  | confirmed, not stored | stored twice | fires | fires without alarm | duplicate alarms');
    phases.forEach((p, i) => {
      const r = rows[i]!;
      const next = phases[i + 1]?.at ?? Infinity;
      out(
        `  ${p.name.padEnd(11)} | ${p.what.padEnd(57)} | ${ms(r.recoverMs).padStart(16)} | ${ms(i ? wsRecover(p, next) : NaN).padStart(12)} | ${String(r.sent).padStart(7)} | ${String(r.confirmed).padStart(9)} | ${String(r.stored).padStart(7)} | ${String(r.lost).padStart(21)} | ${String(r.twice).padStart(12)} | ${String(r.fires).padStart(5)} | ${String(r.unalarmed).padStart(19)} | ${String(r.dupAlarms).padStart(16)}`,
      );
    });
    const sum = (f: (r: Row) => number) => rows.reduce((n, r) => n + f(r), 0);
    const total = { sent: sum((r) => r.sent), confirmed: sum((r) => r.confirmed), stored: sum((r) => r.stored), lost: sum((r) => r.lost), twice: sum((r) => r.twice), fires: sum((r) => r.fires), unalarmed: sum((r) => r.unalarmed), dupAlarms: sum((r) => r.dupAlarms) };
    out(`  ${'total'.padEnd(11)} | ${''.padEnd(57)} | ${''.padStart(16)} | ${''.padStart(12)} | ${String(total.sent).padStart(7)} | ${String(total.confirmed).padStart(9)} | ${String(total.stored).padStart(7)} | ${String(total.lost).padStart(21)} | ${String(total.twice).padStart(12)} | ${String(total.fires).padStart(5)} | ${String(total.unalarmed).padStart(19)} | ${String(total.dupAlarms).padStart(16)}`);
    out(`  uploads: ${dump.resends} resends, ${dump.denied} denied, ${total.sent - total.confirmed} never confirmed; fire alarms: ${alarms.rows.length} points alarmed, ${streamed.rows[0]!.twice} opened twice on the stream, ${streamed.rows[0]!.unstreamed} never on the stream`);
    out('  client | stream from → to      | received | resumes (snapshot instead) | gaps | out of order | behind at end | alarm_opened twice');
    for (const c of clientRows) {
      out(`  ${String(c.i + 1).padStart(6)} | ${`${c.firstId} → ${c.lastId}`.padEnd(21)} | ${String(c.received).padStart(8)} | ${`${c.reconnects.length} (${c.snapshotResets})`.padStart(26)} | ${String(c.gaps).padStart(4)} | ${String(c.outOfOrder).padStart(12)} | ${String(c.missingAtEnd).padStart(13)} | ${String(c.dupOpened).padStart(18)}`);
    }
    // Where it went wrong: the first missing ids and the alarms never streamed, with their times.
    const gapIds = [...new Set(clientRows.flatMap((c) => c.gapIds))].sort((a, b) => a - b).slice(0, 20);
    if (gapIds.length) {
      const g = await pool.query<{ id: string; type: string; at: Date }>(`SELECT id, type, at FROM stream_log WHERE id = ANY($1::bigint[]) ORDER BY id`, [gapIds]);
      out(`  first missing stream ids: ${g.rows.map((r) => `${r.id} ${r.type} at +${((r.at.getTime() - t0) / 1000).toFixed(1)} s`).join(', ')}`);
    }
    if (streamed.rows[0]!.unstreamed) {
      const u = await pool.query<{ id: string; opened_at: Date }>(`SELECT id, opened_at FROM alarms a WHERE NOT EXISTS (SELECT 1 FROM stream_log s WHERE s.type = 'alarm_opened' AND s.payload->'alarm'->>'id' = a.id::text) ORDER BY id LIMIT 20`);
      out(`  alarms never on the stream: ${u.rows.map((r) => `${r.id} opened at +${((r.opened_at.getTime() - t0) / 1000).toFixed(1)} s`).join(', ')}`);
    }
    out(`  faults began at: ${faults.map((f) => `${f.name} +${((f.at - t0) / 1000).toFixed(1)} s (healed +${((f.healedAt - t0) / 1000).toFixed(1)} s)`).join(', ')}`);
    const failures: string[] = [];
    if (total.lost) failures.push(`${total.lost} confirmed uploads not stored`);
    if (total.twice) failures.push(`${total.twice} uploads stored twice`);
    if (total.dupAlarms || streamed.rows[0]!.twice) failures.push(`duplicate alarms: ${total.dupAlarms} points, ${streamed.rows[0]!.twice} opened twice on the stream`);
    if (total.unalarmed) failures.push(`${total.unalarmed} stored fires without an alarm`);
    if (streamed.rows[0]!.unstreamed) failures.push(`${streamed.rows[0]!.unstreamed} alarms never on the stream`);
    for (const c of clientRows) {
      if (c.gaps || c.outOfOrder || c.snapshotResets || c.missingAtEnd || c.dupOpened) {
        failures.push(`client ${c.i + 1}: ${c.gaps} gaps, ${c.outOfOrder} out of order, ${c.snapshotResets} snapshots instead of resumes, ${c.missingAtEnd} behind at end, ${c.dupOpened} alarms opened twice`);
      }
    }
    if (total.confirmed === 0) failures.push('nothing was confirmed');
    out(failures.length ? `  FAILED: ${failures.join('; ')}` : '  every invariant held: 0 confirmed uploads lost, 0 stored twice, 0 duplicate alarms, 0 gaps or out-of-order messages in any resumed stream');
    if (failures.length) throw new Error(`bench:chaos: ${failures.length} invariant(s) failed (see the ledger above; server log ${SERVER_LOG})`);
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    for (const p of proxies) await p.close().catch(() => {});
    await pool?.end().catch(() => {});
    serverLog.end();
    rmSync(dumpPath, { force: true });
    cluster.destroy();
  }
}

