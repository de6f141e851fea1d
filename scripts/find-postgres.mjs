// Where PostgreSQL 15+ is installed (Debian layout), and whether PostGIS and pgRouting are
// there for that version. Dependency-free: bootstrap.mjs runs it before node_modules exists,
// and the private cluster (backend/src/db/cluster.ts) uses the same answer.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The newest major with both extensions, else the newest major; bin null when none. */
export function findPostgres() {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return { bin: null, postgis: false, pgrouting: false };
  const majors = readdirSync(base)
    .filter((v) => /^\d+$/.test(v) && Number(v) >= 15 && existsSync(join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  for (const v of majors) {
    const ext = `/usr/share/postgresql/${v}/extension`;
    const postgis = existsSync(join(ext, 'postgis.control'));
    const pgrouting = existsSync(join(ext, 'pgrouting.control'));
    if (postgis && pgrouting) return { bin: join(base, v, 'bin'), version: v, postgis, pgrouting };
  }
  const v = majors[0];
  return {
    bin: v ? join(base, v, 'bin') : null,
    version: v,
    postgis: v ? existsSync(`/usr/share/postgresql/${v}/extension/postgis.control`) : false,
    pgrouting: v ? existsSync(`/usr/share/postgresql/${v}/extension/pgrouting.control`) : false,
  };
}
