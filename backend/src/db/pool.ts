// The pg adapter: pool creation, type parsers and a clear message for a bad DATABASE_URL.
import { PG_CONNECTION_OPTIONS } from '@firelink/common';
import pg from 'pg';

// int8 (bigserial ids, 6-byte device addresses) as JS numbers: all ours stay below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));
// numeric as number (rates, percentages).
pg.types.setTypeParser(1700, (v) => Number(v));

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
export { withTransaction, type Query } from '@firelink/common';

export class DatabaseUrlError extends Error {}

export function createPool(url: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max, application_name: 'firelink', options: PG_CONNECTION_OPTIONS });
  // An idle client's error (server restart) must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  return pool;
}

/** Connects once and explains failure in one line that names DATABASE_URL and the cause. */
export async function checkDatabaseUrl(url: string, name = 'DATABASE_URL'): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DatabaseUrlError(`${name} is not a valid URL (expected postgres://user:password@host:5432/database)`);
  }
  if (!/^postgres(ql)?:$/.test(parsed.protocol)) {
    throw new DatabaseUrlError(`${name} must start with postgres:// or postgresql:// (got ${parsed.protocol}//)`);
  }
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { code?: string };
    const where = `${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
    const cause = e.code ? `${e.code}: ${e.message}` : e.message;
    throw new DatabaseUrlError(`${name}: cannot connect to ${where} (${cause})`);
  } finally {
    await client.end().catch(() => {});
  }
}
