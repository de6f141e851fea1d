// Per-device peer allowlists (devices.allowed_peers): which network addresses may send
// frames for a GB/T 26875 address. The protocol has no authentication, so without this a
// peer that writes a registered address is believed, and takes the device's connection
// over. Devices without a list accept any peer.
//
// The rules are held in memory (BlockList per device): the check runs for every frame and
// must not cost a query. They are reloaded when PostgreSQL notifies a change to `devices`
// (LISTEN, any process that writes it), and every `refreshMs` in case a notification was lost.
import { BlockList, isIP } from 'node:net';
import type pg from 'pg';
import { SerialJobs } from '@firelink/common';

export type PeerRules = ReadonlyMap<number, BlockList>;

/** Parses "10.1.2.3", "10.1.0.0/16", "2001:db8::/32" (what PostgreSQL's cidr prints). */
export function parseCidr(text: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } {
  const [address = '', prefixText] = text.trim().split('/');
  const v = isIP(address);
  if (v === 0) throw new Error(`"${text}" is not an IP address or network (e.g. 10.1.2.3 or 10.1.0.0/16)`);
  const max = v === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) throw new Error(`"${text}": the prefix must be 0–${max}`);
  return { address, prefix, family: v === 4 ? 'ipv4' : 'ipv6' };
}

export function buildPeerRules(rows: Iterable<{ address: number; peers: readonly string[] }>): PeerRules {
  const rules = new Map<number, BlockList>();
  for (const r of rows) {
    const list = new BlockList();
    for (const p of r.peers) {
      const c = parseCidr(p);
      list.addSubnet(c.address, c.prefix, c.family);
    }
    rules.set(r.address, list);
  }
  return rules;
}

/** Strips the IPv4-mapped IPv6 prefix Node reports for IPv4 peers on a dual-stack socket. */
function plainIp(ip: string): { ip: string; family: 'ipv4' | 'ipv6' } {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (m) return { ip: m[1]!, family: 'ipv4' };
  return { ip, family: isIP(ip) === 6 ? 'ipv6' : 'ipv4' };
}

/** True when `ip` may speak for `address` under `rules` (no rules for it: anyone may). */
export function peerAllowed(rules: PeerRules, address: number, ip: string): boolean {
  const list = rules.get(address);
  if (!list) return true;
  const p = plainIp(ip);
  return list.check(p.ip, p.family);
}

/** NOTIFY channel raised by a trigger on `devices` (migration 0102). */
export const DEVICES_CHANGED_CHANNEL = 'firelink_devices_changed';

export class PeerPolicy {
  private rules: PeerRules = new Map();
  private listener: { client: pg.PoolClient; release: (destroy: boolean) => void } | null = null;
  private stopped = false;
  /** Reloads, one at a time: the periodic one and those notifications trigger. */
  private jobs = new SerialJobs();
  /** Reloads soon: a burst of notifications costs at most the reload in flight plus one more. */
  private reloadSoon: () => void = () => {};

  constructor(
    private readonly pool: pg.Pool,
    private readonly o: { refreshMs?: number; relistenMs?: number; onError?: (err: unknown) => void } = {},
  ) {}

  allows(address: number, ip: string): boolean {
    return peerAllowed(this.rules, address, ip);
  }

  /**
   * True only when the device HAS an allowlist and it names `ip`: such a peer may take the
   * address over from a live connection at once (a device without a list must wait until its
   * holder is silent or fails a challenge).
   */
  vouches(address: number, ip: string): boolean {
    return this.rules.has(address) && peerAllowed(this.rules, address, ip);
  }

  /** Loads the rules now. */
  async refresh(): Promise<void> {
    const r = await this.pool.query<{ address: string; peers: string[] }>(
      `SELECT address, allowed_peers::text[] AS peers FROM devices WHERE protocol = 'gb26875' AND allowed_peers IS NOT NULL`,
    );
    this.rules = buildPeerRules(r.rows.map((x) => ({ address: Number(x.address), peers: x.peers })));
  }

  /** LISTENs on a connection of its own; if that connection is lost, listens again (the timer covers the gap). */
  private async listen(): Promise<void> {
    if (this.stopped) return;
    try {
      const c = await this.pool.connect();
      const onNotification = () => this.reloadSoon();
      const onError = () => {
        release(true);
        if (!this.stopped) setTimeout(() => void this.listen(), this.o.relistenMs ?? 5000).unref?.();
      };
      // Released exactly once, whichever comes first: stop(), or the connection failing.
      let released = false;
      const release = (destroy: boolean) => {
        if (released) return;
        released = true;
        if (this.listener?.client === c) this.listener = null;
        c.off('notification', onNotification);
        c.off('error', onError);
        c.on('error', () => {}); // a late error on a released connection is not ours to report
        c.release(destroy);
      };
      c.on('notification', onNotification);
      c.on('error', onError);
      this.listener = { client: c, release };
      try {
        await c.query(`LISTEN ${DEVICES_CHANGED_CHANNEL}`);
      } catch (err) {
        release(true);
        throw err;
      }
      if (this.stopped) this.unlisten();
      // Changes made while nobody listened (a lost connection) are caught up now.
      else this.reloadSoon();
    } catch (err) {
      this.o.onError?.(err);
      if (!this.stopped) setTimeout(() => void this.listen(), this.o.relistenMs ?? 5000).unref?.();
    }
  }

  private unlisten(): void {
    const l = this.listener;
    if (!l) return;
    this.listener = null;
    void l.client
      .query(`UNLISTEN ${DEVICES_CHANGED_CHANNEL}`)
      .then(
        () => l.release(false),
        () => l.release(true),
      );
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.jobs = new SerialJobs((err) => this.o.onError?.(err));
    this.reloadSoon = this.jobs.coalesced(() => this.refresh());
    await this.refresh();
    await this.listen();
    this.jobs.every(this.o.refreshMs ?? 30_000, () => this.refresh());
  }

  /** Stops listening and reloading; resolves when a reload in flight has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unlisten();
    await this.jobs.stop();
  }
}
