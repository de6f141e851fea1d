// The city / district league against annex-1 stage targets: each metric has several dated
// stages; a stage whose date has passed is met or missed by the share now, later stages are
// upcoming. Pure.

export interface Stage {
  dueOn: string;
  targetPct: number;
}

export type StageState = 'met' | 'missed' | 'upcoming';

/** Share in percent with two decimals; null without a denominator. */
export function pctOf(numerator: number, denominator: number): number | null {
  return denominator > 0 ? Math.round((10_000 * numerator) / denominator) / 100 : null;
}

/**
 * The stages of one metric judged on `today` (YYYY-MM-DD, Asia/Shanghai). A stage is due on
 * its date: from that day on it is met or missed. No denominator: a passed stage is met
 * (nothing to connect).
 */
export function judgeStages(stages: readonly Stage[], pct: number | null, today: string): Array<Stage & { state: StageState }> {
  return [...stages]
    .sort((a, b) => a.dueOn.localeCompare(b.dueOn))
    .map((s) => ({ ...s, state: s.dueOn > today ? 'upcoming' : pct == null || pct >= s.targetPct ? 'met' : 'missed' }));
}

/**
 * The stages that apply to a region: its own if it has any for the metric, else its city's,
 * else its province's.
 */
export function stagesFor<T extends { regionAdcode: number; metric: string }>(all: readonly T[], adcode: number, metric: string): T[] {
  const chain = [adcode, Math.floor(adcode / 100) * 100, Math.floor(adcode / 10_000) * 10_000];
  for (const c of chain) {
    const own = all.filter((s) => s.regionAdcode === c && s.metric === metric);
    if (own.length) return own;
  }
  return [];
}

/** League order: fewest missed stages, then the higher combined share. Returns ranks 1.. (ties share). */
export function leagueRanks(rows: ReadonlyArray<{ missed: number; score: number }>): number[] {
  const order = rows.map((r, i) => ({ ...r, i })).sort((a, b) => a.missed - b.missed || b.score - a.score);
  const ranks = new Array<number>(rows.length);
  order.forEach((r, k) => {
    const prev = order[k - 1];
    ranks[r.i] = prev && prev.missed === r.missed && prev.score === r.score ? ranks[prev.i]! : k + 1;
  });
  return ranks;
}
