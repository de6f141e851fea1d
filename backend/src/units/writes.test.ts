// Unit writes that the database refuses: the answer names the field to fix (not the
// constraint), the status says whose fault it is, and nothing is written. Real HTTP, real PostGIS.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { createTestUser, type TestUser } from '../auth/testing.ts';
import { startTestServer, type TestServer } from '../devtools/test-support.ts';
import { loadOnboardingConfig } from '../onboarding/config.ts';
import { onboardingFeature } from '../onboarding/feature.ts';

describe('unit writes the database refuses', () => {
  let db: TestDatabase;
  let server: TestServer;
  let admin: TestUser;

  before(async () => {
    db = await createTestDatabase('unit_writes');
    admin = await createTestUser(db.pool, { role: 'admin' });
    server = await startTestServer(db.url, [onboardingFeature({ config: loadOnboardingConfig({}) })]);
  });
  after(async () => {
    await server?.close();
    await db?.drop();
  });

  const count = async () => Number((await db.pool.query('SELECT count(*) FROM units')).rows[0].count);

  it('answers a duplicate externalId with 409 naming the field, on create and on edit', async () => {
    const first = await server.call(admin, 'POST', '/api/units', { name: '甲', externalId: 'NJ-0001' });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const again = await server.call(admin, 'POST', '/api/units', { name: '乙', externalId: 'NJ-0001' });
    assert.equal(again.status, 409);
    assert.equal(again.body.error, 'conflict');
    assert.match(again.body.message, /externalId/);
    assert.doesNotMatch(JSON.stringify(again.body), /units_external_id_key|duplicate key/);
    assert.equal(await count(), 1, 'nothing written');

    const other = await server.call(admin, 'POST', '/api/units', { name: '丙' });
    const edit = await server.call(admin, 'PATCH', `/api/units/${other.body.id}`, { version: other.body.version, externalId: 'NJ-0001' });
    assert.equal(edit.status, 409);
    assert.match(edit.body.message, /externalId/);
    const after = await server.call(admin, 'GET', `/api/units/${other.body.id}`);
    assert.deepEqual([after.body.externalId, after.body.version], [null, other.body.version], 'the edit left no trace');
    const audited = await db.pool.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'unit.update'`);
    assert.equal(audited.rows[0].n, 0);
  });

  it('answers a maintenance agency that does not exist with 400 naming the field', async () => {
    const before = await count();
    const r = await server.call(admin, 'POST', '/api/units', { name: '丁', maintenanceAgencyId: 987654 });
    assert.equal(r.status, 400);
    assert.equal(r.body.error, 'invalid_request');
    assert.match(r.body.message, /maintenanceAgencyId/);
    assert.doesNotMatch(JSON.stringify(r.body), /fkey|violates/);
    assert.equal(await count(), before);
  });
});
