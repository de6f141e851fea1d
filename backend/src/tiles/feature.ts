// Tiles feature: GET /tiles/{layer}/{z}/{x}/{y}.pbf (Mapbox Vector Tiles from PostGIS) and
// GET /map/style.json (an offline MapLibre style over them).
import { Router, type Response } from 'express';
import { z } from 'zod';
import { scopePredicate, type Principal, type Scope } from '../auth/scope.ts';
import { badRequest, notFound } from '../kernel/errors.ts';
import type { FeatureFactory } from '../kernel/feature.ts';
import { TileCache } from './cache.ts';
import { MAX_ZOOM, MIN_ZOOM, SCOPED_LAYERS, TILE_LAYERS, geodataVersion, tileQuery, type TileLayer } from '@firelink/geodata';
import { buildStyle } from './style.ts';
import { principalOf } from '../auth/principal.ts';

const tileParams = z
  .object({
    layer: z.enum(TILE_LAYERS, { message: `layer must be one of ${TILE_LAYERS.join(', ')}` }),
    z: z.coerce.number().int().min(0).max(MAX_ZOOM),
    x: z.coerce.number().int().min(0),
    file: z.string().regex(/^\d+\.pbf$/, 'the tile name must be {y}.pbf, e.g. /tiles/roads/13/6826/3325.pbf'),
  })
  .transform((p) => ({ ...p, y: Number(p.file.slice(0, -4)) }))
  .refine((p) => p.x < 2 ** p.z && p.y < 2 ** p.z, { message: 'x and y must be below 2^z for the zoom' });

const styleQuery = z.object({ theme: z.enum(['light', 'dark']).default('light') });

/** Anonymous callers see the public basemap and no unit details. */
const NO_UNITS: Scope = { kind: 'units', unitIds: [] };

function scopeKey(scope: Scope): string {
  if (scope.kind === 'all') return 'all';
  if (scope.kind === 'regions') return `r:${[...scope.adcodes].sort((a, b) => a - b).join(',')}`;
  return `u:${[...scope.unitIds].sort((a, b) => a - b).join(',')}`;
}

const CONTENT_TYPE = 'application/vnd.mapbox-vector-tile';

export const tilesFeature: FeatureFactory = (ctx) => {
  const cache = new TileCache(async () => (await ctx.pool.query(geodataVersion())).rows[0]?.version ?? '0');
  const tiles = Router();
  tiles.get('/:layer/:z/:x/:file', async (req, res: Response) => {
    const parsed = tileParams.safeParse(req.params);
    if (!parsed.success) {
      if (!TILE_LAYERS.includes(req.params.layer as TileLayer)) {
        throw notFound(`no tile layer "${req.params.layer}"; layers: ${TILE_LAYERS.join(', ')}`);
      }
      throw badRequest(parsed.error.issues.map((i) => i.message).join('; '));
    }
    const { layer, z: zoom, x, y } = parsed.data;
    const scoped = SCOPED_LAYERS.has(layer);
    let scope: Scope = { kind: 'all' };
    if (scoped) {
      const p = res.locals.principal as Principal | undefined;
      // Units and stations need a login; footprints are public but their unit details are not.
      scope = layer === 'buildings' ? (p?.scope ?? NO_UNITS) : principalOf(res).scope;
    }
    res.set('Content-Type', CONTENT_TYPE);
    res.set('Cache-Control', scoped ? 'private, max-age=60' : 'public, max-age=300');
    if (scoped) res.set('Vary', 'Cookie, Authorization');
    if (zoom < MIN_ZOOM[layer]) {
      res.set('X-Tile-Cache', 'empty');
      res.status(200).end();
      return;
    }
    await cache.sync();
    const key = `${layer}/${zoom}/${x}/${y}|${scoped ? scopeKey(scope) : '-'}`;
    let tile = cache.get(key);
    res.set('X-Tile-Cache', tile ? 'hit' : 'miss');
    if (!tile) {
      const r = await ctx.pool.query(tileQuery(layer, zoom, x, y, (cols, values) => scopePredicate(scope, cols, values)));
      tile = (r.rows[0]?.tile as Buffer | undefined) ?? Buffer.alloc(0);
      cache.set(key, tile);
    }
    res.status(200).end(tile);
  });

  const map = Router();
  map.get('/style.json', (req, res) => {
    const q = styleQuery.safeParse(req.query);
    if (!q.success) throw badRequest('theme must be light or dark, e.g. /map/style.json?theme=dark');
    const origin = `${req.protocol}://${req.get('host')}`;
    res.set('Cache-Control', 'public, max-age=60');
    res.json(buildStyle(origin, q.data.theme));
  });

  return {
    name: 'tiles',
    routers: [
      { path: '/tiles', router: tiles },
      { path: '/map', router: map },
    ],
  };
};
