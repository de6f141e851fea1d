-- Duty operations of the monitoring center (GB 50440 records): the shift roster, shift
-- handovers (交接班登记表), the duty log (值班日志) and the daily communication test with
-- the 119 center's terminal. A "post" is a jurisdiction region (district, city or
-- province adcode) whose alarms the shift watches.

-- Who is on duty when, per post.
CREATE TABLE duty_shifts (
  id             bigserial PRIMARY KEY,
  region_adcode  integer NOT NULL REFERENCES regions (adcode),
  user_id        bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- operator = 值班员, chief = 值班长
  duty_role      text NOT NULL DEFAULT 'operator' CHECK (duty_role IN ('operator', 'chief')),
  starts_at      timestamptz NOT NULL,
  ends_at        timestamptz NOT NULL,
  note           text NOT NULL DEFAULT '',
  created_by     bigint REFERENCES users (id) ON DELETE SET NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  CHECK (ends_at > starts_at)
);
CREATE INDEX duty_shifts_region_time_idx ON duty_shifts (region_adcode, starts_at);
CREATE INDEX duty_shifts_user_idx ON duty_shifts (user_id, starts_at);

-- A handover from the outgoing to the incoming operator. The alarm lists and the summary
-- are frozen when it is created: the register of what was handed over, not a live view.
CREATE TABLE duty_handovers (
  id                 bigserial PRIMARY KEY,
  region_adcode      integer NOT NULL REFERENCES regions (adcode),
  from_user_id       bigint REFERENCES users (id) ON DELETE SET NULL,
  from_name          text NOT NULL,
  -- The intended incoming operator; null = anyone on duty for the post may accept.
  to_user_id         bigint REFERENCES users (id) ON DELETE SET NULL,
  shift_start        timestamptz NOT NULL,
  shift_end          timestamptz NOT NULL,
  notes              text NOT NULL DEFAULT '',
  -- [{id, kind, state, unitName, openedAt, ...}] open alarms at handover
  open_alarms        jsonb NOT NULL DEFAULT '[]'::jsonb,
  -- open alarms older than pending_after_h hours: follow-ups the next shift must chase
  pending_alarms     jsonb NOT NULL DEFAULT '[]'::jsonb,
  pending_after_h    integer NOT NULL,
  -- counts of the shift window: alarms by kind, verdicts, false alarms, closed, log entries
  summary            jsonb NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  accepted_at        timestamptz,
  accepted_by        bigint REFERENCES users (id) ON DELETE SET NULL,
  accepted_name      text,
  accept_note        text,
  CHECK (shift_end > shift_start)
);
-- At most one handover waiting for acceptance per post.
CREATE UNIQUE INDEX duty_handovers_one_pending_idx ON duty_handovers (region_adcode) WHERE accepted_at IS NULL;
CREATE INDEX duty_handovers_region_idx ON duty_handovers (region_adcode, created_at DESC);

-- The duty log: free text from operators and automatic entries (handovers, comm tests).
-- region_adcode null = the whole center (the 119 communication test has one endpoint).
CREATE TABLE duty_log (
  id             bigserial PRIMARY KEY,
  region_adcode  integer REFERENCES regions (adcode),
  at             timestamptz NOT NULL DEFAULT now(),
  entry_kind     text NOT NULL CHECK (entry_kind IN ('note', 'handover_created', 'handover_accepted', 'comm_test_ok', 'comm_test_failed', 'comm_test_recovered')),
  actor_id       bigint REFERENCES users (id) ON DELETE SET NULL,
  actor_name     text NOT NULL,
  text           text NOT NULL,
  ref_entity     text,
  ref_id         text
);
CREATE INDEX duty_log_region_at_idx ON duty_log (region_adcode, at DESC);
CREATE INDEX duty_log_at_idx ON duty_log (at DESC);

-- Communication tests with the 119 terminal (the forwarding endpoint).
CREATE TABLE duty_comm_tests (
  id             bigserial PRIMARY KEY,
  trigger        text NOT NULL CHECK (trigger IN ('scheduled', 'manual')),
  -- The Shanghai date a scheduled test belongs to: one per day, whichever node claims it first.
  scheduled_day  date,
  actor_id       bigint REFERENCES users (id) ON DELETE SET NULL,
  actor_name     text NOT NULL,
  started_at     timestamptz NOT NULL DEFAULT now(),
  finished_at    timestamptz,
  ok             boolean,
  http_status    integer,
  error          text,
  duration_ms    real,
  CHECK ((trigger = 'scheduled') = (scheduled_day IS NOT NULL))
);
CREATE UNIQUE INDEX duty_comm_tests_day_idx ON duty_comm_tests (scheduled_day) WHERE scheduled_day IS NOT NULL;
CREATE INDEX duty_comm_tests_started_idx ON duty_comm_tests (started_at DESC);

-- The alarm handling register filters alarms by the operator who took a step.
CREATE INDEX IF NOT EXISTS alarm_steps_actor_idx ON alarm_steps (actor_id, alarm_id) WHERE actor_id IS NOT NULL;
