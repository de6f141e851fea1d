// A private PostgreSQL cluster under .data/pg, made with the machine's own binaries.
// Used when DATABASE_URL is not set. When we run as root, the cluster runs as the
// `postgres` OS user (PostgreSQL refuses to run as root).
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { configSchema } from '../kernel/config.ts';
import { freePort } from '../kernel/net.ts';
import { findPostgres } from '../../../scripts/find-postgres.mjs';

export interface PrivateCluster {
  url: (database: string) => string;
  port: number;
  /** True when this process started the cluster and must stop it. */
  startedHere: boolean;
  stop: () => void;
}

export class ClusterError extends Error {}

export function findPgBin(): string {
  const { bin } = findPostgres();
  if (!bin) {
    throw new ClusterError(
      'PostgreSQL 15+ binaries not found under /usr/lib/postgresql. Run `npm start` (it installs them) or ' +
        'set DATABASE_URL to an existing PostGIS database.',
    );
  }
  return bin;
}

const isRoot = () => process.getuid?.() === 0;

function asPostgres(cmd: string, args: string[], opts: { quiet?: boolean } = {}): string {
  const full = isRoot() ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] as const : [cmd, args] as const;
  const r = spawnSync(full[0], full[1] as string[], { encoding: 'utf8' });
  if (r.status !== 0) {
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
    if (!opts.quiet) throw new ClusterError(`${cmd} ${args.join(' ')} failed: ${out}`);
  }
  return `${r.stdout ?? ''}`;
}

/** Port of a running cluster in dataDir, read from postmaster.pid (line 4), or null. */
function runningPort(bin: string, dataDir: string): number | null {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const status = spawnSync(isRoot() ? 'runuser' : join(bin, 'pg_ctl'),
    isRoot() ? ['-u', 'postgres', '--', join(bin, 'pg_ctl'), 'status', '-D', dataDir] : ['status', '-D', dataDir]);
  if (status.status !== 0) return null;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const port = Number(lines[3]);
  return Number.isFinite(port) && port > 0 ? port : null;
}

/** uid and gid of the `postgres` OS user, which runs the cluster when we are root. */
function postgresIds(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/**
 * Where the cluster lives: `.data/` in the repository, unless we are root and the
 * `postgres` OS user cannot reach that folder (a checkout under /root, say); then a
 * folder under /var/tmp named after the checkout.
 */
function chooseDataRoot(rootDir: string, log: (m: string) => void): string {
  const preferred = join(rootDir, '.data');
  mkdirSync(preferred, { recursive: true });
  if (!isRoot()) return preferred;
  const { uid, gid } = postgresIds();
  const reachable = (dir: string) => spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-w', dir]).status === 0;
  if (!reachable(preferred)) chownSync(preferred, uid, gid);
  if (reachable(preferred)) return preferred;
  const alt = join('/var/tmp', `firelink-${createHash('sha256').update(rootDir).digest('hex').slice(0, 12)}`);
  mkdirSync(alt, { recursive: true });
  chownSync(alt, uid, gid);
  log(`the postgres OS user cannot reach ${preferred}; keeping the cluster in ${alt}`);
  return alt;
}

export async function ensurePrivateCluster(rootDir: string, log: (m: string) => void = () => {}): Promise<PrivateCluster> {
  const bin = findPgBin();
  const dataRoot = chooseDataRoot(rootDir, log);
  const dataDir = join(dataRoot, 'pg');
  const runDir = join(dataRoot, 'run');
  mkdirSync(runDir, { recursive: true });
  if (isRoot()) {
    const { uid, gid } = postgresIds();
    chownSync(runDir, uid, gid);
  }
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    log(`initialising a private PostgreSQL cluster in ${dataDir} …`);
    if (existsSync(dataDir) && readdirSync(dataDir).length > 0) {
      throw new ClusterError(`${dataDir} exists but is not a PostgreSQL data directory; remove it and try again.`);
    }
    asPostgres(join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
    // Small, fast settings for a developer/demo cluster on 2 cores.
    const conf = [
      "listen_addresses = '127.0.0.1'",
      'fsync = on',
      'synchronous_commit = on',
      'shared_buffers = 256MB',
      'max_connections = 300',
      "timezone = 'Asia/Shanghai'",
      "log_timezone = 'Asia/Shanghai'",
      'logging_collector = off',
      'max_wal_size = 2GB',
    ].join('\n');
    const confPath = join(dataDir, 'postgresql.auto.conf');
    writeFileSync(confPath, `${readFileSync(confPath, 'utf8')}\n${conf}\n`);
  }
  const existing = runningPort(bin, dataDir);
  if (existing) {
    return {
      port: existing,
      url: (db) => `postgres://postgres@127.0.0.1:${existing}/${db}`,
      startedHere: false,
      stop: () => {},
    };
  }
  const port = configSchema.shape.FIRELINK_PG_PORT.parse(process.env.FIRELINK_PG_PORT || undefined) || (await freePort());
  log(`starting private PostgreSQL on 127.0.0.1:${port} …`);
  asPostgres(join(bin, 'pg_ctl'), [
    'start', '-w', '-t', '60', '-D', dataDir, '-l', join(dataRoot, 'postgres.log'),
    '-o', `-p ${port} -k ${runDir}`,
  ]);
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    asPostgres(join(bin, 'pg_ctl'), ['stop', '-m', 'fast', '-w', '-D', dataDir], { quiet: true });
  };
  return { port, url: (db) => `postgres://postgres@127.0.0.1:${port}/${db}`, startedHere: true, stop };
}

