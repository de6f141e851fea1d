// One ordered stream across API nodes. stream_log in PostgreSQL is the single order: every
// node (API nodes for operator steps, workers for events and alarm changes) appends under
// one transaction-scoped advisory lock, so ids commit in id order (queries.ts lockStream),
// and every node that serves WebSocket clients tails the table — LISTEN for a hint, then
// `SELECT … WHERE id > head` — and fans out what it reads. Every API node therefore hands
// its clients the same messages, in the same order, with the same ids, and a client that
// moves to another node resumes from its last id (replay from the same table).
//
// A NOTIFY is a hint, not the data: the tail also polls (pollMs) and reads again after a
// reconnect of its LISTEN connection, so a lost notification only delays a message.
import { SerialJobs } from '@firelink/common';
import pg from 'pg';
import { withTransaction } from '../db/pool.ts';
import type { Logger } from '../logger.ts';
import type { StreamMeta } from '../live/filters.ts';
import { appendStream, pruneStream, streamHead, type StreamRow } from '../live/queries.ts';
import { newStreamTiming, recordTiming, withId, type StreamFrame, type StreamLogFactory, type StreamLogPort, type StreamTiming } from '../live/stream-log.ts';
import { lockStream, notifyStream, STREAM_CHANNEL, tailStream } from './queries.ts';

/** The advisory lock every stream_log writer takes (fixed; other keys in leader.ts). */
export const STREAM_LOCK_KEY = 268_750_001;

export interface SharedStreamLogOptions {
  /** Where the LISTEN connection goes (the pool's database). */
  databaseUrl: string;
  logger: Logger;
  /** Tail the table and hand frames on (API nodes); false: append only (workers). */
  tail: boolean;
  /** Poll interval when no notification came, ms. Default 1000. */
  pollMs?: number;
  /** Rows per tail query. Default 2000. */
  page?: number;
}

export function sharedStreamLog(o: SharedStreamLogOptions): StreamLogFactory {
  return (pool, committed, retentionHours) => new SharedStreamLog(pool, o, committed, retentionHours);
}

export class SharedStreamLog implements StreamLogPort {
  head = 0;
  tail = 0;
  readonly timing: StreamTiming = newStreamTiming();
  private jobs = new SerialJobs();
  private listener: pg.Client | null = null;
  private stopped = false;
  private readTail: () => void = () => {};

  constructor(
    private readonly pool: pg.Pool,
    private readonly o: SharedStreamLogOptions,
    private readonly committed: (frames: StreamFrame[]) => void,
    private readonly retentionHours: number,
  ) {}

  async start(): Promise<void> {
    const r = await this.pool.query(streamHead());
    this.head = Number(r.rows[0].head);
    this.tail = Number(r.rows[0].tail);
    this.jobs = new SerialJobs((err) => this.o.logger.warn({ err }, 'shared stream log: tail or prune failed (retried)'));
    this.jobs.every(3600_000, () => this.prune());
    if (!this.o.tail) return;
    this.readTail = this.jobs.coalesced(() => this.readOnce());
    this.jobs.every(this.o.pollMs ?? 1000, () => this.readOnce());
    await this.listen();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.jobs.stop();
    await this.listener?.end().catch(() => {});
    this.listener = null;
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const c = new pg.Client({ connectionString: this.o.databaseUrl });
    c.on('notification', () => this.readTail());
    c.on('error', (err) => {
      this.o.logger.warn({ err }, 'shared stream log: LISTEN connection lost; reconnecting (polling meanwhile)');
      if (this.listener === c) this.listener = null;
      c.end().catch(() => {});
      setTimeout(() => void this.listen().catch(() => {}), 1000).unref();
    });
    await c.connect();
    await c.query(`LISTEN ${STREAM_CHANNEL}`);
    this.listener = c;
    this.readTail();
  }

  private async prune(): Promise<void> {
    await this.pool.query(pruneStream(this.retentionHours));
    const r = await this.pool.query(streamHead());
    this.tail = Number(r.rows[0].tail);
  }

  /** Hands on every committed message after head, in id order. */
  private async readOnce(): Promise<void> {
    const page = this.o.page ?? 2000;
    for (;;) {
      const t0 = performance.now();
      const r = await this.pool.query(tailStream(this.head, page));
      if (r.rows.length === 0) return;
      const frames: StreamFrame[] = r.rows.map((x) => {
        const id = Number(x.id);
        const meta: StreamMeta = {
          kind: x.kind ?? null,
          priority: x.priority == null ? null : Number(x.priority),
          regionAdcode: x.region_adcode == null ? null : Number(x.region_adcode),
          unitId: x.unit_id == null ? null : Number(x.unit_id),
          lonLatWgs84: x.lon == null ? null : [Number(x.lon), Number(x.lat)],
        };
        return { id, meta, data: withId(id, String(x.payload)) };
      });
      const t1 = performance.now();
      this.head = frames[frames.length - 1]!.id;
      this.committed(frames);
      recordTiming(this.timing, frames.length, t1 - t0, performance.now() - t1);
      if (r.rows.length < page) return;
    }
  }

  /** Appends rows in order under the stream lock; resolves with their ids once committed (fan-out follows from the tail). */
  async append(rows: StreamRow[]): Promise<number[]> {
    if (rows.length === 0) return [];
    const json = rows.map((r) => JSON.stringify(r.payload));
    const ids = await withTransaction(this.pool, async (c) => {
      await c.query(lockStream(STREAM_LOCK_KEY));
      const r = await c.query(appendStream(rows, json));
      const out = r.rows.map((x) => Number(x.id)).sort((a, b) => a - b);
      await c.query(notifyStream(out[out.length - 1]!));
      return out;
    });
    if (this.o.tail) this.readTail();
    return ids;
  }
}
