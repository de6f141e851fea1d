// `firelink import <layer> <file> [--crs …]`: reads a file, validates and maps each row,
// converts to WGS84, and upserts by external id in ONE transaction (a failure leaves the
// database as it was), in batches with progress. Then ties units/stations/buildings to
// their places, builds road topology, and bumps the geodata version (tile caches drop).
import { basename } from 'node:path';
import type { Geometry } from 'geojson';
import type pg from 'pg';
import type { Crs } from '../crs/index.ts';
import { h3Cells, tieToPlace, type UntiedRow } from '../tie/index.ts';
import { bumpGeodataVersion } from '../tie/queries.ts';
import { mapRow, type ImportLayer, type LayerRecord } from './map.ts';
import * as Q from './queries.ts';
import { readSourceFile } from './read.ts';

export interface ImportOptions {
  layer: ImportLayer;
  file: string;
  crs?: Crs;
  /** Import nothing when any row is rejected. */
  strict?: boolean;
  /** Validate and report only. */
  dryRun?: boolean;
  /** Footprint tie tolerance, metres. */
  toleranceM?: number;
  batchSize?: number;
  progress?: (done: number, total: number) => void;
}

export interface ImportReport {
  layer: ImportLayer;
  file: string;
  format: string;
  crs: Crs;
  read: number;
  imported: number;
  skipped: number;
  rejected: Array<{ row: number; reason: string }>;
  untied: UntiedRow[];
  committed: boolean;
  seconds: number;
}

type Pool = pg.Pool;

const MERGEABLE: ReadonlySet<ImportLayer> = new Set(['landuse', 'water', 'buildings']);

function mergePolygons(a: Geometry, b: Geometry): Geometry {
  const parts = (g: Geometry) => (g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : []);
  return { type: 'MultiPolygon', coordinates: [...parts(a), ...parts(b)] };
}

