// The station stream, WebSocket /ws/station: dispatch orders, their progress and station
// status, pushed as soon as the change commits. Changes arrive as PostgreSQL notifications
// (dispatch/notify.ts, sent inside the committing transaction), so a dispatch from any
// route or process reaches the clients, and a rolled-back one never does.
//
// Who gets what: a station account gets its own station's orders and status only; center
// roles get the orders whose alarm or station is in their jurisdiction and the status of
// their jurisdiction's stations. On connect (and reconnect) the client gets a
// `station_hello` with the open orders (summaries) and station states, so nothing missed while
// disconnected is lost. The client sends nothing; each socket's session is re-checked
// every minute (logout, disabled user or changed permissions close it). Connections per user
// and per client address are capped as on /ws (LIVE_MAX_CONNECTIONS_PER_USER, _PER_IP; 429).
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { ORDER_LIST_MAX, STATION_WS_PATH, WS_CLOSE, stationStreamMessageSchema, type OrderSummary, type Role, type StationState, type StationStreamMessage } from '@firelink/common';
import type pg from 'pg';
import { WebSocketServer, type WebSocket } from 'ws';
import { scopeAllows, type Principal } from '../auth/scope.ts';
import { DISPATCH_CHANNEL, parseNotice } from '../dispatch/notify.ts';
import { rejectUpgrade, upgradeRoutes } from '../http/upgrade.ts';
import { ConnectionCaps, type ConnectionLimits } from '../live/connection-caps.ts';
import type { Logger } from '../logger.ts';
import { toOrder, toOrderSummary, toStationState } from './orders.ts';
import { listOrdersQuery, listStationStatesQuery, orderByIdQuery, ownStationQuery, stationStateQuery, type OrderViewer } from './queries.ts';

/** Roles that may open the station stream. */
export const STREAM_ROLES: readonly Role[] = ['admin', 'dispatcher', 'operator', 'supervisor', 'station'];

interface Client {
  ws: WebSocket;
  principal: Principal;
  viewer: OrderViewer;
}

export type Authenticate = (req: IncomingMessage) => Promise<Principal | null>;

/** The viewer a principal reads orders as; null for a station account without a station. */
export async function viewerOf(pool: pg.Pool, p: Principal): Promise<OrderViewer | null> {
  if (p.role !== 'station') return { kind: 'scope', scope: p.scope };
  const row = p.userId == null ? undefined : (await pool.query(ownStationQuery(p.userId))).rows[0];
  return row?.station_id == null ? null : { kind: 'station', stationId: Number(row.station_id) };
}

function orderVisible(v: OrderViewer, o: OrderSummary, regions: { station: number | null; alarm: number | null }): boolean {
  if (v.kind === 'station') return o.stationId === v.stationId;
  return scopeAllows(v.scope, { regionAdcode: regions.alarm ?? regions.station, unitId: o.unit?.id ?? null }) || scopeAllows(v.scope, { regionAdcode: regions.station });
}

function stationVisible(v: OrderViewer, s: StationState): boolean {
  if (v.kind === 'station') return s.id === v.stationId;
  return scopeAllows(v.scope, { regionAdcode: s.regionAdcode });
}

