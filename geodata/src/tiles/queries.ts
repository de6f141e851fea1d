// Vector-tile SQL: one query per layer, each returning a single bytea (ST_AsMVT) for tile
// z/x/y in Web Mercator. Geometry is clipped and quantised to a 4096 extent with a 64-unit
// buffer. Layers holding units (units, stations, and unit details on buildings) take the
// caller's scope predicate; basemap layers are public.
//
// The predicate comes from the caller (the backend's scopePredicate, the one enforcement
// point): this module only says which columns it applies to.

/** Appends its parameters to `values` and returns SQL text, like backend/src/auth/scope.ts. */
export type ScopeSql = (cols: { region?: string; unit?: string }, values: unknown[]) => string;

export interface Sql {
  text: string;
  values: unknown[];
}

export const TILE_LAYERS = ['regions', 'landuse', 'water', 'roads', 'buildings', 'units', 'stations', 'water_sources'] as const;
export type TileLayer = (typeof TILE_LAYERS)[number];

/** Layers whose rows say which units exist: scoped by jurisdiction. */
export const SCOPED_LAYERS: ReadonlySet<TileLayer> = new Set(['units', 'stations', 'buildings', 'water_sources']);

/** Lowest zoom at which a layer has content (empty tiles below, cheaply). */
export const MIN_ZOOM: Record<TileLayer, number> = {
  regions: 0,
  landuse: 10,
  water: 6,
  roads: 9,
  buildings: 13,
  units: 6,
  stations: 6,
  // Hydrants every 120 m along every street: street zoom only (tens of thousands per city).
  water_sources: 14,
};
export const MAX_ZOOM = 18;

// Simplification tolerance ≈ half a tile pixel (4096 per tile) in metres at zoom z.
const tolerance = (z: number) => 40075016.68 / 2 ** z / 4096 / 2;

function tileCte(z: number, x: number, y: number, values: unknown[]): string {
  values.push(z, x, y);
  // clip4326: the tile grown by 1/32 on each side (more than the 64/4096 MVT buffer).
  return `bounds AS (SELECT ST_TileEnvelope($1, $2, $3) AS env, ST_Transform(ST_TileEnvelope($1, $2, $3), 4326) AS env4326,
                            ST_Transform(ST_TileEnvelope($1, $2, $3, margin => 0.03125), 4326)::box2d AS clip4326)`;
}

export function tileQuery(layer: TileLayer, z: number, x: number, y: number, scope: ScopeSql): Sql {
  const values: unknown[] = [];
  const bounds = tileCte(z, x, y, values);
  const mvt = (inner: string) =>
    `WITH ${bounds}, mvtgeom AS (${inner}) SELECT ST_AsMVT(mvtgeom.*, '${layer}', 4096, 'geom', 'id') AS tile FROM mvtgeom`;
  // Large polygons (districts, rivers) are first cut to the tile plus a margin in WGS84
  // (ST_ClipByBox2D is cheap), so transforming and simplifying only touch what is shown.
  const geom = (col: string, simplify: boolean) =>
    simplify
      ? `ST_AsMVTGeom(ST_Simplify(ST_Transform(ST_ClipByBox2D(${col}, bounds.clip4326), 3857), ${tolerance(z)}, true), bounds.env, 4096, 64, true)`
      : `ST_AsMVTGeom(ST_Transform(${col}, 3857), bounds.env, 4096, 64, true)`;
  switch (layer) {
    case 'regions': {
      // Cities below zoom 8, districts from 8; the province outline always.
      values.push(z < 8 ? ['province', 'city'] : ['province', 'city', 'district']);
      return {
        text: mvt(`SELECT r.adcode AS id, r.adcode, r.name, r.name_en, r.level, r.parent_adcode, ${geom('r.geom', true)} AS geom
                     FROM regions r, bounds WHERE r.geom && bounds.env4326 AND r.level = ANY($4::text[])`),
        values,
      };
    }
    case 'landuse':
      return {
        text: mvt(`SELECT l.id, l.class, l.name, ${geom('l.geom', true)} AS geom
                     FROM land_use l, bounds WHERE l.geom && bounds.env4326`),
        values,
      };
    case 'water':
      return {
        text: mvt(`SELECT w.id, w.class, w.name, ${geom('w.geom', true)} AS geom
                     FROM water w, bounds WHERE w.geom && bounds.env4326`),
        values,
      };
    case 'roads': {
      // Arterials from zoom 9, every street from 13.
      values.push(z >= 13);
      return {
        text: mvt(`SELECT r.id, r.class, r.name, r.oneway, r.is_bridge, r.speed_kmh, ${geom('r.geom', false)} AS geom
                     FROM roads r, bounds WHERE r.geom && bounds.env4326 AND ($4 OR r.class <> 'local')`),
        values,
      };
    }
    case 'buildings': {
      // Footprints are basemap; the unit living in one is shown only within the caller's scope.
      const pred = scope({ region: 'u.region_adcode', unit: 'u.id' }, values);
      return {
        text: mvt(`SELECT b.id, b.floors_above, b.floors_below, b.height_m, b.synthetic,
                          u.id AS unit_id, u.name AS unit_name, u.category, u.high_risk,
                          ${geom('b.footprint', false)} AS geom
                     FROM buildings b CROSS JOIN bounds
                     LEFT JOIN LATERAL (SELECT u.* FROM units u WHERE u.building_id = b.id AND ${pred}
                                         ORDER BY u.id LIMIT 1) u ON TRUE
                    WHERE b.footprint && bounds.env4326`),
        values,
      };
    }
    case 'units': {
      const pred = scope({ region: 'u.region_adcode', unit: 'u.id' }, values);
      return {
        text: mvt(`SELECT u.id, u.name, u.category, u.high_risk, u.onboarding_state, u.region_adcode,
                          u.building_id, u.synthetic, ${geom('u.point', false)} AS geom
                     FROM units u, bounds WHERE u.point && bounds.env4326 AND ${pred}`),
        values,
      };
    }
    case 'stations': {
      // Stations carry a region, not a unit: a unit-bound caller sees none (fail closed).
      const pred = scope({ region: 's.region_adcode' }, values);
      return {
        text: mvt(`SELECT s.id, s.name, s.class, s.status, s.region_adcode, s.synthetic, ${geom('s.point', false)} AS geom
                     FROM stations s, bounds WHERE s.point && bounds.env4326 AND ${pred}`),
        values,
      };
    }
    case 'water_sources': {
      // Hydrants, pools and natural sources with their status, within the caller's districts.
      const pred = scope({ region: 'w.region_adcode' }, values);
      return {
        text: mvt(`SELECT w.id, w.kind, w.status, w.name, w.flow_lps, ${geom('w.point', false)} AS geom
                     FROM water_sources w, bounds WHERE w.point && bounds.env4326 AND ${pred}`),
        values,
      };
    }
  }
}

export function geodataVersion(): Sql {
  return { text: 'SELECT version::text AS version FROM geodata_state WHERE id = 1', values: [] };
}
