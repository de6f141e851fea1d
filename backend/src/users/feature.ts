// Administration: /api/users (accounts and jurisdictions), /api/audit (the audit log), and
// the demo accounts in demo mode.
import type { FeatureFactory } from '../kernel/feature.ts';
import { auditRouter } from './audit-routes.ts';
import { ensureDemoUsers } from './demo-users.ts';
import { usersRouter } from './routes.ts';

export const usersFeature: FeatureFactory = (ctx) => ({
  name: 'users',
  routers: [
    { path: '/api/users', router: usersRouter(ctx.pool) },
    { path: '/api/audit', router: auditRouter(ctx.pool) },
  ],
  start: async () => {
    if (ctx.config.FIRELINK_DEMO) await ensureDemoUsers(ctx.pool);
  },
});
