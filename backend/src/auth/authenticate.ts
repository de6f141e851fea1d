// Resolves the caller of an HTTP request or WebSocket upgrade from a cookie session
// (`fl_session`) or a bearer token. Tokens are stored only as SHA-256 hashes.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type pg from 'pg';
import type { Role } from '@firelink/common';
import * as q from './queries.ts';
import type { Principal, Scope } from './scope.ts';

export const SESSION_COOKIE = 'fl_session';

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** Roles that see every region regardless of user_regions (the whole center). */
const GLOBAL_ROLES: readonly Role[] = ['admin'];
/** Roles bound to units rather than regions. */
const UNIT_ROLES: readonly Role[] = ['unit_user', 'maintainer'];

export function tokenFrom(req: IncomingMessage): { token: string; kind: 'cookie' | 'bearer' } | null {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return { token: auth.slice(7).trim(), kind: 'bearer' };
  const cookie = req.headers.cookie;
  if (cookie) {
    for (const part of cookie.split(';')) {
      const [k, ...v] = part.trim().split('=');
      if (k === SESSION_COOKIE && v.length) return { token: decodeURIComponent(v.join('=')), kind: 'cookie' };
    }
  }
  return null;
}

/** True when the request names no Origin, or an Origin whose host is this request's Host. */
export function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

export async function principalForUser(pool: pg.Pool | pg.ClientBase, userId: number): Promise<Principal | null> {
  const u = await pool.query(q.principalOfUser(userId));
  const row = u.rows[0];
  if (!row || row.disabled) return null;
  const role = row.role as Role;
  let scope: Scope;
  if (GLOBAL_ROLES.includes(role)) scope = { kind: 'all' };
  else if (UNIT_ROLES.includes(role)) scope = { kind: 'units', unitIds: (row.unit_ids as string[]).map(Number) };
  else scope = { kind: 'regions', adcodes: (row.adcodes as number[]).map(Number) };
  return { userId: Number(row.id), username: row.username, role, scope };
}

export interface Authenticated {
  principal: Principal;
  kind: 'cookie' | 'bearer';
  csrfToken: string | null;
  tokenHash: string;
  /** 'wall' for a wall-display session (read-only, refreshable), else the token's label or null. */
  label: string | null;
}

/** The caller, or null when no valid, unexpired session goes with the request. */
export async function authenticateRequest(pool: pg.Pool, req: IncomingMessage): Promise<Authenticated | null> {
  const t = tokenFrom(req);
  if (!t || t.token.length < 16 || t.token.length > 200) return null;
  // A WebSocket handshake carries the cookie of whatever page opened it: refuse cookie
  // sessions on upgrades from another origin (cross-site WebSocket hijacking).
  if (t.kind === 'cookie' && req.headers.upgrade && !sameOrigin(req)) return null;
  const tokenHash = hashToken(t.token);
  // A map pan fetches dozens of tiles at once: a read per request, and last_seen_at written
  // at most once a minute, so concurrent requests never queue on the session row's lock.
  const s = await pool.query(q.sessionForToken(tokenHash, t.kind));
  const row = s.rows[0];
  if (!row) return null;
  if (row.stale) {
    await pool.query(q.touchSession(tokenHash));
  }
  const principal = await principalForUser(pool, Number(row.user_id));
  return principal ? { principal, kind: t.kind, csrfToken: row.csrf_token, tokenHash, label: row.label ?? null } : null;
}
