// WebSocket adapter of the live stream: drives the pure state machine (model/connection.ts)
// with socket events and timers, validates every server message with the contract's zod
// schema, and hands applied messages to a listener.
import { WS_CLOSE, parseServerFrame, type ClientMessage, type ServerMessage } from '@firelink/common';
import { notifyUnauthorized } from './http.ts';
import {
  type ConnectionEffect,
  type ConnectionEvent,
  type ConnectionState,
  DEFAULT_CONNECTION_OPTIONS,
  initialConnection,
  step,
} from '../model/connection.ts';

/** How often the client pings (ms); pongs keep the stale timer quiet on an idle stream. */
const PING_EVERY_MS = 15_000;
/** How often the stale check runs (ms). */
const TICK_EVERY_MS = 2_000;

export interface LiveClientOptions {
  url?: string;
  onMessage: (msg: ServerMessage) => void;
  onStatus: (s: ConnectionState) => void;
  filters?: Extract<ClientMessage, { type: 'subscribe' }>['filters'];
}

export class LiveClient {
  private state: ConnectionState = initialConnection(Date.now());
  private ws: WebSocket | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private tickTimer: ReturnType<typeof setInterval> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  /** Messages that failed validation (a contract mismatch); shown in diagnostics. */
  invalidMessages = 0;

  constructor(private readonly opts: LiveClientOptions) {}

  get status(): ConnectionState {
    return this.state;
  }

  start(): void {
    this.tickTimer ??= setInterval(() => this.dispatch({ type: 'tick', now: Date.now() }), TICK_EVERY_MS);
    this.pingTimer ??= setInterval(() => this.send({ type: 'ping', t: Date.now() }), PING_EVERY_MS);
    this.dispatch({ type: 'start', now: Date.now() });
  }

  stop(): void {
    this.dispatch({ type: 'stop', now: Date.now() });
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.tickTimer = this.pingTimer = this.retryTimer = null;
  }

  private send(m: ClientMessage): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(m));
  }

  private dispatch(e: ConnectionEvent): ConnectionEffect[] {
    const prev = this.state;
    const r = step(prev, e, DEFAULT_CONNECTION_OPTIONS);
    this.state = r.state;
    if (prev.status !== r.state.status || prev.attempt !== r.state.attempt) this.opts.onStatus(r.state);
    for (const eff of r.effects) this.run(eff);
    return r.effects;
  }

  private run(eff: ConnectionEffect): void {
    switch (eff.type) {
      case 'connect':
        this.connect();
        break;
      case 'disconnect':
        this.closeSocket();
        break;
      case 'schedule-retry':
        if (this.retryTimer) clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null;
          this.dispatch({ type: 'retry', now: Date.now() });
        }, eff.delayMs);
        break;
      case 'subscribe':
        // batch: deltas arrive coalesced (one frame per server tick), unwrapped in onmessage.
        this.send({ type: 'subscribe', filters: this.opts.filters ?? {}, batch: true, ...(eff.resumeFrom !== null ? { resumeFrom: eff.resumeFrom } : {}) });
        break;
      case 'drop':
        break;
    }
  }

  private closeSocket(): void {
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onopen = ws.onclose = ws.onmessage = ws.onerror = null;
      try {
        ws.close();
      } catch {
        // already closed
      }
    }
  }

  private connect(): void {
    this.closeSocket();
    // The screen (desk or wall) reports its presence: the center is unattended when none is connected.
    const view = /^\/(desk|wall)\b/.exec(location.pathname)?.[1];
    const url = this.opts.url ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws${view ? `?view=${view}` : ''}`;
    let ws: WebSocket;
    try {
      ws = new WebSocket(url);
    } catch {
      this.dispatch({ type: 'closed', now: Date.now() });
      return;
    }
    this.ws = ws;
    ws.onopen = () => this.dispatch({ type: 'opened', now: Date.now() });
    ws.onclose = (ev) => {
      if (this.ws === ws) this.ws = null;
      // No valid session: retrying will not help until the user logs in again.
      if (ev.code === WS_CLOSE.unauthorized) notifyUnauthorized();
      this.dispatch({ type: 'closed', now: Date.now() });
    };
    ws.onerror = () => {
      // onclose follows; nothing to do here.
    };
    ws.onmessage = (ev) => {
      let raw: unknown;
      try {
        raw = JSON.parse(typeof ev.data === 'string' ? ev.data : '');
      } catch {
        this.invalidMessages++;
        return;
      }
      // One message, or a batch of them (applied one by one, as if each came alone).
      const messages = parseServerFrame(raw);
      if (!messages) {
        this.invalidMessages++;
        return;
      }
      for (const msg of messages) {
        if (this.ws !== ws) return; // the batch's earlier messages closed or replaced the socket
        const isDelta = msg.type === 'alarm_opened' || msg.type === 'alarm_updated' || msg.type === 'alarm_closed' || msg.type === 'event' || msg.type === 'device_status';
        const effects = this.dispatch({ type: 'message', now: Date.now(), seq: msg.id, snapshot: msg.type === 'snapshot', delta: isDelta });
        if (effects.some((x) => x.type === 'drop')) continue;
        this.opts.onMessage(msg);
      }
    };
  }
}
