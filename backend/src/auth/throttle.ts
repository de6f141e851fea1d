// Login throttling policy (pure: the route applies it to rows of login_throttle).
//
// A 24-hour center needs its on-duty operator to get in, so no counter that an outsider can
// drive may lock a user out. Three counters per attempt:
//   username+IP  one client guessing one account: a few free failures, then that client alone
//                is locked for an exponentially growing time: base · 2^(failures − free), capped.
//   IP           one client trying many accounts (credential stuffing): a high threshold (a
//                center may sit behind one NAT address), then that address is locked the same way.
//   username     many clients guessing one account: never a lock. Past its free failures every
//                attempt for that username, right or wrong, first waits a short, growing delay
//                (slowdown), so guessing from many addresses costs time while the real user still
//                gets in a few seconds later.
// While a client or address is locked no password is even checked (argon2 is expensive: a lock
// also stops CPU abuse). The client address is the TCP peer unless TRUST_PROXY names the proxy.

export interface ThrottlePolicy {
  /** Failures allowed without delay for one username+IP. */
  freeFailuresPerClient: number;
  /** Failures for one username across all clients before its attempts are slowed down (never locked). */
  freeFailuresPerUser: number;
  /** Failures allowed without delay from one IP across all usernames. */
  freeFailuresPerIp: number;
  /** First lock, in milliseconds; doubled with every further failure. */
  baseLockMs: number;
  /** Longest lock, in milliseconds. */
  maxLockMs: number;
  /** A key with no failure for this long starts again from zero, in milliseconds. */
  forgetAfterMs: number;
  /** First per-username slowdown, in milliseconds; doubled with every further failure. */
  baseSlowdownMs: number;
  /** Longest per-username slowdown, in milliseconds (what the real user waits at worst). */
  maxSlowdownMs: number;
}

export const DEFAULT_THROTTLE: ThrottlePolicy = {
  freeFailuresPerClient: 3,
  freeFailuresPerUser: 20,
  freeFailuresPerIp: 100,
  baseLockMs: 2_000,
  maxLockMs: 15 * 60_000,
  forgetAfterMs: 60 * 60_000,
  baseSlowdownMs: 250,
  maxSlowdownMs: 3_000,
};

export const clientKey = (username: string, ip: string) => `u:${username.toLowerCase()}|ip:${ip}`;
export const userKey = (username: string) => `u:${username.toLowerCase()}`;
export const ipKey = (ip: string) => `ip:${ip}`;

/** The counters a failure may lock: this client on this account, and this address. */
export const lockingKeys = (username: string, ip: string, p: ThrottlePolicy): Array<{ key: string; free: number }> => [
  { key: clientKey(username, ip), free: p.freeFailuresPerClient },
  { key: ipKey(ip), free: p.freeFailuresPerIp },
];

/** Delay before checking a password for a username with `failures` recent failures from anywhere (0 = none). */
export function slowdownMsAfter(failures: number, p: ThrottlePolicy): number {
  if (failures <= p.freeFailuresPerUser) return 0;
  const exp = Math.min(failures - p.freeFailuresPerUser - 1, 30);
  return Math.min(p.baseSlowdownMs * 2 ** exp, p.maxSlowdownMs);
}

/** Lock duration after the `failures`-th consecutive failure (0 = not locked). */
export function lockMsAfter(failures: number, free: number, p: ThrottlePolicy): number {
  if (failures <= free) return 0;
  const exp = Math.min(failures - free - 1, 30);
  return Math.min(p.baseLockMs * 2 ** exp, p.maxLockMs);
}
