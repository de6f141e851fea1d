-- Districts cut into small pieces (ST_Subdivide, ≤ 128 vertices each) so point-in-polygon
-- ties (units, stations, buildings → district) use the GiST index on small boxes instead
-- of testing whole district outlines of thousands of vertices. Filled by the geodata tie
-- code for districts that have no parts yet; loaders that change a district's outline
-- delete its parts first. (A per-row trigger did the same but cost ~9 s per full load.)
CREATE TABLE region_parts (
  adcode  integer NOT NULL REFERENCES regions (adcode) ON DELETE CASCADE,
  geom    geometry(Polygon, 4326) NOT NULL
);
CREATE INDEX region_parts_geom_gix ON region_parts USING gist (geom);
CREATE INDEX region_parts_adcode_idx ON region_parts (adcode);
