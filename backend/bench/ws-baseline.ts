// The raw WebSocket fan-out baseline of `npm run bench:live`: a plain `ws` server in the
// server's process that sends the same pre-encoded frame — a `batch` of EVENTS_PER_FRAME
// event messages, as LIVE sends to clients subscribed with batch: true — to every connected
// client as fast as their sockets take it (each client's send buffer kept under 1 MiB), with
// no database, filtering or encoding. The live driver's plain clients count the events that
// arrive: the event deliveries per second this machine can fan out.
import { WebSocketServer, type WebSocket } from 'ws';

export const EVENTS_PER_FRAME = 20;

/** An event message of the size and shape LIVE sends (one delta). */
const EVENT = JSON.stringify({
    id: 123456,
    type: 'event',
    at: '2026-12-04T10:05:00.000Z',
    event: {
      id: 9876543, kind: 'analog_value', source: 'gb26875', deviceAddress: 5000123, unitId: 4321, pointId: null, regionAdcode: 320106,
      h3R9: '8931aa42a1bffff', systemType: 1, systemAddress: 1, componentType: 99, componentAddress: 5, status: null, value: 12345,
      description: null, deviceTime: '2026-12-04T18:05:00', receivedAt: '2026-12-04T10:05:00.123Z', payload: { analogType: 4, unit: 'MPa' },
    },
  });
const MESSAGE = Buffer.from(`{"type":"batch","id":123456,"messages":[${Array(EVENTS_PER_FRAME).fill(EVENT).join(',')}]}`);

export async function startWsBroadcaster(clients: number): Promise<{ url: string; close: () => Promise<void> }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const sockets = new Set<WebSocket>();
  let running = false;
  let stopped = false;
  const pump = () => {
    if (stopped || sockets.size === 0) {
      running = false;
      return;
    }
    for (let round = 0; round < 20; round++) for (const ws of sockets) if (ws.bufferedAmount < 1 << 20) ws.send(MESSAGE, { binary: false });
    setImmediate(pump);
  };
  wss.on('connection', (ws) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    ws.on('error', () => {});
    if (sockets.size >= clients && !running) {
      running = true;
      setImmediate(pump);
    }
  });
  const port = (wss.address() as { port: number }).port;
  return {
    url: `ws://127.0.0.1:${port}`,
    close: async () => {
      stopped = true;
      for (const ws of sockets) ws.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
    },
  };
}
