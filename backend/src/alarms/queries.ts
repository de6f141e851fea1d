// SQL of the alarm lifecycle. Every function returns {text, values}; values are always $n
// parameters. Scope predicates come from auth/scope.ts (the one enforcement point).
import type { AlarmListQuery, AlarmState } from '@firelink/common';
import { scopePredicate, type Scope } from '../auth/scope.ts';
import type { Query } from '../db/pool.ts';
import type { ClearAction, RaiseGroup } from './domain/rules.ts';

/** Columns of an alarm DTO row: the alarm, its unit and its point. Used with `FROM alarms a`. */
const ALARM_COLUMNS = `
  a.id, a.kind, a.priority, a.state, a.verdict, a.version, a.event_count,
  a.unit_id, u.name AS unit_name, u.address AS unit_address, u.building_id,
  a.device_id, a.point_id, p.label AS point_label, p.floor,
  a.region_adcode, ST_X(a.location) AS lon, ST_Y(a.location) AS lat,
  a.first_event_id, a.last_event_id, a.opened_at, a.last_seen_at, a.cleared_at, a.escalated_at,
  a.acknowledged_at, a.acknowledged_by, a.verified_at, a.verified_by,
  a.dispatched_at, a.dispatched_by, a.closed_at, a.closed_by, a.stage, a.cause, a.deadline_at, a.flap_count,
  CASE WHEN a.kind = 'host_offline' THEN (SELECT fe.payload->>'reason' FROM events fe WHERE fe.id = a.first_event_id) END AS reason`;
const ALARM_FROM = `FROM alarms a LEFT JOIN units u ON u.id = a.unit_id LEFT JOIN points p ON p.id = a.point_id`;

export function alarmsByIds(ids: number[]): Query {
  return { text: `SELECT ${ALARM_COLUMNS} ${ALARM_FROM} WHERE a.id = ANY($1::bigint[])`, values: [ids] };
}

export function alarmById(id: number, scope: Scope, opts: { forUpdate?: boolean } = {}): Query {
  const values: unknown[] = [id];
  const pred = scopePredicate(scope, { region: 'a.region_adcode', unit: 'a.unit_id' }, values);
  return {
    text: `SELECT ${ALARM_COLUMNS} ${ALARM_FROM} WHERE a.id = $1 AND ${pred}${opts.forUpdate ? ' FOR UPDATE OF a' : ''}`,
    values,
  };
}

/** Filters of the REST list and the WebSocket snapshot, composed into a WHERE clause. */
export interface AlarmFilter {
  states?: AlarmState[];
  kinds?: string[];
  regions?: number[];
  bbox?: readonly [number, number, number, number];
  minPriority?: number;
  from?: string;
  to?: string;
  unitId?: number;
}

function alarmWhere(scope: Scope, f: AlarmFilter, values: unknown[]): string {
  const where = [scopePredicate(scope, { region: 'a.region_adcode', unit: 'a.unit_id' }, values)];
  if (f.states?.length) {
    values.push(f.states);
    where.push(`a.state = ANY($${values.length}::text[])`);
  }
  if (f.kinds?.length) {
    values.push(f.kinds);
    where.push(`a.kind = ANY($${values.length}::text[])`);
  }
  if (f.regions?.length) {
    // The same hierarchy rule as jurisdiction: a city code covers its districts.
    where.push(scopePredicate({ kind: 'regions', adcodes: f.regions }, { region: 'a.region_adcode' }, values));
  }
  if (f.bbox) {
    values.push(...f.bbox);
    const n = values.length;
    where.push(`a.location && ST_MakeEnvelope($${n - 3}, $${n - 2}, $${n - 1}, $${n}, 4326)`);
  }
  if (f.minPriority != null) {
    values.push(f.minPriority);
    where.push(`a.priority <= $${values.length}`);
  }
  if (f.from) {
    values.push(f.from);
    where.push(`a.opened_at >= $${values.length}::timestamptz`);
  }
  if (f.to) {
    values.push(f.to);
    where.push(`a.opened_at < $${values.length}::timestamptz`);
  }
  if (f.unitId != null) {
    values.push(f.unitId);
    where.push(`a.unit_id = $${values.length}`);
  }
  return where.join(' AND ');
}

