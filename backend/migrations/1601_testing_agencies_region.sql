-- Testing agencies get managed from the supervise screen: the region an agency was
-- registered in (a supervisor registers and edits agencies of their jurisdiction; NULL =
-- registered by an admin for every region), who registered it, and a version for edits.
ALTER TABLE testing_agencies
  ADD COLUMN IF NOT EXISTS region_adcode integer REFERENCES regions (adcode) ON DELETE SET NULL,
  ADD COLUMN IF NOT EXISTS created_by bigint REFERENCES users (id) ON DELETE SET NULL,
  ADD COLUMN IF NOT EXISTS version integer NOT NULL DEFAULT 1;
