// What the scale-out tests share: the NATS server they use, and whether it answers (the
// tests skip with a line saying how to start one when it does not).
import type { ChildProcess } from 'node:child_process';
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

/** A `firelink <role>` child process and what its start-up line said. */
export interface RoleNode {
  role: string;
  child: ChildProcess;
  http: number;
  tcp: number | null;
  /** Its first 200 output chunks, for the error when it does not come up. */
  log: string[];
}

/**
 * Resolves with `node` once its child prints "<role> node up: pid=… http=N [tcp=M]" (ports
 * read into the node); rejects with the child's output when it exits first or after `ms`.
 */
export function waitForNodeUp(node: RoleNode, ms: number, hint = ''): Promise<RoleNode> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${node.role} did not start in ${ms / 1000} s${hint}:\n${node.log.join('')}`)), ms);
    const onData = (b: Buffer) => {
      const s = String(b);
      if (node.log.length < 200) node.log.push(s);
      const m = /node up: pid=\d+ http=(\d+)(?: tcp=(\d+))?/.exec(s);
      if (m && !node.http) {
        clearTimeout(t);
        node.http = Number(m[1]);
        node.tcp = m[2] ? Number(m[2]) : null;
        resolve(node);
      }
    };
    node.child.stdout!.on('data', onData);
    node.child.stderr!.on('data', onData);
    node.child.once('exit', (code, signal) => {
      clearTimeout(t);
      if (!node.http) reject(new Error(`${node.role} exited (${code ?? signal}) before it was up:\n${node.log.join('')}`));
    });
  });
}
