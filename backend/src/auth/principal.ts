// Who is calling. The auth middleware (installed once in startServer) authenticates a
// cookie session or bearer token and stores the Principal in res.locals.principal; every
// router asks principalOf(res) and composes principal.scope into its SQL (scope.ts).
import type { Request, Response } from 'express';
import type { Role } from '@firelink/common';
import { DomainError, unauthorized } from '../kernel/errors.ts';
import type { Principal } from './scope.ts';

export function principalOf(res: Response): Principal {
  const p = res.locals.principal as Principal | undefined;
  if (!p) throw unauthorized('login required: POST /api/auth/login, or send Authorization: Bearer <token>');
  return p;
}

/** Throws 403 unless the caller has one of the roles. */
export function requireRole(res: Response, ...roles: Role[]): Principal {
  const p = principalOf(res);
  if (!roles.includes(p.role)) {
    throw new DomainError('forbidden', 'forbidden', `this needs one of the roles ${roles.join(', ')}; you are ${p.role}`);
  }
  return p;
}

/** Who acts and from where: the principal decides what may be seen and done; ip goes to the audit log. */
export interface Caller {
  principal: Principal;
  ip: string | null;
}

/** The caller of a request whose principal a route has already checked (principalOf / requireRole). */
export function callerOf(req: Request, principal: Principal): Caller {
  return { principal, ip: req.ip ?? null };
}
