-- FireLink foundation schema. Every geometry is WGS84 (SRID 4326) with a GiST index.
-- Shaped for the whole system; later migrations add columns and tables, numbered by area:
-- 01xx ingest, 02xx geodata, 03xx live alarms, 04xx dispatch, 05xx analytics,
-- 06xx access control, 07xx onboarding.

CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pgrouting;

-- Administrative regions: province, city, district. adcode is the national 6-digit code.
CREATE TABLE regions (
  adcode            integer PRIMARY KEY,
  name              text NOT NULL,
  name_en           text,
  level             text NOT NULL CHECK (level IN ('province', 'city', 'district')),
  parent_adcode     integer REFERENCES regions (adcode),
  geom              geometry(MultiPolygon, 4326),
  label_point       geometry(Point, 4326),
  -- Connection targets (provincial notice): shares in percent and the dates they apply from.
  target_high_risk_pct      numeric(5, 2) DEFAULT 60,
  target_high_risk_date     date,
  target_control_room_pct   numeric(5, 2) DEFAULT 60,
  target_control_room_date  date,
  target_full_date          date,
  source            text,
  updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX regions_geom_gix ON regions USING gist (geom);
CREATE INDEX regions_parent_idx ON regions (parent_adcode);
CREATE INDEX regions_label_point_gix ON regions USING gist (label_point);

CREATE TABLE unit_categories (
  code        text PRIMARY KEY,
  name_zh     text NOT NULL,
  name_en     text NOT NULL,
  high_risk   boolean NOT NULL DEFAULT false
);
INSERT INTO unit_categories (code, name_zh, name_en, high_risk) VALUES
  ('mall', '商场市场', 'Shopping mall / market', true),
  ('hotel', '宾馆饭店', 'Hotel', true),
  ('hospital', '医院', 'Hospital', true),
  ('high_rise', '高层公共建筑', 'High-rise public building', true),
  ('high_rise_residential', '高层住宅', 'High-rise residential', false),
  ('entertainment', '公共娱乐场所', 'Public entertainment venue', true),
  ('school', '学校', 'School', false),
  ('elderly_care', '养老机构', 'Elderly care', true),
  ('office', '办公楼', 'Office building', false),
  ('factory', '工厂', 'Factory', false),
  ('chemical', '易燃易爆单位', 'Flammable/explosive materials site', true),
  ('warehouse', '仓库', 'Warehouse', false),
  ('transport_hub', '交通枢纽', 'Transport hub', true),
  ('cultural', '文物古建', 'Cultural heritage', true),
  ('underground', '地下空间', 'Underground space', true),
  ('other', '其他', 'Other', false);

CREATE TABLE maintenance_agencies (
  id          bigserial PRIMARY KEY,
  name        text NOT NULL UNIQUE,
  phone       text,
  license_no  text,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE buildings (
  id             bigserial PRIMARY KEY,
  external_id    text UNIQUE,
  name           text,
  footprint      geometry(MultiPolygon, 4326) NOT NULL,
  floors_above   smallint NOT NULL DEFAULT 1 CHECK (floors_above >= 0),
  floors_below   smallint NOT NULL DEFAULT 0 CHECK (floors_below >= 0),
  height_m       real,
  region_adcode  integer REFERENCES regions (adcode),
  synthetic      boolean NOT NULL DEFAULT false,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX buildings_footprint_gix ON buildings USING gist (footprint);

CREATE TABLE units (
  id                   bigserial PRIMARY KEY,
  external_id          text UNIQUE,
  name                 text NOT NULL,
  address              text,
  category             text NOT NULL DEFAULT 'other' REFERENCES unit_categories (code),
  high_risk            boolean NOT NULL DEFAULT false,
  has_control_room     boolean NOT NULL DEFAULT true,
  control_room_phone   text,
  -- registered → collecting → verified (on site) → reviewed → open; suspended/closed after.
  onboarding_state     text NOT NULL DEFAULT 'registered'
                       CHECK (onboarding_state IN ('registered', 'collecting', 'verified', 'reviewed', 'open', 'suspended', 'closed')),
  under_construction   boolean NOT NULL DEFAULT false,
  point                geometry(Point, 4326),
  building_id          bigint REFERENCES buildings (id) ON DELETE SET NULL,
  region_adcode        integer REFERENCES regions (adcode),
  h3_r7                text,
  h3_r8                text,
  h3_r9                text,
  -- [{role, name, phone}] responsible persons (消防安全责任人/管理人) and control-room staff.
  contacts             jsonb NOT NULL DEFAULT '[]'::jsonb,
  maintenance_agency_id bigint REFERENCES maintenance_agencies (id),
  -- Verified totals (mandatory before opening): fire detection points, and monitoring
  -- points of the linkage-type controller.
  verified_detection_points  integer,
  verified_linkage_points    integer,
  point_total_note     text,
  drawings_due         date,
  opened_at            timestamptz,
  synthetic            boolean NOT NULL DEFAULT false,
  version              integer NOT NULL DEFAULT 1,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX units_point_gix ON units USING gist (point);
CREATE INDEX units_region_idx ON units (region_adcode);
CREATE INDEX units_state_idx ON units (onboarding_state);
CREATE INDEX units_h3_r7_idx ON units (h3_r7);
CREATE INDEX units_h3_r8_idx ON units (h3_r8);
CREATE INDEX units_h3_r9_idx ON units (h3_r9);
CREATE INDEX units_building_idx ON units (building_id);

-- User information transmission devices (UITD) and other connected devices.
CREATE TABLE devices (
  id               bigserial PRIMARY KEY,
  unit_id          bigint REFERENCES units (id) ON DELETE SET NULL,
  -- GB/T 26875 address: 6 bytes little-endian on the wire, < 2^48, fits a bigint.
  address          bigint NOT NULL,
  protocol         text NOT NULL DEFAULT 'gb26875' CHECK (protocol IN ('gb26875', 'mqtt', 'http')),
  model            text,
  last_seen_at     timestamptz,
  online           boolean NOT NULL DEFAULT false,
  online_changed_at timestamptz,
  last_peer        text,
  protocol_version text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (protocol, address)
);
CREATE INDEX devices_unit_idx ON devices (unit_id);

-- Facility systems behind a device (GB/T 26875 system type + system address).
CREATE TABLE facility_systems (
  id              bigserial PRIMARY KEY,
  device_id       bigint NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  system_type     smallint NOT NULL,
  system_address  smallint NOT NULL,
  label           text,
  status          integer,
  status_at       timestamptz,
  UNIQUE (device_id, system_type, system_address)
);

-- Points (components): detectors, call points, modules, sensors.
CREATE TABLE points (
  id                 bigserial PRIMARY KEY,
  unit_id            bigint NOT NULL REFERENCES units (id) ON DELETE CASCADE,
  system_id          bigint REFERENCES facility_systems (id) ON DELETE CASCADE,
  component_type     smallint NOT NULL,
  -- Raw 4-byte component address; vendors often mean loop (high 2 bytes) + point (low 2).
  component_address  bigint NOT NULL,
  floor              smallint,
  position           geometry(Point, 4326),
  -- Position in the building's floor-plan frame (metres from the plan origin).
  position_local_x   real,
  position_local_y   real,
  label              text,
  -- normal | fire | fault | supervisory | disabled | offline
  state              text NOT NULL DEFAULT 'normal',
  state_changed_at   timestamptz,
  in_fault           boolean NOT NULL DEFAULT false,
  created_at         timestamptz NOT NULL DEFAULT now(),
  UNIQUE (system_id, component_address)
);
CREATE INDEX points_unit_idx ON points (unit_id);
CREATE INDEX points_position_gix ON points USING gist (position);

CREATE TABLE floor_plans (
  id            bigserial PRIMARY KEY,
  building_id   bigint NOT NULL REFERENCES buildings (id) ON DELETE CASCADE,
  floor         smallint NOT NULL,
  image         bytea,
  mime_type     text,
  width_px      integer,
  height_px     integer,
  -- Affine transform from plan pixels to the building frame, as [a, b, c, d, e, f].
  transform     double precision[],
  uploaded_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (building_id, floor)
);

CREATE TABLE stations (
  id             bigserial PRIMARY KEY,
  external_id    text UNIQUE,
  name           text NOT NULL,
  -- special | first | second | small (特勤站, 一级站, 二级站, 小型站)
  class          text NOT NULL DEFAULT 'first',
  point          geometry(Point, 4326) NOT NULL,
  apparatus      jsonb NOT NULL DEFAULT '[]'::jsonb,
  status         text NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'dispatched', 'out_of_service')),
  status_changed_at timestamptz,
  region_adcode  integer REFERENCES regions (adcode),
  phone          text,
  synthetic      boolean NOT NULL DEFAULT false,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stations_point_gix ON stations USING gist (point);

-- Road edges for pgRouting. cost_s/reverse_cost_s are travel times in seconds; a negative
-- reverse cost means one-way (pgRouting's convention).
CREATE TABLE roads (
  id              bigserial PRIMARY KEY,
  external_id     text UNIQUE,
  name            text,
  class           text NOT NULL DEFAULT 'local',
  oneway          smallint NOT NULL DEFAULT 0 CHECK (oneway IN (-1, 0, 1)),
  is_bridge       boolean NOT NULL DEFAULT false,
  speed_kmh       real,
  length_m        double precision,
  source          bigint,
  target          bigint,
  cost_s          double precision,
  reverse_cost_s  double precision,
  geom            geometry(LineString, 4326) NOT NULL,
  synthetic       boolean NOT NULL DEFAULT false
);
CREATE INDEX roads_geom_gix ON roads USING gist (geom);
CREATE INDEX roads_source_idx ON roads (source);
CREATE INDEX roads_target_idx ON roads (target);

CREATE TABLE road_vertices (
  id    bigint PRIMARY KEY,
  geom  geometry(Point, 4326) NOT NULL
);
CREATE INDEX road_vertices_geom_gix ON road_vertices USING gist (geom);

-- Basemap layers imported from OSM-style sources.
CREATE TABLE land_use (
  id           bigserial PRIMARY KEY,
  external_id  text UNIQUE,
  class        text NOT NULL,
  name         text,
  geom         geometry(MultiPolygon, 4326) NOT NULL
);
CREATE INDEX land_use_geom_gix ON land_use USING gist (geom);

CREATE TABLE water (
  id           bigserial PRIMARY KEY,
  external_id  text UNIQUE,
  class        text NOT NULL,
  name         text,
  geom         geometry(MultiPolygon, 4326) NOT NULL
);
CREATE INDEX water_geom_gix ON water USING gist (geom);

-- Frames as received, for frames we could not turn into events (unregistered devices,
-- unknown types, decode errors) and for audit of device traffic.
CREATE TABLE raw_frames (
  id              bigserial PRIMARY KEY,
  received_at     timestamptz NOT NULL DEFAULT now(),
  protocol        text NOT NULL DEFAULT 'gb26875',
  device_address  bigint,
  peer            text,
  reason          text NOT NULL,
  bytes           bytea NOT NULL
);
CREATE INDEX raw_frames_received_idx ON raw_frames (received_at);

-- The one normalized event stream. Inserts are idempotent on dedupe_key
-- (source, device, serial, device time, object index).
CREATE TABLE events (
  id                 bigserial PRIMARY KEY,
  dedupe_key         text NOT NULL UNIQUE,
  source             text NOT NULL,
  kind               text NOT NULL,
  device_id          bigint REFERENCES devices (id) ON DELETE SET NULL,
  device_address     bigint,
  unit_id            bigint REFERENCES units (id) ON DELETE SET NULL,
  point_id           bigint REFERENCES points (id) ON DELETE SET NULL,
  system_type        smallint,
  system_address     smallint,
  component_type     smallint,
  component_address  bigint,
  region_adcode      integer,
  h3_r9              text,
  status             integer,
  value              double precision,
  description        text,
  device_time        timestamptz,
  received_at        timestamptz NOT NULL DEFAULT now(),
  raw                bytea,
  payload            jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX events_received_idx ON events USING brin (received_at);
CREATE INDEX events_unit_time_idx ON events (unit_id, received_at);
CREATE INDEX events_kind_time_idx ON events (kind, received_at);

CREATE TABLE alarms (
  id               bigserial PRIMARY KEY,
  unit_id          bigint REFERENCES units (id) ON DELETE SET NULL,
  device_id        bigint REFERENCES devices (id) ON DELETE SET NULL,
  point_id         bigint REFERENCES points (id) ON DELETE SET NULL,
  kind             text NOT NULL,
  -- 1 fire, 2 host offline, 3 off duty, 4 fault, 5 supervisory (lower is more urgent).
  priority         smallint NOT NULL,
  state            text NOT NULL DEFAULT 'open'
                   CHECK (state IN ('open', 'acknowledged', 'verified', 'dispatched', 'closed')),
  verdict          text CHECK (verdict IN ('fire', 'false_alarm', 'test', 'fault')),
  event_count      integer NOT NULL DEFAULT 1,
  first_event_id   bigint REFERENCES events (id) ON DELETE SET NULL,
  last_event_id    bigint REFERENCES events (id) ON DELETE SET NULL,
  opened_at        timestamptz NOT NULL DEFAULT now(),
  last_seen_at     timestamptz NOT NULL DEFAULT now(),
  cleared_at       timestamptz,
  escalated_at     timestamptz,
  acknowledged_at  timestamptz,
  acknowledged_by  bigint,
  verified_at      timestamptz,
  verified_by      bigint,
  dispatched_at    timestamptz,
  dispatched_by    bigint,
  closed_at        timestamptz,
  closed_by        bigint,
  assigned_to      bigint,
  region_adcode    integer,
  location         geometry(Point, 4326),
  version          integer NOT NULL DEFAULT 1
);
-- One open alarm per unit + point + kind: concurrent duplicate events update, never add.
CREATE UNIQUE INDEX alarms_one_open_idx ON alarms (unit_id, COALESCE(point_id, 0), kind) WHERE state <> 'closed';
CREATE INDEX alarms_state_idx ON alarms (state, priority, opened_at);
CREATE INDEX alarms_location_gix ON alarms USING gist (location);
CREATE INDEX alarms_region_idx ON alarms (region_adcode);

CREATE TABLE alarm_steps (
  id         bigserial PRIMARY KEY,
  alarm_id   bigint NOT NULL REFERENCES alarms (id) ON DELETE CASCADE,
  step       text NOT NULL,
  actor_id   bigint,
  actor_name text,
  at         timestamptz NOT NULL DEFAULT now(),
  note       text
);
CREATE INDEX alarm_steps_alarm_idx ON alarm_steps (alarm_id);

CREATE TABLE alarm_events (
  alarm_id  bigint NOT NULL REFERENCES alarms (id) ON DELETE CASCADE,
  event_id  bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  PRIMARY KEY (alarm_id, event_id)
);

CREATE TABLE dispatches (
  id          bigserial PRIMARY KEY,
  alarm_id    bigint REFERENCES alarms (id) ON DELETE SET NULL,
  station_id  bigint NOT NULL REFERENCES stations (id),
  eta_s       real,
  method      text,
  at          timestamptz NOT NULL DEFAULT now(),
  by_user     bigint,
  released_at timestamptz
);

-- Duty checks (查岗): sent, answered or missed.
CREATE TABLE duty_checks (
  id           bigserial PRIMARY KEY,
  device_id    bigint NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  unit_id      bigint REFERENCES units (id) ON DELETE SET NULL,
  serial       integer,
  sent_at      timestamptz NOT NULL DEFAULT now(),
  timeout_s    integer NOT NULL,
  answered_at  timestamptz,
  response_s   real,
  missed_at    timestamptz
);
CREATE INDEX duty_checks_open_idx ON duty_checks (device_id) WHERE answered_at IS NULL AND missed_at IS NULL;

CREATE TABLE users (
  id             bigserial PRIMARY KEY,
  username       text NOT NULL UNIQUE,
  display_name   text NOT NULL,
  password_hash  text NOT NULL,
  role           text NOT NULL CHECK (role IN ('admin', 'operator', 'dispatcher', 'supervisor', 'station', 'analyst', 'unit_user', 'maintainer')),
  station_id     bigint REFERENCES stations (id),
  maintenance_agency_id bigint REFERENCES maintenance_agencies (id),
  disabled       boolean NOT NULL DEFAULT false,
  demo           boolean NOT NULL DEFAULT false,
  created_at     timestamptz NOT NULL DEFAULT now()
);

-- Jurisdiction: a set of region adcodes (a city code covers its districts).
CREATE TABLE user_regions (
  user_id  bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  adcode   integer NOT NULL REFERENCES regions (adcode),
  PRIMARY KEY (user_id, adcode)
);

-- Unit users and maintainers are bound to units.
CREATE TABLE user_units (
  user_id  bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  unit_id  bigint NOT NULL REFERENCES units (id) ON DELETE CASCADE,
  PRIMARY KEY (user_id, unit_id)
);

CREATE TABLE sessions (
  token_hash    text PRIMARY KEY,
  user_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind          text NOT NULL CHECK (kind IN ('cookie', 'bearer')),
  csrf_token    text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_seen_at  timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

-- Append-only audit log of every state change.
CREATE TABLE audit_log (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  actor_id    bigint,
  actor_name  text,
  ip          text,
  action      text NOT NULL,
  entity      text NOT NULL,
  entity_id   text,
  before      jsonb,
  after       jsonb
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id);
CREATE INDEX audit_log_at_idx ON audit_log (at);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP;
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- Live stream log: every message sent over /ws gets a monotonically increasing id here,
-- so a client that reconnects with its last id can be replayed from the database.
CREATE TABLE stream_log (
  id             bigserial PRIMARY KEY,
  at             timestamptz NOT NULL DEFAULT now(),
  type           text NOT NULL,
  kind           text,
  priority       smallint,
  region_adcode  integer,
  unit_id        bigint,
  location       geometry(Point, 4326),
  payload        jsonb NOT NULL
);
CREATE INDEX stream_log_at_idx ON stream_log USING brin (at);
CREATE INDEX stream_log_location_gix ON stream_log USING gist (location);

-- Outbound messages (119 forwarding webhook, SMS): queued, retried, recorded.
CREATE TABLE outbox (
  id               bigserial PRIMARY KEY,
  channel          text NOT NULL,
  recipient        text,
  payload          jsonb NOT NULL,
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  last_error       text,
  ref_entity       text,
  ref_id           text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  sent_at          timestamptz
);
CREATE INDEX outbox_pending_idx ON outbox (next_attempt_at) WHERE status = 'pending';
