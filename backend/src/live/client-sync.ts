// One live client's synchronisation, as a state machine without sockets or a database: the
// hub feeds it committed frames and replay results, and it decides what goes out through
// an `Outlet` (send, and how many bytes wait in the send buffer). Tested with a fake outlet.
//
// Modes:
//   idle     connected, not subscribed yet: nothing is sent.
//   syncing  snapshot and/or replay from stream_log in progress; live frames wait in a
//            bounded `pending` list (overflow drops it: the replay reads them back).
//   live     frames are sent as they come.
//   lagging  the send buffer passed highWaterBytes (a client that stops reading): live
//            frames are dropped, only the cursor is kept. When the buffer drains below
//            lowWaterBytes the client is resynced from its cursor (or a fresh snapshot
//            when too far behind). Memory per client is therefore bounded by
//            highWaterBytes + one replay page (or one batch frame) + pendingMax frames.
//
// The cursor is the stream position: every frame up to it was sent or is not for this
// client, so a resync from the cursor loses nothing and repeats nothing.

export type Mode = 'idle' | 'syncing' | 'live' | 'lagging';

/** A committed frame as the client sees it: its stream id, whether it is for this client, its bytes. */
export interface SyncFrame {
  id: number;
  data: Buffer;
}

/** Where a client's frames go. */
export interface Outlet {
  send(data: Buffer): void;
  /** Bytes queued on the socket, not yet taken by the network. */
  buffered(): number;
}

export interface SyncLimits {
  highWaterBytes: number;
  lowWaterBytes: number;
  pendingMax: number;
}

export class ClientSync<F extends SyncFrame = SyncFrame> {
  mode: Mode = 'idle';
  cursor = 0;
  pending: F[] = [];
  overflow = false;
  /** Bumped by every (re)sync and by close: a replay that sees another generation stops. */
  generation = 0;
  /** Times this client went lagging. */
  dropped = 0;

  constructor(private readonly limits: SyncLimits) {}

  /** A (re)sync begins: live frames wait in `pending` until it finishes. Returns its generation. */
  beginSync(): number {
    this.mode = 'syncing';
    this.pending = [];
    this.overflow = false;
    return ++this.generation;
  }

  /** The client is gone: any sync in flight is stale. */
  close(): void {
    this.generation++;
    this.pending = [];
  }

  /**
   * Committed frames, in id order, that are for this client (`matches`). Live: sent until the
   * buffer passes the high-water mark (then lagging, the cursor before the first unsent
   * frame). Syncing: kept in `pending`, or dropped when it overflows. Returns true when the
   * client went lagging here.
   */
  deliver(frames: readonly F[], matches: (f: F) => boolean, out: Outlet): boolean {
    for (const f of frames) {
      if (this.mode === 'syncing') {
        if (!matches(f)) continue;
        if (this.pending.length < this.limits.pendingMax) this.pending.push(f);
        else if (!this.overflow) {
          this.overflow = true;
          this.pending = [];
        }
        continue;
      }
      if (this.mode !== 'live') return false;
      if (matches(f)) {
        if (out.buffered() > this.limits.highWaterBytes) return this.lag();
        out.send(f.data);
      }
      this.cursor = f.id;
    }
    return false;
  }

  /**
   * A live batch client: the tick's matching frames as prepared batch frames (each with the
   * last id it carries), checked against the high-water mark before each; `lastId` is the
   * tick's last frame (matching or not). Returns true when the client went lagging here.
   */
  deliverBatches(batches: ReadonlyArray<{ lastId: number; data: Buffer }>, lastId: number, out: Outlet): boolean {
    if (this.mode !== 'live') return false;
    for (const b of batches) {
      if (out.buffered() > this.limits.highWaterBytes) return this.lag();
      out.send(b.data);
      this.cursor = b.lastId;
    }
    this.cursor = lastId;
    return false;
  }

  /** A replayed message (id, bytes): sent unless the buffer is full (then lagging at `cursor`). False when it stopped. */
  replayed(id: number, data: Buffer, cursor: number, out: Outlet): boolean {
    if (out.buffered() > this.limits.highWaterBytes) {
      this.cursor = cursor;
      this.mode = 'lagging';
      return false;
    }
    out.send(data);
    return true;
  }

  /**
   * The replay caught up with the table at `cursor`. If live frames overflowed meanwhile,
   * 'replay' (read them back from the table); else the pending frames after the cursor are
   * sent and the client is live, or lagging if its buffer filled.
   */
  caughtUp(cursor: number, out: Outlet): 'replay' | 'live' | 'lagging' {
    if (this.overflow) {
      this.overflow = false;
      this.pending = [];
      return 'replay';
    }
    for (const f of this.pending) {
      if (f.id <= cursor) continue;
      if (out.buffered() > this.limits.highWaterBytes) {
        this.pending = [];
        this.cursor = cursor;
        this.mode = 'lagging';
        return 'lagging';
      }
      out.send(f.data);
      cursor = f.id;
    }
    this.pending = [];
    this.cursor = cursor;
    this.mode = 'live';
    return 'live';
  }

  /** Too far behind to replay: a snapshot replaces the client's state; pending frames before it are moot. */
  restartFromSnapshot(): void {
    this.pending = [];
    this.overflow = false;
  }

  /** The sync failed (database): lagging, to be retried from `from` (-1: no usable position, snapshot again). */
  failed(from: number | null): void {
    this.mode = 'lagging';
    this.cursor = from ?? -1;
  }

  /** A lagging client whose buffer drained below the low-water mark is due for a resync. */
  dueForResync(buffered: number): boolean {
    return this.mode === 'lagging' && buffered < this.limits.lowWaterBytes;
  }

  private lag(): true {
    this.mode = 'lagging';
    this.dropped++;
    return true;
  }
}
