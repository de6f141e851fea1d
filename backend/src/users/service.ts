// Users and jurisdictions: create and change accounts inside one transaction with their
// audit entry. Used by the admin routes and by the demo-user bootstrap.
import type pg from 'pg';
import { withTransaction, type Role, type UserDto } from '@firelink/common';
import { recordAudit, type AuditEntry } from '../audit/audit.ts';
import { hashPassword } from '../auth/passwords.ts';
import { badRequest, conflict, explainDatabaseError, notFound } from '../kernel/errors.ts';
import * as q from './queries.ts';

/** A user's references that the database checks: the station and the maintenance agency. */
const REFERENCES_MISSING = 'stationId or maintenanceAgencyId does not exist';

/** Roles whose jurisdiction is a set of units; every other role but admin has regions. */
export const UNIT_BOUND_ROLES: readonly Role[] = ['unit_user', 'maintainer'];

interface UserRow {
  id: string;
  username: string;
  display_name: string;
  role: Role;
  disabled: boolean;
  demo: boolean;
  station_id: string | null;
  maintenance_agency_id: string | null;
  created_at: Date;
  last_login_at: Date | null;
  regions: number[];
  units: string[];
}

export function toUserDto(r: UserRow): UserDto {
  return {
    id: Number(r.id),
    username: r.username,
    displayName: r.display_name,
    role: r.role,
    disabled: r.disabled,
    demo: r.demo,
    regions: r.regions.map(Number),
    units: r.units.map(Number),
    stationId: r.station_id == null ? null : Number(r.station_id),
    maintenanceAgencyId: r.maintenance_agency_id == null ? null : Number(r.maintenance_agency_id),
    createdAt: r.created_at.toISOString(),
    lastLoginAt: r.last_login_at ? r.last_login_at.toISOString() : null,
  };
}

export async function getUser(db: pg.ClientBase | pg.Pool, id: number, forUpdate = false): Promise<UserDto | null> {
  const r = await db.query(q.userById(id, forUpdate));
  return r.rows[0] ? toUserDto(r.rows[0]) : null;
}

/** The jurisdiction must fit the role: regions for region roles, units for unit roles, none for admin. */
function checkJurisdiction(role: Role, regions: number[], units: number[]) {
  if (role === 'admin') {
    if (regions.length || units.length) throw badRequest('admins see every region: send no regions and no units for role admin');
  } else if (UNIT_BOUND_ROLES.includes(role)) {
    if (regions.length) throw badRequest(`role ${role} is bound to units: send units (unit ids), not regions`);
  } else if (units.length) {
    throw badRequest(`role ${role} has a jurisdiction of regions: send regions (adcodes), not units`);
  }
}

async function checkReferences(db: pg.ClientBase, regions: number[], units: number[]) {
  if (regions.length) {
    const m = await db.query(q.missingRegions(regions));
    if (m.rows.length) throw badRequest(`unknown region adcodes: ${m.rows.map((r) => r.a).join(', ')}; import regions first or fix the codes`);
  }
  if (units.length) {
    const m = await db.query(q.missingUnits(units));
    if (m.rows.length) throw badRequest(`unknown unit ids: ${m.rows.map((r) => r.a).join(', ')}`);
  }
}

export interface CreateUserInput {
  username: string;
  displayName: string;
  role: Role;
  password: string;
  regions: number[];
  units: number[];
  stationId?: number | null;
  maintenanceAgencyId?: number | null;
  demo?: boolean;
}

export async function createUser(pool: pg.Pool, input: CreateUserInput, source: Pick<AuditEntry, 'actor' | 'ip'>): Promise<UserDto> {
  checkJurisdiction(input.role, input.regions, input.units);
  const passwordHash = await hashPassword(input.password);
  return withTransaction(pool, async (c) => {
    await checkReferences(c, input.regions, input.units);
    let id: number;
    try {
      const r = await c.query(
        q.insertUser({
          username: input.username,
          displayName: input.displayName,
          role: input.role,
          passwordHash,
          stationId: input.stationId ?? null,
          maintenanceAgencyId: input.maintenanceAgencyId ?? null,
          demo: input.demo ?? false,
        }),
      );
      id = Number(r.rows[0].id);
    } catch (err) {
      throw explainDatabaseError(err, { unique: `username ${input.username} is taken; choose another`, foreignKey: REFERENCES_MISSING });
    }
    for (const s of q.replaceRegions(id, input.regions)) await c.query(s);
    for (const s of q.replaceUnits(id, input.units)) await c.query(s);
    const after = (await getUser(c, id))!;
    await recordAudit(c, { ...source, action: 'user.create', entity: 'user', entityId: id, after });
    return after;
  });
}

export interface UpdateUserInput {
  displayName?: string;
  role?: Role;
  disabled?: boolean;
  password?: string;
  regions?: number[];
  units?: number[];
  stationId?: number | null;
  maintenanceAgencyId?: number | null;
}

export async function updateUser(
  pool: pg.Pool,
  id: number,
  input: UpdateUserInput,
  source: Pick<AuditEntry, 'actor' | 'ip'>,
): Promise<UserDto> {
  const passwordHash = input.password ? await hashPassword(input.password) : undefined;
  return withTransaction(pool, async (c) => {
    const before = await getUser(c, id, true);
    if (!before) throw notFound(`user ${id} does not exist: list users with GET /api/users`);
    const role = input.role ?? before.role;
    // A role change resets the jurisdiction kind unless the request sends the new one.
    const roleKindChanged = input.role !== undefined && UNIT_BOUND_ROLES.includes(input.role) !== UNIT_BOUND_ROLES.includes(before.role);
    const regions = input.regions ?? (roleKindChanged || role === 'admin' ? [] : before.regions);
    const units = input.units ?? (roleKindChanged || role === 'admin' ? [] : before.units);
    checkJurisdiction(role, regions, units);
    await checkReferences(c, regions, units);
    // Never lock the center out: the last enabled admin stays an enabled admin.
    if (before.role === 'admin' && !before.disabled && (role !== 'admin' || input.disabled === true)) {
      const n = (await c.query(q.countActiveAdmins())).rows[0].n as number;
      if (n <= 1) throw conflict('this is the last enabled admin: create or enable another admin first');
    }
    try {
      await c.query(
        q.updateUser(id, {
          displayName: input.displayName,
          role: input.role,
          disabled: input.disabled,
          passwordHash,
          stationId: input.stationId,
          maintenanceAgencyId: input.maintenanceAgencyId,
        }),
      );
    } catch (err) {
      throw explainDatabaseError(err, { foreignKey: REFERENCES_MISSING });
    }
    for (const s of q.replaceRegions(id, regions)) await c.query(s);
    for (const s of q.replaceUnits(id, units)) await c.query(s);
    // A new password or a disabled account ends every session and token of the user.
    if (passwordHash || input.disabled === true) await c.query(q.deleteUserSessions(id));
    const after = (await getUser(c, id))!;
    await recordAudit(c, {
      ...source,
      action: input.disabled === true && !before.disabled ? 'user.disable' : 'user.update',
      entity: 'user',
      entityId: id,
      before,
      after: passwordHash ? { ...after, passwordChanged: true } : after,
    });
    return after;
  });
}

