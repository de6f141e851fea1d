// Argument parsing and output of `firelink import`; the backend's CLI adapter supplies
// the database URL.
import { writeFileSync } from 'node:fs';
import pg from 'pg';
import { formatReport, importFile } from './import.ts';
import { IMPORT_LAYERS, importArgsSchema } from './map.ts';
import { ImportFileError } from './read.ts';

export const IMPORT_USAGE =
  `firelink import <${IMPORT_LAYERS.join('|')}> <file> [--crs wgs84|gcj02|bd09|epsg3857] ` +
  '[--dry-run] [--strict] [--tolerance METRES] [--report FILE]';

export async function runImportCli(args: string[], databaseUrl: () => Promise<{ url: string; done: () => void }>): Promise<number> {
  const positional: string[] = [];
  const flags: Record<string, string | boolean> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--dry-run' || a === '--strict') flags[a.slice(2)] = true;
    else if (a.startsWith('--')) {
      const [k, v] = a.includes('=') ? a.slice(2).split('=', 2) : [a.slice(2), args[++i]];
      flags[k!] = v ?? '';
    } else positional.push(a);
  }
  const parsed = importArgsSchema.safeParse({
    layer: positional[0],
    file: positional[1],
    crs: typeof flags.crs === 'string' ? flags.crs.toLowerCase().replace('-', '') : undefined,
    strict: flags.strict === true,
    dryRun: flags['dry-run'] === true,
    toleranceM: typeof flags.tolerance === 'string' ? Number(flags.tolerance) : undefined,
  });
  if (!parsed.success || positional.length !== 2) {
    const why = parsed.success ? 'give exactly a layer and a file' : parsed.error.issues.map((i) => i.message).join('; ');
    process.stderr.write(`firelink import: ${why}\nusage: ${IMPORT_USAGE}\n`);
    return 1;
  }
  const db = await databaseUrl();
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  try {
    let last = 0;
    const report = await importFile(pool, {
      ...parsed.data,
      progress: (done, total) => {
        const now = Date.now();
        if (total >= 5000 && (now - last > 1000 || done === total)) {
          last = now;
          process.stderr.write(`[firelink import] ${done}/${total} (${Math.round((done / total) * 100)}%)\n`);
        }
      },
    });
    process.stdout.write(formatReport(report) + '\n');
    if (typeof flags.report === 'string') writeFileSync(flags.report, JSON.stringify(report, null, 2));
    return report.rejected.length > 0 && parsed.data.strict ? 2 : 0;
  } catch (err) {
    if (err instanceof ImportFileError) {
      process.stderr.write(`firelink import: ${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    await pool.end();
    db.done();
  }
}
