// Contracts of /api/stats (backend/src/analytics): the response bodies the analyst view and
// other clients parse. Every rate carries its numerator and denominator; the definitions
// are in backend/migrations/0500_analytics.sql (analytics_rate_parts) and the README.
import { z } from 'zod';

export const STAT_METRICS = [
  'false_alarm_rate',
  'false_alarm_per_100_points_30d',
  'fault_rate',
  'intact_rate',
  'host_offline_hours',
  'off_duty_count',
  'duty_answer_s',
  'disabled_rate',
] as const;
export const statMetricSchema = z.enum(STAT_METRICS);
export type StatMetric = z.infer<typeof statMetricSchema>;

/** value = scale × numerator ÷ denominator; null when the denominator is 0. */
export const ratePartSchema = z.object({ value: z.number().nullable(), numerator: z.number(), denominator: z.number() });
export type RatePart = z.infer<typeof ratePartSchema>;

export const statsRatesSchema = z.object({
  by: z.enum(['h3', 'region', 'unit']),
  /** H3 resolution when by = h3. */
  res: z.number().int().nullable(),
  from: z.string(),
  to: z.string(),
  metrics: z.array(statMetricSchema),
  /** key: H3 cell, district adcode or unit id, as text. */
  rows: z.array(z.object({ key: z.string(), name: z.string().nullable(), units: z.number(), metrics: z.record(ratePartSchema) })),
});
export type StatsRates = z.infer<typeof statsRatesSchema>;

export const statsTrendSchema = z.object({
  interval: z.enum(['day', 'week', 'month']),
  from: z.string(),
  to: z.string(),
  rows: z.array(ratePartSchema.extend({ bucket: z.string(), metric: statMetricSchema })),
});
export type StatsTrend = z.infer<typeof statsTrendSchema>;

export const statsPrioritiesSchema = z.object({
  from: z.string(),
  to: z.string(),
  rows: z.array(
    z.object({
      unit_id: z.number(),
      name: z.string(),
      region_adcode: z.number().nullable(),
      region_name: z.string().nullable(),
      high_risk: z.boolean(),
      onboarding_state: z.string(),
      points: z.number(),
      fire_alarms_verified: z.number(),
      false_alarms: z.number(),
      fault_events: z.number(),
      off_duty_count: z.number(),
      host_offline_hours: z.number(),
      /** Points and whole systems disabled (屏蔽) at the end of the window. */
      disabled_now: z.number(),
      /** Days the longest of them has been disabled; null when none is. */
      disabled_days: z.number().nullable(),
      /** analytics_inspection_score, 0–100. */
      score: z.number(),
    }),
  ),
});
export type StatsPriorities = z.infer<typeof statsPrioritiesSchema>;

const connectionShareSchema = z.object({
  numerator: z.number(),
  denominator: z.number(),
  pct: z.number().nullable(),
  target_pct: z.number().nullable(),
  target_date: z.string().nullable(),
});

export const statsConnectionSchema = z.object({
  rows: z.array(
    z.object({
      region_adcode: z.number(),
      name: z.string().nullable(),
      name_en: z.string().nullable(),
      units: z.number(),
      open_units: z.number(),
      control_room: connectionShareSchema,
      high_risk: connectionShareSchema,
      full: connectionShareSchema,
      /** Units per onboarding state. */
      funnel: z.record(z.number()),
    }),
  ),
});
export type StatsConnection = z.infer<typeof statsConnectionSchema>;
