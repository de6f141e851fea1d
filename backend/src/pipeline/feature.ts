// The live alarm capability, wired: event bus → pipeline → alarms → stream hub → WebSocket
// /ws; the alarm REST API; escalation of unacknowledged fires; forwarding of verified fires
// to 119. It lives in the pipeline room, the one that may see alarms and live both.
import { SerialJobs, type AlarmDetail, type AlarmDto } from '@firelink/common';
import { authenticateRequest } from '../auth/authenticate.ts';
import { alarmsRouter } from '../alarms/routes.ts';
import { AlarmService, type AlarmServiceOptions } from '../alarms/service.ts';
import { suggestStations } from '../dispatch/suggest.ts';
import { Forwarder, webhookAdapter, type ForwardAdapter, type ForwarderOptions } from '../forwarding/forwarder.ts';
import type { FeatureContext, FeatureFactory } from '../kernel/feature.ts';
import { promClient } from '../metrics.ts';
import { Pipeline, type PipelineOptions } from './pipeline.ts';
import { LiveHub, type AlarmSnapshot, type HubOptions } from '../live/hub.ts';
import { alarmFromRow } from '../alarms/dto.ts';
import { snapshotAlarms } from '../alarms/queries.ts';
import { parseTrustProxy } from '../kernel/trust-proxy.ts';
import { attachWebSocket, type Authenticate, type LiveLimits } from '../live/ws-server.ts';
import { PresenceWatch } from '../duty/presence.ts';

export interface LiveOptions {
  hub?: Partial<HubOptions>;
  pipeline?: Partial<PipelineOptions>;
  /** Injectable clock (ms since epoch) for escalation. */
  now?: () => number;
  /** How often due escalations are looked for, ms. */
  escalationCheckMs?: number;
  /** Replaces the 119 webhook adapter (default: POST to FORWARD_119_URL when set). */
  forwardAdapter?: ForwardAdapter;
  forwarder?: Partial<ForwarderOptions>;
  /** Replaces session authentication of the WebSocket upgrade (tests). */
  authenticate?: Authenticate;
  /** How often an open WebSocket re-checks its session, ms (default 60 000); see ws-server.ts. */
  sessionRecheckMs?: number;
  /** Per-client limits of /ws (default: from the LIVE_* configuration). */
  limits?: Partial<LiveLimits>;
  nearestStations?: (alarm: AlarmDto) => Promise<AlarmDetail['nearestStations']>;
  /** Scale-out: the alarm stage claims its events (AlarmServiceOptions.claimEvents). */
  claimEvents?: AlarmServiceOptions['claimEvents'];
  /** Receives the running parts (tests and benchmarks drive them directly). */
  expose?: (parts: LiveParts) => void;
}

export interface LiveParts {
  hub: LiveHub;
  pipeline: Pipeline;
  alarms: AlarmService;
  forwarder: Forwarder | null;
  /** "Nobody watching" (duty/presence.ts): reads the hub's connected desks and walls. */
  presence: PresenceWatch;
}

/** DISPATCH's nearest stations by road travel time (top 3) for the alarm detail. */
function dispatchSuggest(ctx: FeatureContext): NonNullable<LiveOptions['nearestStations']> {
  return async (alarm) => {
    if (!alarm.lonLatWgs84) return null;
    const [lon, lat] = alarm.lonLatWgs84;
    const r = await suggestStations(ctx.pool, { lon, lat, k: 3 });
    return r.suggestions.map((s) => ({ stationId: s.stationId, name: s.name, etaS: s.etaSeconds, distanceMeters: s.distanceMeters }));
  };
}

function registerMetrics(ctx: FeatureContext, hub: LiveHub, pipeline: Pipeline): void {
  const gauge = (name: string, help: string, read: () => number) =>
    new promClient.Gauge({
      name,
      help,
      registers: [ctx.metrics],
      collect() {
        this.set(read());
      },
    });
  gauge('firelink_ws_clients', 'open WebSocket /ws connections', () => hub.stats().clients);
  gauge('firelink_ws_lagging_clients', 'WebSocket clients that stopped reading (live frames dropped, resync pending)', () => hub.stats().byMode.lagging);
  gauge('firelink_stream_head_id', 'last stream_log id broadcast', () => hub.headId);
  gauge('firelink_pipeline_queued_events', 'events waiting for the live pipeline', () => pipeline.queued);
}

