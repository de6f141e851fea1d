// Where the wall's camera goes: the city overview, a new fire at once, and otherwise a slow
// round of the unacknowledged fires with the overview in between, so that the wall never
// stays at street zoom on one fire while others burn elsewhere. Pure: the caller ticks it
// with a clock and the current list of unacknowledged fires and moves the map when it
// returns a target.

/** A new or toured fire stays in view this long before the camera returns to the city. */
export const FIRE_DWELL_MS = 15_000;
/** The city overview stays this long between two fires of the round. */
export const OVERVIEW_DWELL_MS = 20_000;

export type TourTarget = { kind: 'overview' } | { kind: 'fire'; alarmId: number };

export interface WallTourOptions {
  fireDwellMs?: number;
  overviewDwellMs?: number;
}

export class WallTour {
  private readonly fireDwellMs: number;
  private readonly overviewDwellMs: number;
  /** The fire in view, or null for the overview. */
  private showing: number | null = null;
  private since: number;
  /** The last fire of the round, to continue after it. */
  private lastToured: number | null = null;
  paused = false;

  constructor(now: number, o: WallTourOptions = {}) {
    this.fireDwellMs = o.fireDwellMs ?? FIRE_DWELL_MS;
    this.overviewDwellMs = o.overviewDwellMs ?? OVERVIEW_DWELL_MS;
    this.since = now;
  }

  /** The fire in view, or null on the overview. */
  get current(): number | null {
    return this.showing;
  }

  /** A fire just opened: show it now, whatever is in view. */
  newFire(now: number, alarmId: number): TourTarget | null {
    if (this.paused) return null;
    this.showing = alarmId;
    this.since = now;
    this.lastToured = alarmId;
    return { kind: 'fire', alarmId };
  }

  /**
   * Called about once a second. `unhandled`: ids of the unacknowledged fires, in the order
   * the round visits them. Returns where to move the camera, or null to stay.
   */
  tick(now: number, unhandled: readonly number[]): TourTarget | null {
    if (this.paused) return null;
    if (this.showing !== null) {
      // Back to the city after the dwell, or at once when the fire was acknowledged.
      if (now - this.since >= this.fireDwellMs || !unhandled.includes(this.showing)) {
        this.showing = null;
        this.since = now;
        return { kind: 'overview' };
      }
      return null;
    }
    if (unhandled.length === 0 || now - this.since < this.overviewDwellMs) return null;
    const after = this.lastToured === null ? -1 : unhandled.indexOf(this.lastToured);
    const next = unhandled[(after + 1) % unhandled.length]!;
    this.showing = next;
    this.since = now;
    this.lastToured = next;
    return { kind: 'fire', alarmId: next };
  }
}
