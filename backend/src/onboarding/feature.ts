// The onboarding feature: units API, onboarding workflow, notifications (bus subscriber +
// SMS outbox worker). Wired into FEATURES in backend/src/main.ts.
import type { FeatureFactory } from '../kernel/feature.ts';
import { HttpSmsGateway } from '../notifications/gateway.ts';
import { notificationsRouter } from '../notifications/routes.ts';
import { OutboxWorker, notifyForEvents } from '../notifications/service.ts';
import { unitsRouter } from '../units/routes.ts';
import { onboardingConfigFrom, type OnboardingConfig } from './config.ts';
import { ensureDemoAgency } from './demo.ts';
import { onboardingRouter, unitOnboardingRouter } from './routes.ts';

export function onboardingFeature(overrides: { config?: OnboardingConfig } = {}): FeatureFactory {
  return (ctx) => {
    const config = overrides.config ?? onboardingConfigFrom(ctx.config);
    const { pool, logger } = ctx;
    const worker = config.SMS_GATEWAY_URL
      ? new OutboxWorker(pool, new HttpSmsGateway(config.SMS_GATEWAY_URL, { token: config.SMS_GATEWAY_TOKEN }), {
          maxAttempts: config.SMS_MAX_ATTEMPTS,
          retryBaseMs: config.SMS_RETRY_BASE_MS,
        }, logger)
      : null;
    let unsubscribe: (() => void) | null = null;
    return {
      name: 'onboarding',
      routers: [
        { path: '/api/units', router: unitsRouter({ pool, rules: config.rules }) },
        // Point imports travel inside JSON (base64 XLSX): a larger body on that route only (floor plans are raw images with their own limit).
        { path: '/api/units', router: unitOnboardingRouter({ pool, config }), bodyLimit: '10mb', bodyLimitPaths: ['/:id/points/import'] },
        { path: '/api/onboarding', router: onboardingRouter({ pool, config }) },
        { path: '/api/notifications', router: notificationsRouter({ pool }) },
      ],
      start: async () => {
        // Runs after ACCESS's start (FEATURES order), which creates the demo users.
        if (ctx.config.FIRELINK_DEMO && ctx.config.NODE_ENV !== 'test') await ensureDemoAgency(pool);
        unsubscribe = ctx.bus.subscribe(async (events) => {
          await notifyForEvents(pool, events);
        });
        if (worker) worker.start(config.SMS_POLL_MS);
        else logger.info('SMS_GATEWAY_URL is not set: notifications stay queued in the outbox (GET /api/notifications/outbox)');
      },
      stop: async () => {
        unsubscribe?.();
        await worker?.stop();
      },
    };
  };
}
