// `firelink db migrate|reset|status` on the application database.
import { dropDatabase, resolveDatabase, createDatabase } from '../db/environment.ts';
import { migrate, migrationStatus } from '../db/migrate.ts';

export const APP_DATABASE = 'firelink';

const log = (m: string) => process.stderr.write(`[firelink db] ${m}\n`);

export async function dbCommand(args: string[]): Promise<number> {
  const sub = args[0];
  if (!sub || !['migrate', 'reset', 'status'].includes(sub)) {
    process.stderr.write('usage: firelink db migrate|reset|status\n');
    return 1;
  }
  const env = await resolveDatabase(APP_DATABASE, log);
  try {
    if (sub === 'reset') {
      if (!env.cluster) {
        if (process.env.FIRELINK_CONFIRM_RESET !== '1') {
          process.stderr.write(
            'refusing to reset the database named by DATABASE_URL; set FIRELINK_CONFIRM_RESET=1 to drop every table in it.\n',
          );
          return 1;
        }
        const pg = (await import('pg')).default;
        const c = new pg.Client({ connectionString: env.url });
        await c.connect();
        await c.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
        await c.end();
      } else {
        await dropDatabase(env.adminUrl, APP_DATABASE);
        await createDatabase(env.adminUrl, APP_DATABASE);
      }
      log('database emptied');
    }
    if (sub === 'migrate' || sub === 'reset') {
      const r = await migrate(env.url, { log });
      log(r.applied.length ? `applied ${r.applied.length}; now at ${r.version}` : `up to date at ${r.version}`);
      return 0;
    }
    const status = await migrationStatus(env.url);
    for (const s of status) {
      const mark = s.applied ? (s.checksumMatches ? 'applied' : 'applied (file changed since!)') : 'pending';
      process.stdout.write(`${s.file.padEnd(40)} ${mark}${s.appliedAt ? `  ${s.appliedAt.toISOString()}` : ''}\n`);
    }
    return 0;
  } finally {
    env.cluster?.stop();
  }
}
