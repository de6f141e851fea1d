// The HTTP server's one `upgrade` listener. Node hands every request carrying `Upgrade:` to
// it as a bare socket, outside Express: whatever the listener does not answer stays open
// (CLOSE-WAIT once the client gives up) until file descriptors run out. So every upgrade is
// answered here: a registered path's handler gets it with a deadline, any other path gets 404,
// and a rejected socket is destroyed shortly after its answer, whatever the client does.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../logger.ts';

/**
 * Handles one upgrade: resolves once the socket is handed over (e.g. ws.handleUpgrade) or
 * rejected. It must check `socket.destroyed` before handing over: past the deadline the
 * dispatcher has already answered 503 and closed it.
 */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => Promise<void> | void;

/** Time a handler has to authenticate and hand over an upgrade before it is answered 503, ms. */
export const UPGRADE_DEADLINE_MS = 10_000;
/** Time a client has to close after a rejection before its socket is destroyed, ms. */
const REJECT_LINGER_MS = 1_000;

/** Answers an upgrade with an HTTP error and closes the socket (at the latest REJECT_LINGER_MS later). */
export function rejectUpgrade(socket: Duplex, status: number, reason: string, message: string, headers: Record<string, string> = {}): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ error: reason.toLowerCase().replace(/ /g, '_'), message });
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.on('error', () => {});
  // Read and discard whatever the client still sends, so the close is a FIN, not a reset.
  socket.resume();
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n${body}`,
  );
  // The server's sockets allow half-open connections: end() alone leaves ours open until the
  // client closes its side. Destroy it when the client does, or after a short linger.
  const linger = setTimeout(() => socket.destroy(), REJECT_LINGER_MS);
  linger.unref();
  socket.once('end', () => socket.destroy());
  socket.once('close', () => clearTimeout(linger));
}

export interface UpgradeRoutes {
  /** Routes upgrades of `path` (exact, query ignored) to `handler`; returns the unregister function. */
  handle(path: string, handler: UpgradeHandler): () => void;
}

const routers = new WeakMap<Server, UpgradeRoutes>();

/** The upgrade dispatcher of `server`, installed on first use (one per server). */
export function upgradeRoutes(server: Server, opts: { logger?: Logger; deadlineMs?: number } = {}): UpgradeRoutes {
  const existing = routers.get(server);
  if (existing) return existing;
  const handlers = new Map<string, UpgradeHandler>();
  const deadlineMs = opts.deadlineMs ?? UPGRADE_DEADLINE_MS;
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    const path = (req.url ?? '').split('?')[0] ?? '';
    const handler = handlers.get(path);
    if (!handler) {
      rejectUpgrade(socket, 404, 'Not Found', `no WebSocket endpoint at ${path.slice(0, 100)}; the live stream is at /ws`);
      return;
    }
    const deadline = setTimeout(() => {
      rejectUpgrade(socket, 503, 'Service Unavailable', 'the upgrade was not authenticated in time; retry later');
    }, deadlineMs);
    deadline.unref();
    socket.once('close', () => clearTimeout(deadline));
    Promise.resolve()
      .then(() => handler(req, socket, head))
      .catch((err) => {
        opts.logger?.error({ err, path }, 'upgrade handler failed');
        rejectUpgrade(socket, 500, 'Internal Server Error', 'the upgrade failed; see the server log');
      })
      .finally(() => clearTimeout(deadline));
  });
  const routes: UpgradeRoutes = {
    handle(path, handler) {
      if (handlers.has(path)) throw new Error(`an upgrade handler for ${path} is already registered`);
      handlers.set(path, handler);
      return () => {
        if (handlers.get(path) === handler) handlers.delete(path);
      };
    },
  };
  routers.set(server, routes);
  return routes;
}
