// Where the database is: DATABASE_URL when set, else the private cluster under .data/pg.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { ensurePrivateCluster, type PrivateCluster } from './cluster.ts';
import { checkDatabaseUrl } from './pool.ts';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface DatabaseEnvironment {
  /** URL of the application database. */
  url: string;
  /** URL of a maintenance database on the same server (for CREATE/DROP DATABASE). */
  adminUrl: string;
  cluster: PrivateCluster | null;
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function databaseExists(adminUrl: string, name: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    return (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
  } finally {
    await c.end();
  }
}

export async function createDatabase(adminUrl: string, name: string, template?: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name) || (template && !/^[a-z_][a-z0-9_]*$/.test(template))) {
    throw new Error(`invalid database name ${name}`);
  }
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
  } finally {
    await c.end();
  }
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid database name ${name}`);
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await c.end();
  }
}

/**
 * Resolves the database. With DATABASE_URL, that database must exist and be reachable;
 * without it, the private cluster is started (or reused) and `dbName` created when missing.
 */
export async function resolveDatabase(
  dbName: string,
  log: (m: string) => void = () => {},
): Promise<DatabaseEnvironment> {
  const fromEnv = process.env.DATABASE_URL;
  if (fromEnv) {
    await checkDatabaseUrl(fromEnv);
    return { url: fromEnv, adminUrl: fromEnv, cluster: null };
  }
  const cluster = await ensurePrivateCluster(REPO_ROOT, log);
  const adminUrl = cluster.url('postgres');
  if (!(await databaseExists(adminUrl, dbName))) await createDatabase(adminUrl, dbName);
  return { url: cluster.url(dbName), adminUrl, cluster };
}
