// File readers: GeoJSON (incl. Overpass exports), CSV, XLSX (not legacy .xls), Shapefile (.shp + .dbf beside
// it, or a .zip holding them, Geofabrik's free-shapefile layout included). Each yields
// source rows with a 1-based row number, properties and an optional geometry (still in the
// file's CRS; conversion happens in the importer).
// The frontend's e2e program reaches this file without including geodata/src, so the
// package's types (it ships none) must come along by reference.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./shapefile.d.ts" />
import { existsSync, readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import JSZip from 'jszip';
import { open as openShapefile } from 'shapefile';
import type { Geometry } from 'geojson';
import { parseWkt, WktError } from './wkt.ts';
import { readXlsxRecords, XlsxReadError } from './xlsx.ts';

export interface SourceRow {
  /** 1-based: feature index in GeoJSON/Shapefile, data-row number (after the header) in CSV/XLSX. */
  row: number;
  props: Record<string, unknown>;
  geometry: Geometry | null;
  /** Why the geometry could not be read (the row is then rejected with this reason). */
  geometryError?: string;
}

export class ImportFileError extends Error {}

// Column names (lower-cased, trimmed) that carry coordinates or WKT, English and Chinese.
const LON = ['lon', 'lng', 'long', 'longitude', 'x', '经度', '东经', 'gps经度'];
const LAT = ['lat', 'latitude', 'y', '纬度', '北纬', 'gps纬度'];
const WKT = ['wkt', 'geometry', 'geom', 'the_geom', 'shape', '几何', '空间信息', '坐标串'];

function findKey(props: Record<string, unknown>, names: string[]): string | undefined {
  return Object.keys(props).find((k) => names.includes(k.trim().toLowerCase()));
}

/** Geometry from a tabular row: a WKT column, else lon/lat columns. */
export function tabularGeometry(props: Record<string, unknown>): Pick<SourceRow, 'geometry' | 'geometryError'> {
  const wktKey = findKey(props, WKT);
  const wkt = wktKey ? String(props[wktKey] ?? '').trim() : '';
  if (wkt) {
    try {
      return { geometry: parseWkt(wkt) };
    } catch (err) {
      return { geometry: null, geometryError: err instanceof WktError ? err.message : String(err) };
    }
  }
  const lonKey = findKey(props, LON);
  const latKey = findKey(props, LAT);
  if (!lonKey || !latKey) return { geometry: null };
  const rawLon = String(props[lonKey] ?? '').trim();
  const rawLat = String(props[latKey] ?? '').trim();
  if (!rawLon && !rawLat) return { geometry: null };
  const lon = Number(rawLon);
  const lat = Number(rawLat);
  if (!Number.isFinite(lon) || !Number.isFinite(lat)) {
    return { geometry: null, geometryError: `${lonKey}/${latKey} are not numbers ("${rawLon}", "${rawLat}"); use decimal degrees like 118.78, 32.04` };
  }
  return { geometry: { type: 'Point', coordinates: [lon, lat] } };
}

function readGeoJson(text: string): SourceRow[] {
  let doc: { type?: string; features?: Array<{ id?: unknown; properties?: Record<string, unknown> | null; geometry?: Geometry | null }> };
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ImportFileError(`not valid JSON (${(err as Error).message}); export the layer as a GeoJSON FeatureCollection`);
  }
  if (doc.type !== 'FeatureCollection' || !Array.isArray(doc.features)) {
    throw new ImportFileError('expected a GeoJSON FeatureCollection ({"type":"FeatureCollection","features":[…]})');
  }
  return doc.features.map((f, i) => {
    const props: Record<string, unknown> = { ...(f.properties ?? {}) };
    // Overpass/osmtogeojson exports keep tags nested and the id as "way/123".
    if (props.tags && typeof props.tags === 'object') Object.assign(props, props.tags as object);
    if (f.id != null && props.id == null) props.id = f.id;
    return { row: i + 1, props, geometry: f.geometry ?? null };
  });
}

function readTable(records: Array<Record<string, unknown>>): SourceRow[] {
  return records.map((r, i) => ({ row: i + 1, props: r, ...tabularGeometry(r) }));
}

async function readShapefile(shp: Uint8Array, dbf: Uint8Array | undefined, encoding: string): Promise<SourceRow[]> {
  const src = await openShapefile(shp, dbf, { encoding });
  const rows: SourceRow[] = [];
  for (let i = 1; ; i++) {
    const r = await src.read();
    if (r.done) break;
    rows.push({ row: i, props: r.value.properties ?? {}, geometry: r.value.geometry });
  }
  return rows;
}

