// The `firelink` command line. Each command loads its module lazily so `firelink decode`
// does not pay for the HTTP server's imports.
import { DatabaseUrlError } from '../db/pool.ts';
import { ClusterError } from '../db/cluster.ts';
import { MigrationError } from '../db/migrate.ts';
import { ConfigError } from '../config.ts';

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
