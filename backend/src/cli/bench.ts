// `firelink bench <name>`: runs a benchmark script in a fresh, migrated database and lets
// it print its figures. Benchmarks are scripts, not timed tests.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT, createDatabase, dropDatabase, resolveDatabase, withDatabase } from '../db/environment.ts';
import { migrate } from '../db/migrate.ts';
import type { BenchContext } from '@firelink/common/testing';


const BENCHES: Record<string, string> = {
  ingest: 'ingest/bench/ingest.ts',
  geo: 'geodata/bench/geo.ts',
  live: 'backend/bench/live.ts',
  dispatch: 'backend/bench/dispatch.ts',
  analytics: 'backend/bench/analytics.ts',
  wall: 'frontend/e2e/bench-wall.ts',
  units: 'backend/bench/units-positions.ts',
  supervision: 'backend/bench/supervision.ts',
  storm: 'backend/bench/storm.ts',
  water: 'backend/bench/water.ts',
  station: 'backend/bench/station.ts',
  soak: 'backend/bench/soak.ts',
  cluster: 'backend/bench/cluster.ts',
  chaos: 'backend/bench/chaos.ts',
};

export async function benchCommand(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  const file = name ? BENCHES[name] : undefined;
  if (!name || !file) {
    process.stderr.write(`usage: firelink bench <${Object.keys(BENCHES).join('|')}>\n`);
    return 1;
  }
  const log = (m: string) => process.stderr.write(`[bench ${name}] ${m}\n`);
  const env = await resolveDatabase('postgres', log);
  const db = `bench_${name}`;
  try {
    await dropDatabase(env.adminUrl, db);
    await createDatabase(env.adminUrl, db);
    const url = withDatabase(env.adminUrl, db);
    await migrate(url);
    const mod = (await import(pathToFileURL(join(REPO_ROOT, file)).href)) as {
      default: (ctx: BenchContext) => Promise<void>;
    };
    await mod.default({ databaseUrl: url, adminUrl: env.adminUrl, log, args: rest });
    return 0;
  } finally {
    await dropDatabase(env.adminUrl, db).catch(() => {});
    env.cluster?.stop();
  }
}
