// The devices feature: the GB/T 26875.3 edge wired into the server (the TCP listener,
// confirm after commit, publish on ctx.bus; device health: online/offline, host offline;
// duty checks and daily clock sync; in demo mode a small simulated fleet driving the
// registered devices), the device traffic API under /api/devices, and a unit's device
// registration and allowed peers under /api/units/:id/devices.
import {
  DeviceHealth,
  DutyChecks,
  EventStore,
  Fleet,
  IngestRetention,
  PeerPolicy,
  formatReport,
  loadFleetFromDatabase,
  startGb26875Server,
  type Gb26875Server,
} from '@firelink/ingest';
import type { FeatureFactory } from '../kernel/feature.ts';
import { deviceRegistrationRouter } from './registration-routes.ts';
import { devicesRouter, type ListenerStats } from './routes.ts';

export interface IngestFeatureOptions {
  /** Called once the listener is up (tests and benches learn the port here). */
  onStarted?: (h: { port: number; server: Gb26875Server; health: DeviceHealth; dutyChecks: DutyChecks; store: EventStore }) => void;
  /** Force the demo fleet on/off (default: FIRELINK_DEMO && FIRELINK_SIM_UNITS > 0, never with PORT=0). */
  demoFleet?: boolean;
  /** The TCP port, instead of GB26875_PORT (or an ephemeral one with PORT=0): the ingest thread started again keeps its port. */
  port?: number;
}

/** The listener's confirm latency percentiles (one sort of up to 200,000 samples). */
export function confirmLatencyOf(server: Gb26875Server): ListenerStats['confirmLatencyMs'] {
  const [p50, p99] = server.latency.percentiles([50, 99]) as [number, number];
  return Number.isNaN(p50) ? null : { p50, p99 };
}

/** The listener's figures (GET /api/devices/listener). */
export function listenerStatsOf(server: Gb26875Server, store: EventStore, confirmLatencyMs = confirmLatencyOf(server)): ListenerStats {
  return { ...server.stats(), rawFramesNotKept: store.rawBudget.skipped, confirmLatencyMs };
}

export function ingestFeature(opts: IngestFeatureOptions = {}): FeatureFactory {
  return (ctx) => {
    const { config, pool, logger, bus } = ctx;
    const log = logger.child({ feature: 'ingest' });
    const store = new EventStore(pool, {
      rawFrameBudget: { perAddress: config.RAW_FRAMES_PER_ADDRESS_PER_HOUR, perPeer: config.RAW_FRAMES_PER_PEER_PER_HOUR },
    });
    let server: Gb26875Server | null = null;
    let health: DeviceHealth | null = null;
    let duty: DutyChecks | null = null;
    let fleet: Fleet | null = null;
    // devices.allowed_peers: reloaded on NOTIFY from the devices table (at once, from any process), and every 30 s.
    const peers = new PeerPolicy(pool, { onError: (err) => log.error({ err }, 'device allowlists not reloaded') });
    const retention = new IngestRetention({
      pool,
      receiptDays: config.INGEST_RECEIPT_DAYS,
      rawFrameDays: config.RAW_FRAMES_RETENTION_DAYS,
      onPurged: (counts) => log.info({ deleted: counts }, 'ingest retention: old frame receipts and raw frames deleted'),
      onError: (err) => log.error({ err }, 'ingest retention pass failed (it runs again within the hour)'),
    });
    // PORT=0 is how tests ask for ephemeral ports: then the TCP listener takes one too, so
    // parallel test servers never fight over 9030, and no demo fleet adds noise to their data.
    const ephemeral = config.PORT === 0;
    const listenerStats = (): ListenerStats | null => (server ? listenerStatsOf(server, store) : null);
    return {
      name: 'ingest',
      routers: [
        { path: '/api/devices', router: devicesRouter(pool, listenerStats) },
        { path: '/api/units', router: deviceRegistrationRouter({ pool }) },
      ],
      start: async () => {
        await peers.start();
        health = new DeviceHealth({
          pool,
          store,
          bus,
          offlineAfterS: config.DEVICE_OFFLINE_AFTER_S,
          onError: (err) => log.error({ err }, 'device health pass failed'),
        });
        try {
          server = await startGb26875Server({
            port: opts.port ?? (ephemeral ? 0 : config.GB26875_PORT),
            host: config.HOST,
            store,
            bus,
            logger: log,
            centerAddress: config.GB26875_CENTER_ADDRESS,
            idleTimeoutMs: config.GB26875_IDLE_TIMEOUT_S * 1000,
            firstFrameTimeoutMs: config.GB26875_FIRST_FRAME_TIMEOUT_S * 1000,
            partialFrameTimeoutMs: config.GB26875_PARTIAL_FRAME_TIMEOUT_S * 1000,
            // A connection holds its device address while the device is not offline.
            addressHoldMs: config.DEVICE_OFFLINE_AFTER_S * 1000,
            challengeMs: config.GB26875_CHALLENGE_S * 1000,
            onTraffic: (address, peer) => health?.touch(address, peer),
            peerAllowed: (address, ip) => peers.allows(address, ip),
            peerVouched: (address, ip) => peers.vouches(address, ip),
            maxConnectionsPerIp: config.GB26875_MAX_CONNECTIONS_PER_IP,
          });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
            throw new Error(`GB26875_PORT ${config.GB26875_PORT} is in use: stop the other FireLink (or whatever holds it) or set GB26875_PORT to a free port`, { cause: err });
          }
          throw err;
        }
        health.start();
        duty = new DutyChecks({
          pool,
          store,
          bus,
          server,
          policy: { shiftHours: config.DUTY_CHECK_SHIFT_HOURS, perShift: config.DUTY_CHECKS_PER_SHIFT, timeoutMinutes: config.DUTY_CHECK_TIMEOUT_MIN },
          onError: (err) => log.error({ err }, 'duty check pass failed'),
        });
        duty.start(); // duty checks (unless DUTY_CHECKS_PER_SHIFT=0) and the daily clock sync
        retention.start();
        opts.onStarted?.({ port: server.port, server, health, dutyChecks: duty, store });
        const wantFleet = opts.demoFleet ?? (config.FIRELINK_DEMO && config.FIRELINK_SIM_UNITS > 0 && !ephemeral);
        if (wantFleet) {
          const { addresses, points } = await loadFleetFromDatabase(pool, config.FIRELINK_SIM_UNITS);
          if (addresses.length === 0) {
            log.info('demo fleet not started: no registered GB/T 26875 devices (load the demo data first)');
          } else {
            fleet = new Fleet({
              port: server.port,
              units: addresses.length,
              addresses,
              points,
              // A gentle background: about one event per unit every two minutes.
              ratePerS: Math.max(0.2, addresses.length / 120),
              heartbeatMs: 30_000,
              seed: 26875,
              log: (l) => log.debug(l),
            });
            await fleet.start();
            log.info({ units: addresses.length }, 'demo fleet of simulated UITDs started (FIRELINK_SIM_UNITS=0 turns it off)');
          }
        }
      },
      stop: async () => {
        if (fleet) log.info({ report: formatReport(await fleet.stop()) }, 'demo fleet stopped');
        await retention.stop();
        await peers.stop();
        await duty?.stop();
        await server?.close();
        await store.close();
        await health?.stop();
      },
    };
  };
}
