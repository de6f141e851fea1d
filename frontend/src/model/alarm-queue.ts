// The live alarm queue of the desk and the wall: keyed by id, ordered by priority, then
// unacknowledged before handled. Unacknowledged alarms are newest first, so a fire that just
// arrived is at the top of the queue and never under dozens of older escalated ones; alarms
// being handled are oldest first (the longest-running case stays in view). Bounded: past `capacity` the least urgent, newest alarms are dropped from
// the view (the REST list still has them).
import type { AlarmView } from './alarm.ts';

export const DEFAULT_QUEUE_CAPACITY = 2000;

const STATE_RANK: Record<string, number> = { open: 0, acknowledged: 1, verified: 2, dispatched: 3, closed: 4 };

/** Priority first, then unacknowledged before handled (0 when both are alike). */
function byUrgency(a: AlarmView, b: AlarmView): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  return (STATE_RANK[a.state] ?? 9) - (STATE_RANK[b.state] ?? 9);
}

/** openedAt as epoch ms, parsed once per alarm version (sorting compares each alarm many times). */
const openedMsCache = new WeakMap<AlarmView, number>();
function openedMs(a: AlarmView): number {
  let ms = openedMsCache.get(a);
  if (ms === undefined) {
    ms = Date.parse(a.openedAt);
    openedMsCache.set(a, ms);
  }
  return ms;
}

function oldestFirst(a: AlarmView, b: AlarmView): number {
  const d = openedMs(a) - openedMs(b);
  return d !== 0 ? d : a.id - b.id;
}

export function compareAlarms(a: AlarmView, b: AlarmView): number {
  const u = byUrgency(a, b);
  if (u !== 0) return u;
  // Same urgency and state: unacknowledged newest first, handled oldest first.
  return a.state === 'open' ? oldestFirst(b, a) : oldestFirst(a, b);
}

/** Which alarms the bounded view keeps: the most urgent, and among equals the longest waiting (the newest are dropped first). */
function retentionOrder(a: AlarmView, b: AlarmView): number {
  return byUrgency(a, b) || oldestFirst(a, b);
}

export interface QueueChange {
  /** Alarms that were not in the queue before (for fly-to, sound, pulse). */
  added: AlarmView[];
  removed: number[];
}

export class AlarmQueue {
  private readonly byId = new Map<number, AlarmView>();
  /** Every alarm of byId in display order (compareAlarms), kept sorted change by change: an update costs a binary search and a splice, not a sort. */
  private readonly order: AlarmView[] = [];
  /** The copy list() hands out (a new array after each change: views compare it by identity). */
  private view: readonly AlarmView[] | null = [];

  constructor(readonly capacity = DEFAULT_QUEUE_CAPACITY) {}

  get size(): number {
    return this.byId.size;
  }

  get(id: number): AlarmView | undefined {
    return this.byId.get(id);
  }

  /** Replaces everything (a snapshot after connect or after a gap). */
  reset(alarms: readonly AlarmView[]): QueueChange {
    const before = new Set(this.byId.keys());
    this.byId.clear();
    const added: AlarmView[] = [];
    for (const a of alarms) {
      if (a.state === 'closed') continue;
      this.byId.set(a.id, a);
      if (!before.has(a.id)) added.push(a);
    }
    const removed = [...before].filter((id) => !this.byId.has(id));
    if (this.byId.size > this.capacity) {
      const order = [...this.byId.values()].sort(retentionOrder);
      for (const a of order.slice(this.capacity)) {
        this.byId.delete(a.id);
        removed.push(a.id);
      }
    }
    this.order.length = 0;
    this.order.push(...[...this.byId.values()].sort(compareAlarms));
    this.view = null;
    return { added: added.filter((a) => this.byId.has(a.id)), removed };
  }

  /** Applies one alarm update; closed alarms leave the queue; stale versions are ignored. */
  upsert(a: AlarmView): QueueChange {
    const prev = this.byId.get(a.id);
    if (prev && prev.version > a.version) return { added: [], removed: [] };
    if (a.state === 'closed') {
      if (!prev) return { added: [], removed: [] };
      this.byId.delete(a.id);
      this.remove(prev);
      return { added: [], removed: [a.id] };
    }
    if (prev) this.remove(prev);
    this.byId.set(a.id, a);
    this.order.splice(this.position(a), 0, a);
    this.view = null;
    const removed = this.enforceCapacity();
    const kept = this.byId.has(a.id);
    return { added: !prev && kept ? [a] : [], removed };
  }

  /** Sorted view; the same array until the next change. */
  list(): readonly AlarmView[] {
    if (!this.view) this.view = this.order.slice();
    return this.view;
  }

  /** Where `a` belongs in `order` (first index whose alarm sorts at or after it). */
  private position(a: AlarmView): number {
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareAlarms(this.order[mid]!, a) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private remove(a: AlarmView): void {
    let i = this.position(a);
    if (this.order[i] !== a) i = this.order.indexOf(a);
    if (i >= 0) this.order.splice(i, 1);
    this.view = null;
  }

  /** Past capacity: drops the least urgent, newest alarm (one scan each; an upsert adds one at most). */
  private enforceCapacity(): number[] {
    const drop: number[] = [];
    while (this.byId.size > this.capacity) {
      let worst: AlarmView | null = null;
      for (const x of this.byId.values()) if (!worst || retentionOrder(x, worst) > 0) worst = x;
      this.byId.delete(worst!.id);
      this.remove(worst!);
      drop.push(worst!.id);
    }
    return drop;
  }
}

/** Index of the row after moving `delta` rows from `current` (keyboard j/k), clamped. */
export function moveSelection(list: readonly AlarmView[], currentId: number | null, delta: number): number | null {
  if (list.length === 0) return null;
  const i = currentId === null ? -1 : list.findIndex((a) => a.id === currentId);
  if (i === -1) return list[delta >= 0 ? 0 : list.length - 1]!.id;
  const j = Math.max(0, Math.min(list.length - 1, i + delta));
  return list[j]!.id;
}
