-- Analytics (issue 8): rates defined once, incremental rollups, offline periods, H3 cells.
--
-- Every rate is defined in ONE place: analytics_rate_parts() below. The heatmap, the
-- league table, the rankings, the exports, the reports and the tests all call it.
--
-- Facts per unit come from two interchangeable sources with the same columns:
--   analytics_unit_facts_raw(from, to)  computed straight from events/alarms/duty_checks
--   analytics_unit_facts(from, to)      computed from the hourly/daily/monthly rollups
-- A test asserts they are equal; the API uses the rollups.
--
-- Time buckets: hours; days and months are calendar days/months in Asia/Shanghai (UTC+8,
-- no daylight saving). Windows resolve to whole hours: `from` is floored and `to` is
-- ceiled to the hour, the window is [from, to).

-- Hours whose facts changed since the last refresh, appended by statement-level triggers.
-- Append-only with no unique key on purpose: a writer (ingest, the alarm pipeline) never
-- waits on a running refresh; the refresh consumes exactly the rows it read, by id.
CREATE TABLE analytics_dirty_hours (
  id    bigserial PRIMARY KEY,
  hour  timestamptz NOT NULL
);
-- Devices whose host_offline/host_online history changed since the last refresh.
CREATE TABLE analytics_dirty_devices (
  id         bigserial PRIMARY KEY,
  device_id  bigint NOT NULL
);

-- One row per (grain, bucket, unit) with any fact in the bucket. grain is 'hour', 'day'
-- or 'month'; day and month rows are sums of the hour rows inside them.
CREATE TABLE analytics_rollup (
  grain                 text NOT NULL CHECK (grain IN ('hour', 'day', 'month')),
  bucket                timestamptz NOT NULL,
  unit_id               bigint NOT NULL,
  -- events.kind = 'fire' / 'fault' / 'host_offline', by events.received_at
  fire_events           integer NOT NULL DEFAULT 0,
  fault_events          integer NOT NULL DEFAULT 0,
  host_offline_events   integer NOT NULL DEFAULT 0,
  -- alarms.kind = 'fire' with a verdict, by alarms.opened_at; false_alarms: verdict false_alarm
  fire_alarms_verified  integer NOT NULL DEFAULT 0,
  false_alarms          integer NOT NULL DEFAULT 0,
  -- duty_checks by sent_at: missed (missed_at set), answered (answered_at set), sum of answer seconds
  duty_missed           integer NOT NULL DEFAULT 0,
  duty_answered         integer NOT NULL DEFAULT 0,
  duty_answer_s         double precision NOT NULL DEFAULT 0,
  PRIMARY KEY (grain, bucket, unit_id)
);

-- Host-offline periods per device, rebuilt for dirty devices from host_offline/host_online
-- events (a period starts at the first host_offline after online, ends at the next
-- host_online; ended_at NULL = still offline).
CREATE TABLE analytics_offline_periods (
  device_id   bigint NOT NULL,
  unit_id     bigint,
  started_at  timestamptz NOT NULL,
  ended_at    timestamptz,
  PRIMARY KEY (device_id, started_at)
);
CREATE INDEX analytics_offline_periods_unit_idx ON analytics_offline_periods (unit_id);
-- Windows ending near now read only the periods that end inside them or are still open.
CREATE INDEX analytics_offline_periods_ended_idx ON analytics_offline_periods (ended_at);
CREATE INDEX analytics_offline_periods_open_idx ON analytics_offline_periods (started_at) WHERE ended_at IS NULL;

-- H3 cells of each unit at res 6–9, computed in TypeScript (h3-js) from units.point at
-- refresh time: PostgreSQL has no h3 extension here.
CREATE TABLE analytics_unit_cells (
  unit_id  bigint PRIMARY KEY REFERENCES units (id) ON DELETE CASCADE,
  lon      double precision NOT NULL,
  lat      double precision NOT NULL,
  h3_r6    text NOT NULL,
  h3_r7    text NOT NULL,
  h3_r8    text NOT NULL,
  h3_r9    text NOT NULL
);
CREATE INDEX analytics_unit_cells_r6_idx ON analytics_unit_cells (h3_r6);

