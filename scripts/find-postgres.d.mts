export interface PostgresInstall {
  /** Directory of initdb/pg_ctl/postgres, or null when no PostgreSQL 15+ is installed. */
  bin: string | null;
  version?: string;
  postgis: boolean;
  pgrouting: boolean;
}
export function findPostgres(): PostgresInstall;
