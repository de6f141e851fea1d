// The `firelink` command line. Each command loads its module lazily so `firelink decode`
// does not pay for the HTTP server's imports.
import { DatabaseUrlError } from '../db/pool.ts';
import { ClusterError } from '../db/cluster.ts';
import { MigrationError } from '../db/migrate.ts';
import { ConfigError } from '../kernel/config.ts';

export interface CliCommand {
  summary: string;
  usage: string;
  run: (args: string[]) => Promise<number>;
}

export const COMMANDS: Record<string, CliCommand> = {
  start: {
    summary: 'start the server (private PostGIS, migrations, demo data, frontend)',
    usage: 'firelink start',
    run: async (args) => (await import('./start.ts')).startCommand(args),
  },
  ingest: {
    summary: 'scale-out: a GB/T 26875 ingest node (needs DATABASE_URL and NATS_URL)',
    usage: 'firelink ingest   (PORT, GB26875_PORT, NATS_URL, NATS_STREAM; README "Scale-out")',
    run: async (args) => (await import('./cluster.ts')).roleCommand('ingest', args),
  },
  api: {
    summary: 'scale-out: an HTTP + WebSocket node (needs DATABASE_URL and NATS_URL)',
    usage: 'firelink api   (PORT, NATS_URL; README "Scale-out")',
    run: async (args) => (await import('./cluster.ts')).roleCommand('api', args),
  },
  worker: {
    summary: 'scale-out: a pipeline and alarm worker (needs DATABASE_URL and NATS_URL)',
    usage: 'firelink worker   (NATS_URL, NATS_ACK_WAIT_S; README "Scale-out")',
    run: async (args) => (await import('./cluster.ts')).roleCommand('worker', args),
  },
  test: {
    summary: 'type-check, lint and run every test against a real PostGIS',
    usage: 'firelink test [file-filter …]',
    run: async (args) => (await import('../devtools/run-tests.ts')).runTests(args),
  },
  db: {
    summary: 'database: migrate | reset | status',
    usage: 'firelink db migrate|reset|status',
    run: async (args) => (await import('./db.ts')).dbCommand(args),
  },
  decode: {
    summary: 'decode GB/T 26875.3 frames given as hex; one JSON object per frame',
    usage: 'firelink decode <hex …> | firelink decode -  (one hex frame per line on stdin)',
    run: async (args) => (await import('@firelink/ingest/cli')).decodeCommand(args),
  },
  simulate: {
    summary: 'run N simulated UITDs over real TCP against a running server',
    usage: 'firelink simulate --units N --rate R [--host --port --duration --seed]',
    run: async (args) => (await import('@firelink/ingest/cli')).simulateCommand(args),
  },
  user: {
    summary: 'accounts: add (e.g. the first admin) | list | passwd | disable',
    usage: 'firelink user add <username> --role <role> [--regions a,b] [--units 1,2] | list | passwd <username> | disable <username>',
    run: async (args) => (await import('./users.ts')).userCommand(args),
  },
  import: {
    summary: 'import regions, units, buildings, stations, roads, points, land use or water (GeoJSON, CSV, XLSX, Shapefile, OSM)',
    usage: 'firelink import <regions|units|buildings|stations|roads|points|landuse|water> <file> [--crs wgs84|gcj02|bd09|epsg3857] [--dry-run] [--strict] [--report FILE]',
    run: async (args) => (await import('./import.ts')).importCommand(args),
  },
  bench: {
    summary: 'run a benchmark and print its figures',
    usage: 'firelink bench <ingest|geo|live|dispatch|analytics|wall>',
    run: async (args) => (await import('./bench.ts')).benchCommand(args),
  },
};

function help(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}\n             ${c.usage}`);
  return `usage: npx firelink <command> [options]\n\ncommands:\n${rows.join('\n')}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help());
    return name ? 0 : 1;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    process.stderr.write(`firelink: unknown command "${name}"\n\n${help()}`);
    return 1;
  }
  try {
    return await cmd.run(rest);
  } catch (err) {
    if (
      err instanceof DatabaseUrlError ||
      err instanceof ClusterError ||
      err instanceof MigrationError ||
      err instanceof ConfigError
    ) {
      process.stderr.write(`firelink ${name}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
