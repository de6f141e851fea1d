// Persistence adapter. Upload frames are stored in batches: every frame handed to
// storeFrame() while a transaction is running joins the next one (group commit), so a
// commit's fsync is shared by all frames in it. Each frame is still all-or-nothing: its
// events, receipt and status updates commit together, and storeFrame() resolves only
// after COMMIT — the caller confirms to the device and publishes then. When a batch
// fails, its frames are retried one per transaction so one bad frame cannot sink others.
//
// A frame's receipt row (device, serial, time label) makes a resend a no-op. Events are
// enriched from the registry (device → unit → region, H3; point) and inserted
// idempotently on dedupe_key.
import pg from 'pg';
import type { NormalizedEvent, StoredEvent } from '@firelink/common';
import { rawReason, type Adu } from '../codec/adu.ts';
import type { Frame } from '../codec/frame.ts';
import { NO_DEVICE, eventPointId, hasWrites, planBatch, readKeysOf, systemEvent, type BatchItem, type BatchPlan, type DeviceInfo, type PlannedFrame } from '../domain/batch-plan.ts';
import * as q from './queries.ts';
import { RawFrameBudget, type RawFrameBudgetOptions } from './raw-frame-budget.ts';
import './pg-types.ts';
import { GENERIC_PLAN_OPTIONS, PG_ERROR, isPgError, withClient, withTransaction } from '@firelink/common';

export type { DeviceInfo };
export { systemEvent };

export interface StoreResult {
  /** True when the frame had been stored before (a resend): nothing new was written. */
  duplicate: boolean;
  device: DeviceInfo;
  events: StoredEvent[];
}

export type Queryable = Pick<pg.PoolClient, 'query'>;

/** Optional hook run inside a batch's transaction just before COMMIT (tests use it to crash there). */
export type BeforeCommitHook = (frame: Frame) => void | Promise<void>;

export interface EventStoreOptions {
  /** Transactions running at once (each carries a batch of frames); devices are spread over them by address. Default 4. */
  lanes?: number;
  /** Frames per transaction at most. Default 400. */
  maxBatch?: number;
  /**
   * Write common batches (registered devices; component, analog and operation uploads) with
   * an unlocked read and ONE compare-and-set statement in autocommit: two round trips
   * instead of BEGIN/read/write/COMMIT. Anything else, or a conflict, takes the locked
   * transaction. Default true.
   */
  fastPath?: boolean;
  /** How many raw frames of unregistered addresses and refused peers are kept (per address, per peer, per hour). */
  rawFrameBudget?: RawFrameBudgetOptions;
  /**
   * Connections of the fast path. Default: a pool of its own (one connection per lane) opened
   * like `pool` but with GENERIC_PLAN_OPTIONS, which close() ends. Pass `pool` itself to share it.
   */
  fastPathPool?: pg.Pool;
}

/** Thrown by the fast path when a batch needs the locked transaction (nothing was written). */
class NeedsTransaction extends Error {}

interface Item extends BatchItem {
  resolve: (r: StoreResult) => void;
  reject: (e: unknown) => void;
}


export class EventStore {
  beforeCommit: BeforeCommitHook | null = null;
  /** One FIFO queue per lane; a device always maps to the same lane, so its frames are stored in arrival order. */
  private queues: Item[][];
  private busy: boolean[];
  private readonly maxBatch: number;

  constructor(
    private readonly pool: pg.Pool,
    opts: EventStoreOptions = {},
  ) {
    const lanes = opts.lanes ?? 4;
    this.queues = Array.from({ length: lanes }, () => []);
    this.busy = Array.from({ length: lanes }, () => false);
    this.maxBatch = opts.maxBatch ?? 400;
    this.fastPath = opts.fastPath ?? true;
    this.rawBudget = new RawFrameBudget(opts.rawFrameBudget);
    if (opts.fastPathPool) this.fastPool = opts.fastPathPool;
    else {
      // Kept open while idle (idleTimeoutMillis 0): a connection closed after a quiet spell
      // would cost the next batches a new connection and their statements' plans.
      this.ownFastPool = new pg.Pool({ ...pool.options, max: lanes, idleTimeoutMillis: 0, allowExitOnIdle: true, options: GENERIC_PLAN_OPTIONS });
      this.ownFastPool.on('error', () => {}); // an idle connection lost (restart): the pool drops it
      this.fastPool = this.ownFastPool;
    }
  }

