// SQL of the analytics feature. The rates themselves are defined once in
// backend/migrations/0500_analytics.sql and 1300_disabled_risk.sql (analytics_rate_parts,
// analytics_inspection_score, disabled_unit_facts);
// these queries only choose the grouping and compose the caller's jurisdiction.
import { STAT_METRICS, type StatMetric } from '@firelink/common';
import { scopePredicate, type Scope } from '../auth/scope.ts';
import type { Query } from '../db/pool.ts';

export const METRICS = STAT_METRICS;
export type Metric = StatMetric;

export type GroupBy = 'unit' | 'region' | 'h3';
export type H3Res = 6 | 7 | 8 | 9;
export type TrendInterval = 'day' | 'week' | 'month';

// Grouping keys come from this table, never from input.
const H3_COLUMN: Record<H3Res, string> = { 6: 'c.h3_r6', 7: 'c.h3_r7', 8: 'c.h3_r8', 9: 'c.h3_r9' };

function groupKey(by: GroupBy, res: H3Res): { key: string; name: string } {
  if (by === 'unit') return { key: 'u.id::text', name: 'max(u.name)' };
  if (by === 'region') return { key: 'u.region_adcode::text', name: 'max(rg.name)' };
  return { key: H3_COLUMN[res], name: 'NULL::text' };
}

// Per-unit current registry facts: points, points in fault, whether the unit has a device.
const UNIT_BASE = `
  pts AS (SELECT unit_id, count(*) AS n, count(*) FILTER (WHERE in_fault) AS nf FROM points GROUP BY unit_id),
  dev AS (SELECT DISTINCT unit_id FROM devices WHERE unit_id IS NOT NULL)`;

const SUMS = `
  count(dev.unit_id)::bigint AS units,
  COALESCE(sum(pts.n), 0)::bigint AS points,
  COALESCE(sum(pts.nf), 0)::bigint AS points_in_fault,
  COALESCE(sum(f.fire_events), 0)::bigint AS fire_events,
  COALESCE(sum(f.fault_events), 0)::bigint AS fault_events,
  COALESCE(sum(f.fire_alarms_verified), 0)::bigint AS fire_alarms_verified,
  COALESCE(sum(f.false_alarms), 0)::bigint AS false_alarms,
  COALESCE(sum(f.offline_s), 0)::float8 AS offline_s,
  COALESCE(sum(f.duty_missed), 0)::bigint AS duty_missed,
  COALESCE(sum(f.duty_answered), 0)::bigint AS duty_answered,
  COALESCE(sum(f.duty_answer_s), 0)::float8 AS duty_answer_s,
  COALESCE(sum(dz.points_disabled_now), 0)::bigint AS points_disabled`;

const RATE_CALL = `analytics_rate_parts(extract(epoch FROM w.t - w.f)::float8, g.units, g.points, g.points_in_fault,
    g.fire_alarms_verified, g.false_alarms, g.fault_events, g.offline_s, g.duty_missed, g.duty_answered, g.duty_answer_s, g.points_disabled)`;

export interface RatesQueryOpts {
  by: GroupBy;
  res: H3Res;
  from: Date;
  to: Date;
  metrics: readonly Metric[];
  scope: Scope;
  /** Restrict to one district (or city/province, as scope codes do). */
  region?: number | null;
  /** Restrict to one unit (the unit page's own rates). */
  unit?: number | null;
  /** Use the raw source tables instead of the rollups (reference; slow). */
  raw?: boolean;
}

/** One row per (group, metric): key, name, units, metric, numerator, denominator, value. */
export function ratesQuery(o: RatesQueryOpts): Query {
  const values: unknown[] = [o.from, o.to, o.metrics];
  const { key, name } = groupKey(o.by, o.res);
  const scope = scopePredicate(o.scope, { region: 'u.region_adcode', unit: 'u.id' }, values);
  const region = o.region != null ? regionFilter(o.region, values) : 'TRUE';
  let unit = 'TRUE';
  if (o.unit != null) {
    values.push(o.unit);
    unit = `u.id = $${values.length}::bigint`;
  }
  const facts = o.raw ? 'analytics_unit_facts_raw' : 'analytics_unit_facts';
  return {
    text: `
WITH w AS (SELECT date_trunc('hour', $1::timestamptz) AS f, analytics_hour_ceil($2::timestamptz) AS t),
f AS (SELECT * FROM ${facts}($1, $2)),
dz AS (SELECT d.* FROM w, disabled_unit_facts(w.f, w.t) d),
${UNIT_BASE},
g AS (
  SELECT ${key} AS key, ${name} AS name, ${SUMS}
  FROM units u
  LEFT JOIN analytics_unit_cells c ON c.unit_id = u.id
  LEFT JOIN regions rg ON rg.adcode = u.region_adcode
  LEFT JOIN pts ON pts.unit_id = u.id
  LEFT JOIN dev ON dev.unit_id = u.id
  LEFT JOIN f ON f.unit_id = u.id
  LEFT JOIN dz ON dz.unit_id = u.id
  WHERE ${scope} AND ${region} AND ${unit} AND ${key} IS NOT NULL
  GROUP BY 1
)
SELECT g.key, g.name, g.units, r.metric, r.numerator, r.denominator, r.value
FROM g, w, LATERAL ${RATE_CALL} r
WHERE r.metric = ANY($3::text[])
ORDER BY g.key, r.metric`,
    values,
  };
}

