// Fan-out: a committed batch of stream frames to every subscribed client. Each message's
// JSON was encoded once (stream-log.ts); here it is only filtered per client. Clients
// subscribed with `batch: true` get the tick's matching messages as `batch` frames, built
// once per distinct scope + filters and shared by every client with the same ones; others
// get one text frame per message, corked into one socket write per client.
import type WebSocket from 'ws';
import type { ClientSync, Outlet } from './client-sync.ts';
import type { StreamFrame } from './stream-log.ts';

/** Most messages, and about the most bytes, in one `batch` frame (keeps a frame well under the lagging threshold). */
const BATCH_MAX = 500;
export const BATCH_MAX_BYTES = 64 * 1024;

export interface BatchFrame {
  lastId: number;
  data: Buffer;
}

/** What the fan-out needs of a client. */
export interface FanOutClient {
  sync: ClientSync<StreamFrame>;
  ws: WebSocket;
  outlet: Outlet;
  batch: boolean;
  /** Scope + filters as a string: clients with equal keys see the same frames. */
  filterKey: string;
  matches(f: StreamFrame): boolean;
}

/** `{"type":"batch","id":<last>,"messages":[…]}` frames built from the already-encoded messages. */
export function encodeBatches(frames: readonly StreamFrame[]): BatchFrame[] {
  const out: BatchFrame[] = [];
  const comma = Buffer.from(',');
  const tail = Buffer.from(']}');
  for (let i = 0; i < frames.length; ) {
    // At least one message; then more while under both caps.
    let j = i + 1;
    let bytes = frames[i]!.data.length;
    while (j < frames.length && j - i < BATCH_MAX && bytes + frames[j]!.data.length + 1 <= BATCH_MAX_BYTES) bytes += frames[j++]!.data.length + 1;
    const part = frames.slice(i, j);
    i = j;
    const parts: Buffer[] = [Buffer.from(`{"type":"batch","id":${part[part.length - 1]!.id},"messages":[`)];
    part.forEach((f, k) => {
      if (k > 0) parts.push(comma);
      parts.push(f.data);
    });
    parts.push(tail);
    out.push({ lastId: part[part.length - 1]!.id, data: Buffer.concat(parts) });
  }
  return out;
}

/** Sends a committed batch to every client; returns how many clients went lagging. */
export function fanOut(clients: Iterable<FanOutClient>, frames: readonly StreamFrame[]): number {
  if (frames.length === 0) return 0;
  let lagged = 0;
  const batches = new Map<string, BatchFrame[]>();
  for (const c of clients) {
    const mode = c.sync.mode;
    if (mode === 'idle' || mode === 'lagging') continue;
    if (c.batch && mode === 'live') {
      let out = batches.get(c.filterKey);
      if (!out) {
        out = encodeBatches(frames.filter((f) => c.matches(f)));
        batches.set(c.filterKey, out);
      }
      if (c.sync.deliverBatches(out, frames[frames.length - 1]!.id, c.outlet)) lagged++;
      continue;
    }
    // Corking the socket turns a batch of frames into one write per client instead of one
    // syscall per frame (ws has no public batching API; _socket is its net.Socket).
    const socket = (c.ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
    socket?.cork();
    try {
      if (c.sync.deliver(frames, (f) => c.matches(f), c.outlet)) lagged++;
    } finally {
      socket?.uncork();
    }
  }
  return lagged;
}
