// Login throttling policy (pure: the route applies it to rows of login_throttle).
//
// Three counters per attempt: username+IP (one client guessing one account), username
// alone (many clients guessing one account) and IP alone (one client trying many accounts,
// credential stuffing; high threshold, since a command center may sit behind one NAT address). Each allows a few free failures, then locks
// for an exponentially growing time: base · 2^(failures − free), capped. While a key is
// locked no password is even checked (argon2 is expensive: a lock also stops CPU abuse).

export interface ThrottlePolicy {
  /** Failures allowed without delay for one username+IP. */
  freeFailuresPerClient: number;
  /** Failures allowed without delay for one username across all clients. */
  freeFailuresPerUser: number;
  /** Failures allowed without delay from one IP across all usernames. */
  freeFailuresPerIp: number;
  /** First lock, in milliseconds; doubled with every further failure. */
  baseLockMs: number;
  /** Longest lock, in milliseconds. */
  maxLockMs: number;
  /** A key with no failure for this long starts again from zero, in milliseconds. */
  forgetAfterMs: number;
}

export const DEFAULT_THROTTLE: ThrottlePolicy = {
  freeFailuresPerClient: 3,
  freeFailuresPerUser: 20,
  freeFailuresPerIp: 100,
  baseLockMs: 2_000,
  maxLockMs: 15 * 60_000,
  forgetAfterMs: 60 * 60_000,
};

export const clientKey = (username: string, ip: string) => `u:${username.toLowerCase()}|ip:${ip}`;
export const userKey = (username: string) => `u:${username.toLowerCase()}`;
export const ipKey = (ip: string) => `ip:${ip}`;

/** The counters one login attempt touches, each with its free failures. */
export const throttleKeys = (username: string, ip: string, p: ThrottlePolicy): Array<{ key: string; free: number }> => [
  { key: clientKey(username, ip), free: p.freeFailuresPerClient },
  { key: userKey(username), free: p.freeFailuresPerUser },
  { key: ipKey(ip), free: p.freeFailuresPerIp },
];

/** Lock duration after the `failures`-th consecutive failure (0 = not locked). */
export function lockMsAfter(failures: number, free: number, p: ThrottlePolicy): number {
  if (failures <= free) return 0;
  const exp = Math.min(failures - free - 1, 30);
  return Math.min(p.baseLockMs * 2 ** exp, p.maxLockMs);
}