export function liveFeature(opts: LiveOptions = {}): FeatureFactory {
  return (ctx) => {
    const now = opts.now ?? Date.now;
    const snapshot: AlarmSnapshot = async (scope, filters, limit) => (await ctx.pool.query(snapshotAlarms(scope, filters, limit))).rows.map(alarmFromRow);
    const hub = new LiveHub(ctx.pool, ctx.logger.child({ feature: 'live' }), snapshot, { maxConnections: ctx.config.LIVE_MAX_CONNECTIONS, ...opts.hub });
    const url = ctx.config.FORWARD_119_URL ?? null;
    const adapter = opts.forwardAdapter ?? (url ? webhookAdapter(url) : null);
    const forwarder = adapter ? new Forwarder(ctx.pool, adapter, ctx.logger.child({ feature: 'forward119' }), opts.forwarder) : null;
    const alarms = new AlarmService(ctx.pool, (rows) => hub.publish(rows), ctx.logger.child({ feature: 'alarms' }), {
      escalateAfterS: ctx.config.FIRE_ESCALATE_AFTER_S,
      now,
      forward119Url: url,
      forwardingConfigured: forwarder !== null,
      onForwardQueued: () => forwarder?.poke(),
      nearestStations: opts.nearestStations ?? dispatchSuggest(ctx),
      claimEvents: opts.claimEvents,
    });
    const pipeline = new Pipeline(ctx.pool, hub, alarms, ctx.logger.child({ feature: 'pipeline' }), opts.pipeline);
    const presence = new PresenceWatch(
      ctx.pool,
      { presence: () => hub.presence(), afterS: ctx.config.CENTER_UNATTENDED_AFTER_S, wall: ctx.config.CENTER_UNATTENDED_WALL, everyMs: ctx.config.DUTY_WATCH_MS, now: () => new Date(now()) },
      ctx.logger.child({ feature: 'presence' }),
    );
    opts.expose?.({ hub, pipeline, alarms, forwarder, presence });
    registerMetrics(ctx, hub, pipeline);

    let unsubscribe: (() => void) | null = null;
    let ws: { close: () => void } | null = null;
    const escalation = new SerialJobs((err) => ctx.logger.error({ err }, 'escalation check failed'));
    return {
      name: 'live',
      routers: [{ path: '/api/alarms', router: alarmsRouter(alarms) }],
      start: async () => {
        await hub.start();
        unsubscribe = ctx.bus.subscribe(pipeline.handle);
        await pipeline.recover().catch((err) => ctx.logger.error({ err }, 'alarm catch-up at start failed'));
        await alarms.republishOffStream().catch((err) => ctx.logger.error({ err }, 'alarm stream catch-up at start failed'));
        ws = attachWebSocket({
          http: ctx.http,
          hub,
          logger: ctx.logger.child({ feature: 'ws' }),
          authenticate: opts.authenticate ?? (async (req) => (await authenticateRequest(ctx.pool, req))?.principal ?? null),
          recheckMs: opts.sessionRecheckMs,
          clientIp: parseTrustProxy(ctx.config.TRUST_PROXY).clientIp,
          limits: {
            maxPerUser: ctx.config.LIVE_MAX_CONNECTIONS_PER_USER,
            maxPerIp: ctx.config.LIVE_MAX_CONNECTIONS_PER_IP,
            messagesPerS: ctx.config.LIVE_MESSAGES_PER_S,
            messageBurst: ctx.config.LIVE_MESSAGE_BURST,
            ...opts.limits,
          },
        });
        escalation.every(opts.escalationCheckMs ?? 1000, () => alarms.escalate());
        forwarder?.start();
        presence.start();
        if (!forwarder) ctx.logger.info('FORWARD_119_URL is not set: verified fires are recorded in the outbox, not sent');
      },
      stop: async () => {
        unsubscribe?.();
        await escalation.stop();
        await presence.stop();
        pipeline.close();
        await pipeline.idle();
        await forwarder?.stop();
        ws?.close();
        await hub.stop();
      },
    };
  };
}
