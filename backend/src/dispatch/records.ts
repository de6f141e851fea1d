// Station status and dispatch records. Every change writes the audit log in the same
// transaction; callers pass a client inside withTransaction.
import type pg from 'pg';
import { recordAudit } from '../audit/audit.ts';
import { scopeAllows, type Principal, type Scope } from '../auth/scope.ts';
import { DomainError, badRequest, conflict, notFound } from '../kernel/errors.ts';
import {
  alarmForDispatchQuery,
  insertDispatchQuery,
  lockDispatchQuery,
  lockStationsQuery,
  openDispatchCountQuery,
  releaseDispatchQuery,
  setStationStatusQuery,
} from './queries.ts';
import { notifyQuery } from './notify.ts';
import { suggestStations, type StationStatus } from './suggest.ts';
import { assertPointInScope } from './point-scope.ts';

export interface Actor {
  principal: Pick<Principal, 'userId' | 'username'> & { scope: Scope };
  ip?: string | null;
}

export interface DispatchRecord {
  id: number;
  alarmId: number | null;
  stationId: number;
  stationName?: string;
  etaSeconds: number | null;
  method: string | null;
  distanceMeters: number | null;
  at: string;
  byUser: number | null;
  note: string | null;
  releasedAt: string | null;
}

export function toDispatchRecord(r: pg.QueryResultRow): DispatchRecord {
  return {
    id: Number(r.id),
    alarmId: r.alarm_id == null ? null : Number(r.alarm_id),
    stationId: Number(r.station_id),
    ...(r.station_name ? { stationName: r.station_name } : {}),
    etaSeconds: r.eta_s,
    method: r.method,
    distanceMeters: r.distance_m,
    at: new Date(r.at).toISOString(),
    byUser: r.by_user == null ? null : Number(r.by_user),
    note: r.note,
    releasedAt: r.released_at ? new Date(r.released_at).toISOString() : null,
  };
}

/** Sets a locked station's status and audits the change, in the caller's transaction. */
async function changeStationStatus(
  c: pg.ClientBase,
  actor: Actor,
  stationId: number,
  from: string,
  to: StationStatus,
  detail: Record<string, unknown> = {},
): Promise<pg.QueryResultRow> {
  const r = (await c.query(setStationStatusQuery(stationId, to))).rows[0];
  await recordAudit(c, {
    actor: actor.principal,
    ip: actor.ip,
    action: 'station.status',
    entity: 'station',
    entityId: stationId,
    before: { status: from },
    after: { status: to, ...detail },
  });
  await c.query(notifyQuery({ kind: 'station', id: stationId }));
  return r;
}

export async function setStationStatus(
  c: pg.ClientBase,
  actor: Actor,
  stationId: number,
  status: StationStatus,
  note?: string,
): Promise<{ id: number; name: string; status: StationStatus; statusChangedAt: string }> {
  const locked = (await c.query(lockStationsQuery([stationId], actor.principal.scope))).rows[0];
  if (!locked) throw notFound(`station ${stationId} does not exist or is outside your jurisdiction`);
  const r = await changeStationStatus(c, actor, stationId, locked.status, status, note ? { note } : {});
  return { id: Number(r.id), name: r.name, status: r.status, statusChangedAt: new Date(r.status_changed_at).toISOString() };
}

export interface RecordDispatchInput {
  alarmId?: number | null;
  stationIds: number[];
  /** When the order went out; default now. */
  at?: Date | null;
  note?: string | null;
  /** Where to (when there is no alarm, or to override the alarm's location). */
  lon?: number | null;
  lat?: number | null;
  /** Send a station that is already dispatched (a second call-out). Out of service never. */
  allowBusy?: boolean;
}

/**
 * Records that stations were sent: one dispatches row per station (with its ETA, method
 * and route distance from the incident location at that moment), each station's status
 * set to 'dispatched', audit entries. LIVE's POST /api/alarms/:id/dispatch can call this
 * inside its own transaction.
 */
/** A dispatch's time may lie this far ahead of the server's clock (a dispatcher's clock skew)… */
const DISPATCH_AT_AHEAD_MS = 5 * 60_000;
/** …and this far back (an order entered after the fact, e.g. from the paper log of a radio call-out). */
const DISPATCH_AT_BACK_MS = 24 * 3600_000;

/**
 * Refuses a dispatch time the station figures could not hold: in the future, more than a day
 * back, or before its alarm opened (turnout is measured from it; one such record made a
 * station's median turnout negative).
 */
export function checkDispatchTime(at: Date, now: Date, alarmOpenedAt: Date | null): void {
  const fmt = (d: Date) => d.toISOString();
  if (at.getTime() > now.getTime() + DISPATCH_AT_AHEAD_MS) {
    throw badRequest(`at: ${fmt(at)} is in the future; leave it out to record the dispatch now`);
  }
  if (at.getTime() < now.getTime() - DISPATCH_AT_BACK_MS) {
    throw badRequest(`at: ${fmt(at)} is more than a day ago; a dispatch is recorded within a day of the order`);
  }
  if (alarmOpenedAt && at.getTime() < alarmOpenedAt.getTime()) {
    throw badRequest(`at: ${fmt(at)} is before the alarm opened (${fmt(alarmOpenedAt)}); a dispatch for it goes out after that`);
  }
}

