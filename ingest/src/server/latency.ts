// Latency samples (ms) with percentiles; keeps the most recent N to bound memory.
export class LatencyRecorder {
  private samples: Float64Array;
  private n = 0;
  private total = 0;

  constructor(private readonly capacity = 200_000) {
    this.samples = new Float64Array(capacity);
  }

  record(ms: number): void {
    this.samples[this.n % this.capacity] = ms;
    this.n++;
    this.total++;
  }

  get count(): number {
    return this.total;
  }

  reset(): void {
    this.n = 0;
    this.total = 0;
  }

  /** p in 0–100; NaN when empty. */
  percentile(p: number): number {
    const len = Math.min(this.n, this.capacity);
    if (len === 0) return NaN;
    const sorted = Float64Array.from(this.samples.subarray(0, len)).sort();
    return sorted[Math.min(len - 1, Math.floor((p / 100) * len))]!;
  }
}
