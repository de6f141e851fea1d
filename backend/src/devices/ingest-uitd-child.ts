// A simulated UITD in a process of its own (ingest-thread.test.ts): connects, says "ready",
// sends a fire 300 ms later and prints how long its confirm took, so that the test process
// can block its own event loop meanwhile.
import { SimulatedUitd } from '@firelink/ingest';

const [port, address] = process.argv.slice(2).map(Number);
const uitd = new SimulatedUitd({ port: port!, address: address! });
await uitd.connect();
process.stdout.write('ready\n');
await new Promise((r) => setTimeout(r, 300));
const t0 = performance.now();
const r = await uitd.sendFire({ componentAddress: 9 });
process.stdout.write(`confirmed ${r.denied ? 'denied' : 'ok'} ${Math.round(performance.now() - t0)}\n`);
uitd.close();
