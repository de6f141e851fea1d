// Test support for the backend's HTTP tests (not a test file): a real server on ephemeral
// ports over a test database, and a JSON client for it. Every HTTP test starts its server
// here instead of repeating the configuration, the logger and the base address.
import type { StoredEvent } from '@firelink/common';
import type { RequestHandler } from 'express';
import type { Principal } from '../auth/scope.ts';
import { loadConfig } from '../kernel/config.ts';
import type { FeatureFactory } from '../kernel/feature.ts';
import { createLogger } from '../logger.ts';
import { startServer, type RunningServer } from '../main.ts';

/** Anything that carries request headers: a TestUser from auth/testing.ts, or null for none. */
export type Who = { headers: Record<string, string> } | null;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface Reply<T = any> {
  status: number;
  headers: Headers;
  /** The JSON body, `{}` when empty, `{ text }` when the reply is not JSON. */
  body: T;
}

export interface TestServer extends RunningServer {
  /** `http://127.0.0.1:<port>` */
  base: string;
  /**
   * One request as `who`: a body that is not a Buffer is sent as JSON, a Buffer as it is
   * (give its Content-Type in `headers`).
   */
  call: (who: Who, method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<Reply>;
}

export interface TestServerOptions {
  /** Settings as environment variables (PORT=0, HOST=127.0.0.1 and LOG_LEVEL=silent unless given). */
  env?: Record<string, string>;
  /** Middleware before every route (e.g. a test principal). */
  before?: RequestHandler[];
}

/** Starts the features on a test database; `close()` stops them and the server. */
export async function startTestServer(databaseUrl: string, features: FeatureFactory[], opts: TestServerOptions = {}): Promise<TestServer> {
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...opts.env });
  const server = await startServer({ config, databaseUrl, logger: createLogger(process.env.TEST_LOG_LEVEL ?? config.LOG_LEVEL), features, before: opts.before });
  const base = `http://127.0.0.1:${server.httpPort}`;
  return { ...server, base, call: jsonClient(base) };
}

/** A client for `base` that answers status, headers and the parsed body. */
export function jsonClient(base: string): TestServer['call'] {
  return async (who, method, path, body, headers = {}) => {
    const raw = body instanceof Buffer;
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { ...(who?.headers ?? {}), ...(body !== undefined && !raw ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : raw ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = { text };
    }
    return { status: res.status, headers: res.headers, body: parsed };
  };
}

/**
 * Callers named by a request header, for a feature tested without ACCESS's login:
 * `before` (give it to startTestServer) sets `res.locals.principal` from the header,
 * `as(name)` is the Who that sends it (null: no caller).
 */
export function principalsByHeader(principals: Record<string, Principal>, header = 'x-test-as'): { before: RequestHandler; as: (name: string | null) => Who } {
  return {
    before: (req, res, next) => {
      const name = String(req.headers[header] ?? '');
      if (Object.hasOwn(principals, name)) res.locals.principal = principals[name];
      next();
    },
    as: (name) => (name === null ? null : { headers: { [header]: name } }),
  };
}

/**
 * Polls `f` until it gives a truthy value and returns that value; after `ms` it fails
 * naming `what`. For what a test waits on (a row written, an alarm opened) instead of a
 * fixed sleep.
 */
export async function waitFor<T>(what: string, f: () => T | Promise<T>, ms = 10_000, everyMs = 20): Promise<Exclude<T, false | null | undefined | 0 | ''>> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v as Exclude<T, false | null | undefined | 0 | ''>;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A feature that records every batch of committed events published on the server's bus into `seen`. */
export function busProbe(seen: StoredEvent[]): FeatureFactory {
  return (ctx) => {
    ctx.bus.subscribe((events) => {
      seen.push(...events);
    });
    return { name: 'bus-probe' };
  };
}