  /** Ends the fast path's own connections (queued frames are the caller's to finish first). */
  async close(): Promise<void> {
    await this.ownFastPool?.end();
    this.ownFastPool = null;
  }

  private readonly fastPool: pg.Pool;
  private ownFastPool: pg.Pool | null = null;

  /** Budget of raw frames kept for strangers (unregistered addresses, refused peers). */
  readonly rawBudget: RawFrameBudget;

  private fastPath: boolean;

  /** Frames queued or in a running transaction, by (device, serial, time label). */
  private inFlight = new Map<string, Promise<StoreResult>>();

  /** Batch timing (ms, summed): transactions, frames in them, statements sent (BEGIN/COMMIT included), and the read/write statements' round trips. */
  readonly timing = { batches: 0, fastBatches: 0, frames: 0, statements: 0, txMs: 0, readMs: 0, writeMs: 0 };

  /** Frames waiting for a transaction (all lanes). */
  get queued(): number {
    return this.queues.reduce((n, q) => n + q.length, 0);
  }

  /**
   * Stores one frame (batched with concurrent ones); resolves after COMMIT. A resend that
   * arrives while the original is still queued or committing waits for it and resolves as
   * a duplicate, so a slow database is not handed the same frame again and again.
   */
  storeFrame(frame: Frame, adu: Adu | null, peer: string | null, receivedAt = new Date()): Promise<StoreResult> {
    const key = `${frame.source}|${frame.serial}|${frame.time}`;
    const running = this.inFlight.get(key);
    if (running) return running.then((r) => ({ duplicate: true, device: r.device, events: [] }));
    const p = new Promise<StoreResult>((resolve, reject) => {
      const lane = frame.source % this.queues.length;
      this.queues[lane]!.push({ frame, adu, peer, receivedAt, resolve, reject });
      this.pump(lane);
    });
    this.inFlight.set(key, p);
    const done = () => {
      if (this.inFlight.get(key) === p) this.inFlight.delete(key);
    };
    p.then(done, done);
    return p;
  }

  private pump(lane: number): void {
    const queue = this.queues[lane]!;
    if (this.busy[lane] || queue.length === 0) return;
    const batch = queue.splice(0, this.maxBatch);
    this.busy[lane] = true;
    void this.runBatch(batch).finally(() => {
      this.busy[lane] = false;
      this.pump(lane);
    });
  }

  private async runBatch(batch: Item[]): Promise<void> {
    try {
      const t0 = performance.now();
      const results = await this.storeBatch(batch);
      this.timing.batches++;
      this.timing.frames += batch.length;
      this.timing.txMs += performance.now() - t0;
      batch.forEach((it, i) => it.resolve(results[i]!));
    } catch (err) {
      if (batch.length === 1) {
        batch[0]!.reject(err);
        return;
      }
      // Isolate the bad frame: one transaction per frame, in order.
      for (const it of batch) {
        try {
          const [r] = await this.transaction((c) => this.storeIn(c, [it], 'tx'), it.frame);
          it.resolve(r!);
        } catch (e) {
          it.reject(e);
        }
      }
    }
  }

  /** Fast path when the batch qualifies, else (or when it turns out not to) the locked transaction. */
  private async storeBatch(batch: Item[]): Promise<StoreResult[]> {
    if (this.fastPathFits(batch)) {
      const r = await this.storeFast(batch);
      if (r) return r;
    }
    return this.transaction((c) => this.storeIn(c, batch, 'tx'), batch[0]!.frame);
  }