function regionFilter(adcode: number, values: unknown[]): string {
  values.push(adcode);
  const p = `$${values.length}::int`;
  return `(u.region_adcode = ${p} OR (u.region_adcode / 100) * 100 = ${p} OR (u.region_adcode / 10000) * 10000 = ${p})`;
}

/** Facts per unit, raw or rolled up (the test compares the two). */
export function unitFactsQuery(from: Date, to: Date, raw: boolean): Query {
  return {
    text: `SELECT * FROM ${raw ? 'analytics_unit_facts_raw' : 'analytics_unit_facts'}($1, $2) ORDER BY unit_id`,
    values: [from, to],
  };
}

export interface TrendQueryOpts {
  interval: TrendInterval;
  from: Date;
  to: Date;
  metrics: readonly Metric[];
  scope: Scope;
  region?: number | null;
}

/** Series per calendar day/week/month (Asia/Shanghai) from the day/month rollups. */
export function trendQuery(o: TrendQueryOpts): Query {
  const values: unknown[] = [o.from, o.to, o.metrics, o.interval];
  const scope = scopePredicate(o.scope, { region: 'u.region_adcode', unit: 'u.id' }, values);
  const region = o.region != null ? regionFilter(o.region, values) : 'TRUE';
  return {
    text: `
WITH b AS (
  SELECT lo, analytics_add(lo, ('1 ' || $4::text)::interval) AS hi
  FROM (SELECT DISTINCT date_trunc($4::text, d, 'Asia/Shanghai') AS lo
        FROM generate_series(analytics_day($1::timestamptz), $2::timestamptz - interval '1 second', interval '1 day') d) s
),
${UNIT_BASE},
us AS (
  SELECT u.id, pts.n, pts.nf, dev.unit_id AS has_dev
  FROM units u LEFT JOIN pts ON pts.unit_id = u.id LEFT JOIN dev ON dev.unit_id = u.id
  WHERE ${scope} AND ${region}
),
tot AS (SELECT count(has_dev)::bigint AS units, COALESCE(sum(n), 0)::bigint AS points, COALESCE(sum(nf), 0)::bigint AS nf FROM us),
r AS (
  SELECT b.lo, sum(r.fault_events)::bigint AS fault_events, sum(r.fire_alarms_verified)::bigint AS fav,
         sum(r.false_alarms)::bigint AS fa, sum(r.duty_missed)::bigint AS dm, sum(r.duty_answered)::bigint AS da,
         sum(r.duty_answer_s)::float8 AS das
  FROM b CROSS JOIN LATERAL (
    -- month series read month rows, day/week series day rows; OFFSET 0 keeps this a
    -- per-bucket index range scan.
    SELECT * FROM analytics_rollup x
    WHERE x.grain = CASE WHEN $4::text = 'month' THEN 'month' ELSE 'day' END AND x.bucket >= b.lo AND x.bucket < b.hi OFFSET 0
  ) r
  WHERE r.unit_id IN (SELECT id FROM us)
  GROUP BY b.lo
),
o AS (
  SELECT b.lo, sum(analytics_overlap_s(op.started_at, op.ended_at, b.lo, b.hi)) AS offline_s
  FROM b JOIN analytics_offline_periods op ON op.started_at < b.hi AND (op.ended_at IS NULL OR op.ended_at > b.lo)
  WHERE op.unit_id IN (SELECT id FROM us)
  GROUP BY b.lo
)
SELECT b.lo AS bucket, p.metric, p.numerator, p.denominator, p.value
FROM b CROSS JOIN tot LEFT JOIN r ON r.lo = b.lo LEFT JOIN o ON o.lo = b.lo,
-- Points disabled at the end of each bucket (only when the series asks for them).
LATERAL (SELECT COALESCE(sum(d.points_disabled_now), 0)::bigint AS n FROM disabled_unit_facts(b.lo, b.hi) d
         WHERE 'disabled_rate' = ANY($3::text[]) AND d.unit_id IN (SELECT id FROM us)) dz,
LATERAL analytics_rate_parts(extract(epoch FROM b.hi - b.lo)::float8, tot.units, tot.points, tot.nf,
  COALESCE(r.fav, 0), COALESCE(r.fa, 0), COALESCE(r.fault_events, 0), COALESCE(o.offline_s, 0),
  COALESCE(r.dm, 0), COALESCE(r.da, 0), COALESCE(r.das, 0), dz.n) p
WHERE p.metric = ANY($3::text[]) AND b.lo < $2::timestamptz
ORDER BY b.lo, p.metric`,
    values,
  };
}

