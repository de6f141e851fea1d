// What the machine itself can do, measured in the same run as FireLink's figures, so a
// figure survives a busy or slow machine as a share of it: a durable INSERT rate into a
// table shaped like `events`, a raw loopback TCP echo rate (in a child process, as the
// devices are), and the load average and CPU steal seen during each phase. Shared by
// `npm run bench:ingest` and `npm run bench:live`; the raw WebSocket fan-out baseline
// lives with the live bench (backend/bench/ws-baseline.ts).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import pg from 'pg';

// ---------------------------------------------------------------------------------------
// Load and steal per phase

interface CpuTimes {
  total: number;
  idle: number;
  steal: number;
}

/** The machine's summed CPU times (jiffies) from /proc/stat; zeros where it is not readable. */
function cpuTimes(): CpuTimes {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    // cpu user nice system idle iowait irq softirq steal guest guest_nice (guests are inside user/nice)
    const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = v.reduce((a, b) => a + b, 0);
    return { total, idle: (v[3] ?? 0) + (v[4] ?? 0), steal: v[7] ?? 0 };
  } catch {
    return { total: 0, idle: 0, steal: 0 };
  }
}

export interface MachineLoad {
  /** 1-minute load average at the end of the phase. */
  load1: number;
  /** Share (0…1) of all CPUs' time the hypervisor gave to others (steal) during the phase. */
  steal: number;
  /** Share (0…1) of all CPUs' time busy (not idle, not steal) during the phase. */
  busy: number;
}

/** Starts measuring a phase; the returned function reports the load seen since. */
export function measureLoad(): () => MachineLoad {
  const a = cpuTimes();
  return () => {
    const b = cpuTimes();
    const dt = b.total - a.total;
    const share = (x: number) => (dt > 0 ? x / dt : NaN);
    const steal = share(b.steal - a.steal);
    return { load1: os.loadavg()[0]!, steal, busy: share(dt - (b.idle - a.idle) - (b.steal - a.steal)) };
  };
}

/**
 * CPU time (µs) the PostgreSQL backends serving `pool`'s database spent since this call:
 * utime + stime of their processes from /proc, summed over the backends seen at the start
 * and at the end (a backend that exits in between loses its share). Null where the server's
 * processes are not readable (another machine, another user).
 */
export async function pgBackendCpu(pool: pg.Pool): Promise<() => Promise<number | null>> {
  const tick = 1e6 / 100; // µs per clock tick (USER_HZ is 100 on Linux)
  const read = async (): Promise<Map<number, number> | null> => {
    const pids = (await pool.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'`)).rows;
    const out = new Map<number, number>();
    for (const { pid } of pids) {
      try {
        const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
        out.set(pid, (Number(fields[11]) + Number(fields[12])) * tick);
      } catch {
        return null;
      }
    }
    return out;
  };
  const a = await read();
  return async () => {
    const b = await read();
    if (!a || !b) return null;
    let us = 0;
    for (const [pid, t] of b) us += t - (a.get(pid) ?? 0);
    return us;
  };
}

export const fmtLoad = (l: MachineLoad) => `load ${l.load1.toFixed(1)}, steal ${(l.steal * 100).toFixed(1)}%, CPUs busy ${(l.busy * 100).toFixed(0)}%`;

// ---------------------------------------------------------------------------------------
// Baselines

/**
 * Durable INSERT rate (rows/s) into a scratch table shaped like `events` (bigserial key, a
 * unique text key, two B-tree indexes, a jsonb payload): `clients` connections, each
 * committing `rowsPerTx` rows per transaction (one unnest INSERT, synchronous commit) for
 * `seconds`. The table is dropped afterwards.
 */
export async function insertBaseline(databaseUrl: string, opts: { seconds: number; clients?: number; rowsPerTx?: number }): Promise<number> {
  const clients = opts.clients ?? 4;
  const rowsPerTx = opts.rowsPerTx ?? 200;
  const pool = new pg.Pool({ connectionString: databaseUrl, max: clients + 1 });
  pool.on('error', () => {});
  try {
    await pool.query(`DROP TABLE IF EXISTS bench_insert_baseline`);
    await pool.query(`CREATE TABLE bench_insert_baseline (
        id bigserial PRIMARY KEY, dedupe_key text NOT NULL UNIQUE, unit_id bigint, kind text NOT NULL,
        received_at timestamptz NOT NULL, raw bytea, payload jsonb NOT NULL)`);
    await pool.query(`CREATE INDEX ON bench_insert_baseline (unit_id, received_at)`);
    await pool.query(`CREATE INDEX ON bench_insert_baseline (kind, received_at)`);
    const raw = 'a'.repeat(78);
    let rows = 0;
    let seq = 0;
    const end = performance.now() + opts.seconds * 1000;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (performance.now() < end) {
          const keys: string[] = [];
          const units: number[] = [];
          for (let i = 0; i < rowsPerTx; i++) {
            keys.push(`baseline:${seq++}`);
            units.push(seq % 10_000);
          }
          await pool.query(
            `INSERT INTO bench_insert_baseline (dedupe_key, unit_id, kind, received_at, raw, payload)
             SELECT k, u, 'analog_value', now(), decode($3, 'hex'), jsonb_build_object('serial', u, 'aduType', 3)
               FROM unnest($1::text[], $2::bigint[]) AS x(k, u)
             ON CONFLICT (dedupe_key) DO NOTHING`,
            [keys, units, raw],
          );
          rows += rowsPerTx;
        }
      }),
    );
    return rows / ((performance.now() - t0) / 1000);
  } finally {
    await pool.query(`DROP TABLE IF EXISTS bench_insert_baseline`).catch(() => {});
    // The baseline's dirty pages are written now (a superuser's CHECKPOINT; refused
    // otherwise), not by a checkpoint in the middle of the phase measured next.
    await pool.query('CHECKPOINT').catch(() => {});
    await pool.end();
  }
}

