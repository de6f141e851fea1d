// The stream log: every live delta is appended to stream_log, whose row id is its stream id,
// and handed on (to the fan-out) only once committed, so anything a client was sent can be
// replayed from the table.
//
// One writer per process: appends are grouped — rows passed to append() while a write is
// in flight go together into the next statement, in call order — and one batch is written
// at a time, so the ids handed on increase strictly. Each payload is JSON-encoded once: the
// same text goes into stream_log and, with its id prepended, to every client.
import { RecentSamples, SerialJobs } from '@firelink/common';
import type pg from 'pg';
import type { Logger } from '../logger.ts';
import type { StreamMeta } from './filters.ts';
import { appendStream, pruneStream, streamHead, streamIdsAfter, type StreamRow } from './queries.ts';

/** A committed message: its stream id, what filters read, and its UTF-8 JSON `{"id":N,…}`. */
export interface StreamFrame {
  id: number;
  meta: StreamMeta;
  data: Buffer;
}

/** Per append batch (benchmarks read it): rows, stream_log INSERT ms, hand-on (encode + fan-out) ms. The last 100,000 batches. */
export interface StreamTiming {
  rows: RecentSamples;
  insertMs: RecentSamples;
  fanOutMs: RecentSamples;
}

export const newStreamTiming = (): StreamTiming => ({ rows: new RecentSamples(100_000), insertMs: new RecentSamples(100_000), fanOutMs: new RecentSamples(100_000) });

/**
 * What the hub needs of a stream log. StreamLog is the single-process one; several API
 * nodes share one ordered log through another implementation (cluster/shared-stream-log.ts).
 */
export interface StreamLogPort {
  /** Last id committed and handed on. */
  readonly head: number;
  /** Oldest id kept. */
  readonly tail: number;
  readonly timing: StreamTiming;
  start(): Promise<void>;
  stop(): Promise<void>;
  append(rows: StreamRow[]): Promise<number[]>;
}

/** Builds a stream log on the hub's pool that hands committed frames, in id order, to `committed`. */
export type StreamLogFactory = (pool: pg.Pool, committed: (frames: StreamFrame[]) => void, retentionHours: number) => StreamLogPort;

/** Rows per INSERT statement at most (keeps one statement's parameter arrays reasonable). */
const APPEND_CHUNK = 5000;

export class StreamLog implements StreamLogPort {
  /** Last id committed and handed on. */
  head = 0;
  /** Oldest id kept (retention); resuming from before it needs a snapshot. */
  tail = 0;
  readonly timing = newStreamTiming();
  private waiting: Array<{ rows: StreamRow[]; resolve: (ids: number[]) => void; reject: (e: unknown) => void }> = [];
  private writing = false;
  private jobs = new SerialJobs();

  constructor(
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
    /** Called with each committed batch, in id order, before append() resolves. */
    private readonly committed: (frames: StreamFrame[]) => void,
    private readonly retentionHours: number,
  ) {}

  async start(): Promise<void> {
    const r = await this.pool.query(streamHead());
    this.head = Number(r.rows[0].head);
    this.tail = Number(r.rows[0].tail);
    this.jobs = new SerialJobs((err) => this.logger.warn({ err }, 'stream_log prune failed'));
    this.jobs.every(3600_000, () => this.prune());
  }

  async stop(): Promise<void> {
    await this.jobs.stop();
  }

  /** Drops messages past the retention window and moves the tail. */
  async prune(): Promise<void> {
    await this.pool.query(pruneStream(this.retentionHours));
    const r = await this.pool.query(streamHead());
    this.tail = Number(r.rows[0].tail);
  }

  /**
   * Appends rows; resolves with their stream ids after they are committed and handed on.
   * Calls made while a write is in flight are appended together in the next statement.
   */
  append(rows: StreamRow[]): Promise<number[]> {
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
        try {
          const ids = await this.writeBatch(batch.flatMap((b) => b.rows));
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

  private async writeBatch(rows: StreamRow[]): Promise<number[]> {
    const t0 = performance.now();
    const json = rows.map((r) => JSON.stringify(r.payload));
    const ids: number[] = [];
    for (let i = 0; i < rows.length; i += APPEND_CHUNK) {
      ids.push(...(await this.insertChunk(rows.slice(i, i + APPEND_CHUNK), json.slice(i, i + APPEND_CHUNK), ids[ids.length - 1] ?? this.head)));
    }
    const t1 = performance.now();
    const frames = rows.map((row, k) => ({ id: ids[k]!, meta: row.meta, data: withId(ids[k]!, json[k]!) }));
    this.head = Math.max(this.head, ids[ids.length - 1] ?? 0);
    this.committed(frames);
    recordTiming(this.timing, rows.length, t1 - t0, performance.now() - t1);
    return ids;
  }

  /** INSERTs one chunk (retried while the database is away); their ids in row order. */
  private async insertChunk(rows: StreamRow[], json: string[], after: number): Promise<number[]> {
    const until = Date.now() + INSERT_RETRY_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await this.pool.query(appendStream(rows, json));
        return r.rows.map((x) => Number(x.id)).sort((a, b) => a - b);
      } catch (err) {
        // The INSERT may have committed though its answer was lost (the connection dropped
        // after COMMIT). This process is the log's only writer and writes one chunk at a
        // time, so rows past `after` are this chunk's: they are handed on, not written twice
        // (written again, the first copy would never reach a live client: a gap in its stream).
        for (;;) {
          if (Date.now() > until) throw err;
          let found: number[];
          try {
            found = (await this.pool.query(streamIdsAfter(after))).rows.map((x) => Number(x.id));
          } catch {
            await sleep(Math.min(2000, 100 * 2 ** attempt));
            continue;
          }
          if (found.length === rows.length) return found;
          if (found.length !== 0) throw err;
          break;
        }
        this.logger.warn({ err, rows: rows.length, attempt }, 'stream_log append failed (not committed); retrying');
        await sleep(Math.min(2000, 100 * 2 ** attempt));
      }
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How long one chunk's INSERT is retried while the database is away before append() fails. */
const INSERT_RETRY_MS = 60_000;

/** One append batch's figures into `tm`. */
export function recordTiming(tm: StreamTiming, rows: number, insertMs: number, fanOutMs: number): void {
  tm.rows.push(rows);
  tm.insertMs.push(insertMs);
  tm.fanOutMs.push(fanOutMs);
}

/**
 * `{"id":N,…payload}` from a payload's JSON text (JSON.stringify, or stream_log's stored
 * text): payloads are objects that never carry an id of their own.
 */
export function withId(id: number, payloadJson: string): Buffer {
  return Buffer.from(payloadJson === '{}' ? `{"id":${id}}` : `{"id":${id},${payloadJson.slice(1)}`);
}
