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

  it('serves Prometheus metrics to direct loopback callers only, without METRICS_TOKEN', async () => {
    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /firelink_process_cpu_user_seconds_total/);
    // Through a reverse proxy on this machine the caller is someone else: refused, with the fix.
    const proxied = await fetch(`${base}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.7' } });
    assert.equal(proxied.status, 403);
    assert.match(((await proxied.json()) as { message: string }).message, /METRICS_TOKEN/);
  });

  it('with METRICS_TOKEN, serves metrics only to "Authorization: Bearer <token>", from anywhere', async () => {
    const token = 'scrape-token-0123456789abcdef';
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', METRICS_TOKEN: token });
    const s = await startServer({ config, databaseUrl: db.url, logger: createLogger('silent'), features: [] });
    try {
      const url = `http://127.0.0.1:${s.httpPort}/metrics`;
      assert.equal((await fetch(url)).status, 401, 'loopback alone is not enough once a token is set');
      assert.equal((await fetch(url, { headers: { authorization: `Bearer ${token}x` } })).status, 401);
      const ok = await fetch(url, { headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': '203.0.113.7' } });
      assert.equal(ok.status, 200);
      assert.match(await ok.text(), /firelink_process_cpu_user_seconds_total/);
    } finally {
      await s.close();
    }
    assert.throws(() => loadConfig({ METRICS_TOKEN: 'short' }), /METRICS_TOKEN.*16 characters/);
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
