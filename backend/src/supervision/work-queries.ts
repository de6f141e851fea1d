// SQL of supervision's second part: the inspection plan, inspections and photos, cases,
// accountability statistics, the league against stage targets, acceptance evidence and
// records, scheduled reports and the per-unit monthly table. Every read that a request
// reaches is scoped with scopePredicate (auth/scope.ts).
import { scopePredicate, type Scope } from '../auth/scope.ts';
import type { Query } from '../db/pool.ts';
import { PENDING_STATES } from './domain/tasks.ts';

const unitScope = (scope: Scope, values: unknown[]) => scopePredicate(scope, { region: 'u.region_adcode', unit: 'u.id' }, values);

// ---- plan ----

export function planBands(): Query {
  return { text: `SELECT band, upto_pct::float8 AS upto_pct, every_days FROM supervision_plan_bands ORDER BY upto_pct`, values: [] };
}

export function replaceBands(bands: Array<{ band: string; uptoPct: number; everyDays: number }>): Query[] {
  return [
    { text: `DELETE FROM supervision_plan_bands`, values: [] },
    {
      text: `INSERT INTO supervision_plan_bands (band, upto_pct, every_days) SELECT * FROM unnest($1::text[], $2::numeric[], $3::int[])`,
      values: [bands.map((b) => b.band), bands.map((b) => b.uptoPct), bands.map((b) => b.everyDays)],
    },
  ];
}

/**
 * The whole plan in one statement from the analytics ranking (`ranking`: prioritiesQuery,
 * its values first): rank within the district (score descending, unit id for ties, as
 * domain/plan.ts planBands), the band whose range holds 100 × rank / units (the last band
 * takes the rest), next_due = the last inspection plus the band's interval or today, written
 * with one INSERT … ON CONFLICT; a unit whose plan did not change is not rewritten. Returns
 * the units per band. Set-based: the earlier version carried 100,000 ranked rows to Node and
 * back in 20 chunks with a lookup of the last inspection per row.
 */
export function planFromRanking(ranking: Query, today: string, nowIso: string): Query {
  const rankingValues = ranking.values ?? [];
  const n = rankingValues.length;
  return {
    text: `WITH ranked AS (${ranking.text}),
           bands AS (SELECT band, every_days, upto_pct::float8 + 1e-9 AS hi,
                            COALESCE(lag(upto_pct::float8) OVER (ORDER BY upto_pct) + 1e-9, '-infinity') AS lo,
                            upto_pct = max(upto_pct) OVER () AS last
                     FROM supervision_plan_bands),
           pos AS (SELECT unit_id, score, row_number() OVER (PARTITION BY region_adcode ORDER BY score DESC, unit_id)::int AS rk,
                          count(*) OVER (PARTITION BY region_adcode)::int AS total
                   FROM ranked),
           banded AS (SELECT p.unit_id, p.score, p.rk, p.total, b.band, b.every_days
                      FROM pos p JOIN bands b ON (100 * p.rk)::float8 / greatest(1, p.total) > b.lo
                                              AND ((100 * p.rk)::float8 / greatest(1, p.total) <= b.hi OR b.last)),
           last_inspection AS (SELECT unit_id, max(inspected_on) AS inspected_on FROM supervision_inspections GROUP BY unit_id),
           written AS (
             INSERT INTO supervision_inspection_plan (unit_id, band, every_days, score, rank_in_region, region_units, next_due, generated_at)
             SELECT x.unit_id, x.band, x.every_days, x.score, x.rk, x.total, COALESCE(l.inspected_on + x.every_days, $${n + 1}::date), $${n + 2}::timestamptz
             FROM banded x LEFT JOIN last_inspection l ON l.unit_id = x.unit_id
             ON CONFLICT (unit_id) DO UPDATE SET band = EXCLUDED.band, every_days = EXCLUDED.every_days, score = EXCLUDED.score,
               rank_in_region = EXCLUDED.rank_in_region, region_units = EXCLUDED.region_units, next_due = EXCLUDED.next_due,
               generated_at = EXCLUDED.generated_at
             WHERE (supervision_inspection_plan.band, supervision_inspection_plan.every_days, supervision_inspection_plan.score,
                    supervision_inspection_plan.rank_in_region, supervision_inspection_plan.region_units, supervision_inspection_plan.next_due)
               IS DISTINCT FROM (EXCLUDED.band, EXCLUDED.every_days, EXCLUDED.score, EXCLUDED.rank_in_region, EXCLUDED.region_units, EXCLUDED.next_due)
             RETURNING 1)
           SELECT band, count(*)::int AS units, (SELECT count(*) FROM written)::int AS written FROM banded GROUP BY band`,
    values: [...rankingValues, today, nowIso],
  };
}

