// The Express application: health, metrics, feature routers, and the built frontend at `/`.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import express, { type ErrorRequestHandler, type Router } from 'express';
import type pg from 'pg';
import { ZodError } from 'zod';
import { BUILD_VERSION } from '../config.ts';
import { REPO_ROOT } from '../db/environment.ts';
import { schemaVersion } from '../db/migrate.ts';
import type { Logger } from '../logger.ts';
import type { MetricsRegistry } from '../metrics.ts';
import { HttpError } from './errors.ts';
import { BODY_LIMITS, jsonBody, securityHeaders } from './security.ts';
import { authMiddleware, csrfGuard, wallSessionGuard } from '../auth/middleware.ts';

export interface AppDeps {
  pool: pg.Pool;
  logger: Logger;
  metrics: MetricsRegistry;
  /** Feature routers mounted before the frontend fallback, each at its own path. */
  routers?: Array<{ path: string; router: Router; bodyLimit?: string }>;
  /** Middleware that runs before every feature router (auth, security headers). */
  before?: express.RequestHandler[];
  frontendDir?: string;
  /** METRICS_TOKEN: bearer token for GET /metrics; unset = direct loopback callers only. */
  metricsToken?: string;
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
  app.set('trust proxy', 'loopback');
  // Security headers, then the caller (res.locals.principal), then test/extra middleware,
  // then CSRF for cookie sessions, then JSON bodies with explicit limits (the first parser
  // whose path matches wins; express.json skips an already parsed body).
  app.use(securityHeaders());
  app.use(authMiddleware(deps.pool));
  for (const mw of deps.before ?? []) app.use(mw);
  app.use(csrfGuard());
  app.use(wallSessionGuard());
  app.use('/api/auth', jsonBody(BODY_LIMITS.auth));
  for (const r of deps.routers ?? []) if (r.bodyLimit) app.use(r.path, jsonBody(r.bodyLimit));
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
        message: err.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '),
        issues: err.issues,
      });
      return;
    }
    if (err instanceof HttpError) {
      res.status(err.status).json({ error: err.code, message: err.message, ...(err.details ?? {}) });
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
    // PostgreSQL data exceptions (class 22: NUL bytes, bad casts, out-of-range values) come
    // from input a route passed on; they are the caller's 400, not our 500.
    const pgCode = (err as { code?: unknown }).code;
    if (typeof pgCode === 'string' && /^22[0-9A-Z]{3}$/.test(pgCode)) {
      res.status(400).json({ error: 'invalid_request', message: `the database refused a value: ${(err as Error).message}` });
      return;
    }
    // Other body-parser refusals (unsupported charset or encoding, aborted request) are 4xx.
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500 && e.type) {
      res.status(e.status).json({ error: 'bad_body', message: `request body refused (${e.type}): send UTF-8 JSON` });
      return;
    }
    deps.logger.error({ err, url: req.originalUrl }, 'unhandled error');
    res.status(500).json({ error: 'internal', message: 'internal error; see the server log' });
  };
  app.use(onError);
  return app;
}