export function listAlarms(scope: Scope, f: AlarmFilter, page: { sort: AlarmListQuery['sort']; limit: number; offset: number }): Query {
  const values: unknown[] = [];
  const where = alarmWhere(scope, f, values);
  const order =
    page.sort === 'recent'
      ? 'a.opened_at DESC, a.id DESC'
      : "(a.state = 'closed'), a.priority, (a.escalated_at IS NULL), a.opened_at DESC, a.id DESC";
  values.push(page.limit, page.offset);
  return {
    text: `SELECT ${ALARM_COLUMNS}, count(*) OVER () AS total ${ALARM_FROM} WHERE ${where}
           ORDER BY ${order} LIMIT $${values.length - 1} OFFSET $${values.length}`,
    values,
  };
}

/** Open (not closed) alarms for a WebSocket snapshot, most urgent first. */
export function snapshotAlarms(scope: Scope, f: Omit<AlarmFilter, 'states'>, limit: number): Query {
  const values: unknown[] = [];
  const where = alarmWhere(scope, { ...f, states: ['open', 'acknowledged', 'verified', 'dispatched'] }, values);
  values.push(limit);
  return {
    text: `SELECT ${ALARM_COLUMNS} ${ALARM_FROM} WHERE ${where}
           ORDER BY a.priority, a.opened_at DESC, a.id DESC LIMIT $${values.length}`,
    values,
  };
}

// ---------------------------------------------------------------------------------------
// Pipeline: raise (insert or repeat) and clear

/**
 * Opens alarms or folds events into the open ones, for many raise groups in one statement (the
 * pipeline's bulk alarm stage). The partial unique index alarms_one_open_idx arbitrates
 * concurrent inserts: the loser updates instead. trigger_kind is the event kind that opened the
 * alarm (what storms group by); a raise while the alarm is marked cleared is a flap. The groups'
 * keys (unit, point, kind) must be distinct: one statement cannot update a row twice. Returns
 * each row's id, whether it was inserted, and its key to match it to its group.
 */
export function upsertAlarms(rows: ReadonlyArray<{ group: RaiseGroup; triggerKind: string | null }>): Query {
  const col = <T>(f: (r: { group: RaiseGroup; triggerKind: string | null }) => T) => rows.map(f);
  return {
    text: `
      INSERT INTO alarms (unit_id, point_id, device_id, kind, priority, event_count, first_event_id, last_event_id,
                          opened_at, last_seen_at, region_adcode, location, trigger_kind)
      SELECT i.unit_id, i.point_id, i.device_id, i.kind, i.priority, i.event_count, i.first_event_id, i.last_event_id,
             i.opened_at, i.last_seen_at,
             COALESCE(i.region_adcode, u.region_adcode),
             COALESCE((SELECT position FROM points WHERE id = i.point_id), u.point), i.trigger_kind
        FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::smallint[], $6::int[], $7::bigint[], $8::bigint[],
                    $9::timestamptz[], $10::timestamptz[], $11::int[], $12::text[]) WITH ORDINALITY
             AS i(unit_id, point_id, device_id, kind, priority, event_count, first_event_id, last_event_id,
                  opened_at, last_seen_at, region_adcode, trigger_kind, n)
        LEFT JOIN units u ON u.id = i.unit_id
       ORDER BY i.n
      ON CONFLICT (unit_id, (COALESCE(point_id, 0)), kind) WHERE state <> 'closed'
      DO UPDATE SET event_count = alarms.event_count + EXCLUDED.event_count,
                    flap_count = alarms.flap_count + CASE WHEN alarms.cleared_at IS NULL THEN 0 ELSE 1 END,
                    last_event_id = GREATEST(alarms.last_event_id, EXCLUDED.last_event_id),
                    last_seen_at = GREATEST(alarms.last_seen_at, EXCLUDED.last_seen_at),
                    device_id = COALESCE(alarms.device_id, EXCLUDED.device_id),
                    cleared_at = NULL,
                    version = alarms.version + 1
      RETURNING id, (xmax = 0) AS inserted, unit_id, point_id, kind`,
    values: [
      col((r) => r.group.unitId),
      col((r) => r.group.pointId),
      col((r) => r.group.deviceId),
      col((r) => r.group.alarmKind),
      col((r) => r.group.priority),
      col((r) => r.group.eventIds.length),
      col((r) => r.group.firstEventId),
      col((r) => r.group.lastEventId),
      col((r) => r.group.firstSeenAt),
      col((r) => r.group.lastSeenAt),
      col((r) => r.group.regionAdcode),
      col((r) => r.triggerKind),
    ],
  };
}