export class StationStream {
  private readonly clients = new Set<Client>();
  private listener: pg.PoolClient | null = null;
  private closed = false;
  private retry: NodeJS.Timeout | null = null;
  private unregister: (() => void) | null = null;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 1024, perMessageDeflate: false });
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Notices are handled one at a time, in order. */
  private queue: Promise<void> = Promise.resolve();

  /** Per-user and per-IP connection caps, the same as /ws's (API probe: there were none). */
  private readonly caps: ConnectionCaps;
  /** Interval of each socket's session re-check, ms. */
  private readonly recheckMs: number;

  constructor(
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
    private readonly authenticate: Authenticate,
    opts: { recheckMs?: number; limits: ConnectionLimits; clientIp: (req: IncomingMessage) => string },
  ) {
    this.recheckMs = opts.recheckMs ?? 60_000;
    this.caps = new ConnectionCaps(opts.limits, { logger, clientIp: opts.clientIp, noun: 'station stream connections' });
  }

  async start(http: Server): Promise<void> {
    await this.listen();
    this.unregister = upgradeRoutes(http, { logger: this.logger }).handle(STATION_WS_PATH, (req, socket, head) => this.onUpgrade(req, socket, head));
  }

  async stop(): Promise<void> {
    this.closed = true;
    this.unregister?.();
    if (this.retry) clearTimeout(this.retry);
    for (const t of this.timers) clearInterval(t);
    for (const c of this.clients) c.ws.close(WS_CLOSE.shuttingDown, 'server shutting down: reconnect');
    this.clients.clear();
    this.wss.close();
    const l = this.listener;
    this.listener = null;
    if (l) {
      await l.query(`UNLISTEN ${DISPATCH_CHANNEL}`).catch(() => {});
      l.release();
    }
    await this.queue.catch(() => {});
  }

  get connectionCount(): number {
    return this.clients.size;
  }

  private async listen(): Promise<void> {
    const c = await this.pool.connect();
    c.on('notification', (n) => {
      if (n.channel !== DISPATCH_CHANNEL) return;
      const notice = parseNotice(n.payload);
      if (!notice) return;
      this.queue = this.queue.then(() => this.handle(notice.kind, notice.id)).catch((err) => this.logger.warn({ err, notice }, 'station stream: notice failed'));
    });
    c.on('error', (err) => {
      // Released already: by stop(), or by the failed LISTEN below (an error event can follow
      // either, e.g. when the database goes away); releasing twice throws from the pool.
      if (this.listener !== c) return;
      this.listener = null;
      this.logger.warn({ err }, 'station stream: listener connection lost; reconnecting');
      c.release(err);
      this.scheduleRelisten();
    });
    try {
      await c.query(`LISTEN ${DISPATCH_CHANNEL}`);
    } catch (err) {
      c.release(err as Error);
      throw err;
    }
    if (this.closed) {
      c.release();
      return;
    }
    this.listener = c;
  }

  private scheduleRelisten(): void {
    if (this.closed || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      this.listen()
        .then(() => {
          // Whatever changed meanwhile: every client starts again from a fresh hello.
          for (const c of this.clients) void this.hello(c);
        })
        .catch(() => this.scheduleRelisten());
    }, 1000);
    this.retry.unref();
  }

  private send(c: Client, m: StationStreamMessage): void {
    if (c.ws.readyState === c.ws.OPEN) c.ws.send(JSON.stringify(m));
  }

  private async handle(kind: 'dispatch' | 'station', id: number): Promise<void> {
    if (this.clients.size === 0) return;
    const at = new Date().toISOString();
    if (kind === 'station') {
      const row = (await this.pool.query(stationStateQuery(id))).rows[0];
      if (!row) return;
      const station = toStationState(row);
      for (const c of this.clients) if (stationVisible(c.viewer, station)) this.send(c, { type: 'station_status', at, station });
      return;
    }
    const row = (await this.pool.query(orderByIdQuery(id))).rows[0];
    if (!row) return;
    const summary = toOrderSummary(row);
    const regions = { station: row.station_region == null ? null : Number(row.station_region), alarm: row.alarm_region == null ? null : Number(row.alarm_region) };
    const to = [...this.clients].filter((c) => orderVisible(c.viewer, summary, regions));
    if (to.length === 0) return;
    // A fresh order (no report yet) goes out whole, route and water with it: the station
    // needs them at once. Progress is the summary: the client keeps the detail it fetched.
    if (summary.progress === 'dispatched') {
      const order = await toOrder(this.pool, row);
      for (const c of to) this.send(c, { type: 'dispatch_order', at, order });
    } else {
      for (const c of to) this.send(c, { type: 'dispatch_progress', at, order: summary });
    }
  }

  private async hello(c: Client): Promise<void> {
    // Summaries only: one query, no routing (routing 200 uncached orders after a restart
    // held the hello for seconds). The client fetches the current order's detail.
    const rows = (await this.pool.query(listOrdersQuery(c.viewer, { open: true, limit: ORDER_LIST_MAX }))).rows;
    const orders = rows.map(toOrderSummary);
    const stations = (await this.pool.query(listStationStatesQuery(c.viewer))).rows.map(toStationState);
    const m = stationStreamMessageSchema.parse({
      type: 'station_hello',
      serverTime: new Date().toISOString(),
      user: { username: c.principal.username, role: c.principal.role },
      stationId: c.viewer.kind === 'station' ? c.viewer.stationId : null,
      orders,
      stations,
    });
    this.send(c, m);
  }

  private async onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    if (!this.caps.admitAddress(req, socket)) return;
    const principal = await this.authenticate(req);
    if (socket.destroyed || !socket.writable) return;
    if (!principal) {
      rejectUpgrade(socket, 401, 'Unauthorized', 'log in first (POST /api/auth/login), then connect with the session cookie or Authorization: Bearer <token>');
      return;
    }
    if (!this.caps.admitUser(principal, socket)) return;
    if (!STREAM_ROLES.includes(principal.role)) {
      rejectUpgrade(socket, 403, 'Forbidden', `the station stream is for ${STREAM_ROLES.join(', ')}; you are ${principal.role}`);
      return;
    }
    const viewer = await viewerOf(this.pool, principal);
    if (socket.destroyed || !socket.writable) return;
    if (!viewer) {
      rejectUpgrade(socket, 403, 'Forbidden', 'this station account is not bound to a station: ask an administrator to set its station (stationId)');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const c: Client = { ws, principal, viewer };
      this.clients.add(c);
      ws.on('error', () => {});
      ws.on('message', () => ws.close(WS_CLOSE.badMessage, 'the station stream takes no messages'));
      const timer = setInterval(() => {
        this.authenticate(req)
          .then((now) => {
            if (!now) ws.close(WS_CLOSE.unauthorized, 'session ended: log in again');
            else if (now.role !== principal.role || JSON.stringify(now.scope) !== JSON.stringify(principal.scope)) ws.close(WS_CLOSE.permissionsChanged, 'permissions changed: reconnect');
          })
          .catch(() => {});
      }, this.recheckMs);
      timer.unref();
      this.timers.add(timer);
      ws.once('close', () => {
        this.clients.delete(c);
        clearInterval(timer);
        this.timers.delete(timer);
      });
      this.hello(c).catch((err) => {
        this.logger.warn({ err }, 'station stream: hello failed');
        ws.close(1011, 'could not load the open orders; reconnect');
      });
    });
  }
}
