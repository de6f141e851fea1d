// `npm test`: type-check, lint, then every *.test.ts in the workspaces under node's test
// runner, against a real PostGIS. Each test file clones its own database from a template
// migrated once here. Extra arguments filter test files by substring.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import pg from 'pg';
import { REPO_ROOT, createDatabase, dropDatabase, resolveDatabase, withDatabase } from '../db/environment.ts';
import { migrate } from '../db/migrate.ts';

// One template per run, so concurrent runs against one server never collide.
const TEMPLATE = `firelink_template_${process.pid}`;
/** Test files run at a time (the CI machine has 2 cores). */
const CONCURRENCY = Number(process.env.FIRELINK_TEST_CONCURRENCY) || 2;
/** Each test file's time in the last run that ran it (ms, by path from the repository root). */
const TIMES_FILE = join(REPO_ROOT, 'node_modules', '.cache', 'firelink', 'test-times.json');
const ROOTS = ['common/src', 'ingest/src', 'geodata/src', 'backend/src', 'frontend/src', 'frontend/e2e'];

function findTests(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) findTests(p, out);
    else if (/\.test\.tsx?$/.test(name)) out.push(p);
  }
  return out;
}

function readTimes(): Record<string, number> {
  try {
    return JSON.parse(readFileSync(TIMES_FILE, 'utf8')) as Record<string, number>;
  } catch {
    return {};
  }
}

function keepTimes(ran: Array<{ file: string; ms: number }>): void {
  const times = readTimes();
  for (const r of ran) times[r.file] = r.ms;
  try {
    mkdirSync(dirname(TIMES_FILE), { recursive: true });
    writeFileSync(TIMES_FILE, JSON.stringify(times, null, 1));
  } catch {
    // Only an ordering hint: a read-only tree runs in the default order.
  }
}

/**
 * Orders the files longest first, so that the files at a time keep every core busy to the
 * end instead of one long file running alone at the end: by the times the last run kept, or
 * without them by a rough guess (the fuzzer, then the browser tests).
 */
function longestFirst(files: string[]): void {
  const kept = readTimes();
  const guess = (f: string) => (f.includes('reliability/fuzz') ? 300_000 : f.includes('frontend/e2e/') ? 60_000 : 5_000);
  const ms = new Map(files.map((f) => [f, kept[relative(REPO_ROOT, f)] ?? guess(relative(REPO_ROOT, f))]));
  files.sort((a, b) => ms.get(b)! - ms.get(a)! || a.localeCompare(b));
}

/**
 * Runs the files CONCURRENCY at a time, in the order given, each in its own process (node
 * 20's test runner sorts the files it is given by name, so it cannot start the longest
 * first). A file's spec output is printed whole when it ends; then each file's time, slowest
 * first, and the failed files. Returns 0 when every file passed.
 */
/** Longest a test file may run (the slowest, the fuzzer, takes about 4 min on a loaded machine). */
const FILE_LIMIT_MS = 15 * 60_000;

