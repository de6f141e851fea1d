// The auth middleware, installed once by createApp: it resolves the caller and stores it
// in res.locals.principal (and the session in res.locals.auth). It never rejects by
// itself; routes decide with principalOf/requireRole. The CSRF guard rejects mutating
// requests of cookie sessions that do not echo the session's CSRF token.
import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type pg from 'pg';
import { CSRF_HEADER } from '@firelink/common';
import { DomainError } from '../kernel/errors.ts';
import { authenticateRequest, type Authenticated } from './authenticate.ts';

export function authMiddleware(pool: pg.Pool): RequestHandler {
  return async (req, res, next) => {
    try {
      // Built frontend assets need no caller; skipping them saves a session lookup per file.
      if (!res.locals.principal && !req.path.startsWith('/assets/')) {
        const a = await authenticateRequest(pool, req);
        if (a) {
          res.locals.principal = a.principal;
          res.locals.auth = a;
        }
      }
      next();
    } catch (err) {
      next(err);
    }
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Paths a cookie holder may POST without a CSRF token: logging in starts a new session. */
const CSRF_EXEMPT = new Set(['/api/auth/login']);

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The session behind the request, if the auth middleware found one. */
export const authOf = (locals: Record<string, unknown>) => (locals.auth as Authenticated | undefined) ?? null;

export function csrfGuard(): RequestHandler {
  return (req, res, next) => {
    const auth = authOf(res.locals);
    if (!auth || auth.kind !== 'cookie' || SAFE_METHODS.has(req.method) || CSRF_EXEMPT.has(req.path)) {
      next();
      return;
    }
    // A cross-site page cannot set this header (it would need a CORS preflight we never grant).
    const sent = req.get(CSRF_HEADER);
    if (!sent || !auth.csrfToken || !sameToken(sent, auth.csrfToken)) {
      next(
        new DomainError(
          'forbidden',
          'csrf',
          `missing or wrong ${CSRF_HEADER} header: cookie sessions must send the csrfToken from POST /api/auth/login or GET /api/auth/me on every ${req.method}`,
        ),
      );
      return;
    }
    // Defence in depth: a browser names the page's origin; it must be this host.
    const origin = req.get('origin');
    if (origin && origin !== 'null') {
      let host: string | null;
      try {
        host = new URL(origin).host;
      } catch {
        host = null;
      }
      if (host !== req.get('host')) {
        next(new DomainError('forbidden', 'csrf', `cross-origin request from ${origin} refused: use the FireLink page served by this host`));
        return;
      }
    }
    next();
  };
}

/** What a wall-display session may change: nothing but its own life (and log in as someone else). */
const WALL_SESSION_WRITES = new Set(['/api/auth/refresh', '/api/auth/logout', '/api/auth/login']);

/**
 * A wall-display session (login with purpose "wall") is read-only: it runs unattended for
 * days, so it may look at everything its user may, but change nothing.
 */
export function wallSessionGuard(): RequestHandler {
  return (req, res, next) => {
    const auth = authOf(res.locals);
    if (auth?.kind === 'cookie' && auth.label === 'wall' && !SAFE_METHODS.has(req.method) && !WALL_SESSION_WRITES.has(req.path)) {
      next(new DomainError('forbidden', 'read_only_session', 'a wall-display session is read-only: log in at /login (not via /wall) to acknowledge, dispatch or edit'));
      return;
    }
    next();
  };
}