export function listPlan(scope: Scope, f: { dueBy?: string; band?: string; supervisorId?: number; today: string; limit: number; offset: number }): Query {
  const values: unknown[] = [f.today];
  const where = [unitScope(scope, values)];
  if (f.dueBy) {
    values.push(f.dueBy);
    where.push(`p.next_due <= $${values.length}`);
  }
  if (f.band) {
    values.push(f.band);
    where.push(`p.band = $${values.length}`);
  }
  if (f.supervisorId !== undefined) {
    values.push(f.supervisorId);
    where.push(`sa.supervisor_id = $${values.length}`);
  }
  values.push(f.limit, f.offset);
  return {
    text: `SELECT p.unit_id, u.name AS unit_name, u.region_adcode, r.name AS region_name, p.band, p.every_days, p.score,
             p.rank_in_region, p.region_units, p.next_due::text AS next_due, p.next_due < $1::date AS overdue,
             (SELECT max(i.inspected_on)::text FROM supervision_inspections i WHERE i.unit_id = p.unit_id) AS last_inspected_on,
             s.display_name AS supervisor_name, count(*) OVER () AS total
           FROM supervision_inspection_plan p JOIN units u ON u.id = p.unit_id
           LEFT JOIN regions r ON r.adcode = u.region_adcode
           LEFT JOIN supervision_assignments sa ON sa.unit_id = p.unit_id LEFT JOIN users s ON s.id = sa.supervisor_id
           WHERE ${where.join(' AND ')}
           ORDER BY p.next_due, p.score DESC, p.unit_id
           LIMIT $${values.length - 1} OFFSET $${values.length}`,
    values,
  };
}

/** After an inspection: the unit's next due date moves on by its band's interval. */
export function advancePlan(unitId: number): Query {
  return {
    text: `UPDATE supervision_inspection_plan p SET next_due = (SELECT max(i.inspected_on) FROM supervision_inspections i WHERE i.unit_id = p.unit_id) + p.every_days
           WHERE p.unit_id = $1`,
    values: [unitId],
  };
}

// ---- inspections ----


export function insertInspection(i: {
  unitId: number;
  inspectorId: number | null;
  inspectorName: string;
  inspectedOn: string;
  checklist: string;
  findings: string;
  result: string;
  rectifyBy: string | null;
  rectifyItems: string;
  reinspectionOf: number | null;
  nowIso: string;
}): Query {
  return {
    text: `INSERT INTO supervision_inspections (unit_id, inspector_id, inspector_name, inspected_on, checklist, findings, result, rectify_by, rectify_items,
             reinspection_of, planned, created_at)
           VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, EXISTS (SELECT 1 FROM supervision_inspection_plan WHERE unit_id = $1), $11)
           RETURNING id`,
    values: [i.unitId, i.inspectorId, i.inspectorName, i.inspectedOn, i.checklist, i.findings, i.result, i.rectifyBy, i.rectifyItems, i.reinspectionOf, i.nowIso],
  };
}

/** 责令整改通知书 number: ZG + inspection date + the inspection id. */
export function numberOrder(id: number): Query {
  return {
    text: `UPDATE supervision_inspections SET order_no = 'ZG' || to_char(inspected_on, 'YYYYMMDD') || '-' || lpad(id::text, 6, '0') WHERE id = $1 AND result = 'rectify'`,
    values: [id],
  };
}

export function markRectified(id: number, on: string): Query {
  return { text: `UPDATE supervision_inspections SET rectified_on = $2 WHERE id = $1 AND rectified_on IS NULL`, values: [id, on] };
}

const INSPECTION_COLUMNS = `i.id, i.unit_id, u.name AS unit_name, r.name AS region_name, i.inspector_id, i.inspector_name, i.inspected_on::text AS inspected_on,
  i.checklist, i.findings, i.result, i.order_no, i.rectify_by::text AS rectify_by, i.rectify_items, i.reinspection_of,
  i.rectified_on::text AS rectified_on, i.planned, i.created_at,
  COALESCE((SELECT json_agg(json_build_object('id', ph.id, 'mimeType', ph.mime_type, 'bytes', ph.bytes, 'caption', ph.caption) ORDER BY ph.id)
            FROM supervision_inspection_photos ph WHERE ph.inspection_id = i.id), '[]') AS photos`;

export function inspectionById(scope: Scope, id: number, lock = false): Query {
  const values: unknown[] = [id];
  return {
    text: `SELECT ${INSPECTION_COLUMNS} FROM supervision_inspections i JOIN units u ON u.id = i.unit_id LEFT JOIN regions r ON r.adcode = u.region_adcode
           WHERE i.id = $1 AND ${unitScope(scope, values)}${lock ? ' FOR UPDATE OF i' : ''}`,
    values,
  };
}