async function runFiles(files: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const queue = files.map((f) => relative(REPO_ROOT, f));
  const ran: Array<{ file: string; ms: number; code: number }> = [];
  const runOne = (file: string) =>
    new Promise<number>((resolve) => {
      // The file runs as a plain script (node:test runs its tests in that process, one
      // process a file as under --test, without --test's extra parent). --test-force-exit: a
      // file whose suite timed out (its after hooks cut short) ends instead of waiting for
      // ever on the handles it left open.
      const child = spawn(process.execPath, ['--import', 'tsx', '--test-force-exit', '--test-reporter=spec', file], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => out.push(b));
      // A file that hangs (a handle nothing closes, a wait that never ends) fails instead of
      // holding the whole run: its output so far is printed with the reason.
      const limit = setTimeout(() => {
        out.push(Buffer.from(`\n[firelink test] ${file} still running after ${FILE_LIMIT_MS / 60_000} min: stopped (SIGKILL) and counted as failed\n`));
        child.kill('SIGKILL');
      }, FILE_LIMIT_MS);
      child.on('close', (c) => {
        clearTimeout(limit);
        process.stdout.write(Buffer.concat(out));
        resolve(c ?? 1);
      });
    });
  const worker = async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      const t0 = Date.now();
      const code = await runOne(file);
      ran.push({ file, ms: Date.now() - t0, code });
      log(`${code === 0 ? 'passed' : 'FAILED'} ${file} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, files.length) }, worker));
  keepTimes(ran);
  const failed = ran.filter((r) => r.code !== 0);
  log(`per-file times, slowest first (${ran.length} files, ${CONCURRENCY} at a time):`);
  for (const r of [...ran].sort((a, b) => b.ms - a.ms)) log(`${(r.ms / 1000).toFixed(1).padStart(7)} s  ${r.file}${r.code !== 0 ? '  (failed)' : ''}`);
  log(failed.length ? `${failed.length} of ${ran.length} test files FAILED:\n${failed.map((r) => `  ${r.file}`).join('\n')}` : `all ${ran.length} test files passed`);
  return failed.length ? 1 : 0;
}

function log(m: string) {
  process.stderr.write(`[firelink test] ${m}\n`);
}

function runCheck(label: string, cmd: string, args: string[]): boolean {
  const t0 = Date.now();
  log(`${label} …`);
  const r = spawnSync(cmd, args, { cwd: REPO_ROOT, stdio: 'inherit' });
  log(`${label} ${r.status === 0 ? 'ok' : 'FAILED'} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  return r.status === 0;
}

export async function runTests(filters: string[]): Promise<number> {
  const files = ROOTS.flatMap((r) => findTests(join(REPO_ROOT, r)))
    .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
    .sort();
  longestFirst(files);
  if (files.length === 0) {
    log(`no test files match ${filters.join(' ')}`);
    return 1;
  }
  if (filters.length === 0 && process.env.FIRELINK_SKIP_CHECKS !== '1') {
    const bin = join(REPO_ROOT, 'node_modules', '.bin');
    if (!runCheck('type-check (tsc)', join(bin, 'tsc'), ['-p', 'tsconfig.json'])) return 1;
    if (!runCheck('type-check frontend (tsc)', join(bin, 'tsc'), ['-p', 'frontend/tsconfig.json'])) return 1;
    if (!runCheck('lint (eslint)', join(bin, 'eslint'), ['.'])) return 1;
    if (!runCheck('folder-level import cycles', process.execPath, [join(REPO_ROOT, 'scripts', 'import-cycles.mjs')])) return 1;
    if (!runCheck('comments stand on their own', process.execPath, [join(REPO_ROOT, 'scripts', 'comment-refs.mjs')])) return 1;
  }
  const env = await resolveDatabase('postgres', log);
  let code: number;
  try {
    const serverUrl = env.adminUrl;
    await dropDatabase(serverUrl, TEMPLATE);
    await createDatabase(serverUrl, TEMPLATE);
    const t0 = Date.now();
    const res = await migrate(withDatabase(serverUrl, TEMPLATE));
    log(`template database migrated to ${res.version} (${Date.now() - t0} ms); ${files.length} test files`);
    code = await runFiles(files, {
      ...process.env,
      FIRELINK_TEST_ADMIN_URL: serverUrl,
      FIRELINK_TEST_TEMPLATE: TEMPLATE,
      TZ: process.env.TZ ?? 'Asia/Shanghai',
    });
    // Drop test databases a crashed test file may have left behind.
    const c = new pg.Client({ connectionString: serverUrl });
    await c.connect();
    const left = (await c.query("SELECT datname FROM pg_database WHERE datname LIKE 't\\_%' AND datname LIKE $1", [`%\\_run${process.pid}\\_%`])).rows;
    await c.end();
    for (const r of left) await dropDatabase(serverUrl, r.datname);
    await dropDatabase(serverUrl, TEMPLATE);
  } finally {
    env.cluster?.stop();
  }
  return code;
}
