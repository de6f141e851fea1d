// What the main thread and the ingest thread (ingest-thread.ts, ingest-thread-worker.ts) say
// to each other. Both sides are this program, so the shapes are types, not parsed input.
import type { StoredEvent } from '@firelink/common';
import type { EventStore } from '@firelink/ingest';
import type { Config } from '../kernel/config.ts';
import type { ListenerStats } from './routes.ts';

export interface IngestThreadData {
  config: Config;
  databaseUrl: string;
  logLevel: string;
  demoFleet?: boolean;
  /** The TCP port (a thread started again keeps the first one's). */
  port?: number;
}

/** The ingest store's time per stage, for benches. */
export type IngestTiming = EventStore['timing'];

export type FromIngest =
  | { t: 'started'; port: number }
  | { t: 'failed'; message: string }
  | { t: 'events'; events: StoredEvent[] }
  | { t: 'stats'; listener: ListenerStats; timing: IngestTiming }
  | { t: 'stopped' };

export type ToIngest = { t: 'taken'; n: number } | { t: 'stop' };

/** Committed events handed to the main thread and not yet taken by its bus, above which ingest's publish waits. */
export const INGEST_THREAD_INFLIGHT = 20_000;
/** PostgreSQL connections of the ingest thread (the event store's lanes, device health, duty checks, retention). */
export const INGEST_THREAD_POOL = 10;
/** How often the ingest thread sends the listener's figures (GET /api/devices/listener). */
export const STATS_EVERY_MS = 1000;
/** Every how many of those the confirm latency percentiles are computed again. */
export const LATENCY_EVERY = 10;
