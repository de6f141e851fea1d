import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Geometry } from 'geojson';
import { wgs84ToGcj02 } from '../crs/index.ts';
import { mapRow } from '../import/map.ts';
import { readSourceFile } from '../import/read.ts';
import { DISTRICTS, STALE_ADCODES } from './jiangsu.ts';
import { readShippedDistricts } from './load.ts';

const SHARED = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'shared', 'geodata');
const skip = !existsSync(SHARED) && `reference geodata not found at ${SHARED}; CRS measurements skipped`;

/** Area-weighted centroid of a (multi)polygon, holes subtracted (planar, in degrees). */
function centre(g: Geometry): [number, number] {
  const polys = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : [];
  let a = 0, cx = 0, cy = 0;
  for (const poly of polys) {
    poly.forEach((ring, k) => {
      let ra = 0, rx = 0, ry = 0;
      for (let i = 0; i + 1 < ring.length; i++) {
        const [x1, y1] = ring[i]!, [x2, y2] = ring[i + 1]!;
        const c = x1! * y2! - x2! * y1!;
        ra += c; rx += (x1! + x2!) * c; ry += (y1! + y2!) * c;
      }
      // Orientation differs between sources: outer rings add, holes subtract.
      const sign = (k === 0 ? 1 : -1) * Math.sign(ra);
      a += sign * ra; cx += sign * rx; cy += sign * ry;
    });
  }
  return [cx / (3 * a), cy / (3 * a)];
}
/** East/north offset of b from a in metres (local flat approximation). */
const offsetEN = (a: [number, number], b: [number, number]): [number, number] => [
  (b[0] - a[0]) * 111320 * Math.cos((a[1] * Math.PI) / 180),
  (b[1] - a[1]) * 110900,
];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Ref { features: Array<{ properties: Record<string, unknown>; geometry: Geometry }> }
const readRef = (name: string): Ref => JSON.parse(readFileSync(join(SHARED, name), 'utf8'));

describe('shipped Jiangsu regions', () => {
  it('hold the 95 current districts (11 in Nanjing) and no stale code', () => {
    const codes = new Set(readShippedDistricts().features.map((f) => f.properties.adcode));
    assert.equal(codes.size, 95);
    assert.deepEqual([...codes].sort(), DISTRICTS.map((d) => d.adcode).sort());
    assert.equal(DISTRICTS.filter((d) => d.city === 320100).length, 11);
    for (const stale of Object.keys(STALE_ADCODES)) assert.ok(!codes.has(Number(stale)), `stale ${stale}`);
    assert.ok(codes.has(320613) && codes.has(320614));
  });

  // Offsets are measured as SOURCES.md does: the median east and north offset of district
  // centroids, the systematic shift between two sources. Single districts differ by more
  // (median distance ~170–230 m) because each source generalises its outlines differently.
  it('are WGS84: measured against the Tianditu reference (and ~500 m off once shifted to GCJ-02)', { skip }, () => {
    const ref = new Map(readRef('jiangsu_districts_tianditu_wgs84.geojson').features.map((f) => [Number(f.properties.district_adcode), f.geometry]));
    const shipped = new Map<number, Geometry[]>();
    for (const f of readShippedDistricts().features) shipped.set(f.properties.adcode, [...(shipped.get(f.properties.adcode) ?? []), f.geometry as Geometry]);
    const asIs: Array<[number, number]> = [];
    const shifted: Array<[number, number]> = [];
    for (const [code, geoms] of shipped) {
      const r = ref.get(code);
      if (!r || geoms.length > 1) continue; // 崇川区 ships as two pieces (with former 港闸区)
      const c = centre(geoms[0]!);
      const rc = centre(r);
      asIs.push(offsetEN(rc, c));
      shifted.push(offsetEN(rc, wgs84ToGcj02(...c)));
    }
    assert.ok(asIs.length >= 90, `compared ${asIs.length} districts`);
    const sys = Math.hypot(median(asIs.map((o) => o[0])), median(asIs.map((o) => o[1])));
    const gcj = Math.hypot(median(shifted.map((o) => o[0])), median(shifted.map((o) => o[1])));
    assert.ok(sys < 30, `systematic offset ${sys.toFixed(0)} m`);
    assert.ok(gcj > 400, `GCJ-02-shifted systematic offset ${gcj.toFixed(0)} m`);
  });

  it('a GCJ-02 (DataV) district imported with --crs gcj02 lands within 50 m of its WGS84 twin', { skip }, async () => {
    const ref = readRef('jiangsu_districts_tianditu_wgs84.geojson');
    const twins = new Map(ref.features.map((f) => [`${f.properties.city_adcode}/${f.properties.district_name}`, f.geometry]));
    const { rows } = await readSourceFile(join(SHARED, 'jiangsu_districts_datav_gcj02.geojson'));
    const converted: Array<[number, number]> = [];
    const raw: Array<[number, number]> = [];
    for (const row of rows) {
      const asWgs = mapRow('regions', row, { crs: 'gcj02', fileKey: 'datav', categories: new Map() });
      const asIs = mapRow('regions', row, { crs: 'wgs84', fileKey: 'datav', categories: new Map() });
      assert.equal(asWgs.ok, true, JSON.stringify(asWgs));
      if (asWgs.ok !== true || asIs.ok !== true) continue;
      const rec = asWgs.record as { adcode: number; name: string; geometry: Geometry };
      const twin = twins.get(`${Math.floor(rec.adcode / 100) * 100}/${rec.name}`);
      if (!twin) continue; // renamed or re-coded since 2021 (海门市→海门区, 港闸区, 苏州工业园区)
      converted.push(offsetEN(centre(twin), centre(rec.geometry)));
      raw.push(offsetEN(centre(twin), centre((asIs.record as { geometry: Geometry }).geometry)));
    }
    assert.ok(converted.length >= 88, `matched ${converted.length} districts`);
    const after = Math.hypot(median(converted.map((o) => o[0])), median(converted.map((o) => o[1])));
    const before = Math.hypot(median(raw.map((o) => o[0])), median(raw.map((o) => o[1])));
    assert.ok(after < 50, `after conversion the districts sit ${after.toFixed(0)} m from their twins`);
    assert.ok(before > 400, `unconverted they sit ${before.toFixed(0)} m away (the GCJ-02 shift)`);
  });
});
