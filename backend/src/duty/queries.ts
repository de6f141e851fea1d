// SQL of duty operations. Every function returns {text, values}; values are always $n
// parameters, and the caller's jurisdiction is composed in with scopePredicate (auth/scope.ts).
import type { AlarmKind, AlarmVerdict } from '@firelink/common';
import { scopePredicate, type Scope } from '../auth/scope.ts';
import type { Query } from '../db/pool.ts';

/** Roles that keep duty at a monitoring center (may be rostered, hand over, write the log). */
export const DUTY_STAFF_ROLES = ['admin', 'operator', 'dispatcher', 'supervisor'] as const;

/** `col` (a district adcode column) lies inside post `$n` (district, city or province adcode). */
function insidePost(col: string, n: number): string {
  return `(${col} = $${n}::int OR (${col} / 100) * 100 = $${n}::int OR (${col} / 10000) * 10000 = $${n}::int)`;
}

/** Regions the caller may keep duty for: their own adcodes (all cities and provinces for 'all'). */
export function posts(scope: Scope): Query {
  if (scope.kind === 'all') {
    // Provinces, then cities, then districts: an admin may keep duty for any of them.
    return { text: `SELECT adcode, name, name_en, level FROM regions ORDER BY array_position(ARRAY['province', 'city', 'district'], level), adcode`, values: [] };
  }
  const adcodes = scope.kind === 'regions' ? scope.adcodes : [];
  return { text: `SELECT adcode, name, name_en, level FROM regions WHERE adcode = ANY($1::int[]) ORDER BY adcode`, values: [adcodes] };
}

/** The name people know the caller by (display name), for records read by people. */
export function displayName(userId: number | null): Query {
  return { text: `SELECT display_name FROM users WHERE id = $1`, values: [userId] };
}

export function regionName(adcode: number): Query {
  return { text: `SELECT adcode, name FROM regions WHERE adcode = $1`, values: [adcode] };
}

/**
 * Duty staff inside the caller's jurisdiction who can watch the post: one of their regions
 * lies in the caller's scope, and one of their regions covers the post (admins see all).
 * `userId` narrows to one user (lookups by id: a user outside → no row → 404).
 */
export function dutyUsers(scope: Scope, post: number, userId?: number): Query {
  const values: unknown[] = [post, [...DUTY_STAFF_ROLES]];
  const inScope =
    scope.kind === 'all'
      ? 'TRUE'
      : `EXISTS (SELECT 1 FROM user_regions ur WHERE ur.user_id = u.id AND ${scopePredicate(scope, { region: 'ur.adcode' }, values)})`;
  let one = '';
  if (userId !== undefined) {
    values.push(userId);
    one = `AND u.id = $${values.length}`;
  }
  return {
    text: `SELECT u.id, u.username, u.display_name, u.role FROM users u
            WHERE NOT u.disabled AND u.role = ANY($2::text[]) ${one}
              AND ${inScope}
              AND (u.role = 'admin' OR EXISTS (
                    SELECT 1 FROM user_regions uc WHERE uc.user_id = u.id
                       AND ($1::int = uc.adcode OR ($1::int / 100) * 100 = uc.adcode OR ($1::int / 10000) * 10000 = uc.adcode)))
            ORDER BY u.display_name, u.id`,
    values,
  };
}

// ---------------------------------------------------------------------------------------
// Roster

const SHIFT_COLUMNS = `s.id, s.region_adcode, r.name AS region_name, s.user_id, u.display_name AS user_name, s.duty_role,
  s.starts_at, s.ends_at, s.note, s.phone`;
const SHIFT_FROM = `FROM duty_shifts s JOIN users u ON u.id = s.user_id LEFT JOIN regions r ON r.adcode = s.region_adcode`;

export function listShifts(scope: Scope, f: { region?: number; from: string; to: string }): Query {
  const values: unknown[] = [f.from, f.to];
  const where = [`s.ends_at > $1::timestamptz`, `s.starts_at < $2::timestamptz`, scopePredicate(scope, { region: 's.region_adcode' }, values)];
  if (f.region !== undefined) {
    values.push(f.region);
    where.push(`s.region_adcode = $${values.length}`);
  }
  return { text: `SELECT ${SHIFT_COLUMNS} ${SHIFT_FROM} WHERE ${where.join(' AND ')} ORDER BY s.starts_at, s.region_adcode, s.id LIMIT 2000`, values };
}

