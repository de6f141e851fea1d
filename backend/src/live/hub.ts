// The live stream hub: appends every delta to stream_log (its row id is the stream id),
// then fans it out to subscribed WebSocket clients, each filtered by jurisdiction and its
// own filters.
//
// Ordering: one writer per process (this hub) appends batches one at a time and fans a
// batch out only after it is committed, so every client sees strictly increasing ids and
// anything fanned out is already in the database for replay.
//
// Per-client modes:
//   idle     connected, not subscribed yet: nothing is sent.
//   syncing  snapshot and/or replay from stream_log in progress; live frames wait in a
//            bounded `pending` list (overflow drops it: the replay loop reads them back).
//   live     frames are sent as they come.
//   lagging  the socket's send buffer passed highWaterBytes (a client that stops
//            reading): live frames are dropped, only the cursor is kept. When the buffer
//            drains below lowWaterBytes the client is resynced from the database from its
//            cursor, or with a fresh snapshot when too far behind. Memory per client is
//            therefore bounded by highWaterBytes + one replay page + pendingMax frames.
import type { AlarmDto, LiveFilters, ServerMessage } from '@firelink/common';
import type pg from 'pg';
import type WebSocket from 'ws';
import type { Principal, Scope } from '../auth/scope.ts';
import type { Logger } from '../logger.ts';
import { messageMatches, type StreamMeta } from './filters.ts';
import { appendStream, pruneStream, replayStream, streamHead, type StreamRow } from './queries.ts';

/** Open alarms within a scope and filters, most urgent first, at most `limit`. */
export type AlarmSnapshot = (
  scope: Scope,
  filters: Pick<LiveFilters, 'regions' | 'bbox' | 'kinds' | 'minPriority'>,
  limit: number,
) => Promise<AlarmDto[]>;

export interface HubOptions {
  /** Bytes queued on a client's socket above which it is considered lagging. */
  highWaterBytes: number;
  /** Bytes queued below which a lagging client is resynced. */
  lowWaterBytes: number;
  /** Live frames held per client while it syncs; more drops the list (replay recovers). */
  pendingMax: number;
  /** Rows per replay query. */
  replayPage: number;
  /** Messages replayed in one resync before giving up and sending a fresh snapshot instead. */
  replayMaxMessages: number;
  /** Most alarms in one snapshot. */
  snapshotLimit: number;
  /** WebSocket ping interval; a client that did not pong since the last ping is dropped. */
  heartbeatMs: number;
  /** How often lagging clients are checked for a drained buffer. */
  lagCheckMs: number;
  /** Open connections allowed (further upgrades get 503). */
  maxConnections: number;
  /** stream_log retention; resuming from older ids yields a snapshot. */
  retentionHours: number;
}

export const DEFAULT_HUB_OPTIONS: HubOptions = {
  highWaterBytes: 1 << 20,
  lowWaterBytes: 256 << 10,
  pendingMax: 5000,
  replayPage: 1000,
  replayMaxMessages: 50_000,
  snapshotLimit: 5000,
  heartbeatMs: 15_000,
  lagCheckMs: 100,
  maxConnections: 1000,
  retentionHours: 48,
};

/** Most messages, and about the most bytes, in one `batch` frame (keeps a frame well under the lagging threshold). */
const BATCH_MAX = 500;
export const BATCH_MAX_BYTES = 64 * 1024;

/** `{"type":"batch","id":<last>,"messages":[…]}` frames built from the already-encoded messages. */
function encodeBatches(frames: Frame[]): BatchFrame[] {
  const out: BatchFrame[] = [];
  const comma = Buffer.from(',');
  const tail = Buffer.from(']}');
  for (let i = 0; i < frames.length; ) {
    // At least one message; then more while under both caps.
    let j = i + 1;
    let bytes = frames[i]!.data.length;
    while (j < frames.length && j - i < BATCH_MAX && bytes + frames[j]!.data.length + 1 <= BATCH_MAX_BYTES) bytes += frames[j++]!.data.length + 1;
    const part = frames.slice(i, j);
    i = j;
    const parts: Buffer[] = [Buffer.from(`{"type":"batch","id":${part[part.length - 1]!.id},"messages":[`)];
    part.forEach((f, k) => {
      if (k > 0) parts.push(comma);
      parts.push(f.data);
    });
    parts.push(tail);
    out.push({ lastId: part[part.length - 1]!.id, data: Buffer.concat(parts) });
  }
  return out;
}

interface BatchFrame {
  lastId: number;
  data: Buffer;
}

