// Child process of `npm run bench:chaos`: the real server (every feature, as `firelink start`
// runs it, without demo data), in its own process so that the campaign can SIGKILL it.
// Configuration comes from the environment the parent sets (DATABASE_URL through the
// database proxy, PORT, GB26875_PORT …). Prints "listening <http port>" once it serves;
// SIGTERM shuts it down cleanly.
import { loadConfig } from '../src/kernel/config.ts';
import { createLogger } from '../src/logger.ts';
import { startServer } from '../src/main.ts';

const config = loadConfig();
const logger = createLogger(config.LOG_LEVEL);
const server = await startServer({ config, databaseUrl: process.env.DATABASE_URL!, logger });
process.stdout.write(`listening ${server.httpPort}\n`);
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
