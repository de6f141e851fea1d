// `firelink simulate --units N --rate R [--host --port --duration --seed]`: N virtual UITDs
// over real TCP; prints sent/confirmed/latency every 5 s and a summary at the end.
import { parseArgs } from 'node:util';
import { Fleet, formatReport } from '../sim/fleet.ts';

const USAGE =
  'usage: firelink simulate --units N --rate R [--host 127.0.0.1] [--port 9030] [--duration S (0 = until Ctrl-C)] [--seed 1] [--heartbeat S] [--start-address A] [--ascii-hex SHARE (0…1 of the devices send ASCII hex text)]';

export async function simulateCommand(args: string[]): Promise<number> {
  let v: Record<string, string | boolean | undefined>;
  try {
    v = parseArgs({
      args,
      options: {
        units: { type: 'string', default: '10' },
        rate: { type: 'string', default: '5' },
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: process.env.GB26875_PORT ?? '9030' },
        duration: { type: 'string', default: '0' },
        seed: { type: 'string', default: '1' },
        heartbeat: { type: 'string', default: '30' },
        'start-address': { type: 'string', default: '100000' },
        'ascii-hex': { type: 'string', default: '0' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    process.stderr.write(`simulate: ${(err as Error).message}\n${USAGE}\n`);
    return 1;
  }
  if (v.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const num = (name: string, min: number, max: number): number => {
    const n = Number(v[name]);
    if (!Number.isFinite(n) || n < min || n > max) throw new RangeError(`--${name} must be a number from ${min} to ${max}, got ${JSON.stringify(v[name])}`);
    return n;
  };
  let opts;
  try {
    opts = {
      host: String(v.host),
      port: num('port', 1, 65535),
      units: Math.floor(num('units', 1, 100_000)),
      ratePerS: num('rate', 0, 1_000_000),
      durationS: num('duration', 0, 1e9),
      seed: Math.floor(num('seed', 0, 2 ** 32 - 1)),
      heartbeatMs: num('heartbeat', 0, 86_400) * 1000,
      startAddress: Math.floor(num('start-address', 0, 2 ** 48 - 1)),
      asciiHexShare: num('ascii-hex', 0, 1),
    };
  } catch (err) {
    process.stderr.write(`simulate: ${(err as Error).message}\n${USAGE}\n`);
    return 1;
  }
  const fleet = new Fleet({ ...opts, log: (l) => process.stderr.write(`${l}\n`) });
  process.stderr.write(`simulate: connecting ${opts.units} UITD(s) to ${opts.host}:${opts.port}…\n`);
  await fleet.start();
  const r0 = fleet.report();
  if (r0.connected === 0) {
    process.stderr.write(`simulate: no UITD could connect to ${opts.host}:${opts.port}: is the server running (npm start) and GB26875_PORT right?\n`);
    await fleet.stop();
    return 1;
  }
  const progress = setInterval(() => process.stdout.write(`${formatReport(fleet.report())}\n\n`), 5000);
  const onSigint = () => void fleet.stop();
  process.once('SIGINT', onSigint);
  const report = await fleet.finished();
  clearInterval(progress);
  process.off('SIGINT', onSigint);
  process.stdout.write(`${formatReport(report)}\n`);
  return report.failed > 0 && report.confirmed === 0 ? 1 : 0;
}