-- Bookkeeping: when the scheduler last refreshed.
CREATE TABLE analytics_state (
  id               boolean PRIMARY KEY DEFAULT true CHECK (id),
  last_refresh_at  timestamptz,
  last_refresh_ms  double precision,
  last_hours       integer
);
INSERT INTO analytics_state (id) VALUES (true);

-- ---------------------------------------------------------------------------------------
-- Dirty marking. Statement-level triggers with transition tables: one cheap INSERT per
-- statement, whatever the row count (ingest batches, bulk loads).
CREATE FUNCTION analytics_mark_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO analytics_dirty_hours (hour)
    SELECT DISTINCT date_trunc('hour', received_at) FROM new_rows WHERE unit_id IS NOT NULL;
  INSERT INTO analytics_dirty_devices (device_id)
    SELECT DISTINCT device_id FROM new_rows
    WHERE device_id IS NOT NULL AND kind IN ('host_offline', 'host_online');
  RETURN NULL;
END $$;
CREATE TRIGGER analytics_events_ins AFTER INSERT ON events
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION analytics_mark_events();

-- Alarms are bucketed by opened_at; a verdict set later dirties the alarm's opening hour.
CREATE FUNCTION analytics_mark_alarms() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO analytics_dirty_hours (hour)
    SELECT DISTINCT date_trunc('hour', opened_at) FROM new_rows WHERE kind = 'fire' AND unit_id IS NOT NULL;
  RETURN NULL;
END $$;
CREATE TRIGGER analytics_alarms_ins AFTER INSERT ON alarms
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION analytics_mark_alarms();
CREATE TRIGGER analytics_alarms_upd AFTER UPDATE ON alarms
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION analytics_mark_alarms();

-- Duty checks are bucketed by sent_at; answering or missing later dirties the sending hour.
CREATE FUNCTION analytics_mark_duty_checks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO analytics_dirty_hours (hour)
    SELECT DISTINCT date_trunc('hour', sent_at) FROM new_rows WHERE unit_id IS NOT NULL;
  RETURN NULL;
END $$;
CREATE TRIGGER analytics_duty_checks_ins AFTER INSERT ON duty_checks
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION analytics_mark_duty_checks();
CREATE TRIGGER analytics_duty_checks_upd AFTER UPDATE ON duty_checks
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION analytics_mark_duty_checks();

-- ---------------------------------------------------------------------------------------
-- Calendar helpers (Asia/Shanghai).
CREATE FUNCTION analytics_day(ts timestamptz) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT date_trunc('day', ts, 'Asia/Shanghai') $$;
CREATE FUNCTION analytics_month(ts timestamptz) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT date_trunc('month', ts, 'Asia/Shanghai') $$;
CREATE FUNCTION analytics_add(ts timestamptz, step interval) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT ((ts AT TIME ZONE 'Asia/Shanghai') + step) AT TIME ZONE 'Asia/Shanghai' $$;
CREATE FUNCTION analytics_hour_ceil(ts timestamptz) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN date_trunc('hour', ts) = ts THEN ts ELSE date_trunc('hour', ts) + interval '1 hour' END $$;