export async function recordDispatch(c: pg.ClientBase, actor: Actor, input: RecordDispatchInput): Promise<DispatchRecord[]> {
  const stationIds = [...new Set(input.stationIds)].sort((a, b) => a - b);
  if (stationIds.length === 0) throw new DomainError('invalid', 'invalid_request', 'stationIds: name at least one station to dispatch');
  let lon = input.lon ?? null;
  let lat = input.lat ?? null;
  // A place given explicitly is one the caller may see, as for the suggestions.
  if (lon != null && lat != null) await assertPointInScope(c, actor.principal, lon, lat, 'dispatches to a place');
  const alarmId = input.alarmId ?? null;
  let alarmOpenedAt: Date | null = null;
  if (alarmId != null) {
    const a = (await c.query(alarmForDispatchQuery(alarmId, actor.principal.scope))).rows[0];
    if (!a) throw notFound(`alarm ${alarmId} does not exist or is outside your jurisdiction`);
    if (a.state === 'closed') throw conflict(`alarm ${alarmId} is closed; reopen it or record the dispatch without an alarm`);
    alarmOpenedAt = a.opened_at as Date;
    if (lon == null && a.lon != null) {
      lon = a.lon;
      lat = a.lat;
    }
  }
  if (input.at) checkDispatchTime(input.at, new Date(), alarmOpenedAt);
  // Mutual aid: for an alarm in the caller's jurisdiction any station may be sent (the
  // nearest one is often across a district line, and the suggestions offer it); the audit
  // marks it. Without an alarm, only the caller's own stations.
  const stationScope: Scope = alarmId != null ? { kind: 'all' } : actor.principal.scope;
  const locked = (await c.query(lockStationsQuery(stationIds, stationScope))).rows;
  const missing = stationIds.filter((id) => !locked.some((s) => Number(s.id) === id));
  if (missing.length > 0) {
    throw notFound(
      alarmId != null
        ? `station(s) ${missing.join(', ')} do not exist`
        : `station(s) ${missing.join(', ')} do not exist or are outside your jurisdiction (another district's station can be sent for an alarm: pass alarmId)`,
    );
  }
  for (const s of locked) {
    if (s.status === 'out_of_service') {
      throw conflict(`station ${s.id} (${s.name}) is out of service; set it available first or choose another station`, { stationId: Number(s.id) });
    }
    if (s.status === 'dispatched' && !input.allowBusy) {
      throw conflict(`station ${s.id} (${s.name}) is already dispatched; release it first or send allowBusy: true`, { stationId: Number(s.id) });
    }
  }
  const eta = new Map<number, { etaSeconds: number; method: string; distanceMeters: number }>();
  if (lon != null && lat != null) {
    const r = await suggestStations(c, { lon, lat, k: stationIds.length, includeUnavailable: true, stationIds });
    for (const s of r.suggestions) eta.set(s.stationId, s);
  }
  const out: DispatchRecord[] = [];
  for (const s of locked) {
    const id = Number(s.id);
    const e = eta.get(id);
    const row = (
      await c.query(
        insertDispatchQuery({
          alarmId,
          stationId: id,
          etaS: e?.etaSeconds ?? null,
          method: e?.method ?? null,
          distanceM: e?.distanceMeters ?? null,
          at: input.at ?? null,
          byUser: actor.principal.userId,
          note: input.note ?? null,
          lon,
          lat,
        }),
      )
    ).rows[0];
    const rec = toDispatchRecord(row);
    await recordAudit(c, {
      actor: actor.principal,
      ip: actor.ip,
      action: 'dispatch.record',
      entity: 'dispatch',
      entityId: rec.id,
      after: scopeAllows(actor.principal.scope, { regionAdcode: s.region_adcode == null ? null : Number(s.region_adcode) }) ? rec : { ...rec, mutualAid: true },
    });
    await changeStationStatus(c, actor, id, s.status, 'dispatched', { dispatchId: rec.id });
    await c.query(notifyQuery({ kind: 'dispatch', id: rec.id }));
    out.push(rec);
  }
  return out;
}

/** The station is back: closes the record; the station is available again once it has no open dispatch. */
export async function releaseDispatch(c: pg.ClientBase, actor: Actor, dispatchId: number): Promise<DispatchRecord & { stationStatus: StationStatus }> {
  const d = (await c.query(lockDispatchQuery(dispatchId, actor.principal.scope))).rows[0];
  if (!d) throw notFound(`dispatch ${dispatchId} does not exist or is outside your jurisdiction`);
  if (d.released_at) throw conflict(`dispatch ${dispatchId} was already released at ${new Date(d.released_at).toISOString()}`);
  const stationId = Number(d.station_id);
  const st = (await c.query(lockStationsQuery([stationId], { kind: 'all' }))).rows[0];
  await c.query(releaseDispatchQuery(dispatchId, actor.principal.userId));
  const open = (await c.query(openDispatchCountQuery(stationId))).rows[0].n as number;
  let stationStatus = st.status as StationStatus;
  if (open === 0 && st.status === 'dispatched') {
    await changeStationStatus(c, actor, stationId, st.status, 'available', { releasedDispatchId: dispatchId });
    stationStatus = 'available';
  }
  const released = (await c.query(lockDispatchQuery(dispatchId, { kind: 'all' }))).rows[0];
  const rec = toDispatchRecord(released);
  await recordAudit(c, { actor: actor.principal, ip: actor.ip, action: 'dispatch.release', entity: 'dispatch', entityId: dispatchId, before: toDispatchRecord(d), after: rec });
  await c.query(notifyQuery({ kind: 'dispatch', id: dispatchId }));
  return { ...rec, stationStatus };
}
