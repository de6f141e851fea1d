// What the scale-out tests share: the NATS server they use, and whether it answers (the
// tests skip with a line saying how to start one when it does not).
import { connect } from 'node:net';

export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

/** True when the first NATS_URL server accepts a TCP connection within 2 s. */
export async function natsReachable(): Promise<boolean> {
  const u = new URL(NATS_URL.split(',')[0]!.replace(/^nats:/, 'http:'));
  return new Promise((resolve) => {
    const s = connect({ host: u.hostname, port: Number(u.port || 4222) });
    s.setTimeout(2000, () => (s.destroy(), resolve(false)));
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}
