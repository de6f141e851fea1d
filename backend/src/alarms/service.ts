// Alarm lifecycle: the pipeline's raise/clear (one transaction per batch), escalation of
// unacknowledged fires, operator transitions with optimistic concurrency, reads.
// Every change is broadcast on the live stream after its transaction commits.
import type { AlarmDetail, AlarmDto, AlarmListQuery, AlarmListResponse, AlarmVerdict, StoredEvent } from '@firelink/common';
import type pg from 'pg';
import { recordAudit } from '../audit/audit.ts';
import type { Principal } from '../auth/scope.ts';
import { withTransaction } from '../db/pool.ts';
import { recordDispatch, type DispatchRecord } from '../dispatch/records.ts';
import { conflict, notFound } from '../http/errors.ts';
import type { Logger } from '../logger.ts';
import type { LiveHub } from '../live/hub.ts';
import { alarmRow, type AlarmChange } from '../live/messages.ts';
import { planAlarmWork, TRANSITIONS, transitionAllowed, type TransitionAction } from './domain/rules.ts';
import { alarmFromRow, eventFromRow, stepFromRow } from './dto.ts';
import * as q from './queries.ts';

export interface AlarmServiceOptions {
  /** Seconds an unacknowledged fire alarm waits before it escalates. */
  escalateAfterS: number;
  /** Injectable clock (ms since epoch) for escalation. */
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

const TRANSIENT = new Set(['40001', '40P01']); // serialization failure, deadlock

export class AlarmService {
  constructor(
    private readonly pool: pg.Pool,
    private readonly hub: LiveHub,
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
    await this.hub.publish(rows);
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
   * Operator transition. Optimistic concurrency: the caller sends the version it saw; a
   * different current version, or a state the action does not apply to, is a 409 that
   * carries the current alarm.
   */
  async transition(
    action: TransitionAction,
    alarmId: number,
    body: { version: number; note?: string; verdict?: AlarmVerdict; stationIds?: number[] },
    principal: Principal,
    ip: string | null,
  ): Promise<AlarmDto> {
    return (await this.transitionWithDispatches(action, alarmId, body, principal, ip)).alarm;
  }

  /**
   * As transition(); a 'dispatch' with `stationIds` also records the stations sent
   * (DISPATCH's recordDispatch) in the same transaction, so the alarm becomes 'dispatched'
   * only if every station could be recorded.
   */
  async transitionWithDispatches(
    action: TransitionAction,
    alarmId: number,
    body: { version: number; note?: string; verdict?: AlarmVerdict; stationIds?: number[] },
    principal: Principal,
    ip: string | null,
  ): Promise<{ alarm: AlarmDto; dispatches: DispatchRecord[] | null }> {
    const rule = TRANSITIONS[action];
    const column = ({ ack: 'acknowledged', verify: 'verified', dispatch: 'dispatched', close: 'closed' } as const)[action];
    let forwardQueued = false;
    let dispatches: DispatchRecord[] | null = null;
    const after = await withTransaction(this.pool, async (c) => {
      const cur = await c.query(q.alarmById(alarmId, principal.scope, { forUpdate: true }));
      if (!cur.rows[0]) throw notFound(`alarm ${alarmId} does not exist or is outside your jurisdiction`);
      const before = alarmFromRow(cur.rows[0]);
      if (before.version !== body.version) {
        throw conflict(
          `alarm ${alarmId} changed since you loaded it (your version ${body.version}, current ${before.version}): reload it and retry`,
          { current: before },
        );
      }
      const allowed = transitionAllowed(action, before);
      if (!allowed.ok) throw conflict(`cannot ${action} alarm ${alarmId}: ${allowed.reason}`, { current: before });
      await c.query(q.applyTransition({ id: alarmId, to: rule.to, verdict: body.verdict ?? null, userId: principal.userId, column }));
      const note = [body.verdict ? `verdict: ${body.verdict}` : null, body.note ?? null].filter(Boolean).join('; ') || null;
      await c.query(q.insertStep(alarmId, column, principal, note));
      const r = await c.query(q.alarmById(alarmId, { kind: 'all' }));
      const after = alarmFromRow(r.rows[0]);
      await recordAudit(c, {
        actor: principal,
        ip,
        action: `alarm.${action}`,
        entity: 'alarm',
        entityId: alarmId,
        before: { state: before.state, verdict: before.verdict, version: before.version },
        after: { state: after.state, verdict: after.verdict, version: after.version, note: body.note ?? null },
      });
      if (action === 'verify' && body.verdict === 'fire') {
        await c.query(
          q.enqueueForward(
            alarmId,
            { alarm: after, verifiedBy: { userId: principal.userId, username: principal.username }, note: body.note ?? null },
            this.opts.forward119Url,
          ),
        );
        forwardQueued = true;
      }
      if (action === 'dispatch' && body.stationIds?.length) {
        dispatches = await recordDispatch(c, { principal, ip }, { alarmId, stationIds: body.stationIds, note: body.note ?? null });
      }
      return after;
    });
    if (forwardQueued) this.opts.onForwardQueued?.();
    const change: AlarmChange =
      action === 'close' ? { type: 'alarm_closed', reason: 'closed' } : { type: 'alarm_updated', reason: column as 'acknowledged' | 'verified' | 'dispatched' };
    await this.hub.publish([alarmRow(change, after, new Date().toISOString())]).catch((err) => this.logger.error({ err }, 'alarm broadcast failed'));
    return { alarm: after, dispatches };
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
    const [steps, events, forwards] = await Promise.all([
      this.pool.query(q.alarmSteps(alarmId)),
      this.pool.query(q.alarmTimeline(alarmId, 200)),
      this.pool.query(q.alarmForwards(alarmId)),
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
    };
  }
}
