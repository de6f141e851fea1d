// The devices feature with its GB/T 26875 side on a thread of its own (what `firelink start`
// runs; INGEST_THREAD=0 keeps it in the main thread). A device's confirm then waits only for
// ingest's own work and its commit: the alarm stage, the live stream, notifications and the
// main heap's garbage collection run on the other event loop. The main thread keeps the
// device traffic API (its listener figures arrive from the thread every second), publishes
// the thread's committed events on its bus in their order, and starts a thread that died
// again on the same TCP port.
import { Worker } from 'node:worker_threads';
import type { FeatureFactory } from '../kernel/feature.ts';
import type { FromIngest, IngestThreadData, IngestTiming } from './ingest-thread-messages.ts';
import { deviceRegistrationRouter } from './registration-routes.ts';
import { devicesRouter, type ListenerStats } from './routes.ts';

const BOOT = new URL('./ingest-thread-boot.mjs', import.meta.url);
/** How long stop waits for the thread to close its listener and connections before ending it. */
const STOP_WAIT_MS = 15_000;

export interface ThreadedIngestOptions {
  /** Called once the thread listens (tests and benches learn the port and read its figures here). */
  onStarted?: (h: { port: number; listener: () => ListenerStats | null; timing: () => IngestTiming | null; thread: () => Worker | null }) => void;
  /** Force the demo fleet on/off (as ingestFeature). */
  demoFleet?: boolean;
  /** Wait before starting a thread that died again, ms. */
  restartMs?: number;
}

export function threadedIngestFeature(opts: ThreadedIngestOptions = {}): FeatureFactory {
  return (ctx) => {
    const log = ctx.logger.child({ feature: 'ingest' });
    const restartMs = opts.restartMs ?? 1000;
    let worker: Worker | null = null;
    let tcpPort: number | null = null;
    let listener: ListenerStats | null = null;
    let timing: IngestTiming | null = null;
    let stopping = false;
    let restartTimer: NodeJS.Timeout | null = null;
    // The thread's committed events, through the bus one batch after the other.
    let published: Promise<void> = Promise.resolve();
    let onStopped: (() => void) | null = null;

    const launch = () =>
      new Promise<number>((resolve, reject) => {
        const data: IngestThreadData = { config: ctx.config, databaseUrl: ctx.databaseUrl, logLevel: ctx.logger.level, demoFleet: opts.demoFleet, port: tcpPort ?? undefined };
        const w = new Worker(BOOT, { workerData: data, name: 'firelink-ingest' });
        let up = false;
        worker = w;
        w.on('message', (m: FromIngest) => {
          switch (m.t) {
            case 'started':
              up = true;
              resolve(m.port);
              return;
            case 'failed':
              reject(new Error(m.message));
              return;
            case 'events':
              published = published
                .then(() => ctx.bus.publish(m.events))
                .catch((err: unknown) => log.error({ err }, 'event publish failed'))
                .then(() => w.postMessage({ t: 'taken', n: m.events.length }));
              return;
            case 'stats':
              listener = m.listener;
              timing = m.timing;
              return;
            case 'stopped':
              onStopped?.();
              return;
          }
        });
        w.on('error', (err) => {
          log.error({ err }, 'the ingest thread failed');
          if (!up) reject(err);
        });
        w.on('exit', (code) => {
          if (worker === w) worker = null;
          if (!up) reject(new Error(`the ingest thread exited (code ${code}) before it listened`));
          if (up && !stopping) {
            log.error({ code }, `the ingest thread stopped; starting it again in ${restartMs} ms (devices reconnect and resend what was not confirmed)`);
            restartTimer = setTimeout(relaunch, restartMs);
          }
        });
      });

    const relaunch = () => {
      restartTimer = null;
      if (stopping) return;
      launch().then(
        () => log.info({ port: tcpPort }, 'the ingest thread listens again'),
        (err: unknown) => {
          log.error({ err }, `the ingest thread did not start; trying again in ${restartMs} ms`);
          void worker?.terminate();
          if (!stopping) restartTimer = setTimeout(relaunch, restartMs);
        },
      );
    };

    return {
      name: 'ingest',
      routers: [
        { path: '/api/devices', router: devicesRouter(ctx.pool, () => listener) },
        { path: '/api/units', router: deviceRegistrationRouter({ pool: ctx.pool }) },
      ],
      start: async () => {
        try {
          tcpPort = await launch();
        } catch (err) {
          await worker?.terminate();
          throw err;
        }
        opts.onStarted?.({ port: tcpPort, listener: () => listener, timing: () => timing, thread: () => worker });
      },
      stop: async () => {
        stopping = true;
        if (restartTimer) clearTimeout(restartTimer);
        const w = worker;
        if (w) {
          const done = new Promise<void>((r) => {
            onStopped = r;
            w.once('exit', () => r());
            setTimeout(r, STOP_WAIT_MS).unref();
          });
          w.postMessage({ t: 'stop' });
          await done;
        }
        // The thread's last events (device health's final flush) go through the bus before the pipeline stops.
        await published;
        await w?.terminate();
      },
    };
  };
}
