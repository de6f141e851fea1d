// Test support for every feature's HTTP tests: real users and real sessions in the test
// database (no injected principals needed). Skips argon2 unless a password is asked for.
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { Role } from '@firelink/common';
import { hashToken } from './authenticate.ts';
import { hashPassword } from './passwords.ts';

export interface TestUser {
  userId: number;
  username: string;
  /** A valid bearer token: send `Authorization: Bearer ${token}`. */
  token: string;
  /** `{ authorization: 'Bearer …' }`, ready for fetch. */
  headers: Record<string, string>;
}

/** Inserts the regions the adcodes name if they are missing (bare rows without geometry). */
export async function ensureRegions(pool: pg.Pool, adcodes: number[]): Promise<void> {
  for (const a of [...adcodes].sort((x, y) => x - y)) {
    const level = a % 10000 === 0 ? 'province' : a % 100 === 0 ? 'city' : 'district';
    const parent = level === 'district' ? Math.floor(a / 100) * 100 : level === 'city' ? Math.floor(a / 10000) * 10000 : null;
    if (parent !== null) await ensureRegions(pool, [parent]);
    await pool.query(
      `INSERT INTO regions (adcode, name, level, parent_adcode) VALUES ($1, $2, $3, $4) ON CONFLICT (adcode) DO NOTHING`,
      [a, `region ${a}`, level, parent],
    );
  }
}

/**
 * Creates a user with a jurisdiction and a bearer session. Regions are created if missing;
 * units must exist. `password` (optional) is hashed with argon2 so the user can also log in.
 */
export async function createTestUser(
  pool: pg.Pool,
  opts: { role: Role; regions?: number[]; units?: number[]; username?: string; password?: string; ttlHours?: number },
): Promise<TestUser> {
  const username = opts.username ?? `${opts.role}_${randomBytes(4).toString('hex')}`;
  const passwordHash = opts.password ? await hashPassword(opts.password) : '!test-user-without-password';
  const u = await pool.query(
    `INSERT INTO users (username, display_name, role, password_hash) VALUES ($1, $1, $2, $3) RETURNING id`,
    [username, opts.role, passwordHash],
  );
  const userId = Number(u.rows[0].id);
  if (opts.regions?.length) {
    await ensureRegions(pool, opts.regions);
    await pool.query('INSERT INTO user_regions (user_id, adcode) SELECT $1, unnest($2::int[])', [userId, opts.regions]);
  }
  if (opts.units?.length) {
    await pool.query('INSERT INTO user_units (user_id, unit_id) SELECT $1, unnest($2::bigint[])', [userId, opts.units]);
  }
  const token = randomBytes(32).toString('base64url');
  await pool.query(
    `INSERT INTO sessions (token_hash, user_id, kind, expires_at, label) VALUES ($1, $2, 'bearer', now() + $3 * interval '1 hour', 'test')`,
    [hashToken(token), userId, opts.ttlHours ?? 1],
  );
  return { userId, username, token, headers: { authorization: `Bearer ${token}` } };
}
