-- Which network addresses may speak for a device. GB/T 26875.3 has no authentication: a
-- peer that writes a registered address is believed. A device with allowed_peers only
-- has its frames accepted from those addresses (IPv4/IPv6 hosts or networks); NULL = any
-- (the default, as before).
ALTER TABLE devices ADD COLUMN allowed_peers cidr[];

-- The ingest listener reloads the allowlists at once when devices change (LISTEN), not only
-- on its 30-second timer; one statement, one notification.
CREATE FUNCTION notify_devices_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('firelink_devices_changed', '');
  RETURN NULL;
END $$;
CREATE TRIGGER devices_changed_notify AFTER INSERT OR DELETE OR UPDATE OF allowed_peers, address, unit_id ON devices
  FOR EACH STATEMENT EXECUTE FUNCTION notify_devices_changed();
