// `npm test`: type-check, lint, then every *.test.ts in the workspaces under node's test
// runner, against a real PostGIS. Each test file clones its own database from a template
// migrated once here. Extra arguments filter test files by substring.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import pg from 'pg';
import { REPO_ROOT, createDatabase, dropDatabase, resolveDatabase, withDatabase } from '../db/environment.ts';
import { migrate } from '../db/migrate.ts';
import { readTimes } from './file-times.mjs';

// One template per run, so concurrent runs against one server never collide.
const TEMPLATE = `firelink_template_${process.pid}`;
// Prints each file's time at the end of the run, beside the spec reporter's lines.
const FILE_TIMES = join(REPO_ROOT, 'backend', 'src', 'devtools', 'file-times.mjs');
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

/**
 * Orders the files longest first, so that the two at a time keep both busy to the end
 * instead of one long file running alone at the end: by the times the last run kept
 * (file-times.mjs), or without them by a rough guess (the fuzzer, then the browser tests).
 */
function longestFirst(files: string[]): void {
  const kept = readTimes(REPO_ROOT);
  const guess = (f: string) => (f.includes('reliability/fuzz') ? 300_000 : f.includes('frontend/e2e/') ? 60_000 : 5_000);
  const ms = new Map(files.map((f) => [f, kept[relative(REPO_ROOT, f)] ?? guess(relative(REPO_ROOT, f))]));
  files.sort((a, b) => ms.get(b)! - ms.get(a)! || a.localeCompare(b));
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
    code = await new Promise<number>((resolve) => {
      const child = spawn(
        process.execPath,
        // --test-force-exit: a file whose suite timed out (its after hooks cut short) ends instead
        // of waiting for ever on the handles it left open.
        ['--import', 'tsx', '--test', '--test-force-exit', '--test-concurrency=2', '--test-reporter=spec', '--test-reporter-destination=stdout', `--test-reporter=${FILE_TIMES}`, '--test-reporter-destination=stderr', ...files.map((f) => relative(REPO_ROOT, f))],
        {
          cwd: REPO_ROOT,
          stdio: 'inherit',
          env: {
            ...process.env,
            FIRELINK_TEST_ADMIN_URL: serverUrl,
            FIRELINK_TEST_TEMPLATE: TEMPLATE,
            TZ: process.env.TZ ?? 'Asia/Shanghai',
          },
        },
      );
      child.on('exit', (c) => resolve(c ?? 1));
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
