// Login throttling policy (pure: the route applies it to rows of login_throttle).
//
// Two counters per attempt: username+IP (one client guessing one account) and username
// alone (many clients guessing one account). Each allows a few free failures, then locks
// for an exponentially growing time: base · 2^(failures − free), capped. While a key is
// locked no password is even checked (argon2 is expensive: a lock also stops CPU abuse).

export interface ThrottlePolicy {
  /** Failures allowed without delay for one username+IP. */
  freeFailuresPerClient: number;
  /** Failures allowed without delay for one username across all clients. */
  freeFailuresPerUser: number;
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
  baseLockMs: 2_000,
  maxLockMs: 15 * 60_000,
  forgetAfterMs: 60 * 60_000,
};

export const clientKey = (username: string, ip: string) => `u:${username.toLowerCase()}|ip:${ip}`;
export const userKey = (username: string) => `u:${username.toLowerCase()}`;

/** Lock duration after the `failures`-th consecutive failure (0 = not locked). */
export function lockMsAfter(failures: number, free: number, p: ThrottlePolicy): number {
  if (failures <= free) return 0;
  const exp = Math.min(failures - free - 1, 30);
  return Math.min(p.baseLockMs * 2 ** exp, p.maxLockMs);
}
