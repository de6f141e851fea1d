// The browser's HTTP client: same-origin only, cookie session, CSRF header on mutations
// (common/src/access.ts), zod-validated responses, errors carrying the server's message.
import { CSRF_COOKIE, CSRF_HEADER } from '@firelink/common';
import type { z } from 'zod';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: unknown = null,
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;

/** Set from the login / me response; also read from the fl_csrf cookie as a fallback. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

function csrf(): string | null {
  if (csrfToken) return csrfToken;
  const m = new RegExp(`(?:^|; )${CSRF_COOKIE}=([^;]*)`).exec(document.cookie);
  return m ? decodeURIComponent(m[1]!) : null;
}

/** Called on 401 so the app can show the login page. */
let onUnauthorized: (() => void) | null = null;
export function setUnauthorizedHandler(fn: (() => void) | null): void {
  onUnauthorized = fn;
}

/** The live stream was refused for want of a session (WS close 4401): show the login page. */
export function notifyUnauthorized(): void {
  onUnauthorized?.();
}

export async function api<T>(
  path: string,
  schema: z.ZodType<T, z.ZodTypeDef, unknown> | null,
  init: { method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'; body?: unknown; signal?: AbortSignal; quiet401?: boolean } = {},
): Promise<T> {
  if (!path.startsWith('/')) throw new Error(`api(): path must be same-origin and start with '/', got ${path}`);
  const method = init.method ?? 'GET';
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (init.body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') {
    const t = csrf();
    if (t) headers[CSRF_HEADER] = t;
  }
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: init.signal,
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  if (!res.ok) {
    const b = (body ?? {}) as { error?: string; message?: string };
    if (res.status === 401 && !init.quiet401) onUnauthorized?.();
    throw new ApiError(res.status, b.error ?? `http_${res.status}`, b.message ?? `${method} ${path} failed with HTTP ${res.status}`, body);
  }
  if (!schema) return body as T;
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ApiError(res.status, 'bad_response', `${method} ${path}: unexpected response (${issue?.path.join('.')}: ${issue?.message}); is the backend the same version as the frontend?`, body);
  }
  return parsed.data;
}
