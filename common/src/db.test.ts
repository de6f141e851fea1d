import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { withTransaction } from './db.ts';
import { createTestDatabase, type TestDatabase } from './testing/index.ts';

describe('withTransaction', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  before(async () => {
    db = await createTestDatabase('with_transaction', { empty: true });
    pool = new pg.Pool({ connectionString: db.url, max: 1 });
    pool.on('error', () => {});
    await pool.query('CREATE TABLE t (id int PRIMARY KEY)');
  });
  after(async () => {
    await pool.end();
    await db.drop();
  });

  const backendPid = async () => (await pool.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;

  it('commits on success and rolls back on a plain SQL error, keeping the connection', async () => {
    const pid = await backendPid();
    await withTransaction(pool, (c) => c.query('INSERT INTO t VALUES (1)'));
    await assert.rejects(
      withTransaction(pool, async (c) => {
        await c.query('INSERT INTO t VALUES (2)');
        await c.query('INSERT INTO t VALUES (1)'); // unique violation
      }),
      /duplicate key/,
    );
    assert.deepEqual((await pool.query('SELECT id FROM t ORDER BY id')).rows, [{ id: 1 }]);
    assert.equal(await backendPid(), pid, 'a constraint error must not cost the pooled connection');
  });

  it('discards a client whose server connection broke mid-transaction (the next caller gets a working one)', async () => {
    const pid = await backendPid();
    const killer = new pg.Client({ connectionString: db.url });
    await killer.connect();
    try {
      await assert.rejects(
        withTransaction(pool, async (c) => {
          await c.query('INSERT INTO t VALUES (3)');
          await killer.query('SELECT pg_terminate_backend($1)', [pid]);
          await c.query('SELECT 1');
        }),
      );
    } finally {
      await killer.end();
    }
    // With max 1, a broken client handed back to the pool would fail this call.
    const n = await withTransaction(pool, async (c) => (await c.query('SELECT count(*)::int AS n FROM t')).rows[0].n as number);
    assert.equal(n, 1);
    assert.notEqual(await backendPid(), pid);
  });
});