/**
 * Units ranked by the inspection score (analytics_inspection_score), in scope. A unit with a
 * point or system disabled (屏蔽) longer than `disabledDays` (SUPERVISION_DISABLED_POINT_DAYS)
 * at the end of the window scores its disabled term.
 */
export function prioritiesQuery(o: { from: Date; to: Date; scope: Scope; region?: number | null; limit: number; disabledDays: number }): Query {
  const values: unknown[] = [o.from, o.to, o.limit, o.disabledDays];
  const scope = scopePredicate(o.scope, { region: 'u.region_adcode', unit: 'u.id' }, values);
  const region = o.region != null ? regionFilter(o.region, values) : 'TRUE';
  return {
    text: `
WITH w AS (SELECT date_trunc('hour', $1::timestamptz) AS f, analytics_hour_ceil($2::timestamptz) AS t),
f AS (SELECT * FROM analytics_unit_facts($1, $2)),
dz AS (SELECT d.* FROM w, disabled_unit_facts(w.f, w.t) d),
pts AS (SELECT unit_id, count(*) AS n FROM points GROUP BY unit_id)
SELECT u.id AS unit_id, u.name, u.region_adcode, rg.name AS region_name, u.high_risk, u.onboarding_state,
       COALESCE(pts.n, 0)::bigint AS points,
       COALESCE(f.fire_alarms_verified, 0)::bigint AS fire_alarms_verified,
       COALESCE(f.false_alarms, 0)::bigint AS false_alarms,
       COALESCE(f.fault_events, 0)::bigint AS fault_events,
       COALESCE(f.duty_missed, 0)::bigint AS off_duty_count,
       round((COALESCE(f.offline_s, 0) / 3600.0)::numeric, 2)::float8 AS host_offline_hours,
       COALESCE(dz.disabled_now, 0) AS disabled_now,
       floor(extract(epoch FROM least($2::timestamptz, now()) - dz.oldest_since) / 86400)::int AS disabled_days,
       round(analytics_inspection_score(extract(epoch FROM w.t - w.f)::float8, COALESCE(pts.n, 0), COALESCE(f.fire_alarms_verified, 0),
             COALESCE(f.false_alarms, 0), COALESCE(f.fault_events, 0), COALESCE(f.offline_s, 0),
             COALESCE(f.duty_missed, 0), u.high_risk,
             COALESCE(dz.oldest_since < least($2::timestamptz, now()) - make_interval(days => $4::int), false))::numeric, 2)::float8 AS score
FROM units u CROSS JOIN w
LEFT JOIN f ON f.unit_id = u.id
LEFT JOIN dz ON dz.unit_id = u.id
LEFT JOIN pts ON pts.unit_id = u.id
LEFT JOIN regions rg ON rg.adcode = u.region_adcode
WHERE ${scope} AND ${region} AND u.onboarding_state <> 'closed'
ORDER BY score DESC, u.id
LIMIT $3`,
    values,
  };
}

/**
 * Connection rate by district against its targets, plus the onboarding funnel.
 * 联网接入率 = open units with a control room ÷ registered (not closed) units with a control
 * room; the high-risk share and full coverage (open ÷ all not closed) likewise.
 */
