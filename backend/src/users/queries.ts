// SQL of user and jurisdiction administration. Values are always $n.
import type { Query } from '@firelink/common';

const USER_COLUMNS = `u.id, u.username, u.display_name, u.role, u.disabled, u.demo, u.station_id,
  u.maintenance_agency_id, u.created_at, u.last_login_at,
  COALESCE((SELECT array_agg(r.adcode ORDER BY r.adcode) FROM user_regions r WHERE r.user_id = u.id), '{}') AS regions,
  COALESCE((SELECT array_agg(x.unit_id ORDER BY x.unit_id) FROM user_units x WHERE x.user_id = u.id), '{}') AS units`;

export const listUsers = (f: { role?: string; q?: string; limit: number; offset: number }): Query => ({
  text: `SELECT ${USER_COLUMNS} FROM users u
         WHERE ($1::text IS NULL OR u.role = $1)
           AND ($2::text IS NULL OR u.username ILIKE '%' || $2 || '%' OR u.display_name ILIKE '%' || $2 || '%')
         ORDER BY u.id LIMIT $3 OFFSET $4`,
  values: [f.role ?? null, f.q ?? null, f.limit, f.offset],
});

export const countUsers = (f: { role?: string; q?: string }): Query => ({
  text: `SELECT count(*)::int AS n FROM users u
         WHERE ($1::text IS NULL OR u.role = $1)
           AND ($2::text IS NULL OR u.username ILIKE '%' || $2 || '%' OR u.display_name ILIKE '%' || $2 || '%')`,
  values: [f.role ?? null, f.q ?? null],
});

export const userById = (id: number, forUpdate = false): Query => ({
  text: `SELECT ${USER_COLUMNS} FROM users u WHERE u.id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
  values: [id],
});

export const insertUser = (u: {
  username: string;
  displayName: string;
  role: string;
  passwordHash: string;
  stationId: number | null;
  maintenanceAgencyId: number | null;
  demo: boolean;
}): Query => ({
  text: `INSERT INTO users (username, display_name, role, password_hash, station_id, maintenance_agency_id, demo, password_changed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, now()) RETURNING id`,
  values: [u.username, u.displayName, u.role, u.passwordHash, u.stationId, u.maintenanceAgencyId, u.demo],
});

/** Updates the given fields; null/undefined in `set` means "leave as is" except for the nullable ids flagged in `clear`. */
export const updateUser = (
  id: number,
  set: {
    displayName?: string;
    role?: string;
    disabled?: boolean;
    passwordHash?: string;
    stationId?: number | null;
    maintenanceAgencyId?: number | null;
  },
): Query => ({
  text: `UPDATE users SET
           display_name = COALESCE($2, display_name),
           role = COALESCE($3, role),
           disabled = COALESCE($4, disabled),
           password_hash = COALESCE($5, password_hash),
           password_changed_at = CASE WHEN $5::text IS NULL THEN password_changed_at ELSE now() END,
           station_id = CASE WHEN $6 THEN $7::bigint ELSE station_id END,
           maintenance_agency_id = CASE WHEN $8 THEN $9::bigint ELSE maintenance_agency_id END,
           updated_at = now()
         WHERE id = $1`,
  values: [
    id,
    set.displayName ?? null,
    set.role ?? null,
    set.disabled ?? null,
    set.passwordHash ?? null,
    set.stationId !== undefined,
    set.stationId ?? null,
    set.maintenanceAgencyId !== undefined,
    set.maintenanceAgencyId ?? null,
  ],
});

export const replaceRegions = (userId: number, adcodes: number[]): Query[] => [
  { text: 'DELETE FROM user_regions WHERE user_id = $1', values: [userId] },
  {
    text: 'INSERT INTO user_regions (user_id, adcode) SELECT $1, unnest($2::int[]) ON CONFLICT DO NOTHING',
    values: [userId, adcodes],
  },
];

export const replaceUnits = (userId: number, unitIds: number[]): Query[] => [
  { text: 'DELETE FROM user_units WHERE user_id = $1', values: [userId] },
  {
    text: 'INSERT INTO user_units (user_id, unit_id) SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING',
    values: [userId, unitIds],
  },
];

export const missingRegions = (adcodes: number[]): Query => ({
  text: 'SELECT a FROM unnest($1::int[]) a WHERE NOT EXISTS (SELECT 1 FROM regions r WHERE r.adcode = a) ORDER BY a',
  values: [adcodes],
});

export const missingUnits = (unitIds: number[]): Query => ({
  text: 'SELECT a FROM unnest($1::bigint[]) a WHERE NOT EXISTS (SELECT 1 FROM units u WHERE u.id = a) ORDER BY a',
  values: [unitIds],
});

export const deleteUserSessions = (userId: number): Query => ({
  text: 'DELETE FROM sessions WHERE user_id = $1',
  values: [userId],
});

export const countActiveAdmins = (): Query => ({
  text: `SELECT count(*)::int AS n FROM users WHERE role = 'admin' AND NOT disabled`,
  values: [],
});