  /**
   * The fast path takes batches without raw ADUs (the planner may still send a batch to the
   * transaction once it has read the snapshot), and never when a test hooks the commit.
   */
  private fastPathFits(batch: readonly Item[]): boolean {
    return this.fastPath && !this.beforeCommit && batch.every((it) => !it.adu || rawReason(it.adu) === null);
  }

  /** The batch in two autocommit statements, or null when it needs the locked transaction (nothing was written). */
  private storeFast(batch: Item[]): Promise<StoreResult[] | null> {
    return withClient(this.fastPool, async (client, held) => {
      try {
        const r = await this.storeIn(client, batch, 'fast');
        this.timing.fastBatches++;
        return r;
      } catch (err) {
        // NeedsTransaction: nothing was sent to write. 40001 (ingest_assert): a concurrent
        // writer moved a receipt or status after the read; the statement wrote nothing.
        // Either way the locked transaction stores the batch.
        if (err instanceof NeedsTransaction || isPgError(err, PG_ERROR.serializationFailure)) return null;
        held.broken(err as Error); // not reused after any other failure
        // A database migrated before 0101 lacks ingest_assert: use transactions only.
        if (isPgError(err, PG_ERROR.undefinedFunction)) this.fastPath = false;
        throw err;
      }
    });
  }

  private transaction<T>(work: (c: pg.PoolClient) => Promise<T>, frame: Frame): Promise<T> {
    const hook = this.beforeCommit;
    this.timing.statements += 2; // BEGIN, COMMIT
    return withTransaction(this.pool, work, hook ? () => hook(frame) : undefined);
  }

  private query<R extends pg.QueryResultRow>(client: Queryable, query: q.Query): Promise<pg.QueryResult<R>> {
    this.timing.statements++;
    return client.query<R>(query);
  }

  /**
   * Executes the plan of one batch (ingest/src/domain/batch-plan.ts). Common case: two
   * statements for the whole batch — the read phase (receipts claimed, registry, last
   * statuses and host power locked, points) and, after planning in JS, the write phase
   * (statuses, point/system states, host power, events). Unregistered devices, raw ADUs and
   * duty-check answers (rare) add a statement each.
   */
  private async storeIn(client: Queryable, items: BatchItem[], mode: 'tx' | 'fast'): Promise<StoreResult[]> {
    const plan = await this.readAndPlan(client, items, mode);
    const now = new Date().toISOString();
    await this.answerDutyChecks(client, plan);
    await this.surfaceStrangers(client, plan, now);
    await this.keepRawFrames(client, plan, now);
    const pending = pendingEvents(plan);
    const ids = await this.write(client, plan, pending.map((p) => p.row), mode, now);
    const stored = new Map<number, StoredEvent[]>();
    for (const { frame, event, pointId } of pending) {
      const id = ids.get(event.dedupeKey);
      if (id === undefined) continue; // already stored (idempotent)
      const list = stored.get(frame.index);
      const s = toStored(event, id, frame.device, pointId);
      if (list) list.push(s);
      else stored.set(frame.index, [s]);
    }
    return items.map((it, i) => ({ duplicate: !plan.fresh[i], device: plan.deviceOf(it.frame.source), events: stored.get(i) ?? [] }));
  }

  /** The read phase (one statement) and the planner's answer; NeedsTransaction when the fast path may not write it. */
  private async readAndPlan(client: Queryable, items: BatchItem[], mode: 'tx' | 'fast'): Promise<BatchPlan> {
    const keys = readKeysOf(items);
    const t0 = performance.now();
    const read = await this.query<q.ReadBatchRow>(
      client,
      mode === 'fast' ? q.readBatchFast(keys) : q.readBatch(keys),
    );
    this.timing.readMs += performance.now() - t0;
    const plan = planBatch(items, q.snapshotOf(read.rows[0]!), mode);
    if (plan.needsTransaction) throw new NeedsTransaction('batch needs the locked transaction'); // nothing written yet
    return plan;
  }

