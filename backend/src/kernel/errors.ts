// Domain errors: what went wrong, in the terms of the request (invalid, not found, conflict…),
// with a stable code and a message that says how to fix it. Services and routes throw them;
// only http/ turns a kind into a status code (http/errors.ts).
import { PG_ERROR } from '@firelink/common';

export type ErrorKind =
  | 'invalid'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'too_large'
  | 'unprocessable'
  | 'too_many'
  | 'unavailable';

export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    /** Stable machine-readable code (`invalid_request`, `incomplete`, …): clients translate it. */
    readonly code: string,
    message: string,
    /** Extra fields sent with the error (e.g. `current`, `missing`, `retryAfterS`). */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export const badRequest = (msg: string, details?: Record<string, unknown>) => new DomainError('invalid', 'invalid_request', msg, details);
export const notFound = (msg = 'not found') => new DomainError('not_found', 'not_found', msg);
export const conflict = (msg: string, details?: Record<string, unknown>) => new DomainError('conflict', 'conflict', msg, details);
export const forbidden = (msg = 'forbidden') => new DomainError('forbidden', 'forbidden', msg);
export const unauthorized = (msg = 'login required') => new DomainError('unauthorized', 'unauthorized', msg);

/** A PostgreSQL error as node-postgres raises it: a five-character SQLSTATE and the server's text. */
export function isDatabaseError(err: unknown): err is Error & { code: string; severity?: string; detail?: string; constraint?: string } {
  const e = err as { code?: unknown; severity?: unknown } | null;
  return err instanceof Error && typeof e?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && typeof e.severity === 'string';
}

/** Our answer to each SQLSTATE class caused by input; the server's own text (table, column, key and value names) never reaches the client. */
const INPUT_ERRORS: Array<{ code: RegExp; make: () => DomainError }> = [
  { code: /^22021$/, make: () => badRequest('a text value is not valid UTF-8 or contains a NUL character (\\u0000); remove it') },
  { code: /^22P02$/, make: () => badRequest('a value has the wrong format (e.g. text where a number or identifier is expected); check the request against the API schema') },
  { code: /^2200[78]$/, make: () => badRequest('a date or time is invalid or out of range; send ISO 8601, e.g. 2024-05-01T08:00:00+08:00') },
  { code: /^22003$/, make: () => badRequest('a number is out of range; check the limits in the API schema') },
  { code: /^22001$/, make: () => badRequest('a text value is too long; shorten it') },
  { code: /^22/, make: () => badRequest('the database refused a value of this request; check the values against the API schema') },
  { code: /^23503$/, make: () => badRequest('the request refers to a record that does not exist (or was deleted); check the ids it names') },
  { code: /^23505$/, make: () => conflict('a record with this value already exists; choose another value') },
  { code: /^23502$/, make: () => badRequest('a required value is missing') },
  { code: /^23(514|P01)$/, make: () => badRequest('a value breaks a rule of this record (range, combination or overlap); check the values against the API schema') },
];

/**
 * The domain error for a PostgreSQL error caused by the request's input, or null when the
 * error is ours (a 500). Messages are our own: the server's text names tables, columns and
 * other rows' values, so it goes to the log only.
 */
export function errorFromDatabase(err: unknown): DomainError | null {
  if (!isDatabaseError(err)) return null;
  return INPUT_ERRORS.find((m) => m.code.test(err.code))?.make() ?? null;
}

/** What a write knows better than the generic input errors: which fields to check. */
export interface InputErrorHints {
  /** A duplicate (unique violation), e.g. 'username x is taken; choose another'. */
  unique?: string;
  /** A missing reference (foreign key violation), e.g. 'stationId does not exist'. */
  foreignKey?: string;
}

/**
 * A PostgreSQL input error of this write told in the write's own terms (which field to fix);
 * any other error is returned as it is (http/ gives the generic answer, or a 500). Use as
 * `.catch((e) => { throw explainDatabaseError(e, hints) })`.
 */
export function explainDatabaseError(err: unknown, hints: InputErrorHints): unknown {
  if (!isDatabaseError(err)) return err;
  if (err.code === PG_ERROR.uniqueViolation && hints.unique) return conflict(hints.unique);
  if (err.code === PG_ERROR.foreignKeyViolation && hints.foreignKey) return badRequest(hints.foreignKey);
  return err;
}
