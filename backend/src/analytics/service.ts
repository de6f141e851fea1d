// Analytics refresh: H3 cells of units (computed here with h3-js; PostgreSQL has no h3
// extension) and the incremental rollups (analytics_refresh in 0500_analytics.sql).
import { SerialJobs } from '@firelink/common';
import { cellToParent, latLngToCell } from 'h3-js';
import type { Pool } from '../db/pool.ts';
import { markRefreshedQuery, refreshQuery, staleCellsQuery, upsertCellsQuery } from './queries.ts';

/**
 * Dirty-hour rows consumed per refresh statement. Triggers add one row per hour per write
 * statement, so a busy minute adds a few thousand; a bulk load of a year adds ~9 000 per
 * statement. Bounded so one statement's transaction stays short.
 */
const REFRESH_BATCH_ROWS = 100_000;
/** At most this many batches per refreshAnalytics call; the scheduler picks up the rest. */
const REFRESH_MAX_BATCHES = 50;

export interface RefreshResult {
  cells: number;
  hours: number;
  ms: number;
}

/** Brings H3 cells and rollups up to date with everything committed so far. */
export async function refreshAnalytics(pool: Pool): Promise<RefreshResult> {
  const t0 = performance.now();
  const cells = await refreshUnitCells(pool);
  let hours = 0;
  for (let i = 0; i < REFRESH_MAX_BATCHES; i++) {
    const { rows } = await pool.query<{ hours: number; dirty_rows: number }>(refreshQuery(REFRESH_BATCH_ROWS));
    hours += rows[0]?.hours ?? 0;
    if ((rows[0]?.dirty_rows ?? 0) < REFRESH_BATCH_ROWS) break;
  }
  const ms = performance.now() - t0;
  await pool.query(markRefreshedQuery(ms));
  return { cells, hours, ms };
}

export async function refreshUnitCells(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ id: number; lon: number; lat: number }>(staleCellsQuery());
  if (rows.length === 0) return 0;
  const out = rows.map((r) => {
    const r9 = latLngToCell(r.lat, r.lon, 9);
    const cells: [string, string, string, string] = [cellToParent(r9, 6), cellToParent(r9, 7), cellToParent(r9, 8), r9];
    return { id: r.id, lon: r.lon, lat: r.lat, cells };
  });
  await pool.query(upsertCellsQuery(out));
  return out.length;
}

/** Runs refreshAnalytics every intervalMs, never overlapping itself. */
export function startRefreshScheduler(
  pool: Pool,
  intervalMs: number,
  onError: (err: unknown) => void,
  onDone?: (r: RefreshResult) => void,
): { stop: () => Promise<void> } {
  const jobs = new SerialJobs(onError);
  jobs.every(intervalMs, async () => onDone?.(await refreshAnalytics(pool)), { immediately: true });
  return { stop: () => jobs.stop() };
}
