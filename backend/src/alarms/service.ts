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
} from '@firelink/common';
import type pg from 'pg';
import { recordAudit } from '../audit/audit.ts';
import type { Principal } from '../auth/scope.ts';
import { withTransaction } from '../db/pool.ts';
import { recordDispatch, type DispatchRecord } from '../dispatch/records.ts';
import { conflict, notFound } from '../kernel/errors.ts';
import type { Logger } from '../logger.ts';
import type { StreamRow } from '../live/queries.ts';

/** Hands the messages of committed alarm changes to the live stream (the composition passes the hub's publish). */
export type PublishChanges = (rows: StreamRow[]) => Promise<unknown>;
import { alarmRow, type AlarmChange } from '../live/messages.ts';
import { planAlarmWork } from './domain/rules.ts';
import { alarmFromRow, callFromRow, eventFromRow, stepFromRow } from './dto.ts';
import * as q from './queries.ts';

export interface AlarmServiceOptions {
  /** Seconds an unacknowledged fire alarm waits before it escalates. */
  escalateAfterS: number;
  /** Injectable clock (ms since epoch) for escalation and default deadlines. */
  now: () => number;
  /** Where verified fires go; recorded as the outbox recipient. */
  forward119Url: string | null;
  /** Called after a verified fire is queued for 119 (the forwarder sends at once). */
  onForwardQueued?: () => void;
  /**
   * Nearest stations for the alarm detail, when DISPATCH provides them; null = unavailable.
   * Failures are logged and shown as null, never fail the detail.
   */
  nearestStations?: (alarm: AlarmDto) => Promise<AlarmDetail['nearestStations']>;
}

export interface ChangeRecord {
  alarmId: number;
  change: AlarmChange;
}

const TRANSIENT = new Set<string>([PG_ERROR.serializationFailure, PG_ERROR.deadlockDetected]);

export class AlarmService {
  constructor(
    private readonly pool: pg.Pool,
    private readonly publish: PublishChanges,
    private readonly logger: Logger,
    private readonly opts: AlarmServiceOptions,
  ) {}

  /** Applies the alarm rules to committed events, in one transaction (retried on deadlock). */
  async applyEvents(events: readonly StoredEvent[]): Promise<ChangeRecord[]> {
    const steps = planAlarmWork(events);
    if (steps.length === 0) return [];
    for (let attempt = 1; ; attempt++) {
      try {
        return await withTransaction(this.pool, async (c) => {
          const changes: ChangeRecord[] = [];
          const opened: number[] = [];
          for (const s of steps) {
            if (s.type === 'raise') {
              const r = await c.query(q.upsertAlarm(s.group));
              const row = r.rows[0];
              const alarmId = Number(row.id);
              await c.query(q.linkEvents(alarmId, s.group.eventIds));
              if (row.inserted) opened.push(alarmId);
              changes.push({ alarmId, change: row.inserted ? { type: 'alarm_opened' } : { type: 'alarm_updated', reason: 'repeat' } });
            } else {
              const r = await c.query(q.clearAlarms(s.clear));
              for (const row of r.rows) {
                const alarmId = Number(row.id);
                await c.query(q.linkEvents(alarmId, [s.clear.eventId]));
                await c.query(q.insertStep(alarmId, row.closed ? 'auto_closed' : 'cleared', null, `event ${s.clear.eventId}`));
                if (row.closed) {
                  await recordAudit(c, { actor: null, action: 'alarm.auto_close', entity: 'alarm', entityId: alarmId, after: { eventId: s.clear.eventId } });
                }
                changes.push({
                  alarmId,
                  change: row.closed ? { type: 'alarm_closed', reason: 'auto_closed' } : { type: 'alarm_updated', reason: 'cleared' },
                });
              }
            }
          }
          if (opened.length) {
            await c.query(q.insertSteps(opened, 'opened', null));
            await c.query(q.auditSystemBatch('alarm.open', opened));
          }
          return changes;
        });
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (attempt < 3 && code && TRANSIENT.has(code)) continue;
        throw err;
      }
    }
  }

  /** Broadcasts committed changes (current state of each alarm, one message per change). */
  async publishChanges(changes: ChangeRecord[]): Promise<void> {
    if (changes.length === 0) return;
    const ids = [...new Set(changes.map((c) => c.alarmId))];
    const r = await this.pool.query(q.alarmsByIds(ids));
    const byId = new Map(r.rows.map((row) => [Number(row.id), alarmFromRow(row)]));
    const at = new Date().toISOString();
    const rows = changes.flatMap((c) => {
      const a = byId.get(c.alarmId);
      return a ? [alarmRow(c.change, a, at)] : [];
    });
    await this.publish(rows);
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
    return {
      alarm,
      steps: steps.rows.map(stepFromRow),
      events: events.rows.map(eventFromRow),
      nearestStations,
      forwards: forwards.rows.map((f) => ({
        id: Number(f.id),
        status: f.status,
        attempts: Number(f.attempts),
        lastError: f.last_error ?? null,
        createdAt: (f.created_at as Date).toISOString(),
        sentAt: f.sent_at ? (f.sent_at as Date).toISOString() : null,
      })),
      calls: calls.rows.map(callFromRow),
    };
  }
}
