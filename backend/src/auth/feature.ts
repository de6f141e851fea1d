// The access feature: /api/auth (login, sessions, tokens) and housekeeping of expired
// sessions and stale login counters. Accounts and the audit log are the users feature's.
import { SerialJobs } from '@firelink/common';
import type { FeatureFactory } from '../kernel/feature.ts';
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
    ],
    start: async () => {
      await housekeeping();
      jobs.every(HOUSEKEEPING_INTERVAL_MS, housekeeping);
    },
    stop: async () => {
      await jobs.stop();
    },
  };
};
