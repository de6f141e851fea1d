// Test support shared by every workspace: a fresh, fully migrated PostGIS database per
// test file, cloned from the template that `npm test` migrates once.
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Socket } from 'node:net';
import pg from 'pg';

export interface TestDatabase {
  url: string;
  name: string;
  pool: pg.Pool;
  drop: () => Promise<void>;
}

function env(name: string): string {
  const v = process.env[name];
  if (!v) {
    throw new Error(
      `${name} is not set: run database tests through \`npm test\` (it starts PostGIS and migrates the template), ` +
        'or set FIRELINK_TEST_ADMIN_URL and FIRELINK_TEST_TEMPLATE yourself.',
    );
  }
  return v;
}

/** Creates a database from the migrated template; `drop()` removes it. */
export async function createTestDatabase(label = 'test', opts: { empty?: boolean } = {}): Promise<TestDatabase> {
  const adminUrl = env('FIRELINK_TEST_ADMIN_URL');
  // template0 gives an empty database (no extensions, no tables), for migration tests.
  const template = opts.empty ? 'template0' : env('FIRELINK_TEST_TEMPLATE');
  const safe = label.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 30);
  // The runner's pid is in the template's name; carrying it lets the runner drop leftovers.
  const run = /_(\d+)$/.exec(template)?.[1] ?? '0';
  const name = `t_${safe}_run${run}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    // Another file may be cloning the same template at this instant; PostgreSQL refuses
    // concurrent use of a template, so retry briefly.
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
        break;
      } catch (err) {
        if (attempt >= 50 || !String((err as Error).message).includes('being accessed by other users')) throw err;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 100));
      }
    }
  } finally {
    await admin.end();
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  pool.on('error', () => {});
  return {
    url,
    name,
    pool,
    drop: async () => {
      await pool.end().catch(() => {});
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** What `firelink bench <name>` hands a benchmark script's default export. */
export interface BenchContext {
  /** A fresh, migrated database for this run (dropped afterwards). */
  databaseUrl: string;
  /** A maintenance database on the same server, for creating more databases. */
  adminUrl: string;
  log: (m: string) => void;
  args: string[];
}

/**
 * A TCP proxy in front of a local port (the HTTP server, PostgreSQL …), to cut the network
 * for real: `cut()` destroys every
 * connection and refuses new ones until `restore()`.
 */
export async function startCutProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<{ port: number; cut: () => void; restore: () => void; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  let down = false;
  const server = createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, targetHost);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
  return {
    port,
    cut: () => {
      down = true;
      for (const s of sockets) s.destroy();
    },
    restore: () => {
      down = false;
    },
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
