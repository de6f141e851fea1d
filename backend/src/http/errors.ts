// Errors that map to HTTP responses. Domain code throws these (or its own errors that a
// router translates); the app's error handler renders them as JSON.
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export const badRequest = (msg: string, details?: Record<string, unknown>) => new HttpError(400, 'invalid_request', msg, details);
export const notFound = (msg = 'not found') => new HttpError(404, 'not_found', msg);
export const conflict = (msg: string, details?: Record<string, unknown>) => new HttpError(409, 'conflict', msg, details);
export const forbidden = (msg = 'forbidden') => new HttpError(403, 'forbidden', msg);
export const unauthorized = (msg = 'login required') => new HttpError(401, 'unauthorized', msg);