export function listInspections(scope: Scope, f: { unitId?: number; openOrders?: boolean; limit: number; offset: number }): Query {
  const values: unknown[] = [];
  const where = [unitScope(scope, values)];
  if (f.unitId !== undefined) {
    values.push(f.unitId);
    where.push(`i.unit_id = $${values.length}`);
  }
  if (f.openOrders) where.push(`i.result = 'rectify' AND i.rectified_on IS NULL`);
  values.push(f.limit, f.offset);
  return {
    text: `SELECT ${INSPECTION_COLUMNS}, count(*) OVER () AS total
           FROM supervision_inspections i JOIN units u ON u.id = i.unit_id LEFT JOIN regions r ON r.adcode = u.region_adcode
           WHERE ${where.join(' AND ')}
           ORDER BY i.inspected_on DESC, i.id DESC
           LIMIT $${values.length - 1} OFFSET $${values.length}`,
    values,
  };
}

export function insertPhoto(p: { inspectionId: number; mime: string; bytes: number; sha256: string; image: Buffer; caption: string; by: number | null }): Query {
  return {
    text: `INSERT INTO supervision_inspection_photos (inspection_id, mime_type, bytes, sha256, image, caption, uploaded_by)
           SELECT $1, $2, $3, $4, $5, $6, $7
           RETURNING id`,
    values: [p.inspectionId, p.mime, p.bytes, p.sha256, p.image, p.caption, p.by],
  };
}

export function photoCount(inspectionId: number): Query {
  return { text: `SELECT count(*)::int AS n FROM supervision_inspection_photos WHERE inspection_id = $1`, values: [inspectionId] };
}

export function photo(inspectionId: number, photoId: number): Query {
  return { text: `SELECT mime_type, image FROM supervision_inspection_photos WHERE id = $2 AND inspection_id = $1`, values: [inspectionId, photoId] };
}

// ---- cases ----

export function taskOfUnit(scope: Scope, taskId: number): Query {
  const values: unknown[] = [taskId];
  return { text: `SELECT t.id, t.unit_id FROM supervision_tasks t JOIN units u ON u.id = t.unit_id WHERE t.id = $1 AND ${unitScope(scope, values)}`, values };
}