interface Frame {
  id: number;
  meta: StreamMeta;
  /** UTF-8 JSON, encoded once and sent as a text frame to every client (no per-client re-encoding). */
  data: Buffer;
}

type Mode = 'idle' | 'syncing' | 'live' | 'lagging';

export class LiveClient {
  mode: Mode = 'idle';
  filters: LiveFilters = {};
  /** Stream position: every frame up to here was sent or is not for this client. */
  cursor = 0;
  pending: Frame[] = [];
  overflow = false;
  alive = true;
  syncGen = 0;
  dropped = 0;
  /** Subscribed with `batch: true`: live deltas go out as one `batch` frame per tick. */
  batch = false;
  /** Scope + filters as a string: clients with equal keys see the same frames (one encoding shared). */
  filterKey = '';
  /** The screen the client says it is (`/ws?view=desk|wall`): the duty room's presence watch counts them. */
  view: 'desk' | 'wall' | null = null;
  constructor(
    readonly ws: WebSocket,
    readonly principal: Principal,
  ) {}
  get buffered(): number {
    return this.ws.bufferedAmount;
  }
}

export interface HubStats {
  clients: number;
  byMode: Record<Mode, number>;
  /** Largest send buffer of any client, bytes. */
  maxBufferedBytes: number;
  /** Largest pending list of any client, frames. */
  maxPending: number;
  head: number;
  droppedFrames: number;
}

export class LiveHub {
  readonly opts: HubOptions;
  private head = 0;
  private tail = 0;
  private readonly clients = new Set<LiveClient>();
  private waiting: Array<{ rows: StreamRow[]; resolve: (ids: number[]) => void; reject: (e: unknown) => void }> = [];
  private writing = false;
  private timers: NodeJS.Timeout[] = [];
  private closed = false;
  private droppedFrames = 0;
  /** Per write batch (benchmarks read it): rows, stream_log insert ms, encode + fan-out ms. Last 100 000 batches. */
  readonly timing: { rows: number[]; insertMs: number[]; fanOutMs: number[] } = { rows: [], insertMs: [], fanOutMs: [] };

  constructor(
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
    /** The open alarms a new or resynced client starts from (the alarms room reads them). */
    private readonly snapshot: AlarmSnapshot,
    opts: Partial<HubOptions> = {},
  ) {
    this.opts = { ...DEFAULT_HUB_OPTIONS, ...opts };
  }

  async start(): Promise<void> {
    const r = await this.pool.query(streamHead());
    this.head = Number(r.rows[0].head);
    this.tail = Number(r.rows[0].tail);
    this.timers.push(setInterval(() => this.heartbeat(), this.opts.heartbeatMs).unref());
    this.timers.push(setInterval(() => this.checkLagging(), this.opts.lagCheckMs).unref());
    this.timers.push(
      setInterval(() => {
        this.pool
          .query(pruneStream(this.opts.retentionHours))
          .then(() => this.pool.query(streamHead()))
          .then((r) => {
            this.tail = Number(r.rows[0].tail);
          })
          .catch((err) => this.logger.warn({ err }, 'stream_log prune failed'));
      }, 3600_000).unref(),
    );
  }

  async stop(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    for (const c of this.clients) c.ws.close(1001, 'server shutting down: reconnect with resumeFrom');
    this.clients.clear();
  }

  get headId(): number {
    return this.head;
  }

  get connectionCount(): number {
    return this.clients.size;
  }

