// The two database facts every package shares: a statement as `{text, values}` (values are
// always $n parameters), and how one transaction runs on a pooled connection. Only pg's
// types are imported: common has no run-time dependency on pg.
import type pg from 'pg';

/** One SQL statement; query modules return these, adapters run them. */
export interface Query {
  text: string;
  values?: unknown[];
}

/** Passed to `withClient`'s work: marks the connection broken, so it is discarded, not reused. */
export interface HeldConnection {
  broken(err: Error): void;
}

/**
 * Runs `work` on a pooled client and gives it back. A client that loses its server while
 * held (restart, pg_terminate_backend) emits 'error' — a listener is attached for the
 * duration so that cannot crash the process — and is released with the error, so the pool
 * discards it instead of handing a broken connection to the next caller; `work` marks it
 * broken itself (`held.broken(err)`) after a failure it cannot vouch for.
 */
export async function withClient<T>(pool: pg.Pool, work: (client: pg.PoolClient, held: HeldConnection) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | null = null;
  const onError = (err: Error) => {
    broken ??= err;
  };
  client.on('error', onError);
  try {
    return await work(client, { broken: onError });
  } finally {
    client.off('error', onError);
    client.release(broken ?? undefined);
  }
}

/**
 * Runs `work` in one transaction on a pooled client (`withClient`): COMMIT when it resolves
 * (after `beforeCommit`, if given), ROLLBACK when anything throws. A client whose ROLLBACK
 * failed, or whose connection broke, is discarded; a plain SQL error (a constraint, a 409)
 * keeps the client.
 */
export function withTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>, beforeCommit?: () => void | Promise<void>): Promise<T> {
  return withClient(pool, async (client, held) => {
    try {
      await client.query('BEGIN');
      const r = await work(client);
      if (beforeCommit) await beforeCommit();
      await client.query('COMMIT');
      return r;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackErr: Error) => held.broken(rollbackErr));
      throw err;
    }
  });
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