export function insertCase(c: { unitId: number; caseNo: string; basis: string; facts: string; openedOn: string; inspectionId: number | null; taskId: number | null; by: number | null }): Query {
  return {
    text: `INSERT INTO supervision_cases (unit_id, case_no, basis, facts, opened_on, inspection_id, task_id, opened_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
    values: [c.unitId, c.caseNo, c.basis, c.facts, c.openedOn, c.inspectionId, c.taskId, c.by],
  };
}

const CASE_COLUMNS = `c.id, c.unit_id, u.name AS unit_name, c.case_no, c.basis, c.facts, c.inspection_id, c.task_id, c.state, c.outcome,
  c.fine_yuan::float8 AS fine_yuan, c.opened_on::text AS opened_on, c.closed_on::text AS closed_on, c.version`;

export function caseById(scope: Scope, id: number, lock = false): Query {
  const values: unknown[] = [id];
  return {
    text: `SELECT ${CASE_COLUMNS} FROM supervision_cases c JOIN units u ON u.id = c.unit_id WHERE c.id = $1 AND ${unitScope(scope, values)}${lock ? ' FOR UPDATE OF c' : ''}`,
    values,
  };
}

export function listCases(scope: Scope, f: { unitId?: number; state?: 'open' | 'closed'; limit: number; offset: number }): Query {
  const values: unknown[] = [];
  const where = [unitScope(scope, values)];
  if (f.unitId !== undefined) {
    values.push(f.unitId);
    where.push(`c.unit_id = $${values.length}`);
  }
  if (f.state) {
    values.push(f.state);
    where.push(`c.state = $${values.length}`);
  }
  values.push(f.limit, f.offset);
  return {
    text: `SELECT ${CASE_COLUMNS}, count(*) OVER () AS total FROM supervision_cases c JOIN units u ON u.id = c.unit_id
           WHERE ${where.join(' AND ')} ORDER BY c.opened_on DESC, c.id DESC LIMIT $${values.length - 1} OFFSET $${values.length}`,
    values,
  };
}

export function closeCase(id: number, version: number, outcome: string, fine: number | null, closedOn: string): Query {
  return {
    text: `UPDATE supervision_cases SET state = 'closed', outcome = $3, fine_yuan = $4, closed_on = $5, version = version + 1
           WHERE id = $1 AND version = $2 AND state = 'open' RETURNING id`,
    values: [id, version, outcome, fine, closedOn],
  };
}

// ---- accountability ----

/**
 * Per maintenance agency (kind 'agency') or testing agency (kind 'testing'): their units in
 * scope, fault and false-alarm figures over [from, to) from the analytics rollups
 * (analytics_unit_facts), fault alarms open longer than `repairHours`, acceptances and fails.
 */
export function agencyStats(scope: Scope, kind: 'maintenance' | 'testing', fromIso: string, toIso: string, repairBeforeIso: string): Query {
  const values: unknown[] = [fromIso, toIso, repairBeforeIso];
  const pred = unitScope(scope, values);
  const link =
    kind === 'maintenance'
      ? `SELECT u.id AS unit_id, u.maintenance_agency_id AS agency_id FROM units u WHERE u.maintenance_agency_id IS NOT NULL AND ${pred}`
      : `SELECT u.id AS unit_id, ut.testing_agency_id AS agency_id FROM units u JOIN supervision_unit_testing ut ON ut.unit_id = u.id WHERE ${pred}`;
  const agencies = kind === 'maintenance' ? 'maintenance_agencies' : 'testing_agencies';
  const acceptanceAgency = kind === 'maintenance' ? 'ar.collecting_agency_id' : 'ar.testing_agency_id';
  return {
    text: `WITH l AS (${link}),
           f AS (SELECT * FROM analytics_unit_facts($1::timestamptz, $2::timestamptz)),
           pts AS (SELECT p.unit_id, count(*)::int AS n FROM points p WHERE p.unit_id IN (SELECT unit_id FROM l) GROUP BY p.unit_id),
           od AS (SELECT a.unit_id, count(*)::int AS n FROM alarms a
                  WHERE a.kind = 'fault' AND a.state <> 'closed' AND a.cleared_at IS NULL AND a.opened_at < $3 AND a.unit_id IN (SELECT unit_id FROM l)
                  GROUP BY a.unit_id),
           acc AS (SELECT x.unit_id, count(*)::int AS n, count(*) FILTER (WHERE x.result = 'fail')::int AS failed FROM (
                     SELECT ac.unit_id, ac.result FROM acceptance_checks ac WHERE ac.unit_id IN (SELECT unit_id FROM l)
                     UNION ALL
                     SELECT ar.unit_id, ar.result FROM supervision_acceptance_records ar WHERE ar.unit_id IN (SELECT unit_id FROM l) AND ${acceptanceAgency} IS NOT NULL
                   ) x GROUP BY x.unit_id)
           SELECT g.id AS agency_id, g.name, count(l.unit_id)::int AS units, COALESCE(sum(pts.n), 0)::int AS points,
                  COALESCE(sum(f.false_alarms), 0)::int AS false_alarms, COALESCE(sum(f.fire_alarms_verified), 0)::int AS verified_fire_alarms,
                  COALESCE(sum(f.fault_events), 0)::int AS fault_events, COALESCE(sum(od.n), 0)::int AS overdue_repairs,
                  COALESCE(sum(acc.n), 0)::int AS acceptances, COALESCE(sum(acc.failed), 0)::int AS failed_acceptances
           FROM ${agencies} g JOIN l ON l.agency_id = g.id
           LEFT JOIN f ON f.unit_id = l.unit_id LEFT JOIN pts ON pts.unit_id = l.unit_id
           LEFT JOIN od ON od.unit_id = l.unit_id LEFT JOIN acc ON acc.unit_id = l.unit_id
           GROUP BY g.id, g.name ORDER BY g.name, g.id`,
    values,
  };
}

/**
 * Per supervisor in scope: tasks finished in [from, to) and how many before their deadline,
 * pending tasks now overdue, and inspections done vs planned over the window (a unit of a
 * band every N days is planned ceil(window / N) times; done counts at most that many).
 */
export function supervisorStats(scope: Scope, fromIso: string, toIso: string, nowIso: string, windowDays: number): Query {
  const values: unknown[] = [fromIso, toIso, nowIso, PENDING_STATES, windowDays];
  const pred = scopePredicate(scope, { region: 'ur.adcode' }, values);
  return {
    text: `WITH s AS (
             SELECT s.id, s.display_name FROM users s
             WHERE s.role = 'supervisor' AND NOT s.disabled
               AND (${scope.kind === 'all' ? 'TRUE' : `EXISTS (SELECT 1 FROM user_regions ur WHERE ur.user_id = s.id AND ${pred})`})
           ),
           t AS (
             SELECT t.assignee_id AS sid,
                    count(*) FILTER (WHERE t.closed_at >= $1 AND t.closed_at < $2)::int AS finished,
                    count(*) FILTER (WHERE t.closed_at >= $1 AND t.closed_at < $2 AND t.closed_at <= t.due_at)::int AS on_time,
                    count(*) FILTER (WHERE t.state = ANY($4::text[]) AND t.due_at < $3)::int AS overdue_open
             FROM supervision_tasks t WHERE t.assignee_id IN (SELECT id FROM s) GROUP BY t.assignee_id
           ),
           pu AS (
             SELECT sa.supervisor_id AS sid, p.unit_id, ceil($5::float8 / p.every_days)::int AS planned,
                    (SELECT count(*)::int FROM supervision_inspections i WHERE i.unit_id = p.unit_id AND i.inspected_on >= ($1::timestamptz AT TIME ZONE 'Asia/Shanghai')::date
                       AND i.inspected_on < ($2::timestamptz AT TIME ZONE 'Asia/Shanghai')::date) AS done
             FROM supervision_inspection_plan p JOIN supervision_assignments sa ON sa.unit_id = p.unit_id
             WHERE sa.supervisor_id IN (SELECT id FROM s)
           ),
           pl AS (SELECT sid, sum(planned)::int AS planned, sum(LEAST(done, planned))::int AS done FROM pu GROUP BY sid)
           SELECT s.id, s.display_name,
                  (SELECT count(*)::int FROM supervision_assignments sa WHERE sa.supervisor_id = s.id) AS units,
                  COALESCE(t.finished, 0) AS finished, COALESCE(t.on_time, 0) AS on_time, COALESCE(t.overdue_open, 0) AS overdue_open,
                  COALESCE(pl.planned, 0) AS planned, COALESCE(pl.done, 0) AS done
           FROM s LEFT JOIN t ON t.sid = s.id LEFT JOIN pl ON pl.sid = s.id
           ORDER BY s.display_name, s.id`,
    values,
  };
}

/**
 * The notice's denominators per district in scope: high-risk units with a control room
 * (registered, not closed) and how many are open; existing units with a control room (not
 * under construction) and how many are open; units under construction counted apart.
 */
export function leagueCounts(scope: Scope): Query {
  const values: unknown[] = [];
  return {
    text: `SELECT u.region_adcode AS adcode,
             count(*) FILTER (WHERE u.high_risk AND u.has_control_room)::int AS hr_den,
             count(*) FILTER (WHERE u.high_risk AND u.has_control_room AND u.onboarding_state = 'open')::int AS hr_num,
             count(*) FILTER (WHERE u.has_control_room AND NOT u.under_construction)::int AS cr_den,
             count(*) FILTER (WHERE u.has_control_room AND NOT u.under_construction AND u.onboarding_state = 'open')::int AS cr_num,
             count(*) FILTER (WHERE u.under_construction)::int AS under_construction
           FROM units u
           WHERE u.onboarding_state <> 'closed' AND u.region_adcode IS NOT NULL AND ${unitScope(scope, values)}
           GROUP BY u.region_adcode`,
    values,
  };
}

export function regionsByCodes(adcodes: number[]): Query {
  return {
    text: `SELECT adcode, name, level, parent_adcode, target_high_risk_pct::float8 AS thr, target_high_risk_date::text AS thr_date,
             target_control_room_pct::float8 AS tcr, target_control_room_date::text AS tcr_date
           FROM regions WHERE adcode = ANY($1::int[])`,
    values: [adcodes],
  };
}

export function stageTargets(): Query {
  return { text: `SELECT region_adcode, metric, due_on::text AS due_on, target_pct::float8 AS target_pct FROM supervision_stage_targets ORDER BY region_adcode, metric, due_on`, values: [] };
}

export function replaceStageTargets(adcode: number, stages: Array<{ metric: string; dueOn: string; targetPct: number }>): Query[] {
  return [
    { text: `DELETE FROM supervision_stage_targets WHERE region_adcode = $1`, values: [adcode] },
    {
      text: `INSERT INTO supervision_stage_targets (region_adcode, metric, due_on, target_pct) SELECT $1, * FROM unnest($2::text[], $3::date[], $4::numeric[])`,
      values: [adcode, stages.map((s) => s.metric), stages.map((s) => s.dueOn), stages.map((s) => s.targetPct)],
    },
  ];
}

// ---- acceptance ----

export function deviceOfUnit(unitId: number, deviceId: number): Query {
  return { text: `SELECT id, address FROM devices WHERE id = $1 AND unit_id = $2`, values: [deviceId, unitId] };
}

/** Events of the device in [from, to) of the given kinds. */
/** The device's events while it served this unit (a device moved from another unit brings no evidence). */
export function deviceEvents(unitId: number, deviceId: number, fromIso: string, toIso: string, kinds: string[]): Query {
  return {
    text: `SELECT id, kind, received_at FROM events
            WHERE device_id = $1 AND unit_id = $5 AND received_at >= $2 AND received_at < $3 AND kind = ANY($4::text[]) ORDER BY id LIMIT 10000`,
    values: [deviceId, fromIso, toIso, kinds, unitId],
  };
}

export function userAgency(userId: number): Query {
  return { text: `SELECT maintenance_agency_id FROM users WHERE id = $1`, values: [userId] };
}

export function insertAcceptanceRecord(r: {
  unitId: number;
  deviceId: number;
  deviceAddress: number;
  fromIso: string;
  toIso: string;
  evidence: string;
  result: string;
  inspectorId: number | null;
  inspectorName: string;
  inspectorAgencyId: number | null;
  collectingAgencyId: number | null;
  testingAgencyId: number | null;
  notes: string;
  nowIso: string;
}): Query {
  return {
    text: `INSERT INTO supervision_acceptance_records (unit_id, device_id, device_address, window_from, window_to, evidence, result, inspector_id, inspector_name,
             inspector_agency_id, collecting_agency_id, testing_agency_id, notes, signed_at)
           VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
    values: [r.unitId, r.deviceId, r.deviceAddress, r.fromIso, r.toIso, r.evidence, r.result, r.inspectorId, r.inspectorName, r.inspectorAgencyId, r.collectingAgencyId, r.testingAgencyId, r.notes, r.nowIso],
  };
}

