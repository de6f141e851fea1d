-- Analytics upgrade: brings a database migrated with an earlier draft of 0500 (dirty
-- tables keyed by hour, analytics_refresh(integer) RETURNS integer, rollup scans without
-- ROWS/OFFSET hints) to the current shape, and adds the offline-period indexes. On a
-- database migrated with the current 0500 it only re-creates identical functions.

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                 WHERE table_name = 'analytics_dirty_hours' AND column_name = 'id') THEN
    DROP TABLE analytics_dirty_hours;
    DROP TABLE analytics_dirty_devices;
    CREATE TABLE analytics_dirty_hours (id bigserial PRIMARY KEY, hour timestamptz NOT NULL);
    CREATE TABLE analytics_dirty_devices (id bigserial PRIMARY KEY, device_id bigint NOT NULL);
    -- Pending marks of the old tables are gone: mark everything, the next refresh rebuilds.
    INSERT INTO analytics_dirty_hours (hour)
      SELECT DISTINCT date_trunc('hour', received_at) FROM events WHERE unit_id IS NOT NULL
      UNION SELECT DISTINCT date_trunc('hour', opened_at) FROM alarms WHERE kind = 'fire' AND unit_id IS NOT NULL
      UNION SELECT DISTINCT date_trunc('hour', sent_at) FROM duty_checks WHERE unit_id IS NOT NULL;
    INSERT INTO analytics_dirty_devices (device_id)
      SELECT DISTINCT device_id FROM events WHERE device_id IS NOT NULL AND kind IN ('host_offline', 'host_online');
  END IF;
END $$;

-- Windows ending near now read only the periods that end inside them or are still open.
CREATE INDEX IF NOT EXISTS analytics_offline_periods_ended_idx ON analytics_offline_periods (ended_at);
CREATE INDEX IF NOT EXISTS analytics_offline_periods_open_idx ON analytics_offline_periods (started_at) WHERE ended_at IS NULL;

DROP FUNCTION IF EXISTS analytics_refresh(integer);


CREATE OR REPLACE FUNCTION analytics_mark_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO analytics_dirty_hours (hour)
    SELECT DISTINCT date_trunc('hour', received_at) FROM new_rows WHERE unit_id IS NOT NULL;
  INSERT INTO analytics_dirty_devices (device_id)
    SELECT DISTINCT device_id FROM new_rows
    WHERE device_id IS NOT NULL AND kind IN ('host_offline', 'host_online');
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION analytics_mark_alarms() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO analytics_dirty_hours (hour)
    SELECT DISTINCT date_trunc('hour', opened_at) FROM new_rows WHERE kind = 'fire' AND unit_id IS NOT NULL;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION analytics_mark_duty_checks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO analytics_dirty_hours (hour)
    SELECT DISTINCT date_trunc('hour', sent_at) FROM new_rows WHERE unit_id IS NOT NULL;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION analytics_window_parts(p_from timestamptz, p_to timestamptz)
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

CREATE OR REPLACE FUNCTION analytics_day_parts(f timestamptz, t timestamptz)
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

CREATE OR REPLACE FUNCTION analytics_unit_facts(p_from timestamptz, p_to timestamptz)
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