/** .cpg holds the DBF's code page; Chinese shapefiles without one are usually GBK. */
function shapefileEncoding(cpg: string | undefined): string {
  const c = (cpg ?? '').trim().toLowerCase();
  if (!c) return 'utf-8';
  if (c === '936' || c.includes('gbk') || c.includes('gb2312') || c.includes('gb18030')) return 'gbk';
  if (c.includes('utf')) return 'utf-8';
  return c;
}

export async function readSourceFile(path: string, opts: { layerHint?: string } = {}): Promise<{ rows: SourceRow[]; format: string }> {
  if (!existsSync(path)) throw new ImportFileError(`no such file: ${path}`);
  const ext = extname(path).toLowerCase();
  switch (ext) {
    case '.geojson':
    case '.json':
      return { rows: readGeoJson(readFileSync(path, 'utf8')), format: 'geojson' };
    case '.csv': {
      const records = parseCsv(readFileSync(path), { columns: true, bom: true, skip_empty_lines: true, trim: true, relax_column_count: true });
      return { rows: readTable(records as Array<Record<string, unknown>>), format: 'csv' };
    }
    case '.xlsx': {
      let records: Array<Record<string, unknown>>;
      try {
        records = await readXlsxRecords(readFileSync(path));
      } catch (err) {
        if (err instanceof XlsxReadError) throw new ImportFileError(`${basename(path)}: ${err.message}`, { cause: err });
        throw err;
      }
      return { rows: readTable(records), format: 'xlsx' };
    }
    case '.xls':
      throw new ImportFileError(`${basename(path)}: legacy .xls (Excel 97–2003) is not read; open it and save as .xlsx`);
    case '.shp': {
      const stem = path.slice(0, -4);
      const dbfPath = [`${stem}.dbf`, `${stem}.DBF`].find(existsSync);
      const cpgPath = [`${stem}.cpg`, `${stem}.CPG`].find(existsSync);
      if (!dbfPath) throw new ImportFileError(`${basename(path)}: the .dbf with the attributes must sit beside the .shp`);
      return {
        rows: await readShapefile(readFileSync(path), readFileSync(dbfPath), shapefileEncoding(cpgPath && readFileSync(cpgPath, 'utf8'))),
        format: 'shapefile',
      };
    }
    case '.zip': {
      const zip = await JSZip.loadAsync(readFileSync(path));
      const shps = Object.keys(zip.files).filter((n) => n.toLowerCase().endsWith('.shp'));
      // Geofabrik zips hold one shapefile per layer (gis_osm_roads_free_1.shp, …): pick the one
      // matching the layer being imported.
      const hint = opts.layerHint;
      const wanted: Record<string, string> = { roads: 'roads', buildings: 'buildings', stations: 'pois', landuse: 'landuse', water: 'water' };
      const w = hint ? wanted[hint] : undefined;
      const base = (n: string) => basename(n).toLowerCase();
      const shpName =
        shps.length === 1
          ? shps[0]
          : w
            ? (shps.find((n) => base(n).includes(`_${w}_a_free`)) ??
              shps.find((n) => base(n).includes(`_${w}_free`)) ??
              shps.find((n) => base(n).includes(w)))
            : undefined;
      if (!shpName) {
        throw new ImportFileError(`${basename(path)} holds ${shps.length} shapefiles (${shps.join(', ')}); unzip it and import the .shp you mean`);
      }
      const stem = shpName.slice(0, -4);
      const file = (suffix: string) => zip.file(`${stem}${suffix}`) ?? zip.file(`${stem}${suffix.toUpperCase()}`);
      const dbf = file('.dbf');
      if (!dbf) throw new ImportFileError(`${shpName}: no .dbf beside it in the zip`);
      const cpg = file('.cpg');
      return {
        rows: await readShapefile(
          await zip.file(shpName)!.async('uint8array'),
          await dbf.async('uint8array'),
          shapefileEncoding(cpg ? await cpg.async('string') : undefined),
        ),
        format: 'shapefile',
      };
    }
    default:
      throw new ImportFileError(`unsupported file type "${ext}": use .geojson/.json, .csv, .xlsx, .shp (with .dbf) or .zip`);
  }
}