export function acceptanceById(scope: Scope, id: number): Query {
  const values: unknown[] = [id];
  return {
    text: `SELECT ar.*, u.name AS unit_name, u.address AS unit_address, r.name AS region_name, ma.name AS collecting_agency, ta.name AS testing_agency
           FROM supervision_acceptance_records ar JOIN units u ON u.id = ar.unit_id
           LEFT JOIN regions r ON r.adcode = u.region_adcode
           LEFT JOIN maintenance_agencies ma ON ma.id = ar.collecting_agency_id
           LEFT JOIN testing_agencies ta ON ta.id = ar.testing_agency_id
           WHERE ar.id = $1 AND ${unitScope(scope, values)}`,
    values,
  };
}

// ---- reports ----

/** Cities and districts that have units (the report regions). */
export function reportRegions(): Query {
  return {
    text: `SELECT r.adcode, r.name, r.level FROM regions r
           WHERE r.level IN ('city', 'district')
             AND EXISTS (SELECT 1 FROM units u WHERE u.region_adcode = r.adcode OR (u.region_adcode / 100) * 100 = r.adcode)
           ORDER BY r.adcode`,
    values: [],
  };
}

/** The figures of one report: the region's units, tasks, inspections, cases, alarms over [from, to). */
export function reportFigures(adcode: number, fromIso: string, toIso: string, fromDay: string, toDay: string): Query {
  const values: unknown[] = [fromIso, toIso, fromDay, toDay];
  const inRegion = scopePredicate({ kind: 'regions', adcodes: [adcode] }, { region: 'u.region_adcode' }, values);
  return {
    text: `WITH us AS (SELECT u.id, u.onboarding_state FROM units u WHERE ${inRegion}),
           f AS (SELECT * FROM analytics_unit_facts($1::timestamptz, $2::timestamptz) WHERE unit_id IN (SELECT id FROM us))
           SELECT (SELECT count(*) FROM us WHERE onboarding_state <> 'closed')::int AS units,
                  (SELECT count(*) FROM us WHERE onboarding_state = 'open')::int AS open_units,
                  (SELECT COALESCE(sum(fire_events), 0) FROM f)::int AS fire_events,
                  (SELECT COALESCE(sum(false_alarms), 0) FROM f)::int AS false_alarms,
                  (SELECT COALESCE(sum(fault_events), 0) FROM f)::int AS fault_events,
                  (SELECT COALESCE(sum(duty_missed), 0) FROM f)::int AS duty_missed,
                  (SELECT count(*) FROM supervision_tasks t WHERE t.unit_id IN (SELECT id FROM us) AND t.created_at >= $1 AND t.created_at < $2)::int AS tasks_created,
                  (SELECT count(*) FROM supervision_tasks t WHERE t.unit_id IN (SELECT id FROM us) AND t.closed_at >= $1 AND t.closed_at < $2)::int AS tasks_closed,
                  (SELECT count(*) FROM supervision_tasks t WHERE t.unit_id IN (SELECT id FROM us) AND t.state = ANY(ARRAY['open','in_progress','checked']) AND t.due_at < $2)::int AS tasks_overdue,
                  (SELECT count(*) FROM supervision_inspections i WHERE i.unit_id IN (SELECT id FROM us) AND i.inspected_on >= $3::date AND i.inspected_on < $4::date)::int AS inspections,
                  (SELECT count(*) FROM supervision_inspections i WHERE i.unit_id IN (SELECT id FROM us) AND i.result = 'rectify' AND i.inspected_on >= $3::date AND i.inspected_on < $4::date)::int AS rectify_orders,
                  (SELECT count(*) FROM supervision_cases c WHERE c.unit_id IN (SELECT id FROM us) AND c.opened_on >= $3::date AND c.opened_on < $4::date)::int AS cases_opened`,
    values,
  };
}

