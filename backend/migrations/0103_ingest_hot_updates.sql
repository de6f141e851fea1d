-- Rows the ingest hot path updates in place on every batch (last status words, point
-- states, system statuses, host power) keep free space on their pages, so PostgreSQL can
-- write the new row version next to the old one without new index entries (a HOT update).
-- Without it, each update adds an entry to every index of the table and the index probes
-- of the next batch's read wade through dead versions. The settings apply to pages
-- written from now on; VACUUM FULL or pg_repack applies them to an existing table.
ALTER TABLE ingest_last_status SET (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.05);
ALTER TABLE ingest_device_health SET (fillfactor = 70);
ALTER TABLE points SET (fillfactor = 80, autovacuum_vacuum_scale_factor = 0.05);
ALTER TABLE facility_systems SET (fillfactor = 80);
