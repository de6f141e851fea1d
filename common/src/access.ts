// HTTP contracts of access control: login, session, API tokens, users and jurisdictions,
// audit log queries. Shared by the backend (validation) and the frontend (typed client).
import { z } from 'zod';
import { roleSchema } from './event.ts';

/** Cookie sessions must echo the session's CSRF token in this header on POST/PUT/PATCH/DELETE. */
export const CSRF_HEADER = 'x-csrf-token';
/** Readable (non-HttpOnly) cookie carrying the same CSRF token, for double-submit clients. */
export const CSRF_COOKIE = 'fl_csrf';

const username = z
  .string()
  .min(2, 'at least 2 characters')
  .max(64, 'at most 64 characters')
  .regex(/^[A-Za-z0-9_.@-]+$/, 'letters, digits and _ . @ - only');
const password = z.string().min(1, 'required').max(200, 'at most 200 characters');
const adcode = z.number().int().min(100000).max(999999);
const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

export const loginRequestSchema = z
  .object({
    username: z
      .string()
      .min(1, 'required')
      .max(64, 'at most 64 characters')
      .refine((s) => !/\p{Cc}/u.test(s), 'no control characters'),
    password,
    /** 'cookie' (default, browsers) sets an HttpOnly session cookie; 'bearer' returns a token. */
    session: z.enum(['cookie', 'bearer']).default('cookie'),
    /**
     * 'wall': a read-only cookie session for an unattended wall display, which may keep
     * itself alive with POST /api/auth/refresh (up to SESSION_MAX_DAYS). Other sessions end
     * on time.
     */
    purpose: z.enum(['wall']).optional(),
  })
  .strict()
  .refine((b) => !(b.purpose && b.session === 'bearer'), { message: 'purpose "wall" is for browser (cookie) sessions only', path: ['purpose'] });
export type LoginRequest = z.input<typeof loginRequestSchema>;

export const scopeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('all') }),
  z.object({ kind: z.literal('regions'), adcodes: z.array(z.number().int()) }),
  z.object({ kind: z.literal('units'), unitIds: z.array(z.number().int()) }),
]);

export const meSchema = z.object({
  id: z.number().int().nullable(),
  username: z.string(),
  displayName: z.string(),
  role: roleSchema,
  scope: scopeSchema,
  session: z.enum(['cookie', 'bearer']).nullable(),
  /** Send it as X-CSRF-Token on mutating requests of a cookie session; null for bearer. */
  csrfToken: z.string().nullable(),
  expiresAt: z.string().nullable(),
});
export type Me = z.infer<typeof meSchema>;

export const loginResponseSchema = meSchema.extend({
  /** Only for `session: 'bearer'`: the token, shown once. */
  token: z.string().optional(),
});
export type LoginResponse = z.infer<typeof loginResponseSchema>;

export const tokenCreateSchema = z
  .object({
    label: z.string().trim().min(1, 'required').max(100, 'at most 100 characters'),
    /** Lifetime in hours, up to one year. */
    ttlHours: z.number().positive().max(24 * 366).default(24 * 30),
    /** Admins only: issue the token for another user. */
    userId: id.optional(),
  })
  .strict();

/**
 * Roles that may print a region report as PDF (GET /api/stats/report?format=pdf): printing
 * takes a headless Chromium, so only those who hand reports on get it; everyone with the
 * stats may read the HTML report.
 */
export const REPORT_PDF_ROLES = ['admin', 'analyst', 'supervisor'] as const;

export const newPasswordSchema = z.string().min(10, 'at least 10 characters').max(200, 'at most 200 characters');

/** POST /api/auth/password: change one's own password (ends every other session). */
export const passwordChangeSchema = z
  .object({ currentPassword: password, newPassword: newPasswordSchema })
  .strict()
  .refine((v) => v.currentPassword !== v.newPassword, { message: 'the new password must differ from the current one', path: ['newPassword'] });

export const userCreateSchema = z
  .object({
    username,
    displayName: z.string().trim().min(1, 'required').max(100, 'at most 100 characters'),
    role: roleSchema,
    /** Omit to have a random password generated and returned once. */
    password: newPasswordSchema.optional(),
    regions: z.array(adcode).max(500).default([]),
    units: z.array(id).max(10000).default([]),
    stationId: id.nullable().optional(),
    maintenanceAgencyId: id.nullable().optional(),
  })
  .strict();

export const userUpdateSchema = z
  .object({
    displayName: z.string().trim().min(1).max(100).optional(),
    role: roleSchema.optional(),
    disabled: z.boolean().optional(),
    password: newPasswordSchema.optional(),
    regions: z.array(adcode).max(500).optional(),
    units: z.array(id).max(10000).optional(),
    stationId: id.nullable().optional(),
    maintenanceAgencyId: id.nullable().optional(),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'nothing to change: send at least one field');

export const userDtoSchema = z.object({
  id: z.number().int(),
  username: z.string(),
  displayName: z.string(),
  role: roleSchema,
  disabled: z.boolean(),
  demo: z.boolean(),
  regions: z.array(z.number().int()),
  units: z.array(z.number().int()),
  stationId: z.number().int().nullable(),
  maintenanceAgencyId: z.number().int().nullable(),
  createdAt: z.string(),
  lastLoginAt: z.string().nullable(),
});
export type UserDto = z.infer<typeof userDtoSchema>;

export const auditQuerySchema = z
  .object({
    entity: z.string().max(64).optional(),
    entityId: z.string().max(64).optional(),
    action: z.string().max(64).optional(),
    actorId: z.coerce.number().int().positive().optional(),
    from: z.string().datetime({ offset: true }).optional(),
    to: z.string().datetime({ offset: true }).optional(),
    /** Keyset paging: entries with id below this (newest first). */
    before: z.coerce.number().int().positive().optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

export const auditEntrySchema = z.object({
  id: z.number().int(),
  at: z.string(),
  actorId: z.number().int().nullable(),
  actorName: z.string().nullable(),
  ip: z.string().nullable(),
  action: z.string(),
  entity: z.string(),
  entityId: z.string().nullable(),
  before: z.unknown(),
  after: z.unknown(),
});
export type AuditEntryDto = z.infer<typeof auditEntrySchema>;
