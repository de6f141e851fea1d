-- 六熟悉 pack (issue 20): key parts marked on floor plans, plans (预案) as files, photos of
-- familiarisation visits.

-- A key part's marker on its floor's plan, in plan image pixels from the top left (the
-- plan of floor_plans (building, floor) of the unit's building). Both or neither.
ALTER TABLE unit_key_parts ADD COLUMN plan_x_px real;
ALTER TABLE unit_key_parts ADD COLUMN plan_y_px real;
ALTER TABLE unit_key_parts ADD COLUMN updated_at timestamptz;
ALTER TABLE unit_key_parts ADD CONSTRAINT unit_key_parts_plan_px_check
  CHECK ((plan_x_px IS NULL) = (plan_y_px IS NULL) AND (plan_x_px IS NULL OR floor IS NOT NULL));

-- Files of a unit's pack: 'plan' (预案: PDF or image, per unit) and 'visit_photo' (per visit).
-- Kept in PostgreSQL like floor plans: one backup, one scope check, no file-system paths.
CREATE TABLE unit_files (
  id          bigserial PRIMARY KEY,
  unit_id     bigint NOT NULL REFERENCES units (id) ON DELETE CASCADE,
  kind        text NOT NULL CHECK (kind IN ('plan', 'visit_photo')),
  visit_id    bigint REFERENCES unit_visits (id) ON DELETE CASCADE,
  title       text NOT NULL,
  file_name   text NOT NULL,
  mime_type   text NOT NULL,
  size_bytes  integer NOT NULL CHECK (size_bytes > 0),
  content     bytea NOT NULL,
  station_id  bigint REFERENCES stations (id) ON DELETE SET NULL,
  by_user     bigint REFERENCES users (id) ON DELETE SET NULL,
  by_name     text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'visit_photo') = (visit_id IS NOT NULL))
);
CREATE INDEX unit_files_unit_idx ON unit_files (unit_id, kind, created_at DESC);
CREATE INDEX unit_files_visit_idx ON unit_files (visit_id) WHERE visit_id IS NOT NULL;
