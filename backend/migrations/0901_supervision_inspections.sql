-- Supervision, part two: inspections planned by risk band (from the analytics inspection
-- ranking), inspection records with photos, rectification orders and re-inspections, case
-- records (立案查处), dated stage targets per region (annex 1), testing agencies, acceptance
-- records filled from received signals, and scheduled reports.

-- Risk bands of the inspection plan: a unit whose rank (within its district, by the analytics
-- inspection score) falls within the top `upto_pct` percent is inspected every `every_days`.
-- The first band that contains the rank wins; the last band should reach 100.
CREATE TABLE supervision_plan_bands (
  band        text PRIMARY KEY CHECK (band ~ '^[a-z][a-z0-9_]{0,31}$'),
  upto_pct    numeric(5, 2) NOT NULL CHECK (upto_pct > 0 AND upto_pct <= 100),
  every_days  integer NOT NULL CHECK (every_days BETWEEN 1 AND 3650),
  UNIQUE (upto_pct)
);
INSERT INTO supervision_plan_bands (band, upto_pct, every_days) VALUES ('high', 10, 30), ('normal', 100, 90);

-- The plan: one row per unit, regenerated from the ranking; next_due follows the last inspection.
CREATE TABLE supervision_inspection_plan (
  unit_id        bigint PRIMARY KEY REFERENCES units (id) ON DELETE CASCADE,
  band           text NOT NULL,
  every_days     integer NOT NULL,
  score          double precision NOT NULL,
  rank_in_region integer NOT NULL,
  region_units   integer NOT NULL,
  next_due       date NOT NULL,
  generated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX supervision_inspection_plan_due_idx ON supervision_inspection_plan (next_due);

-- An inspection (监督检查). result: 'pass' or 'rectify' (a rectification order with its
-- deadline). A re-inspection names the inspection whose order it checks.
CREATE TABLE supervision_inspections (
  id                  bigserial PRIMARY KEY,
  unit_id             bigint NOT NULL REFERENCES units (id) ON DELETE CASCADE,
  inspector_id        bigint REFERENCES users (id) ON DELETE SET NULL,
  inspector_name      text NOT NULL,
  inspected_on        date NOT NULL,
  -- [{item, ok, note}] the checklist as answered.
  checklist           jsonb NOT NULL DEFAULT '[]'::jsonb,
  findings            text NOT NULL DEFAULT '',
  result              text NOT NULL CHECK (result IN ('pass', 'rectify')),
  order_no            text UNIQUE,
  rectify_by          date,
  rectify_items       text NOT NULL DEFAULT '',
  reinspection_of     bigint REFERENCES supervision_inspections (id) ON DELETE SET NULL,
  -- Set on an order when a re-inspection passed it.
  rectified_on        date,
  planned             boolean NOT NULL DEFAULT false,
  created_at          timestamptz NOT NULL DEFAULT now(),
  CHECK ((result = 'rectify') = (rectify_by IS NOT NULL))
);
CREATE INDEX supervision_inspections_unit_idx ON supervision_inspections (unit_id, inspected_on DESC);
CREATE INDEX supervision_inspections_inspector_idx ON supervision_inspections (inspector_id, inspected_on);
CREATE INDEX supervision_inspections_open_orders_idx ON supervision_inspections (rectify_by) WHERE result = 'rectify' AND rectified_on IS NULL;

-- Photos of an inspection, kept in the database (bytea) with their checked type and size.
CREATE TABLE supervision_inspection_photos (
  id             bigserial PRIMARY KEY,
  inspection_id  bigint NOT NULL REFERENCES supervision_inspections (id) ON DELETE CASCADE,
  mime_type      text NOT NULL CHECK (mime_type IN ('image/jpeg', 'image/png', 'image/webp')),
  bytes          integer NOT NULL CHECK (bytes > 0),
  sha256         text NOT NULL,
  image          bytea NOT NULL,
  caption        text NOT NULL DEFAULT '',
  uploaded_by    bigint REFERENCES users (id) ON DELETE SET NULL,
  uploaded_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX supervision_inspection_photos_idx ON supervision_inspection_photos (inspection_id);

-- A case (立案查处): number, legal basis, outcome.
CREATE TABLE supervision_cases (
  id             bigserial PRIMARY KEY,
  unit_id        bigint NOT NULL REFERENCES units (id) ON DELETE CASCADE,
  case_no        text NOT NULL UNIQUE,
  basis          text NOT NULL,
  facts          text NOT NULL DEFAULT '',
  inspection_id  bigint REFERENCES supervision_inspections (id) ON DELETE SET NULL,
  task_id        bigint REFERENCES supervision_tasks (id) ON DELETE SET NULL,
  state          text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
  outcome        text,
  fine_yuan      numeric(12, 2) CHECK (fine_yuan IS NULL OR fine_yuan >= 0),
  opened_by      bigint REFERENCES users (id) ON DELETE SET NULL,
  opened_on      date NOT NULL,
  closed_on      date,
  version        integer NOT NULL DEFAULT 1,
  CHECK ((state = 'closed') = (outcome IS NOT NULL AND closed_on IS NOT NULL))
);
CREATE INDEX supervision_cases_unit_idx ON supervision_cases (unit_id);

-- Annex-1 stage targets: several dated stages per metric and region (a city code covers its
-- districts; a district's own row wins). metric: high_risk (high-risk units with a control
-- room) or control_room (existing units with a control room, units under construction apart).
CREATE TABLE supervision_stage_targets (
  region_adcode  integer NOT NULL REFERENCES regions (adcode) ON DELETE CASCADE,
  metric         text NOT NULL CHECK (metric IN ('high_risk', 'control_room')),
  due_on         date NOT NULL,
  target_pct     numeric(5, 2) NOT NULL CHECK (target_pct > 0 AND target_pct <= 100),
  PRIMARY KEY (region_adcode, metric, due_on)
);

-- Testing agencies (消防设施检测机构) and which one tested a unit.
CREATE TABLE testing_agencies (
  id          bigserial PRIMARY KEY,
  name        text NOT NULL UNIQUE,
  license_no  text,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE supervision_unit_testing (
  unit_id            bigint PRIMARY KEY REFERENCES units (id) ON DELETE CASCADE,
  testing_agency_id  bigint NOT NULL REFERENCES testing_agencies (id) ON DELETE CASCADE,
  set_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX supervision_unit_testing_agency_idx ON supervision_unit_testing (testing_agency_id);

-- Acceptance record (验收记录) filled from the signals the center received from the device in
-- the test window, signed by the inspector. The collecting maintenance agency is kept to show
-- it did not pass its own unit.
CREATE TABLE supervision_acceptance_records (
  id                   bigserial PRIMARY KEY,
  unit_id              bigint NOT NULL REFERENCES units (id) ON DELETE CASCADE,
  device_id            bigint NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  device_address       bigint NOT NULL,
  window_from          timestamptz NOT NULL,
  window_to            timestamptz NOT NULL,
  -- {fire, fault, supervisory, feedback, dutyCheck}: {received, count, firstAt, eventIds}
  evidence             jsonb NOT NULL,
  result               text NOT NULL CHECK (result IN ('pass', 'fail')),
  inspector_id         bigint REFERENCES users (id) ON DELETE SET NULL,
  inspector_name       text NOT NULL,
  inspector_agency_id  bigint,
  collecting_agency_id bigint,
  testing_agency_id    bigint REFERENCES testing_agencies (id) ON DELETE SET NULL,
  notes                text NOT NULL DEFAULT '',
  signed_at            timestamptz NOT NULL DEFAULT now(),
  CHECK (window_to > window_from),
  CHECK (inspector_agency_id IS NULL OR collecting_agency_id IS NULL OR inspector_agency_id <> collecting_agency_id)
);
CREATE INDEX supervision_acceptance_unit_idx ON supervision_acceptance_records (unit_id, signed_at DESC);

-- Reports made on schedule (daily / weekly / monthly per city and district), kept.
CREATE TABLE supervision_reports (
  id             bigserial PRIMARY KEY,
  period         text NOT NULL CHECK (period IN ('daily', 'weekly', 'monthly')),
  region_adcode  integer NOT NULL REFERENCES regions (adcode) ON DELETE CASCADE,
  period_start   date NOT NULL,
  period_end     date NOT NULL,
  content        jsonb NOT NULL,
  generated_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (period, region_adcode, period_start)
);
