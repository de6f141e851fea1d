// Limits how often the map's deck.gl layers are rebuilt and redrawn. On the wall, 200 events/s
// change unit colours and the alarm dots many times a second; each redraw of 100,000 units
// costs ~150 ms on a machine without a GPU (software WebGL), so redrawing on every change
// would keep the page busy all the time. The gate redraws at once after a quiet spell
// (leading edge), coalesces a burst into one redraw per `everyMs`, and lets urgent changes
// (a new fire) through immediately.
export interface GateClock {
  now: () => number;
  setTimeout: (fn: () => void, ms: number) => unknown;
  clearTimeout: (handle: unknown) => void;
}

const realClock: GateClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export class RedrawGate {
  private last = -Infinity;
  private timer: unknown = null;
  private disposed = false;

  constructor(
    readonly everyMs: number,
    private readonly run: () => void,
    private readonly clock: GateClock = realClock,
  ) {}

  /** Asks for a redraw; `urgent` skips the wait. */
  request(urgent = false): void {
    if (this.disposed) return;
    const wait = this.last + this.everyMs - this.clock.now();
    if (urgent || wait <= 0) {
      this.fire();
      return;
    }
    this.timer ??= this.clock.setTimeout(() => this.fire(), wait);
  }

  /** True while a coalesced redraw is waiting. */
  get pending(): boolean {
    return this.timer !== null;
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private fire(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.last = this.clock.now();
    this.run();
  }
}