export function insertReport(r: { period: string; adcode: number; start: string; end: string; content: string; nowIso: string }): Query {
  return {
    text: `INSERT INTO supervision_reports (period, region_adcode, period_start, period_end, content, generated_at)
           VALUES ($1, $2, $3, $4, $5::jsonb, $6) ON CONFLICT (period, region_adcode, period_start) DO NOTHING RETURNING id`,
    values: [r.period, r.adcode, r.start, r.end, r.content, r.nowIso],
  };
}

/** Supervisors whose jurisdiction covers the region: they receive its report. */
export function reportRecipients(adcode: number): Query {
  return {
    text: `SELECT DISTINCT u.id FROM users u JOIN user_regions ur ON ur.user_id = u.id
           WHERE u.role = 'supervisor' AND NOT u.disabled
             AND (ur.adcode = $1 OR ur.adcode = ($1 / 100) * 100 OR ur.adcode = ($1 / 10000) * 10000)
           ORDER BY u.id`,
    values: [adcode],
  };
}

export function listReports(scope: Scope, f: { period?: string; limit: number }): Query {
  const values: unknown[] = [];
  const pred = scopePredicate(scope, { region: 'sr.region_adcode' }, values);
  const where = [pred];
  if (f.period) {
    values.push(f.period);
    where.push(`sr.period = $${values.length}`);
  }
  values.push(f.limit);
  return {
    // Delivery: the report's outbox rows (one per supervisor) by state; "not configured" is a
    // failed row closed by the report sender because no endpoint is set (notifications/report-sender.ts).
    text: `SELECT sr.id, sr.period, sr.region_adcode, r.name AS region_name, sr.period_start::text AS period_start, sr.period_end::text AS period_end, sr.content, sr.generated_at,
                  d.sent, d.pending, d.failed, d.not_configured
           FROM supervision_reports sr JOIN regions r ON r.adcode = sr.region_adcode
           CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE o.status = 'sent')::int AS sent, count(*) FILTER (WHERE o.status = 'pending')::int AS pending,
                                      count(*) FILTER (WHERE o.status = 'failed' AND o.last_error NOT LIKE 'not configured:%')::int AS failed,
                                      count(*) FILTER (WHERE o.status = 'failed' AND o.last_error LIKE 'not configured:%')::int AS not_configured
                               FROM outbox o WHERE o.ref_entity = 'supervision_report' AND o.ref_id = sr.id::text) d
           WHERE ${where.join(' AND ')} ORDER BY sr.period_start DESC, sr.region_adcode LIMIT $${values.length}`,
    values,
  };
}

