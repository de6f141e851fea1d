// The two database facts every package shares: a statement as `{text, values}` (values are
// always $n parameters), and how one transaction runs on a pooled connection. Only pg's
// types are imported: common has no run-time dependency on pg.
import type pg from 'pg';

/** One SQL statement; query modules return these, adapters run them. */
export interface Query {
  text: string;
  values?: unknown[];
}

/**
 * Runs `work` in one transaction on a pooled client: COMMIT when it resolves (after
 * `beforeCommit`, if given), ROLLBACK when anything throws. A client that loses its server
 * mid-transaction (restart, pg_terminate_backend) emits 'error' — a listener is attached for
 * the duration so that cannot crash the process — and, like a client whose ROLLBACK failed,
 * is released with the error, so the pool discards it instead of handing a broken
 * connection to the next caller. A plain SQL error (a constraint, a 409) keeps the client.
 */
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
    let broken: Error | null = lost;
    await client.query('ROLLBACK').catch((rollbackErr: Error) => {
      broken ??= rollbackErr;
    });
    client.off('error', onError);
    client.release(broken ?? undefined);
    throw err;
  }
}

/** SQLSTATEs the code reacts to by name (the one place they are spelled). */
export const PG_ERROR = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
  undefinedFunction: '42883',
} as const;

/** True for an error carrying one of these SQLSTATEs (node-postgres puts it in `code`). */
export function isPgError(err: unknown, ...codes: string[]): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && codes.includes(code);
}
