// `firelink ingest | api | worker`: one role of the scale-out (README "Scale-out"). Each
// needs DATABASE_URL (one PostgreSQL shared by every node; migrations run under their
// advisory lock, so nodes may start together) and NATS_URL (JetStream).
import { checkDatabaseUrl, DatabaseUrlError } from '../db/pool.ts';
import { migrate } from '../db/migrate.ts';
import { loadConfig } from '../kernel/config.ts';
import { closeOnSignal } from './shutdown.ts';
import { createLogger } from '../logger.ts';
import { NatsUrlError } from '../cluster/jetstream-bus.ts';
import { loadClusterConfig, startRole, type Role } from '../cluster/roles.ts';

export async function roleCommand(role: Role, _args: string[]): Promise<number> {
  const say = (m: string) => process.stderr.write(`[firelink ${role}] ${m}\n`);
  const config = loadConfig();
  const cluster = loadClusterConfig();
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new DatabaseUrlError(`DATABASE_URL is not set: the ${role} role runs against the deployment's shared PostgreSQL (postgres://user:password@host:5432/database)`);
  await checkDatabaseUrl(databaseUrl);
  const m = await migrate(databaseUrl);
  const logger = createLogger(config.LOG_LEVEL);
  let node: Awaited<ReturnType<typeof startRole>>;
  try {
    node = await startRole(role, { config, cluster, databaseUrl, logger });
  } catch (err) {
    if (!(err instanceof NatsUrlError)) throw err;
    say(err.message);
    return 1;
  }
  // One line a supervisor (or the cluster test) can read: the ports this node listens on.
  say(`${role} node up: pid=${process.pid} http=${node.server.httpPort}${node.tcpPort != null ? ` tcp=${node.tcpPort}` : ''} migration=${m.version} nats=${cluster.NATS_URL} stream=${cluster.NATS_STREAM}`);
  await closeOnSignal(() => node.close(), say);
  return 0;
}
