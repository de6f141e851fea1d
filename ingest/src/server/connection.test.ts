// Backpressure and the partial-frame clock: a connection paused because its frames wait on
// the store (a slow or stalled database) may hold half a frame it has not read the rest of;
// that frame is not late while we are the ones not reading.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { Command, encodeFrame } from '../codec/index.ts';
import { DeviceConnection } from './connection.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function socketPair(): Promise<{ server: Socket; client: Socket; close: () => void }> {
  const listener = createServer();
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', () => r()));
  const accepted = new Promise<Socket>((r) => listener.once('connection', r));
  const client = connect((listener.address() as { port: number }).port, '127.0.0.1');
  const server = await accepted;
  return { server, client, close: () => (client.destroy(), server.destroy(), listener.close()) };
}

const frame = (serial: number) => encodeFrame({ serial, source: 0x0a0b0c, destination: 0, command: Command.sendData, adu: Buffer.alloc(0) });

describe('device connection backpressure', () => {
  it('stops the partial-frame clock while paused and restarts it on resume', async () => {
    const { server, client, close } = await socketPair();
    try {
      const release: Array<() => void> = [];
      const conn = new DeviceConnection(server, { maxQueuedFrames: 2, maxGarbageBytes: 4096 }, {
        frame: () => new Promise<void>((r) => release.push(r)),
        badChecksum: () => {},
        garbage: () => {},
        closedForGarbage: () => {},
        asciiHex: () => {},
        handlerFailed: () => {},
      });
      // Two whole frames (the in-flight bound) and the first half of a third, in one write.
      const third = frame(3);
      client.write(Buffer.concat([frame(1), frame(2), third.subarray(0, 10)]));
      for (let i = 0; i < 100 && conn.inflight < 2; i++) await sleep(10);
      assert.equal(conn.inflight, 2);
      assert.equal(conn.partialSince, null, 'paused by us: the half frame is not on the clock');
      await sleep(50);
      const before = Date.now();
      release.splice(0).forEach((r) => r());
      for (let i = 0; i < 100 && conn.partialSince === null; i++) await sleep(10);
      assert.ok(conn.partialSince !== null && conn.partialSince >= before, 'resumed: the clock starts at the resume');
      client.write(third.subarray(10));
      for (let i = 0; i < 100 && conn.inflight < 1; i++) await sleep(10);
      assert.equal(conn.inflight, 1, 'the rest arrives and the frame is handed on');
      assert.equal(conn.partialSince, null);
      release.splice(0).forEach((r) => r());
    } finally {
      close();
    }
  });
});
