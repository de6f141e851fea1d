-- Live alarm pipeline (issue 5): indexes the pipeline, the stream replay and the 119
-- forwarder need, and a record of every delivery attempt.

-- Alarm timeline lookups by event, and "which alarm did this event land in".
CREATE INDEX alarm_events_event_idx ON alarm_events (event_id);

-- The escalation sweep: unacknowledged, not yet escalated fire alarms by age.
CREATE INDEX alarms_fire_unescalated_idx ON alarms (opened_at)
  WHERE kind = 'fire' AND state = 'open' AND escalated_at IS NULL;

-- REST list filters by time.
CREATE INDEX alarms_opened_idx ON alarms (opened_at DESC, id DESC);

-- Every delivery attempt of an outbox message (119 webhook): when, result, how long.
CREATE TABLE outbox_attempts (
  id           bigserial PRIMARY KEY,
  outbox_id    bigint NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
  at           timestamptz NOT NULL DEFAULT now(),
  ok           boolean NOT NULL,
  http_status  integer,
  error        text,
  duration_ms  real
);
CREATE INDEX outbox_attempts_outbox_idx ON outbox_attempts (outbox_id);
CREATE INDEX IF NOT EXISTS outbox_channel_pending_idx ON outbox (channel, next_attempt_at) WHERE status = 'pending';
