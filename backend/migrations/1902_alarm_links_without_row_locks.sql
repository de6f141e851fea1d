-- The alarm rules' bulk rows no longer check a foreign key per row. In a 3,000 frames/s
-- storm each batch links ~2,000 events and writes ~2,000 steps to the alarms it has just
-- opened, cleared or reopened; the foreign keys of alarm_events, alarm_steps and
-- alarm_group_members to alarms ran one referential check per row (a SELECT … FOR KEY
-- SHARE of the alarm row), which doubled the cost of those inserts, the largest statements
-- of the alarm stage. The rows are written only for alarms the same transaction has just
-- written; what ON DELETE CASCADE did (alarms are not deleted by FireLink; a manual DELETE
-- or a cleanup still removes their rows) is now one statement-level trigger.
ALTER TABLE alarm_events DROP CONSTRAINT IF EXISTS alarm_events_alarm_id_fkey;
ALTER TABLE alarm_steps DROP CONSTRAINT IF EXISTS alarm_steps_alarm_id_fkey;
ALTER TABLE alarm_group_members DROP CONSTRAINT IF EXISTS alarm_group_members_alarm_id_fkey;

CREATE FUNCTION alarms_forget_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM alarm_events x USING old_rows o WHERE x.alarm_id = o.id;
  DELETE FROM alarm_steps x USING old_rows o WHERE x.alarm_id = o.id;
  DELETE FROM alarm_group_members x USING old_rows o WHERE x.alarm_id = o.id;
  RETURN NULL;
END $$;

CREATE TRIGGER alarms_forget_deleted AFTER DELETE ON alarms
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION alarms_forget_deleted();
