// The most recent N numbers recorded (latencies, batch sizes), in a ring allocated once:
// a long-running process holds the same memory from the first sample on, and a reader
// takes what was recorded since its last look by the running count.
export class RecentSamples {
  private readonly ring: Float64Array;
  private total = 0;

  constructor(readonly capacity: number) {
    this.ring = new Float64Array(capacity);
  }

  push(x: number): void {
    this.ring[this.total % this.capacity] = x;
    this.total++;
  }

  /** Samples ever recorded: a mark to pass to since() later. */
  get count(): number {
    return this.total;
  }

  /** The samples recorded after `mark` (an earlier count), oldest first; those already overwritten are gone. */
  since(mark = 0): number[] {
    const from = Math.max(mark, this.total - this.capacity, 0);
    const out = new Array<number>(this.total - from);
    for (let i = from; i < this.total; i++) out[i - from] = this.ring[i % this.capacity]!;
    return out;
  }
}