  /** Duty-check answers (rare): the response time is recorded on the check and carried in the event. */
  private async answerDutyChecks(client: Queryable, plan: BatchPlan): Promise<void> {
    for (const pf of plan.frames) {
      if (pf.device.deviceId === null) continue;
      for (const e of pf.events) {
        if (e.kind !== 'duty_check_answered') continue;
        const r = await this.query<{ id: number; response_s: number; late: boolean }>(client, q.answerDutyCheck(pf.device.deviceId, e.receivedAt));
        const check = r.rows[0];
        e.payload = { ...e.payload, dutyCheckId: check ? Number(check.id) : null, responseS: check?.response_s ?? null, late: check?.late ?? false };
      }
    }
  }

  /** Unregistered devices are recorded and surfaced as an event (first sight, then hourly) (rare). */
  private async surfaceStrangers(client: Queryable, plan: BatchPlan, now: string): Promise<void> {
    if (plan.strangers.length === 0) return;
    const r = await this.query<{ device_address: number; inserted: boolean; surface: boolean }>(
      client,
      q.touchUnregistered(plan.strangers.map((x) => x.address), plan.strangers.map((x) => x.peer), plan.strangers.map((x) => x.frames), now),
    );
    const byAddress = new Map(plan.strangers.map((x) => [x.address, x]));
    for (const row of r.rows) {
      if (!row.surface) continue;
      const { first } = byAddress.get(Number(row.device_address))!;
      const f = first.item.frame;
      first.events.push(
        systemEvent(`gb:${f.source}:${f.serial}:${f.time}:unregistered`, 'unregistered_device', f.source, first.item.receivedAt.toISOString(), {
          peer: first.item.peer,
          firstSeen: row.inserted,
          aduType: first.item.adu!.type,
        }),
      );
    }
  }

  /** Raw copies: ADUs kept raw, and frames of unregistered addresses within the raw-frame budget (they are still counted). */
  private async keepRawFrames(client: Queryable, plan: BatchPlan, now: string): Promise<void> {
    const raw = plan.rawFrames;
    const keep = raw.reason.map((r, i) => r !== 'unregistered_device' || this.rawBudget.take(raw.address[i] ?? null, raw.peer[i] ?? null));
    if (!keep.some((k) => k)) return;
    const pick = <T>(xs: T[]) => xs.filter((_, i) => keep[i]);
    await this.query(client, q.insertRawFrames(pick(raw.address), pick(raw.peer), pick(raw.reason), pick(raw.hex), now));
  }

  /** The write phase, one statement; returns the ids of the events actually inserted, by dedupe key. */
  private async write(client: Queryable, plan: BatchPlan, rows: q.EventRow[], mode: 'tx' | 'fast', now: string): Promise<Map<string, number>> {
    const ids = new Map<string, number>();
    const t0 = performance.now();
    if (mode === 'fast') {
      if (plan.freshFrames.address.length === 0) return ids;
      const r = await this.query<{ ok: boolean; events: Array<[id: number, dedupeKey: string]> }>(
        client,
        q.writeBatchFast({ frames: plan.freshFrames, status: plan.statuses, pointStates: plan.pointStates, systems: plan.systems, health: plan.health, events: rows, at: now }),
      );
      for (const [id, dedupeKey] of r.rows[0]!.events) ids.set(dedupeKey, Number(id));
    } else {
      if (!hasWrites(plan)) return ids;
      const r = await this.query<{ id: number; dedupe_key: string }>(
        client,
        q.writeBatch({ status: plan.statuses, pointStates: plan.pointStates, systems: plan.systems, health: plan.health, events: rows, at: now }),
      );
      for (const x of r.rows) ids.set(x.dedupe_key, Number(x.id));
    }
    this.timing.writeMs += performance.now() - t0;
    return ids;
  }

  /** Keeps a frame we refused (e.g. a peer not allowed for the device) in raw_frames, for investigation, within the raw-frame budget. */
  async storeRefusedFrame(frame: Frame, peer: string | null, reason: string, receivedAt = new Date()): Promise<void> {
    if (!this.rawBudget.take(frame.source, peer)) return;
    await this.pool.query(q.insertRawFrames([frame.source], [peer], [reason], [frame.raw.toString('hex')], receivedAt.toISOString()));
  }

