// The duty operations feature: /api/duty routes, the daily 119 communication test and the
// sender of duty alerts (outbox channel duty_alert, through the SMS gateway when one is set).
import { HttpSmsGateway, type SmsGateway } from '../notifications/gateway.ts';
import type { FeatureFactory } from '../kernel/feature.ts';
import { SupervisionService, supervisionRules } from '../supervision/service.ts';
import { DutyAlertSender } from './alerts.ts';
import { DeadlineWatch } from './deadlines.ts';
import { dutyRouter } from './routes.ts';
import { CommTester, type CommTesterOptions } from './service.ts';

export function dutyFeature(
  overrides: {
    comm?: Partial<CommTesterOptions>;
    expose?: (comm: CommTester, alerts: DutyAlertSender | null, deadlines: DeadlineWatch) => void;
    alertGateway?: SmsGateway;
    now?: () => Date;
  } = {},
): FeatureFactory {
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
    const url = ctx.config.SMS_GATEWAY_URL;
    const gateway = overrides.alertGateway ?? (url ? new HttpSmsGateway(url, { token: ctx.config.SMS_GATEWAY_TOKEN }) : null);
    const alerts = gateway
      ? new DutyAlertSender(
          ctx.pool,
          gateway,
          { maxAttempts: ctx.config.SMS_MAX_ATTEMPTS, retryBaseMs: ctx.config.SMS_RETRY_BASE_MS, pollMs: ctx.config.SMS_POLL_MS },
          ctx.logger.child({ feature: 'duty_alert' }),
        )
      : null;
    // Overdue host-offline / off-duty deadlines become the supervisor's follow-up task through
    // the supervision room's raiseAlarmFollowUp: the same task its rule raises for the alarm.
    const c = ctx.config;
    const supervision = new SupervisionService(
      ctx.pool,
      {
        rules: supervisionRules(c),
        taskDays: c.SUPERVISION_TASK_DAYS,
        everyMs: 0,
        now: overrides.now,
      },
      ctx.logger.child({ feature: 'duty_follow_up' }),
    );
    const deadlines = new DeadlineWatch(
      ctx.pool,
      { everyMs: c.DUTY_WATCH_MS, now: overrides.now, followUp: async (f) => (await supervision.raiseAlarmFollowUp(f))?.id ?? null },
      ctx.logger.child({ feature: 'duty_deadlines' }),
    );
    overrides.expose?.(comm, alerts, deadlines);
    return {
      name: 'duty',
      routers: [{ path: '/api/duty', router: dutyRouter({ pool: ctx.pool, comm }) }],
      start: async () => {
        comm.start();
        alerts?.start();
        deadlines.start();
        if (!comm.configured) ctx.logger.info('FORWARD_119_URL is not set: the daily 119 communication test does not run');
        if (!alerts) ctx.logger.info('SMS_GATEWAY_URL is not set: duty alerts stay in the outbox (channel duty_alert), not sent');
      },
      stop: async () => {
        await comm.stop();
        await deadlines.stop();
        await alerts?.stop();
      },
    };
  };
}
