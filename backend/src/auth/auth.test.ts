import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { loadConfig } from '../kernel/config.ts';
import { startTestServer, type TestServer } from '../devtools/test-support.ts';
import { authenticateRequest, hashToken } from './authenticate.ts';
import { accessFeature } from './feature.ts';
import { usersFeature } from '../users/feature.ts';
import { DEFAULT_THROTTLE } from './throttle.ts';
import { TRUST_NO_PROXY, parseTrustProxy } from '../kernel/trust-proxy.ts';
import { createTestUser } from './testing.ts';

interface Json {
  [k: string]: unknown;
}

describe('authentication, sessions, CSRF, throttling, hardening', () => {
  let db: TestDatabase;
  let server: TestServer;
  let base: string;
  const PASSWORD = 'correct horse battery';

  before(async () => {
    db = await createTestDatabase('auth');
    server = await startTestServer(db.url, [accessFeature, usersFeature], { env: { FIRELINK_DEMO: '0', SESSION_TTL_HOURS: '2', TRUST_PROXY: 'loopback' } });
    base = server.base;
  });
  after(async () => {
    await server.close();
    await db.drop();
  });

  // X-Forwarded-For is honoured from loopback (TRUST_PROXY=loopback), so tests can speak for many clients.
  const login = (username: string, password: string, ip = '10.0.0.1', extra: Json = {}) =>
    fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
      body: JSON.stringify({ username, password, ...extra }),
    });
  const cookieOf = (res: Response) => {
    const set = res.headers.getSetCookie();
    return set.map((c) => c.split(';')[0]).join('; ');
  };

  it('logs in with an HttpOnly SameSite=Strict cookie that expires after SESSION_TTL_HOURS', async () => {
    const u = await createTestUser(db.pool, { role: 'supervisor', regions: [320106], username: 'sv_cookie', password: PASSWORD });
    const res = await login('sv_cookie', PASSWORD);
    assert.equal(res.status, 200);
    const body = (await res.json()) as Json;
    assert.equal(body.role, 'supervisor');
    assert.deepEqual(body.scope, { kind: 'regions', adcodes: [320106] });
    assert.equal(body.session, 'cookie');
    assert.equal(typeof body.csrfToken, 'string');
    assert.equal(body.token, undefined, 'a cookie login never returns the token in the body');
    const set = res.headers.getSetCookie();
    const session = set.find((c) => c.startsWith('fl_session='));
    assert.ok(session, 'session cookie set');
    assert.match(session, /HttpOnly/i);
    assert.match(session, /SameSite=Strict/i);
    const csrfCookie = set.find((c) => c.startsWith('fl_csrf='));
    assert.ok(csrfCookie && !/HttpOnly/i.test(csrfCookie), 'CSRF cookie is readable by the page');
    const s = await db.pool.query(`SELECT EXTRACT(EPOCH FROM expires_at - now())::float8 AS left_s FROM sessions WHERE user_id = $1 AND kind = 'cookie'`, [u.userId]);
    assert.ok(Math.abs(Number(s.rows[0].left_s) - 2 * 3600) < 60, `expires in ${s.rows[0].left_s} s, want 2 h`);

    const me = await fetch(`${base}/api/auth/me`, { headers: { cookie: cookieOf(res) } });
    assert.equal(me.status, 200);
    const meBody = (await me.json()) as Json;
    assert.equal(meBody.username, 'sv_cookie');
    assert.equal(meBody.csrfToken, body.csrfToken);
  });

  it('refuses mutating cookie requests without the CSRF header, accepts them with it, and never asks bearer clients', async () => {
    await createTestUser(db.pool, { role: 'analyst', regions: [320100], username: 'an_csrf', password: PASSWORD });
    const res = await login('an_csrf', PASSWORD);
    const { csrfToken } = (await res.json()) as { csrfToken: string };
    const cookie = cookieOf(res);
    const post = (headers: Record<string, string>) =>
      fetch(`${base}/api/auth/tokens`, { method: 'POST', headers: { 'content-type': 'application/json', cookie, ...headers }, body: JSON.stringify({ label: 'script' }) });
    const none = await post({});
    assert.equal(none.status, 403);
    assert.equal(((await none.json()) as Json).error, 'csrf');
    assert.equal((await post({ 'x-csrf-token': 'x'.repeat(32) })).status, 403);
    assert.equal((await post({ 'x-csrf-token': csrfToken, origin: 'http://evil.example' })).status, 403);
    const ok = await post({ 'x-csrf-token': csrfToken });
    assert.equal(ok.status, 201);
    const issued = (await ok.json()) as { token: string; id: number };
    assert.equal(typeof issued.token, 'string');

    // The issued bearer token works without any CSRF header, and can be revoked.
    const bearer = { authorization: `Bearer ${issued.token}` };
    const me = await fetch(`${base}/api/auth/me`, { headers: bearer });
    assert.equal(((await me.json()) as Json).session, 'bearer');
    const second = await fetch(`${base}/api/auth/tokens`, { method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify({ label: 'other' }) });
    assert.equal(second.status, 201);
    const list = (await (await fetch(`${base}/api/auth/tokens`, { headers: bearer })).json()) as { tokens: Array<{ id: number; label: string }> };
    assert.deepEqual(list.tokens.map((t) => t.label).sort(), ['other', 'script', 'test']);
    const del = await fetch(`${base}/api/auth/tokens/${issued.id}`, { method: 'DELETE', headers: bearer });
    assert.equal(del.status, 204);
    assert.equal((await fetch(`${base}/api/auth/me`, { headers: bearer })).status, 401);
  });

  it('issues a bearer token at login for API clients', async () => {
    await createTestUser(db.pool, { role: 'operator', regions: [320100], username: 'op_bearer', password: PASSWORD });
    const res = await login('op_bearer', PASSWORD, '10.0.0.2', { session: 'bearer' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.getSetCookie().length, 0, 'no cookie for bearer logins');
    const body = (await res.json()) as { token: string; csrfToken: string | null };
    assert.equal(body.csrfToken, null);
    const me = await fetch(`${base}/api/auth/me`, { headers: { authorization: `Bearer ${body.token}` } });
    assert.equal(me.status, 200);
    const row = await db.pool.query('SELECT token_hash FROM sessions WHERE token_hash = $1', [hashToken(body.token)]);
    assert.equal(row.rows.length, 1, 'only the SHA-256 of the token is stored');
  });

  it('answers wrong passwords and unknown users alike', async () => {
    await createTestUser(db.pool, { role: 'dispatcher', regions: [320100], username: 'dp_wrong', password: PASSWORD });
    const a = await login('dp_wrong', 'not the password', '10.0.1.1');
    const b = await login('nobody_here', 'not the password', '10.0.1.1');
    assert.equal(a.status, 401);
    assert.equal(b.status, 401);
    assert.deepEqual(await a.json(), await b.json());
  });

  it('throttles brute force per username+IP with exponential backoff, even for the right password', async () => {
    await createTestUser(db.pool, { role: 'supervisor', regions: [320102], username: 'sv_brute', password: PASSWORD });
    const statuses: number[] = [];
    // A parallel burst: attempts are serialized per account, so exactly the free ones are checked.
    const burst = await Promise.all(Array.from({ length: 10 }, (_, i) => login('sv_brute', `guess-${i}`, '10.0.2.1')));
    for (const r of burst) statuses.push(r.status);
    assert.equal(statuses.filter((s) => s === 401).length, 4, `3 free failures + the one that locks: ${statuses.join(',')}`);
    assert.equal(statuses.filter((s) => s === 429).length, 6);
    const locked = await login('sv_brute', PASSWORD, '10.0.2.1');
    assert.equal(locked.status, 429, 'locked even with the right password');
    assert.ok(Number(locked.headers.get('retry-after')) >= 1);
    assert.match(((await locked.json()) as { message: string }).message, /try again in \d+ s/);

    // Another client is not locked out by this one (the per-user threshold is higher).
    assert.equal((await login('sv_brute', PASSWORD, '10.0.2.2')).status, 200);

    // Backoff doubles: the next failure after the lock expires locks for twice as long.
    await db.pool.query(`UPDATE login_throttle SET locked_until = now() - interval '1 second' WHERE key = 'u:sv_brute|ip:10.0.2.1'`);
    assert.equal((await login('sv_brute', 'again wrong', '10.0.2.1')).status, 401);
    const t = await db.pool.query(`SELECT failures, EXTRACT(EPOCH FROM locked_until - now())::float8 AS s FROM login_throttle WHERE key = 'u:sv_brute|ip:10.0.2.1'`);
    assert.equal(t.rows[0].failures, 5);
    assert.ok(t.rows[0].s > 2.05 && t.rows[0].s <= 4, `locked for ${t.rows[0].s} s, want 4 s (twice the first 2 s)`);

    // When the lock has passed, the right password gets in and clears this client's counter.
    await db.pool.query(`UPDATE login_throttle SET locked_until = now() - interval '1 second' WHERE key = 'u:sv_brute|ip:10.0.2.1'`);
    assert.equal((await login('sv_brute', PASSWORD, '10.0.2.1')).status, 200);
    const left = await db.pool.query(`SELECT 1 FROM login_throttle WHERE key = 'u:sv_brute|ip:10.0.2.1'`);
    assert.equal(left.rows.length, 0);
    const audit = await db.pool.query(`SELECT after FROM audit_log WHERE action = 'auth.lockout' AND after->>'username' = 'sv_brute'`);
    assert.ok(audit.rows.length >= 1, 'lockouts are audited');
  });

  it('throttles one IP trying many accounts (credential stuffing) after 100 failures', async () => {
    await createTestUser(db.pool, { role: 'analyst', regions: [320100], username: 'an_stuffed', password: PASSWORD });
    // 100 earlier failures from this address, over many usernames (set directly: 100 argon2 runs would be slow).
    await db.pool.query(`INSERT INTO login_throttle (key, failures) VALUES ('ip:10.0.9.9', 100)`);
    assert.equal((await login('someone_else', 'guess', '10.0.9.9')).status, 401);
    const r = await login('an_stuffed', PASSWORD, '10.0.9.9');
    assert.equal(r.status, 429, 'the address is locked for every account');
    assert.equal((await login('an_stuffed', PASSWORD, '10.0.9.10')).status, 200, 'other addresses are not');
  });

  it('slides a wall-display session forward on refresh, capped at SESSION_MAX_DAYS; desk, bearer and ended sessions are refused', async () => {
    await createTestUser(db.pool, { role: 'operator', regions: [320106], username: 'op_wall', password: PASSWORD });
    // A desk's ordinary cookie session is not kept alive.
    const desk = await login('op_wall', PASSWORD, '10.0.4.1');
    const deskCsrf = ((await desk.json()) as { csrfToken: string }).csrfToken;
    const deskRefresh = await fetch(`${base}/api/auth/refresh`, { method: 'POST', headers: { cookie: cookieOf(desk), 'x-csrf-token': deskCsrf, 'x-forwarded-for': '10.0.4.1' } });
    assert.equal(deskRefresh.status, 403);
    assert.match(((await deskRefresh.json()) as { message: string }).message, /wall-display sessions/);
    const res = await login('op_wall', PASSWORD, '10.0.4.1', { purpose: 'wall' });
    assert.equal(res.status, 200);
    assert.equal((await login('op_wall', PASSWORD, '10.0.4.1', { purpose: 'wall', session: 'bearer' })).status, 400, 'a wall session is a browser session');
    const { csrfToken } = (await res.json()) as { csrfToken: string };
    const cookie = cookieOf(res);
    const hash = hashToken(decodeURIComponent(cookie.match(/fl_session=([^;]+)/)![1]!));
    const refresh = (headers: Record<string, string>) => fetch(`${base}/api/auth/refresh`, { method: 'POST', headers: { 'x-forwarded-for': '10.0.4.1', ...headers } });
    const left = async () => Number((await db.pool.query(`SELECT EXTRACT(EPOCH FROM expires_at - now())::float8 AS s FROM sessions WHERE token_hash = $1`, [hash])).rows[0].s);

    // A wall display hours into its session: pretend it is nearly over, then refresh.
    await db.pool.query(`UPDATE sessions SET expires_at = now() + interval '5 minutes', created_at = now() - interval '3 days' WHERE token_hash = $1`, [hash]);
    const noCsrf = await refresh({ cookie });
    assert.equal(noCsrf.status, 403, 'a cookie refresh needs the CSRF header like any POST');
    assert.match(((await noCsrf.json()) as { message: string }).message, /X-CSRF-Token/i);
    // Read-only: it may look, and keep itself alive, but change nothing.
    const write = await fetch(`${base}/api/auth/tokens`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json', 'x-forwarded-for': '10.0.4.1' },
      body: JSON.stringify({ label: 'from the wall' }),
    });
    assert.equal(write.status, 403);
    assert.match(((await write.json()) as { message: string }).message, /wall-display session is read-only/);
    assert.equal((await fetch(`${base}/api/auth/me`, { headers: { cookie } })).status, 200);
    const relogin = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', 'x-forwarded-for': '10.0.4.1' },
      body: JSON.stringify({ username: 'op_wall', password: PASSWORD }),
    });
    assert.equal(relogin.status, 200, 'from a wall screen one may still log in as a desk user');
    const ok = await refresh({ cookie, 'x-csrf-token': csrfToken });
    assert.equal(ok.status, 200);
    const body = (await ok.json()) as { expiresAt: string };
    assert.ok(Math.abs((await left()) - 2 * 3600) < 60, `slid to 2 h from now, left ${await left()} s`);
    assert.ok(Math.abs(Date.parse(body.expiresAt) - (Date.now() + 2 * 3600_000)) < 60_000);
    const set = ok.headers.getSetCookie();
    const renewed = set.find((c) => c.startsWith('fl_session='));
    assert.ok(renewed && /Max-Age=7\d{3}/.test(renewed) && /HttpOnly/i.test(renewed), `cookie renewed: ${renewed}`);

    // Near the absolute cap (30 days after login): it never passes it.
    await db.pool.query(`UPDATE sessions SET expires_at = now() + interval '5 minutes', created_at = now() - interval '30 days' + interval '30 minutes' WHERE token_hash = $1`, [hash]);
    assert.equal((await refresh({ cookie, 'x-csrf-token': csrfToken })).status, 200);
    assert.ok((await left()) < 31 * 60 && (await left()) > 25 * 60, `capped at 30 days after login, left ${await left()} s`);

    // Ended sessions are not revived; bearer tokens keep their expiry.
    await db.pool.query(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, [hash]);
    assert.equal((await refresh({ cookie, 'x-csrf-token': csrfToken })).status, 401);
    const bearer = await createTestUser(db.pool, { role: 'operator', regions: [320106] });
    const b = await refresh(bearer.headers);
    assert.equal(b.status, 400);
    assert.match(((await b.json()) as { message: string }).message, /cookie sessions/);
  });

  it('refuses an expired session and a disabled user', async () => {
    const u = await createTestUser(db.pool, { role: 'station', regions: [320106] });
    assert.equal((await fetch(`${base}/api/auth/me`, { headers: u.headers })).status, 200);
    await db.pool.query(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, [hashToken(u.token)]);
    const res = await fetch(`${base}/api/auth/me`, { headers: u.headers });
    assert.equal(res.status, 401);
    assert.match(((await res.json()) as { message: string }).message, /login/);

    const v = await createTestUser(db.pool, { role: 'station', regions: [320106] });
    await db.pool.query('UPDATE users SET disabled = true WHERE id = $1', [v.userId]);
    assert.equal((await fetch(`${base}/api/auth/me`, { headers: v.headers })).status, 401);
  });

  it('logout ends the session, clears the cookie and is audited', async () => {
    await createTestUser(db.pool, { role: 'analyst', regions: [320100], username: 'an_logout', password: PASSWORD });
    const res = await login('an_logout', PASSWORD, '10.0.3.1');
    const { csrfToken } = (await res.json()) as { csrfToken: string };
    const cookie = cookieOf(res);
    const out = await fetch(`${base}/api/auth/logout`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrfToken, 'x-forwarded-for': '10.0.3.1' } });
    assert.equal(out.status, 204);
    assert.ok(out.headers.getSetCookie().some((c) => c.startsWith('fl_session=;')), 'cookie cleared');
    assert.equal((await fetch(`${base}/api/auth/me`, { headers: { cookie } })).status, 401);
    const a = await db.pool.query(`SELECT actor_name, ip FROM audit_log WHERE action = 'auth.logout' AND actor_name = 'an_logout'`);
    assert.equal(a.rows.length, 1);
    assert.equal(a.rows[0].ip, '10.0.3.1');
  });

  it("changes one's own password: the current one is checked, other sessions end, this one stays", async () => {
    const u = await createTestUser(db.pool, { role: 'supervisor', regions: [320106], username: 'sv_pw', password: PASSWORD });
    const res = await login('sv_pw', PASSWORD, '10.0.5.1');
    const { csrfToken } = (await res.json()) as { csrfToken: string };
    const cookie = cookieOf(res);
    const change = (current: string, next: string) =>
      fetch(`${base}/api/auth/password`, {
        method: 'POST',
        headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json', 'x-forwarded-for': '10.0.5.1' },
        body: JSON.stringify({ currentPassword: current, newPassword: next }),
      });
    assert.equal((await change('wrong one', 'a new secret 123')).status, 403);
    assert.equal((await change(PASSWORD, 'short')).status, 400);
    assert.equal((await change(PASSWORD, 'a new secret 123')).status, 204);
    assert.equal((await fetch(`${base}/api/auth/me`, { headers: { cookie } })).status, 200, 'this session stays');
    assert.equal((await fetch(`${base}/api/auth/me`, { headers: u.headers })).status, 401, 'other sessions end');
    assert.equal((await login('sv_pw', PASSWORD, '10.0.5.2')).status, 401);
    assert.equal((await login('sv_pw', 'a new secret 123', '10.0.5.2')).status, 200);
  });

  it('rejects malformed, oversized, unexpected and hostile bodies with clear 4xx', async () => {
    const bad = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username": "a", ' });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as Json).error, 'invalid_json');

    const big = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'a', password: 'x'.repeat(20_000) }),
    });
    assert.equal(big.status, 413);

    const extra = await login('a', 'b', '10.0.4.1', { role: 'admin' });
    assert.equal(extra.status, 400);
    assert.match(((await extra.json()) as { message: string }).message, /role|Unrecognized/i);

    const wrongType = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 5, password: [] }) });
    assert.equal(wrongType.status, 400);
    const body = (await wrongType.json()) as { message: string };
    assert.match(body.message, /username/);
    assert.match(body.message, /password/);

    // A form post (what a cross-site page can send without preflight) is never parsed.
    const form = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'username=a&password=b' });
    assert.equal(form.status, 400);

    // SQL metacharacters are data, never SQL.
    for (const s of ["' OR '1'='1", "admin'--", '"; DROP TABLE users; --', '\\x00\u0000']) {
      const r = await login(s, s, '10.0.4.2');
      assert.ok(r.status === 401 || r.status === 400 || r.status === 429, `status ${r.status} for ${JSON.stringify(s)}`);
    }
    const users = await db.pool.query('SELECT count(*)::int AS n FROM users');
    assert.ok(users.rows[0].n > 0, 'users table intact');
    const bogusToken = await fetch(`${base}/api/auth/me`, { headers: { authorization: "Bearer ' OR 1=1 --aaaaaaaaaaaaaaaa" } });
    assert.equal(bogusToken.status, 401);
    const bogusId = await fetch(`${base}/api/auth/tokens/1%20OR%201=1`, { method: 'DELETE', headers: (await createTestUser(db.pool, { role: 'analyst', regions: [320100] })).headers });
    assert.equal(bogusId.status, 400);
  });

  it('sends security headers with a CSP that lets the map run and names no external origin', async () => {
    const res = await fetch(`${base}/api/health`);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /worker-src 'self' blob:/);
    assert.match(csp, /img-src 'self' data: blob:/);
    assert.match(csp, /connect-src 'self' ws: wss:/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /object-src 'none'/);
    assert.doesNotMatch(csp, /https?:\/\//, 'no external origins');
    assert.doesNotMatch(csp, /'unsafe-eval'/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('x-frame-options'), 'SAMEORIGIN');
    assert.equal(res.headers.get('x-powered-by'), null);
  });

  it('refuses cookie sessions on WebSocket upgrades from another origin', async () => {
    const u = await createTestUser(db.pool, { role: 'operator', regions: [320100] });
    await db.pool.query(`UPDATE sessions SET kind = 'cookie' WHERE token_hash = $1`, [hashToken(u.token)]);
    const req = (origin: string) =>
      ({ headers: { host: 'firelink.local:8080', upgrade: 'websocket', origin, cookie: `fl_session=${u.token}` } }) as unknown as IncomingMessage;
    assert.ok(await authenticateRequest(server.pool, req('http://firelink.local:8080')));
    assert.equal(await authenticateRequest(server.pool, req('http://evil.example')), null);
  });

  // Bug: 21 failed logins for one username from rotating (forwarded) addresses locked the real
  // user out for up to 15 minutes. Now the per-username counter only slows attempts down.
  it('rotating addresses never lock the real user out: per-username failures only slow logins down', async () => {
    await createTestUser(db.pool, { role: 'operator', regions: [320100], username: 'op_on_duty', password: PASSWORD });
    const outsiders = await Promise.all(Array.from({ length: 22 }, (_, i) => login('op_on_duty', `guess-${i}`, `198.51.100.${i + 1}`)));
    assert.deepEqual([...new Set(outsiders.map((r) => r.status))], [401], 'each outsider address gets its free failures');
    const locks = await db.pool.query(`SELECT key FROM login_throttle WHERE key = 'u:op_on_duty' AND locked_until > now()`);
    assert.equal(locks.rows.length, 0, 'the username itself is never locked');

    const t0 = Date.now();
    const real = await login('op_on_duty', PASSWORD, '10.0.7.1');
    assert.equal(real.status, 200, 'the on-duty operator still logs in');
    assert.ok(Date.now() - t0 < DEFAULT_THROTTLE.maxSlowdownMs + 2000, `slowed down by at most ${DEFAULT_THROTTLE.maxSlowdownMs} ms`);
    const audit = await db.pool.query(`SELECT after FROM audit_log WHERE action = 'auth.slowdown' AND after->>'username' = 'op_on_duty'`);
    assert.equal(audit.rows.length, 1, 'the start of the slowdown is audited once');
  });

  it('ignores X-Forwarded-For unless TRUST_PROXY names the proxy; the audit log records the TCP peer', async () => {
    const direct = await startTestServer(db.url, [accessFeature, usersFeature], { env: { FIRELINK_DEMO: '0' } });
    try {
      const u = await createTestUser(db.pool, { role: 'analyst', regions: [320100], username: 'an_spoof', password: PASSWORD });
      const res = await fetch(`${direct.base}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.66' },
        body: JSON.stringify({ username: 'an_spoof', password: PASSWORD }),
      });
      assert.equal(res.status, 200);
      const a = await db.pool.query(`SELECT ip FROM audit_log WHERE action = 'auth.login' AND entity_id = $1::text`, [u.userId]);
      assert.equal(a.rows[0]?.ip, '127.0.0.1', 'a caller cannot choose its address');
    } finally {
      await direct.close();
    }

    const trust = parseTrustProxy('loopback,10.8.0.0/16');
    const req = (peer: string, xff?: string) => ({ socket: { remoteAddress: peer }, headers: xff ? { 'x-forwarded-for': xff } : {} }) as unknown as IncomingMessage;
    assert.equal(trust.clientIp(req('::ffff:127.0.0.1', '198.51.100.7, 10.8.1.1')), '198.51.100.7', 'walks back through trusted proxies');
    assert.equal(trust.clientIp(req('192.0.2.1', '198.51.100.7')), '192.0.2.1', 'an untrusted peer speaks for itself');
    assert.equal(trust.clientIp(req('127.0.0.1', 'not-an-ip')), '127.0.0.1');
    assert.equal(TRUST_NO_PROXY.clientIp(req('127.0.0.1', '198.51.100.7')), '127.0.0.1');
    assert.throws(() => loadConfig({ TRUST_PROXY: 'everyone' }), /TRUST_PROXY/);
  });

  // Bug: a 12-hour session could mint a bearer token valid for a year.
  it('a token minted from a session never outlives it; only admins mint long-lived tokens, audited', async () => {
    await createTestUser(db.pool, { role: 'supervisor', regions: [320106], username: 'sv_token', password: PASSWORD });
    const res = await login('sv_token', PASSWORD, '10.0.8.1');
    const { csrfToken, expiresAt: sessionEnds } = (await res.json()) as { csrfToken: string; expiresAt: string };
    const mint = await fetch(`${base}/api/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: cookieOf(res), 'x-csrf-token': csrfToken },
      body: JSON.stringify({ label: 'script', ttlHours: 24 * 365 }),
    });
    assert.equal(mint.status, 201);
    const t = (await mint.json()) as { expiresAt: string; cappedToSession?: boolean; token: string };
    assert.ok(Date.parse(t.expiresAt) <= Date.parse(sessionEnds), `token ends ${t.expiresAt}, after its session (${sessionEnds})`);
    assert.equal(t.cappedToSession, true);

    // …and it ends with that session: after logout neither the cookie nor the token it minted
    // (nor a token that token minted) opens anything.
    const minted = t.token;
    const grand = await fetch(`${base}/api/auth/tokens`, { method: 'POST', headers: { authorization: `Bearer ${minted}`, 'content-type': 'application/json' }, body: JSON.stringify({ label: 'grandchild', ttlHours: 24 }) });
    assert.equal(grand.status, 201);
    const grandToken = ((await grand.json()) as { token: string }).token;
    assert.equal((await fetch(`${base}/api/auth/me`, { headers: { authorization: `Bearer ${minted}` } })).status, 200);
    const out = await fetch(`${base}/api/auth/logout`, { method: 'POST', headers: { cookie: cookieOf(res), 'x-csrf-token': csrfToken } });
    assert.equal(out.status, 204);
    assert.equal((await fetch(`${base}/api/auth/me`, { headers: { cookie: cookieOf(res) } })).status, 401);
    assert.equal((await fetch(`${base}/api/auth/me`, { headers: { authorization: `Bearer ${minted}` } })).status, 401, 'the minted token ended with its session');
    assert.equal((await fetch(`${base}/api/auth/me`, { headers: { authorization: `Bearer ${grandToken}` } })).status, 401, 'and so did the token it minted');

    // A token cannot extend itself by minting another.
    const short = await createTestUser(db.pool, { role: 'operator', regions: [320100], ttlHours: 1 });
    const chained = await fetch(`${base}/api/auth/tokens`, { method: 'POST', headers: { ...short.headers, 'content-type': 'application/json' }, body: JSON.stringify({ label: 'chain', ttlHours: 5000 }) });
    const c = (await chained.json()) as { expiresAt: string };
    assert.ok(Date.parse(c.expiresAt) <= Date.now() + 3600_000 + 1000, `chained token ends ${c.expiresAt}`);

    const admin = await createTestUser(db.pool, { role: 'admin', ttlHours: 1 });
    const machine = await createTestUser(db.pool, { role: 'analyst', regions: [320100] });
    const long = await fetch(`${base}/api/auth/tokens`, {
      method: 'POST',
      headers: { ...admin.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ label: 'export job', ttlHours: 24 * 365, userId: machine.userId }),
    });
    assert.equal(long.status, 201);
    const l = (await long.json()) as { id: number; expiresAt: string; token: string };
    assert.ok(Date.parse(l.expiresAt) > Date.now() + 300 * 86_400_000, 'an admin mints a year-long machine token');
    // An admin's machine token is not tied to the admin's session.
    const longToken = l.token;
    assert.equal((await fetch(`${base}/api/auth/logout`, { method: 'POST', headers: admin.headers })).status, 204);
    assert.equal((await fetch(`${base}/api/auth/me`, { headers: { authorization: `Bearer ${longToken}` } })).status, 200, 'the machine token outlives the admin\'s logout');
    const audit = await db.pool.query(`SELECT after FROM audit_log WHERE action = 'auth.token_issued' AND entity_id = $1::text`, [l.id]);
    assert.equal(audit.rows[0]?.after.longLived, true);
  });
});
