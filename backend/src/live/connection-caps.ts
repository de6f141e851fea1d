// Connection caps of a WebSocket endpoint, per client address and per user, counted from the
// upgrade until the socket closes (pending upgrades included, so a client that never
// authenticates still holds its address's slot). Used by /ws (live/ws-server.ts) and by the
// station stream /ws/station (station/stream.ts), each with its own counts and the same
// limits: LIVE_MAX_CONNECTIONS_PER_USER and LIVE_MAX_CONNECTIONS_PER_IP.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Principal } from '../auth/scope.ts';
import { rejectUpgrade } from '../http/upgrade.ts';
import type { Logger } from '../logger.ts';

export interface ConnectionLimits {
  /** Open and authenticating connections of one user; 0 = no limit. */
  maxPerUser: number;
  /** Open and authenticating connections from one client IP; 0 = no limit. */
  maxPerIp: number;
  /**
   * Open and authenticating connections of the endpoint in all (503 past it); 0 or unset = no
   * limit here (/ws checks its hub's LIVE_MAX_CONNECTIONS itself).
   */
  maxTotal?: number;
}

/** Counts per key; a key is dropped when its count returns to zero. */
class Counter {
  private readonly counts = new Map<string, number>();
  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }
  /** Adds one and returns the function that takes it back (once). */
  add(key: string): () => void {
    this.counts.set(key, this.get(key) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = this.get(key) - 1;
      if (n > 0) this.counts.set(key, n);
      else this.counts.delete(key);
    };
  }
}

export class ConnectionCaps {
  private readonly perIp = new Counter();
  private readonly perUser = new Counter();
  /** Sockets admitted by address and not yet closed. */
  private total = 0;

  constructor(
    private readonly limits: ConnectionLimits,
    private readonly opts: {
      logger: Logger;
      /** The client's address (the TCP peer, or per TRUST_PROXY; see kernel/trust-proxy.ts). */
      clientIp: (req: IncomingMessage) => string;
      /** What the refusals call the connections, e.g. 'live connections'. */
      noun: string;
    },
  ) {}

  /**
   * Before authentication: refuses an address at its limit with 429 and returns false; else
   * counts the socket against its address until it closes.
   */
  admitAddress(req: IncomingMessage, socket: Duplex): boolean {
    const { maxPerIp, maxTotal = 0 } = this.limits;
    if (maxTotal > 0 && this.total >= maxTotal) {
      this.opts.logger.warn({ limit: maxTotal }, `${this.opts.noun}: upgrade refused, connection limit`);
      rejectUpgrade(socket, 503, 'Service Unavailable', `too many ${this.opts.noun} (limit ${maxTotal}, LIVE_MAX_CONNECTIONS); retry later`, { 'Retry-After': '10' });
      return false;
    }
    const ip = this.opts.clientIp(req);
    if (maxPerIp > 0 && this.perIp.get(ip) >= maxPerIp) {
      this.opts.logger.warn({ ip, limit: maxPerIp }, `${this.opts.noun}: upgrade refused, per-IP connection limit`);
      rejectUpgrade(socket, 429, 'Too Many Requests', `too many ${this.opts.noun} from this address (limit ${maxPerIp}, LIVE_MAX_CONNECTIONS_PER_IP); close some or retry later`, { 'Retry-After': '10' });
      return false;
    }
    socket.once('close', this.perIp.add(ip));
    this.total++;
    socket.once('close', () => this.total--);
    return true;
  }

  /**
   * After authentication: refuses a user at its limit with 429 and returns false; else counts
   * the socket against the user until it closes.
   */
  admitUser(principal: Principal, socket: Duplex): boolean {
    const { maxPerUser } = this.limits;
    const key = principal.userId != null ? `id:${principal.userId}` : `name:${principal.username}`;
    if (maxPerUser > 0 && this.perUser.get(key) >= maxPerUser) {
      this.opts.logger.warn({ user: principal.username, limit: maxPerUser }, `${this.opts.noun}: upgrade refused, per-user connection limit`);
      rejectUpgrade(socket, 429, 'Too Many Requests', `too many ${this.opts.noun} for this user (limit ${maxPerUser}, LIVE_MAX_CONNECTIONS_PER_USER); close other screens or retry later`, { 'Retry-After': '10' });
      return false;
    }
    socket.once('close', this.perUser.add(key));
    return true;
  }
}
