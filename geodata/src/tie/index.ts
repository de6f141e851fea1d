// Tie-to-place: runs the tie queries and reports what could not be tied.
import { latLngToCell } from 'h3-js';
import type pg from 'pg';
import {
  fillRegionParts,
  tieBuildingRegions,
  tieStationRegions,
  tieUnitBuildings,
  tieUnitRegions,
  untiedReport,
} from './queries.ts';

type Queryable = Pick<pg.PoolClient, 'query'>;

/** Default distance (metres) within which a unit outside every footprint takes the nearest one. */
export const FOOTPRINT_TOLERANCE_M = 50;

export interface UntiedRow {
  kind: 'unit' | 'station' | 'building';
  id: number;
  externalId: string | null;
  name: string | null;
  reason: string;
}

/** H3 cells of a WGS84 point at the resolutions the schema stores (r7, r8, r9). */
export function h3Cells(lonLatWgs84: readonly [number, number]): { r7: string; r8: string; r9: string } {
  const [lon, lat] = lonLatWgs84;
  return { r7: latLngToCell(lat, lon, 7), r8: latLngToCell(lat, lon, 8), r9: latLngToCell(lat, lon, 9) };
}

export async function tieToPlace(
  db: Queryable,
  ids: { units?: number[] | null; stations?: number[] | null; buildings?: number[] | null } = {},
  opts: { toleranceM?: number } = {},
): Promise<UntiedRow[]> {
  // A kind left undefined is skipped, unless nothing is given: then everything is tied.
  const all = ids.units === undefined && ids.stations === undefined && ids.buildings === undefined;
  const pick = (v: number[] | null | undefined): number[] | null => (all ? null : v === undefined ? [] : v);
  const units = pick(ids.units);
  const stations = pick(ids.stations);
  const buildings = pick(ids.buildings);
  await db.query(fillRegionParts());
  // Buildings first: a unit takes its region from its own point, not its footprint's.
  if (all || ids.buildings !== undefined) await db.query(tieBuildingRegions(buildings));
  if (all || ids.units !== undefined) {
    await db.query(tieUnitRegions(units));
    await db.query(tieUnitBuildings(units, opts.toleranceM ?? FOOTPRINT_TOLERANCE_M));
  }
  if (all || ids.stations !== undefined) await db.query(tieStationRegions(stations));
  const r = await db.query(untiedReport({ units, stations, buildings }));
  return r.rows.map((x) => ({
    kind: x.kind,
    id: Number(x.id),
    externalId: x.external_id,
    name: x.name,
    reason: x.reason,
  }));
}
