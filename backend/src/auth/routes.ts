// /api/auth: login (cookie session or bearer token), logout, me, API tokens.
import { randomBytes } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import type pg from 'pg';
import { CSRF_COOKIE, loginRequestSchema, passwordChangeSchema, tokenCreateSchema, type Me } from '@firelink/common';
import { z } from 'zod';
import { auditSource, recordAudit } from '../audit/audit.ts';
import { withTransaction } from '../db/pool.ts';
import { DomainError, notFound } from '../kernel/errors.ts';
import type { Logger } from '../logger.ts';
import { SESSION_COOKIE, hashToken, principalForUser, tokenFrom } from './authenticate.ts';
import { authOf } from './middleware.ts';
import { generateToken, hashPassword, verifyPassword } from './passwords.ts';
import { principalOf, requireRole } from './principal.ts';
import * as q from './queries.ts';
import type { Principal } from './scope.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_THROTTLE, clientKey, ipKey, lockMsAfter, lockingKeys, slowdownMsAfter, userKey, type ThrottlePolicy } from './throttle.ts';

export interface AuthRoutesDeps {
  pool: pg.Pool;
  logger: Logger;
  sessionTtlHours: number;
  /** Cap on a refreshed cookie session's life after login (SESSION_MAX_DAYS). */
  sessionMaxDays?: number;
  throttle?: ThrottlePolicy;
}

const clientIp = (req: Request) => req.ip ?? req.socket.remoteAddress ?? 'unknown';

/** Serializes login attempts per username+IP in this process, so a parallel burst from one
 *  client cannot slip several guesses past its counter between check and update. (Per client,
 *  not per username: other clients' attempts must never queue the real user's login.) */
class KeyedQueue {
  private tails = new Map<string, Promise<unknown>>();
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}

async function meFor(pool: pg.Pool, p: Principal, session: { kind: 'cookie' | 'bearer'; csrfToken: string | null; expiresAt: Date | null } | null): Promise<Me> {
  let displayName = p.username;
  if (p.userId != null) {
    const r = await pool.query(q.userProfile(p.userId));
    if (r.rows[0]) displayName = r.rows[0].display_name;
  }
  const scope =
    p.scope.kind === 'all'
      ? { kind: 'all' as const }
      : p.scope.kind === 'regions'
        ? { kind: 'regions' as const, adcodes: [...p.scope.adcodes] }
        : { kind: 'units' as const, unitIds: [...p.scope.unitIds] };
  return {
    id: p.userId,
    username: p.username,
    displayName,
    role: p.role,
    scope,
    session: session?.kind ?? null,
    csrfToken: session?.kind === 'cookie' ? session.csrfToken : null,
    expiresAt: session?.expiresAt ? session.expiresAt.toISOString() : null,
  };
}

function clearCookies(res: Response, secure: boolean) {
  res.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict', secure });
  res.clearCookie(CSRF_COOKIE, { path: '/', sameSite: 'strict', secure });
}

