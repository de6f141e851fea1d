// The analytics capability: /api/stats routes and the rollup refresh scheduler.
import type { FeatureFactory } from '../kernel/feature.ts';
import { PdfRenderer } from './pdf.ts';
import { analyticsRouter } from './routes.ts';
import { startRefreshScheduler } from './service.ts';

export const analyticsFeature: FeatureFactory = (ctx) => {
  let scheduler: { stop: () => Promise<void> } | null = null;
  // One Chromium for every PDF report, launched on the first one.
  const pdf = new PdfRenderer(ctx.config.CHROMIUM_PATH);
  return {
    name: 'analytics',
    routers: [{ path: '/api/stats', router: analyticsRouter(ctx.pool, pdf, { disabledPointDays: ctx.config.SUPERVISION_DISABLED_POINT_DAYS }) }],
    start: async () => {
      scheduler = startRefreshScheduler(
        ctx.pool,
        ctx.config.ANALYTICS_REFRESH_MS, // the API is at most this stale
        (err) => ctx.logger.error({ err }, 'analytics refresh failed'),
        (r) => {
          if (r.hours > 0 || r.cells > 0) ctx.logger.debug(r, 'analytics refreshed');
        },
      );
    },
    stop: async () => {
      await scheduler?.stop();
      await pdf.close();
    },
  };
};