export function shiftById(scope: Scope, id: number): Query {
  const values: unknown[] = [id];
  return { text: `SELECT ${SHIFT_COLUMNS} ${SHIFT_FROM} WHERE s.id = $1 AND ${scopePredicate(scope, { region: 's.region_adcode' }, values)}`, values };
}

/** Another shift of the same user overlapping [startsAt, endsAt) (a person is on one post at a time). */
export function overlappingShift(userId: number, startsAt: string, endsAt: string): Query {
  return {
    text: `SELECT id, region_adcode, starts_at, ends_at FROM duty_shifts
            WHERE user_id = $1 AND starts_at < $3::timestamptz AND ends_at > $2::timestamptz LIMIT 1`,
    values: [userId, startsAt, endsAt],
  };
}

export function insertShift(s: { regionAdcode: number; userId: number; dutyRole: string; startsAt: string; endsAt: string; note: string; phone?: string | undefined; createdBy: number | null }): Query {
  return {
    text: `INSERT INTO duty_shifts (region_adcode, user_id, duty_role, starts_at, ends_at, note, phone, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
    values: [s.regionAdcode, s.userId, s.dutyRole, s.startsAt, s.endsAt, s.note, s.phone ?? null, s.createdBy],
  };
}

export function deleteShift(id: number): Query {
  return { text: `DELETE FROM duty_shifts WHERE id = $1 RETURNING id`, values: [id] };
}

/** The caller's roster entry covering `at` for the post, if any. */
export function currentShiftOf(userId: number, post: number, at: string): Query {
  return {
    text: `SELECT id, starts_at, ends_at FROM duty_shifts
            WHERE user_id = $1 AND region_adcode = $2 AND starts_at <= $3::timestamptz AND ends_at > $3::timestamptz
            ORDER BY starts_at DESC LIMIT 1`,
    values: [userId, post, at],
  };
}

// ---------------------------------------------------------------------------------------
// Handover

/** Alarm restriction to the post and the caller's scope, on `alarms a`. */
function alarmsOfPost(scope: Scope, post: number, values: unknown[]): string {
  values.push(post);
  const n = values.length;
  return `${insidePost('a.region_adcode', n)} AND ${scopePredicate(scope, { region: 'a.region_adcode', unit: 'a.unit_id' }, values)}`;
}

/** Open (not closed) alarms of the post, most urgent first; `olderThanH` keeps those opened before now − h. */
export function openAlarmsOfPost(scope: Scope, post: number, at: string, olderThanH: number | null): Query {
  const values: unknown[] = [at];
  const where = [`a.state <> 'closed'`, `a.opened_at <= $1::timestamptz`, alarmsOfPost(scope, post, values)];
  if (olderThanH !== null) {
    values.push(olderThanH);
    where.push(`a.opened_at <= $1::timestamptz - make_interval(hours => $${values.length})`);
  }
  return {
    text: `SELECT a.id, a.kind, a.state, u.name AS unit_name, a.opened_at FROM alarms a LEFT JOIN units u ON u.id = a.unit_id
            WHERE ${where.join(' AND ')} ORDER BY a.priority, a.opened_at, a.id LIMIT 500`,
    values,
  };
}

/** Counts of a shift window for the handover summary. */
export function shiftCounts(scope: Scope, post: number, from: string, to: string): Query {
  const values: unknown[] = [from, to];
  const where = alarmsOfPost(scope, post, values);
  return {
    text: `SELECT
             (SELECT coalesce(jsonb_object_agg(kind, n), '{}'::jsonb) FROM (
                SELECT a.kind, count(*)::int AS n FROM alarms a
                 WHERE a.opened_at >= $1::timestamptz AND a.opened_at < $2::timestamptz AND ${where} GROUP BY a.kind) k) AS by_kind,
             (SELECT coalesce(jsonb_object_agg(verdict, n), '{}'::jsonb) FROM (
                SELECT a.verdict, count(*)::int AS n FROM alarms a
                 WHERE a.verdict IS NOT NULL AND a.verified_at >= $1::timestamptz AND a.verified_at < $2::timestamptz AND ${where}
                 GROUP BY a.verdict) v) AS verdicts,
             (SELECT count(*)::int FROM alarms a WHERE a.opened_at >= $1::timestamptz AND a.opened_at < $2::timestamptz AND ${where}) AS opened,
             (SELECT count(*)::int FROM alarms a WHERE a.closed_at >= $1::timestamptz AND a.closed_at < $2::timestamptz AND ${where}) AS closed,
             (SELECT count(*)::int FROM duty_log l WHERE l.at >= $1::timestamptz AND l.at < $2::timestamptz
                 AND l.region_adcode = $3::int AND l.entry_kind = 'note') AS log_entries,
             (SELECT count(*) FILTER (WHERE ok)::int FROM duty_comm_tests t WHERE t.started_at >= $1::timestamptz AND t.started_at < $2::timestamptz) AS comm_ok,
             (SELECT count(*) FILTER (WHERE NOT ok)::int FROM duty_comm_tests t WHERE t.started_at >= $1::timestamptz AND t.started_at < $2::timestamptz) AS comm_failed`,
    values,
  };
}

export function insertHandover(h: {
  regionAdcode: number;
  fromUserId: number | null;
  fromName: string;
  toUserId: number | null;
  shiftStart: string;
  shiftEnd: string;
  notes: string;
  openAlarms: unknown;
  pendingAlarms: unknown;
  pendingAfterH: number;
  summary: unknown;
}): Query {
  return {
    text: `INSERT INTO duty_handovers (region_adcode, from_user_id, from_name, to_user_id, shift_start, shift_end, notes,
                                       open_alarms, pending_alarms, pending_after_h, summary)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
           ON CONFLICT (region_adcode) WHERE accepted_at IS NULL DO NOTHING
           RETURNING id`,
    values: [
      h.regionAdcode,
      h.fromUserId,
      h.fromName,
      h.toUserId,
      h.shiftStart,
      h.shiftEnd,
      h.notes,
      JSON.stringify(h.openAlarms),
      JSON.stringify(h.pendingAlarms),
      h.pendingAfterH,
      JSON.stringify(h.summary),
    ],
  };
}

const HANDOVER_COLUMNS = `h.id, h.region_adcode, r.name AS region_name, h.from_user_id, h.from_name, h.to_user_id,
  tu.display_name AS to_name, h.shift_start, h.shift_end, h.notes, h.open_alarms, h.pending_alarms, h.pending_after_h,
  h.summary, h.created_at, h.accepted_at, h.accepted_by, h.accepted_name, h.accept_note`;
const HANDOVER_FROM = `FROM duty_handovers h LEFT JOIN regions r ON r.adcode = h.region_adcode LEFT JOIN users tu ON tu.id = h.to_user_id`;

export function handoverById(scope: Scope, id: number, opts: { forUpdate?: boolean } = {}): Query {
  const values: unknown[] = [id];
  return {
    text: `SELECT ${HANDOVER_COLUMNS} ${HANDOVER_FROM} WHERE h.id = $1 AND ${scopePredicate(scope, { region: 'h.region_adcode' }, values)}${opts.forUpdate ? ' FOR UPDATE OF h' : ''}`,
    values,
  };
}

export function pendingHandoverOf(post: number): Query {
  return { text: `SELECT id, from_name, created_at FROM duty_handovers WHERE region_adcode = $1 AND accepted_at IS NULL`, values: [post] };
}

export function listHandovers(scope: Scope, f: { region?: number; pending?: boolean; limit: number }): Query {
  const values: unknown[] = [];
  const where = [scopePredicate(scope, { region: 'h.region_adcode' }, values)];
  if (f.region !== undefined) {
    values.push(f.region);
    where.push(`h.region_adcode = $${values.length}`);
  }
  if (f.pending) where.push('h.accepted_at IS NULL');
  values.push(f.limit);
  return { text: `SELECT ${HANDOVER_COLUMNS} ${HANDOVER_FROM} WHERE ${where.join(' AND ')} ORDER BY h.created_at DESC, h.id DESC LIMIT $${values.length}`, values };
}

export function acceptHandover(id: number, by: { userId: number | null; username: string }, note: string): Query {
  return {
    text: `UPDATE duty_handovers SET accepted_at = now(), accepted_by = $2, accepted_name = $3, accept_note = $4
            WHERE id = $1 AND accepted_at IS NULL RETURNING accepted_at`,
    values: [id, by.userId, by.username, note],
  };
}

// ---------------------------------------------------------------------------------------
// Duty log

export function insertLog(e: {
  regionAdcode: number | null;
  kind: string;
  actorId: number | null;
  actorName: string;
  text: string;
  refEntity?: string | null;
  refId?: string | number | null;
}): Query {
  return {
    text: `INSERT INTO duty_log (region_adcode, entry_kind, actor_id, actor_name, text, ref_entity, ref_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id, at`,
    values: [e.regionAdcode, e.kind, e.actorId, e.actorName, e.text, e.refEntity ?? null, e.refId == null ? null : String(e.refId)],
  };
}

/** Log entries of posts in scope, plus center-wide entries (region null: the 119 test). */
export function listLog(scope: Scope, f: { region?: number; from?: string; to?: string; kinds?: string[]; limit: number }): Query {
  const values: unknown[] = [];
  const where = [`(l.region_adcode IS NULL OR ${scopePredicate(scope, { region: 'l.region_adcode' }, values)})`];
  if (f.region !== undefined) {
    values.push(f.region);
    where.push(`(l.region_adcode IS NULL OR l.region_adcode = $${values.length})`);
  }
  if (f.from) {
    values.push(f.from);
    where.push(`l.at >= $${values.length}::timestamptz`);
  }
  if (f.to) {
    values.push(f.to);
    where.push(`l.at < $${values.length}::timestamptz`);
  }
  if (f.kinds?.length) {
    values.push(f.kinds);
    where.push(`l.entry_kind = ANY($${values.length}::text[])`);
  }
  values.push(f.limit);
  return {
    text: `SELECT l.id, l.region_adcode, l.at, l.entry_kind, l.actor_name, l.text, l.ref_entity, l.ref_id FROM duty_log l
            WHERE ${where.join(' AND ')} ORDER BY l.at DESC, l.id DESC LIMIT $${values.length}`,
    values,
  };
}

// ---------------------------------------------------------------------------------------
// Alarm handling register (接处警登记表): alarms with their steps and the people who took them

export interface RegisterFilter {
  unit?: string;
  unitId?: number;
  kinds?: AlarmKind[];
  verdicts?: Array<AlarmVerdict | 'none'>;
  cause?: string;
  region?: number;
  operator?: string;
  from: string;
  to: string;
}

const likeEscape = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

function registerWhere(scope: Scope, f: RegisterFilter, values: unknown[]): string {
  values.push(f.from, f.to);
  const where = [
    `a.opened_at >= $${values.length - 1}::timestamptz`,
    `a.opened_at < $${values.length}::timestamptz`,
    scopePredicate(scope, { region: 'a.region_adcode', unit: 'a.unit_id' }, values),
  ];
  if (f.unitId !== undefined) {
    values.push(f.unitId);
    where.push(`a.unit_id = $${values.length}`);
  }
  if (f.unit) {
    values.push(likeEscape(f.unit));
    where.push(`u.name ILIKE $${values.length}`);
  }
  if (f.kinds?.length) {
    values.push(f.kinds);
    where.push(`a.kind = ANY($${values.length}::text[])`);
  }
  if (f.verdicts?.length) {
    const named = f.verdicts.filter((v) => v !== 'none');
    values.push(named);
    where.push(`(a.verdict = ANY($${values.length}::text[])${f.verdicts.includes('none') ? ' OR a.verdict IS NULL' : ''})`);
  }
  if (f.cause) {
    values.push(f.cause);
    where.push(`a.cause = $${values.length}`);
  }
  if (f.region !== undefined) {
    where.push(scopePredicate({ kind: 'regions', adcodes: [f.region] }, { region: 'a.region_adcode' }, values));
  }
  if (f.operator) {
    values.push(likeEscape(f.operator));
    where.push(`EXISTS (SELECT 1 FROM alarm_steps os LEFT JOIN users ou ON ou.id = os.actor_id
                         WHERE os.alarm_id = a.id AND (os.actor_name ILIKE $${values.length} OR ou.display_name ILIKE $${values.length}))`);
  }
  return where.join(' AND ');
}

export function registerRows(scope: Scope, f: RegisterFilter, page: { limit: number; offset: number }): Query {
  const values: unknown[] = [];
  const where = registerWhere(scope, f, values);
  values.push(page.limit, page.offset);
  const userName = (col: string) => `(SELECT coalesce(x.display_name, x.username) FROM users x WHERE x.id = ${col})`;
  return {
    text: `SELECT a.id, a.kind, a.state, a.verdict, a.cause, a.unit_id, u.name AS unit_name, u.address AS unit_address,
                  a.region_adcode, r.name AS region_name, p.label AS point_label,
                  a.opened_at, a.acknowledged_at, ${userName('a.acknowledged_by')} AS acknowledged_by,
                  a.verified_at, ${userName('a.verified_by')} AS verified_by,
                  (SELECT min(fs.at) FROM alarm_steps fs WHERE fs.alarm_id = a.id AND fs.step = 'forwarded') AS forwarded_at,
                  a.dispatched_at, a.closed_at, ${userName('a.closed_by')} AS closed_by,
                  coalesce((SELECT jsonb_agg(jsonb_build_object('step', s.step, 'at', s.at, 'actorName', coalesce(su.display_name, s.actor_name), 'note', s.note)
                                             ORDER BY s.at, s.id)
                              FROM alarm_steps s LEFT JOIN users su ON su.id = s.actor_id WHERE s.alarm_id = a.id), '[]'::jsonb) AS steps,
                  count(*) OVER () AS total
             FROM alarms a LEFT JOIN units u ON u.id = a.unit_id LEFT JOIN points p ON p.id = a.point_id
                  LEFT JOIN regions r ON r.adcode = a.region_adcode
            WHERE ${where}
            ORDER BY a.opened_at DESC, a.id DESC LIMIT $${values.length - 1} OFFSET $${values.length}`,
    values,
  };
}

// ---------------------------------------------------------------------------------------
// 119 communication test

export function claimScheduledTest(day: string): Query {
  return {
    text: `INSERT INTO duty_comm_tests (trigger, scheduled_day, actor_name) VALUES ('scheduled', $1::date, 'system')
           ON CONFLICT (scheduled_day) WHERE scheduled_day IS NOT NULL DO NOTHING RETURNING id, started_at`,
    values: [day],
  };
}

export function insertManualTest(actor: { userId: number | null; username: string }): Query {
  return {
    text: `INSERT INTO duty_comm_tests (trigger, actor_id, actor_name) VALUES ('manual', $1, $2) RETURNING id, started_at`,
    values: [actor.userId, actor.username],
  };
}

export function finishTest(r: { id: number; ok: boolean; httpStatus: number | null; error: string | null; durationMs: number }): Query {
  return {
    text: `UPDATE duty_comm_tests SET finished_at = now(), ok = $2, http_status = $3, error = $4, duration_ms = $5 WHERE id = $1`,
    values: [r.id, r.ok, r.httpStatus, r.error, r.durationMs],
  };
}

/** The latest finished test before `id` (to tell a first failure and a recovery from a repeat). */
export function previousFinishedTest(id: number): Query {
  return { text: `SELECT id, ok, finished_at FROM duty_comm_tests WHERE id < $1 AND ok IS NOT NULL ORDER BY id DESC LIMIT 1`, values: [id] };
}

export function recentTests(limit: number): Query {
  return {
    text: `SELECT id, trigger, actor_name, started_at, finished_at, ok, http_status, error, duration_ms
             FROM duty_comm_tests ORDER BY id DESC LIMIT $1`,
    values: [limit],
  };
}

/** Start of the current failure streak: the first failed test after the last success. */
export function failingSince(): Query {
  return {
    text: `SELECT min(started_at) AS since FROM duty_comm_tests
            WHERE ok = false AND id > coalesce((SELECT max(id) FROM duty_comm_tests WHERE ok = true), 0)`,
    values: [],
  };
}

/**
 * The duty-desk notice of a failed test or a recovery (outbox channel 'duty_alert'). The
 * center has one 119 endpoint: recipient 'duty_chief' = every duty chief rostered when it is
 * sent (the sender resolves their phones).
 */
export function enqueueDutyAlert(testId: number, payload: unknown): Query {
  return {
    text: `INSERT INTO outbox (channel, recipient, payload, ref_entity, ref_id) VALUES ('duty_alert', 'duty_chief', $1, 'comm_test', $2) RETURNING id`,
    values: [JSON.stringify(payload), String(testId)],
  };
}

// ── Presence watch, duty alerts (channel duty_alert), requested duty checks, clock drift,
//    overdue deadlines ──

export const DUTY_ALERT_CHANNEL = 'duty_alert';

/** Posts someone is rostered for at `at`. */
export function staffedPosts(at: string): Query {
  return {
    text: `SELECT DISTINCT s.region_adcode, r.name FROM duty_shifts s JOIN regions r ON r.adcode = s.region_adcode
            WHERE s.starts_at <= $1::timestamptz AND s.ends_at > $1::timestamptz ORDER BY 1`,
    values: [at],
  };
}

export function openUnattended(): Query {
  return { text: `SELECT id, region_adcode, screen, absent_since, raised_at FROM duty_unattended WHERE cleared_at IS NULL ORDER BY id`, values: [] };
}

/** Opens an unattended record; nothing when one is already open (another node raised it). */
export function insertUnattended(post: number, screen: string, absentSince: string, at: string): Query {
  return {
    text: `INSERT INTO duty_unattended (region_adcode, screen, absent_since, raised_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (region_adcode, screen) WHERE cleared_at IS NULL DO NOTHING RETURNING id`,
    values: [post, screen, absentSince, at],
  };
}

export function clearUnattended(post: number, screen: string, at: string): Query {
  return {
    text: `UPDATE duty_unattended SET cleared_at = $3 WHERE region_adcode = $1 AND screen = $2 AND cleared_at IS NULL RETURNING id, raised_at`,
    values: [post, screen, at],
  };
}

export function setNotified(id: number, n: number): Query {
  return { text: `UPDATE duty_unattended SET notified = notified + $2 WHERE id = $1`, values: [id, n] };
}

/** Unattended records of the caller's posts, newest first. */
export function listUnattended(scope: Scope, limit: number): Query {
  const values: unknown[] = [];
  const pred = scopePredicate(scope, { region: 'u.region_adcode' }, values);
  values.push(limit);
  return {
    text: `SELECT u.id, u.region_adcode, r.name AS region_name, u.screen, u.absent_since, u.raised_at, u.cleared_at, u.notified
             FROM duty_unattended u JOIN regions r ON r.adcode = u.region_adcode
            WHERE ${pred} ORDER BY (u.cleared_at IS NULL) DESC, u.raised_at DESC LIMIT $${values.length}`,
    values,
  };
}

/** Duty chiefs rostered for the post at `at`, with the phone of their shift. */
export function chiefsOnDuty(post: number, at: string): Query {
  return {
    text: `SELECT DISTINCT ON (s.user_id) s.user_id, u.display_name, s.phone FROM duty_shifts s JOIN users u ON u.id = s.user_id
            WHERE s.region_adcode = $1 AND s.duty_role = 'chief' AND s.starts_at <= $2::timestamptz AND s.ends_at > $2::timestamptz AND NOT u.disabled
            ORDER BY s.user_id, s.starts_at DESC`,
    values: [post, at],
  };
}

/** A duty alert for one person: recipient is the phone (null = none known; the sender fails it with the reason). */
export function enqueueChiefAlert(a: { phone: string | null; userId: number | null; text: string; kind: string; regionAdcode: number | null; refEntity: string; refId: string | number }): Query {
  return {
    text: `INSERT INTO outbox (channel, recipient, payload, ref_entity, ref_id) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
    values: [DUTY_ALERT_CHANNEL, a.phone, JSON.stringify({ text: a.text, kind: a.kind, userId: a.userId, regionAdcode: a.regionAdcode }), a.refEntity, String(a.refId)],
  };
}

/** Phones of the duty chiefs rostered at `at` (any post): where a center-wide alert ('duty_chief') goes. */
export function chiefPhonesOnDuty(at: string): Query {
  return {
    text: `SELECT DISTINCT s.phone FROM duty_shifts s JOIN users u ON u.id = s.user_id
            WHERE s.duty_role = 'chief' AND s.starts_at <= $1::timestamptz AND s.ends_at > $1::timestamptz AND NOT u.disabled
              AND coalesce(s.phone, '') <> '' ORDER BY 1`,
    values: [at],
  };
}


export function insertDutyCheckRequest(unitId: number, userId: number | null, name: string): Query {
  return {
    text: `INSERT INTO duty_check_requests (unit_id, requested_by, requested_name) VALUES ($1, $2, $3) RETURNING id`,
    values: [unitId, userId, name],
  };
}

/**
 * Serialises duty-check requests of one unit and of one user (transaction-scoped advisory
 * locks, user first, then unit: one order everywhere), so the throttle's reads below see every
 * request committed before this one.
 */
export function lockDutyCheckRequests(unitId: number, userId: number | null): Query {
  return {
    text: `SELECT pg_advisory_xact_lock(hashtextextended('duty_check_user:' || COALESCE($2::bigint, 0), 0)),
                  pg_advisory_xact_lock(hashtextextended('duty_check_unit:' || $1::bigint, 0))`,
    values: [unitId, userId],
  };
}

/**
 * The unit's duty check still pending at `at`: requested and not yet sent, or sent and neither
 * answered nor missed within its timeout. At most one per unit (POST /duty-checks refuses a
 * second one with 429).
 */
export function pendingDutyCheckOfUnit(unitId: number, at: string): Query {
  return {
    text: `SELECT r.id, r.requested_at, c.sent_at, c.timeout_s
             FROM duty_check_requests r LEFT JOIN duty_checks c ON c.id = r.duty_check_id
            WHERE r.unit_id = $1
              AND (r.processed_at IS NULL
                   OR (r.outcome = 'sent' AND c.id IS NOT NULL AND c.answered_at IS NULL AND c.missed_at IS NULL
                       AND c.sent_at + make_interval(secs => c.timeout_s) > $2::timestamptz))
            ORDER BY r.id DESC LIMIT 1`,
    values: [unitId, at],
  };
}

/** A user's duty-check requests since `since`, and the oldest of them (when the window frees a slot). */
export function dutyChecksOfUserSince(userId: number, since: string): Query {
  return {
    text: `SELECT count(*)::int AS n, min(requested_at) AS oldest FROM duty_check_requests WHERE requested_by = $1 AND requested_at > $2::timestamptz`,
    values: [userId, since],
  };
}

/** A requested duty check with its result (sent, answered with the answer time, or missed). */
export function dutyCheckRequest(scope: Scope, id: number): Query {
  const values: unknown[] = [id];
  const pred = scopePredicate(scope, { region: 'u.region_adcode', unit: 'u.id' }, values);
  return {
    text: `SELECT r.id, r.unit_id, u.name AS unit_name, r.requested_name, r.requested_at, r.processed_at, r.outcome,
                  c.sent_at, c.timeout_s, c.answered_at, c.response_s, c.missed_at
             FROM duty_check_requests r JOIN units u ON u.id = r.unit_id LEFT JOIN duty_checks c ON c.id = r.duty_check_id
            WHERE r.id = $1 AND ${pred}`,
    values,
  };
}

/**
 * Devices whose latest clock check is off by more than `thresholdMs` (GB 50440: ≤ 5 s), in
 * the caller's jurisdiction, worst first.
 */
export function clockDrift(scope: Scope, thresholdMs: number, limit: number): Query {
  const values: unknown[] = [thresholdMs];
  const pred = scopePredicate(scope, { region: 'u.region_adcode', unit: 'u.id' }, values);
  values.push(limit);
  return {
    text: `SELECT d.id AS device_id, d.address, u.id AS unit_id, u.name AS unit_name, c.checked_at, c.device_time, c.frame_received_at, c.drift_ms
             FROM devices d JOIN units u ON u.id = d.unit_id
             CROSS JOIN LATERAL (SELECT * FROM device_clock_checks WHERE device_id = d.id ORDER BY checked_at DESC LIMIT 1) c
            WHERE abs(c.drift_ms) > $1 AND ${pred}
            ORDER BY abs(c.drift_ms) DESC LIMIT $${values.length}`,
    values,
  };
}

/**
 * Disabled (屏蔽) points per unit as a risk indicator: targets disabled now, since when the
 * longest one, and the disabled point-hours of the last `days` days — the facts of
 * disabled_unit_facts (migration 1300), as the unit view, analytics and the inspection score
 * read them. Units of the caller's jurisdiction (and region, when given) with any of them.
 */
export function disabledByUnit(scope: Scope, f: { region?: number | undefined; unitId?: number | undefined; days: number; at: string; limit: number }): Query {
  const values: unknown[] = [f.at, f.days];
  const where = [scopePredicate(scope, { region: 'u.region_adcode', unit: 'u.id' }, values)];
  if (f.region !== undefined) where.push(scopePredicate({ kind: 'regions', adcodes: [f.region] }, { region: 'u.region_adcode' }, values));
  if (f.unitId !== undefined) {
    values.push(f.unitId);
    where.push(`u.id = $${values.length}`);
  }
  values.push(f.limit);
  return {
    text: `SELECT u.id AS unit_id, u.name AS unit_name, u.region_adcode, d.disabled_now, d.systems_disabled_now, d.oldest_since,
                  d.hours_in_window, d.spells_in_window
             FROM disabled_unit_facts($1::timestamptz - make_interval(days => $2), $1::timestamptz) d JOIN units u ON u.id = d.unit_id
            WHERE ${where.join(' AND ')}
            ORDER BY d.disabled_now DESC, d.oldest_since NULLS LAST, d.hours_in_window DESC
            LIMIT $${values.length}`,
    values,
  };
}

/**
 * Claims the overdue procedure deadlines not reminded yet (one reminder per alarm and
 * deadline): open host-offline, off-duty and fault alarms past deadline_at.
 */
export function claimOverdueDeadlines(at: string, limit: number): Query {
  return {
    text: `WITH due AS (
             SELECT a.id, a.deadline_at FROM alarms a
              WHERE a.deadline_at < $1::timestamptz AND a.state <> 'closed' AND a.kind IN ('host_offline', 'off_duty', 'fault') AND a.unit_id IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM alarm_deadline_reminders r WHERE r.alarm_id = a.id AND r.deadline_at = a.deadline_at)
              ORDER BY a.deadline_at LIMIT $2),
           ins AS (INSERT INTO alarm_deadline_reminders (alarm_id, deadline_at, reminded_at) SELECT id, deadline_at, $1 FROM due
                   ON CONFLICT DO NOTHING RETURNING alarm_id)
           SELECT a.id, a.kind, a.unit_id, a.opened_at, a.deadline_at, a.cause, u.name AS unit_name, u.region_adcode, u.contacts,
                  ma.phone AS agency_phone, e.kind AS first_kind
             FROM ins JOIN alarms a ON a.id = ins.alarm_id JOIN units u ON u.id = a.unit_id
             LEFT JOIN maintenance_agencies ma ON ma.id = u.maintenance_agency_id
             LEFT JOIN events e ON e.id = a.first_event_id
            ORDER BY a.id`,
    values: [at, limit],
  };
}

/** An SMS reminder to the unit or its maintenance agency (outbox channel 'sms', sent by the SMS worker). */
export function enqueueSmsReminder(phone: string, unitId: number, text: string, alarmId: number): Query {
  return {
    text: `INSERT INTO outbox (channel, recipient, payload, ref_entity, ref_id) VALUES ('sms', $1, $2, 'unit', $3) RETURNING id`,
    values: [phone, JSON.stringify({ text, kind: 'deadline_overdue', alarmId }), String(unitId)],
  };
}

export function setReminderResult(alarmId: number, deadlineAt: string, messages: number, taskId: number | null): Query {
  return { text: `UPDATE alarm_deadline_reminders SET messages = $3, task_id = $4 WHERE alarm_id = $1 AND deadline_at = $2`, values: [alarmId, deadlineAt, messages, taskId] };
}

/** Duty chiefs rostered at `at` for a post that covers the region (the district, its city or province). */
export function chiefsCovering(region: number, at: string): Query {
  return {
    text: `SELECT DISTINCT ON (s.user_id) s.user_id, s.phone, s.region_adcode FROM duty_shifts s JOIN users u ON u.id = s.user_id
            WHERE s.region_adcode IN ($1, ($1 / 100) * 100, ($1 / 10000) * 10000) AND s.duty_role = 'chief'
              AND s.starts_at <= $2::timestamptz AND s.ends_at > $2::timestamptz AND NOT u.disabled
            ORDER BY s.user_id, s.starts_at DESC`,
    values: [region, at],
  };
}