/**
 * Raw loopback TCP echo rate (round trips/s): an echo server in this process, `conns`
 * connections from a child process each sending a 64-byte message and waiting for it back,
 * for `seconds`. The same path a device's upload and its confirm take, without FireLink.
 */
export async function tcpEchoBaseline(opts: { seconds: number; conns?: number }): Promise<number> {
  const server = createServer({ noDelay: true }, (s) => {
    s.on('error', () => {});
    s.on('data', (d) => s.write(d));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    const out = await runChild(fileURLToPath(new URL('./echo-client.ts', import.meta.url)), [JSON.stringify({ port, seconds: opts.seconds, conns: opts.conns ?? 100 })]);
    return Number(JSON.parse(out).rate);
  } finally {
    server.close();
  }
}

/** Runs a TypeScript file in a child node process (tsx) and returns its stdout. */
export function runChild(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${file} exited with ${code}`))));
  });
}

// ---------------------------------------------------------------------------------------
// Command-line arguments

/** The word after `--name` in a bench's arguments; undefined when the flag is not given. */
export function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

/** The positive number after `--name` (`def` when the flag is not given); anything else is an error naming the flag. */
export function positiveArg(args: string[], name: string, def: number, opts: { integer?: boolean } = {}): number {
  return positiveValue(name, argValue(args, name), def, opts);
}

/** `v` (a flag's text, e.g. from node:util parseArgs) as a positive number, `def` when absent; anything else is an error naming the flag. */
export function positiveValue(name: string, v: string | undefined, def: number, opts: { integer?: boolean } = {}): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!(opts.integer ? Number.isInteger(n) : Number.isFinite(n)) || n <= 0) throw new Error(`--${name} needs a positive ${opts.integer ? 'integer' : 'number'}, e.g. --${name} ${def} (got ${v})`);
  return n;
}

// ---------------------------------------------------------------------------------------
// Runs, medians and the knee

export function median(xs: number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * The ramp of a knee finder: every rate of `rates` is tried in order while each passes; a
 * failure stops the ramp, except that rates up to `alwaysUpTo` are still tried (so the
 * target points are measured in every run). When even the first rate fails, the rate is
 * halved until one passes (down to a sixteenth of it), so a busy machine still yields a
 * capacity figure. Returns the highest rate that passed with every rate before it passing
 * (0 when none did).
 */
export async function ramp<T>(rates: number[], alwaysUpTo: number, step: (rate: number) => Promise<T>, passed: (r: T) => boolean): Promise<{ knee: number; results: Array<{ rate: number; result: T; passed: boolean }> }> {
  let knee = 0;
  let clean = true;
  const results: Array<{ rate: number; result: T; passed: boolean }> = [];
  const attempt = async (rate: number) => {
    const result = await step(rate);
    const ok = passed(result);
    results.push({ rate, result, passed: ok });
    return ok;
  };
  for (const rate of rates) {
    if (!clean && rate > alwaysUpTo) break;
    const ok = await attempt(rate);
    if (ok && clean) knee = rate;
    else clean = false;
  }
  if (knee === 0 && rates.length > 0) {
    for (let rate = Math.round(rates[0]! / 2); rate >= rates[0]! / 16; rate = Math.round(rate / 2)) {
      if (await attempt(rate)) {
        knee = rate;
        break;
      }
    }
  }
  return { knee, results };
}

export const int = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en') : '–');
export const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%` : '–');
export const ms = (x: number) => (Number.isFinite(x) ? `${x.toFixed(x < 10 ? 1 : 0)} ms` : '–');