export async function importFile(pool: Pool, opts: ImportOptions): Promise<ImportReport> {
  const t0 = performance.now();
  const crs = opts.crs ?? 'wgs84';
  const { rows, format } = await readSourceFile(opts.file, { layerHint: opts.layer });
  const categories = new Map<string, string>(
    (await pool.query('SELECT code, name_zh FROM unit_categories')).rows.map((r) => [r.code as string, r.name_zh as string]),
  );
  const fileKey = basename(opts.file);
  const records: LayerRecord[] = [];
  const rejected: ImportReport['rejected'] = [];
  let skipped = 0;
  const seen = new Map<string, number>();
  const byId = new Map<string, LayerRecord>();
  for (const row of rows) {
    const m = mapRow(opts.layer, row, { crs, fileKey, categories });
    if (m.ok === 'skip') {
      skipped++;
      continue;
    }
    if (!m.ok) {
      rejected.push({ row: row.row, reason: m.reason });
      continue;
    }
    let key = 'externalId' in m.record ? m.record.externalId : String((m.record as { adcode: number }).adcode);
    let first = seen.get(key);
    if (first !== undefined && MERGEABLE.has(opts.layer)) {
      const target = byId.get(key) as { geometry: Geometry; class?: string } | undefined;
      const rec = m.record as { geometry: Geometry; class?: string; externalId: string };
      if (target && target.class === rec.class) {
        // Clipped extracts (Geofabrik) split one OSM polygon into several features with the
        // same id and class: parts of one feature, collected into one MultiPolygon.
        target.geometry = mergePolygons(target.geometry, rec.geometry);
        continue;
      }
      // OSM way and relation ids share one number space; Geofabrik keeps both as osm_id.
      // A same-id feature of another class is another object: keep it under "id#row".
      rec.externalId = key = `${key}#${row.row}`;
      first = undefined;
    }
    if (first !== undefined) {
      rejected.push({ row: row.row, reason: `duplicate id "${key}" (first on row ${first}); ids must be unique in a file` });
      continue;
    }
    seen.set(key, row.row);
    byId.set(key, m.record);
    records.push(m.record);
  }
  const report: ImportReport = {
    layer: opts.layer, file: opts.file, format, crs, read: rows.length, imported: 0, skipped, rejected,
    untied: [], committed: false, seconds: 0,
  };
  if (opts.dryRun || (opts.strict && rejected.length > 0) || records.length === 0) {
    report.seconds = (performance.now() - t0) / 1000;
    return report;
  }
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const batch = opts.batchSize ?? 2000;
    const ids: number[] = [];
    if (opts.layer === 'points') {
      const missing = await client.query(Q.missingPointUnits(records.map((r) => (r as { unitExternalId: string }).unitExternalId)));
      if (missing.rows.length > 0) {
        const bad = new Set(missing.rows.map((r) => r.external_id as string));
        for (let i = records.length - 1; i >= 0; i--) {
          const r = records[i] as { unitExternalId: string; externalId: string };
          if (bad.has(r.unitExternalId)) {
            rejected.push({ row: seen.get(r.externalId)!, reason: `unit "${r.unitExternalId}" does not exist or has no UITD (devices row); import the unit and its device first` });
            records.splice(i, 1);
          }
        }
        rejected.sort((a, b) => a.row - b.row);
      }
    }
    if (opts.layer === 'regions') {
      await client.query(Q.clearParts(records.map((r) => (r as { adcode: number }).adcode)));
    }
    for (let i = 0; i < records.length; i += batch) {
      const chunk = records.slice(i, i + batch);
      const r = await client.query(Q.upsert(opts.layer, chunk.map(toJson)));
      for (const row of r.rows) if (row.id != null) ids.push(Number(row.id));
      opts.progress?.(Math.min(i + batch, records.length), records.length);
    }
    report.imported = records.length;
    if (opts.layer === 'regions') await client.query(Q.regionParents());
    if (opts.layer === 'roads') await Q.buildRoadTopology(client);
    const tieIds =
      opts.layer === 'units' ? { units: ids } :
      opts.layer === 'stations' ? { stations: ids } :
      opts.layer === 'buildings' ? { buildings: ids } : null;
    if (tieIds) report.untied = await tieToPlace(client, tieIds, { toleranceM: opts.toleranceM });
    // New footprints may now hold units that had none; new regions re-tie everything.
    if (opts.layer === 'buildings') await tieToPlace(client, { units: null }, { toleranceM: opts.toleranceM });
    if (opts.layer === 'regions') await tieToPlace(client);
    await client.query(bumpGeodataVersion());
    await client.query('COMMIT');
    report.committed = true;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
  report.seconds = (performance.now() - t0) / 1000;
  return report;
}

/** Record → the JSON shape the upsert queries expand (snake_case, geometry as GeoJSON). */
function toJson(r: LayerRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) out[k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = v;
  // Units get their H3 cells on write.
  if ('onboardingState' in r && r.geometry?.type === 'Point') {
    const c = h3Cells(r.geometry.coordinates as [number, number]);
    Object.assign(out, { h3_r7: c.r7, h3_r8: c.r8, h3_r9: c.r9 });
  }
  return out;
}

export function formatReport(r: ImportReport, maxRejected = 200): string {
  const lines = [
    `import ${r.layer} from ${r.file} (${r.format}, ${r.crs} → WGS84): read ${r.read}, imported ${r.imported}, ` +
      `skipped ${r.skipped}, rejected ${r.rejected.length}${r.committed ? '' : ' — nothing written'} in ${r.seconds.toFixed(1)} s`,
  ];
  if (r.rejected.length) {
    lines.push('rejected rows (row number: reason):');
    for (const x of r.rejected.slice(0, maxRejected)) lines.push(`  ${x.row}: ${x.reason}`);
    if (r.rejected.length > maxRejected) lines.push(`  … and ${r.rejected.length - maxRejected} more (use --report FILE for all)`);
  }
  if (r.untied.length) {
    lines.push('could not be tied to a place:');
    for (const u of r.untied.slice(0, maxRejected)) lines.push(`  ${u.kind} ${u.externalId ?? u.id} ${u.name ?? ''}: ${u.reason}`);
    if (r.untied.length > maxRejected) lines.push(`  … and ${r.untied.length - maxRejected} more`);
  }
  return lines.join('\n');
}
