// Alarm lifecycle: the pipeline's raise/clear (one transaction per batch), escalation of
// unacknowledged fires, operator steps of each kind's procedure with optimistic
// concurrency, reads.
// Every change is broadcast on the live stream after its transaction commits.
import {
  checkStep,
  PG_ERROR,
  stageOf,
  STEP_RECORD_NAME,
  type AlarmDetail,
  type AlarmDto,
  type AlarmListQuery,
  type AlarmListResponse,
  type AlarmStepBody,
  type ProcedureStepId,
  type StoredEvent,
  type StormGroup,
} from '@firelink/common';
import type pg from 'pg';
import { recordAudit } from '../audit/audit.ts';
import { requireRegionFilter, requireUnitInScope, scopeAllows, type Principal } from '../auth/scope.ts';
import { withTransaction } from '../db/pool.ts';
import { recordDispatch, type DispatchRecord } from '../dispatch/records.ts';
import { conflict, notFound } from '../kernel/errors.ts';
import type { Logger } from '../logger.ts';
import type { StreamRow } from '../live/queries.ts';

/** Hands the messages of committed alarm changes to the live stream (the composition passes the hub's publish). */
export type PublishChanges = (rows: StreamRow[]) => Promise<unknown>;
import { alarmRow, type AlarmChange } from '../live/messages.ts';
import { independentRuns, planAlarmWork, type ClearAction, type PlannedStep, type RaiseGroup } from './domain/rules.ts';
import { catchUpChange } from './domain/catch-up.ts';
import { DEFAULT_STORM_POLICY, type StormPolicy } from './domain/storms.ts';
import { alarmFromRow, callFromRow, eventFromRow, stepFromRow } from './dto.ts';
import * as q from './queries.ts';
import * as sq from './storm-queries.ts';
import { groupStorms, stormFromRow, stormRow } from './storms.ts';

export interface AlarmServiceOptions {
  /** Seconds an unacknowledged fire alarm waits before it escalates. */
  escalateAfterS: number;
  /** Injectable clock (ms since epoch) for escalation and default deadlines. */
  now: () => number;
  /** Where verified fires go; recorded as the outbox recipient. */
  forward119Url: string | null;
  /** Called after a verified fire is queued for 119 (the forwarder sends at once). */
  onForwardQueued?: () => void;
  /** Whether a 119 forwarder runs (default: forward119Url is set); false = queued, never sent. */
  forwardingConfigured?: boolean;
  /**
   * Nearest stations for the alarm detail, when DISPATCH provides them; null = unavailable.
   * Failures are logged and shown as null, never fail the detail.
   */
  nearestStations?: (alarm: AlarmDto) => Promise<AlarmDetail['nearestStations']>;
  /** Storm grouping and flap damping (domain/storms.ts); defaults DEFAULT_STORM_POLICY. */
  storm?: Partial<StormPolicy>;
  /**
   * Scale-out (cluster/roles.ts, table processed_events): run first in applyEvents' transaction, records the
   * events as processed and returns those not processed before; only they are applied, so a
   * redelivered event never counts twice. Unset (single process): every event is applied.
   */
  claimEvents?: (c: pg.PoolClient, events: readonly StoredEvent[]) => Promise<readonly StoredEvent[]>;
}

/** A committed change: of an alarm, or of a storm group (its members grew). */
export type ChangeRecord = { alarmId: number; change: AlarmChange } | { stormGroupId: number };

// A unique violation: another transaction opened the point's alarm while this one reopened it.
const TRANSIENT = new Set<string>([PG_ERROR.serializationFailure, PG_ERROR.deadlockDetected, PG_ERROR.uniqueViolation]);
/** Storm messages of one group at most this often; the latest state follows after it, ms. */
const STORM_MESSAGE_EVERY_MS = 1000;
const keyOf = (unitId: number, pointId: number | null, kind: string, cause: string | null) => `${unitId}:${pointId ?? 0}:${kind}:${cause ?? ''}`;