/**
 * The per-unit monthly table: one row per unit in scope (and region) for [from, to). Counts
 * are aggregated once per table (not per row), restricted to the units listed.
 */
export function monthlyUnits(scope: Scope, fromIso: string, toIso: string, fromDay: string, toDay: string, region: number | null): Query {
  const values: unknown[] = [fromIso, toIso, fromDay, toDay];
  const where = [unitScope(scope, values), `u.onboarding_state <> 'closed'`];
  if (region != null) where.push(scopePredicate({ kind: 'regions', adcodes: [region] }, { region: 'u.region_adcode' }, values));
  return {
    text: `WITH us AS (SELECT u.id FROM units u WHERE ${where.join(' AND ')} ORDER BY u.region_adcode, u.id LIMIT 200000),
           f AS (SELECT * FROM analytics_unit_facts($1::timestamptz, $2::timestamptz) WHERE unit_id IN (SELECT id FROM us)),
           pts AS (SELECT unit_id, count(*)::int AS n FROM points WHERE unit_id IN (SELECT id FROM us) GROUP BY unit_id),
           tk AS (SELECT unit_id, count(*)::int AS n FROM supervision_tasks WHERE created_at >= $1 AND created_at < $2 AND unit_id IN (SELECT id FROM us) GROUP BY unit_id),
           ins AS (SELECT unit_id, count(*)::int AS n FROM supervision_inspections WHERE inspected_on >= $3::date AND inspected_on < $4::date AND unit_id IN (SELECT id FROM us) GROUP BY unit_id)
           SELECT u.id, u.name, r.name AS region_name, ma.name AS agency, s.display_name AS supervisor,
                  COALESCE(pts.n, 0) AS points,
                  COALESCE(f.fire_events, 0)::int AS fire_events, COALESCE(f.fire_alarms_verified, 0)::int AS verified,
                  COALESCE(f.false_alarms, 0)::int AS false_alarms, COALESCE(f.fault_events, 0)::int AS fault_events,
                  round((COALESCE(f.offline_s, 0) / 3600.0)::numeric, 1)::float8 AS offline_hours,
                  COALESCE(f.duty_missed, 0)::int AS duty_missed, COALESCE(f.duty_answered, 0)::int AS duty_answered,
                  COALESCE(tk.n, 0) AS tasks, COALESCE(ins.n, 0) AS inspections
           FROM us JOIN units u ON u.id = us.id
           LEFT JOIN f ON f.unit_id = u.id LEFT JOIN pts ON pts.unit_id = u.id LEFT JOIN tk ON tk.unit_id = u.id LEFT JOIN ins ON ins.unit_id = u.id
           LEFT JOIN regions r ON r.adcode = u.region_adcode
           LEFT JOIN maintenance_agencies ma ON ma.id = u.maintenance_agency_id
           LEFT JOIN supervision_assignments sa ON sa.unit_id = u.id LEFT JOIN users s ON s.id = sa.supervisor_id
           ORDER BY u.region_adcode, u.id`,
    values,
  };
}

