// WebSocket /ws, registered with the HTTP server's upgrade dispatcher (http/upgrade.ts; ws,
// noServer). The upgrade is authenticated with the session (cookie or bearer), refused with
// 401 without one, with 503 past the total connection limit and with 429 past the per-IP or
// per-user limit; messages are validated with common/src/live.ts.
// An open stream re-checks its session every `recheckMs` (default 60 s): a logout, an
// expired session or a disabled user closes it with 4401 (the client shows the login page);
// a changed role or jurisdiction closes it with 4403 (the client reconnects with the new scope).
// Each socket has a message budget (token bucket: `messagesPerS` on average, `messageBurst` at
// once); a client over it is closed with 4429. Subscribes are coalesced: one snapshot/replay
// runs per socket at a time, and of the subscribes that arrive meanwhile only the last is run.
// None of this touches the broadcast path: it costs work per received message only.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { clientMessageSchema, WS_CLOSE, type ClientMessage } from '@firelink/common';
import { WebSocketServer } from 'ws';
import type { Principal } from '../auth/scope.ts';
import { rejectUpgrade, upgradeRoutes } from '../http/upgrade.ts';
import type { Logger } from '../logger.ts';
import { ConnectionCaps, type ConnectionLimits } from './connection-caps.ts';
import type { LiveHub } from './hub.ts';

export type Authenticate = (req: IncomingMessage) => Promise<Principal | null>;

export const WS_PATH = '/ws';

/** Default interval between session re-checks of an open stream, ms. */
export const DEFAULT_RECHECK_MS = 60_000;

