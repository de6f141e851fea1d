// One transaction on a pooled connection. A checked-out pg client that loses its server
// (restart, pg_terminate_backend) emits 'error'; without a listener that would crash the
// process, so one is attached for the duration — the failing query rejects anyway.
import type pg from 'pg';

export async function withTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>, beforeCommit?: () => void | Promise<void>): Promise<T> {
  const client = await pool.connect();
  let lost: Error | null = null;
  const onError = (err: Error) => {
    lost = err;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const r = await work(client);
    if (beforeCommit) await beforeCommit();
    await client.query('COMMIT');
    client.off('error', onError);
    client.release();
    return r;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    client.off('error', onError);
    client.release((lost ?? err) as Error); // a connection that failed mid-transaction is not reused
    throw err;
  }
}
