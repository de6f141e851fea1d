-- Alarm storms (issue #23): flapping points and groups of alarms of one cause.
--
-- flap_count: times the alarm went back into alarm soon after its clearing (reopened within
-- the flap window, or raised again while cleared); a flapping point stays one alarm.
-- cause: the event kind that opened the alarm (mains_power_fault, fault, …): what storms share.
ALTER TABLE alarms ADD COLUMN IF NOT EXISTS flap_count integer NOT NULL DEFAULT 0;
ALTER TABLE alarms ADD COLUMN IF NOT EXISTS trigger_kind text;
-- Alarms of one cause opened recently in a district (storm detection).
CREATE INDEX IF NOT EXISTS alarms_storm_window_idx ON alarms (trigger_kind, region_adcode, opened_at);
CREATE INDEX IF NOT EXISTS alarms_unit_storm_window_idx ON alarms (unit_id, trigger_kind, opened_at);
-- The last auto-closed alarm of a point (flap detection).
CREATE INDEX IF NOT EXISTS alarms_recent_auto_closed_idx ON alarms (unit_id, COALESCE(point_id, 0), kind, closed_at)
  WHERE state = 'closed' AND closed_by IS NULL;

-- scope 'unit': several alarms of one cause in one unit; 'area': many units of one district.
CREATE TABLE IF NOT EXISTS alarm_groups (
  id             bigserial PRIMARY KEY,
  scope          text NOT NULL CHECK (scope IN ('unit', 'area')),
  alarm_kind     text NOT NULL,
  trigger_kind   text NOT NULL,
  region_adcode  integer,
  unit_id        bigint REFERENCES units (id) ON DELETE CASCADE,
  started_at     timestamptz NOT NULL,
  last_at        timestamptz NOT NULL,
  unit_count     integer NOT NULL DEFAULT 0,
  member_count   integer NOT NULL DEFAULT 0,
  ended_at       timestamptz,
  CHECK ((scope = 'unit') = (unit_id IS NOT NULL))
);
-- One active group per scope, cause and place.
CREATE UNIQUE INDEX IF NOT EXISTS alarm_groups_active_idx
  ON alarm_groups (scope, trigger_kind, COALESCE(region_adcode, 0), COALESCE(unit_id, 0)) WHERE ended_at IS NULL;
CREATE INDEX IF NOT EXISTS alarm_groups_last_idx ON alarm_groups (last_at);

CREATE TABLE IF NOT EXISTS alarm_group_members (
  group_id  bigint NOT NULL REFERENCES alarm_groups (id) ON DELETE CASCADE,
  alarm_id  bigint NOT NULL REFERENCES alarms (id) ON DELETE CASCADE,
  -- The member's unit (counting a group's units without reading every member).
  unit_id   bigint,
  PRIMARY KEY (group_id, alarm_id)
);
CREATE INDEX IF NOT EXISTS alarm_group_members_alarm_idx ON alarm_group_members (alarm_id);
CREATE INDEX IF NOT EXISTS alarm_group_members_unit_idx ON alarm_group_members (group_id, unit_id);
