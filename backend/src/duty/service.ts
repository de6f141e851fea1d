// Duty operations: handovers with their frozen summary, the duty log, the register rows, and
// the daily communication test with the 119 terminal.
import { SerialJobs, SHANGHAI_OFFSET_MS, shanghaiDate, type CommTestDto, type HandoverAlarm, type ShiftSummary } from '@firelink/common';
import type pg from 'pg';
import type { Principal } from '../auth/scope.ts';
import { withTransaction, type Pool } from '../db/pool.ts';
import { badRequest, conflict } from '../kernel/errors.ts';

/** The longest shift a handover covers (the roster allows shifts of at most 48 h). */
const MAX_SHIFT_MS = 48 * 3600_000;
import type { Logger } from '../logger.ts';
import * as q from './queries.ts';

type Db = pg.Pool | pg.ClientBase;

const iso = (d: Date | string | null | undefined): string | null => (d == null ? null : new Date(d).toISOString());

function alarmItems(rows: Array<Record<string, unknown>>): HandoverAlarm[] {
  return rows.map((a) => ({
    id: Number(a.id),
    kind: String(a.kind),
    state: String(a.state),
    unitName: (a.unit_name as string | null) ?? null,
    openedAt: iso(a.opened_at as Date)!,
  }));
}

/** The caller as named in duty records: their display name, else the username. */
export async function actorName(db: Db, p: Principal): Promise<string> {
  if (p.userId == null) return p.username;
  const r = (await db.query(q.displayName(p.userId))).rows[0];
  return (r?.display_name as string | undefined) ?? p.username;
}

/** Counts of the shift window [from, to) for a post, as frozen into a handover. */
export async function shiftSummary(db: Db, scope: Principal['scope'], post: number, from: string, to: string): Promise<ShiftSummary> {
  const r = (await db.query(q.shiftCounts(scope, post, from, to))).rows[0];
  const verdicts = r.verdicts as Record<string, number>;
  return {
    alarmsByKind: r.by_kind as Record<string, number>,
    verdicts,
    falseAlarms: verdicts.false_alarm ?? 0,
    opened: r.opened,
    closed: r.closed,
    logEntries: r.log_entries,
    commTests: { ok: r.comm_ok, failed: r.comm_failed },
  };
}

/**
 * The outgoing operator hands the post over: open alarms, pending follow-ups (open longer
 * than pendingAfterHours), notes and the shift's counts are frozen into the handover, and
 * the duty log records it. One handover per post waits for acceptance at a time.
 */
export async function createHandover(
  pool: Pool,
  p: Principal,
  h: { regionAdcode: number; shiftStart: string | null; toUserId: number | null; notes: string; pendingAfterHours: number },
  now = new Date(),
): Promise<number> {
  return withTransaction(pool, async (c) => {
    const end = now.toISOString();
    let start = h.shiftStart;
    if (!start && p.userId != null) {
      const cur = (await c.query(q.currentShiftOf(p.userId, h.regionAdcode, end))).rows[0];
      if (cur) start = iso(cur.starts_at as Date);
    }
    start ??= new Date(now.getTime() - 8 * 3600_000).toISOString();
    if (Date.parse(start) >= now.getTime()) throw conflict('shiftStart must be in the past: the handover covers the shift that ends now');
    // A shift is at most 48 h (as the roster allows); a longer window would count all history.
    if (now.getTime() - Date.parse(start) > MAX_SHIFT_MS) throw badRequest('shiftStart is more than 48 hours ago: a handover covers one shift');
    // One client: the queries run one after another.
    const open = await c.query(q.openAlarmsOfPost(p.scope, h.regionAdcode, end, null));
    const pending = await c.query(q.openAlarmsOfPost(p.scope, h.regionAdcode, end, h.pendingAfterHours));
    const summary = await shiftSummary(c, p.scope, h.regionAdcode, start, end);
    const name = await actorName(c, p);
    const row = (
      await c.query(
        q.insertHandover({
          regionAdcode: h.regionAdcode,
          fromUserId: p.userId,
          fromName: name,
          toUserId: h.toUserId,
          shiftStart: start,
          shiftEnd: end,
          notes: h.notes,
          openAlarms: alarmItems(open.rows),
          pendingAlarms: alarmItems(pending.rows),
          pendingAfterH: h.pendingAfterHours,
          summary,
        }),
      )
    ).rows[0];
    if (!row) {
      const waiting = (await c.query(q.pendingHandoverOf(h.regionAdcode))).rows[0];
      throw conflict(
        `handover ${waiting?.id} by ${waiting?.from_name} for this post is still waiting to be accepted: the incoming operator accepts it first`,
        { pendingHandoverId: waiting ? Number(waiting.id) : null },
      );
    }
    const id = Number(row.id);
    await c.query(
      q.insertLog({
        regionAdcode: h.regionAdcode,
        kind: 'handover_created',
        actorId: p.userId,
        actorName: name,
        text: `open ${open.rows.length}, pending ${pending.rows.length}, opened ${summary.opened}, closed ${summary.closed}, false alarms ${summary.falseAlarms}`,
        refEntity: 'handover',
        refId: id,
      }),
    );
    return id;
  });
}

// ---------------------------------------------------------------------------------------
// 119 communication test

export interface CommTestResult {
  ok: boolean;
  httpStatus: number | null;
  error: string | null;
  durationMs: number;
}

