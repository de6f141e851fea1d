// Password hashing with argon2id. Parameters follow the OWASP minimum for argon2id
// (19 MiB memory, 2 iterations, 1 lane): about 20–40 ms per hash on the reference
// machine, which bounds what a login flood can cost the CPU together with throttling.
import { randomBytes } from 'node:crypto';
import argon2 from 'argon2';

const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 200;

export const hashPassword = (password: string) => argon2.hash(password, OPTIONS);

let dummyHash: Promise<string> | null = null;

/**
 * True when `password` matches `hash`. With a null hash (unknown user) a dummy hash is
 * still verified, so the response time does not tell which usernames exist.
 */
export async function verifyPassword(hash: string | null, password: string): Promise<boolean> {
  if (hash === null) {
    dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
    await argon2.verify(await dummyHash, password).catch(() => false);
    return false;
  }
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false; // a malformed stored hash never authenticates
  }
}

/** A random password for generated accounts (demo users, admin-created users): 16 chars, no look-alikes. */
export function generatePassword(length = 16): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

/** A new session or API token: 32 random bytes, base64url (43 chars). */
export const generateToken = () => randomBytes(32).toString('base64url');
