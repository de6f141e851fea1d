// Tie-to-place queries: regions by point-in-polygon, unit footprints by containment or the
// nearest within a tolerance. Each takes an optional id list (null = every row).
// Point-in-polygon runs against region_parts (districts subdivided, migration 0201).
export interface Sql {
  text: string;
  values: unknown[];
}

/** Subdivided parts for districts that have none (new or re-drawn ones). */
export function fillRegionParts(): Sql {
  return {
    text: `INSERT INTO region_parts (adcode, geom)
           SELECT r.adcode, (ST_Dump(ST_Subdivide(r.geom, 128))).geom
             FROM regions r
            WHERE r.level = 'district' AND r.geom IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM region_parts p WHERE p.adcode = r.adcode)`,
    values: [],
  };
}

/** Drops the parts of districts whose outline is about to change (null = all). */
export function clearRegionParts(adcodes: number[] | null): Sql {
  return { text: 'DELETE FROM region_parts WHERE $1::int[] IS NULL OR adcode = ANY($1::int[])', values: [adcodes] };
}

/** Units: district by PostGIS point-in-polygon (ST_Covers, so a point on a border counts). */
export function tieUnitRegions(ids: number[] | null): Sql {
  return {
    text: `UPDATE units u SET region_adcode = r.adcode, updated_at = now()
             FROM region_parts r
            WHERE u.point IS NOT NULL
              AND ($1::bigint[] IS NULL OR u.id = ANY($1::bigint[]))
              AND ST_Covers(r.geom, u.point)
              AND u.region_adcode IS DISTINCT FROM r.adcode`,
    values: [ids],
  };
}

/**
 * Units without a building: the footprint that contains the point, else the nearest
 * footprint within `toleranceM` metres (geography distance).
 */
export function tieUnitBuildings(ids: number[] | null, toleranceM: number): Sql {
  return {
    text: `UPDATE units u SET building_id = t.building_id, updated_at = now()
             FROM (SELECT x.id,
                          (SELECT b.id FROM buildings b
                            -- The box prefilter (metres → degrees at the unit's latitude) lets the
                            -- GiST index work; the geography test is exact.
                            WHERE b.footprint && ST_Expand(x.point, $2 / (111320 * cos(radians(ST_Y(x.point)))), $2 / 110574.0)
                              AND ST_DWithin(b.footprint::geography, x.point::geography, $2)
                            ORDER BY ST_Covers(b.footprint, x.point) DESC, b.footprint <-> x.point, b.id
                            LIMIT 1) AS building_id
                     FROM units x
                    WHERE x.building_id IS NULL AND x.point IS NOT NULL
                      AND ($1::bigint[] IS NULL OR x.id = ANY($1::bigint[]))) t
            WHERE t.id = u.id AND t.building_id IS NOT NULL`,
    values: [ids, toleranceM],
  };
}

export function tieBuildingRegions(ids: number[] | null): Sql {
  return {
    text: `UPDATE buildings b SET region_adcode = r.adcode
             FROM region_parts r
            WHERE TRUE
              AND ($1::bigint[] IS NULL OR b.id = ANY($1::bigint[]))
              AND ST_Covers(r.geom, ST_PointOnSurface(b.footprint))
              AND b.region_adcode IS DISTINCT FROM r.adcode`,
    values: [ids],
  };
}

export function tieStationRegions(ids: number[] | null): Sql {
  return {
    text: `UPDATE stations s SET region_adcode = r.adcode
             FROM region_parts r
            WHERE TRUE
              AND ($1::bigint[] IS NULL OR s.id = ANY($1::bigint[]))
              AND ST_Covers(r.geom, s.point)
              AND s.region_adcode IS DISTINCT FROM r.adcode`,
    values: [ids],
  };
}

/** What could not be tied, per kind (the tie report). */
export function untiedReport(ids: { units: number[] | null; stations: number[] | null; buildings: number[] | null }): Sql {
  return {
    text: `SELECT 'unit' AS kind, id, external_id, name,
                  CASE WHEN point IS NULL THEN 'no coordinates'
                       WHEN region_adcode IS NULL THEN 'point lies in no known district'
                       ELSE 'no building footprint contains it or lies within the tolerance' END AS reason
             FROM units
            WHERE ($1::bigint[] IS NULL OR id = ANY($1::bigint[]))
              AND (point IS NULL OR region_adcode IS NULL OR building_id IS NULL)
           UNION ALL
           SELECT 'station', id, external_id, name, 'point lies in no known district'
             FROM stations WHERE ($2::bigint[] IS NULL OR id = ANY($2::bigint[])) AND region_adcode IS NULL
           UNION ALL
           SELECT 'building', id, external_id, name, 'footprint lies in no known district'
             FROM buildings WHERE ($3::bigint[] IS NULL OR id = ANY($3::bigint[])) AND region_adcode IS NULL
           ORDER BY 1, 2`,
    values: [ids.units, ids.stations, ids.buildings],
  };
}

export function bumpGeodataVersion(): Sql {
  return { text: 'UPDATE geodata_state SET version = version + 1, updated_at = now() WHERE id = 1 RETURNING version', values: [] };
}
