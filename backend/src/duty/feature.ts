// The duty operations feature: /api/duty routes and the daily 119 communication test.
import type { FeatureFactory } from '../kernel/feature.ts';
import { dutyRouter } from './routes.ts';
import { CommTester, type CommTesterOptions } from './service.ts';

export function dutyFeature(overrides: { comm?: Partial<CommTesterOptions>; expose?: (comm: CommTester) => void } = {}): FeatureFactory {
  return (ctx) => {
    const comm = new CommTester(
      ctx.pool,
      {
        url: ctx.config.FORWARD_119_URL ?? null,
        dailyAt: ctx.config.DUTY_COMM_TEST_AT,
        // Whether today's test is due is checked once a minute: it runs within a minute of its time.
        checkEveryMs: 60_000,
        timeoutMs: ctx.config.DUTY_COMM_TEST_TIMEOUT_MS,
        ...overrides.comm,
      },
      ctx.logger.child({ feature: 'duty' }),
    );
    overrides.expose?.(comm);
    return {
      name: 'duty',
      routers: [{ path: '/api/duty', router: dutyRouter({ pool: ctx.pool, comm }) }],
      start: async () => {
        comm.start();
        if (!comm.configured) ctx.logger.info('FORWARD_119_URL is not set: the daily 119 communication test does not run');
      },
      stop: () => comm.stop(),
    };
  };
}
