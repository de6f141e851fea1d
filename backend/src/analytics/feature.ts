// The analytics capability: /api/stats routes and the rollup refresh scheduler.
import type { FeatureFactory } from '../kernel/feature.ts';
import { analyticsRouter } from './routes.ts';
import { startRefreshScheduler } from './service.ts';

/** How often new events are rolled up (ms); the API is at most this stale. */
const REFRESH_INTERVAL_MS = Number(process.env.ANALYTICS_REFRESH_MS ?? 30_000);

export const analyticsFeature: FeatureFactory = (ctx) => {
  let scheduler: { stop: () => Promise<void> } | null = null;
  return {
    name: 'analytics',
    routers: [{ path: '/api/stats', router: analyticsRouter(ctx.pool) }],
    start: async () => {
      scheduler = startRefreshScheduler(
        ctx.pool,
        REFRESH_INTERVAL_MS,
        (err) => ctx.logger.error({ err }, 'analytics refresh failed'),
        (r) => {
          if (r.hours > 0 || r.cells > 0) ctx.logger.debug(r, 'analytics refreshed');
        },
      );
    },
    stop: async () => {
      await scheduler?.stop();
    },
  };
};
