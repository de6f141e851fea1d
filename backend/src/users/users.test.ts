import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { accessFeature } from '../auth/feature.ts';
import { usersFeature } from '../users/feature.ts';
import { createTestUser, ensureRegions, type TestUser } from '../auth/testing.ts';
import { startTestServer, type Reply, type TestServer } from '../devtools/test-support.ts';
import { DEMO_USERS, ensureDemoUsers } from './demo-users.ts';

interface Json {
  [k: string]: unknown;
}

describe('users, jurisdictions and the audit log', () => {
  let db: TestDatabase;
  let server: TestServer;
  let base: string;
  let admin: TestUser;
  let unitIds: number[];

  before(async () => {
    db = await createTestDatabase('users');
    await ensureRegions(db.pool, [320106, 320102]);
    const u = await db.pool.query(
      `INSERT INTO units (name, region_adcode) VALUES ('鼓楼单位一', 320106), ('鼓楼单位二', 320106), ('玄武单位', 320102) RETURNING id`,
    );
    unitIds = u.rows.map((r) => Number(r.id));
    // The test speaks through a proxy on loopback (X-Forwarded-For names the client).
    server = await startTestServer(db.url, [accessFeature, usersFeature], { env: { FIRELINK_DEMO: '0', TRUST_PROXY: 'loopback' } });
    base = server.base;
    admin = await createTestUser(db.pool, { role: 'admin', username: 'root_admin' });
  });
  after(async () => {
    await server.close();
    await db.drop();
  });

  // Through the proxy on loopback: X-Forwarded-For names the client.
  const call = (who: TestUser, method: string, path: string, body?: unknown): Promise<Reply<Json>> =>
    server.call(who, method, path, body, { 'x-forwarded-for': '192.0.2.7' });

  it('an admin creates a user with a generated password shown once; the user logs in and sees the jurisdiction', async () => {
    const r = await call(admin, 'POST', '/api/users', { username: 'sv_new', displayName: '新监督员', role: 'supervisor', regions: [320106] });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(typeof r.body.password, 'string');
    assert.deepEqual(r.body.regions, [320106]);
    const stored = await db.pool.query('SELECT password_hash FROM users WHERE username = $1', ['sv_new']);
    assert.match(stored.rows[0].password_hash, /^\$argon2id\$/);
    assert.ok(!stored.rows[0].password_hash.includes(r.body.password as string));

    const login = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'sv_new', password: r.body.password, session: 'bearer' }),
    });
    assert.equal(login.status, 200);
    const me = (await login.json()) as Json;
    assert.deepEqual(me.scope, { kind: 'regions', adcodes: [320106] });

    // A jurisdiction change applies to the next request of an existing session.
    const id = r.body.id as number;
    const j = await call(admin, 'PUT', `/api/users/${id}/jurisdiction`, { regions: [320102, 320106] });
    assert.equal(j.status, 200);
    const again = await fetch(`${base}/api/auth/me`, { headers: { authorization: `Bearer ${me.token}` } });
    assert.deepEqual(((await again.json()) as Json).scope, { kind: 'regions', adcodes: [320102, 320106] });
  });

  it('binds unit users to units and refuses jurisdictions that do not fit the role', async () => {
    const ok = await call(admin, 'POST', '/api/users', { username: 'unit_a', displayName: 'A', role: 'unit_user', units: [unitIds[0]], password: 'a-long-password' });
    assert.equal(ok.status, 201);
    assert.deepEqual(ok.body.units, [unitIds[0]]);
    const cases: Array<[unknown, RegExp]> = [
      [{ username: 'unit_b', displayName: 'B', role: 'unit_user', regions: [320106] }, /bound to units/],
      [{ username: 'sv_b', displayName: 'B', role: 'supervisor', units: [unitIds[0]] }, /regions/],
      [{ username: 'ad_b', displayName: 'B', role: 'admin', regions: [320106] }, /admins see every region/],
      [{ username: 'sv_c', displayName: 'C', role: 'supervisor', regions: [999999] }, /unknown region adcodes: 999999/],
      [{ username: 'mt_c', displayName: 'C', role: 'maintainer', units: [987654] }, /unknown unit ids: 987654/],
      [{ username: 'x', displayName: 'C', role: 'supervisor' }, /username/],
      [{ username: 'sv_d', displayName: 'D', role: 'chief' }, /role/],
      [{ username: 'sv_e', displayName: 'E', role: 'supervisor', password: 'short' }, /password/],
      [{ username: "sv_f' OR 1=1 --", displayName: 'F', role: 'supervisor' }, /username/],
      [{ username: 'sv_g', displayName: 'G', role: 'supervisor', isAdmin: true }, /isAdmin|Unrecognized/],
    ];
    for (const [body, msg] of cases) {
      const r = await call(admin, 'POST', '/api/users', body);
      assert.equal(r.status, 400, `${JSON.stringify(body)} → ${r.status} ${JSON.stringify(r.body)}`);
      assert.match(String(r.body.message), msg);
    }
    const dup = await call(admin, 'POST', '/api/users', { username: 'unit_a', displayName: 'A2', role: 'unit_user', units: [unitIds[1]] });
    assert.equal(dup.status, 409);
  });

  it('only admins manage users and read the audit log', async () => {
    for (const role of ['operator', 'dispatcher', 'supervisor', 'station', 'analyst'] as const) {
      const u = await createTestUser(db.pool, { role, regions: [320106] });
      assert.equal((await call(u, 'GET', '/api/users')).status, 403, role);
      assert.equal((await call(u, 'GET', `/api/users/${admin.userId}`)).status, 403, role);
      assert.equal((await call(u, 'POST', '/api/users', { username: `esc_${role}`, displayName: 'x', role: 'admin' })).status, 403, role);
      assert.equal((await call(u, 'PATCH', `/api/users/${u.userId}`, { role: 'admin' })).status, 403, `${role} cannot promote itself`);
      assert.equal((await call(u, 'GET', '/api/audit')).status, 403, role);
    }
    for (const role of ['unit_user', 'maintainer'] as const) {
      const u = await createTestUser(db.pool, { role, units: [unitIds[0]!] });
      assert.equal((await call(u, 'GET', '/api/users')).status, 403, role);
      assert.equal((await call(u, 'GET', '/api/audit')).status, 403, role);
    }
    const anon = await fetch(`${base}/api/users`);
    assert.equal(anon.status, 401);
    const anonAudit = await fetch(`${base}/api/audit`);
    assert.equal(anonAudit.status, 401);
  });

  it('disabling a user or changing the password ends its sessions; the last admin cannot be removed', async () => {
    const u = await createTestUser(db.pool, { role: 'analyst', regions: [320106] });
    assert.equal((await fetch(`${base}/api/auth/me`, { headers: u.headers })).status, 200);
    const p = await call(admin, 'PATCH', `/api/users/${u.userId}`, { password: 'a brand new password' });
    assert.equal(p.status, 200);
    assert.equal((await fetch(`${base}/api/auth/me`, { headers: u.headers })).status, 401);

    const v = await createTestUser(db.pool, { role: 'analyst', regions: [320106] });
    assert.equal((await call(admin, 'PATCH', `/api/users/${v.userId}`, { disabled: true })).status, 200);
    assert.equal((await fetch(`${base}/api/auth/me`, { headers: v.headers })).status, 401);

    const self = await call(admin, 'PATCH', `/api/users/${admin.userId}`, { role: 'analyst' });
    assert.equal(self.status, 409);
    assert.match(String(self.body.message), /last enabled admin/);
    assert.equal((await call(admin, 'PATCH', `/api/users/${admin.userId}`, {})).status, 400, 'an empty change is refused');
    assert.equal((await call(admin, 'PATCH', '/api/users/999999', { displayName: 'x' })).status, 404);
  });

  it('audits every change with who, what, before/after, when and from where; admins query it', async () => {
    const c = await call(admin, 'POST', '/api/users', { username: 'audited', displayName: 'Before', role: 'station', regions: [320102] });
    const id = c.body.id as number;
    await call(admin, 'PATCH', `/api/users/${id}`, { displayName: 'After' });
    const q = await call(admin, 'GET', `/api/audit?entity=user&entityId=${id}`);
    assert.equal(q.status, 200);
    const entries = q.body.entries as Array<Json & { before: Json | null; after: Json }>;
    assert.deepEqual(entries.map((e) => e.action), ['user.update', 'user.create']);
    const [upd, crt] = entries as [Json & { before: Json; after: Json }, Json & { before: null; after: Json }];
    assert.equal(upd.actorName, 'root_admin');
    assert.equal(upd.actorId, admin.userId);
    assert.equal(upd.ip, '192.0.2.7');
    assert.equal(upd.before.displayName, 'Before');
    assert.equal(upd.after.displayName, 'After');
    assert.ok(!Number.isNaN(Date.parse(String(upd.at))));
    assert.equal(crt.before, null);
    assert.deepEqual(crt.after.regions, [320102]);
    assert.ok(!JSON.stringify(entries).includes('argon2'), 'password hashes never reach the audit log');

    // Filters and paging.
    const page1 = await call(admin, 'GET', '/api/audit?limit=1&action=user');
    assert.equal((page1.body.entries as unknown[]).length, 1);
    const next = page1.body.next as number;
    const page2 = await call(admin, 'GET', `/api/audit?limit=1&action=user&before=${next}`);
    assert.ok(((page2.body.entries as Json[])[0]!.id as number) < next);
    for (const bad of ['limit=0', 'limit=abc', 'from=yesterday', "entityId=1'%20OR%20'1'='1&entity=user", 'bogus=1']) {
      const r = await call(admin, 'GET', `/api/audit?${bad}`);
      if (bad.startsWith('entityId')) {
        assert.equal(r.status, 200);
        assert.deepEqual(r.body.entries, [], 'metacharacters are matched literally');
      } else assert.equal(r.status, 400, bad);
    }
  });

  it('keeps the audit log append-only: UPDATE, DELETE and TRUNCATE are refused', async () => {
    await assert.rejects(db.pool.query(`UPDATE audit_log SET actor_name = 'someone else'`), /append-only/);
    await assert.rejects(db.pool.query('DELETE FROM audit_log'), /append-only/);
    await assert.rejects(db.pool.query('TRUNCATE audit_log'), /append-only/);
    const n = await db.pool.query('SELECT count(*)::int AS n FROM audit_log');
    assert.ok(n.rows[0].n > 0);
  });

  it('creates one demo user per role with random passwords printed once', async () => {
    const printed: string[] = [];
    const created = await ensureDemoUsers(db.pool, (t) => printed.push(t));
    assert.equal(created.length, DEMO_USERS.length);
    assert.deepEqual(new Set(created.map((c) => c.role)), new Set(['admin', 'operator', 'dispatcher', 'supervisor', 'station', 'analyst', 'unit_user', 'maintainer']));
    assert.equal(printed.length, 1);
    for (const c of created) assert.ok(printed[0]!.includes(c.password), `${c.username}'s password printed`);
    assert.equal(new Set(created.map((c) => c.password)).size, created.length, 'passwords are random');
    const gulou = await db.pool.query(`SELECT r.adcode FROM users u JOIN user_regions r ON r.user_id = u.id WHERE u.username = 'supervisor_gulou'`);
    assert.deepEqual(gulou.rows.map((r) => r.adcode), [320106]);
    const unitUser = await db.pool.query(`SELECT x.unit_id FROM users u JOIN user_units x ON x.user_id = u.id WHERE u.username = 'unit_user'`);
    assert.deepEqual(unitUser.rows.map((r) => Number(r.unit_id)), [unitIds[0]]);
    const sv = created.find((c) => c.username === 'supervisor_xuanwu')!;
    const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: sv.username, password: sv.password }) });
    assert.equal(login.status, 200);

    const again = await ensureDemoUsers(db.pool, (t) => printed.push(t));
    assert.deepEqual(again, []);
    assert.equal(printed.length, 1, 'printed only at first creation');
  });
});
