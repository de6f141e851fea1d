-- The event log no longer takes a row lock per inserted event. Its three foreign keys
-- (device, unit, point) each ran a check per row that locked the referenced row
-- (SELECT … FOR KEY SHARE): three lock records in the WAL per event, and shared locks on
-- the same device and unit rows from concurrent ingest transactions turned into multixacts.
-- The log keeps the ids it was written with; what ON DELETE SET NULL did is now one
-- statement-level trigger per referenced table (registry rows are rarely deleted).
-- A row deleted while a batch naming it commits may leave that batch's events with an id
-- that no longer resolves; every reader joins with LEFT JOIN or by id.
ALTER TABLE events
  DROP CONSTRAINT IF EXISTS events_device_id_fkey,
  DROP CONSTRAINT IF EXISTS events_unit_id_fkey,
  DROP CONSTRAINT IF EXISTS events_point_id_fkey;

CREATE FUNCTION events_forget_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'units' THEN
    UPDATE events e SET unit_id = NULL FROM old_rows o WHERE e.unit_id = o.id;
  ELSIF TG_TABLE_NAME = 'devices' THEN
    UPDATE events e SET device_id = NULL FROM old_rows o WHERE e.device_id = o.id;
  ELSE
    UPDATE events e SET point_id = NULL FROM old_rows o WHERE e.point_id = o.id;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER units_forget_events AFTER DELETE ON units
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION events_forget_deleted();
CREATE TRIGGER devices_forget_events AFTER DELETE ON devices
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION events_forget_deleted();
CREATE TRIGGER points_forget_events AFTER DELETE ON points
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION events_forget_deleted();