/** Sends one test message to the 119 terminal; 2xx is success. Idempotency-Key makes a retry harmless. */
export async function sendCommTest(url: string, testId: number, timeoutMs: number): Promise<CommTestResult> {
  const t0 = performance.now();
  const body = { type: 'communication_test', test: true, testId, sentAt: new Date().toISOString(), from: 'firelink' };
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `firelink-commtest-${testId}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer().catch(() => undefined);
    const durationMs = performance.now() - t0;
    if (res.status < 200 || res.status >= 300) return { ok: false, httpStatus: res.status, error: `HTTP ${res.status}`, durationMs };
    return { ok: true, httpStatus: res.status, error: null, durationMs };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    return { ok: false, httpStatus: null, error: e.cause?.code ?? e.name ?? e.message, durationMs: performance.now() - t0 };
  }
}

export function commTestDto(r: Record<string, unknown>): CommTestDto {
  return {
    id: Number(r.id),
    trigger: r.trigger as CommTestDto['trigger'],
    actorName: String(r.actor_name),
    startedAt: iso(r.started_at as Date)!,
    finishedAt: iso(r.finished_at as Date | null),
    ok: (r.ok as boolean | null) ?? null,
    httpStatus: r.http_status == null ? null : Number(r.http_status),
    error: (r.error as string | null) ?? null,
    durationMs: r.duration_ms == null ? null : Number(r.duration_ms),
  };
}

export interface CommTesterOptions {
  /** FORWARD_119_URL; null = nothing to test (tests are not run, the status says so). */
  url: string | null;
  /** Daily test time, HH:MM Asia/Shanghai. */
  dailyAt: string;
  /** How often the scheduler looks whether today's test is due, ms. */
  checkEveryMs: number;
  timeoutMs: number;
  now?: () => Date;
}

/**
 * The daily communication test and on-demand tests. The scheduled test of a Shanghai day is
 * claimed with a unique row (duty_comm_tests.scheduled_day), so with several nodes one runs it.
 * A failure after a success (or the first test) writes comm_test_failed to the duty log and
 * queues a 'duty_alert' outbox notice; the next success writes comm_test_recovered.
 */
export class CommTester {
  private readonly jobs: SerialJobs;
  private readonly now: () => Date;

  constructor(
    private readonly pool: Pool,
    private readonly opts: CommTesterOptions,
    private readonly logger: Logger,
  ) {
    this.now = opts.now ?? (() => new Date());
    this.jobs = new SerialJobs((err) => this.logger.error({ err }, '119 communication test round failed'));
  }

  get configured(): boolean {
    return this.opts.url != null;
  }

  get dailyAt(): string {
    return this.opts.dailyAt;
  }

  start(): void {
    if (!this.opts.url) return;
    this.jobs.every(this.opts.checkEveryMs, () => this.runScheduledIfDue(), { immediately: true });
  }

  async stop(): Promise<void> {
    await this.jobs.stop();
  }

  /** Runs today's scheduled test if its time has come and no node ran it yet; returns its id. */
  async runScheduledIfDue(): Promise<number | null> {
    if (!this.opts.url) return null;
    const now = this.now();
    const [hh, mm] = this.opts.dailyAt.split(':').map(Number) as [number, number];
    const minutesShanghai = Math.floor(((now.getTime() + SHANGHAI_OFFSET_MS) % 86_400_000) / 60_000);
    if (minutesShanghai < hh * 60 + mm) return null;
    const claimed = (await this.pool.query(q.claimScheduledTest(shanghaiDate(now)))).rows[0];
    if (!claimed) return null;
    await this.execute(Number(claimed.id));
    return Number(claimed.id);
  }

  /** An operator's test from the duty view; returns the recorded result. */
  async runManual(actor: Principal): Promise<CommTestDto> {
    if (!this.opts.url) throw conflict('FORWARD_119_URL is not set: configure the 119 forwarding endpoint to test communication with it');
    const row = (await this.pool.query(q.insertManualTest(actor))).rows[0];
    const id = Number(row.id);
    // Serialised with the scheduler, so the failure/recovery bookkeeping sees tests in order.
    await this.jobs.run(() => this.execute(id));
    const r = (await this.pool.query(`SELECT * FROM duty_comm_tests WHERE id = $1`, [id])).rows[0];
    return commTestDto(r);
  }

  private async execute(id: number): Promise<void> {
    const result = await sendCommTest(this.opts.url!, id, this.opts.timeoutMs);
    await withTransaction(this.pool, async (c) => {
      await c.query(q.finishTest({ id, ...result }));
      const prev = (await c.query(q.previousFinishedTest(id))).rows[0] as { ok: boolean } | undefined;
      const detail = result.ok ? `HTTP ${result.httpStatus}, ${Math.round(result.durationMs)} ms` : (result.error ?? 'failed');
      if (!result.ok && (prev === undefined || prev.ok)) {
        await c.query(q.insertLog({ regionAdcode: null, kind: 'comm_test_failed', actorId: null, actorName: 'system', text: detail, refEntity: 'comm_test', refId: id }));
        await c.query(q.enqueueDutyAlert(id, { kind: 'comm_test_failed', testId: id, text: `119 通信测试失败：${detail}` }));
      } else if (result.ok && prev !== undefined && !prev.ok) {
        await c.query(q.insertLog({ regionAdcode: null, kind: 'comm_test_recovered', actorId: null, actorName: 'system', text: detail, refEntity: 'comm_test', refId: id }));
        await c.query(q.enqueueDutyAlert(id, { kind: 'comm_test_recovered', testId: id, text: `119 通信已恢复：${detail}` }));
      } else {
        await c.query(
          q.insertLog({ regionAdcode: null, kind: result.ok ? 'comm_test_ok' : 'comm_test_failed', actorId: null, actorName: 'system', text: detail, refEntity: 'comm_test', refId: id }),
        );
      }
    });
    if (result.ok) this.logger.info({ testId: id, ms: result.durationMs }, '119 communication test passed');
    else this.logger.warn({ testId: id, error: result.error, httpStatus: result.httpStatus }, '119 communication test failed');
  }
}
