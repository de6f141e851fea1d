// The Express application: health, metrics, feature routers, and the built frontend at `/`.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import express, { type ErrorRequestHandler, type Router } from 'express';
import type pg from 'pg';
import { ZodError } from 'zod';
import { BUILD_VERSION } from '../kernel/config.ts';
import { REPO_ROOT } from '../db/environment.ts';
import { schemaVersion } from '../db/migrate.ts';
import type { Logger } from '../logger.ts';
import type { MetricsRegistry } from '../metrics.ts';
import { DomainError, errorFromDatabase, isDatabaseError } from '../kernel/errors.ts';
import { HTTP_STATUS } from './errors.ts';
import { issueLabel } from './params.ts';
import { TRUST_NO_PROXY, type ProxyTrust } from '../kernel/trust-proxy.ts';
import { BODY_LIMITS, jsonBody, securityHeaders } from './security.ts';
import { authMiddleware, csrfGuard, wallSessionGuard } from '../auth/middleware.ts';

export interface AppDeps {
  pool: pg.Pool;
  logger: Logger;
  metrics: MetricsRegistry;
  /** Feature routers mounted before the frontend fallback, each at its own path. */
  routers?: Array<{ path: string; router: Router; bodyLimit?: string; bodyLimitPaths?: string[] }>;
  /** Middleware that runs before every feature router (auth, security headers). */
  before?: express.RequestHandler[];
  frontendDir?: string;
  /** METRICS_TOKEN: bearer token for GET /metrics; unset = direct loopback callers only. */
  metricsToken?: string;
  /** TRUST_PROXY: proxies whose X-Forwarded-For sets req.ip (default: none, req.ip is the TCP peer). */
  trustProxy?: ProxyTrust;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** Why GET /metrics is refused to this caller, or null when it may read them. */
export function metricsRefusal(req: express.Request, token: string | undefined): { status: 401 | 403; message: string } | null {
  if (token) {
    const given = Buffer.from(req.get('authorization') ?? '');
    const want = Buffer.from(`Bearer ${token}`);
    if (given.length === want.length && timingSafeEqual(given, want)) return null;
    return { status: 401, message: 'GET /metrics needs "Authorization: Bearer <METRICS_TOKEN>"' };
  }
  // A reverse proxy on this machine also connects from loopback: any proxy header means the
  // caller is someone else. (A proxy that sends none must be given METRICS_TOKEN instead.)
  const proxied = ['x-forwarded-for', 'forwarded', 'x-real-ip', 'via'].some((h) => req.get(h) !== undefined);
  const direct = LOOPBACK.has(req.socket.remoteAddress ?? '') && !proxied;
  if (direct) return null;
  return { status: 403, message: 'GET /metrics answers only this machine; set METRICS_TOKEN and scrape with "Authorization: Bearer <METRICS_TOKEN>"' };
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  let syntheticCache: { at: number; value: boolean } | null = null;
  /** Whether synthetic (demo) units exist; cached for a minute, health is polled often. */
  const hasSyntheticData = async (pool: pg.Pool): Promise<boolean> => {
    if (syntheticCache && Date.now() - syntheticCache.at < 60_000) return syntheticCache.value;
    try {
      const r = await pool.query('SELECT EXISTS (SELECT 1 FROM units WHERE synthetic) AS v');
      syntheticCache = { at: Date.now(), value: r.rows[0]?.v === true };
    } catch {
      return false;
    }
    return syntheticCache.value;
  };
  app.disable('x-powered-by');
  // req.ip (audit log, login throttling) is the TCP peer unless TRUST_PROXY names the proxy it
  // came through; one resolver for Express and the WebSocket upgrade (http/trust-proxy.ts).
  const trust = deps.trustProxy ?? TRUST_NO_PROXY;
  app.set('trust proxy', (addr: string) => trust.trusts(addr));
  app.use((req, _res, next) => {
    Object.defineProperty(req, 'ip', { value: trust.clientIp(req), configurable: true, enumerable: true });
    next();
  });
  // Security headers, then the caller (res.locals.principal), then test/extra middleware,
  // then CSRF for cookie sessions, then JSON bodies with explicit limits (the first parser
  // whose path matches wins; express.json skips an already parsed body).
  app.use(securityHeaders());
  app.use(authMiddleware(deps.pool));
  for (const mw of deps.before ?? []) app.use(mw);
  app.use(csrfGuard());
  app.use(wallSessionGuard());
  app.use('/api/auth', jsonBody(BODY_LIMITS.auth));
  // A larger limit applies only to the routes that need it (bodyLimitPaths), else to the whole router.
  for (const r of deps.routers ?? []) {
    if (!r.bodyLimit) continue;
    for (const sub of r.bodyLimitPaths ?? ['']) app.use(r.path + sub, jsonBody(r.bodyLimit));
  }
  app.use(jsonBody(BODY_LIMITS.api));

  app.get('/api/health', async (_req, res) => {
    const t0 = Date.now();
    let database: { reachable: boolean; latencyMs?: number; error?: string };
    try {
      await deps.pool.query('SELECT 1');
      database = { reachable: true, latencyMs: Date.now() - t0 };
    } catch (err) {
      database = { reachable: false, error: (err as Error).message };
    }
    const migration = database.reachable ? await schemaVersion(deps.pool) : null;
    const demoData = database.reachable ? await hasSyntheticData(deps.pool) : false;
    res.status(database.reachable ? 200 : 503).json({
      status: database.reachable ? 'ok' : 'degraded',
      database,
      migration,
      version: BUILD_VERSION,
      // True while the synthetic demo city is loaded: every screen labels it.
      demoData,
      time: new Date().toISOString(),
    });
  });

  // Metrics name internals (pools, queues, device counts): a scraper with METRICS_TOKEN, or
  // a caller on this machine talking to us directly; never the open network.
  app.get('/metrics', async (req, res) => {
    const refusal = metricsRefusal(req, deps.metricsToken);
    if (refusal) {
      res.status(refusal.status).json({ error: refusal.status === 401 ? 'unauthorized' : 'forbidden', message: refusal.message });
      return;
    }
    res.set('Content-Type', deps.metrics.contentType);
    res.send(await deps.metrics.metrics());
  });

  for (const { path, router } of deps.routers ?? []) app.use(path, router);

  app.use('/api', (_req, res) => {
    res.status(404).json({ error: 'not_found', message: 'no such API endpoint' });
  });

  const dist = deps.frontendDir ?? join(REPO_ROOT, 'frontend', 'dist');
  app.use(express.static(dist, { index: false, maxAge: '1h' }));
  // Client-side routes (/wall, /desk, /units/…) all get the SPA page.
  app.get(/^\/(?!api\/|tiles\/|map\/|ws).*/, (_req, res) => {
    const index = join(dist, 'index.html');
    if (existsSync(index)) {
      res.set('Cache-Control', 'no-cache');
      res.sendFile(index);
    } else {
      res.status(503).type('text/plain').send('FireLink frontend is not built: run `npm run build` (npm start does it for you).');
    }
  });

  const onError: ErrorRequestHandler = (err, req, res, _next) => {
    if (err instanceof ZodError) {
      res.status(400).json({
        error: 'invalid_request',
        message: err.issues.map((i) => `${issueLabel(i)}: ${i.message}`).join('; '),
        issues: err.issues,
      });
      return;
    }
    if (err instanceof DomainError) {
      res.status(HTTP_STATUS[err.kind]).json({ error: err.code, message: err.message, ...(err.details ?? {}) });
      return;
    }
    const e = err as { type?: string; status?: number; message?: string };
    if (e.type === 'entity.too.large') {
      res.status(413).json({ error: 'payload_too_large', message: 'request body exceeds the size limit' });
      return;
    }
    if (e.type === 'entity.parse.failed') {
      res.status(400).json({ error: 'invalid_json', message: 'request body is not valid JSON' });
      return;
    }
    // PostgreSQL errors caused by input a route passed on (class 22: NUL bytes, bad casts,
    // out-of-range values; class 23: missing references, duplicates) are the caller's 4xx, with
    // our own message: the server's text names tables, columns and other rows' values.
    const fromDb = errorFromDatabase(err);
    if (fromDb) {
      deps.logger.info({ err, url: req.originalUrl }, 'database refused input');
      res.status(HTTP_STATUS[fromDb.kind]).json({ error: fromDb.code, message: fromDb.message });
      return;
    }
    if (e.type === 'encoding.unsupported') {
      res.status(415).json({ error: 'unsupported_encoding', message: 'unsupported Content-Encoding: send the body uncompressed, or as gzip, deflate or br' });
      return;
    }
    // A body that does not decompress as its Content-Encoding says: zlib's or brotli's error,
    // which the body parser passes on as a 400 without a type.
    const encoding = String(req.headers['content-encoding'] ?? 'identity').toLowerCase().slice(0, 40);
    if (!isDatabaseError(err) && e.status === 400 && !e.type && encoding !== 'identity') {
      res.status(400).json({ error: 'bad_encoding', message: `the request body is not valid ${encoding} (Content-Encoding): send it uncompressed or encode it correctly` });
      return;
    }
    // A path segment that is not valid percent-encoded UTF-8 (the router cannot decode it).
    if (err instanceof URIError && e.status === 400) {
      res.status(400).json({ error: 'bad_path', message: 'a path segment is not valid percent-encoded UTF-8: encode ids and names with encodeURIComponent' });
      return;
    }
    // Other body-parser refusals (unsupported charset, aborted request) are 4xx.
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500 && (e.type || (err as { expose?: unknown }).expose === true)) {
      res.status(e.status).json({ error: 'bad_body', message: `request body refused (${e.type ?? 'unreadable'}): send UTF-8 JSON` });
      return;
    }
    deps.logger.error({ err, url: req.originalUrl }, 'unhandled error');
    res.status(500).json({ error: 'internal', message: 'internal error; see the server log' });
  };
  app.use(onError);
  return app;
}
