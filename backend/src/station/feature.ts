// The station workspace: /api/station and the station stream /ws/station.
import { authenticateRequest } from '../auth/authenticate.ts';
import type { FeatureFactory } from '../kernel/feature.ts';
import { parseTrustProxy } from '../kernel/trust-proxy.ts';
import { stationRouter } from './routes.ts';
import { StationStream } from './stream.ts';

export const stationFeature: FeatureFactory = (ctx) => {
  const stream = new StationStream(ctx.pool, ctx.logger, async (req) => (await authenticateRequest(ctx.pool, req))?.principal ?? null, {
    // The same caps as /ws, counted for this stream on its own.
    limits: { maxPerUser: ctx.config.LIVE_MAX_CONNECTIONS_PER_USER, maxPerIp: ctx.config.LIVE_MAX_CONNECTIONS_PER_IP, maxTotal: ctx.config.LIVE_MAX_CONNECTIONS },
    clientIp: parseTrustProxy(ctx.config.TRUST_PROXY).clientIp,
  });
  return {
    name: 'station',
    routers: [{ path: '/api/station', router: stationRouter(ctx.pool) }],
    start: () => stream.start(ctx.http),
    stop: () => stream.stop(),
  };
};
