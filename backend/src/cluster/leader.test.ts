// One scheduler: of two candidates for a leader lock exactly one leads; when the leader's
// session ends (stop, or its connection killed as a SIGKILLed node's would be) the other
// takes over within its retry interval, and a leader whose connection broke is told so.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { createLogger } from '../logger.ts';
import { LeaderLock } from './leader.ts';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase('cluster_leader');
});
after(async () => {
  await db?.drop();
});

const until = async (pred: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('LeaderLock', () => {
  it('one leader at a time; the other takes over when the leader stops or its connection dies', async () => {
    const logger = createLogger('silent');
    const ran: string[] = [];
    const lost: string[] = [];
    const make = (name: string) => {
      const l = new LeaderLock({ databaseUrl: db.url, key: 4242, logger, retryMs: 100, onLost: () => lost.push(name) });
      l.whenLeader(() => ran.push(name));
      return l;
    };
    const a = make('a');
    a.start();
    await until(() => a.leader);
    const b = make('b');
    b.start();
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(b.leader, false, 'b waits while a holds the lock');
    assert.deepEqual(ran, ['a']);

    // a's session is killed (as when its node is SIGKILLed or the network drops it).
    await db.pool.query(`SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242 AND granted`);
    await until(() => b.leader);
    await until(() => lost.length > 0);
    assert.deepEqual(lost, ['a'], 'a is told it lost the lock');
    assert.equal(a.leader, false);
    assert.deepEqual(ran, ['a', 'b']);

    // A clean stop hands over too.
    await a.stop();
    const c = make('c');
    c.start();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(c.leader, false);
    await b.stop();
    await until(() => c.leader);
    assert.deepEqual(ran, ['a', 'b', 'c']);
    await c.stop();
  });
});
