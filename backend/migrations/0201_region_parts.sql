-- Districts cut into small pieces (ST_Subdivide, ≤ 128 vertices each) so point-in-polygon
-- ties (units, stations, buildings → district) use the GiST index on small boxes instead
-- of testing whole district outlines of thousands of vertices. Kept in step by a trigger.
CREATE TABLE region_parts (
  adcode  integer NOT NULL REFERENCES regions (adcode) ON DELETE CASCADE,
  geom    geometry(Polygon, 4326) NOT NULL
);
CREATE INDEX region_parts_geom_gix ON region_parts USING gist (geom);
CREATE INDEX region_parts_adcode_idx ON region_parts (adcode);

CREATE FUNCTION region_parts_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM region_parts WHERE adcode = NEW.adcode;
  IF NEW.level = 'district' AND NEW.geom IS NOT NULL THEN
    INSERT INTO region_parts (adcode, geom)
    SELECT NEW.adcode, (ST_Dump(ST_Subdivide(NEW.geom, 128))).geom;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER regions_parts_sync AFTER INSERT OR UPDATE OF geom, level ON regions
  FOR EACH ROW EXECUTE FUNCTION region_parts_refresh();

INSERT INTO region_parts (adcode, geom)
SELECT adcode, (ST_Dump(ST_Subdivide(geom, 128))).geom FROM regions WHERE level = 'district' AND geom IS NOT NULL;
