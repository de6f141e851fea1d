-- Disabled (屏蔽) targets as a risk indicator (issue 17 item 1): the unit view, the duty
-- view's list, the analytics rate and the inspection score all read one definition of a
-- unit's disabled facts, from the spells the pipeline records (0802_detection_reasons.sql).

-- A unit's disabled facts over [p_from, p_to): targets disabled at p_to (points, whole
-- facility systems: component_address IS NULL), since when the longest of them, and the
-- disabled hours and spells of the window (spells clipped to it). Units without a spell in
-- the window have no row. Inlined by the planner, so `WHERE unit_id = …` reads one unit.
CREATE FUNCTION disabled_unit_facts(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (unit_id bigint, disabled_now integer, points_disabled_now integer, systems_disabled_now integer,
               oldest_since timestamptz, hours_in_window double precision, spells_in_window integer)
LANGUAGE sql STABLE AS $$
  SELECT s.unit_id,
         count(*) FILTER (WHERE s.until IS NULL OR s.until > p_to)::int,
         count(*) FILTER (WHERE (s.until IS NULL OR s.until > p_to) AND s.component_address IS NOT NULL)::int,
         count(*) FILTER (WHERE (s.until IS NULL OR s.until > p_to) AND s.component_address IS NULL)::int,
         min(s.since) FILTER (WHERE s.until IS NULL OR s.until > p_to),
         round((sum(extract(epoch FROM least(COALESCE(s.until, p_to), p_to) - greatest(s.since, p_from))) / 3600)::numeric, 1)::float8,
         count(*)::int
  FROM disabled_spells s
  WHERE s.since < p_to AND (s.until IS NULL OR s.until > p_from)
  GROUP BY s.unit_id
$$;

-- THE RATES (0500_analytics.sql), one more metric:
--   disabled_rate          屏蔽率     points disabled at the end of the window ÷ points
--                                     (disabled_unit_facts.points_disabled_now; share 0–1)
DROP FUNCTION analytics_rate_parts(double precision, bigint, bigint, bigint, bigint, bigint, bigint, double precision, bigint, bigint, double precision);
CREATE FUNCTION analytics_rate_parts(
  p_window_s double precision, p_units bigint, p_points bigint, p_points_in_fault bigint,
  p_fire_alarms_verified bigint, p_false_alarms bigint, p_fault_events bigint,
  p_offline_s double precision, p_duty_missed bigint, p_duty_answered bigint, p_duty_answer_s double precision,
  p_points_disabled bigint DEFAULT 0)
RETURNS TABLE (metric text, numerator double precision, denominator double precision, value double precision)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT m.metric, m.num, m.den, CASE WHEN m.den > 0 THEN m.scale * m.num / m.den END
  FROM (VALUES
    ('false_alarm_rate', p_false_alarms::float8, p_fire_alarms_verified::float8, 1.0::float8),
    ('false_alarm_per_100_points_30d', p_false_alarms::float8, p_points * p_window_s / 2592000.0, 100.0),
    ('fault_rate', p_fault_events::float8, p_points * p_window_s / 2592000.0, 100.0),
    ('intact_rate', (p_points - p_points_in_fault)::float8, p_points::float8, 1.0),
    ('host_offline_hours', p_offline_s / 3600.0, p_units::float8, 1.0),
    ('off_duty_count', p_duty_missed::float8, p_units::float8, 1.0),
    ('duty_answer_s', p_duty_answer_s, p_duty_answered::float8, 1.0),
    ('disabled_rate', p_points_disabled::float8, p_points::float8, 1.0)
  ) AS m(metric, num, den, scale)
$$;

-- Inspection priority score of a unit, 0–100 (higher = inspect first):
--   30 × false-alarm rate (0–1)
-- + 25 × min(fault rate per 100 points per 30 d ÷ 20, 1)
-- + 15 × min(missed duty checks per 30 d ÷ 10, 1)
-- + 20 × min(host-offline share of the window, 1)
-- + 10 × high-risk unit (1/0)
-- + 10 × a point or system disabled longer than SUPERVISION_DISABLED_POINT_DAYS at the end
--        of the window (1/0; the caller decides from disabled_unit_facts.oldest_since)
-- capped at 100.
DROP FUNCTION analytics_inspection_score(double precision, bigint, bigint, bigint, bigint, double precision, bigint, boolean);
CREATE FUNCTION analytics_inspection_score(
  p_window_s double precision, p_points bigint, p_fire_alarms_verified bigint, p_false_alarms bigint,
  p_fault_events bigint, p_offline_s double precision, p_duty_missed bigint, p_high_risk boolean,
  p_long_disabled boolean DEFAULT false)
RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT LEAST(100,
         30 * COALESCE(max(value) FILTER (WHERE metric = 'false_alarm_rate'), 0)
       + 25 * LEAST(COALESCE(max(value) FILTER (WHERE metric = 'fault_rate'), 0) / 20.0, 1)
       + 15 * LEAST(CASE WHEN p_window_s > 0 THEN p_duty_missed * 2592000.0 / p_window_s ELSE 0 END / 10.0, 1)
       + 20 * LEAST(CASE WHEN p_window_s > 0 THEN p_offline_s / p_window_s ELSE 0 END, 1)
       + 10 * (CASE WHEN p_high_risk THEN 1 ELSE 0 END)
       + 10 * (CASE WHEN p_long_disabled THEN 1 ELSE 0 END))
  FROM analytics_rate_parts(p_window_s, 1, p_points, 0, p_fire_alarms_verified, p_false_alarms, p_fault_events,
                            p_offline_s, p_duty_missed, 0, 0)
$$;
