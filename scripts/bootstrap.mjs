#!/usr/bin/env node
// First step of `npm start`, `npm test` and the benchmarks. Dependency-free on purpose:
// it runs before node_modules exists.
//   1. `npm ci` when node_modules is missing or older than package-lock.json.
//   2. PostgreSQL 15+, PostGIS 3 and pgRouting: installed via apt when absent and we may
//      (root, or passwordless sudo; FIRELINK_NO_APT=1 forbids), else the exact command is
//      printed and we exit 1. Skipped when DATABASE_URL is set (the database is yours).
// Fast when everything is in place: two stat calls and a directory listing.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findPostgres } from './find-postgres.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const APT_PACKAGES = ['postgresql', 'postgresql-15-postgis-3', 'postgresql-15-pgrouting'];

function step(msg) {
  process.stderr.write(`[firelink] ${msg}\n`);
}

function lockHash() {
  return createHash('sha256').update(readFileSync(join(root, 'package-lock.json'))).digest('hex');
}

const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Serialises installs: two `npm test` runs must never run `npm ci` into one tree at once. */
function withInstallLock(fn) {
  const lock = join(root, '.install.lock');
  for (let waited = 0; ; waited += 500) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch {
      let holder;
      try {
        holder = Number(readFileSync(lock, 'utf8'));
      } catch {
        continue; // released meanwhile: try again
      }
      try {
        process.kill(holder, 0);
      } catch {
        rmSync(lock, { force: true }); // its holder died: a stale lock
        continue;
      }
      if (waited % 10000 === 0) step(`waiting for another install (pid ${holder}) to finish …`);
      sleep(500);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

function ensureNodeModules() {
  const marker = join(root, 'node_modules', '.firelink-lock-hash');
  const want = lockHash();
  if (existsSync(marker) && readFileSync(marker, 'utf8') === want) return;
  withInstallLock(() => installNodeModules(marker, want));
}

function installNodeModules(marker, want) {
  // Another process may have finished the same install while we waited for the lock.
  if (existsSync(marker) && readFileSync(marker, 'utf8') === want) return;
  step('installing npm dependencies (npm ci) — node_modules is missing or stale …');
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    step('npm ci failed; fix the error above and run the command again.');
    process.exit(1);
  }
  writeFileSync(marker, want);
}

/** Finds the newest PostgreSQL major version with PostGIS and pgRouting installed. */
function canApt() {
  if (process.env.FIRELINK_NO_APT === '1') return null;
  if (!existsSync('/usr/bin/apt-get')) return null;
  if (process.getuid?.() === 0) return [];
  const r = spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' });
  return r.status === 0 ? ['sudo', '-n'] : null;
}

function ensureOsPackages() {
  if (process.env.DATABASE_URL) return;
  const pg = findPostgres();
  if (pg.bin && pg.postgis && pg.pgrouting) return;
  const v = pg.version ?? '15';
  const pkgs = pg.bin ? [`postgresql-${v}-postgis-3`, `postgresql-${v}-pgrouting`] : APT_PACKAGES;
  const cmd = `apt-get update && apt-get install -y ${pkgs.join(' ')}`;
  const prefix = canApt();
  if (prefix === null) {
    step(`PostgreSQL ${pg.bin ? v : '15+'} with PostGIS 3 and pgRouting is required and missing.`);
    step(`Install it with:  sudo sh -c '${cmd}'`);
    step('or set DATABASE_URL to a PostgreSQL database that has the postgis and pgrouting extensions.');
    process.exit(1);
  }
  step(`installing ${pkgs.join(', ')} via apt (one time, a minute or two) …`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = (args) => {
    const [c, ...rest] = [...prefix, ...args];
    execFileSync(c, rest, { stdio: 'inherit', env });
  };
  try {
    run(['apt-get', 'update', '-qq']);
    run(['apt-get', 'install', '-y', '-qq', ...pkgs]);
  } catch {
    step(`apt-get failed. Run it yourself:  sudo sh -c '${cmd}'`);
    process.exit(1);
  }
  const after = findPostgres();
  if (!(after.bin && after.postgis && after.pgrouting)) {
    step(`PostGIS/pgRouting still missing after apt. Run:  sudo sh -c '${cmd}'`);
    process.exit(1);
  }
}

/** `npm test` also wants Debian's Chromium for the browser tests (never a downloaded one). */
function ensureBrowser() {
  if (existsSync('/usr/bin/chromium')) return;
  const prefix = canApt();
  if (prefix === null) {
    step('Chromium is missing: browser tests will be skipped. Install it with:  sudo apt-get install -y chromium');
    return;
  }
  step('installing chromium via apt for the browser tests (one time) …');
  const apt = (args) => {
    const [c, ...rest] = [...prefix, 'apt-get', ...args];
    return spawnSync(c, rest, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status;
  };
  if (apt(['update', '-qq']) !== 0 || apt(['install', '-y', '-qq', 'chromium']) !== 0) {
    step('apt-get install chromium failed: browser tests will be skipped.');
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  ensureNodeModules();
  ensureOsPackages();
  if (process.argv.includes('--with-browser')) ensureBrowser();
}
