import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { loadConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { startServer, type RunningServer } from '../main.ts';

describe('HTTP skeleton', () => {
  let db: TestDatabase;
  let server: RunningServer;
  let base: string;
  before(async () => {
    db = await createTestDatabase('http');
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' });
    server = await startServer({ config, databaseUrl: db.url, logger: createLogger('silent'), features: [] });
    base = `http://127.0.0.1:${server.httpPort}`;
  });
  after(async () => {
    await server.close();
    await db.drop();
  });

  it('GET /api/health reports ok, database reachability, migration and build version', async () => {
    const res = await fetch(`${base}/api/health`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { status: string; database: { reachable: boolean }; migration: string; version: unknown; demoData: boolean };
    assert.equal(body.status, 'ok');
    assert.equal(body.database.reachable, true);
    assert.match(body.migration, /^\d{4}$/);
    assert.equal(typeof body.version, 'string');
    assert.equal(body.demoData, false, 'an empty database holds no synthetic demo data');
  });

  it('serves Prometheus metrics', async () => {
    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /firelink_process_cpu_user_seconds_total/);
  });

  it('serves the frontend page at / and at client routes', async () => {
    for (const path of ['/', '/wall']) {
      const res = await fetch(`${base}${path}`);
      assert.ok(res.status === 200 || res.status === 503, `unexpected ${res.status}`);
      const text = await res.text();
      assert.match(text, /FireLink/);
    }
  });

  it('answers unknown API paths and bad JSON with JSON errors', async () => {
    const res = await fetch(`${base}/api/nope`);
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { error: string }).error, 'not_found');
  });
});
