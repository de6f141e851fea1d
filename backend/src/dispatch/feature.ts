// The dispatch feature: /api/dispatch and /api/coverage, and (demo mode) a first coverage
// computation in the background when stations exist but no area was computed yet.
import type { FeatureFactory } from '../kernel/feature.ts';
import { computeCoverage } from './coverage.ts';
import { coverageRouter, dispatchRouter } from './routes.ts';

export const dispatchFeature: FeatureFactory = (ctx) => {
  let pending: Promise<void> | null = null;
  const abort = new AbortController();
  return {
    name: 'dispatch',
    routers: [
      { path: '/api/dispatch', router: dispatchRouter(ctx.pool) },
      { path: '/api/coverage', router: coverageRouter(ctx.pool) },
    ],
    start: async () => {
      if (!ctx.config.FIRELINK_DEMO) return;
      const r = await ctx.pool.query(
        `SELECT (SELECT count(*) FROM stations)::int AS stations, (SELECT count(*) FROM station_coverage)::int AS areas`,
      );
      if (r.rows[0].stations === 0 || r.rows[0].areas > 0) return;
      // Not awaited: start-up must not wait for it; GET /api/coverage/* fills in as it lands.
      pending = computeCoverage(ctx.pool, { signal: abort.signal })
        .then((run) => ctx.logger.info({ ...run }, 'dispatch: station coverage computed'))
        .catch((err) => ctx.logger.warn({ err }, 'dispatch: coverage computation failed; POST /api/coverage/recompute to retry'));
    },
    stop: async () => {
      abort.abort();
      await pending?.catch(() => {});
    },
  };
};
