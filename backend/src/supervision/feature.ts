// The supervision feature: /api/supervision routes (tasks and responsibility; plan,
// inspections, cases, statistics, acceptance, reports), the periodic rule run + escalation,
// and the report schedule.
import { PdfRenderer } from '../analytics/pdf.ts';
import type { FeatureFactory } from '../kernel/feature.ts';
import { supervisionRouter } from './routes.ts';
import { SupervisionService, supervisionRules, type SupervisionOptions } from './service.ts';
import { SupervisionWork } from './work-service.ts';
import { supervisionWorkRouter } from './work-routes.ts';

/** How often the report schedule looks for a finished day, week or month without its report (ms). */
const REPORT_CHECK_MS = 15 * 60_000;

export function supervisionFeature(
  overrides: { options?: Partial<SupervisionOptions>; reportEveryMs?: number; expose?: (s: SupervisionService, w: SupervisionWork) => void } = {},
): FeatureFactory {
  return (ctx) => {
    const c = ctx.config;
    const service = new SupervisionService(
      ctx.pool,
      {
        rules: supervisionRules(c),
        taskDays: c.SUPERVISION_TASK_DAYS,
        everyMs: c.SUPERVISION_EVAL_MS,
        ...overrides.options,
      },
      ctx.logger.child({ feature: 'supervision' }),
    );
    const work = new SupervisionWork(
      ctx.pool,
      {
        faultRepairHours: service.config.rules.faultRepairHours,
        disabledPointDays: service.config.rules.disabledPointDays,
        // The schedule follows the rule run: off when the rules are off (tests call runReports).
        reportEveryMs: overrides.reportEveryMs ?? (service.config.everyMs > 0 ? REPORT_CHECK_MS : 0),
        now: service.now,
      },
      ctx.logger.child({ feature: 'supervision-reports' }),
    );
    // Acceptance records print with the same PdfRenderer (one headless Chromium, launched on first use).
    const pdf = new PdfRenderer(c.CHROMIUM_PATH);
    overrides.expose?.(service, work);
    return {
      name: 'supervision',
      routers: [
        { path: '/api/supervision', router: supervisionRouter({ pool: ctx.pool, service }) },
        { path: '/api/supervision', router: supervisionWorkRouter({ pool: ctx.pool, work, pdf, now: service.now }) },
      ],
      start: async () => {
        service.start();
        work.start();
      },
      stop: async () => {
        await service.stop();
        await work.stop();
        await pdf.close();
      },
    };
  };
}
