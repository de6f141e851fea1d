// `npm run bench:geo`: seeds the full demo city (timed), then measures vector-tile
// generation p50/p99 at zooms 10, 13 and 16 over it (all seven layers of a tile, straight
// from PostGIS, no cache), and import throughput for 100,000 building footprints.
// Flags: --quick (fewer tiles, 10,000 footprints), --buildings N, --tiles N (per zoom).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { BenchContext } from '@firelink/common/testing';
import { wgs84ToEpsg3857 } from '../src/crs/index.ts';
import { seededRandom } from '@firelink/common';
import { seedDemo } from '../src/demo/seed.ts';
import { importFile } from '../src/import/import.ts';
import { MIN_ZOOM, TILE_LAYERS, tileQuery, type ScopeSql } from '../src/tiles/queries.ts';
import { percentile, positiveArg } from '../../ingest/bench/machine.ts';

function tileOf(lon: number, lat: number, z: number): [number, number] {
  const half = 20037508.342789244;
  const [mx, my] = wgs84ToEpsg3857(lon, lat);
  const n = 2 ** z;
  return [Math.floor(((mx + half) / (2 * half)) * n), Math.floor(((half - my) / (2 * half)) * n)];
}

// The admin's scope (everything): the heaviest case. A district scope only filters more.
const ALL: ScopeSql = () => 'TRUE';

export default async function bench(ctx: BenchContext): Promise<void> {
  const quick = ctx.args.includes('--quick');
  const tilesPerZoom = positiveArg(ctx.args, 'tiles', quick ? 30 : 200, { integer: true });
  const buildingCount = positiveArg(ctx.args, 'buildings', quick ? 10_000 : 100_000, { integer: true });
  const pool = new pg.Pool({ connectionString: ctx.databaseUrl, max: 4 });
  const out: string[] = ['geodata benchmark — 2 shared cores with other engineers busy: figures are pessimistic'];
  const print = (line: string) => {
    out.push(line);
    ctx.log(line);
  };
  try {
    ctx.log('seeding the full demo city …');
    const seed = await seedDemo(pool, {}, (m) => ctx.log(m));
    print(
      `seed (full demo, one transaction): ${seed.seconds.toFixed(1)} s — ${seed.units} units, ${seed.buildings} buildings, ` +
        `${seed.points} points, ${seed.stations} stations, ${seed.roads} road edges, ${seed.vertices} vertices, ${seed.untied} untied`,
    );
    await pool.query('ANALYZE');

    // Tiles where the units are: sample unit points, weighted like the city itself.
    const units = (await pool.query(`SELECT ST_X(point) AS lon, ST_Y(point) AS lat FROM units WHERE region_adcode / 100 = 3201`)).rows as Array<{ lon: number; lat: number }>;
    const rnd = seededRandom(42);
    print(`tile generation (every layer shown at that zoom, ST_AsMVT, no cache), ${tilesPerZoom} tiles per zoom:`);
    print('  zoom   tiles   p50 ms   p99 ms   max ms   mean KiB/tile   slowest layer (p50 ms)');
    for (const z of [10, 13, 16]) {
      const totals: number[] = [];
      const perLayer = new Map<string, number[]>();
      let bytes = 0;
      for (let i = 0; i < tilesPerZoom; i++) {
        const u = units[Math.floor(rnd() * units.length)]!;
        const [x, y] = tileOf(u.lon, u.lat, z);
        let total = 0;
        // As the server does: a layer below its minimum zoom is an empty tile, no query.
        for (const layer of TILE_LAYERS.filter((l) => z >= MIN_ZOOM[l])) {
          const t0 = performance.now();
          const r = await pool.query(tileQuery(layer, z, x, y, ALL));
          const ms = performance.now() - t0;
          total += ms;
          bytes += (r.rows[0]?.tile as Buffer | null)?.length ?? 0;
          (perLayer.get(layer) ?? perLayer.set(layer, []).get(layer)!).push(ms);
        }
        totals.push(total);
      }
      const slow = [...perLayer].map(([l, xs]) => [l, percentile([...xs].sort((a, b) => a - b), 50)] as const).sort((a, b) => b[1] - a[1])[0]!;
      print(
        `  ${String(z).padStart(4)}   ${String(tilesPerZoom).padStart(5)}   ${percentile([...totals].sort((a, b) => a - b), 50).toFixed(1).padStart(6)}   ` +
          `${percentile([...totals].sort((a, b) => a - b), 99).toFixed(1).padStart(6)}   ${Math.max(...totals).toFixed(1).padStart(6)}   ` +
          `${(bytes / tilesPerZoom / 1024).toFixed(1).padStart(13)}   ${slow[0]} (${slow[1].toFixed(1)})`,
      );
    }

    // Import throughput: N synthetic footprints (GeoJSON, WGS84) over Nanjing's core.
    const dir = mkdtempSync(join(tmpdir(), 'firelink-bench-geo-'));
    try {
      const file = join(dir, 'buildings.geojson');
      const features = [];
      for (let i = 0; i < buildingCount; i++) {
        const lon = 118.62 + rnd() * 0.34;
        const lat = 31.9 + rnd() * 0.3;
        const dx = (10 + rnd() * 30) / 94_400;
        const dy = (10 + rnd() * 30) / 110_900;
        features.push({
          type: 'Feature',
          properties: { osm_id: `bench-${i}`, name: i % 10 === 0 ? `楼${i}` : null, 'building:levels': String(1 + (i % 30)) },
          geometry: { type: 'Polygon', coordinates: [[[lon, lat], [lon + dx, lat], [lon + dx, lat + dy], [lon, lat + dy], [lon, lat]]] },
        });
      }
      writeFileSync(file, JSON.stringify({ type: 'FeatureCollection', features }));
      ctx.log(`importing ${buildingCount} footprints …`);
      const t0 = performance.now();
      const report = await importFile(pool, { layer: 'buildings', file, batchSize: 5000 });
      const s = (performance.now() - t0) / 1000;
      print(
        `import ${buildingCount.toLocaleString('en')} building footprints (GeoJSON → validate → upsert → tie regions and units, ` +
          `one transaction): ${s.toFixed(1)} s = ${Math.round(report.imported / s).toLocaleString('en')} features/s ` +
          `(${report.rejected.length} rejected)`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    process.stdout.write(out.join('\n') + '\n');
  } finally {
    await pool.end();
  }
}
