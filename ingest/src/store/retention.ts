// Retention of the ingest side tables, which grow with every frame:
// - ingest_frames: the receipt of every stored upload (idempotency). A device resends within
//   seconds to minutes; receipts older than `receiptDays` only cost disk. (A resend arriving
//   after that would be stored again; no UITD waits days.)
// - raw_frames: frames we could not turn into events (unregistered devices, unknown types),
//   kept `rawFrameDays` for investigation.
// The events themselves are never purged here: they are the record.
import type pg from 'pg';
import * as q from './queries.ts';
import { SerialJobs } from '@firelink/common';

export interface RetentionOptions {
  pool: pg.Pool;
  /** Days of frame receipts kept (0 = forever). */
  receiptDays: number;
  /** Days of raw frames kept (0 = forever). */
  rawFrameDays: number;
  /** How often to purge (ms). Default one hour; the first pass runs at start. */
  everyMs?: number;
  /** Rows per DELETE. Default 10,000. */
  batch?: number;
  /** Pause between two full batches (ms). Default 50. */
  pauseMs?: number;
  onPurged?: (counts: { ingest_frames: number; raw_frames: number }) => void;
  onError?: (err: unknown) => void;
}

export class IngestRetention {
  private readonly jobs: SerialJobs;
  private stopped = false;

  constructor(private readonly o: RetentionOptions) {
    this.jobs = new SerialJobs(o.onError);
  }

  start(): void {
    this.jobs.run(() => this.purgeOnce());
    this.jobs.every(this.o.everyMs ?? 3600_000, () => this.purgeOnce());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.jobs.stop();
  }

  /** One full pass: every expired row of both tables, in batches. */
  async purgeOnce(): Promise<{ ingest_frames: number; raw_frames: number }> {
    const batch = this.o.batch ?? 10_000;
    const counts = { ingest_frames: 0, raw_frames: 0 };
    const plan: Array<[keyof typeof counts, number]> = [
      ['ingest_frames', this.o.receiptDays],
      ['raw_frames', this.o.rawFrameDays],
    ];
    for (const [table, days] of plan) {
      if (days <= 0) continue;
      // A long backlog (the first pass after an upgrade) goes in short statements with a
      // breath between them, so ingest commits are not starved, and stops with the server.
      // (stop() waits for at most the batch in flight.)
      for (;;) {
        if (this.stopped) return counts;
        const r = await this.o.pool.query(q.purgeOlderThan(table, days, batch));
        counts[table] += r.rowCount ?? 0;
        if ((r.rowCount ?? 0) < batch) break;
        await new Promise((resolve) => setTimeout(resolve, this.o.pauseMs ?? 50));
      }
    }
    if (counts.ingest_frames + counts.raw_frames > 0) this.o.onPurged?.(counts);
    return counts;
  }
}
