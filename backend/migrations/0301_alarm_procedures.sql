-- Alarm procedures (common/src/procedures.ts): each alarm kind is handled by its own
-- steps. The alarm keeps its coarse lifecycle `state` (lists, wall, filters) and gains
-- `stage`, its position in the kind's procedure, plus what the steps recorded.

-- Position in the procedure. Alarms stored before this migration take their state as
-- stage; a non-fire alarm that the old lifecycle had "verified" or "dispatched" continues
-- as acknowledged (its procedure has no such stage).
ALTER TABLE alarms ADD COLUMN IF NOT EXISTS stage text NOT NULL DEFAULT 'open';
UPDATE alarms SET stage = CASE
    WHEN kind = 'fire' OR state IN ('open', 'acknowledged', 'closed') THEN state
    ELSE 'acknowledged' END
  WHERE stage IS DISTINCT FROM state;

-- False-alarm cause (fire) or cause of a host shutdown / missed duty check: a code of the
-- procedure's cause list, so statistics can count by cause.
ALTER TABLE alarms ADD COLUMN IF NOT EXISTS cause text;
-- Rectification (host offline / off duty) or repair (fault) deadline.
ALTER TABLE alarms ADD COLUMN IF NOT EXISTS deadline_at timestamptz;

-- False alarms by cause (GET /api/alarms/false-alarm-causes).
CREATE INDEX IF NOT EXISTS alarms_false_alarm_cause_idx ON alarms (opened_at, cause) WHERE verdict = 'false_alarm';
-- Open alarms past their deadline (the follow-up sweep of the supervision work).
CREATE INDEX IF NOT EXISTS alarms_deadline_idx ON alarms (deadline_at) WHERE state <> 'closed' AND deadline_at IS NOT NULL;

-- What a step recorded beyond its note: {verdict, cause, deadlineAt, callId, stationIds}.
ALTER TABLE alarm_steps ADD COLUMN IF NOT EXISTS detail jsonb;

-- Call records (GB 50440: the center keeps a record of its calls): one row per call a
-- procedure's call step recorded.
CREATE TABLE IF NOT EXISTS alarm_calls (
  id          bigserial PRIMARY KEY,
  alarm_id    bigint NOT NULL REFERENCES alarms (id) ON DELETE CASCADE,
  step_id     bigint REFERENCES alarm_steps (id) ON DELETE SET NULL,
  number      text NOT NULL,
  answered_by text NOT NULL DEFAULT '',
  outcome     text NOT NULL,
  -- length of the call in seconds
  duration_s  integer NOT NULL CHECK (duration_s >= 0),
  actor_id    bigint,
  actor_name  text,
  at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS alarm_calls_alarm_idx ON alarm_calls (alarm_id, at);
