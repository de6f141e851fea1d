// The onboarding and notification settings: a section of the one configuration schema
// (kernel/config.ts), plus the completeness rules they switch on.
import { activeRules, type CompletenessRule } from '@firelink/common';
import { loadConfig, type Config } from '../kernel/config.ts';

type OnboardingKeys =
  | 'ONBOARDING_RULES_DISABLED'
  | 'ONBOARDING_DRAWINGS_DAYS'
  | 'SMS_GATEWAY_URL'
  | 'SMS_GATEWAY_TOKEN'
  | 'SMS_MAX_ATTEMPTS'
  | 'SMS_RETRY_BASE_MS'
  | 'SMS_POLL_MS';

export type OnboardingConfig = Pick<Config, OnboardingKeys> & { rules: CompletenessRule[] };

export function onboardingConfigFrom(c: Config): OnboardingConfig {
  return {
    ONBOARDING_RULES_DISABLED: c.ONBOARDING_RULES_DISABLED,
    ONBOARDING_DRAWINGS_DAYS: c.ONBOARDING_DRAWINGS_DAYS,
    SMS_GATEWAY_URL: c.SMS_GATEWAY_URL,
    SMS_GATEWAY_TOKEN: c.SMS_GATEWAY_TOKEN,
    SMS_MAX_ATTEMPTS: c.SMS_MAX_ATTEMPTS,
    SMS_RETRY_BASE_MS: c.SMS_RETRY_BASE_MS,
    SMS_POLL_MS: c.SMS_POLL_MS,
    rules: activeRules(c.ONBOARDING_RULES_DISABLED),
  };
}

/** The onboarding section parsed from `env` (empty = unset, like every variable). */
export function loadOnboardingConfig(env: NodeJS.ProcessEnv = process.env): OnboardingConfig {
  return onboardingConfigFrom(loadConfig(env));
}
