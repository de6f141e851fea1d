// Path parameters over a real server: a bad id in the path is a 400 that names the path
// parameter and the value. Bug (API probe): GET /api/units/abc answered
// "(body): Expected number, received nan" although the request had no body.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { createTestUser, type TestUser } from '../auth/testing.ts';
import { startTestServer, type TestServer } from '../devtools/test-support.ts';
import { loadOnboardingConfig } from '../onboarding/config.ts';
import { onboardingFeature } from '../onboarding/feature.ts';
import { stationFeature } from '../station/feature.ts';
import { idParam, issueLabel } from './params.ts';

describe('idParam', () => {
  it('takes positive safe integers and refuses the rest with the value in the message', () => {
    assert.equal(idParam.parse('42'), 42);
    for (const bad of ['abc', '0', '-3', '1.5', '9007199254740993', '', '0x11', '1e3', '2e0', ' 17', '17 ']) {
      const r = idParam.safeParse(bad);
      assert.equal(r.success, false, bad);
      assert.equal(issueLabel(r.error!.issues[0]!), 'path parameter');
      assert.match(r.error!.issues[0]!.message, /positive integer id/);
    }
  });

  it('inside an object (a query field) the issue names the field; a body-level issue stays "(body)"', () => {
    const r = z.object({ unit: idParam.optional() }).safeParse({ unit: 'x' });
    assert.equal(issueLabel(r.error!.issues[0]!), 'unit');
    const b = z.object({ a: z.number().optional() }).refine((v) => v.a !== undefined, 'send a').safeParse({});
    assert.equal(issueLabel(b.error!.issues[0]!), '(body)');
  });
});

describe('a bad path id over HTTP', () => {
  let db: TestDatabase;
  let server: TestServer;
  let admin: TestUser;
  before(async () => {
    db = await createTestDatabase('http_params');
    admin = await createTestUser(db.pool, { role: 'admin' });
    server = await startTestServer(db.url, [onboardingFeature({ config: loadOnboardingConfig({}) }), stationFeature]);
  });
  after(async () => {
    await server?.close();
    await db?.drop();
  });

  it('GET /api/units/abc and /api/station/orders/0 name the path parameter, not the body', async () => {
    for (const [path, value] of [['/api/units/abc', 'abc'], ['/api/station/orders/0', '0'], ['/api/station/units/1e3x/pack', '1e3x']] as const) {
      const r = await server.call(admin, 'GET', path);
      assert.equal(r.status, 400, `${path}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error, 'invalid_request');
      assert.ok(!String(r.body.message).includes('(body)'), `${path}: ${r.body.message}`);
      assert.match(r.body.message, new RegExp(`^path parameter: expected a positive integer id .*"${value}"`), path);
    }
  });
});
