import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { Router } from 'express';
import { loadConfig } from '../kernel/config.ts';
import { startTestServer, type TestServer } from '../devtools/test-support.ts';
import { onboardingFeature } from '../onboarding/feature.ts';

describe('HTTP skeleton', () => {
  let db: TestDatabase;
  let server: TestServer;
  let base: string;
  before(async () => {
    db = await createTestDatabase('http');
    server = await startTestServer(db.url, []);
    base = server.base;
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
    const s = await startTestServer(db.url, [], { env: { METRICS_TOKEN: token } });
    try {
      const url = `${s.base}/metrics`;
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

/** POSTs a JSON body and resolves with the status as soon as it arrives, even while the upload is still being written. */
function statusOfUpload(url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let status: number | null = null;
    const req = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      status = res.statusCode ?? 0;
      res.resume();
      resolve(status);
    });
    req.on('error', (err) => {
      if (status === null) reject(err);
    });
    req.end(body);
  });
}

describe('HTTP error answers and body limits', () => {
  let db: TestDatabase;
  let server: TestServer;
  let base: string;
  before(async () => {
    db = await createTestDatabase('http_errors');
    // A route that hands the database values it refuses, as a careless feature route would.
    const probe = Router();
    probe.post('/cast', async (req, res) => {
      res.json((await db.pool.query('SELECT $1::int AS n', [String((req.body as { n?: unknown }).n)])).rows[0]);
    });
    probe.post('/dup', async (_req, res) => {
      await db.pool.query('CREATE TABLE IF NOT EXISTS probe_dup (k text PRIMARY KEY)');
      await db.pool.query(`INSERT INTO probe_dup VALUES ('secret-key-value') ON CONFLICT DO NOTHING`);
      await db.pool.query(`INSERT INTO probe_dup VALUES ('secret-key-value')`);
      res.json({});
    });
    server = await startTestServer(db.url, [onboardingFeature(), () => ({ name: 'probe', routers: [{ path: '/api/probe', router: probe }] })], {
      env: { FIRELINK_DEMO: '0', NODE_ENV: 'test' },
    });
    base = server.base;
  });
  after(async () => {
    await server.close();
    await db.drop();
  });

  // Bug: a corrupt Content-Encoding gave 500, also on login.
  it('answers a body that does not decompress as its Content-Encoding says with 400, not 500', async () => {
    for (const path of ['/api/auth/login', '/api/units']) {
      for (const encoding of ['gzip', 'deflate', 'br']) {
        const res = await fetch(`${base}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-encoding': encoding },
          body: 'this is not compressed at all',
        });
        assert.equal(res.status, 400, `${path} ${encoding}`);
        const body = (await res.json()) as { error: string; message: string };
        assert.equal(body.error, 'bad_encoding');
        assert.match(body.message, /Content-Encoding/);
      }
    }
    const unknown = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'x-rot13' }, body: '{}' });
    assert.equal(unknown.status, 415);
    // A correct gzip body is still accepted.
    const ok = await fetch(`${base}/api/probe/cast`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync(JSON.stringify({ n: 5 })) });
    assert.deepEqual(await ok.json(), { n: 5 });
  });

  // Bug: 400 responses echoed PostgreSQL's messages (table, column and key values).
  it('never sends PostgreSQL messages to the client: our own 400/409 instead', async () => {
    const cast = await fetch(`${base}/api/probe/cast`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n: 'abc' }) });
    assert.equal(cast.status, 400);
    const c = (await cast.json()) as { message: string };
    assert.doesNotMatch(c.message, /invalid input syntax|integer|"abc"/);
    assert.match(c.message, /wrong format/);
    const dup = await fetch(`${base}/api/probe/dup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(dup.status, 409);
    const d = (await dup.json()) as { message: string };
    assert.doesNotMatch(JSON.stringify(d), /secret-key-value|probe_dup|duplicate key/);
  });

  // Bug: every /api/units route accepted 10 MB JSON bodies although the README says 1 MB.
  it('limits /api/units JSON bodies to 1 MB; only the point import takes up to 10 MB', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) });
    for (const [method, path] of [['POST', '/api/units'], ['PATCH', '/api/units/1'], ['POST', '/api/units/1/transition'], ['POST', '/api/units/1/devices']] as const) {
      const res = await fetch(`${base}${path}`, { method, headers: { 'content-type': 'application/json' }, body: big });
      assert.equal(res.status, 413, `${method} ${path}`);
    }
    const imp = await fetch(`${base}/api/units/1/points/import`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ format: 'csv', text: 'x'.repeat(2 * 1024 * 1024) }) });
    assert.notEqual(imp.status, 413, 'the point import keeps its 10 MB limit');
    // The server answers 413 before the 11 MB have arrived and closes the connection: read the
    // status as soon as it comes (fetch reports the reset instead when the upload is still going).
    const huge = await statusOfUpload(`${base}/api/units/1/points/import`, JSON.stringify({ format: 'csv', text: 'x'.repeat(11 * 1024 * 1024) }));
    assert.equal(huge, 413);
  });

  it('answers a request whose body trickles in past HTTP_REQUEST_TIMEOUT_S with 408 and closes it', async () => {
    const slowDb = await createTestDatabase('http_slow');
    const slow = await startTestServer(slowDb.url, [], { env: { HTTP_REQUEST_TIMEOUT_S: '2', HTTP_HEADERS_TIMEOUT_S: '1' } });
    try {
      const t0 = Date.now();
      const answer = await new Promise<string>((resolve, reject) => {
        const s = connect(slow.httpPort, '127.0.0.1', () => {
          s.write('POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{');
          const drip = setInterval(() => s.write(' '), 500);
          let got = '';
          s.on('data', (d) => (got += d.toString()));
          s.on('close', () => {
            clearInterval(drip);
            resolve(got);
          });
          s.on('error', () => {});
          setTimeout(() => reject(new Error('still open after 8 s')), 8000).unref();
        });
      });
      assert.match(answer, /^HTTP\/1\.1 408/);
      assert.ok(Date.now() - t0 < 6000, `closed after ${Date.now() - t0} ms`);
    } finally {
      await slow.close();
      await slowDb.drop();
    }
  });
});
