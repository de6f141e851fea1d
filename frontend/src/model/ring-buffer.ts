// A fixed-capacity ring buffer: the wall's event ticker keeps the newest N events and
// never grows, so a display left running for days holds a bounded amount of memory.

export class RingBuffer<T> {
  private readonly items: Array<T | undefined>;
  private head = 0; // index of the next write
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`RingBuffer capacity must be a positive integer, got ${capacity}`);
    }
    this.items = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(item: T): void {
    this.items[this.head] = item;
    this.head = (this.head + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** Newest first; allocates a new array of at most `capacity` items. */
  newestFirst(limit = this.count): T[] {
    const n = Math.min(limit, this.count);
    const out: T[] = new Array(n);
    for (let i = 0; i < n; i++) {
      out[i] = this.items[(this.head - 1 - i + this.capacity * 2) % this.capacity] as T;
    }
    return out;
  }

  clear(): void {
    this.items.fill(undefined);
    this.head = 0;
    this.count = 0;
  }
}
