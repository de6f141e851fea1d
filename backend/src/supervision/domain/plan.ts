// The inspection plan: each unit's risk band from its rank in its district (by the analytics
// inspection score), the band's frequency, and the next due date after the last inspection.
// Pure: the caller reads the ranking and writes the plan.
import type { PlanBand } from '@firelink/common';

const DAY_MS = 86_400_000;

/** Bands by rising uptoPct; the first that contains the rank wins. Throws if none reaches 100. */
export function sortBands(bands: readonly PlanBand[]): PlanBand[] {
  const sorted = [...bands].sort((a, b) => a.uptoPct - b.uptoPct);
  if (sorted.at(-1)?.uptoPct !== 100) throw new Error('the inspection bands must end with one reaching uptoPct 100');
  return sorted;
}

/**
 * The band of the unit ranked `rank` (1 = highest score) among `total` units of its district.
 * The rank's percentile is rank / total: with 20 units, ranks 1–2 are the top 10 percent.
 */
export function bandOf(rank: number, total: number, bands: readonly PlanBand[]): PlanBand {
  const pct = (100 * rank) / Math.max(1, total);
  // A small tolerance so that 2 of 20 is exactly 10 %, not 10.000000001 %.
  return bands.find((b) => pct <= b.uptoPct + 1e-9) ?? bands[bands.length - 1]!;
}

export interface RankedUnit {
  unitId: number;
  regionAdcode: number | null;
  score: number;
}

export interface PlannedUnit extends RankedUnit {
  band: string;
  everyDays: number;
  rankInRegion: number;
  regionUnits: number;
}

/** Ranks the units within their district (score descending, unit id for ties) and bands them. */
export function planBands(units: readonly RankedUnit[], bands: readonly PlanBand[]): PlannedUnit[] {
  const sorted = sortBands(bands);
  const byRegion = new Map<number | null, RankedUnit[]>();
  for (const u of units) {
    const list = byRegion.get(u.regionAdcode) ?? [];
    list.push(u);
    byRegion.set(u.regionAdcode, list);
  }
  const out: PlannedUnit[] = [];
  for (const list of byRegion.values()) {
    list.sort((a, b) => b.score - a.score || a.unitId - b.unitId);
    list.forEach((u, i) => {
      const band = bandOf(i + 1, list.length, sorted);
      out.push({ ...u, band: band.band, everyDays: band.everyDays, rankInRegion: i + 1, regionUnits: list.length });
    });
  }
  return out;
}

/** YYYY-MM-DD plus days (calendar arithmetic in UTC on a date string: no time zone involved). */
export function addDays(ymd: string, days: number): string {
  return new Date(Date.parse(`${ymd}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Next due date: the last inspection plus the band's interval, or today when never inspected or already late. */
export function nextDue(lastInspectedOn: string | null, everyDays: number, today: string): string {
  if (lastInspectedOn == null) return today;
  return addDays(lastInspectedOn, everyDays);
}
