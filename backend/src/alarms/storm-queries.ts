// SQL of alarm storms (domain/storms.ts says what they are) and flapping points.
import { scopePredicate, type Scope } from '../auth/scope.ts';
import type { Query } from '../db/pool.ts';

export type StormScope = 'unit' | 'area';

/** How an alarm matches a group of each scope: same cause, and same district or unit. */
const MATCH: Record<StormScope, string> = {
  area: 'a.trigger_kind = g.trigger_kind AND a.region_adcode = g.region_adcode',
  unit: 'a.trigger_kind = g.trigger_kind AND a.unit_id = g.unit_id',
};
const PLACE: Record<StormScope, string> = { area: 'region_adcode', unit: 'unit_id' };

/** Groups without a new member for quietS end. */
export function endQuietGroups(nowIso: string, quietS: number): Query {
  return {
    text: `UPDATE alarm_groups SET ended_at = $1::timestamptz
           WHERE ended_at IS NULL AND last_at < $1::timestamptz - make_interval(secs => $2) RETURNING id`,
    values: [nowIso, quietS],
  };
}

/**
 * For each cause and place (district or unit) of the batch's new alarms: its active group, or
 * (none yet) how many units (area) or alarms (unit) of that cause and place opened within the window.
 */
export function stormCandidates(scope: StormScope, alarmIds: number[], sinceIso: string): Query {
  const place = PLACE[scope];
  const count = scope === 'area' ? 'count(DISTINCT a.unit_id)' : 'count(*)';
  return {
    text: `
      WITH k AS (
        SELECT trigger_kind, ${place} AS place, min(kind) AS alarm_kind, min(region_adcode) AS region_adcode
          FROM alarms WHERE id = ANY($1::bigint[]) AND trigger_kind IS NOT NULL AND ${place} IS NOT NULL
         GROUP BY 1, 2)
      SELECT k.trigger_kind, k.place, k.alarm_kind, k.region_adcode, g.id AS group_id,
             CASE WHEN g.id IS NULL THEN
               (SELECT ${count} FROM alarms a WHERE a.trigger_kind = k.trigger_kind AND a.${place} = k.place AND a.opened_at > $2::timestamptz)
             END AS n
        FROM k LEFT JOIN alarm_groups g
          ON g.ended_at IS NULL AND g.scope = '${scope}' AND g.trigger_kind = k.trigger_kind AND g.${place} = k.place`,
    values: [alarmIds, sinceIso],
  };
}

export function createGroups(scope: StormScope, rows: Array<{ triggerKind: string; place: number; alarmKind: string; regionAdcode: number | null }>, nowIso: string): Query {
  return {
    text: `INSERT INTO alarm_groups (scope, alarm_kind, trigger_kind, region_adcode, unit_id, started_at, last_at)
           SELECT $1, t.alarm_kind, t.trigger_kind, t.region, ${scope === 'unit' ? 't.place' : 'NULL'}, $6::timestamptz, $6::timestamptz
             FROM unnest($2::text[], $3::text[], $4::int[], $5::bigint[]) AS t(alarm_kind, trigger_kind, region, place)
           ON CONFLICT (scope, trigger_kind, COALESCE(region_adcode, 0), COALESCE(unit_id, 0)) WHERE ended_at IS NULL DO NOTHING
           RETURNING id`,
    values: [
      scope,
      rows.map((r) => r.alarmKind),
      rows.map((r) => r.triggerKind),
      rows.map((r) => (scope === 'area' ? r.place : r.regionAdcode)),
      rows.map((r) => r.place),
      nowIso,
    ],
  };
}

/**
 * Adds members: the batch's matching alarms to every given group, and to the groups just
 * created also the matching alarms opened within the window (the burst that formed them).
 * Member, unit counts and the group's time span grow by what was added.
 */
export function addMembers(scope: StormScope, groupIds: number[], freshIds: number[], alarmIds: number[], sinceIso: string): Query {
  return {
    text: `
      WITH ins AS (
        INSERT INTO alarm_group_members (group_id, alarm_id, unit_id)
        SELECT g.id, a.id, a.unit_id FROM alarm_groups g JOIN alarms a ON ${MATCH[scope]}
         WHERE g.id = ANY($1::bigint[])
           AND (a.id = ANY($3::bigint[]) OR (g.id = ANY($2::bigint[]) AND a.opened_at > $4::timestamptz))
        ON CONFLICT DO NOTHING
        RETURNING group_id, alarm_id, unit_id),
      d AS (
        SELECT ins.group_id, count(*) AS n,
               count(DISTINCT ins.unit_id) FILTER (WHERE NOT EXISTS (
                 SELECT 1 FROM alarm_group_members m WHERE m.group_id = ins.group_id AND m.unit_id = ins.unit_id)) AS new_units,
               min(a.opened_at) AS first_at, max(a.opened_at) AS last_at
          FROM ins JOIN alarms a ON a.id = ins.alarm_id GROUP BY ins.group_id)
      UPDATE alarm_groups g SET member_count = g.member_count + d.n, unit_count = g.unit_count + d.new_units,
             started_at = CASE WHEN g.member_count = 0 THEN d.first_at ELSE LEAST(g.started_at, d.first_at) END,
             last_at = GREATEST(g.last_at, d.last_at)
        FROM d WHERE g.id = d.group_id
      RETURNING g.id`,
    values: [groupIds, freshIds, alarmIds, sinceIso],
  };
}