export interface ScratchCluster {
  port: number;
  dataDir: string;
  url: (database: string) => string;
  /** Stops the postmaster (`immediate`: as a crash, recovery on the next start; `fast`: clean). */
  stopServer: (mode?: 'immediate' | 'fast') => void;
  startServer: () => void;
  /** Stops the cluster and removes its directory. */
  destroy: () => void;
}

/**
 * A throw-away cluster in a new temporary directory on a free port, for benchmarks that
 * must stop and start PostgreSQL without touching any cluster others use. The machine's
 * PostGIS and pgRouting are available to it like to any cluster of the same binaries.
 */
export async function startScratchCluster(log: (m: string) => void = () => {}): Promise<ScratchCluster> {
  const bin = findPgBin();
  const root = execFileSync('mktemp', ['-d', '/tmp/firelink-scratch-pg-XXXXXX'], { encoding: 'utf8' }).trim();
  if (isRoot()) {
    const { uid, gid } = postgresIds();
    chownSync(root, uid, gid);
  }
  const dataDir = join(root, 'pg');
  const runDir = join(root, 'run');
  asPostgres('mkdir', ['-p', runDir]);
  log(`initialising a scratch PostgreSQL cluster in ${dataDir} …`);
  asPostgres(join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
  const confPath = join(dataDir, 'postgresql.auto.conf');
  const conf = ["listen_addresses = '127.0.0.1'", 'shared_buffers = 128MB', 'max_connections = 200', "timezone = 'Asia/Shanghai'", 'logging_collector = off', 'max_wal_size = 1GB'];
  asPostgres('sh', ['-c', `printf '%s\\n' "$@" >> ${confPath}`, 'sh', ...conf]);
  const port = await freePort();
  const pgCtl = join(bin, 'pg_ctl');
  const startServer = () =>
    void asPostgres(pgCtl, ['start', '-w', '-t', '60', '-D', dataDir, '-l', join(root, 'postgres.log'), '-o', `-p ${port} -k ${runDir}`]);
  const stopServer = (mode: 'immediate' | 'fast' = 'fast') => void asPostgres(pgCtl, ['stop', '-m', mode, '-w', '-D', dataDir], { quiet: true });
  startServer();
  log(`scratch PostgreSQL on 127.0.0.1:${port}`);
  return {
    port,
    dataDir,
    url: (db) => `postgres://postgres@127.0.0.1:${port}/${db}`,
    stopServer,
    startServer,
    destroy: () => {
      stopServer('immediate');
      spawnSync('rm', ['-rf', root]);
    },
  };
}
