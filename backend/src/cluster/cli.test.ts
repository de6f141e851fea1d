// The role commands refuse to start without what they need, in one clear line each.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { REPO_ROOT } from '../db/environment.ts';

const BIN = join(REPO_ROOT, 'backend', 'bin', 'firelink.mjs');

function firelink(args: string[], env: Record<string, string | undefined>) {
  const { NODE_TEST_CONTEXT: _ctx, NATS_URL: _nats, ...base } = process.env;
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...base, ...env } as NodeJS.ProcessEnv, timeout: 60_000 });
}

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase('cluster_cli');
});
after(async () => {
  await db?.drop();
});
const templateUrl = () => db.url;

describe('firelink ingest | api | worker', () => {
  it('without NATS_URL: names the variable, exit 1', () => {
    const r = firelink(['worker'], { DATABASE_URL: templateUrl() });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /NATS_URL: set NATS_URL \(e\.g\. nats:\/\/127\.0\.0\.1:4222\)/);
  });

  it('with a NATS_URL nobody answers: says which and how to fix it, exit 1', () => {
    const r = firelink(['api'], { DATABASE_URL: templateUrl(), NATS_URL: 'nats://127.0.0.1:1' });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /NATS_URL: cannot connect to nats:\/\/127\.0\.0\.1:1 .*start NATS with JetStream/);
  });

  it('help lists the roles next to start', () => {
    const r = firelink(['--help'], {});
    for (const role of ['start', 'ingest', 'api', 'worker']) assert.match(r.stdout, new RegExp(`\\n  ${role} `));
  });
});