  /**
   * Appends deltas to stream_log and sends them to matching clients. Calls made while a
   * write is in flight are appended together in the next statement (in call order).
   * Resolves with the stream ids of `rows`, after they are committed and fanned out.
   */
  publish(rows: StreamRow[]): Promise<number[]> {
    if (rows.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.waiting.push({ rows, resolve, reject });
      if (!this.writing) void this.writeLoop();
    });
  }

  private async writeLoop(): Promise<void> {
    this.writing = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0);
        const all = batch.flatMap((b) => b.rows);
        try {
          // Chunks keep one statement's parameter arrays reasonable.
          // Each payload is encoded once: the same JSON goes to stream_log and, with its id
          // prepended, to every client.
          const t0 = performance.now();
          const json = all.map((r) => JSON.stringify(r.payload));
          const ids: number[] = [];
          for (let i = 0; i < all.length; i += 5000) {
            const r = await this.pool.query(appendStream(all.slice(i, i + 5000), json.slice(i, i + 5000)));
            ids.push(...r.rows.map((x) => Number(x.id)).sort((a, b) => a - b));
          }
          const t1 = performance.now();
          const frames: Frame[] = all.map((row, k) => {
            const id = ids[k]!;
            const p = json[k]!;
            // {"id":N,…payload} — payloads are objects that never carry an id of their own.
            return { id, meta: row.meta, data: Buffer.from(p === '{}' ? `{"id":${id}}` : `{"id":${id},${p.slice(1)}`) };
          });
          this.head = Math.max(this.head, ids[ids.length - 1] ?? 0);
          this.fanOut(frames);
          const tm = this.timing;
          if (tm.rows.length >= 100_000) for (const a of [tm.rows, tm.insertMs, tm.fanOutMs]) a.splice(0, 50_000);
          tm.rows.push(all.length);
          tm.insertMs.push(t1 - t0);
          tm.fanOutMs.push(performance.now() - t1);
          let k = 0;
          for (const b of batch) {
            b.resolve(ids.slice(k, k + b.rows.length));
            k += b.rows.length;
          }
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  private fanOut(frames: Frame[]): void {
    // Batch frames, encoded once per distinct scope + filters in this tick.
    const batches = new Map<string, BatchFrame[]>();
    for (const c of this.clients) {
      if (c.mode === 'idle' || c.mode === 'lagging') continue;
      if (c.batch && c.mode === 'live') {
        this.fanOutBatch(c, frames, batches);
        continue;
      }
      // Corking the socket turns a batch of frames into one write per client instead of
      // one syscall per frame (ws has no public batching API; _socket is its net.Socket).
      const socket = (c.ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
      socket?.cork();
      try {
        this.fanOutTo(c, frames);
      } finally {
        socket?.uncork();
      }
    }
  }

  /**
   * A batch client in live mode: every matching frame of the tick in `batch` messages of at
   * most BATCH_MAX messages / ~BATCH_MAX_BYTES (one socket write). The send buffer is checked before each batch
   * message, so a client's memory stays within highWaterBytes + one batch message; past it the
   * cursor stays after the last batch sent and the rest comes back from stream_log.
   */
  private fanOutBatch(c: LiveClient, frames: Frame[], cache: Map<string, BatchFrame[]>): void {
    if (frames.length === 0) return;
    let out = cache.get(c.filterKey);
    if (!out) {
      out = encodeBatches(frames.filter((f) => messageMatches(c.principal.scope, c.filters, f.meta)));
      cache.set(c.filterKey, out);
    }
    for (const b of out) {
      if (c.buffered > this.opts.highWaterBytes) {
        c.mode = 'lagging';
        c.dropped++;
        this.droppedFrames++;
        return;
      }
      c.ws.send(b.data, { binary: false });
      c.cursor = b.lastId;
    }
    c.cursor = frames[frames.length - 1]!.id;
  }

  private fanOutTo(c: LiveClient, frames: Frame[]): void {
    for (const f of frames) {
      if (c.mode === 'syncing') {
        if (!messageMatches(c.principal.scope, c.filters, f.meta)) continue;
        if (c.pending.length < this.opts.pendingMax) c.pending.push(f);
        else if (!c.overflow) {
          c.overflow = true;
          c.pending = [];
        }
        continue;
      }
      if (c.mode !== 'live') break;
      if (messageMatches(c.principal.scope, c.filters, f.meta)) {
        if (c.buffered > this.opts.highWaterBytes) {
          // Stop here: the cursor stays before f; the rest comes back from stream_log.
          c.mode = 'lagging';
          c.dropped++;
          this.droppedFrames++;
          break;
        }
        c.ws.send(f.data, { binary: false });
      }
      c.cursor = f.id;
    }
  }

  // ---------------------------------------------------------------------------------
  // Clients

  /** Who is watching: each open client's principal and screen (duty/presence.ts). */
  presence(): Array<{ principal: Principal; view: 'desk' | 'wall' | null }> {
    return [...this.clients].map((c) => ({ principal: c.principal, view: c.view }));
  }

  canAccept(): boolean {
    return !this.closed && this.clients.size < this.opts.maxConnections;
  }

  addClient(ws: WebSocket, principal: Principal): LiveClient {
    const c = new LiveClient(ws, principal);
    this.clients.add(c);
    ws.on('pong', () => {
      c.alive = true;
    });
    ws.on('close', () => {
      this.clients.delete(c);
      c.syncGen++;
      c.pending = [];
    });
    ws.on('error', () => {});
    this.sendControl(c, {
      type: 'hello',
      id: this.head,
      serverTime: new Date().toISOString(),
      user: { username: principal.username, role: principal.role },
      heartbeatMs: this.opts.heartbeatMs,
    });
    return c;
  }

  /** (Re)subscribes: snapshot then live, or replay from resumeFrom then live. */
  subscribe(c: LiveClient, filters: LiveFilters, resumeFrom: number | undefined, batch = false): Promise<void> {
    c.filters = filters;
    c.batch = batch;
    c.filterKey = JSON.stringify([c.principal.scope, filters]);
    const resumable = resumeFrom != null && resumeFrom <= this.head && resumeFrom >= this.tail - 1;
    this.sendControl(c, { type: 'subscribed', id: this.head, filters, mode: resumable ? 'resume' : 'snapshot' });
    return this.sync(c, resumable ? resumeFrom : null, resumeFrom == null ? 'initial' : 'resync');
  }

  sendControl(c: LiveClient, m: ServerMessage): void {
    if (c.ws.readyState === c.ws.OPEN) c.ws.send(JSON.stringify(m));
  }

  private async sendSnapshot(c: LiveClient, reason: 'initial' | 'resync'): Promise<number> {
    // Everything fanned out up to `head` is committed, so the alarms read next include it.
    const head = this.head;
    const { regions, bbox, kinds, minPriority } = c.filters;
    const alarms = await this.snapshot(c.principal.scope, { regions, bbox, kinds, minPriority }, this.opts.snapshotLimit);
    this.sendControl(c, { type: 'snapshot', id: head, reason, alarms });
    return head;
  }

  private async sync(c: LiveClient, from: number | null, reason: 'initial' | 'resync'): Promise<void> {
    const gen = ++c.syncGen;
    c.mode = 'syncing';
    c.pending = [];
    c.overflow = false;
    const stale = () => gen !== c.syncGen || this.closed || c.ws.readyState !== c.ws.OPEN;
    try {
      let cursor = from ?? (await this.sendSnapshot(c, reason));
      if (stale()) return;
      let replayed = 0;
      for (;;) {
        const r = await this.pool.query(replayStream(cursor, c.principal.scope, c.filters, this.opts.replayPage));
        if (stale()) return;
        for (const row of r.rows) {
          if (c.buffered > this.opts.highWaterBytes) {
            // The client stopped reading mid-replay: wait for its buffer to drain.
            c.cursor = cursor;
            c.mode = 'lagging';
            return;
          }
          const id = Number(row.id);
          c.ws.send(JSON.stringify({ id, ...(row.payload as object) }));
          cursor = id;
        }
        replayed += r.rows.length;
        if (r.rows.length === this.opts.replayPage) {
          if (replayed >= this.opts.replayMaxMessages) {
            // Too far behind to replay: replace the client's state instead.
            c.pending = [];
            c.overflow = false;
            cursor = await this.sendSnapshot(c, 'resync');
            if (stale()) return;
            replayed = 0;
          }
          continue;
        }
        if (c.overflow) {
          // Live frames were dropped while replaying: read them back from the table.
          c.overflow = false;
          c.pending = [];
          continue;
        }
        for (const f of c.pending) {
          if (f.id <= cursor) continue;
          if (c.buffered > this.opts.highWaterBytes) {
            c.pending = [];
            c.cursor = cursor;
            c.mode = 'lagging';
            return;
          }
          c.ws.send(f.data, { binary: false });
          cursor = f.id;
        }
        c.pending = [];
        c.cursor = cursor;
        c.mode = 'live';
        return;
      }
    } catch (err) {
      if (stale()) return;
      this.logger.warn({ err }, 'live client sync failed; resyncing');
      c.mode = 'lagging';
      // -1: no usable position (the snapshot itself failed): the next attempt snapshots again.
      c.cursor = from ?? -1;
    }
  }

  private checkLagging(): void {
    for (const c of this.clients) {
      if (c.mode === 'lagging' && c.buffered < this.opts.lowWaterBytes && c.ws.readyState === c.ws.OPEN) {
        void this.sync(c, c.cursor < 0 ? null : c.cursor, 'resync');
      }
    }
  }

  private heartbeat(): void {
    for (const c of this.clients) {
      if (!c.alive) {
        c.ws.terminate();
        continue;
      }
      c.alive = false;
      try {
        c.ws.ping();
      } catch {
        c.ws.terminate();
      }
    }
  }

  stats(): HubStats {
    const byMode: Record<Mode, number> = { idle: 0, syncing: 0, live: 0, lagging: 0 };
    let maxBufferedBytes = 0;
    let maxPending = 0;
    for (const c of this.clients) {
      byMode[c.mode]++;
      maxBufferedBytes = Math.max(maxBufferedBytes, c.buffered);
      maxPending = Math.max(maxPending, c.pending.length);
    }
    return { clients: this.clients.size, byMode, maxBufferedBytes, maxPending, head: this.head, droppedFrames: this.droppedFrames };
  }
}
