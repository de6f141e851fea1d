// The body of the ingest thread (ingest-thread.ts starts it): the devices feature's
// GB/T 26875 side — listener, commit and confirm, device health, duty checks, retention,
// demo fleet — on its own event loop, heap and PostgreSQL pool. Committed events go to the
// main thread over the port; the main thread answers each batch once its bus handlers have
// taken it, and past INGEST_THREAD_INFLIGHT unanswered events publishing waits, as it does
// in one thread when the pipeline's queue is full.
import { createServer } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import type { EventBus, StoredEvent } from '@firelink/common';
import { createPool } from '../db/pool.ts';
import { createLogger } from '../logger.ts';
import { createMetrics } from '../metrics.ts';
import type { Feature } from '../kernel/feature.ts';
import { confirmLatencyOf, ingestFeature, listenerStatsOf } from './feature.ts';
import { INGEST_THREAD_INFLIGHT, INGEST_THREAD_POOL, LATENCY_EVERY, STATS_EVERY_MS, type FromIngest, type IngestThreadData, type ToIngest } from './ingest-thread-messages.ts';

const port = parentPort!;
const data = workerData as IngestThreadData;
const send = (m: FromIngest) => port.postMessage(m);

/** The bus of the ingest thread: publish only (nothing in ingest subscribes), bounded by the main thread's answers. */
class PortBus implements EventBus {
  private inflight = 0;
  private waiters: Array<() => void> = [];

  async publish(events: StoredEvent[]): Promise<void> {
    if (events.length === 0) return;
    send({ t: 'events', events });
    this.inflight += events.length;
    while (this.inflight > INGEST_THREAD_INFLIGHT) await new Promise<void>((r) => this.waiters.push(r));
  }

  subscribe(): () => void {
    throw new Error('the ingest thread only publishes: subscribe in the main thread');
  }

  taken(n: number): void {
    this.inflight -= n;
    if (this.inflight > INGEST_THREAD_INFLIGHT) return;
    const w = this.waiters;
    this.waiters = [];
    for (const r of w) r();
  }
}

async function main(): Promise<void> {
  const logger = createLogger(data.logLevel).child({ thread: 'ingest' });
  const pool = createPool(data.databaseUrl, INGEST_THREAD_POOL);
  const bus = new PortBus();
  let statsTimer: NodeJS.Timeout | null = null;
  let feature: Feature | null = null;
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      if (statsTimer) clearInterval(statsTimer);
      await feature?.stop?.().catch((err: unknown) => logger.error({ err }, 'ingest thread: stop failed'));
      await pool.end().catch(() => {});
      send({ t: 'stopped' });
    })());
  port.on('message', (m: ToIngest) => {
    if (m.t === 'taken') bus.taken(m.n);
    else if (m.t === 'stop') void stop();
  });
  try {
    const made = ingestFeature({
      demoFleet: data.demoFleet,
      port: data.port,
      onStarted: (h) => {
        // The counters every time, the latency percentiles (a sort of up to 200,000 samples) every
        // LATENCY_EVERY-th time once there are any.
        let tick = 0;
        let latency = confirmLatencyOf(h.server);
        const stats = () => {
          if (++tick % LATENCY_EVERY === 0 || latency === null) latency = confirmLatencyOf(h.server);
          send({ t: 'stats', listener: listenerStatsOf(h.server, h.store, latency), timing: { ...h.store.timing } });
        };
        statsTimer = setInterval(stats, STATS_EVERY_MS);
        statsTimer.unref();
        stats();
        send({ t: 'started', port: h.port });
      },
    })({ config: data.config, databaseUrl: data.databaseUrl, pool, logger, metrics: createMetrics(), http: createServer(), bus });
    feature = await made;
    await feature.start?.();
  } catch (err) {
    send({ t: 'failed', message: err instanceof Error ? err.message : String(err) });
    await pool.end().catch(() => {});
  }
}

void main();
