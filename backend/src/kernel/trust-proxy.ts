// Which reverse proxies may tell us the client's address (X-Forwarded-For), from TRUST_PROXY.
// One resolver serves Express (req.ip, audit log, login throttling) and the WebSocket upgrade
// (per-IP connection cap), so both see the same address.
//
// Unset = trust no proxy: X-Forwarded-For is ignored and the client is the TCP peer. Otherwise a
// comma-separated list of addresses, CIDR subnets and the names `loopback`, `linklocal`,
// `uniquelocal` (as Express spells them). The client is found as Express and proxy-addr do:
// walk X-Forwarded-For from the right while the hop we stand on is a trusted proxy.
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

const NAMED: Record<string, string[]> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

export class TrustProxyError extends Error {}

/** `::ffff:10.0.0.1` → `10.0.0.1`, so an IPv4 rule matches a dual-stack socket's address. */
export function normalizeIp(addr: string): string {
  const a = addr.trim();
  return a.toLowerCase().startsWith('::ffff:') && isIP(a.slice(7)) === 4 ? a.slice(7) : a;
}

export interface ProxyTrust {
  /** The TRUST_PROXY entries, for logs and errors ('' = none). */
  readonly description: string;
  /** Whether `addr` is a proxy we believe (Express's `trust proxy` function signature). */
  trusts(addr: string): boolean;
  /** The client's address: the TCP peer, or what trusted proxies say it is. */
  clientIp(req: IncomingMessage): string;
}

/** Parses TRUST_PROXY; throws TrustProxyError naming the bad entry. */
export function parseTrustProxy(value: string | undefined): ProxyTrust {
  const entries = (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const list = new BlockList();
  for (const entry of entries) {
    for (const range of NAMED[entry.toLowerCase()] ?? [entry]) {
      const [addr = '', bits] = range.split('/');
      const family = isIP(addr);
      const prefix = bits === undefined ? (family === 6 ? 128 : 32) : Number(bits);
      if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32) || (bits !== undefined && !/^\d+$/.test(bits))) {
        throw new TrustProxyError(
          `TRUST_PROXY entry "${entry}" is not an address, a CIDR subnet or one of loopback, linklocal, uniquelocal (e.g. TRUST_PROXY=loopback or TRUST_PROXY=10.1.2.3,10.8.0.0/16)`,
        );
      }
      list.addSubnet(addr, prefix, family === 6 ? 'ipv6' : 'ipv4');
    }
  }
  const trusts = (raw: string): boolean => {
    if (entries.length === 0) return false;
    const addr = normalizeIp(raw);
    const family = isIP(addr);
    return family !== 0 && list.check(addr, family === 6 ? 'ipv6' : 'ipv4');
  };
  return {
    description: entries.join(','),
    trusts,
    clientIp(req) {
      let addr = normalizeIp(req.socket.remoteAddress ?? 'unknown');
      if (!trusts(addr)) return addr;
      const header = req.headers['x-forwarded-for'];
      const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((s) => s.trim()).filter(Boolean);
      for (let i = hops.length - 1; i >= 0; i--) {
        const hop = normalizeIp(hops[i]!);
        if (isIP(hop) === 0) return addr; // garbage in the header: stop at the last proxy we trust
        addr = hop;
        if (!trusts(addr)) return addr;
      }
      return addr;
    },
  };
}

/** No proxy trusted: the default. */
export const TRUST_NO_PROXY: ProxyTrust = parseTrustProxy(undefined);
