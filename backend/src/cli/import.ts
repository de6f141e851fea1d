// `firelink import …`: resolves the application database (migrating it) and hands over to
// the importer in @firelink/geodata.
import { runImportCli } from '@firelink/geodata';
import { resolveDatabase } from '../db/environment.ts';
import { migrate } from '../db/migrate.ts';
import { APP_DATABASE } from './db.ts';

const log = (m: string) => process.stderr.write(`[firelink import] ${m}\n`);

export async function importCommand(args: string[]): Promise<number> {
  return runImportCli(args, async () => {
    const env = await resolveDatabase(APP_DATABASE, log);
    await migrate(env.url);
    return { url: env.url, done: () => env.cluster?.stop() };
  });
}
