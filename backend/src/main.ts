// Composition root: wires adapters (pg pool, HTTP server, later ws/tcp) to features.
import { createServer } from 'node:http';
import { InProcessEventBus, type EventBus } from '@firelink/common';
import type { RequestHandler } from 'express';
import type { Config } from './kernel/config.ts';
import { createPool, type Pool } from './db/pool.ts';
import { createApp } from './http/app.ts';
import { parseTrustProxy } from './kernel/trust-proxy.ts';
import { upgradeRoutes } from './http/upgrade.ts';
import type { Logger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { accessFeature } from './auth/feature.ts';
import { usersFeature } from './users/feature.ts';
import { onboardingFeature } from './onboarding/feature.ts';
import { liveFeature } from './pipeline/feature.ts';
import { ingestFeature } from './devices/feature.ts';
import { threadedIngestFeature } from './devices/ingest-thread.ts';
import { analyticsFeature } from './analytics/feature.ts';
import { dispatchFeature } from './dispatch/feature.ts';
import { tilesFeature } from './tiles/feature.ts';
import { dutyFeature } from './duty/feature.ts';
import { supervisionFeature } from './supervision/feature.ts';
import { waterFeature } from './water/feature.ts';
import { stationFeature } from './station/feature.ts';
import type { Feature, FeatureContext, FeatureFactory } from './kernel/feature.ts';

export type { Feature, FeatureContext, FeatureFactory } from './kernel/feature.ts';

const INGEST = ingestFeature();
// Features in start order, GB/T 26875 ingest in the main thread; each later capability adds its factory here.
export const FEATURES: FeatureFactory[] = [accessFeature, usersFeature, liveFeature(), onboardingFeature(), INGEST, analyticsFeature, dispatchFeature, tilesFeature, dutyFeature(), supervisionFeature(), waterFeature, stationFeature];

/** The features a server runs: FEATURES, with ingest on its own thread unless INGEST_THREAD=0. */
export function featuresFor(config: Config): FeatureFactory[] {
  return config.INGEST_THREAD ? FEATURES.map((f) => (f === INGEST ? threadedIngestFeature() : f)) : FEATURES;
}

/** How long shutdown waits for sockets still open after every feature stopped (WebSocket close handshakes). */
const SHUTDOWN_GRACE_MS = 2000;

export interface RunningServer {
  httpPort: number;
  pool: Pool;
  close: () => Promise<void>;
}

export async function startServer(opts: {
  config: Config;
  databaseUrl: string;
  logger: Logger;
  features?: FeatureFactory[];
  /** Middleware run before every route (tests inject a principal here). */
  before?: RequestHandler[];
  /** The event bus (scale-out roles pass a JetStream one); default in-process. */
  bus?: EventBus;
}): Promise<RunningServer> {
  const { config, logger } = opts;
  const pool = createPool(opts.databaseUrl, 20);
  const metrics = createMetrics();
  // Bounded request times: a client that trickles headers or a body cannot hold a socket (and
  // a file descriptor shared with TCP 9030 and PostgreSQL) for Node's default 5 minutes.
  const requestTimeout = config.HTTP_REQUEST_TIMEOUT_S * 1000;
  const http = createServer({
    requestTimeout,
    headersTimeout: Math.min(config.HTTP_HEADERS_TIMEOUT_S * 1000, requestTimeout),
    // How often Node looks for requests past those times (default 30 s).
    connectionsCheckingInterval: Math.min(1000, requestTimeout / 2),
  });
  // Every socket, so that shutdown is bounded: upgraded sockets (WebSocket) are no longer
  // HTTP connections, and a peer that never reads would otherwise hold close() for as long
  // as the WebSocket close handshake waits (30 s).
  const sockets = new Set<import('node:net').Socket>();
  http.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  // Every upgrade is answered: features register their paths, any other gets 404 and is closed.
  upgradeRoutes(http, { logger, deadlineMs: config.UPGRADE_TIMEOUT_MS });
  const bus = opts.bus ?? new InProcessEventBus((err) => logger.error({ err }, 'event handler failed'));
  const ctx: FeatureContext = { config, databaseUrl: opts.databaseUrl, pool, logger, metrics, http, bus };
  const features: Feature[] = [];
  for (const make of opts.features ?? featuresFor(config)) features.push(await make(ctx));
  const app = createApp({
    pool,
    logger,
    metrics,
    before: opts.before ?? [],
    routers: features.flatMap((f) => f.routers ?? []),
    metricsToken: config.METRICS_TOKEN,
    trustProxy: parseTrustProxy(config.TRUST_PROXY),
  });
  http.on('request', app);
  for (const f of features) {
    await f.start?.();
    logger.debug({ feature: f.name }, 'feature started');
  }
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.PORT, config.HOST, () => resolve());
  });
  const addr = http.address();
  const httpPort = typeof addr === 'object' && addr ? addr.port : config.PORT;
  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      for (const f of [...features].reverse()) {
        await f.stop?.().catch((err) => logger.error({ err, feature: f.name }, 'feature stop failed'));
      }
      http.closeAllConnections?.();
      const closed = new Promise<void>((r) => http.close(() => r()));
      // Features have said goodbye to their clients; whoever has not gone after the grace is cut.
      const grace = setTimeout(() => {
        for (const s of sockets) s.destroy();
      }, SHUTDOWN_GRACE_MS);
      await closed;
      clearTimeout(grace);
      await pool.end();
    })());
  return { httpPort, pool, close };
}
