-- Scale-out (README "Scale-out"): the events a worker has run through the alarm stage.
-- JetStream delivers at least once (a worker killed before its ack is redelivered to
-- another); the alarm stage inserts the batch's event ids here in its own transaction and
-- applies the rules only to the ids it inserted, so a redelivered event never counts twice.
-- The single-process server (`firelink start`) does not write it.
CREATE TABLE processed_events (
  event_id      bigint PRIMARY KEY,
  processed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX processed_events_at_idx ON processed_events USING brin (processed_at);
