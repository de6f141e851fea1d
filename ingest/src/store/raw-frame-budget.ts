// How many raw frames from strangers are kept. Frames from unregistered addresses, and
// frames we refused (peer not allowed, address held), are kept in raw_frames for
// investigation; nobody authenticates them, so without a limit any peer could fill the
// table at line rate for 90 days. Each device address and each peer IP gets a budget per
// fixed window (one hour); past it the frame is still confirmed or denied as before and
// still counted in ingest_unregistered_devices, but its bytes are not stored.
//
// In memory, per process: it protects the table, it is not an accounting.

const isLoopback = (ip: string) => ip === '::1' || /^(::ffff:)?127\./.test(ip);

export interface RawFrameBudgetOptions {
  /** Raw frames kept per device address per window. Default 60 (a sample every minute of a heartbeating device). 0 = none kept. */
  perAddress?: number;
  /** Raw frames kept per peer IP per window, all addresses together. Default 600. 0 = none kept. */
  perPeer?: number;
  /** Window length (ms). Default 1 hour. */
  windowMs?: number;
  /**
   * Peers the per-peer budget does not apply to. Default: loopback (a TLS/TCP proxy on this
   * machine, behind which every device shares one address; the per-address budget still applies).
   */
  perPeerExempt?: (ip: string) => boolean;
  /** Clock (ms since epoch); tests pass their own. */
  now?: () => number;
}

/** Counters are dropped wholesale past this many keys in one window (a flood of made-up addresses). */
const MAX_KEYS = 100_000;

export class RawFrameBudget {
  private readonly perAddress: number;
  private readonly perPeer: number;
  private readonly windowMs: number;
  private readonly exempt: (ip: string) => boolean;
  private readonly now: () => number;
  private windowStart = 0;
  private readonly used = new Map<string, number>();
  /** Frames not kept since start (for the listener's counters). */
  skipped = 0;

  constructor(o: RawFrameBudgetOptions = {}) {
    this.perAddress = o.perAddress ?? 60;
    this.perPeer = o.perPeer ?? 600;
    this.windowMs = o.windowMs ?? 3_600_000;
    this.exempt = o.perPeerExempt ?? isLoopback;
    this.now = o.now ?? Date.now;
  }

  /**
   * True when a raw frame of `address` from `peer` ("ip:port", "[v6]:port" or a bare IP; null =
   * unknown) may be kept, and counts it; false when either budget is spent.
   */
  take(address: number | null, peer: string | null): boolean {
    const now = this.now();
    if (now - this.windowStart >= this.windowMs || this.used.size > MAX_KEYS) {
      this.windowStart = now;
      this.used.clear();
    }
    const ip = peer === null ? null : ipOf(peer);
    const peerKey = ip !== null && !this.exempt(ip) ? `p${ip}` : null;
    const addressKey = address === null ? null : `a${address}`;
    const p = peerKey === null ? 0 : (this.used.get(peerKey) ?? 0);
    const a = addressKey === null ? 0 : (this.used.get(addressKey) ?? 0);
    if ((peerKey !== null && p >= this.perPeer) || (addressKey !== null && a >= this.perAddress)) {
      this.skipped++;
      return false;
    }
    if (peerKey !== null) this.used.set(peerKey, p + 1);
    if (addressKey !== null) this.used.set(addressKey, a + 1);
    return true;
  }
}

/** The IP of a peer as the listener writes it ("1.2.3.4:5678", "::ffff:1.2.3.4:5678", "::1:5678"). */
function ipOf(peer: string): string {
  const i = peer.lastIndexOf(':');
  if (i < 0) return peer;
  const tail = peer.slice(i + 1);
  return /^\d+$/.test(tail) && peer.slice(0, i).length > 0 ? peer.slice(0, i) : peer;
}