// ---- assignment screen ----

/** Districts in scope with their units, how many have no responsible supervisor, and by whom the others are held. */
export function assignmentRegions(scope: Scope): Query {
  const values: unknown[] = [];
  return {
    text: `SELECT u.region_adcode AS adcode, r.name, count(*)::int AS units, count(*) FILTER (WHERE sa.unit_id IS NULL)::int AS unassigned,
             COALESCE(json_agg(DISTINCT jsonb_build_object('id', s.id, 'name', s.display_name)) FILTER (WHERE s.id IS NOT NULL), '[]') AS holders
           FROM units u JOIN regions r ON r.adcode = u.region_adcode
           LEFT JOIN supervision_assignments sa ON sa.unit_id = u.id LEFT JOIN users s ON s.id = sa.supervisor_id
           WHERE u.onboarding_state <> 'closed' AND ${unitScope(scope, values)}
           GROUP BY u.region_adcode, r.name ORDER BY u.region_adcode`,
    values,
  };
}

export function assignmentUnits(scope: Scope, region: number, limit: number): Query {
  const values: unknown[] = [];
  const inRegion = scopePredicate({ kind: 'regions', adcodes: [region] }, { region: 'u.region_adcode' }, values);
  const pred = unitScope(scope, values);
  values.push(limit);
  return {
    text: `SELECT u.id, u.name, u.address, sa.supervisor_id, s.display_name AS supervisor_name, sa.assigned_at, count(*) OVER () AS total
           FROM units u LEFT JOIN supervision_assignments sa ON sa.unit_id = u.id LEFT JOIN users s ON s.id = sa.supervisor_id
           WHERE u.onboarding_state <> 'closed' AND ${inRegion} AND ${pred}
           ORDER BY u.name, u.id LIMIT $${values.length}`,
    values,
  };
}

/** Assignment changes (audit log) whose units or region lie in the scope, newest first. */
export function assignmentHistory(scope: Scope, limit: number): Query {
  const values: unknown[] = [];
  const unitPred = unitScope(scope, values);
  const regionPred = scopePredicate(scope, { region: 'a.entity_id::int' }, values);
  values.push(limit);
  return {
    text: `SELECT a.id, a.at, COALESCE((SELECT display_name FROM users WHERE id = a.actor_id), a.actor_name) AS actor_name, a.action, a.entity, a.entity_id, a.before, a.after,
             CASE WHEN a.entity = 'unit' THEN (SELECT name FROM units WHERE id = a.entity_id::bigint) ELSE (SELECT name FROM regions WHERE adcode = a.entity_id::int) END AS entity_name,
             (SELECT display_name FROM users WHERE id = (a.after->>'supervisorId')::bigint) AS supervisor_name
           FROM audit_log a
           WHERE a.action IN ('supervision.assign', 'supervision.assign_region')
             AND ((a.entity = 'unit' AND EXISTS (SELECT 1 FROM units u WHERE u.id = a.entity_id::bigint AND ${unitPred}))
               OR (a.entity = 'region' AND ${regionPred}))
           ORDER BY a.id DESC LIMIT $${values.length}`,
    values,
  };
}

/** One report in the caller's jurisdiction (the download of a kept report). */
export function reportById(scope: Scope, id: number): Query {
  const values: unknown[] = [id];
  const pred = scopePredicate(scope, { region: 'sr.region_adcode' }, values);
  return {
    text: `SELECT sr.id, sr.period, sr.region_adcode, r.name AS region_name, sr.period_start::text AS period_start, sr.period_end::text AS period_end, sr.content, sr.generated_at
           FROM supervision_reports sr JOIN regions r ON r.adcode = sr.region_adcode WHERE sr.id = $1 AND ${pred}`,
    values,
  };
}
