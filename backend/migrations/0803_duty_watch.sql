-- Duty operations, continued (issue 17 items 3 and 4): nobody watching, operator-initiated
-- duty checks, device clock drift, overdue procedure deadlines, duty alerts.

-- "Nobody watching is an alarm": a staffed post (someone rostered now) with no operator
-- desk (screen 'desk') or no wall (screen 'wall') connected to the live stream for longer
-- than CENTER_UNATTENDED_AFTER_S. Open while cleared_at IS NULL; cleared when one returns.
CREATE TABLE IF NOT EXISTS duty_unattended (
  id             bigserial PRIMARY KEY,
  region_adcode  integer NOT NULL REFERENCES regions (adcode),
  screen         text NOT NULL CHECK (screen IN ('desk', 'wall')),
  -- The last moment a screen of this kind was seen (or the watch started).
  absent_since   timestamptz NOT NULL,
  raised_at      timestamptz NOT NULL,
  cleared_at     timestamptz,
  -- duty_alert messages queued for the duty chiefs
  notified       integer NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS duty_unattended_open_idx ON duty_unattended (region_adcode, screen) WHERE cleared_at IS NULL;
CREATE INDEX IF NOT EXISTS duty_unattended_raised_idx ON duty_unattended (raised_at DESC);

-- The duty chief's mobile for this shift: where duty alerts (channel duty_alert) go.
ALTER TABLE duty_shifts ADD COLUMN IF NOT EXISTS phone text;

ALTER TABLE duty_log DROP CONSTRAINT IF EXISTS duty_log_entry_kind_check;
ALTER TABLE duty_log ADD CONSTRAINT duty_log_entry_kind_check CHECK (entry_kind IN (
  'note', 'handover_created', 'handover_accepted', 'comm_test_ok', 'comm_test_failed', 'comm_test_recovered',
  'center_unattended', 'center_attended', 'duty_check_requested', 'deadline_overdue'));

-- Duty checks (查岗) an operator asks for from the desk. The ingest side (DutyChecks) sends
-- them on its next tick to the unit's connected devices and links the duty_checks row.
CREATE TABLE IF NOT EXISTS duty_check_requests (
  id              bigserial PRIMARY KEY,
  unit_id         bigint NOT NULL REFERENCES units (id) ON DELETE CASCADE,
  requested_by    bigint REFERENCES users (id) ON DELETE SET NULL,
  requested_name  text NOT NULL,
  requested_at    timestamptz NOT NULL DEFAULT now(),
  processed_at    timestamptz,
  -- sent | not_connected (no device of the unit is connected) 
  outcome         text CHECK (outcome IN ('sent', 'not_connected')),
  duty_check_id   bigint REFERENCES duty_checks (id) ON DELETE SET NULL
);
CREATE INDEX IF NOT EXISTS duty_check_requests_pending_idx ON duty_check_requests (requested_at) WHERE processed_at IS NULL;

-- Device clock drift (GB 50440: unified clock, error ≤ 5 s), measured at each clock sync
-- from the device's latest frame: its header time label (the device clock, Asia/Shanghai)
-- against when the center received it. drift_ms > 0: the device clock is ahead.
CREATE TABLE IF NOT EXISTS device_clock_checks (
  id               bigserial PRIMARY KEY,
  device_id        bigint NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  checked_at       timestamptz NOT NULL,
  frame_received_at timestamptz NOT NULL,
  device_time      text NOT NULL,
  drift_ms         bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS device_clock_checks_device_idx ON device_clock_checks (device_id, checked_at DESC);

-- Overdue procedure deadlines: one reminder per alarm and deadline.
CREATE TABLE IF NOT EXISTS alarm_deadline_reminders (
  alarm_id     bigint NOT NULL REFERENCES alarms (id) ON DELETE CASCADE,
  deadline_at  timestamptz NOT NULL,
  reminded_at  timestamptz NOT NULL,
  messages     integer NOT NULL DEFAULT 0,
  task_id      bigint,
  PRIMARY KEY (alarm_id, deadline_at)
);
