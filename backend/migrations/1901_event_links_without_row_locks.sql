-- Alarms and disabled spells link to events without a row lock per link. Their foreign
-- keys to events (alarms.first_event_id / last_event_id, alarm_events.event_id,
-- disabled_spells.first_event_id / last_event_id) locked every linked event row
-- (SELECT … FOR KEY SHARE): the alarm rules wrote lock records into the newest pages of
-- events, the pages ingest is appending to, once per alarm-producing event. Events are an
-- append-only record that nothing in FireLink deletes; a manual DELETE still clears or
-- removes the links, now by one statement-level trigger.
ALTER TABLE alarms
  DROP CONSTRAINT IF EXISTS alarms_first_event_id_fkey,
  DROP CONSTRAINT IF EXISTS alarms_last_event_id_fkey;
ALTER TABLE alarm_events DROP CONSTRAINT IF EXISTS alarm_events_event_id_fkey;
ALTER TABLE disabled_spells
  DROP CONSTRAINT IF EXISTS disabled_spells_first_event_id_fkey,
  DROP CONSTRAINT IF EXISTS disabled_spells_last_event_id_fkey;

CREATE FUNCTION events_unlink_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM alarm_events a USING old_rows o WHERE a.event_id = o.id;
  UPDATE alarms a SET first_event_id = NULL FROM old_rows o WHERE a.first_event_id = o.id;
  UPDATE alarms a SET last_event_id = NULL FROM old_rows o WHERE a.last_event_id = o.id;
  UPDATE disabled_spells s SET first_event_id = NULL FROM old_rows o WHERE s.first_event_id = o.id;
  UPDATE disabled_spells s SET last_event_id = NULL FROM old_rows o WHERE s.last_event_id = o.id;
  RETURN NULL;
END $$;

CREATE TRIGGER events_unlink_deleted AFTER DELETE ON events
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION events_unlink_deleted();
