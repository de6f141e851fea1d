// Child process of the TCP echo baseline (machine.ts): `conns` loopback connections, each
// sending a 64-byte message and waiting for all of it to come back, for `seconds`.
// Prints {"rate": round trips per second}.
import { connect, type Socket } from 'node:net';

const { port, seconds, conns } = JSON.parse(process.argv[2] ?? '{}') as { port: number; seconds: number; conns: number };
const msg = Buffer.alloc(64, 0x40);
let trips = 0;
const sockets: Socket[] = [];
await Promise.all(
  Array.from({ length: conns }, () => new Promise<void>((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', noDelay: true }, () => resolve());
    s.once('error', reject);
    sockets.push(s);
  })),
);
const t0 = performance.now();
const end = t0 + seconds * 1000;
await Promise.all(
  sockets.map((s) => new Promise<void>((resolve) => {
    let got = 0;
    s.on('data', (d: Buffer) => {
      got += d.length;
      while (got >= msg.length) {
        got -= msg.length;
        trips++;
        if (performance.now() >= end) {
          resolve();
          return;
        }
        s.write(msg);
      }
    });
    s.write(msg);
  })),
);
const rate = trips / ((performance.now() - t0) / 1000);
for (const s of sockets) s.destroy();
process.stdout.write(`${JSON.stringify({ rate })}\n`);
process.exit(0);
