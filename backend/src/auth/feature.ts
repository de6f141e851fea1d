// The access feature: /api/auth, /api/users, /api/audit, demo users in demo mode, and
// housekeeping of expired sessions and stale login counters.
import { SerialJobs } from '@firelink/common';
import type { FeatureFactory } from '../kernel/feature.ts';
import { auditRouter } from '../audit/routes.ts';
import { ensureDemoUsers } from '../users/demo-users.ts';
import { usersRouter } from '../users/routes.ts';
import * as q from './queries.ts';
import { authRouter } from './routes.ts';
import { DEFAULT_THROTTLE } from './throttle.ts';

/** How often expired sessions and forgotten login counters are deleted, in milliseconds. */
const HOUSEKEEPING_INTERVAL_MS = 10 * 60_000;

export const accessFeature: FeatureFactory = (ctx) => {
  const jobs = new SerialJobs();
  const housekeeping = async () => {
    try {
      await ctx.pool.query(q.deleteExpiredSessions());
      await ctx.pool.query(q.pruneThrottle(DEFAULT_THROTTLE.forgetAfterMs));
    } catch (err) {
      ctx.logger.warn({ err }, 'auth housekeeping failed; will retry');
    }
  };
  return {
    name: 'access',
    routers: [
      { path: '/api/auth', router: authRouter({ pool: ctx.pool, logger: ctx.logger, sessionTtlHours: ctx.config.SESSION_TTL_HOURS, sessionMaxDays: ctx.config.SESSION_MAX_DAYS }) },
      { path: '/api/users', router: usersRouter(ctx.pool) },
      { path: '/api/audit', router: auditRouter(ctx.pool) },
    ],
    start: async () => {
      if (ctx.config.FIRELINK_DEMO) await ensureDemoUsers(ctx.pool);
      await housekeeping();
      jobs.every(HOUSEKEEPING_INTERVAL_MS, housekeeping);
    },
    stop: async () => {
      await jobs.stop();
    },
  };
};
