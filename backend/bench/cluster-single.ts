// Child process of `npm run bench:cluster`: the single-process server exactly as `firelink
// start` runs it (loadConfig, every feature, the in-process bus), without what `start` does
// before it that the benchmark does not measure: the frontend build (minutes when its
// sources changed) and the demo data. Prints the same "node up" line as the scale-out roles.
import { loadConfig } from '../src/kernel/config.ts';
import { createLogger } from '../src/logger.ts';
import { startServer } from '../src/main.ts';

const config = loadConfig();
const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('DATABASE_URL is not set');
const server = await startServer({ config, databaseUrl, logger: createLogger(config.LOG_LEVEL) });
process.stderr.write(`start node up: pid=${process.pid} http=${server.httpPort} tcp=${config.GB26875_PORT}\n`);
const stop = () => void server.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
