// Reconnect-and-resume state machine of the live stream, pure so it can be tested with a
// fake clock. The WebSocket adapter (src/api/live-client.ts) feeds it socket events and
// carries out the effects it returns.
//
//   idle ─start→ connecting ─opened→ live ─closed/stale→ reconnecting ─timer→ connecting …
//
// While live, every message carries the stream id (common/src/live.ts); the largest id seen
// is the cursor a reconnect resumes from (`subscribe` with `resumeFrom`), and deltas at or
// below it are duplicates and dropped.

export type ConnectionStatus = 'idle' | 'connecting' | 'live' | 'reconnecting' | 'stopped';

export interface ConnectionState {
  status: ConnectionStatus;
  /** Failed attempts since the last successful open (drives the back-off). */
  attempt: number;
  /** Last sequence number applied, or null before the first snapshot. */
  lastSeq: number | null;
  /** When the last message (or open) arrived, ms since epoch; for stale detection. */
  lastMessageAt: number;
  /** When the current status began, ms since epoch (the banner shows for how long). */
  since: number;
}

export type ConnectionEvent =
  | { type: 'start'; now: number }
  | { type: 'opened'; now: number }
  | { type: 'message'; now: number; seq: number | null; snapshot?: boolean; delta?: boolean }
  | { type: 'closed'; now: number }
  | { type: 'tick'; now: number }
  | { type: 'retry'; now: number }
  | { type: 'stop'; now: number };

export type ConnectionEffect =
  | { type: 'connect' }
  | { type: 'disconnect' }
  | { type: 'schedule-retry'; delayMs: number }
  | { type: 'subscribe'; resumeFrom: number | null }
  /** The message duplicates one already applied: do not apply it. */
  | { type: 'drop' };

/** Back-off tuning; the defaults suit a wall display on a LAN. */
export interface ConnectionOptions {
  /** First retry delay, ms. */
  baseDelayMs: number;
  /** Longest retry delay, ms (a wall must come back within this after the network does). */
  maxDelayMs: number;
  /** No message (not even a heartbeat) for this long means the link is dead, ms. */
  staleAfterMs: number;
  /** 0…1 source of jitter; injected so tests are deterministic. */
  random: () => number;
}

export const DEFAULT_CONNECTION_OPTIONS: ConnectionOptions = {
  baseDelayMs: 500,
  maxDelayMs: 15_000,
  staleAfterMs: 45_000,
  random: Math.random,
};

export function initialConnection(now = 0): ConnectionState {
  return { status: 'idle', attempt: 0, lastSeq: null, lastMessageAt: now, since: now };
}

/** Exponential back-off with ±50 % jitter so a room full of walls does not reconnect in step. */
export function retryDelayMs(attempt: number, o: ConnectionOptions): number {
  const exp = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** Math.min(attempt, 20));
  return Math.round(exp * (0.5 + o.random() * 0.5));
}

export function step(
  s: ConnectionState,
  e: ConnectionEvent,
  o: ConnectionOptions = DEFAULT_CONNECTION_OPTIONS,
): { state: ConnectionState; effects: ConnectionEffect[] } {
  if (s.status === 'stopped' && e.type !== 'start') return { state: s, effects: [] };
  switch (e.type) {
    case 'start':
      if (s.status !== 'idle' && s.status !== 'stopped') return { state: s, effects: [] };
      return { state: { ...s, status: 'connecting', since: e.now }, effects: [{ type: 'connect' }] };
    case 'opened':
      if (s.status !== 'connecting') return { state: s, effects: [] };
      return {
        state: { ...s, status: 'live', attempt: 0, lastMessageAt: e.now, since: e.now },
        effects: [{ type: 'subscribe', resumeFrom: s.lastSeq }],
      };
    case 'message': {
      if (s.status !== 'live') return { state: s, effects: [] };
      const next: ConnectionState = { ...s, lastMessageAt: e.now };
      if (e.seq === null) return { state: next, effects: [] };
      // A snapshot replaces local state: its id is the new cursor even if lower.
      if (e.snapshot) return { state: { ...next, lastSeq: e.seq }, effects: [] };
      // Deltas carry strictly increasing ids (not contiguous: the stream is filtered by
      // scope). One at or below the cursor was already applied before a reconnect.
      if (e.delta && s.lastSeq !== null && e.seq <= s.lastSeq) return { state: next, effects: [{ type: 'drop' }] };
      // hello/subscribed/pong carry the stream head, which must not move the cursor: a
      // reconnect would then skip the deltas missed in between.
      if (!e.delta) return { state: next, effects: [] };
      return { state: { ...next, lastSeq: e.seq }, effects: [] };
    }
    case 'closed':
      if (s.status !== 'live' && s.status !== 'connecting') return { state: s, effects: [] };
      return lose(s, e.now, o);
    case 'tick':
      if (s.status === 'live' && e.now - s.lastMessageAt > o.staleAfterMs) {
        const r = lose(s, e.now, o);
        return { state: r.state, effects: [{ type: 'disconnect' }, ...r.effects] };
      }
      return { state: s, effects: [] };
    case 'retry':
      if (s.status !== 'reconnecting') return { state: s, effects: [] };
      return { state: { ...s, status: 'connecting' }, effects: [{ type: 'connect' }] };
    case 'stop':
      return { state: { ...s, status: 'stopped', since: e.now }, effects: [{ type: 'disconnect' }] };
  }
}

function lose(s: ConnectionState, now: number, o: ConnectionOptions) {
  const delayMs = retryDelayMs(s.attempt, o);
  return {
    state: {
      ...s,
      status: 'reconnecting' as const,
      attempt: s.attempt + 1,
      since: s.status === 'reconnecting' || (s.status === 'connecting' && s.attempt > 0) ? s.since : now,
    },
    effects: [{ type: 'schedule-retry' as const, delayMs }],
  };
}