/** alarm_events links of many alarms in one statement: pairs (alarm id, event id). */
export function linkEventPairs(alarmIds: readonly number[], eventIds: readonly number[]): Query {
  return {
    text: `INSERT INTO alarm_events (alarm_id, event_id) SELECT a, e FROM unnest($1::bigint[], $2::bigint[]) AS p(a, e) ON CONFLICT DO NOTHING`,
    values: [alarmIds, eventIds],
  };
}

/**
 * Marks the alarms matching many clearings cleared, in one statement; closes those whose
 * kind:stage pair is in the clearing's closeIn, unless they flapped `flapHoldAt` times or more
 * (a flapping point stays one open alarm until an operator closes it). The clearings must name
 * distinct units (no alarm matched twice). Each returned row carries the clearing's event id and its index.
 */
export function clearAlarmsMany(clears: readonly ClearAction[], flapHoldAt = Number.MAX_SAFE_INTEGER): Query {
  const pairs = (c: ClearAction) => Object.entries(c.closeIn).flatMap(([kind, states]) => (states ?? []).map((s) => `${kind}:${s}`)).join(',');
  return {
    text: `
      WITH c AS (
        SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::timestamptz[], $6::text[], $7::bigint[]) WITH ORDINALITY
               AS c(unit_id, kinds, match, point_id, at, close_pairs, event_id, n)
      ), target AS (
        SELECT a.id, c.at, string_to_array(c.close_pairs, ',') AS close_pairs, c.event_id, c.n
          FROM c JOIN alarms a ON a.unit_id = c.unit_id AND a.kind = ANY(string_to_array(c.kinds, ',')) AND a.state <> 'closed'
                              AND (c.match = 'unit' OR COALESCE(a.point_id, 0) = COALESCE(c.point_id, 0))
         ORDER BY a.id FOR UPDATE OF a)
      UPDATE alarms a SET
        cleared_at = COALESCE(a.cleared_at, t.at),
        state = CASE WHEN (a.kind || ':' || a.stage) = ANY(t.close_pairs) AND a.flap_count < $8 THEN 'closed' ELSE a.state END,
        stage = CASE WHEN (a.kind || ':' || a.stage) = ANY(t.close_pairs) AND a.flap_count < $8 THEN 'closed' ELSE a.stage END,
        closed_at = CASE WHEN (a.kind || ':' || a.stage) = ANY(t.close_pairs) AND a.flap_count < $8 THEN t.at ELSE a.closed_at END,
        last_event_id = GREATEST(a.last_event_id, t.event_id),
        version = a.version + 1
      FROM target t WHERE a.id = t.id
      RETURNING a.id, a.state = 'closed' AS closed, a.unit_id, a.point_id, a.kind, a.trigger_kind, t.event_id, t.n`,
    values: [
      clears.map((c) => c.unitId),
      clears.map((c) => c.alarmKinds.join(',')),
      clears.map((c) => c.match),
      clears.map((c) => c.pointId),
      clears.map((c) => c.at),
      clears.map(pairs),
      clears.map((c) => c.eventId),
      Math.min(flapHoldAt, 2_147_483_647),
    ],
  };
}

/** System steps of many alarms, each with its own step name and note. */
export function insertSystemSteps(alarmIds: readonly number[], steps: readonly string[], notes: ReadonlyArray<string | null>): Query {
  return {
    text: `INSERT INTO alarm_steps (alarm_id, step, actor_name, note) SELECT a, s, 'system', n FROM unnest($1::bigint[], $2::text[], $3::text[]) AS x(a, s, n)`,
    values: [alarmIds, steps, notes],
  };
}

