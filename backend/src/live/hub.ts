// The live stream hub: stream log, client sync and fan-out put together. Every delta is
// appended to stream_log (stream-log.ts; its row id is the stream id) and, once committed,
// fanned out (fan-out.ts) to the subscribed WebSocket clients, each filtered by
// jurisdiction and its own filters; each client's snapshot, replay, live and lagging modes
// are a socket-free state machine (client-sync.ts) that the hub feeds from the database.
//
// Ordering: the stream log writes one batch at a time and hands a batch on only after it
// is committed, so every client sees strictly increasing ids and anything fanned out is
// already in the database for replay.
import { SerialJobs, type AlarmDto, type LiveFilters, type ServerMessage } from '@firelink/common';
import type pg from 'pg';
import type WebSocket from 'ws';
import type { Principal, Scope } from '../auth/scope.ts';
import type { Logger } from '../logger.ts';
import { ClientSync, type Mode, type Outlet } from './client-sync.ts';
import { fanOut, type FanOutClient } from './fan-out.ts';
import { messageMatches } from './filters.ts';
import { replayStream, type StreamRow } from './queries.ts';
import { StreamLog, type StreamFrame, type StreamLogFactory, type StreamLogPort, type StreamTiming } from './stream-log.ts';

export { BATCH_MAX_BYTES } from './fan-out.ts';

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
  /** Another stream log (scale-out: one log shared by several nodes); default the process's own StreamLog. */
  streamLog?: StreamLogFactory;
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

export class LiveClient implements FanOutClient {
  readonly sync: ClientSync<StreamFrame>;
  readonly outlet: Outlet;
  filters: LiveFilters = {};
  alive = true;
  /** Subscribed with `batch: true`: live deltas go out as one `batch` frame per tick. */
  batch = false;
  /** Scope + filters as a string: clients with equal keys see the same frames (one encoding shared). */
  filterKey = '';
  /** The screen the client says it is (`/ws?view=desk|wall`): the duty room's presence watch counts them. */
  view: 'desk' | 'wall' | null = null;
  constructor(
    readonly ws: WebSocket,
    readonly principal: Principal,
    opts: HubOptions,
  ) {
    this.sync = new ClientSync(opts);
    this.outlet = { send: (data) => ws.send(data, { binary: false }), buffered: () => ws.bufferedAmount };
  }
  get mode(): Mode {
    return this.sync.mode;
  }
  matches(f: StreamFrame): boolean {
    return messageMatches(this.principal.scope, this.filters, f.meta);
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
  private readonly log: StreamLogPort;
  private readonly clients = new Set<LiveClient>();
  private jobs = new SerialJobs();
  private closed = false;
  private droppedFrames = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
    /** The open alarms a new or resynced client starts from (the alarms room reads them). */
    private readonly snapshot: AlarmSnapshot,
    opts: Partial<HubOptions> = {},
  ) {
    this.opts = { ...DEFAULT_HUB_OPTIONS, ...opts };
    const committed = (frames: StreamFrame[]) => {
      this.droppedFrames += fanOut(this.clients, frames);
    };
    this.log = this.opts.streamLog ? this.opts.streamLog(pool, committed, this.opts.retentionHours) : new StreamLog(pool, logger, committed, this.opts.retentionHours);
  }

  /** Per stream_log batch (benchmarks read it): rows, INSERT ms, encode + fan-out ms. */
  get timing(): StreamTiming {
    return this.log.timing;
  }

  async start(): Promise<void> {
    await this.log.start();
    this.jobs = new SerialJobs((err) => this.logger.warn({ err }, 'live housekeeping failed'));
    this.jobs.every(this.opts.heartbeatMs, () => this.heartbeat());
    this.jobs.every(this.opts.lagCheckMs, () => this.checkLagging());
  }

  async stop(): Promise<void> {
    this.closed = true;
    await this.jobs.stop();
    await this.log.stop();
    for (const c of this.clients) c.ws.close(1001, 'server shutting down: reconnect with resumeFrom');
    this.clients.clear();
  }

