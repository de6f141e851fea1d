// Importing water sources like the other layers: CSV with Chinese columns in GCJ-02, XLSX,
// GeoJSON; bad rows rejected with a reason; a re-import updates status in place.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { gcj02ToWgs84 } from '../crs/index.ts';
import { importFile } from '../import/import.ts';
import { writeXlsx } from '../import/xlsx.ts';
import { loadRegions } from '../regions/load.ts';

describe('import water_sources', () => {
  let db: TestDatabase;
  const dir = mkdtempSync(join(tmpdir(), 'water-import-'));
  before(async () => {
    db = await createTestDatabase('water_import');
    await loadRegions(db.pool);
  });
  after(async () => db?.drop());

  it('reads a CSV with Chinese columns in GCJ-02, converts to WGS84, ties to the district, rejects bad rows', async () => {
    const file = join(dir, 'hydrants.csv');
    writeFileSync(
      file,
      [
        '编号,名称,类型,状态,流量,经度,纬度,地址',
        'H-1,中山路1号栓,室外消火栓,可用,15,118.7800,32.0600,中山路1号',
        'P-1,鼓楼消防水池,消防水池,维修中,,118.7700,32.0650,',
        'N-1,玄武湖取水点,天然水源,停用,,118.7950,32.0700,',
        'X-1,坏行,喷泉,可用,,118.78,32.06,',
        'X-2,坏行2,消火栓,随便,,118.78,32.06,',
        'X-3,坏行3,消火栓,可用,,32.06,118.78,',
      ].join('\n'),
    );
    const r = await importFile(db.pool, { layer: 'water_sources', file, crs: 'gcj02' });
    assert.equal(r.imported, 3);
    assert.deepEqual(r.rejected.map((x) => x.row), [4, 5, 6]);
    assert.match(r.rejected[0]!.reason, /unknown water source kind "喷泉"/);
    assert.match(r.rejected[1]!.reason, /unknown status "随便"/);
    assert.match(r.rejected[2]!.reason, /swapped/);
    const rows = (await db.pool.query(`SELECT external_id, kind, status, flow_lps, region_adcode, ST_X(point) AS lon, ST_Y(point) AS lat FROM water_sources ORDER BY external_id`)).rows;
    assert.deepEqual(rows.map((x) => [x.external_id, x.kind, x.status]), [
      ['H-1', 'hydrant', 'usable'],
      ['N-1', 'natural', 'out_of_service'],
      ['P-1', 'pool', 'under_repair'],
    ]);
    const h = rows.find((x) => x.external_id === 'H-1');
    const [lon, lat] = gcj02ToWgs84(118.78, 32.06);
    assert.ok(Math.abs(h.lon - lon) < 1e-6 && Math.abs(h.lat - lat) < 1e-6, 'GCJ-02 converted to WGS84');
    assert.equal(h.flow_lps, 15);
    assert.equal(h.region_adcode, 320106, '鼓楼区');
  });

  it('reads XLSX and GeoJSON; a re-import updates the status in place', async () => {
    const xlsx = join(dir, 'pools.xlsx');
    writeFileSync(xlsx, await writeXlsx([['id', 'kind', 'status', 'capacity', 'lon', 'lat'], ['H-1', 'hydrant', 'out_of_service', null, 118.7745, 32.0622]]));
    const a = await importFile(db.pool, { layer: 'water_sources', file: xlsx });
    assert.equal(a.imported, 1, JSON.stringify(a.rejected));
    const geo = join(dir, 'osm.geojson');
    writeFileSync(
      geo,
      JSON.stringify({
        type: 'FeatureCollection',
        features: [{ type: 'Feature', properties: { '@id': 'node/1', emergency: 'fire_hydrant' }, geometry: { type: 'Point', coordinates: [118.79, 32.05] } }],
      }),
    );
    const b = await importFile(db.pool, { layer: 'water_sources', file: geo });
    assert.equal(b.imported, 1, JSON.stringify(b.rejected));
    const rows = (await db.pool.query(`SELECT external_id, kind, status, status_changed_at IS NOT NULL AS changed FROM water_sources ORDER BY external_id`)).rows;
    assert.equal(rows.length, 4);
    assert.deepEqual(rows.find((x) => x.external_id === 'H-1'), { external_id: 'H-1', kind: 'hydrant', status: 'out_of_service', changed: true });
    assert.equal(rows.find((x) => x.external_id === 'node/1')?.kind, 'hydrant');
  });
});