function samePermissions(a: Principal, b: Principal): boolean {
  if (a.userId !== b.userId || a.role !== b.role || a.scope.kind !== b.scope.kind) return false;
  const list = (p: Principal) => (p.scope.kind === 'regions' ? p.scope.adcodes : p.scope.kind === 'units' ? p.scope.unitIds : []);
  const x = list(a);
  const y = list(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function reject(socket: Duplex, status: number, reason: string, message: string, headers?: Record<string, string>): void {
  rejectUpgrade(socket, status, reason, message, headers);
}

/** Per-client limits of the live stream (config: LIVE_MAX_CONNECTIONS_PER_USER, _PER_IP, LIVE_MESSAGES_PER_S, LIVE_MESSAGE_BURST). */
export interface LiveLimits extends ConnectionLimits {
  /** Messages a client may send per second on average. */
  messagesPerS: number;
  /** Messages a client may send at once above the average. */
  messageBurst: number;
}

export const DEFAULT_LIVE_LIMITS: LiveLimits = { maxPerUser: 100, maxPerIp: 500, messagesPerS: 5, messageBurst: 20 };

type Subscribe = Extract<ClientMessage, { type: 'subscribe' }>;

export function attachWebSocket(opts: {
  http: Server;
  hub: LiveHub;
  authenticate: Authenticate;
  logger: Logger;
  /** Session re-check interval of open streams, ms (default DEFAULT_RECHECK_MS). */
  recheckMs?: number;
  /** Per-client limits (default DEFAULT_LIVE_LIMITS). */
  limits?: Partial<LiveLimits>;
  /** The client's address for the per-IP limit (default: the TCP peer; see http/trust-proxy.ts). */
  clientIp?: (req: IncomingMessage) => string;
}): { close: () => void } {
  const { http, hub, authenticate, logger } = opts;
  const recheckMs = opts.recheckMs ?? DEFAULT_RECHECK_MS;
  if (!(recheckMs > 0)) throw new Error(`live: recheckMs must be a positive number of milliseconds, got ${recheckMs}`);
  const limits: LiveLimits = { ...DEFAULT_LIVE_LIMITS, ...opts.limits };
  if (!(limits.messagesPerS > 0) || !(limits.messageBurst >= 1)) {
    throw new Error(`live: messagesPerS must be > 0 and messageBurst >= 1, got ${limits.messagesPerS} and ${limits.messageBurst}`);
  }
  const clientIp = opts.clientIp ?? ((req: IncomingMessage) => req.socket.remoteAddress ?? 'unknown');
  const timers = new Set<NodeJS.Timeout>();
  // Client messages are small (subscribe with filters, ping).
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024, perMessageDeflate: false });
  let upgrading = 0;
  const caps = new ConnectionCaps(limits, { logger, clientIp, noun: 'live connections' });

  const onUpgrade = async (req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    if (!hub.canAccept() || hub.connectionCount + upgrading >= hub.opts.maxConnections) {
      reject(socket, 503, 'Service Unavailable', `too many live connections (limit ${hub.opts.maxConnections}); retry later`, { 'Retry-After': '10' });
      return;
    }
    // Held from here until the socket closes (pending or open): an upgrade that never
    // authenticates still counts against its address, and is closed by the dispatcher's deadline.
    if (!caps.admitAddress(req, socket)) return;
    upgrading++;
    try {
      const principal = await authenticate(req).catch((err: unknown) => {
        logger.error({ err }, 'live upgrade failed');
        reject(socket, 500, 'Internal Server Error', 'authentication failed; see the server log');
        return undefined;
      });
      // Past the dispatcher's deadline the socket was already answered 503.
      if (principal === undefined || socket.destroyed || !socket.writable) return;
      if (!principal) {
        reject(socket, 401, 'Unauthorized', 'log in first (POST /api/auth/login), then connect with the session cookie or Authorization: Bearer <token>');
        return;
      }
      if (!caps.admitUser(principal, socket)) return;
      wss.handleUpgrade(req, socket, head, (ws) => {
        const client = hub.addClient(ws, principal);
        const view = new URLSearchParams((req.url ?? '').split('?')[1] ?? '').get('view');
        client.view = view === 'desk' || view === 'wall' ? view : null;
        let checking = false;
        const timer = setInterval(() => {
          if (checking || ws.readyState !== ws.OPEN) return;
          checking = true;
          authenticate(req)
            .then((now) => {
              if (ws.readyState !== ws.OPEN) return;
              if (!now) {
                logger.info({ user: principal.username }, 'live stream closed: session ended (logout, expiry or user disabled)');
                ws.close(WS_CLOSE.unauthorized, 'session ended: log in again');
              } else if (!samePermissions(principal, now)) {
                logger.info({ user: principal.username }, 'live stream closed: role or jurisdiction changed');
                ws.close(WS_CLOSE.permissionsChanged, 'permissions changed: reconnect');
              }
            })
            // A database hiccup must not cut every wall display: keep the stream, retry next time.
            .catch((err) => logger.warn({ err }, 'live session re-check failed; retrying at the next interval'))
            .finally(() => {
              checking = false;
            });
        }, recheckMs);
        timer.unref();
        timers.add(timer);
        ws.once('close', () => {
          clearInterval(timer);
          timers.delete(timer);
        });
        // Token bucket: `tokens` refills at messagesPerS up to messageBurst; each message takes one.
        let tokens = limits.messageBurst;
        let refilledAt = performance.now();
        let overLimit = false;
        // The subscribe running now (snapshot or replay) and the last one that arrived meanwhile.
        let subscribing = false;
        let nextSubscribe: Subscribe | null = null;
        const runSubscribe = (m: Subscribe) => {
          subscribing = true;
          hub
            .subscribe(client, m.filters, m.resumeFrom, m.batch ?? false)
            .catch((err) => {
              logger.warn({ err }, 'live subscribe failed');
              hub.sendControl(client, { type: 'error', id: hub.headId, code: 'subscribe_failed', message: 'subscription failed; reconnect with resumeFrom' });
              ws.close(WS_CLOSE.badMessage);
            })
            .finally(() => {
              subscribing = false;
              const next = nextSubscribe;
              nextSubscribe = null;
              if (next && ws.readyState === ws.OPEN) runSubscribe(next);
            });
        };
        ws.on('message', (data, isBinary) => {
          if (overLimit) return;
          const now = performance.now();
          tokens = Math.min(limits.messageBurst, tokens + ((now - refilledAt) / 1000) * limits.messagesPerS);
          refilledAt = now;
          if (tokens < 1) {
            overLimit = true;
            logger.warn({ user: principal.username, limit: limits.messagesPerS }, 'live stream closed: client sent too many messages');
            const message = `too many messages: at most ${limits.messagesPerS} per second (burst ${limits.messageBurst}); subscribe once and change filters rarely`;
            hub.sendControl(client, { type: 'error', id: hub.headId, code: 'rate_limited', message });
            ws.close(WS_CLOSE.tooManyConnections, 'too many messages; reconnect later');
            return;
          }
          tokens -= 1;
          let parsed: unknown;
          try {
            parsed = JSON.parse(isBinary ? Buffer.from(data as Buffer).toString('utf8') : String(data));
          } catch {
            hub.sendControl(client, { type: 'error', id: hub.headId, code: 'invalid_json', message: 'messages are JSON objects, e.g. {"type":"subscribe","filters":{}}' });
            return;
          }
          const m = clientMessageSchema.safeParse(parsed);
          if (!m.success) {
            hub.sendControl(client, {
              type: 'error',
              id: hub.headId,
              code: 'invalid_message',
              message: m.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`).join('; '),
            });
            return;
          }
          if (m.data.type === 'ping') {
            hub.sendControl(client, { type: 'pong', id: hub.headId, t: m.data.t });
            return;
          }
          // One snapshot query per socket at a time: a subscribe that arrives while one runs
          // replaces any other waiting one (only the latest filters matter).
          if (subscribing) nextSubscribe = m.data;
          else runSubscribe(m.data);
        });
      });
    } finally {
      upgrading--;
    }
  };
  const unregister = upgradeRoutes(http, { logger }).handle(WS_PATH, onUpgrade);
  return {
    close: () => {
      unregister();
      for (const t of timers) clearInterval(t);
      timers.clear();
      wss.close();
    },
  };
}
