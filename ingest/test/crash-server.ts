// Child process for the crash test: a GB/T 26875 server whose store, when CRASH_BEFORE_COMMIT
// is set, reports "precommit <serial>" on stdout and then hangs inside the transaction
// (the parent kills it there with SIGKILL). Prints "listening <port>" when ready.
import pg from 'pg';
import { EventStore } from '../src/store/event-store.ts';
import { startGb26875Server } from '../src/server/gb26875-server.ts';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
const store = new EventStore(pool);
if (process.env.CRASH_BEFORE_COMMIT === '1') {
  store.beforeCommit = async (frame) => {
    process.stdout.write(`precommit ${frame.serial}\n`);
    await new Promise(() => {}); // hold the transaction open until killed
  };
}
const server = await startGb26875Server({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1', store, clockSyncOnConnect: false });
process.stdout.write(`listening ${server.port}\n`);
