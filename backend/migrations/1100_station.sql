-- Fire-station workspace (issue 20): water sources, the progress of a dispatch order as
-- the station reports it, and familiarisation (六熟悉) visit records.

-- Water sources: hydrants (消火栓), fire ponds (消防水池) and natural sources (天然水源).
-- Only 'usable' ones are offered as nearest; the others stay on the map with their status.
CREATE TABLE water_sources (
  id             bigserial PRIMARY KEY,
  external_id    text UNIQUE,
  kind           text NOT NULL CHECK (kind IN ('hydrant', 'pool', 'natural')),
  name           text,
  status         text NOT NULL DEFAULT 'usable' CHECK (status IN ('usable', 'out_of_service', 'under_repair')),
  status_changed_at timestamptz,
  -- Hydrant flow (L/s) or pool / natural source capacity (m³), when known.
  flow_lps       real,
  capacity_m3    real,
  address        text,
  note           text,
  point          geometry(Point, 4326) NOT NULL,
  region_adcode  integer REFERENCES regions (adcode),
  synthetic      boolean NOT NULL DEFAULT false,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX water_sources_point_gix ON water_sources USING gist (point);
-- Candidates of the nearest search: usable sources ordered by spherical distance (metres).
CREATE INDEX water_sources_usable_geog_gix ON water_sources USING gist ((point::geography)) WHERE status = 'usable';
CREATE INDEX water_sources_region_idx ON water_sources (region_adcode);

-- The station's reports on a dispatch order: received (acknowledged), turned out, on
-- scene, returning; back and available is released_at (dispatch records, 0400).
ALTER TABLE dispatches ADD COLUMN acknowledged_at timestamptz;
ALTER TABLE dispatches ADD COLUMN turned_out_at timestamptz;
ALTER TABLE dispatches ADD COLUMN on_scene_at timestamptz;
ALTER TABLE dispatches ADD COLUMN returning_at timestamptz;
CREATE INDEX dispatches_station_at_idx ON dispatches (station_id, at DESC);

-- Familiarisation visits (熟悉检查) of a unit by a station: who, when, what was seen.
CREATE TABLE unit_visits (
  id           bigserial PRIMARY KEY,
  unit_id      bigint NOT NULL REFERENCES units (id) ON DELETE CASCADE,
  station_id   bigint REFERENCES stations (id) ON DELETE SET NULL,
  by_user      bigint REFERENCES users (id) ON DELETE SET NULL,
  by_name      text NOT NULL,
  visited_at   timestamptz NOT NULL,
  note         text NOT NULL DEFAULT '',
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX unit_visits_unit_idx ON unit_visits (unit_id, visited_at DESC);

-- Key parts (重点部位) of a unit, by floor: the places a crew must know before it arrives.
CREATE TABLE unit_key_parts (
  id          bigserial PRIMARY KEY,
  unit_id     bigint NOT NULL REFERENCES units (id) ON DELETE CASCADE,
  floor       smallint,
  name        text NOT NULL,
  hazard      text NOT NULL DEFAULT '',
  created_by  bigint REFERENCES users (id) ON DELETE SET NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX unit_key_parts_unit_idx ON unit_key_parts (unit_id);
