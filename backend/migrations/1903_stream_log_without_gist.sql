-- stream_log loses its GiST index on location. Every stream message (each event, device
-- status and alarm change) inserted a point into it, which doubled the cost of the append
-- (~16 against ~8 µs a row here); the only reader with a place, the replay of a resuming
-- client with a bbox filter, is bounded by the id range it resumes from and reads in id order
-- by the primary key, testing the bbox on those rows.
DROP INDEX IF EXISTS stream_log_location_gix;