/** System audit rows of many alarms, each with its own `after`. */
export function auditSystemRows(action: string, alarmIds: readonly number[], afters: readonly unknown[]): Query {
  return {
    text: `INSERT INTO audit_log (actor_id, actor_name, ip, action, entity, entity_id, before, after)
           SELECT NULL, 'system', NULL, $1, 'alarm', a::text, NULL, x FROM unnest($2::bigint[], $3::jsonb[]) AS r(a, x)`,
    values: [action, alarmIds, afters.map((a) => JSON.stringify(a))],
  };
}

export function insertStep(
  alarmId: number,
  step: string,
  actor: { userId: number | null; username: string } | null,
  note: string | null,
  detail: Record<string, unknown> | null = null,
): Query {
  return {
    text: `INSERT INTO alarm_steps (alarm_id, step, actor_id, actor_name, note, detail) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
    values: [alarmId, step, actor?.userId ?? null, actor?.username ?? 'system', note, detail ? JSON.stringify(detail) : null],
  };
}

export function insertCall(
  alarmId: number,
  stepId: number,
  call: { number: string; answeredBy: string; outcome: string; durationS: number },
  actor: { userId: number | null; username: string },
): Query {
  return {
    text: `INSERT INTO alarm_calls (alarm_id, step_id, number, answered_by, outcome, duration_s, actor_id, actor_name)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
    values: [alarmId, stepId, call.number, call.answeredBy, call.outcome, call.durationS, actor.userId, actor.username],
  };
}

export function alarmCalls(alarmId: number): Query {
  return {
    text: `SELECT id, number, answered_by, outcome, duration_s, actor_name, at FROM alarm_calls WHERE alarm_id = $1 ORDER BY at, id`,
    values: [alarmId],
  };
}

/** The fault type of a fault alarm: the kind of the event that raised it (fault, mains_power_fault…). */
export function faultTypeOf(alarmId: number): Query {
  return {
    text: `SELECT e.kind FROM alarms a JOIN events e ON e.id = a.first_event_id WHERE a.id = $1`,
    values: [alarmId],
  };
}

/** False alarms (verdict false_alarm) opened in [from, to), by cause, in the caller's scope. */
export function falseAlarmsByCause(scope: Scope, from: string | undefined, to: string | undefined): Query {
  const values: unknown[] = [];
  const where = [scopePredicate(scope, { region: 'a.region_adcode', unit: 'a.unit_id' }, values), `a.verdict = 'false_alarm'`];
  if (from) {
    values.push(from);
    where.push(`a.opened_at >= $${values.length}::timestamptz`);
  }
  if (to) {
    values.push(to);
    where.push(`a.opened_at < $${values.length}::timestamptz`);
  }
  return {
    text: `SELECT a.cause, count(*)::int AS n FROM alarms a WHERE ${where.join(' AND ')} GROUP BY a.cause ORDER BY n DESC, a.cause NULLS LAST`,
    values,
  };
}

/** One step row per alarm (system actor), for batches. */
export function insertSteps(alarmIds: number[], step: string, note: string | null): Query {
  return {
    text: `INSERT INTO alarm_steps (alarm_id, step, actor_name, note) SELECT a, $2, 'system', $3 FROM unnest($1::bigint[]) a`,
    values: [alarmIds, step, note],
  };
}

// ---------------------------------------------------------------------------------------
// Escalation

/** Unacknowledged fire alarms older than the threshold at `now` get escalated_at. */
export function escalateDue(nowIso: string, afterS: number): Query {
  return {
    text: `UPDATE alarms SET escalated_at = $1::timestamptz, version = version + 1
            WHERE kind = 'fire' AND state = 'open' AND escalated_at IS NULL
              AND opened_at <= $1::timestamptz - make_interval(secs => $2)
            RETURNING id`,
    values: [nowIso, afterS],
  };
}

// ---------------------------------------------------------------------------------------
// Operator transitions

/** Timestamp columns a step sets (who and when), besides its alarm_steps row. */
export type StepColumn = 'acknowledged' | 'verified' | 'dispatched' | 'closed';