export class AlarmService {
  readonly storm: StormPolicy;
  private stormSentAt = new Map<number, number>();
  private stormLater = new Set<number>();
  private stormTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly publish: PublishChanges,
    private readonly logger: Logger,
    private readonly opts: AlarmServiceOptions,
  ) {
    this.storm = { ...DEFAULT_STORM_POLICY, ...opts.storm };
  }

  /**
   * Applies the alarm rules to committed events, in one transaction (retried on deadlock):
   * opens, repeats and clears alarms, reopens flapping ones (domain/storms.ts) and groups the
   * new alarms into storms.
   */
  async applyEvents(events: readonly StoredEvent[]): Promise<ChangeRecord[]> {
    const claim = this.opts.claimEvents;
    if (!claim && planAlarmWork(events).length === 0) return [];
    const nowMs = this.opts.now();
    for (let attempt = 1; ; attempt++) {
      try {
        return await withTransaction(this.pool, async (c) => {
          // Scale-out: only the events this transaction claims (first delivery) are applied.
          const fresh = claim ? await claim(c, events) : events;
          const steps = planAlarmWork(fresh);
          if (steps.length === 0) return [];
          const kindOf = new Map(fresh.map((e) => [e.id, e.kind]));
          const raises = steps.flatMap((s) => (s.type === 'raise' && s.group.alarmKind !== 'fire' ? [s.group] : []));
          const changes: ChangeRecord[] = [];
          const opened: number[] = [];
          const reopened: number[] = [];
          // Auto-closed alarms of these points within the flap window: candidates to reopen.
          const flapping = new Map<string, number>();
          if (raises.length) {
            const since = new Date(nowMs - this.storm.flapWindowS * 1000).toISOString();
            const keys = raises.map((g) => ({ unitId: g.unitId, pointId: g.pointId, kind: g.alarmKind, cause: kindOf.get(g.firstEventId) ?? null }));
            for (const r of (await c.query(sq.recentlyAutoClosed(keys, since))).rows) {
              flapping.set(keyOf(Number(r.unit_id), r.point_id == null ? null : Number(r.point_id), String(r.kind), r.trigger_kind), Number(r.id));
            }
          }
          for (const run of independentRuns(steps)) await this.applyRun(c, run, kindOf, flapping, changes, opened, reopened);
          if (opened.length) {
            await c.query(q.insertSteps(opened, 'opened', null));
            await c.query(q.auditSystemBatch('alarm.open', opened));
          }
          if (reopened.length) {
            await c.query(q.insertSteps(reopened, 'reopened', 'back in alarm soon after its clearing (flapping)'));
            await c.query(q.auditSystemBatch('alarm.reopen', reopened));
          }
          const groups = await groupStorms(c, [...opened, ...reopened], this.storm, nowMs);
          for (const g of groups) changes.push({ stormGroupId: g });
          return changes;
        });
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (attempt < 3 && code && TRANSIENT.has(code)) continue;
        throw err;
      }
    }
  }

  /**
   * One run of independent steps (domain independentRuns): flapping points' alarms reopened in
   * one update, every other raise in one upsert, every clearing in one update, and their links, steps
   * and audit rows in one statement each. Changes are recorded in the steps' order.
   */
  private async applyRun(
    c: pg.PoolClient,
    run: readonly PlannedStep[],
    kindOf: ReadonlyMap<number, string>,
    flapping: Map<string, number>,
    changes: ChangeRecord[],
    opened: number[],
    reopened: number[],
  ): Promise<void> {
    const raiseKey = (unitId: number, pointId: number | null, kind: string) => `${unitId}|${pointId ?? 0}|${kind}`;
    const reopenedBy = new Map<RaiseGroup, number>();
    const upserts: Array<{ group: RaiseGroup; triggerKind: string | null }> = [];
    const clears: ClearAction[] = [];
    const candidates: Array<{ group: RaiseGroup; alarmId: number }> = [];
    for (const s of run) {
      if (s.type === 'clear') {
        clears.push(s.clear);
        continue;
      }
      const key = keyOf(s.group.unitId, s.group.pointId, s.group.alarmKind, kindOf.get(s.group.firstEventId) ?? null);
      const alarmId = flapping.get(key);
      if (alarmId === undefined) continue;
      flapping.delete(key);
      candidates.push({ group: s.group, alarmId });
    }
    if (candidates.length) {
      const rows = candidates.map((x) => ({ alarmId: x.alarmId, eventCount: x.group.eventIds.length, lastEventId: x.group.lastEventId, lastSeenAt: x.group.lastSeenAt }));
      const done = new Set((await c.query(sq.reopenFlappingMany(rows))).rows.map((r) => Number(r.id)));
      for (const x of candidates) if (done.has(x.alarmId)) reopenedBy.set(x.group, x.alarmId);
    }
    for (const s of run) {
      if (s.type === 'raise' && !reopenedBy.has(s.group)) upserts.push({ group: s.group, triggerKind: kindOf.get(s.group.firstEventId) ?? null });
    }
    const upserted = new Map<string, { id: number; inserted: boolean }>();
    const linkAlarms: number[] = [];
    const linkEvents: number[] = [];
    if (upserts.length) {
      for (const row of (await c.query(q.upsertAlarms(upserts))).rows) {
        upserted.set(raiseKey(Number(row.unit_id), row.point_id == null ? null : Number(row.point_id), String(row.kind)), { id: Number(row.id), inserted: row.inserted });
      }
    }
    for (const [group, alarmId] of reopenedBy) {
      for (const e of group.eventIds) {
        linkAlarms.push(alarmId);
        linkEvents.push(e);
      }
    }
    for (const u of upserts) {
      const r = upserted.get(raiseKey(u.group.unitId, u.group.pointId, u.group.alarmKind));
      if (!r) throw new Error(`alarm upsert returned no row for ${u.group.key}`);
      for (const e of u.group.eventIds) {
        linkAlarms.push(r.id);
        linkEvents.push(e);
      }
    }
    const cleared = new Map<number, Array<{ id: number; closed: boolean }>>();
    if (clears.length) {
      const rows = (await c.query(q.clearAlarmsMany(clears, this.storm.flapHoldAt))).rows.sort((a, b) => Number(a.n) - Number(b.n) || Number(a.id) - Number(b.id));
      const closedIds: number[] = [];
      const closedAfters: unknown[] = [];
      const stepIds: number[] = [];
      const stepNames: string[] = [];
      const stepNotes: string[] = [];
      for (const row of rows) {
        const alarmId = Number(row.id);
        const eventId = Number(row.event_id);
        const clearIndex = Number(row.n) - 1;
        (cleared.get(clearIndex) ?? cleared.set(clearIndex, []).get(clearIndex)!).push({ id: alarmId, closed: row.closed });
        linkAlarms.push(alarmId);
        linkEvents.push(eventId);
        stepIds.push(alarmId);
        stepNames.push(row.closed ? 'auto_closed' : 'cleared');
        stepNotes.push(`event ${eventId}`);
        if (row.closed) {
          closedIds.push(alarmId);
          closedAfters.push({ eventId });
          // Back in alarm in a later run of this batch: reopen it (flapping).
          if (row.kind !== 'fire') flapping.set(keyOf(Number(row.unit_id), row.point_id == null ? null : Number(row.point_id), String(row.kind), row.trigger_kind ?? null), alarmId);
        }
      }
      if (stepIds.length) await c.query(q.insertSystemSteps(stepIds, stepNames, stepNotes));
      if (closedIds.length) await c.query(q.auditSystemRows('alarm.auto_close', closedIds, closedAfters));
    }
    if (linkAlarms.length) await c.query(q.linkEventPairs(linkAlarms, linkEvents));
    let clearIndex = 0;
    for (const s of run) {
      if (s.type === 'clear') {
        for (const r of cleared.get(clearIndex++) ?? []) {
          changes.push({ alarmId: r.id, change: r.closed ? { type: 'alarm_closed', reason: 'auto_closed' } : { type: 'alarm_updated', reason: 'cleared' } });
        }
        continue;
      }
      const reopenedId = reopenedBy.get(s.group);
      if (reopenedId !== undefined) {
        reopened.push(reopenedId);
        changes.push({ alarmId: reopenedId, change: { type: 'alarm_opened' } });
        continue;
      }
      const r = upserted.get(raiseKey(s.group.unitId, s.group.pointId, s.group.alarmKind))!;
      if (r.inserted) opened.push(r.id);
      changes.push({ alarmId: r.id, change: r.inserted ? { type: 'alarm_opened' } : { type: 'alarm_updated', reason: 'repeat' } });
    }
  }

  /**
   * Start-up catch-up of the stream: alarms changed in the last `windowMinutes` whose current
   * version no stream message carries (the process stopped between COMMIT and broadcast) are
   * broadcast now in their current state. Returns how many.
   */
  async republishOffStream(windowMinutes = 60): Promise<number> {
    const missing = (await this.pool.query(q.alarmsOffStream(windowMinutes, 10_000))).rows.map((r) => ({ id: Number(r.id), announced: r.announced === true }));
    if (missing.length === 0) return 0;
    const byId = new Map((await this.pool.query(q.alarmsByIds(missing.map((m) => m.id)))).rows.map((row) => [Number(row.id), alarmFromRow(row)]));
    const at = new Date().toISOString();
    const rows = missing.flatMap((m) => {
      const a = byId.get(m.id);
      return a ? [alarmRow(catchUpChange(a, m.announced), a, at)] : [];
    });
    this.logger.warn({ alarms: rows.length, firstId: missing[0]!.id }, 'alarm changes committed but never broadcast (stopped mid-way?): broadcasting their current state now');
    await this.publish(rows);
    return rows.length;
  }

  /** Broadcasts committed changes (current state of each alarm, one message per change; storm groups at most once a second). */
  async publishChanges(changes: ChangeRecord[]): Promise<void> {
    await this.publishRows(await this.changeRows(changes));
  }

  /** Appends stream rows and sends them (the pipeline overlaps this with the next batch's rules). */
  async publishRows(rows: StreamRow[]): Promise<void> {
    if (rows.length) await this.publish(rows);
  }

  /**
   * The stream rows of committed changes: each changed alarm's state as read now (call it
   * before a later batch commits), storm groups at most once a second (the others follow).
   */
  async changeRows(changes: ChangeRecord[]): Promise<StreamRow[]> {
    if (changes.length === 0) return [];
    const alarmChanges = changes.flatMap((c) => ('alarmId' in c ? [c] : []));
    const stormIds = changes.flatMap((c) => ('stormGroupId' in c ? [c.stormGroupId] : []));
    const at = new Date().toISOString();
    let rows: StreamRow[] = [];
    if (alarmChanges.length) {
      const ids = [...new Set(alarmChanges.map((c) => c.alarmId))];
      const r = await this.pool.query(q.alarmsByIds(ids));
      const byId = new Map(r.rows.map((row) => [Number(row.id), alarmFromRow(row)]));
      rows = alarmChanges.flatMap((c) => {
        const a = byId.get(c.alarmId);
        return a ? [alarmRow(c.change, a, at)] : [];
      });
    }
    rows.push(...(await this.stormRows(stormIds, at)));
    return rows;
  }

  /** Storm messages of groups not announced within the last second; the others are announced when it has passed. */
  private async stormRows(ids: number[], at: string): Promise<StreamRow[]> {
    const now = Date.now();
    const due: number[] = [];
    for (const id of new Set(ids)) {
      if (now - (this.stormSentAt.get(id) ?? 0) >= STORM_MESSAGE_EVERY_MS) due.push(id);
      else this.stormLater.add(id);
    }
    if (this.stormLater.size && !this.stormTimer) {
      this.stormTimer = setTimeout(() => {
        this.stormTimer = null;
        const later = [...this.stormLater];
        this.stormLater.clear();
        void this.stormRows(later, new Date().toISOString())
          .then((rows) => (rows.length ? this.publish(rows) : undefined))
          .catch((err) => this.logger.error({ err }, 'storm broadcast failed'));
      }, STORM_MESSAGE_EVERY_MS);
      this.stormTimer.unref();
    }
    if (due.length === 0) return [];
    for (const id of due) this.stormSentAt.set(id, now);
    if (this.stormSentAt.size > 10_000) for (const [id, t] of this.stormSentAt) if (now - t > 60_000) this.stormSentAt.delete(id);
    const r = await this.pool.query(sq.groupsByIds(due));
    return r.rows.map((row) => stormRow(stormFromRow(row), at));
  }

  /** Storm groups active now or with a member within the last `hours`, in the caller's jurisdiction. */
  async storms(principal: Principal, hours: number): Promise<StormGroup[]> {
    const since = new Date(this.opts.now() - hours * 3600_000).toISOString();
    const r = await this.pool.query(sq.listGroups(principal.scope, since, 200));
    return r.rows.map(stormFromRow);
  }

  /** A storm group and its members (up to 500, not closed first), in the caller's jurisdiction. */
  async stormDetail(principal: Principal, groupId: number): Promise<{ group: StormGroup; alarms: AlarmDto[] }> {
    const g = await this.pool.query(sq.groupById(groupId, principal.scope));
    if (!g.rows[0]) throw notFound(`storm group ${groupId} does not exist or is outside your jurisdiction`);
    const ids = (await this.pool.query(sq.groupMemberIds(groupId, 500))).rows.map((r) => Number(r.id));
    const rows = ids.length ? (await this.pool.query(q.alarmsByIds(ids))).rows : [];
    // Members share the group's district or unit by how groups form; each is still checked
    // against the caller's scope, so a group that ever spanned districts shows only its own.
    const byId = new Map(rows.map((row) => [Number(row.id), alarmFromRow(row)]));
    const visible = (a: AlarmDto) => scopeAllows(principal.scope, { regionAdcode: a.regionAdcode, unitId: a.unitId });
    return { group: stormFromRow(g.rows[0]), alarms: ids.flatMap((id) => byId.get(id) ?? []).filter(visible) };
  }

  /** Escalates due fire alarms at the injected clock's now; returns how many. */
  async escalate(): Promise<number> {
    const nowIso = new Date(this.opts.now()).toISOString();
    const ids = await withTransaction(this.pool, async (c) => {
      const r = await c.query(q.escalateDue(nowIso, this.opts.escalateAfterS));
      const ids = r.rows.map((x) => Number(x.id));
      if (ids.length) {
        await c.query(q.insertSteps(ids, 'escalated', `not acknowledged within ${this.opts.escalateAfterS} s`));
        await c.query(q.auditSystemBatch('alarm.escalate', ids));
      }
      return ids;
    });
    if (ids.length) {
      this.logger.warn({ alarms: ids }, 'fire alarms escalated: not acknowledged in time');
      await this.publishChanges(ids.map((alarmId) => ({ alarmId, change: { type: 'alarm_updated', reason: 'escalated' } })));
    }
    return ids.length;
  }

  /**
   * An operator step of the alarm's procedure (common/src/procedures.ts). Optimistic
   * concurrency: the caller sends the version it saw; a different current version, or a
   * step the procedure does not allow for the alarm's kind and stage, is a 409 that carries
   * the current alarm and (for refusals) the table's refusal code.
   */
  async step(
    stepId: ProcedureStepId,
    alarmId: number,
    body: AlarmStepBody,
    principal: Principal,
    ip: string | null,
  ): Promise<{ alarm: AlarmDto; dispatches: DispatchRecord[] | null }> {
    let forwardQueued = false;
    let dispatches: DispatchRecord[] | null = null;
    const after = await withTransaction(this.pool, async (c) => {
      const cur = await c.query(q.alarmById(alarmId, principal.scope, { forUpdate: true }));
      if (!cur.rows[0]) throw notFound(`alarm ${alarmId} does not exist or is outside your jurisdiction`);
      const before = alarmFromRow(cur.rows[0]);
      if (before.version !== body.version) {
        throw conflict(
          `alarm ${alarmId} changed since you loaded it (your version ${body.version}, current ${before.version}): reload it and retry`,
          { current: before, refusal: 'stale' },
        );
      }
      const faultType =
        before.kind === 'fault' && !body.deadlineAt ? (((await c.query(q.faultTypeOf(alarmId))).rows[0]?.kind as string | undefined) ?? null) : null;
      const check = checkStep(
        { kind: before.kind, stage: stageOf(before), verdict: before.verdict, cleared: before.clearedAt != null },
        stepId,
        { ...body, faultType },
        this.opts.now(),
      );
      if (!check.ok) throw conflict(`cannot ${stepId} alarm ${alarmId}: ${check.reason}`, { current: before, refusal: check.refusal });
      const verdict = check.rule.verdict ? (body.verdict ?? null) : null;
      const column = ({ ack: 'acknowledged', verdict: 'verified', dispatch: 'dispatched', close: 'closed' } as const)[stepId as 'ack'] ?? null;
      await c.query(
        q.applyStep({
          id: alarmId,
          stage: check.next.stage,
          state: check.state,
          verdict,
          cause: check.cause,
          deadlineAt: check.deadlineAt,
          userId: principal.userId,
          column,
        }),
      );
      const note = body.note?.trim() || null;
      const detail: Record<string, unknown> = {};
      if (verdict) detail.verdict = verdict;
      if (check.cause) detail.cause = check.cause;
      if (check.deadlineAt) detail.deadlineAt = check.deadlineAt;
      if (check.rule.call && body.call) detail.call = body.call;
      if (stepId === 'dispatch' && body.stationIds?.length) detail.stationIds = body.stationIds;
      const stepRow = await c.query(q.insertStep(alarmId, STEP_RECORD_NAME[stepId], principal, note, Object.keys(detail).length ? detail : null));
      if (check.rule.call && body.call) await c.query(q.insertCall(alarmId, Number(stepRow.rows[0].id), body.call, principal));
      const r = await c.query(q.alarmById(alarmId, { kind: 'all' }));
      const after = alarmFromRow(r.rows[0]);
      await recordAudit(c, {
        actor: principal,
        ip,
        action: `alarm.${stepId === 'verdict' ? 'verify' : stepId}`,
        entity: 'alarm',
        entityId: alarmId,
        before: { state: before.state, stage: before.stage ?? null, verdict: before.verdict, version: before.version },
        after: { state: after.state, stage: after.stage ?? null, verdict: after.verdict, version: after.version, note, ...detail },
      });
      if (stepId === 'verdict' && verdict === 'fire') {
        await c.query(
          q.enqueueForward(
            alarmId,
            { alarm: after, verifiedBy: { userId: principal.userId, username: principal.username }, note },
            this.opts.forward119Url,
          ),
        );
        forwardQueued = true;
      }
      if (stepId === 'dispatch' && body.stationIds?.length) {
        dispatches = await recordDispatch(c, { principal, ip }, { alarmId, stationIds: body.stationIds, note });
      }
      return after;
    });
    if (forwardQueued) this.opts.onForwardQueued?.();
    const change: AlarmChange =
      stepId === 'close'
        ? { type: 'alarm_closed', reason: 'closed' }
        : { type: 'alarm_updated', reason: ({ ack: 'acknowledged', verdict: 'verified', dispatch: 'dispatched' } as const)[stepId as 'ack'] ?? 'step' };
    await this.publish([alarmRow(change, after, new Date().toISOString())]).catch((err) => this.logger.error({ err }, 'alarm broadcast failed'));
    return { alarm: after, dispatches };
  }

  /** False alarms opened in [from, to) by cause, in the caller's scope. */
  async falseAlarmCauses(principal: Principal, from?: string, to?: string): Promise<{ rows: Array<{ cause: string | null; count: number }>; total: number }> {
    const r = await this.pool.query(q.falseAlarmsByCause(principal.scope, from, to));
    const rows = r.rows.map((x) => ({ cause: (x.cause as string | null) ?? null, count: Number(x.n) }));
    return { rows, total: rows.reduce((n, x) => n + x.count, 0) };
  }

  async list(principal: Principal, query: AlarmListQuery): Promise<AlarmListResponse> {
    // Filters naming a region or unit outside the jurisdiction are 404, not an empty list.
    for (const region of query.region ?? []) requireRegionFilter(principal.scope, region);
    if (query.unitId !== undefined) await requireUnitInScope(this.pool, principal.scope, query.unitId);
    const states = query.state?.includes('active')
      ? (['open', 'acknowledged', 'verified', 'dispatched'] as const).slice()
      : (query.state as AlarmDto['state'][] | undefined);
    const r = await this.pool.query(
      q.listAlarms(
        principal.scope,
        { states, kinds: query.kind, regions: query.region, bbox: query.bbox, from: query.from, to: query.to, unitId: query.unitId },
        { sort: query.sort, limit: query.limit, offset: query.offset },
      ),
    );
    const total = r.rows[0] ? Number(r.rows[0].total) : 0;
    const end = query.offset + r.rows.length;
    return { alarms: r.rows.map(alarmFromRow), total, nextOffset: end < total ? end : null };
  }

  async detail(principal: Principal, alarmId: number): Promise<AlarmDetail> {
    const r = await this.pool.query(q.alarmById(alarmId, principal.scope));
    if (!r.rows[0]) throw notFound(`alarm ${alarmId} does not exist or is outside your jurisdiction`);
    const alarm = alarmFromRow(r.rows[0]);
    const [steps, events, forwards, calls] = await Promise.all([
      this.pool.query(q.alarmSteps(alarmId)),
      this.pool.query(q.alarmTimeline(alarmId, 200)),
      this.pool.query(q.alarmForwards(alarmId)),
      this.pool.query(q.alarmCalls(alarmId)),
    ]);
    let nearestStations: AlarmDetail['nearestStations'] = null;
    if (this.opts.nearestStations && alarm.lonLatWgs84) {
      nearestStations = await this.opts.nearestStations(alarm).catch((err) => {
        this.logger.warn({ err, alarmId }, 'nearest stations unavailable');
        return null;
      });
    }
    const configured = this.opts.forwardingConfigured ?? this.opts.forward119Url !== null;
    return {
      alarm,
      forward119Configured: configured,
      steps: steps.rows.map(stepFromRow),
      events: events.rows.map(eventFromRow),
      nearestStations,
      forwards: forwards.rows.map((f) => ({
        id: Number(f.id),
        // Pending without a forwarder: nothing will send it (FORWARD_119_URL unset).
        status: f.status === 'pending' && !configured ? ('not_configured' as const) : f.status,
        attempts: Number(f.attempts),
        lastError: f.last_error ?? null,
        createdAt: (f.created_at as Date).toISOString(),
        sentAt: f.sent_at ? (f.sent_at as Date).toISOString() : null,
      })),
      calls: calls.rows.map(callFromRow),
    };
  }
}