export function authRouter(deps: AuthRoutesDeps): Router {
  const { pool } = deps;
  const policy = deps.throttle ?? DEFAULT_THROTTLE;
  const queue = new KeyedQueue();
  const router = Router();

  router.post('/login', async (req, res) => {
    const body = loginRequestSchema.parse(req.body ?? {});
    const ip = clientIp(req);
    const counters = lockingKeys(body.username, ip, policy);
    const keys = counters.map((c) => c.key);
    const result = await queue.run(clientKey(body.username, ip), async () => {
      const locked = await pool.query(q.throttleState(keys));
      if (locked.rows.length > 0) {
        const waitS = Math.max(1, Math.ceil(Math.max(...locked.rows.map((r) => Number(r.locked_for_s)))));
        return { kind: 'locked' as const, waitS };
      }
      // Many clients failing for this username slow every attempt for it down; none locks it.
      const userFailures = Number((await pool.query(q.recentFailures(userKey(body.username), policy.forgetAfterMs))).rows[0].failures);
      const slowdownMs = slowdownMsAfter(userFailures, policy);
      if (slowdownMs > 0) await sleep(slowdownMs);
      const u = (await pool.query(q.userForLogin(body.username))).rows[0] as
        | { id: string; username: string; password_hash: string; disabled: boolean }
        | undefined;
      const ok = (await verifyPassword(u?.password_hash ?? null, body.password)) && u !== undefined && !u.disabled;
      if (!ok || !u) {
        const failures: Record<string, number> = {};
        let lockMs = 0;
        for (const { key, free } of counters) {
          const n = Number((await pool.query(q.recordFailure(key, policy.forgetAfterMs))).rows[0].failures);
          failures[key] = n;
          const ms = lockMsAfter(n, free, policy);
          if (ms > 0) await pool.query(q.lockKey(key, ms));
          lockMs = Math.max(lockMs, ms);
        }
        const n = Number((await pool.query(q.recordFailure(userKey(body.username), policy.forgetAfterMs))).rows[0].failures);
        failures[userKey(body.username)] = n;
        const slowdownStarts = slowdownMsAfter(n, policy) > 0 && slowdownMsAfter(n - 1, policy) === 0;
        if (lockMs > 0 || slowdownStarts) {
          await recordAudit(pool, {
            actor: null,
            ip,
            action: lockMs > 0 ? 'auth.lockout' : 'auth.slowdown',
            entity: 'user',
            entityId: u?.id ?? null,
            after: { username: body.username, failures, lockMs, ...(slowdownStarts ? { slowdownMs: slowdownMsAfter(n, policy) } : {}) },
          });
        }
        return { kind: 'failed' as const, lockMs };
      }
      await pool.query(q.clearThrottle(keys[0] as string));
      return { kind: 'ok' as const, userId: Number(u.id) };
    });

    if (result.kind === 'locked') {
      res.set('Retry-After', String(result.waitS));
      throw new DomainError('too_many', 'too_many_attempts', `too many failed logins from this address; try again in ${result.waitS} s`, {
        retryAfterS: result.waitS,
      });
    }
    if (result.kind === 'failed') {
      if (result.lockMs > 0) res.set('Retry-After', String(Math.ceil(result.lockMs / 1000)));
      throw new DomainError('unauthorized', 'invalid_credentials', 'wrong username or password (or the account is disabled)');
    }

    const principal = await principalForUser(pool, result.userId);
    if (!principal) throw new DomainError('unauthorized', 'invalid_credentials', 'wrong username or password (or the account is disabled)');
    const token = generateToken();
    const csrfToken = body.session === 'cookie' ? randomBytes(24).toString('base64url') : null;
    const s = await pool.query(
      q.insertSession({
        tokenHash: hashToken(token),
        userId: result.userId,
        kind: body.session,
        csrfToken,
        ttlHours: deps.sessionTtlHours,
        label: body.session === 'bearer' ? 'login' : body.purpose === 'wall' ? 'wall' : null,
        ip,
        userAgent: req.get('user-agent')?.slice(0, 300) ?? null,
      }),
    );
    const expiresAt = s.rows[0].expires_at as Date;
    await pool.query(q.markLogin(result.userId));
    await recordAudit(pool, {
      ...auditSource(req, principal),
      action: 'auth.login',
      entity: 'user',
      entityId: result.userId,
      after: { session: body.session, sessionId: Number(s.rows[0].id), ...(body.purpose ? { purpose: body.purpose } : {}) },
    });
    const me = await meFor(pool, principal, { kind: body.session, csrfToken, expiresAt });
    if (body.session === 'cookie') {
      const secure = req.secure;
      const maxAge = deps.sessionTtlHours * 3600_000;
      res.cookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure, path: '/', maxAge });
      res.cookie(CSRF_COOKIE, csrfToken, { httpOnly: false, sameSite: 'strict', secure, path: '/', maxAge });
      res.json(me);
    } else {
      res.json({ ...me, token });
    }
  });

  router.post('/logout', async (req, res) => {
    const auth = authOf(res.locals);
    if (auth) {
      const r = await pool.query(q.deleteSessionByHash(auth.tokenHash));
      if (r.rows[0]) {
        await recordAudit(pool, {
          ...auditSource(req, auth.principal),
          action: 'auth.logout',
          entity: 'user',
          entityId: auth.principal.userId,
          before: { session: auth.kind, sessionId: Number(r.rows[0].id) },
        });
      }
    }
    clearCookies(res, req.secure);
    res.status(204).end();
  });

  // Keeps a cookie session alive while its page is open (the wall display runs for days):
  // slides the expiry forward by SESSION_TTL_HOURS, up to SESSION_MAX_DAYS after login.
  router.post('/refresh', async (req, res) => {
    principalOf(res);
    const auth = authOf(res.locals);
    if (!auth || auth.kind !== 'cookie') {
      throw new DomainError('invalid', 'invalid_request', 'only cookie sessions are refreshed; an API token keeps the expiry it was created with');
    }
    const maxHours = (deps.sessionMaxDays ?? 30) * 24;
    const r = await pool.query(q.extendCookieSession(auth.tokenHash, deps.sessionTtlHours, maxHours));
    const expiresAt = r.rows[0]?.expires_at as Date | undefined;
    if (!expiresAt) {
      // authOf found the session live a moment ago: it is not a wall-display session.
      throw new DomainError('forbidden', 'forbidden', 'only wall-display sessions are kept alive (log in at /login?next=/wall, or with purpose: "wall"); this one ends on time');
    }
    const maxAge = Math.max(0, expiresAt.getTime() - Date.now());
    const token = tokenFrom(req)?.token;
    const secure = req.secure;
    if (token) res.cookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure, path: '/', maxAge });
    if (auth.csrfToken) res.cookie(CSRF_COOKIE, auth.csrfToken, { httpOnly: false, sameSite: 'strict', secure, path: '/', maxAge });
    res.set('Cache-Control', 'no-store');
    res.json({ expiresAt: expiresAt.toISOString() });
  });

  router.get('/me', async (_req, res) => {
    const p = principalOf(res);
    const auth = authOf(res.locals);
    let expiresAt: Date | null = null;
    if (auth) {
      const r = await pool.query(q.sessionExpiry(auth.tokenHash));
      expiresAt = r.rows[0]?.expires_at ?? null;
    }
    res.set('Cache-Control', 'no-store');
    res.json(await meFor(pool, p, auth ? { kind: auth.kind, csrfToken: auth.csrfToken, expiresAt } : null));
  });

  router.post('/password', async (req, res) => {
    const p = principalOf(res);
    const body = passwordChangeSchema.parse(req.body ?? {});
    if (p.userId == null) throw new DomainError('invalid', 'invalid_request', 'this caller has no user account');
    const userId = p.userId;
    // Same throttle as login: a stolen session must not become a password oracle.
    const ip = clientIp(req);
    const keys = [clientKey(p.username, ip), ipKey(ip)];
    const locked = await pool.query(q.throttleState(keys));
    if (locked.rows.length > 0) {
      const waitS = Math.max(1, Math.ceil(Math.max(...locked.rows.map((r) => Number(r.locked_for_s)))));
      res.set('Retry-After', String(waitS));
      throw new DomainError('too_many', 'too_many_attempts', `too many wrong passwords; try again in ${waitS} s`, { retryAfterS: waitS });
    }
    const u = (await pool.query(q.userForLogin(p.username))).rows[0] as { password_hash: string } | undefined;
    if (!(await verifyPassword(u?.password_hash ?? null, body.currentPassword))) {
      const c = await pool.query(q.recordFailure(keys[0]!, policy.forgetAfterMs));
      const lockMs = lockMsAfter(Number(c.rows[0].failures), policy.freeFailuresPerClient, policy);
      if (lockMs > 0) await pool.query(q.lockKey(keys[0]!, lockMs));
      throw new DomainError('forbidden', 'wrong_password', 'the current password is wrong');
    }
    const hash = await hashPassword(body.newPassword);
    const keep = authOf(res.locals)?.tokenHash ?? null;
    await withTransaction(pool, async (c) => {
      await c.query(q.setPassword(userId, hash));
      await c.query(q.deleteOtherSessions(userId, keep));
      await recordAudit(c, { ...auditSource(req, p), action: 'user.password_changed', entity: 'user', entityId: userId, after: { self: true } });
    });
    res.status(204).end();
  });

  router.post('/tokens', async (req, res) => {
    const p = principalOf(res);
    const body = tokenCreateSchema.parse(req.body ?? {});
    let owner = p;
    if (body.userId !== undefined && body.userId !== p.userId) {
      requireRole(res, 'admin');
      const other = await principalForUser(pool, body.userId);
      if (!other) throw notFound(`user ${body.userId} does not exist or is disabled`);
      owner = other;
    }
    if (owner.userId == null) throw new DomainError('invalid', 'invalid_request', 'this caller has no user account to own a token');
    // Token lifetime policy: a token minted by a non-admin never outlives the session (cookie or
    // token) that mints it, so a 12-hour login cannot turn into a year of access: it expires no
    // later, and it is deleted with that session (logout; sessions.minted_by cascades).
    // Long-lived tokens for machine clients (up to a year) are minted by an admin, and audited as such.
    let notAfter: Date | null = null;
    let mintedBy: number | null = null;
    if (p.role !== 'admin') {
      const auth = authOf(res.locals);
      const r = auth ? await pool.query(q.sessionExpiry(auth.tokenHash)) : null;
      notAfter = (r?.rows[0]?.expires_at as Date | undefined) ?? new Date(Date.now() + deps.sessionTtlHours * 3600_000);
      mintedBy = r?.rows[0] ? Number(r.rows[0].id) : null;
    }
    const token = generateToken();
    const row = await withTransaction(pool, async (c) => {
      const s = await c.query(
        q.insertSession({
          tokenHash: hashToken(token),
          userId: owner.userId!,
          kind: 'bearer',
          csrfToken: null,
          ttlHours: body.ttlHours,
          label: body.label,
          ip: clientIp(req),
          userAgent: req.get('user-agent')?.slice(0, 300) ?? null,
          mintedBy,
        }),
      );
      const inserted = s.rows[0];
      if (notAfter && inserted.expires_at > notAfter) {
        inserted.expires_at = (await c.query(q.capSessionExpiry(Number(inserted.id), notAfter))).rows[0].expires_at;
      }
      return inserted as { id: string; created_at: Date; expires_at: Date };
    });
    const capped = notAfter !== null && row.expires_at.getTime() === notAfter.getTime();
    const dto = { id: Number(row.id), userId: owner.userId, label: body.label, createdAt: row.created_at.toISOString(), expiresAt: row.expires_at.toISOString() };
    await recordAudit(pool, {
      ...auditSource(req, p),
      action: 'auth.token_issued',
      entity: 'token',
      entityId: dto.id,
      after: { ...dto, requestedTtlHours: body.ttlHours, ...(capped ? { cappedToSession: true } : {}), ...(p.role === 'admin' && body.ttlHours > deps.sessionTtlHours ? { longLived: true } : {}) },
    });
    res.status(201).json({ ...dto, token, ...(capped ? { cappedToSession: true } : {}) });
  });

  router.get('/tokens', async (req, res) => {
    const p = principalOf(res);
    const { userId } = z.object({ userId: z.coerce.number().int().positive().optional() }).strict().parse(req.query);
    if (userId !== undefined && userId !== p.userId) requireRole(res, 'admin');
    const owner = userId ?? p.userId;
    if (owner == null) throw new DomainError('invalid', 'invalid_request', 'this caller has no user account');
    const r = await pool.query(q.listTokens(owner));
    res.json({
      tokens: r.rows.map((t) => ({
        id: Number(t.id),
        label: t.label,
        createdAt: t.created_at.toISOString(),
        lastSeenAt: t.last_seen_at.toISOString(),
        expiresAt: t.expires_at.toISOString(),
        createdIp: t.created_ip,
      })),
    });
  });

  router.delete('/tokens/:id', async (req, res) => {
    const p = principalOf(res);
    const { id } = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) }).parse(req.params);
    const r = await pool.query(q.revokeToken(id, p.role === 'admin' ? null : p.userId));
    const row = r.rows[0];
    if (!row) throw notFound(`no token ${id} of yours: list them with GET /api/auth/tokens`);
    await recordAudit(pool, {
      ...auditSource(req, p),
      action: 'auth.token_revoked',
      entity: 'token',
      entityId: id,
      before: { id, userId: Number(row.user_id), label: row.label, expiresAt: row.expires_at.toISOString() },
    });
    res.status(204).end();
  });

  return router;
}
