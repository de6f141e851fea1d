// WebSocket /ws on the HTTP server's upgrade event (ws, noServer). The upgrade is
// authenticated with the session (cookie or bearer), refused with 401 without one and
// with 503 past the connection limit; messages are validated with common/src/live.ts.
// An open stream re-checks its session every `recheckMs` (default 60 s): a logout, an
// expired session or a disabled user closes it with 4401 (the client shows the login page);
// a changed role or jurisdiction closes it with 4403 (the client reconnects with the new scope).
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { clientMessageSchema, WS_CLOSE } from '@firelink/common';
import { WebSocketServer } from 'ws';
import type { Principal } from '../auth/scope.ts';
import type { Logger } from '../logger.ts';
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

function reject(socket: Duplex, status: number, reason: string, message: string): void {
  const body = JSON.stringify({ error: reason, message });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export function attachWebSocket(opts: {
  http: Server;
  hub: LiveHub;
  authenticate: Authenticate;
  logger: Logger;
  /** Session re-check interval of open streams, ms (default DEFAULT_RECHECK_MS). */
  recheckMs?: number;
}): { close: () => void } {
  const { http, hub, authenticate, logger } = opts;
  const recheckMs = opts.recheckMs ?? DEFAULT_RECHECK_MS;
  if (!(recheckMs > 0)) throw new Error(`live: recheckMs must be a positive number of milliseconds, got ${recheckMs}`);
  const timers = new Set<NodeJS.Timeout>();
  // Client messages are small (subscribe with filters, ping).
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024, perMessageDeflate: false });
  let upgrading = 0;

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== WS_PATH) return; // another feature's upgrade
    socket.on('error', () => {});
    if (!hub.canAccept() || hub.connectionCount + upgrading >= hub.opts.maxConnections) {
      reject(socket, 503, 'Service Unavailable', `too many live connections (limit ${hub.opts.maxConnections}); retry later`);
      return;
    }
    upgrading++;
    authenticate(req)
      .then((principal) => {
        if (!principal) {
          reject(socket, 401, 'Unauthorized', 'log in first (POST /api/auth/login), then connect with the session cookie or Authorization: Bearer <token>');
          return;
        }
        wss.handleUpgrade(req, socket, head, (ws) => {
          const client = hub.addClient(ws, principal);
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
          ws.on('message', (data, isBinary) => {
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
            hub.subscribe(client, m.data.filters, m.data.resumeFrom, m.data.batch ?? false).catch((err) => {
              logger.warn({ err }, 'live subscribe failed');
              hub.sendControl(client, { type: 'error', id: hub.headId, code: 'subscribe_failed', message: 'subscription failed; reconnect with resumeFrom' });
              ws.close(WS_CLOSE.badMessage);
            });
          });
        });
      })
      .catch((err) => {
        logger.error({ err }, 'live upgrade failed');
        reject(socket, 500, 'Internal Server Error', 'authentication failed; see the server log');
      })
      .finally(() => {
        upgrading--;
      });
  };
  http.on('upgrade', onUpgrade);
  return {
    close: () => {
      http.off('upgrade', onUpgrade);
      for (const t of timers) clearInterval(t);
      timers.clear();
      wss.close();
    },
  };
}