  get headId(): number {
    return this.log.head;
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
    return this.log.append(rows);
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
    const c = new LiveClient(ws, principal, this.opts);
    this.clients.add(c);
    ws.on('pong', () => {
      c.alive = true;
    });
    ws.on('close', () => {
      this.clients.delete(c);
      c.sync.close();
    });
    ws.on('error', () => {});
    this.sendControl(c, {
      type: 'hello',
      id: this.log.head,
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
    const resumable = resumeFrom != null && resumeFrom <= this.log.head && resumeFrom >= this.log.tail - 1;
    this.sendControl(c, { type: 'subscribed', id: this.log.head, filters, mode: resumable ? 'resume' : 'snapshot' });
    return this.resync(c, resumable ? resumeFrom : null, resumeFrom == null ? 'initial' : 'resync');
  }

  sendControl(c: LiveClient, m: ServerMessage): void {
    if (c.ws.readyState === c.ws.OPEN) c.ws.send(JSON.stringify(m));
  }

  private async sendSnapshot(c: LiveClient, reason: 'initial' | 'resync'): Promise<number> {
    // Everything fanned out up to `head` is committed, so the alarms read next include it.
    const head = this.log.head;
    const { regions, bbox, kinds, minPriority } = c.filters;
    const alarms = await this.snapshot(c.principal.scope, { regions, bbox, kinds, minPriority }, this.opts.snapshotLimit);
    this.sendControl(c, { type: 'snapshot', id: head, reason, alarms });
    return head;
  }

  /** Snapshot (from = null) or replay from `from`, then live; the decisions are the client's sync state machine. */
  private async resync(c: LiveClient, from: number | null, reason: 'initial' | 'resync'): Promise<void> {
    const gen = c.sync.beginSync();
    const stale = () => gen !== c.sync.generation || this.closed || c.ws.readyState !== c.ws.OPEN;
    // Where the client's stream stands: a failed sync resumes from here, not from `from`
    // (that would send the messages replayed before the failure a second time).
    let reached = from;
    try {
      let cursor = from ?? (await this.sendSnapshot(c, reason));
      reached = cursor;
      if (stale()) return;
      let replayed = 0;
      for (;;) {
        const r = await this.pool.query(replayStream(cursor, this.log.head, c.principal.scope, c.filters, this.opts.replayPage));
        if (stale()) return;
        for (const row of r.rows) {
          const id = Number(row.id);
          // The client stopped reading mid-replay: it waits (lagging) for its buffer to drain.
          if (!c.sync.replayed(id, Buffer.from(JSON.stringify({ id, ...(row.payload as object) })), cursor, c.outlet)) return;
          cursor = id;
          reached = id;
        }
        replayed += r.rows.length;
        if (r.rows.length === this.opts.replayPage) {
          if (replayed >= this.opts.replayMaxMessages) {
            // Too far behind to replay: replace the client's state instead.
            c.sync.restartFromSnapshot();
            cursor = await this.sendSnapshot(c, 'resync');
            reached = cursor;
            if (stale()) return;
            replayed = 0;
          }
          continue;
        }
        // Live frames dropped while replaying are read back from the table.
        if (c.sync.caughtUp(cursor, c.outlet) !== 'replay') return;
      }
    } catch (err) {
      if (stale()) return;
      this.logger.warn({ err }, 'live client sync failed; resyncing');
      c.sync.failed(reached);
    }
  }

  private checkLagging(): void {
    for (const c of this.clients) {
      if (c.ws.readyState === c.ws.OPEN && c.sync.dueForResync(c.ws.bufferedAmount)) {
        void this.resync(c, c.sync.cursor < 0 ? null : c.sync.cursor, 'resync');
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
      byMode[c.sync.mode]++;
      maxBufferedBytes = Math.max(maxBufferedBytes, c.ws.bufferedAmount);
      maxPending = Math.max(maxPending, c.sync.pending.length);
    }
    return { clients: this.clients.size, byMode, maxBufferedBytes, maxPending, head: this.log.head, droppedFrames: this.droppedFrames };
  }
}
