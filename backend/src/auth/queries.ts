// SQL of the auth feature: sessions, tokens, login throttling. Values are always $n.
import type { Query } from '@firelink/common';

export type { Query };

/** The user with both jurisdiction lists, in one round trip (it runs on every request). */
export const principalOfUser = (userId: number): Query => ({
  text: `SELECT u.id, u.username, u.role, u.disabled,
    COALESCE((SELECT array_agg(r.adcode ORDER BY r.adcode) FROM user_regions r WHERE r.user_id = u.id), '{}') AS adcodes,
    COALESCE((SELECT array_agg(x.unit_id ORDER BY x.unit_id) FROM user_units x WHERE x.user_id = u.id), '{}') AS unit_ids
  FROM users u WHERE u.id = $1`,
  values: [userId],
});

/** An unexpired session of this kind, and whether its last_seen_at is older than a minute. */
export const sessionForToken = (tokenHash: string, kind: 'cookie' | 'bearer'): Query => ({
  text: `SELECT user_id, csrf_token, label, last_seen_at < now() - interval '1 minute' AS stale
           FROM sessions WHERE token_hash = $1 AND expires_at > now() AND kind = $2`,
  values: [tokenHash, kind],
});

/** last_seen_at, written at most once a minute (concurrent requests never queue on the row's lock). */
export const touchSession = (tokenHash: string): Query => ({
  text: `UPDATE sessions SET last_seen_at = now() WHERE token_hash = $1 AND last_seen_at < now() - interval '1 minute'`,
  values: [tokenHash],
});

export const userForLogin = (username: string): Query => ({
  text: 'SELECT id, username, password_hash, disabled FROM users WHERE username = $1',
  values: [username],
});

export const userProfile = (userId: number): Query => ({
  text: `SELECT id, username, display_name, role, station_id, maintenance_agency_id, demo, last_login_at
         FROM users WHERE id = $1`,
  values: [userId],
});

export const markLogin = (userId: number): Query => ({
  text: 'UPDATE users SET last_login_at = now() WHERE id = $1',
  values: [userId],
});

export const insertSession = (s: {
  tokenHash: string;
  userId: number;
  kind: 'cookie' | 'bearer';
  csrfToken: string | null;
  ttlHours: number;
  label: string | null;
  ip: string | null;
  userAgent: string | null;
  /** The session that minted this token, which it ends with (null: it lives its own term). */
  mintedBy?: number | null;
}): Query => ({
  text: `INSERT INTO sessions (token_hash, user_id, kind, csrf_token, expires_at, label, created_ip, user_agent, minted_by)
         VALUES ($1, $2, $3, $4, now() + $5 * interval '1 hour', $6, $7, $8, $9)
         RETURNING id, created_at, expires_at`,
  values: [s.tokenHash, s.userId, s.kind, s.csrfToken, s.ttlHours, s.label, s.ip, s.userAgent, s.mintedBy ?? null],
});

/** Slides a live wall-display cookie session forward by ttlHours, capped at maxHours after its login. */
export const extendCookieSession = (tokenHash: string, ttlHours: number, maxHours: number): Query => ({
  text: `UPDATE sessions
            SET expires_at = GREATEST(expires_at, LEAST(now() + $2 * interval '1 hour', created_at + $3 * interval '1 hour'))
          WHERE token_hash = $1 AND kind = 'cookie' AND label = 'wall' AND expires_at > now()
          RETURNING expires_at`,
  values: [tokenHash, ttlHours, maxHours],
});

export const sessionExpiry = (tokenHash: string): Query => ({
  text: 'SELECT id, expires_at FROM sessions WHERE token_hash = $1 AND expires_at > now()',
  values: [tokenHash],
});

/** Moves a session's expiry back to `notAfter` when it would end later. */
export const capSessionExpiry = (id: number, notAfter: Date): Query => ({
  text: 'UPDATE sessions SET expires_at = LEAST(expires_at, $2) WHERE id = $1 RETURNING expires_at',
  values: [id, notAfter],
});

export const deleteSessionByHash = (tokenHash: string): Query => ({
  text: 'DELETE FROM sessions WHERE token_hash = $1 RETURNING id, user_id, kind',
  values: [tokenHash],
});

export const deleteExpiredSessions = (): Query => ({
  text: 'DELETE FROM sessions WHERE expires_at <= now()',
  values: [],
});

export const listTokens = (userId: number): Query => ({
  text: `SELECT id, label, created_at, last_seen_at, expires_at, created_ip
         FROM sessions WHERE user_id = $1 AND kind = 'bearer' AND expires_at > now() ORDER BY id`,
  values: [userId],
});

/** Revokes a bearer token by id; `ownerId` null lets an admin revoke anyone's. */
export const revokeToken = (id: number, ownerId: number | null): Query => ({
  text: `DELETE FROM sessions WHERE id = $1 AND kind = 'bearer' AND ($2::bigint IS NULL OR user_id = $2)
         RETURNING id, user_id, label, expires_at`,
  values: [id, ownerId],
});

export const throttleState = (keys: string[]): Query => ({
  text: `SELECT key, failures, locked_until, GREATEST(0, EXTRACT(EPOCH FROM locked_until - now()))::float8 AS locked_for_s
         FROM login_throttle WHERE key = ANY($1::text[]) AND locked_until > now()`,
  values: [keys],
});

/** Counts one failure; a key idle longer than `forgetAfterMs` starts again from one. */
export const recordFailure = (key: string, forgetAfterMs: number): Query => ({
  text: `INSERT INTO login_throttle AS t (key, failures) VALUES ($1, 1)
         ON CONFLICT (key) DO UPDATE SET
           failures = CASE WHEN t.last_failure_at < now() - $2 * interval '1 millisecond' THEN 1 ELSE t.failures + 1 END,
           first_failure_at = CASE WHEN t.last_failure_at < now() - $2 * interval '1 millisecond' THEN now() ELSE t.first_failure_at END,
           last_failure_at = now()
         RETURNING failures`,
  values: [key, forgetAfterMs],
});

/** Recent failures of one key (0 when it has none within `forgetAfterMs`). */
export const recentFailures = (key: string, forgetAfterMs: number): Query => ({
  text: `SELECT COALESCE((SELECT failures FROM login_throttle
                           WHERE key = $1 AND last_failure_at >= now() - $2 * interval '1 millisecond'), 0) AS failures`,
  values: [key, forgetAfterMs],
});

export const lockKey = (key: string, lockMs: number): Query => ({
  text: `UPDATE login_throttle SET locked_until = now() + $2 * interval '1 millisecond' WHERE key = $1`,
  values: [key, lockMs],
});

export const clearThrottle = (key: string): Query => ({
  text: 'DELETE FROM login_throttle WHERE key = $1',
  values: [key],
});

export const pruneThrottle = (forgetAfterMs: number): Query => ({
  text: `DELETE FROM login_throttle
         WHERE last_failure_at < now() - $1 * interval '1 millisecond' AND (locked_until IS NULL OR locked_until < now())`,
  values: [forgetAfterMs],
});

export const setPassword = (userId: number, passwordHash: string): Query => ({
  text: 'UPDATE users SET password_hash = $2, password_changed_at = now(), updated_at = now() WHERE id = $1',
  values: [userId, passwordHash],
});

/** Ends every session of the user except the one given (null: all). */
export const deleteOtherSessions = (userId: number, keepTokenHash: string | null): Query => ({
  text: 'DELETE FROM sessions WHERE user_id = $1 AND ($2::text IS NULL OR token_hash <> $2)',
  values: [userId, keepTokenHash],
});
