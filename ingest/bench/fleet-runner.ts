// Child process of the ingest benchmark: the simulated fleet, in its own process so the
// 10,000 client sockets neither share the server's event loop nor its file-descriptor limit.
// argv[2]: JSON {port, units, startAddress, pointsPerDevice}. Prints "connected <n> <s>", then
// takes one command per line on stdin: "phase <rate> <seconds>" answers "start" when the rate
// is offered and "report <json>" once the backlog has drained (at most 30 s after the
// phase; drainMs says how long that took); "quit" stops the fleet. The parent decides the next rate from the report (the
// knee finder).
import { createInterface } from 'node:readline';
import { Fleet } from '../src/sim/fleet.ts';

interface Plan {
  port: number;
  units: number;
  startAddress: number;
  pointsPerDevice: number;
}

const plan = JSON.parse(process.argv[2] ?? '{}') as Plan;
const say = (l: string) => process.stdout.write(`${l}\n`);
const fleet = new Fleet({
  port: plan.port,
  units: plan.units,
  startAddress: plan.startAddress,
  pointsPerDevice: plan.pointsPerDevice,
  ratePerS: 0,
  heartbeatMs: 30_000,
  resendAfterMs: 10_000,
  connectConcurrency: 500,
  announce: false,
  seed: 3,
  log: (l) => process.stderr.write(`${l}\n`),
});
const t0 = performance.now();
await fleet.start();
say(`connected ${fleet.report().connected} ${((performance.now() - t0) / 1000).toFixed(1)}`);
for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, rateArg, secondsArg] = line.trim().split(' ');
  if (cmd === 'quit') break;
  if (cmd !== 'phase') continue;
  const p = { rate: Number(rateArg), seconds: Number(secondsArg) };
  fleet.resetLatency();
  const before = fleet.report();
  const cpu0 = process.cpuUsage();
  say('start');
  fleet.setRate(p.rate);
  await new Promise((r) => setTimeout(r, p.seconds * 1000));
  fleet.setRate(0);
  // Let the backlog drain (up to 30 s) so the next phase starts clean; the drain time is
  // part of the phase when its rate is computed.
  const stopped = performance.now();
  const until = stopped + 30_000;
  while (fleet.pendingUploads() > 0 && performance.now() < until) await new Promise((r) => setTimeout(r, 10));
  const drainMs = performance.now() - stopped;
  const after = fleet.report();
  const cpu = process.cpuUsage(cpu0);
  say(`report ${JSON.stringify({ cpuUs: cpu.user + cpu.system, sent: after.sent - before.sent, confirmed: after.confirmed - before.confirmed, resends: after.resends - before.resends, failed: after.failed - before.failed, latencyMs: after.latencyMs, connected: after.connected, drainMs })}`);
  await new Promise((r) => setTimeout(r, 250)); // quiet gap between phases
}
await fleet.stop();
process.exit(0);
