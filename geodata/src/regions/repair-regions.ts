// Second build step for geodata/data/jiangsu-districts.geojson: repairs the outlines in
// PostGIS (ST_MakeValid, then ST_ReducePrecision to the 1e-6° grid the file is written at, so
// the written outlines stay valid; the 1/1024° source grid leaves many self-touching rings)
// and rewrites the file, so loading at start-up needs no repair (it cost ~5 s per start).
//   npx tsx geodata/src/regions/repair-regions.ts postgres://…/any_postgis_database
import { readFileSync, writeFileSync } from 'node:fs';
import pg from 'pg';
import { REGIONS_FILE } from './load.ts';

async function main(url: string): Promise<void> {
  const fc = JSON.parse(readFileSync(REGIONS_FILE, 'utf8')) as { features: Array<{ geometry: unknown }> };
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query(
      `SELECT ST_AsGeoJSON(ST_Multi(ST_CollectionExtract(ST_ReducePrecision(ST_MakeValid(g), 0.000001), 3)), 6)::jsonb AS geometry, NOT ST_IsValid(g) AS repaired
         FROM (SELECT ST_GeomFromGeoJSON(f->'geometry') AS g, i FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS x(f, i)) y
        ORDER BY i`,
      [JSON.stringify(fc.features)],
    );
    r.rows.forEach((row, i) => (fc.features[i]!.geometry = row.geometry));
    writeFileSync(REGIONS_FILE, JSON.stringify(fc));
    process.stdout.write(`repaired ${r.rows.filter((x) => x.repaired).length} of ${r.rows.length} outlines in ${REGIONS_FILE}\n`);
  } finally {
    await c.end();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const url = process.argv[2];
  if (!url) {
    process.stderr.write('usage: npx tsx geodata/src/regions/repair-regions.ts <postgres-url-with-postgis>\n');
    process.exit(1);
  }
  await main(url);
}