export function connectionQuery(o: { scope: Scope }): Query {
  const values: unknown[] = [];
  const scope = scopePredicate(o.scope, { region: 'u.region_adcode', unit: 'u.id' }, values);
  return {
    text: `
WITH c AS (
  SELECT u.region_adcode,
         count(*) FILTER (WHERE u.onboarding_state <> 'closed')::int AS units,
         count(*) FILTER (WHERE u.onboarding_state = 'open')::int AS open_units,
         count(*) FILTER (WHERE u.has_control_room AND u.onboarding_state <> 'closed')::int AS control_room_units,
         count(*) FILTER (WHERE u.has_control_room AND u.onboarding_state = 'open')::int AS control_room_open,
         count(*) FILTER (WHERE u.high_risk AND u.onboarding_state <> 'closed')::int AS high_risk_units,
         count(*) FILTER (WHERE u.high_risk AND u.onboarding_state = 'open')::int AS high_risk_open,
         count(*) FILTER (WHERE u.onboarding_state = 'registered')::int AS s_registered,
         count(*) FILTER (WHERE u.onboarding_state = 'collecting')::int AS s_collecting,
         count(*) FILTER (WHERE u.onboarding_state = 'verified')::int AS s_verified,
         count(*) FILTER (WHERE u.onboarding_state = 'reviewed')::int AS s_reviewed,
         count(*) FILTER (WHERE u.onboarding_state = 'open')::int AS s_open,
         count(*) FILTER (WHERE u.onboarding_state = 'suspended')::int AS s_suspended,
         count(*) FILTER (WHERE u.onboarding_state = 'closed')::int AS s_closed
  FROM units u
  WHERE ${scope} AND u.region_adcode IS NOT NULL
  GROUP BY u.region_adcode
)
SELECT c.*, rg.name, rg.name_en,
       rg.target_high_risk_pct::float8 AS target_high_risk_pct, rg.target_high_risk_date::text AS target_high_risk_date,
       rg.target_control_room_pct::float8 AS target_control_room_pct, rg.target_control_room_date::text AS target_control_room_date,
       rg.target_full_date::text AS target_full_date
FROM c LEFT JOIN regions rg ON rg.adcode = c.region_adcode
ORDER BY c.region_adcode`,
    values,
  };
}

export function regionTargetsQuery(adcode: number): Query {
  return {
    text: `SELECT adcode, name, target_high_risk_pct::float8 AS target_high_risk_pct, target_high_risk_date::text AS target_high_risk_date,
                  target_control_room_pct::float8 AS target_control_room_pct, target_control_room_date::text AS target_control_room_date,
                  target_full_date::text AS target_full_date
           FROM regions WHERE adcode = $1 FOR UPDATE`,
    values: [adcode],
  };
}

export interface TargetsPatch {
  target_high_risk_pct?: number | null;
  target_high_risk_date?: string | null;
  target_control_room_pct?: number | null;
  target_control_room_date?: string | null;
  target_full_date?: string | null;
}

/** Sets only the fields present in the patch ($n per field; columns from a fixed list). */
export function updateTargetsQuery(adcode: number, patch: TargetsPatch): Query {
  const cols = ['target_high_risk_pct', 'target_high_risk_date', 'target_control_room_pct', 'target_control_room_date', 'target_full_date'] as const;
  const values: unknown[] = [adcode];
  const sets: string[] = [];
  for (const c of cols) {
    if (c in patch) {
      values.push(patch[c] ?? null);
      sets.push(`${c} = $${values.length}`);
    }
  }
  sets.push('updated_at = now()');
  return { text: `UPDATE regions SET ${sets.join(', ')} WHERE adcode = $1`, values };
}

export function regionNameQuery(adcode: number): Query {
  return { text: 'SELECT adcode, name, name_en FROM regions WHERE adcode = $1', values: [adcode] };
}

/** Units whose H3 cells are missing or stale (point moved). */
export function staleCellsQuery(): Query {
  return {
    text: `SELECT u.id, ST_X(u.point) AS lon, ST_Y(u.point) AS lat
           FROM units u LEFT JOIN analytics_unit_cells c ON c.unit_id = u.id
           WHERE u.point IS NOT NULL AND (c.unit_id IS NULL OR c.lon <> ST_X(u.point) OR c.lat <> ST_Y(u.point))
           LIMIT 50000`,
    values: [],
  };
}

export function upsertCellsQuery(rows: Array<{ id: number; lon: number; lat: number; cells: [string, string, string, string] }>): Query {
  return {
    text: `INSERT INTO analytics_unit_cells (unit_id, lon, lat, h3_r6, h3_r7, h3_r8, h3_r9)
           SELECT * FROM unnest($1::bigint[], $2::float8[], $3::float8[], $4::text[], $5::text[], $6::text[], $7::text[])
           ON CONFLICT (unit_id) DO UPDATE SET lon = EXCLUDED.lon, lat = EXCLUDED.lat, h3_r6 = EXCLUDED.h3_r6,
             h3_r7 = EXCLUDED.h3_r7, h3_r8 = EXCLUDED.h3_r8, h3_r9 = EXCLUDED.h3_r9`,
    values: [
      rows.map((r) => r.id),
      rows.map((r) => r.lon),
      rows.map((r) => r.lat),
      rows.map((r) => r.cells[0]),
      rows.map((r) => r.cells[1]),
      rows.map((r) => r.cells[2]),
      rows.map((r) => r.cells[3]),
    ],
  };
}

export function refreshQuery(maxRows: number): Query {
  return { text: 'SELECT hours, dirty_rows FROM analytics_refresh($1)', values: [maxRows] };
}

export function markRefreshedQuery(ms: number): Query {
  return { text: 'UPDATE analytics_state SET last_refresh_at = now(), last_refresh_ms = $1', values: [ms] };
}
