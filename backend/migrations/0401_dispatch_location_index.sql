-- Every geometry column carries a GiST index (foundation rule, checked by migrate.test.ts):
-- dispatches.location from 0400 was missing one.
CREATE INDEX IF NOT EXISTS dispatches_location_gix ON dispatches USING gist (location);
