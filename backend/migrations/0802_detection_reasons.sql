-- Detection from every signal GB/T 26875.3 carries (issue 17 item 1).
--
-- Why a host is offline: besides 'silent' (no traffic) and 'power' (the UITD's own mains
-- and backup power), the UITD's monitored-line fault ('line_fault', type 21 bit 6: what a
-- switched-off panel looks like while the UITD stays online) and the panel's own mains and
-- backup power ('panel_power', type 1 bits 8 + 9). ingest/src/domain/normalize.ts names them.
ALTER TABLE ingest_device_health DROP CONSTRAINT IF EXISTS ingest_device_health_offline_reason_check;
ALTER TABLE ingest_device_health ADD CONSTRAINT ingest_device_health_offline_reason_check
  CHECK (offline_reason IN ('silent', 'power', 'line_fault', 'panel_power'));

-- Disabled (屏蔽) spells: one row per target from the `disabled` event that set it to the
-- `disabled_cleared` event that ended it (until IS NULL: still disabled). A target is a
-- point (component status, type 2) or a whole facility system (system status, type 1:
-- component_address IS NULL). Written by the pipeline (backend/src/pipeline) from the
-- committed events; read as a risk indicator (disabled points per unit and for how long).
CREATE TABLE IF NOT EXISTS disabled_spells (
  id                 bigserial PRIMARY KEY,
  unit_id            bigint NOT NULL REFERENCES units (id) ON DELETE CASCADE,
  device_id          bigint REFERENCES devices (id) ON DELETE CASCADE,
  point_id           bigint REFERENCES points (id) ON DELETE SET NULL,
  system_type        smallint,
  system_address     smallint,
  component_address  bigint,
  region_adcode      integer,
  since              timestamptz NOT NULL,
  until              timestamptz,
  first_event_id     bigint REFERENCES events (id) ON DELETE SET NULL,
  last_event_id      bigint REFERENCES events (id) ON DELETE SET NULL
);
-- One open spell per target: a repeated `disabled` keeps the first since.
CREATE UNIQUE INDEX IF NOT EXISTS disabled_spells_open_idx
  ON disabled_spells (unit_id, COALESCE(device_id, 0), COALESCE(system_type, -1), COALESCE(system_address, -1), COALESCE(component_address, -1))
  WHERE until IS NULL;
CREATE INDEX IF NOT EXISTS disabled_spells_unit_idx ON disabled_spells (unit_id, since);