const GROUP_COLUMNS = `g.id, g.scope, g.alarm_kind, g.trigger_kind, g.region_adcode, r.name AS region_name, g.unit_id, u.name AS unit_name,
  g.started_at, g.last_at, g.unit_count, g.member_count, g.ended_at,
  (SELECT count(*) FROM alarm_group_members m JOIN alarms a ON a.id = m.alarm_id WHERE m.group_id = g.id AND a.state <> 'closed') AS open_count`;
const GROUP_FROM = `FROM alarm_groups g LEFT JOIN regions r ON r.adcode = g.region_adcode LEFT JOIN units u ON u.id = g.unit_id`;

export function groupsByIds(ids: number[]): Query {
  return { text: `SELECT ${GROUP_COLUMNS} ${GROUP_FROM} WHERE g.id = ANY($1::bigint[])`, values: [ids] };
}

/** Groups active now or with a member opened within `sinceIso`, in the caller's jurisdiction, newest first. */
export function listGroups(scope: Scope, sinceIso: string, limit: number): Query {
  const values: unknown[] = [sinceIso, limit];
  const pred = scopePredicate(scope, { region: 'g.region_adcode', unit: 'g.unit_id' }, values);
  return {
    text: `SELECT ${GROUP_COLUMNS} ${GROUP_FROM}
           WHERE (g.ended_at IS NULL OR g.last_at >= $1::timestamptz) AND ${pred}
           ORDER BY g.ended_at IS NOT NULL, g.last_at DESC, g.id DESC LIMIT $2`,
    values,
  };
}

export function groupById(id: number, scope: Scope): Query {
  const values: unknown[] = [id];
  const pred = scopePredicate(scope, { region: 'g.region_adcode', unit: 'g.unit_id' }, values);
  return { text: `SELECT ${GROUP_COLUMNS} ${GROUP_FROM} WHERE g.id = $1 AND ${pred}`, values };
}

/** Member alarm ids, not closed first, newest first. */
export function groupMemberIds(groupId: number, limit: number): Query {
  return {
    text: `SELECT a.id FROM alarm_group_members m JOIN alarms a ON a.id = m.alarm_id WHERE m.group_id = $1
           ORDER BY (a.state = 'closed'), a.opened_at DESC, a.id DESC LIMIT $2`,
    values: [groupId, limit],
  };
}

// ---------------------------------------------------------------------------------------
// Flapping

/**
 * For raise keys (unit, point, kind, cause): the latest alarm of that cause closed by its
 * clearing signal within the flap window (another cause at the same place is not a flap:
 * mains power back, then a bus fault, are two alarms).
 */
export function recentlyAutoClosed(keys: Array<{ unitId: number; pointId: number | null; kind: string; cause: string | null }>, sinceIso: string): Query {
  return {
    text: `SELECT DISTINCT ON (a.unit_id, COALESCE(a.point_id, 0), a.kind, a.trigger_kind) a.id, a.unit_id, a.point_id, a.kind, a.trigger_kind
             FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) AS k(unit_id, point_id, kind, cause)
             JOIN alarms a ON a.unit_id = k.unit_id AND COALESCE(a.point_id, 0) = COALESCE(k.point_id, 0) AND a.kind = k.kind
                          AND a.trigger_kind = k.cause
            WHERE a.state = 'closed' AND a.closed_by IS NULL AND a.closed_at > $5::timestamptz
            ORDER BY a.unit_id, COALESCE(a.point_id, 0), a.kind, a.trigger_kind, a.closed_at DESC`,
    values: [keys.map((k) => k.unitId), keys.map((k) => k.pointId), keys.map((k) => k.kind), keys.map((k) => k.cause), sinceIso],
  };
}

/**
 * Reopens auto-closed alarms whose point is back in alarm (distinct points, one statement):
 * open again (acknowledgement cleared: someone has to look again), flap count + 1, the new
 * events counted. Not one whose point has another open alarm meanwhile. Returns the ids reopened.
 */
export function reopenFlappingMany(rows: ReadonlyArray<{ alarmId: number; eventCount: number; lastEventId: number; lastSeenAt: string }>): Query {
  return {
    text: `UPDATE alarms a SET state = 'open', stage = 'open', closed_at = NULL, cleared_at = NULL,
                  acknowledged_at = NULL, acknowledged_by = NULL,
                  flap_count = a.flap_count + 1, event_count = a.event_count + r.event_count,
                  last_event_id = GREATEST(a.last_event_id, r.last_event_id), last_seen_at = GREATEST(a.last_seen_at, r.last_seen_at),
                  version = a.version + 1
             FROM unnest($1::bigint[], $2::int[], $3::bigint[], $4::timestamptz[]) AS r(id, event_count, last_event_id, last_seen_at)
            WHERE a.id = r.id AND a.state = 'closed'
              AND NOT EXISTS (SELECT 1 FROM alarms o WHERE o.unit_id = a.unit_id AND COALESCE(o.point_id, 0) = COALESCE(a.point_id, 0)
                                AND o.kind = a.kind AND o.state <> 'closed')
           RETURNING a.id`,
    values: [rows.map((r) => r.alarmId), rows.map((r) => r.eventCount), rows.map((r) => r.lastEventId), rows.map((r) => r.lastSeenAt)],
  };
}
