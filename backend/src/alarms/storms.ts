// Alarm storms inside the alarm transaction (grouping of the batch's new alarms), the storm
// DTOs and their stream messages. Thresholds: domain/storms.ts.
import { ALARM_PRIORITY, stormGroupSchema, stormMessageSchema, type AlarmKind, type StormGroup } from '@firelink/common';
import type pg from 'pg';
import type { StreamRow } from '../live/queries.ts';
import type { StormPolicy } from './domain/storms.ts';
import * as sq from './storm-queries.ts';

type Row = Record<string, unknown>;

/**
 * Groups the alarms opened (or reopened) in this batch: joins them to their active groups,
 * creates the groups whose threshold they cross. Returns the ids of the groups that changed.
 */
export async function groupStorms(c: pg.PoolClient, openedIds: number[], policy: StormPolicy, nowMs: number): Promise<number[]> {
  if (openedIds.length === 0) return [];
  const nowIso = new Date(nowMs).toISOString();
  const sinceIso = new Date(nowMs - policy.windowS * 1000).toISOString();
  await c.query(sq.endQuietGroups(nowIso, policy.quietS));
  const touched: number[] = [];
  for (const scope of ['area', 'unit'] as const) {
    const min = scope === 'area' ? policy.areaMinUnits : policy.unitMinAlarms;
    const cand = (await c.query(sq.stormCandidates(scope, openedIds, sinceIso))).rows;
    const active = cand.filter((r) => r.group_id != null).map((r) => Number(r.group_id));
    const due = cand
      .filter((r) => r.group_id == null && Number(r.n) >= min)
      .map((r) => ({ triggerKind: String(r.trigger_kind), place: Number(r.place), alarmKind: String(r.alarm_kind), regionAdcode: r.region_adcode == null ? null : Number(r.region_adcode) }));
    const fresh = due.length ? (await c.query(sq.createGroups(scope, due, nowIso))).rows.map((r) => Number(r.id)) : [];
    const ids = [...active, ...fresh];
    if (ids.length === 0) continue;
    const r = await c.query(sq.addMembers(scope, ids, fresh, openedIds, sinceIso));
    touched.push(...r.rows.map((x) => Number(x.id)));
  }
  return touched;
}

const iso = (v: unknown): string | null => (v == null ? null : (v as Date).toISOString());

export function stormFromRow(r: Row): StormGroup {
  return stormGroupSchema.parse({
    id: Number(r.id),
    scope: r.scope,
    alarmKind: r.alarm_kind,
    cause: r.trigger_kind,
    regionAdcode: r.region_adcode == null ? null : Number(r.region_adcode),
    regionName: (r.region_name as string | null) ?? null,
    unitId: r.unit_id == null ? null : Number(r.unit_id),
    unitName: (r.unit_name as string | null) ?? null,
    startedAt: iso(r.started_at),
    lastAt: iso(r.last_at),
    units: Number(r.unit_count),
    members: Number(r.member_count),
    open: Number(r.open_count),
    endedAt: iso(r.ended_at),
  });
}

/** The `storm` stream message of a group; filters see its alarm kind, priority, district and (unit scope) unit. */
export function stormRow(group: StormGroup, at: string): StreamRow {
  const payload: Record<string, unknown> = stormMessageSchema.parse({ type: 'storm', id: 0, at, group });
  delete payload.id;
  return {
    type: 'storm',
    meta: {
      kind: group.alarmKind,
      priority: ALARM_PRIORITY[group.alarmKind as AlarmKind],
      regionAdcode: group.regionAdcode,
      unitId: group.unitId,
      lonLatWgs84: null,
    },
    payload,
  };
}