-- Splits [from, to) (hour-aligned) into the fewest rollup buckets: whole months from the
-- month rows, whole days from the day rows, the rest from hour rows.
CREATE FUNCTION analytics_window_parts(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (grain text, lo timestamptz, hi timestamptz)
-- ROWS 5: tells the planner this is tiny, so it range-scans the rollup per part.
LANGUAGE plpgsql STABLE ROWS 5 AS $$
DECLARE
  f timestamptz := date_trunc('hour', p_from);
  t timestamptz := analytics_hour_ceil(p_to);
  m1 timestamptz;
  m2 timestamptz;
  r record;
BEGIN
  IF t <= f THEN RETURN; END IF;
  m1 := analytics_month(f);
  IF m1 < f THEN m1 := analytics_add(m1, interval '1 month'); END IF;
  m2 := analytics_month(t);
  IF m1 < m2 THEN
    grain := 'month'; lo := m1; hi := m2; RETURN NEXT;
    FOR r IN SELECT * FROM (VALUES (f, m1), (m2, t)) v(a, b) WHERE v.a < v.b LOOP
      RETURN QUERY SELECT * FROM analytics_day_parts(r.a, r.b);
    END LOOP;
  ELSE
    RETURN QUERY SELECT * FROM analytics_day_parts(f, t);
  END IF;
END $$;

CREATE FUNCTION analytics_day_parts(f timestamptz, t timestamptz)
RETURNS TABLE (grain text, lo timestamptz, hi timestamptz)
-- ROWS 5: tells the planner this is tiny, so it range-scans the rollup per part.
LANGUAGE plpgsql STABLE ROWS 5 AS $$
DECLARE
  d1 timestamptz := analytics_day(f);
  d2 timestamptz := analytics_day(t);
BEGIN
  IF d1 < f THEN d1 := d1 + interval '1 day'; END IF;
  IF d1 < d2 THEN
    grain := 'day'; lo := d1; hi := d2; RETURN NEXT;
    IF f < d1 THEN grain := 'hour'; lo := f; hi := d1; RETURN NEXT; END IF;
    IF d2 < t THEN grain := 'hour'; lo := d2; hi := t; RETURN NEXT; END IF;
  ELSE
    grain := 'hour'; lo := f; hi := t; RETURN NEXT;
  END IF;
END $$;

-- ---------------------------------------------------------------------------------------
-- Hourly facts computed straight from the source tables for [p_from, p_to) (hour-aligned).
-- This is the definition of every counted fact; the rollup stores its output.
CREATE FUNCTION analytics_hourly_source(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (bucket timestamptz, unit_id bigint, fire_events integer, fault_events integer,
               host_offline_events integer, fire_alarms_verified integer, false_alarms integer,
               duty_missed integer, duty_answered integer, duty_answer_s double precision)
LANGUAGE sql STABLE AS $$
  WITH e AS (
    SELECT date_trunc('hour', received_at) AS bucket, unit_id,
           count(*) FILTER (WHERE kind = 'fire')::int AS fire_events,
           count(*) FILTER (WHERE kind = 'fault')::int AS fault_events,
           count(*) FILTER (WHERE kind = 'host_offline')::int AS host_offline_events
    FROM events
    WHERE received_at >= p_from AND received_at < p_to AND unit_id IS NOT NULL
      AND kind IN ('fire', 'fault', 'host_offline')
    GROUP BY 1, 2
  ), a AS (
    SELECT date_trunc('hour', opened_at) AS bucket, unit_id,
           count(*)::int AS fire_alarms_verified,
           count(*) FILTER (WHERE verdict = 'false_alarm')::int AS false_alarms
    FROM alarms
    WHERE opened_at >= p_from AND opened_at < p_to AND unit_id IS NOT NULL
      AND kind = 'fire' AND verdict IS NOT NULL
    GROUP BY 1, 2
  ), d AS (
    SELECT date_trunc('hour', sent_at) AS bucket, unit_id,
           count(*) FILTER (WHERE missed_at IS NOT NULL AND answered_at IS NULL)::int AS duty_missed,
           count(*) FILTER (WHERE answered_at IS NOT NULL)::int AS duty_answered,
           COALESCE(sum(COALESCE(response_s, extract(epoch FROM answered_at - sent_at)))
                    FILTER (WHERE answered_at IS NOT NULL), 0)::double precision AS duty_answer_s
    FROM duty_checks
    WHERE sent_at >= p_from AND sent_at < p_to AND unit_id IS NOT NULL
    GROUP BY 1, 2
  )
  SELECT bucket, unit_id,
         COALESCE(e.fire_events, 0), COALESCE(e.fault_events, 0), COALESCE(e.host_offline_events, 0),
         COALESCE(a.fire_alarms_verified, 0), COALESCE(a.false_alarms, 0),
         COALESCE(d.duty_missed, 0), COALESCE(d.duty_answered, 0), COALESCE(d.duty_answer_s, 0)
  FROM e FULL JOIN a USING (bucket, unit_id) FULL JOIN d USING (bucket, unit_id)
$$;

-- Host-offline periods from host_offline/host_online events (NULL p_devices = all devices).
-- State changes only: offline after offline (power loss, then silence) is one period that
-- ends at the next host_online; ended_at NULL = still offline.
CREATE FUNCTION analytics_offline_periods_from_events(p_devices bigint[])
RETURNS TABLE (device_id bigint, unit_id bigint, started_at timestamptz, ended_at timestamptz)
LANGUAGE sql STABLE AS $$
  SELECT c.device_id, c.unit_id, c.received_at, c.next_at
  FROM (
    SELECT s.device_id, s.unit_id, s.kind, s.received_at,
           lead(s.received_at) OVER (PARTITION BY s.device_id ORDER BY s.received_at, s.id) AS next_at
    FROM (
      SELECT e.id, e.device_id, e.unit_id, e.kind, e.received_at,
             lag(e.kind) OVER (PARTITION BY e.device_id ORDER BY e.received_at, e.id) AS before_kind
      FROM events e
      WHERE e.device_id IS NOT NULL AND e.kind IN ('host_offline', 'host_online')
        AND (p_devices IS NULL OR e.device_id = ANY(p_devices))
    ) s
    WHERE s.before_kind IS DISTINCT FROM s.kind
  ) c
  WHERE c.kind = 'host_offline'
$$;

-- Seconds of [started, ended) (ended NULL = now) inside [f, t).
CREATE FUNCTION analytics_overlap_s(started timestamptz, ended timestamptz, f timestamptz, t timestamptz)
RETURNS double precision LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT GREATEST(0, extract(epoch FROM LEAST(COALESCE(ended, now()), t) - GREATEST(started, f)))::double precision
$$;

-- Incremental refresh: consumes up to p_max_rows dirty-hour rows, recomputes those hours'
-- rows, then the day and month rows that contain them, and rebuilds dirty devices' offline
-- periods. One refresher at a time (advisory lock; others return at once). Returns the
-- hours refreshed and the dirty rows consumed (= p_max_rows: call again, more are waiting).
CREATE FUNCTION analytics_refresh(p_max_rows integer DEFAULT 100000, OUT hours integer, OUT dirty_rows integer)
LANGUAGE plpgsql AS $$
DECLARE
  ids bigint[];
  hrs timestamptz[];
  dev_ids bigint[];
  devs bigint[];
  isl record;
  chunk_lo timestamptz;
  chunk_hi timestamptz;
BEGIN
  hours := 0;
  dirty_rows := 0;
  IF NOT pg_try_advisory_xact_lock(hashtext('analytics_refresh')) THEN RETURN; END IF;

  -- Rows committed after these reads stay for the next refresh (deleted by id, not by hour).
  SELECT array_agg(id), array_agg(DISTINCT hour) INTO ids, hrs
  FROM (SELECT id, hour FROM analytics_dirty_hours ORDER BY id LIMIT p_max_rows) d;
  SELECT array_agg(id), array_agg(DISTINCT device_id) INTO dev_ids, devs FROM analytics_dirty_devices;

  IF devs IS NOT NULL THEN
    DELETE FROM analytics_dirty_devices WHERE id = ANY(dev_ids);
    DELETE FROM analytics_offline_periods WHERE device_id = ANY(devs);
    INSERT INTO analytics_offline_periods (device_id, unit_id, started_at, ended_at)
      SELECT * FROM analytics_offline_periods_from_events(devs) ON CONFLICT DO NOTHING;
  END IF;

  IF hrs IS NULL THEN RETURN; END IF;
  DELETE FROM analytics_dirty_hours WHERE id = ANY(ids);
  dirty_rows := array_length(ids, 1);

  DELETE FROM analytics_rollup WHERE grain = 'hour' AND bucket = ANY(hrs);
  -- Runs of consecutive hours (gaps and islands), scanned in chunks of at most a week so
  -- a year-long backfill never builds one huge aggregate.
  FOR isl IN
    SELECT min(h) AS lo, max(h) + interval '1 hour' AS hi
    FROM (SELECT h, h - (row_number() OVER (ORDER BY h)) * interval '1 hour' AS g FROM unnest(hrs) h) s
    GROUP BY g
  LOOP
    chunk_lo := isl.lo;
    WHILE chunk_lo < isl.hi LOOP
      chunk_hi := LEAST(isl.hi, chunk_lo + interval '7 days');
      INSERT INTO analytics_rollup (grain, bucket, unit_id, fire_events, fault_events, host_offline_events,
                                    fire_alarms_verified, false_alarms, duty_missed, duty_answered, duty_answer_s)
        SELECT 'hour', s.* FROM analytics_hourly_source(chunk_lo, chunk_hi) s;
      chunk_lo := chunk_hi;
    END LOOP;
  END LOOP;

  CREATE TEMP TABLE IF NOT EXISTS analytics_tmp_days (d timestamptz PRIMARY KEY) ON COMMIT DROP;
  TRUNCATE analytics_tmp_days;
  INSERT INTO analytics_tmp_days SELECT DISTINCT analytics_day(h) FROM unnest(hrs) h;
  DELETE FROM analytics_rollup r USING analytics_tmp_days t WHERE r.grain = 'day' AND r.bucket = t.d;
  INSERT INTO analytics_rollup (grain, bucket, unit_id, fire_events, fault_events, host_offline_events,
                                fire_alarms_verified, false_alarms, duty_missed, duty_answered, duty_answer_s)
    SELECT 'day', t.d, r.unit_id, sum(r.fire_events), sum(r.fault_events), sum(r.host_offline_events),
           sum(r.fire_alarms_verified), sum(r.false_alarms), sum(r.duty_missed), sum(r.duty_answered), sum(r.duty_answer_s)
    FROM analytics_tmp_days t
    JOIN analytics_rollup r ON r.grain = 'hour' AND r.bucket >= t.d AND r.bucket < analytics_add(t.d, interval '1 day')
    GROUP BY t.d, r.unit_id;

  CREATE TEMP TABLE IF NOT EXISTS analytics_tmp_months (m timestamptz PRIMARY KEY) ON COMMIT DROP;
  TRUNCATE analytics_tmp_months;
  INSERT INTO analytics_tmp_months SELECT DISTINCT analytics_month(d) FROM analytics_tmp_days;
  DELETE FROM analytics_rollup r USING analytics_tmp_months t WHERE r.grain = 'month' AND r.bucket = t.m;
  INSERT INTO analytics_rollup (grain, bucket, unit_id, fire_events, fault_events, host_offline_events,
                                fire_alarms_verified, false_alarms, duty_missed, duty_answered, duty_answer_s)
    SELECT 'month', t.m, r.unit_id, sum(r.fire_events), sum(r.fault_events), sum(r.host_offline_events),
           sum(r.fire_alarms_verified), sum(r.false_alarms), sum(r.duty_missed), sum(r.duty_answered), sum(r.duty_answer_s)
    FROM analytics_tmp_months t
    JOIN analytics_rollup r ON r.grain = 'day' AND r.bucket >= t.m AND r.bucket < analytics_add(t.m, interval '1 month')
    GROUP BY t.m, r.unit_id;

  hours := array_length(hrs, 1);
  UPDATE analytics_state SET last_hours = hours;
END $$;

-- ---------------------------------------------------------------------------------------
-- Facts per unit over [from, to): counts from the rollups + offline seconds from periods.
CREATE FUNCTION analytics_unit_facts(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (unit_id bigint, fire_events bigint, fault_events bigint, host_offline_events bigint,
               fire_alarms_verified bigint, false_alarms bigint, duty_missed bigint, duty_answered bigint,
               duty_answer_s double precision, offline_s double precision)
LANGUAGE sql STABLE AS $$
  WITH w AS (SELECT date_trunc('hour', p_from) AS f, analytics_hour_ceil(p_to) AS t),
  r AS (
    SELECT r.unit_id, sum(r.fire_events)::bigint AS fire_events, sum(r.fault_events)::bigint AS fault_events,
           sum(r.host_offline_events)::bigint AS host_offline_events,
           sum(r.fire_alarms_verified)::bigint AS fire_alarms_verified, sum(r.false_alarms)::bigint AS false_alarms,
           sum(r.duty_missed)::bigint AS duty_missed, sum(r.duty_answered)::bigint AS duty_answered,
           sum(r.duty_answer_s)::double precision AS duty_answer_s
    FROM analytics_window_parts(p_from, p_to) p
    -- OFFSET 0 keeps the subquery a parameterized index range scan per part (the planner
    -- would otherwise flatten it into a join over the whole rollup table).
    CROSS JOIN LATERAL (
      SELECT * FROM analytics_rollup x WHERE x.grain = p.grain AND x.bucket >= p.lo AND x.bucket < p.hi OFFSET 0
    ) r
    GROUP BY r.unit_id
  ), o AS (
    SELECT op.unit_id, sum(analytics_overlap_s(op.started_at, op.ended_at, w.f, w.t)) AS offline_s
    FROM analytics_offline_periods op, w
    WHERE op.unit_id IS NOT NULL AND op.started_at < w.t AND (op.ended_at IS NULL OR op.ended_at > w.f)
    GROUP BY op.unit_id
  )
  SELECT COALESCE(r.unit_id, o.unit_id), COALESCE(r.fire_events, 0), COALESCE(r.fault_events, 0),
         COALESCE(r.host_offline_events, 0), COALESCE(r.fire_alarms_verified, 0), COALESCE(r.false_alarms, 0),
         COALESCE(r.duty_missed, 0), COALESCE(r.duty_answered, 0), COALESCE(r.duty_answer_s, 0), COALESCE(o.offline_s, 0)
  FROM r FULL JOIN o ON o.unit_id = r.unit_id
$$;

-- The same facts computed from the source tables with no rollup (slow; the reference).
CREATE FUNCTION analytics_unit_facts_raw(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (unit_id bigint, fire_events bigint, fault_events bigint, host_offline_events bigint,
               fire_alarms_verified bigint, false_alarms bigint, duty_missed bigint, duty_answered bigint,
               duty_answer_s double precision, offline_s double precision)
LANGUAGE sql STABLE AS $$
  WITH w AS (SELECT date_trunc('hour', p_from) AS f, analytics_hour_ceil(p_to) AS t),
  r AS (
    SELECT s.unit_id, sum(s.fire_events)::bigint AS fire_events, sum(s.fault_events)::bigint AS fault_events,
           sum(s.host_offline_events)::bigint AS host_offline_events,
           sum(s.fire_alarms_verified)::bigint AS fire_alarms_verified, sum(s.false_alarms)::bigint AS false_alarms,
           sum(s.duty_missed)::bigint AS duty_missed, sum(s.duty_answered)::bigint AS duty_answered,
           sum(s.duty_answer_s)::double precision AS duty_answer_s
    FROM w, analytics_hourly_source(w.f, w.t) s
    GROUP BY s.unit_id
  ), o AS (
    SELECT op.unit_id, sum(analytics_overlap_s(op.started_at, op.ended_at, w.f, w.t)) AS offline_s
    FROM analytics_offline_periods_from_events(NULL) op, w
    WHERE op.unit_id IS NOT NULL AND op.started_at < w.t AND (op.ended_at IS NULL OR op.ended_at > w.f)
    GROUP BY op.unit_id
  )
  SELECT COALESCE(r.unit_id, o.unit_id), COALESCE(r.fire_events, 0), COALESCE(r.fault_events, 0),
         COALESCE(r.host_offline_events, 0), COALESCE(r.fire_alarms_verified, 0), COALESCE(r.false_alarms, 0),
         COALESCE(r.duty_missed, 0), COALESCE(r.duty_answered, 0), COALESCE(r.duty_answer_s, 0), COALESCE(o.offline_s, 0)
  FROM r FULL JOIN o ON o.unit_id = r.unit_id
$$;

-- ---------------------------------------------------------------------------------------
-- THE RATES. Each metric once: value = scale × numerator ÷ denominator (NULL when the
-- denominator is 0). Inputs are sums over a group of units (one unit, a region, an H3 cell)
-- and the window length in seconds. 30 days = 2 592 000 s.
--
--   false_alarm_rate       误报率     false alarms ÷ verified fire alarms (alarms.kind 'fire'
--                                     with any verdict, by opened_at); share 0–1
--   false_alarm_per_100_points_30d   false alarms ÷ (points × window/30 d), × 100
--   fault_rate             故障率     fault events ÷ (points × window/30 d), × 100
--                                     = fault events per 100 points per 30 days
--   intact_rate            完好率     points not in fault now ÷ points (current state)
--   host_offline_hours     主机关机   hours offline inside the window ÷ units with a device
--                                     (numerator = total hours; for one unit, its hours)
--   off_duty_count         脱岗次数   missed duty checks ÷ units with a device
--   duty_answer_s          查岗应答   seconds to answer, summed ÷ answered duty checks
CREATE FUNCTION analytics_rate_parts(
  p_window_s double precision, p_units bigint, p_points bigint, p_points_in_fault bigint,
  p_fire_alarms_verified bigint, p_false_alarms bigint, p_fault_events bigint,
  p_offline_s double precision, p_duty_missed bigint, p_duty_answered bigint, p_duty_answer_s double precision)
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
    ('duty_answer_s', p_duty_answer_s, p_duty_answered::float8, 1.0)
  ) AS m(metric, num, den, scale)
$$;

-- Inspection priority score of a unit, 0–100 (higher = inspect first):
--   30 × false-alarm rate (0–1)
-- + 25 × min(fault rate per 100 points per 30 d ÷ 20, 1)
-- + 15 × min(missed duty checks per 30 d ÷ 10, 1)
-- + 20 × min(host-offline share of the window, 1)
-- + 10 × high-risk unit (1/0)
CREATE FUNCTION analytics_inspection_score(
  p_window_s double precision, p_points bigint, p_fire_alarms_verified bigint, p_false_alarms bigint,
  p_fault_events bigint, p_offline_s double precision, p_duty_missed bigint, p_high_risk boolean)
RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT 30 * COALESCE(max(value) FILTER (WHERE metric = 'false_alarm_rate'), 0)
       + 25 * LEAST(COALESCE(max(value) FILTER (WHERE metric = 'fault_rate'), 0) / 20.0, 1)
       + 15 * LEAST(CASE WHEN p_window_s > 0 THEN p_duty_missed * 2592000.0 / p_window_s ELSE 0 END / 10.0, 1)
       + 20 * LEAST(CASE WHEN p_window_s > 0 THEN p_offline_s / p_window_s ELSE 0 END, 1)
       + 10 * (CASE WHEN p_high_risk THEN 1 ELSE 0 END)
  FROM analytics_rate_parts(p_window_s, 1, p_points, 0, p_fire_alarms_verified, p_false_alarms, p_fault_events,
                            p_offline_s, p_duty_missed, 0, 0)
$$;
