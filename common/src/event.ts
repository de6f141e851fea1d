// The one normalized event model. Every source (GB/T 26875 over TCP, MQTT, HTTP, the
// system itself) produces these; nothing downstream knows which wire an event came from.
import { z } from 'zod';

export const EVENT_KINDS = [
  'fire',
  'fire_cleared',
  /** The UITD's manual alarm key (type 24 bit 2): raises the unit's fire alarm. */
  'manual_alarm',
  'fault',
  'fault_cleared',
  'supervisory',
  'supervisory_cleared',
  'disabled',
  'disabled_cleared',
  'started',
  'stopped',
  'feedback',
  'feedback_cleared',
  'mains_power_fault',
  'mains_power_restored',
  'backup_power_fault',
  'backup_power_restored',
  'reset',
  'operation',
  'host_offline',
  'host_online',
  'duty_check_missed',
  'duty_check_answered',
  'analog_value',
  'status',
  'unregistered_device',
  'unknown',
] as const;
export const eventKindSchema = z.enum(EVENT_KINDS);
export type EventKind = z.infer<typeof eventKindSchema>;

export const EVENT_SOURCES = ['gb26875', 'mqtt', 'http', 'system'] as const;
export const eventSourceSchema = z.enum(EVENT_SOURCES);
export type EventSource = z.infer<typeof eventSourceSchema>;

export const normalizedEventSchema = z.object({
  /** Idempotency key: the same device report always yields the same key. */
  dedupeKey: z.string().min(1).max(200),
  source: eventSourceSchema,
  kind: eventKindSchema,
  /** Device address as on the wire (GB/T 26875: 6-byte little-endian integer). */
  deviceAddress: z.number().int().nonnegative().nullable(),
  systemType: z.number().int().nullable().default(null),
  systemAddress: z.number().int().nullable().default(null),
  componentType: z.number().int().nullable().default(null),
  componentAddress: z.number().int().nullable().default(null),
  status: z.number().int().nullable().default(null),
  value: z.number().nullable().default(null),
  description: z.string().nullable().default(null),
  /** Time reported by the device (its clock, Asia/Shanghai local time), ISO 8601. */
  deviceTime: z.string().nullable(),
  /** When the center received it, ISO 8601 with zone. */
  receivedAt: z.string(),
  payload: z.record(z.unknown()).default({}),
});
export type NormalizedEvent = z.infer<typeof normalizedEventSchema>;

/** Alarm kinds, most urgent first. Priority 1 is the most urgent. */
export const ALARM_PRIORITY = {
  fire: 1,
  host_offline: 2,
  off_duty: 3,
  fault: 4,
  supervisory: 5,
} as const;
export type AlarmKind = keyof typeof ALARM_PRIORITY;
export const ALARM_KINDS = Object.keys(ALARM_PRIORITY) as AlarmKind[];
export const alarmKindSchema = z.enum(['fire', 'host_offline', 'off_duty', 'fault', 'supervisory']);

export const ALARM_STATES = ['open', 'acknowledged', 'verified', 'dispatched', 'closed'] as const;
export const alarmStateSchema = z.enum(ALARM_STATES);
export type AlarmState = z.infer<typeof alarmStateSchema>;

export const ALARM_VERDICTS = ['fire', 'false_alarm', 'test', 'fault'] as const;
export const alarmVerdictSchema = z.enum(ALARM_VERDICTS);
export type AlarmVerdict = z.infer<typeof alarmVerdictSchema>;

export const ONBOARDING_STATES = ['registered', 'collecting', 'verified', 'reviewed', 'open', 'suspended', 'closed'] as const;
export const onboardingStateSchema = z.enum(ONBOARDING_STATES);
export type OnboardingState = z.infer<typeof onboardingStateSchema>;

export const ROLES = ['admin', 'operator', 'dispatcher', 'supervisor', 'station', 'analyst', 'unit_user', 'maintainer'] as const;
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;