export function applyStep(p: {
  id: number;
  stage: string;
  state: AlarmState;
  verdict: string | null;
  cause: string | null;
  deadlineAt: string | null;
  userId: number | null;
  column: StepColumn | null;
}): Query {
  // The step's own timestamp column (a call or a cause has none); $7 only when it is set.
  const stamp = p.column ? `, ${p.column}_at = now(), ${p.column}_by = $7` : '';
  return {
    text: `UPDATE alarms SET stage = $2, state = $3, verdict = COALESCE($4, verdict), cause = COALESCE($5, cause),
                  deadline_at = COALESCE($6::timestamptz, deadline_at), version = version + 1${stamp}
            WHERE id = $1 RETURNING id`,
    values: [p.id, p.stage, p.state, p.verdict, p.cause, p.deadlineAt, ...(p.column ? [p.userId] : [])],
  };
}

export function alarmSteps(alarmId: number): Query {
  return {
    text: `SELECT id, step, actor_id, actor_name, at, note, detail FROM alarm_steps WHERE alarm_id = $1 ORDER BY at, id`,
    values: [alarmId],
  };
}

export function alarmTimeline(alarmId: number, limit: number): Query {
  return {
    text: `SELECT e.id, e.kind, e.source, e.device_id, e.device_address, e.unit_id, u.name AS unit_name, u.building_id,
                  e.point_id, p.label AS point_label, p.floor, e.region_adcode, e.h3_r9, e.system_type, e.system_address,
                  e.component_type, e.component_address, e.description, e.value, e.device_time, e.received_at,
                  ST_X(COALESCE(p.position, u.point)) AS lon, ST_Y(COALESCE(p.position, u.point)) AS lat
             FROM alarm_events ae JOIN events e ON e.id = ae.event_id
             LEFT JOIN units u ON u.id = e.unit_id LEFT JOIN points p ON p.id = e.point_id
            WHERE ae.alarm_id = $1 ORDER BY e.id DESC LIMIT $2`,
    values: [alarmId, limit],
  };
}

export function alarmForwards(alarmId: number): Query {
  return {
    text: `SELECT id, status, attempts, last_error, created_at, sent_at FROM outbox
            WHERE ref_entity = 'alarm' AND ref_id = $1 AND channel = 'forward_119' ORDER BY id`,
    values: [String(alarmId)],
  };
}

export function enqueueForward(alarmId: number, payload: unknown, recipient: string | null): Query {
  return {
    text: `INSERT INTO outbox (channel, recipient, payload, ref_entity, ref_id) VALUES ('forward_119', $1, $2, 'alarm', $3) RETURNING id`,
    values: [recipient, JSON.stringify(payload), String(alarmId)],
  };
}

/** Audit rows of one system action on many alarms (same columns recordAudit writes), one statement. */
export function auditSystemBatch(action: string, alarmIds: number[]): Query {
  return {
    text: `INSERT INTO audit_log (actor_id, actor_name, ip, action, entity, entity_id, before, after)
           SELECT NULL, 'system', NULL, $1, 'alarm', a::text, NULL, NULL FROM unnest($2::bigint[]) a`,
    values: [action, alarmIds],
  };
}

/**
 * Alarms changed within the last `minutes` whose current version no stream message carries
 * (a process stopped between an alarm's COMMIT and its broadcast), oldest first, with
 * whether any message of the alarm is in that window. Run once at start.
 */
export function alarmsOffStream(minutes: number, limit: number): Query {
  return {
    text: `WITH recent AS (
             SELECT a.id, a.version FROM alarms a
              WHERE GREATEST(a.opened_at, a.last_seen_at, a.cleared_at, a.escalated_at, a.acknowledged_at,
                             a.verified_at, a.dispatched_at, a.closed_at) > now() - make_interval(mins => $1)
           ), sent AS (
             SELECT (s.payload->'alarm'->>'id')::bigint AS id, max((s.payload->'alarm'->>'version')::int) AS version
               FROM stream_log s
              WHERE s.at > now() - make_interval(mins => $1 + 10) AND s.type IN ('alarm_opened', 'alarm_updated', 'alarm_closed')
              GROUP BY 1
           )
           SELECT r.id, s.id IS NOT NULL AS announced FROM recent r LEFT JOIN sent s ON s.id = r.id
            WHERE s.version IS NULL OR s.version < r.version
            ORDER BY r.id LIMIT $2`,
    values: [minutes, limit],
  };
}
