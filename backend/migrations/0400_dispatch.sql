-- Dispatch (issue 7): station coverage areas, dispatch bookkeeping, a KNN index on the
-- sphere for station candidates.

-- Stations ordered by spherical distance (`point::geography <-> ...`) use this index, so
-- the candidate prefilter's distances are metres and its lower bound is provable.
CREATE INDEX IF NOT EXISTS stations_point_geog_gix ON stations USING gist ((point::geography));

-- The reachable area of each station within budget_s seconds of dispatch (default 300 s,
-- the national standard's 5 minutes), computed by pgr_drivingDistance on the road
-- network. geom is the union of buffered reachable road parts with enclosed holes filled.
CREATE TABLE station_coverage (
  station_id       bigint PRIMARY KEY REFERENCES stations (id) ON DELETE CASCADE,
  budget_s         real NOT NULL,
  -- 'road' = network isochrone; 'straight' = station off the network: a disc of
  -- budget × straight-line speed ÷ detour factor.
  method           text NOT NULL CHECK (method IN ('road', 'straight')),
  buffer_m         real NOT NULL,
  reached_vertices integer NOT NULL DEFAULT 0,
  geom             geometry(MultiPolygon, 4326),
  computed_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX station_coverage_geom_gix ON station_coverage USING gist (geom);

-- Dispatch records: what was sent, from where (route distance) and why.
ALTER TABLE dispatches ADD COLUMN IF NOT EXISTS distance_m real;
ALTER TABLE dispatches ADD COLUMN IF NOT EXISTS note text;
ALTER TABLE dispatches ADD COLUMN IF NOT EXISTS released_by bigint;
ALTER TABLE dispatches ADD COLUMN IF NOT EXISTS location geometry(Point, 4326);
CREATE INDEX IF NOT EXISTS dispatches_alarm_idx ON dispatches (alarm_id);
CREATE INDEX IF NOT EXISTS dispatches_open_station_idx ON dispatches (station_id) WHERE released_at IS NULL;
CREATE INDEX IF NOT EXISTS stations_region_idx ON stations (region_adcode);
