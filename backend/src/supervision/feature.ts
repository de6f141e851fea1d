// The supervision feature: /api/supervision routes and the periodic rule run + escalation.
import type { FeatureFactory } from '../kernel/feature.ts';
import { supervisionRouter } from './routes.ts';
import { SupervisionService, type SupervisionOptions } from './service.ts';

export function supervisionFeature(overrides: { options?: Partial<SupervisionOptions>; expose?: (s: SupervisionService) => void } = {}): FeatureFactory {
  return (ctx) => {
    const c = ctx.config;
    const service = new SupervisionService(
      ctx.pool,
      {
        rules: {
          hostOfflineHours: c.SUPERVISION_HOST_OFFLINE_HOURS,
          offDutyHours: c.SUPERVISION_OFF_DUTY_HOURS,
          faultRepairHours: c.SUPERVISION_FAULT_REPAIR_HOURS,
          falseAlarmCount: c.SUPERVISION_FALSE_ALARMS,
          falseAlarmWindowDays: c.SUPERVISION_FALSE_ALARM_DAYS,
          disabledPointDays: c.SUPERVISION_DISABLED_POINT_DAYS,
        },
        taskDays: c.SUPERVISION_TASK_DAYS,
        everyMs: c.SUPERVISION_EVAL_MS,
        ...overrides.options,
      },
      ctx.logger.child({ feature: 'supervision' }),
    );
    overrides.expose?.(service);
    return {
      name: 'supervision',
      routers: [{ path: '/api/supervision', router: supervisionRouter({ pool: ctx.pool, service }) }],
      start: async () => service.start(),
      stop: () => service.stop(),
    };
  };
}
