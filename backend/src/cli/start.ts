// `npm start` / `firelink start`: database, migrations, frontend build, demo data, server.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../kernel/config.ts';
import { REPO_ROOT, resolveDatabase } from '../db/environment.ts';
import { migrate } from '../db/migrate.ts';
import { createPool } from '../db/pool.ts';
import { seedDemo } from '../demo/seed.ts';
import { createLogger } from '../logger.ts';
import { startServer } from '../main.ts';
import { APP_DATABASE } from './db.ts';
import { closeOnSignal } from './shutdown.ts';

const say = (m: string) => process.stderr.write(`[firelink] ${m}\n`);

function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const p = join(dir, name);
    const s = statSync(p);
    newest = Math.max(newest, s.isDirectory() ? newestMtime(p) : s.mtimeMs);
  }
  return newest;
}

/** Builds the frontend when dist is missing or older than its sources. */
export function ensureFrontendBuilt(): void {
  const fe = join(REPO_ROOT, 'frontend');
  const index = join(fe, 'dist', 'index.html');
  const srcTime = Math.max(newestMtime(join(fe, 'src')), statSync(join(fe, 'index.html')).mtimeMs, newestMtime(join(REPO_ROOT, 'common', 'src')));
  if (existsSync(index) && statSync(index).mtimeMs >= srcTime) return;
  say('building the frontend (vite build) …');
  const t0 = Date.now();
  const r = spawnSync(join(REPO_ROOT, 'node_modules', '.bin', 'vite'), ['build', '--logLevel', 'warn'], { cwd: fe, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('frontend build failed; see the output above');
  say(`frontend built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

export async function startCommand(_args: string[]): Promise<number> {
  const t0 = Date.now();
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  const env = await resolveDatabase(APP_DATABASE, say);
  try {
    const m = await migrate(env.url, { log: say });
    say(`database ready at migration ${m.version}`);
    ensureFrontendBuilt();
    if (config.FIRELINK_DEMO) {
      const pool = createPool(env.url, 4);
      try {
        await seedDemo(pool, say);
      } finally {
        await pool.end();
      }
    }
    const server = await startServer({ config, databaseUrl: env.url, logger });
    say(`FireLink is up in ${((Date.now() - t0) / 1000).toFixed(1)} s: http://localhost:${server.httpPort}/  (GB/T 26875 on TCP ${config.GB26875_PORT})`);
    await closeOnSignal(() => server.close(), say);
    return 0;
  } finally {
    if (env.cluster?.startedHere) say('stopping the private PostgreSQL cluster');
    env.cluster?.stop();
  }
}
