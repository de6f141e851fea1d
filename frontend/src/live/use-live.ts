// One live stream per page: WebSocket client + LiveState + the units store, re-rendering
// React at most every RENDER_EVERY_MS however fast messages arrive (200 events/s on a busy
// night must not mean 200 React renders/s).
import { useEffect, useRef, useState } from 'react';
import type { ServerMessage } from '@firelink/common';
import { LiveClient } from '../api/live-client.ts';
import type { AlarmView } from '../model/alarm.ts';
import { type ConnectionState, initialConnection } from '../model/connection.ts';
import { LiveState } from '../model/live-state.ts';
import { UnitStore } from '../model/unit-store.ts';

/** At most this many React renders per second from stream traffic (the first one is immediate). */
const RENDER_EVERY_MS = 200;

export interface LiveHandle {
  state: LiveState;
  units: UnitStore;
  connection: ConnectionState;
  /** Bumped when the queue changed (re-render key). */
  queueVersion: number;
  tickerVersion: number;
  unitsVersion: number;
  client: LiveClient | null;
}

export function useLive(opts: { onNewFires?: (fires: AlarmView[]) => void; withUnits?: boolean } = {}): LiveHandle {
  const ref = useRef<{ state: LiveState; units: UnitStore } | null>(null);
  if (!ref.current) {
    const units = new UnitStore();
    ref.current = { units, state: new LiveState(units) };
  }
  const onFires = useRef(opts.onNewFires);
  onFires.current = opts.onNewFires;
  const [connection, setConnection] = useState<ConnectionState>(() => initialConnection(Date.now()));
  const [versions, setVersions] = useState({ queue: 0, ticker: 0, units: 0 });
  const clientRef = useRef<LiveClient | null>(null);

  useEffect(() => {
    const { state } = ref.current!;
    const dirty = { queue: false, ticker: false, units: false };
    let timer: ReturnType<typeof setTimeout> | null = null;
    let lastFlush = 0;
    const flush = () => {
      timer = null;
      lastFlush = performance.now();
      const d = { ...dirty };
      dirty.queue = dirty.ticker = dirty.units = false;
      setVersions((v) => ({
        queue: v.queue + (d.queue ? 1 : 0),
        ticker: v.ticker + (d.ticker ? 1 : 0),
        units: v.units + (d.units ? 1 : 0),
      }));
    };
    const onMessage = (msg: ServerMessage) => {
      const r = state.apply(msg);
      // Diagnostics for the browser tests and the wall benchmark (read-only figures).
      (window as unknown as { __firelinkLive?: { lastMessageAt: number; lastType: string; applied: number } }).__firelinkLive = {
        lastMessageAt: Date.now(),
        lastType: msg.type,
        applied: state.applied,
      };
      dirty.queue ||= r.queueChanged;
      dirty.ticker ||= r.tickerChanged;
      dirty.units ||= r.unitsChanged;
      if (r.newFires.length) {
        // A new fire is shown at once, and the fly-to (heavy map work) starts in the next
        // task, after React has rendered the fire on screen.
        if (timer) clearTimeout(timer);
        flush();
        const fires = r.newFires;
        setTimeout(() => onFires.current?.(fires), 0);
        return;
      }
      if ((dirty.queue || dirty.ticker || dirty.units) && !timer) {
        // Leading edge: an alarm after a quiet spell shows at once; a burst is coalesced.
        timer = setTimeout(flush, Math.max(0, RENDER_EVERY_MS - (performance.now() - lastFlush)));
      }
    };
    const client = new LiveClient({ onMessage, onStatus: setConnection });
    clientRef.current = client;
    client.start();
    return () => {
      client.stop();
      if (timer) clearTimeout(timer);
      clientRef.current = null;
    };
  }, []);

  return {
    state: ref.current.state,
    units: ref.current.units,
    connection,
    queueVersion: versions.queue,
    tickerVersion: versions.ticker,
    unitsVersion: versions.units,
    client: clientRef.current,
  };
}
