import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../db/environment.ts';

const BIN = join(REPO_ROOT, 'backend', 'bin', 'firelink.mjs');

function firelink(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
}

describe('firelink CLI', () => {
  it('a bad DATABASE_URL gives one clear line naming the variable and the cause, exit 1', () => {
    const r = firelink(['db', 'status'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/nowhere' });
    assert.equal(r.status, 1);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /DATABASE_URL: cannot connect to 127\.0\.0\.1:1\/nowhere \(ECONNREFUSED/);
  });

  it('a malformed DATABASE_URL is named too', () => {
    const r = firelink(['db', 'migrate'], { DATABASE_URL: 'not a url' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /DATABASE_URL is not a valid URL/);
  });

  it('db status lists migrations against a real database', () => {
    const url = new URL(process.env.FIRELINK_TEST_ADMIN_URL!);
    url.pathname = `/${process.env.FIRELINK_TEST_TEMPLATE}`;
    const r = firelink(['db', 'status'], { DATABASE_URL: url.toString() });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /0001_foundation\.sql\s+applied/);
  });

  it('unknown commands print help and exit 1', () => {
    const r = firelink(['frobnicate'], {});
    assert.equal(r.status, 1);
    assert.match(r.stderr, /unknown command "frobnicate"/);
  });
});
