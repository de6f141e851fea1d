// Versioned SQL migrations: backend/migrations/NNNN_name.sql, applied in file-name order,
// each in its own transaction and recorded in schema_migrations. A failed migration is
// rolled back whole and reported with its file name, the error and the line.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');

export interface Migration {
  version: string;
  name: string;
  file: string;
  sql: string;
  checksum: string;
}

export class MigrationError extends Error {
  constructor(
    message: string,
    readonly file: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const sql = readFileSync(join(dir, file), 'utf8');
      return {
        version: file.slice(0, 4),
        name: file.slice(5, -4),
        file,
        sql,
        checksum: createHash('sha256').update(sql).digest('hex').slice(0, 16),
      };
    });
}

// Advisory lock id so two processes never migrate one database at once.
const MIGRATION_LOCK = 26875_0001;

async function ensureTable(c: pg.ClientBase) {
  await c.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now())`);
}

function lineOf(sql: string, position: string | undefined): number | null {
  const pos = Number(position);
  if (!pos) return null;
  return sql.slice(0, pos).split('\n').length;
}

export interface MigrateResult {
  applied: string[];
  version: string | null;
}

export async function migrate(
  url: string,
  opts: { dir?: string; log?: (m: string) => void } = {},
): Promise<MigrateResult> {
  const migrations = loadMigrations(opts.dir);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const applied: string[] = [];
  try {
    await client.query('SET client_min_messages = warning');
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await ensureTable(client);
    const done = new Map<string, string>(
      (await client.query('SELECT version, checksum FROM schema_migrations')).rows.map((r) => [r.version, r.checksum]),
    );
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      opts.log?.(`applying migration ${m.file}`);
      try {
        await client.query('BEGIN');
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
          m.version, m.name, m.checksum,
        ]);
        await client.query('COMMIT');
        applied.push(m.file);
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        const e = err as Error & { position?: string };
        const line = lineOf(m.sql, e.position);
        throw new MigrationError(
          `migration ${m.file} failed${line ? ` at line ${line}` : ''}: ${e.message} — nothing of it was applied; fix the file and run \`npx firelink db migrate\` again.`,
          m.file,
          { cause: err },
        );
      }
    }
    const v = await client.query('SELECT max(version) AS v FROM schema_migrations');
    return { applied, version: v.rows[0]?.v ?? null };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    await client.end();
  }
}

export interface MigrationStatus {
  file: string;
  applied: boolean;
  appliedAt: Date | null;
  checksumMatches: boolean | null;
}

export async function migrationStatus(url: string, dir?: string): Promise<MigrationStatus[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await ensureTable(client);
    const rows = (await client.query('SELECT version, checksum, applied_at FROM schema_migrations')).rows;
    const byVersion = new Map(rows.map((r) => [r.version as string, r]));
    return loadMigrations(dir).map((m) => {
      const r = byVersion.get(m.version);
      return {
        file: m.file,
        applied: Boolean(r),
        appliedAt: r ? (r.applied_at as Date) : null,
        checksumMatches: r ? r.checksum === m.checksum : null,
      };
    });
  } finally {
    await client.end();
  }
}

/** Current schema version of a database, or null when it has none (used by /api/health). */
export async function schemaVersion(pool: pg.Pool): Promise<string | null> {
  try {
    const r = await pool.query('SELECT max(version) AS v FROM schema_migrations');
    return r.rows[0]?.v ?? null;
  } catch {
    return null;
  }
}
