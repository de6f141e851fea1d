// The supervision feature: /api/supervision routes (tasks and responsibility; plan,
// inspections, cases, statistics, acceptance, reports), the periodic rule run + escalation,
// and the report schedule.
import { PdfRenderer } from '../analytics/pdf.ts';
import { HttpReportEndpoint, ReportSender } from '../notifications/report-sender.ts';
import type { FeatureFactory } from '../kernel/feature.ts';
import { supervisionRouter } from './routes.ts';
import { SupervisionSetup } from './setup-service.ts';
import { supervisionSetupRouter } from './setup-routes.ts';
import { SupervisionService, supervisionRules, type SupervisionOptions } from './service.ts';
import { SupervisionWork } from './work-service.ts';
import { supervisionWorkRouter } from './work-routes.ts';

/** How often the report schedule looks for a finished day, week or month without its report (ms). */
const REPORT_CHECK_MS = 15 * 60_000;

export function supervisionFeature(
  overrides: {
    options?: Partial<SupervisionOptions>;
    reportEveryMs?: number;
    /** Report delivery poll, ms (default 10 s while the schedule runs; 0 = tests call runOnce). */
    reportSendEveryMs?: number;
    expose?: (s: SupervisionService, w: SupervisionWork, sender: ReportSender) => void;
  } = {},
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
    // Delivers the kept reports (outbox channel supervision_report) to SUPERVISION_REPORT_URL,
    // or marks them not configured when it is unset; they stay downloadable either way.
    const sendEveryMs = overrides.reportSendEveryMs ?? (service.config.everyMs > 0 ? 10_000 : 0);
    const sender = new ReportSender(
      ctx.pool,
      c.SUPERVISION_REPORT_URL ? new HttpReportEndpoint(c.SUPERVISION_REPORT_URL, { token: c.SUPERVISION_REPORT_TOKEN }) : null,
      ctx.logger.child({ feature: 'supervision-report-delivery' }),
      { pollMs: sendEveryMs || 10_000 },
    );
    overrides.expose?.(service, work, sender);
    return {
      name: 'supervision',
      routers: [
        { path: '/api/supervision', router: supervisionRouter({ pool: ctx.pool, service }) },
        { path: '/api/supervision', router: supervisionWorkRouter({ pool: ctx.pool, work, pdf, now: service.now }) },
        { path: '/api/supervision', router: supervisionSetupRouter(new SupervisionSetup(ctx.pool), work) },
      ],
      start: async () => {
        service.start();
        work.start();
        if (sendEveryMs > 0) sender.start();
      },
      stop: async () => {
        await service.stop();
        await work.stop();
        await sender.stop();
        await pdf.close();
      },
    };
  };
}
