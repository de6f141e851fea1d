import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { seedDemoSubset, wgs84ToEpsg3857 } from '@firelink/geodata';
import type { Principal } from '../auth/scope.ts';
import { principalsByHeader, startTestServer, type TestServer } from '../devtools/test-support.ts';
import { tilesFeature } from './feature.ts';
import { bumpTilesVersionQuery } from '../water/queries.ts';
import { TileCache, VERSION_CHECK_MS } from './cache.ts';

/** Slippy-map tile containing a WGS84 point. */
function tileOf(lon: number, lat: number, z: number): [number, number] {
  const n = 2 ** z;
  const [mx, my] = wgs84ToEpsg3857(lon, lat);
  const half = 20037508.342789244;
  return [Math.floor(((mx + half) / (2 * half)) * n), Math.floor(((half - my) / (2 * half)) * n)];
}

describe('vector tiles and style', () => {
  let db: TestDatabase;
  let server: TestServer;
  let base: string;
  // The test picks the caller per request with the x-test-principal header.
  const principals: Record<string, Principal> = {
    admin: { userId: 1, username: 'admin', role: 'admin', scope: { kind: 'all' } },
    xuanwu: { userId: 2, username: 'xw', role: 'supervisor', scope: { kind: 'regions', adcodes: [320102] } },
    suzhou: { userId: 3, username: 'sz', role: 'supervisor', scope: { kind: 'regions', adcodes: [320500] } },
  };
  const callers = principalsByHeader(principals, 'x-test-principal');
  let unit: { id: number; lon: number; lat: number; region: number; building: number };

  before(async () => {
    db = await createTestDatabase('tiles');
    await seedDemoSubset(db.pool, { units: 40, maxPointsPerUnit: 50 });
    const r = await db.pool.query(
      `SELECT id::int, ST_X(point) AS lon, ST_Y(point) AS lat, region_adcode AS region, building_id::int AS building
         FROM units WHERE region_adcode = 320102 ORDER BY id LIMIT 1`,
    );
    unit = r.rows[0];
    assert.ok(unit, 'the subset has a unit in 玄武区');
    server = await startTestServer(db.url, [tilesFeature], { before: [callers.before] });
    base = server.base;
  });
  after(async () => {
    await server?.close();
    await db?.drop();
  });

  async function tile(layer: string, z: number, lon: number, lat: number, who?: string) {
    const [x, y] = tileOf(lon, lat, z);
    const res = await fetch(`${base}/tiles/${layer}/${z}/${x}/${y}.pbf`, { headers: callers.as(who ?? null)?.headers ?? {} });
    if (res.status !== 200) return { res, features: [] };
    const buf = new Uint8Array(await res.arrayBuffer());
    const vt = new VectorTile(new PbfReader(buf));
    const l = vt.layers[layer];
    const features = l ? Array.from({ length: l.length }, (_, i) => l.feature(i)) : [];
    return { res, features };
  }

  it('units tile holds the unit, scoped by jurisdiction', async () => {
    const admin = await tile('units', 14, unit.lon, unit.lat, 'admin');
    assert.equal(admin.res.status, 200);
    assert.equal(admin.res.headers.get('content-type'), 'application/vnd.mapbox-vector-tile');
    assert.match(admin.res.headers.get('cache-control') ?? '', /private/);
    const f = admin.features.find((x) => x.id === unit.id);
    assert.ok(f, 'the unit is in its tile');
    assert.equal(f.properties.region_adcode, 320102);
    assert.equal(f.type, 1);
    // Its decoded position is the unit's point, to within a tile pixel.
    const gj = f.toGeoJSON(...tileOf(unit.lon, unit.lat, 14), 14);
    const [lon, lat] = (gj.geometry as { coordinates: number[] }).coordinates as [number, number];
    assert.ok(Math.abs(lon - unit.lon) < 1e-4 && Math.abs(lat - unit.lat) < 1e-4);
    const xw = await tile('units', 14, unit.lon, unit.lat, 'xuanwu');
    assert.ok(xw.features.some((x) => x.id === unit.id));
    assert.ok(xw.features.every((x) => x.properties.region_adcode === 320102));
    const sz = await tile('units', 14, unit.lon, unit.lat, 'suzhou');
    assert.equal(sz.features.length, 0, 'a Suzhou supervisor sees no Nanjing unit');
    const anon = await tile('units', 14, unit.lon, unit.lat);
    assert.equal(anon.res.status, 401);
  });

  it('buildings are public but unit details only within scope', async () => {
    const admin = await tile('buildings', 16, unit.lon, unit.lat, 'admin');
    const b = admin.features.find((x) => x.id === unit.building);
    assert.ok(b, 'the footprint is in the tile');
    assert.equal(b.type, 3);
    assert.equal(b.properties.unit_id, unit.id);
    const anon = await tile('buildings', 16, unit.lon, unit.lat);
    assert.equal(anon.res.status, 200);
    const a = anon.features.find((x) => x.id === unit.building);
    assert.ok(a && a.properties.unit_id === undefined && a.properties.unit_name === undefined);
    const sz = await tile('buildings', 16, unit.lon, unit.lat, 'suzhou');
    assert.equal(sz.features.find((x) => x.id === unit.building)?.properties.unit_id, undefined);
  });

  it('regions, roads, water and stations tiles decode with the expected features', async () => {
    const regions = await tile('regions', 9, 118.784, 32.041);
    const names = regions.features.map((f) => f.properties.name);
    assert.ok(names.includes('玄武区') && names.includes('秦淮区') && names.includes('南京市'), names.join(','));
    assert.match(regions.res.headers.get('cache-control') ?? '', /public/);
    const roads10 = await tile('roads', 10, 118.784, 32.041);
    assert.ok(roads10.features.length > 20 && roads10.features.every((f) => f.properties.class === 'arterial'));
    const roads14 = await tile('roads', 14, 118.784, 32.041);
    assert.ok(roads14.features.some((f) => f.properties.class === 'local'));
    assert.ok(roads14.features.some((f) => f.properties.oneway === 1));
    const water = await tile('water', 11, 118.745, 32.11);
    assert.ok(water.features.some((f) => String(f.properties.name).startsWith('长江')));
    const stations = await tile('stations', 9, 118.784, 32.041, 'admin');
    assert.ok(stations.features.length >= 20);
    const xwStations = await tile('stations', 9, 118.784, 32.041, 'xuanwu');
    assert.ok(xwStations.features.length > 0 && xwStations.features.length < stations.features.length);
  });

  it('water sources: a street-zoom layer with kind and status, in the caller\'s districts, fresh after a status change', async () => {
    const h = (await db.pool.query(`SELECT id::int, ST_X(point) AS lon, ST_Y(point) AS lat FROM water_sources WHERE region_adcode = 320102 AND kind = 'hydrant' ORDER BY id LIMIT 1`)).rows[0];
    assert.ok(h, 'the demo has hydrants in 玄武区');
    const t = await tile('water_sources', 15, h.lon, h.lat, 'admin');
    const f = t.features.find((x) => x.id === h.id);
    assert.ok(f, `hydrant ${h.id} in its z15 tile (${t.features.length} features)`);
    assert.equal(f.properties.kind, 'hydrant');
    assert.equal(f.properties.status, 'usable');
    assert.ok(t.features.some((x) => x.id === h.id) && (await tile('water_sources', 15, h.lon, h.lat, 'xuanwu')).features.some((x) => x.id === h.id));
    assert.equal((await tile('water_sources', 15, h.lon, h.lat, 'suzhou')).features.length, 0, 'another city sees none');
    assert.equal((await tile('water_sources', 13, h.lon, h.lat, 'admin')).features.length, 0, 'below zoom 14: empty');
    assert.equal((await fetch(`${base}/tiles/water_sources/15/0/0.pbf`)).status, 401, 'a login is needed');
    // A status change (POST /api/water/sources/:id/status does both in one transaction) reaches the cached tile.
    await db.pool.query(`UPDATE water_sources SET status = 'out_of_service' WHERE id = $1`, [h.id]);
    await db.pool.query(bumpTilesVersionQuery());
    await new Promise((r) => setTimeout(r, VERSION_CHECK_MS + 200));
    const after2 = await tile('water_sources', 15, h.lon, h.lat, 'admin');
    assert.equal(after2.features.find((x) => x.id === h.id)?.properties.status, 'out_of_service');
  });

  it('caches tiles and drops the cache when the geodata version moves', async () => {
    const [x, y] = tileOf(118.784, 32.041, 12);
    const url = `${base}/tiles/roads/12/${x}/${y}.pbf`;
    await fetch(url);
    const second = await fetch(url);
    assert.equal(second.headers.get('x-tile-cache'), 'hit');
    // A fake clock shows the version check rule without waiting.
    let version = '1';
    let now = 0;
    const cache = new TileCache(async () => version, () => now);
    await cache.sync();
    cache.set('k', Buffer.from([1]));
    version = '2';
    now = 1000;
    await cache.sync();
    assert.ok(cache.get('k'), 'not re-checked within VERSION_CHECK_MS');
    now = 5000;
    await cache.sync();
    assert.equal(cache.get('k'), undefined, 'cleared after the version moved');
  });

  it('rejects bad tile addresses with a hint', async () => {
    assert.equal((await fetch(`${base}/tiles/nope/1/0/0.pbf`)).status, 404);
    const res = await fetch(`${base}/tiles/roads/2/9/0.pbf`);
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { message: string }).message, /below 2\^z/);
  });

  it('serves an offline style: no external URL, no glyphs, no sprite, no symbol layer', async () => {
    const res = await fetch(`${base}/map/style.json?theme=dark`);
    assert.equal(res.status, 200);
    const style = (await res.json()) as { version: number; glyphs?: string; sprite?: string; sources: Record<string, { tiles: string[] }>; layers: Array<{ type: string; source?: string }> };
    assert.equal(style.version, 8);
    assert.equal(style.glyphs, undefined);
    assert.equal(style.sprite, undefined);
    assert.ok(style.layers.every((l) => l.type !== 'symbol'));
    const urls = JSON.stringify(style).match(/https?:\/\/[^"]+/g) ?? [];
    assert.ok(urls.length > 0 && urls.every((u) => u.startsWith(base)), urls.join(' '));
    for (const l of style.layers) if (l.source) assert.ok(style.sources[l.source], `source ${l.source} exists`);
    assert.equal((await fetch(`${base}/map/style.json?theme=pink`)).status, 400);
  });
});
