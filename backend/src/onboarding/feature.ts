// The onboarding feature: units API, onboarding workflow, notifications (bus subscriber +
// SMS outbox worker). A unit's device registration, also under /api/units, is mounted by
// the devices feature (devices/feature.ts). Wired into FEATURES in backend/src/main.ts.
import type { FeatureFactory } from '../kernel/feature.ts';
import { HttpSmsGateway } from '../notifications/gateway.ts';
import { notificationsRouter } from '../notifications/routes.ts';
import { NotificationIntake, OutboxWorker } from '../notifications/service.ts';
import { unitsRouter } from '../units/routes.ts';
import { onboardingConfigFrom, type OnboardingConfig } from './config.ts';
import { ensureDemoAgency } from './demo.ts';
import { onboardingRouter, unitOnboardingRouter } from './routes.ts';
import { OnboardingService } from './service.ts';

export function onboardingFeature(overrides: { config?: OnboardingConfig } = {}): FeatureFactory {
  return (ctx) => {
    const config = overrides.config ?? onboardingConfigFrom(ctx.config);
    const { pool, logger } = ctx;
    const onboarding = new OnboardingService(pool, config);
    const worker = config.SMS_GATEWAY_URL
      ? new OutboxWorker(pool, new HttpSmsGateway(config.SMS_GATEWAY_URL, { token: config.SMS_GATEWAY_TOKEN }), {
          maxAttempts: config.SMS_MAX_ATTEMPTS,
          retryBaseMs: config.SMS_RETRY_BASE_MS,
        }, logger)
      : null;
    // Bus → bounded queue → SMS digests: the publisher (ingest, after commit) never waits for SMS work.
    const intake = new NotificationIntake(pool, {}, logger);
    intake.registerMetrics(ctx.metrics);
    let unsubscribe: (() => void) | null = null;
    return {
      name: 'onboarding',
      routers: [
        { path: '/api/units', router: unitsRouter({ pool, rules: config.rules }) },
        // Point imports travel inside JSON (base64 XLSX): a larger body on that route only (floor plans are raw images with their own limit).
        { path: '/api/units', router: unitOnboardingRouter(onboarding), bodyLimit: '10mb', bodyLimitPaths: ['/:id/points/import'] },
        { path: '/api/onboarding', router: onboardingRouter(onboarding) },
        { path: '/api/notifications', router: notificationsRouter({ pool }) },
      ],
      start: async () => {
        // Runs after ACCESS's start (FEATURES order), which creates the demo users.
        if (ctx.config.FIRELINK_DEMO && ctx.config.NODE_ENV !== 'test') await ensureDemoAgency(pool);
        unsubscribe = ctx.bus.subscribe(intake.handle);
        intake.start();
        if (worker) worker.start(config.SMS_POLL_MS);
        else logger.info('SMS_GATEWAY_URL is not set: notifications stay queued in the outbox (GET /api/notifications/outbox)');
      },
      stop: async () => {
        unsubscribe?.();
        await intake.stop();
        await worker?.stop();
      },
    };
  };
}