  /** Stores events the center itself raises (host offline/online, duty check missed), in `client`'s transaction or a new one. */
  async storeSystemEvents(events: NormalizedEvent[], client?: Queryable): Promise<StoredEvent[]> {
    if (events.length === 0) return [];
    const run = async (c: Queryable) => {
      const addresses = [...new Set(events.map((e) => e.deviceAddress).filter((a): a is number => a !== null))];
      const r = await c.query<{ address: number; id: number; unit_id: number | null; region_adcode: number | null; h3_r9: string | null }>(q.findDevices(addresses));
      const byAddress = new Map<number, DeviceInfo>(r.rows.map((d) => [Number(d.address), { deviceId: Number(d.id), unitId: d.unit_id === null ? null : Number(d.unit_id), regionAdcode: d.region_adcode, h3R9: d.h3_r9 }]));
      const info = (e: NormalizedEvent) => (e.deviceAddress === null ? NO_DEVICE : (byAddress.get(e.deviceAddress) ?? NO_DEVICE));
      const ins = await c.query<{ id: number; dedupe_key: string }>(q.insertEvents(events.map((e) => eventRow(e, info(e), null, null))));
      const ids = new Map(ins.rows.map((x) => [x.dedupe_key, Number(x.id)]));
      return events.filter((e) => ids.has(e.dedupeKey)).map((e) => toStored(e, ids.get(e.dedupeKey)!, info(e), null));
    };
    return client ? run(client) : withTransaction(this.pool, run);
  }
}

/** Every event of the plan's frames with its point and its row (raw bytes hex-encoded once per frame). */
function pendingEvents(plan: BatchPlan): Array<{ frame: PlannedFrame; event: NormalizedEvent; pointId: number | null; row: q.EventRow }> {
  const out: Array<{ frame: PlannedFrame; event: NormalizedEvent; pointId: number | null; row: q.EventRow }> = [];
  for (const frame of plan.frames) {
    if (frame.events.length === 0) continue;
    const hex = frame.item.frame.raw.toString('hex');
    for (const event of frame.events) {
      const pointId = eventPointId(plan, frame.device, event);
      out.push({ frame, event, pointId, row: eventRow(event, frame.device, pointId, hex) });
    }
  }
  return out;
}

function eventRow(e: NormalizedEvent, device: DeviceInfo, pointId: number | null, rawHex: string | null): q.EventRow {
  return {
    dedupe_key: e.dedupeKey,
    source: e.source,
    kind: e.kind,
    device_id: device.deviceId,
    device_address: e.deviceAddress,
    unit_id: device.unitId,
    point_id: pointId,
    system_type: e.systemType,
    system_address: e.systemAddress,
    component_type: e.componentType,
    component_address: e.componentAddress,
    region_adcode: device.regionAdcode,
    h3_r9: device.h3R9,
    status: e.status,
    value: e.value,
    description: e.description,
    device_time: e.deviceTime,
    received_at: e.receivedAt,
    raw: rawHex,
    payload: e.payload,
  };
}

/** The stored event, every field named (one object shape for all events: no generic object spread per event). */
function toStored(e: NormalizedEvent, id: number, device: DeviceInfo, pointId: number | null): StoredEvent {
  return {
    id,
    dedupeKey: e.dedupeKey,
    source: e.source,
    kind: e.kind,
    deviceAddress: e.deviceAddress,
    systemType: e.systemType,
    systemAddress: e.systemAddress,
    componentType: e.componentType,
    componentAddress: e.componentAddress,
    status: e.status,
    value: e.value,
    description: e.description,
    deviceTime: e.deviceTime,
    receivedAt: e.receivedAt,
    payload: e.payload,
    deviceId: device.deviceId,
    unitId: device.unitId,
    pointId,
    regionAdcode: device.regionAdcode,
    h3R9: device.h3R9,
  };
}
