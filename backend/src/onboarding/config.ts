// Onboarding settings from the environment, parsed once (zod), each documented in README.
import { z } from 'zod';
import { COMPLETENESS_RULES, activeRules, type CompletenessRule } from '@firelink/common';

export const onboardingConfigSchema = z.object({
  // Comma-separated completeness rule ids to switch off (mandatory rules such as point_totals stay on).
  ONBOARDING_RULES_DISABLED: z
    .string()
    .default('')
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .refine((ids) => ids.every((id) => COMPLETENESS_RULES.some((r) => r.id === id)), {
      message: `unknown rule id; known: ${COMPLETENESS_RULES.map((r) => r.id).join(', ')}`,
    }),
  // Days after opening by which point drawings (positions on floor plans) are due.
  ONBOARDING_DRAWINGS_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  // SMS gateway endpoint (HTTP POST JSON {to, text}); unset = messages stay queued in the outbox.
  SMS_GATEWAY_URL: z.string().url().optional(),
  // Bearer token for the SMS gateway, if it wants one.
  SMS_GATEWAY_TOKEN: z.string().optional(),
  // Outbox: attempts before a message is marked failed, and the first retry delay (doubles each time).
  SMS_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(6),
  SMS_RETRY_BASE_MS: z.coerce.number().int().min(10).default(30_000),
  // How often the outbox worker looks for due messages.
  SMS_POLL_MS: z.coerce.number().int().min(10).default(5_000),
});
export type OnboardingConfig = z.infer<typeof onboardingConfigSchema> & { rules: CompletenessRule[] };

export function loadOnboardingConfig(env: NodeJS.ProcessEnv = process.env): OnboardingConfig {
  const r = onboardingConfigSchema.safeParse(env);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `${String(i.path[0])}=${JSON.stringify(env[String(i.path[0])])}: ${i.message}`);
    throw new Error(`invalid onboarding configuration:\n  ${lines.join('\n  ')}`);
  }
  return { ...r.data, rules: activeRules(r.data.ONBOARDING_RULES_DISABLED) };
}
