-- Geodata (issue 4): tile-cache invalidation counter, external ids for imported points,
-- and an index for the nearest-footprint tie.

-- Bumped by every import and by the demo seed; tile servers compare it to drop their cache.
CREATE TABLE geodata_state (
  id          smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  version     bigint NOT NULL DEFAULT 0,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO geodata_state (id, version) VALUES (1, 0);

ALTER TABLE points ADD COLUMN external_id text UNIQUE;
ALTER TABLE land_use ADD COLUMN synthetic boolean NOT NULL DEFAULT false;
ALTER TABLE water ADD COLUMN synthetic boolean NOT NULL DEFAULT false;
CREATE INDEX roads_class_idx ON roads (class);
CREATE INDEX buildings_region_idx ON buildings (region_adcode);
CREATE INDEX stations_region_idx ON stations (region_adcode);
