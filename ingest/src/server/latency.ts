// Latency samples (ms) with percentiles; keeps the most recent N to bound memory.
import { RecentSamples } from '@firelink/common';

export class LatencyRecorder {
  private readonly samples: RecentSamples;
  /** The samples' count at the last reset(). */
  private mark = 0;

  constructor(capacity = 200_000) {
    this.samples = new RecentSamples(capacity);
  }

  record(ms: number): void {
    this.samples.push(ms);
  }

  /** Samples recorded since the last reset. */
  get count(): number {
    return this.samples.count - this.mark;
  }

  reset(): void {
    this.mark = this.samples.count;
  }

  /** The samples since the last reset still kept, in the order they were recorded. */
  sinceReset(): number[] {
    return this.samples.since(this.mark);
  }

  /** p in 0–100, over the samples since the last reset still kept; NaN when empty. */
  percentile(p: number): number {
    return this.percentiles([p])[0]!;
  }

  /** Several percentiles from one sort (up to `capacity` samples: not for every request of a hot path). */
  percentiles(ps: readonly number[]): number[] {
    const sorted = Float64Array.from(this.sinceReset()).sort();
    const len = sorted.length;
    return ps.map((p) => (len === 0 ? NaN : sorted[Math.min(len - 1, Math.floor((p / 100) * len))]!));
  }
}
