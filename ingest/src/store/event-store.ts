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
import type pg from 'pg';
import type { NormalizedEvent, StoredEvent } from '@firelink/common';
import { rawReason, type Adu } from '../codec/adu.ts';
import type { Frame } from '../codec/frame.ts';
import { isStatusType, normalizeFrame, powerLost, statusKey } from '../domain/normalize.ts';
import * as q from './queries.ts';
import './pg-types.ts';
import { withTransaction } from '@firelink/common';

export interface DeviceInfo {
  deviceId: number | null;
  unitId: number | null;
  regionAdcode: number | null;
  h3R9: string | null;
}

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
}

/** Thrown by the fast path when a batch needs the locked transaction (nothing was written). */
class NeedsTransaction extends Error {}

interface Item {
  frame: Frame;
  adu: Adu | null;
  peer: string | null;
  receivedAt: Date;
  resolve: (r: StoreResult) => void;
  reject: (e: unknown) => void;
}

const NO_DEVICE: DeviceInfo = { deviceId: null, unitId: null, regionAdcode: null, h3R9: null };

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
  }

  private fastPath: boolean;

  /** Frames queued or in a running transaction, by (device, serial, time label). */
  private inFlight = new Map<string, Promise<StoreResult>>();

  /** Batch timing (ms, summed): transactions, frames in them, and the read/write statements' round trips. */
  readonly timing = { batches: 0, fastBatches: 0, frames: 0, txMs: 0, readMs: 0, writeMs: 0 };

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
    if (this.fastPath && !this.beforeCommit && batch.every((it) => !it.adu || (it.adu.type !== 1 && it.adu.type !== 21 && rawReason(it.adu) === null))) {
      const client = await this.pool.connect();
      let lost: Error | null = null;
      const onError = (err: Error) => {
        lost = err;
      };
      client.on('error', onError);
      try {
        const r = await this.storeIn(client, batch, 'fast');
        client.off('error', onError);
        client.release();
        this.timing.fastBatches++;
        return r;
      } catch (err) {
        client.off('error', onError);
        // NeedsTransaction: nothing was sent to write. 40001 (ingest_assert): a concurrent
        // writer moved a receipt or status after the read; the statement wrote nothing.
        // Either way the locked transaction below stores the batch.
        if (err instanceof NeedsTransaction || (err as { code?: string }).code === '40001') client.release();
        else {
          client.release((lost ?? err) as Error); // not reused after a failure
          // A database migrated before 0101 lacks ingest_assert: use transactions only.
          if ((err as { code?: string }).code === '42883') this.fastPath = false;
          throw err;
        }
      }
    }
    return this.transaction((c) => this.storeIn(c, batch, 'tx'), batch[0]!.frame);
  }

  private transaction<T>(work: (c: pg.PoolClient) => Promise<T>, frame: Frame): Promise<T> {
    const hook = this.beforeCommit;
    return withTransaction(this.pool, work, hook ? () => hook(frame) : undefined);
  }

  /**
   * The set-based body. Common case: two statements for the whole batch — a read phase
   * (receipts claimed, registry, last statuses and host power locked, points) and, after
   * normalization in JS, a write phase (statuses, point/system states, host power, events).
   * Unregistered devices, bad ADUs and duty-check answers (rare) add a statement each.
   */
  private async storeIn(client: Queryable, items: Array<Pick<Item, 'frame' | 'adu' | 'peer' | 'receivedAt'>>, mode: 'tx' | 'fast'): Promise<StoreResult[]> {
    const frameKey = (f: Frame) => `${f.source}|${f.serial}|${f.time}`;
    // Read-phase keys. Status, point and health keys are gathered over the whole batch (a
    // resend among them only widens the read); what is written comes from new frames only.
    const frames = { address: [] as number[], serial: [] as number[], timeLabel: [] as string[], receivedAt: [] as string[] };
    const seenInBatch = new Set<string>();
    const addressSet = new Set<number>();
    const rk: q.StatusKeys = { address: [], aduType: [], systemType: [], systemAddress: [], componentAddress: [] };
    const rkSeen = new Set<string>();
    const pr = { address: [] as number[], systemType: [] as number[], systemAddress: [] as number[], componentAddress: [] as number[] };
    const prSeen = new Set<string>();
    const healthSet = new Set<number>();
    for (const it of items) {
      const f = it.frame;
      const k = frameKey(f);
      if (!seenInBatch.has(k)) {
        seenInBatch.add(k);
        frames.address.push(f.source);
        frames.serial.push(f.serial);
        frames.timeLabel.push(f.time);
        frames.receivedAt.push(it.receivedAt.toISOString());
      }
      addressSet.add(f.source);
      const adu = it.adu;
      if (!adu) continue;
      if (adu.type === 1 || adu.type === 21) healthSet.add(f.source);
      const status = isStatusType(adu.type);
      for (const o of adu.objects) {
        if (status) {
          const sk = `${f.source}|${statusKey(adu.type, o)}`;
          if (!rkSeen.has(sk)) {
            rkSeen.add(sk);
            rk.address.push(f.source);
            rk.aduType.push(adu.type);
            rk.systemType.push(o.systemType ?? 0);
            rk.systemAddress.push(o.systemAddress ?? 0);
            rk.componentAddress.push(o.componentAddress ?? 0);
          }
        }
        if (o.componentAddress !== undefined && o.systemType !== undefined) {
          const pk = `${f.source}:${o.systemType}:${o.systemAddress ?? 0}:${o.componentAddress}`;
          if (!prSeen.has(pk)) {
            prSeen.add(pk);
            pr.address.push(f.source);
            pr.systemType.push(o.systemType);
            pr.systemAddress.push(o.systemAddress ?? 0);
            pr.componentAddress.push(o.componentAddress);
          }
        }
      }
    }

    // 1. Read phase, one statement.
    const tRead = performance.now();
    const fast = mode === 'fast';
    const read = await client.query<q.ReadBatchRow>(
      fast
        ? q.readBatchFast({ frames, addresses: [...addressSet], status: rk, points: pr })
        : q.readBatch({ frames, addresses: [...addressSet], status: rk, points: pr, health: [...healthSet] }),
    );
    const rr = read.rows[0]!;
    this.timing.readMs += performance.now() - tRead;
    // Transaction: `claimed` are the receipts just inserted (new frames). Fast path: the
    // receipts that already exist (resends); the write statement claims the others.
    const listed = new Set(rr.claimed.map((r) => `${r[0]}|${r[1]}|${r[2]}`));
    const firstCopy = new Set<string>();
    const fresh = items.map((it) => {
      const k = frameKey(it.frame);
      if (firstCopy.has(k)) return false; // a second copy in the same batch is a duplicate
      firstCopy.add(k);
      return fast ? !listed.has(k) : listed.has(k);
    });
    const devices = new Map<number, DeviceInfo>(rr.devices.map((d) => [Number(d[0]), { deviceId: Number(d[1]), unitId: d[2] === null ? null : Number(d[2]), regionAdcode: d[3], h3R9: d[4] }]));
    const deviceOf = (address: number) => devices.get(address) ?? NO_DEVICE;
    // Points by device id (registered devices only, as the registry join guarantees).
    const points = new Map<string, number>();
    for (const p of rr.points) {
      const d = devices.get(Number(p[0]));
      if (d?.deviceId != null) points.set(`${d.deviceId}:${p[1]}:${p[2]}:${p[3]}`, Number(p[4]));
    }

    const work = items.map((it, i) => ({ ...it, fresh: fresh[i]!, device: deviceOf(it.frame.source), events: [] as NormalizedEvent[] })).filter((w) => w.fresh && w.adu);

    // 2. Transitions in arrival order against the locked last statuses; final statuses written back.
    const prevByDevice = new Map<number, Map<string, number | null>>();
    const readStatus = new Map<string, number>(); // as read, for the fast path's compare-and-set
    for (const s of rr.statuses) {
      readStatus.set(`${s[0]}|${s[1]}:${s[2]}:${s[3]}:${s[4]}`, s[5]);
      const a = Number(s[0]);
      const m = prevByDevice.get(a) ?? new Map<string, number | null>();
      m.set(`${s[1]}:${s[2]}:${s[3]}:${s[4]}`, s[5]);
      prevByDevice.set(a, m);
    }
    const sk: q.StatusKeys = { address: [], aduType: [], systemType: [], systemAddress: [], componentAddress: [] };
    const skSeen = new Set<string>();
    for (const w of work) {
      const adu = w.adu!;
      if (!isStatusType(adu.type)) continue;
      for (const o of adu.objects) {
        const key = `${w.frame.source}|${statusKey(adu.type, o)}`;
        if (skSeen.has(key)) continue;
        skSeen.add(key);
        sk.address.push(w.frame.source);
        sk.aduType.push(adu.type);
        sk.systemType.push(o.systemType ?? 0);
        sk.systemAddress.push(o.systemAddress ?? 0);
        sk.componentAddress.push(o.componentAddress ?? 0);
      }
    }
    for (const w of work) {
      const at = w.receivedAt.toISOString();
      const prev = prevByDevice.get(w.frame.source) ?? new Map<string, number | null>();
      prevByDevice.set(w.frame.source, prev);
      w.events = normalizeFrame({ deviceAddress: w.frame.source, serial: w.frame.serial, timeLabel: w.frame.time, receivedAt: at }, w.adu!, prev);
    }
    const status = sk.address.map((a, i) => prevByDevice.get(a)!.get(`${sk.aduType[i]}:${sk.systemType[i]}:${sk.systemAddress[i]}:${sk.componentAddress[i]}`) ?? 0);
    // The fast path covers registered devices without system/UITD status, bad ADUs or
    // duty-check answers; anything else goes to the locked transaction (nothing written yet).
    if (fast && work.some((w) => w.device.deviceId === null || w.adu!.type === 1 || w.adu!.type === 21 || rawReason(w.adu!) !== null || w.events.some((e) => e.kind === 'duty_check_answered'))) {
      throw new NeedsTransaction('batch needs the locked transaction');
    }

    // 3. Point states and system statuses of registered devices.
    const now = new Date().toISOString();
    const pointState = new Map<number, { state: string; inFault: boolean }>();
    const sys = new Map<string, { device: number; st: number; sa: number; status: number }>();
    for (const w of work) {
      if (w.device.deviceId === null) continue;
      const adu = w.adu!;
      for (const o of adu.objects) {
        const s = o.status ?? 0;
        if (adu.type === 2) {
          const id = points.get(`${w.device.deviceId}:${o.systemType}:${o.systemAddress ?? 0}:${o.componentAddress}`);
          if (id === undefined) continue;
          const inFault = ((s >> 2) & 1) === 1 || ((s >> 8) & 1) === 1;
          pointState.set(id, { inFault, state: (s >> 1) & 1 ? 'fire' : inFault ? 'fault' : (s >> 4) & 1 ? 'supervisory' : (s >> 3) & 1 ? 'disabled' : 'normal' });
        } else if (adu.type === 1) {
          sys.set(`${w.device.deviceId}:${o.systemType}:${o.systemAddress}`, { device: w.device.deviceId, st: o.systemType ?? 0, sa: o.systemAddress ?? 0, status: s });
        }
      }
    }
    const pointIds = [...pointState.keys()].sort((a, b) => a - b);
    const sysRows = [...sys.values()];

    // 4. Host power: mains and backup lost = host offline (主机关机); restored = host online.
    const health = new Map<number, { host_offline: boolean; offline_reason: string | null }>(rr.health.map((h) => [Number(h[0]), { host_offline: h[1], offline_reason: h[2] }]));
    const set = { a: [] as number[], off: [] as boolean[], reason: [] as Array<string | null>, lost: [] as boolean[] };
    for (const w of work) {
      if (w.adu!.type !== 1 && w.adu!.type !== 21) continue;
      const lost = w.adu!.objects.some((o) => powerLost(w.adu!.type, o.status ?? 0));
      const h = health.get(w.frame.source);
      const at = w.receivedAt.toISOString();
      const key = `gb:${w.frame.source}:${w.frame.serial}:${w.frame.time}`;
      if (lost && !h?.host_offline) {
        w.events.push(systemEvent(`${key}:host_offline`, 'host_offline', w.frame.source, at, { reason: 'power' }));
        health.set(w.frame.source, { host_offline: true, offline_reason: 'power' });
        set.a.push(w.frame.source); set.off.push(true); set.reason.push('power'); set.lost.push(true);
      } else if (!lost && h?.host_offline && h.offline_reason === 'power') {
        w.events.push(systemEvent(`${key}:host_online`, 'host_online', w.frame.source, at, { reason: 'power_restored' }));
        health.set(w.frame.source, { host_offline: false, offline_reason: null });
        set.a.push(w.frame.source); set.off.push(false); set.reason.push(null); set.lost.push(false);
      }
    }
    // Last write per address wins.
    const lastHealth = new Map<number, number>();
    set.a.forEach((a, i) => lastHealth.set(a, i));
    const hIdx = [...lastHealth.values()];

    // 5. Duty-check answers (rare): response time recorded on the check.
    for (const w of work) {
      if (w.device.deviceId === null) continue;
      for (const e of w.events) {
        if (e.kind !== 'duty_check_answered') continue;
        const r = await client.query<{ id: number; response_s: number; late: boolean }>(q.answerDutyCheck(w.device.deviceId, e.receivedAt));
        const check = r.rows[0];
        e.payload = { ...e.payload, dutyCheckId: check ? Number(check.id) : null, responseS: check?.response_s ?? null, late: check?.late ?? false };
      }
    }

    // 6. Unregistered devices are surfaced (first sight, then hourly) and their frames kept raw (rare).
    const raw = { a: [] as Array<number | null>, p: [] as Array<string | null>, r: [] as string[], h: [] as string[] };
    const strangers = new Map<number, { peer: string | null; n: number; first: (typeof work)[number] }>();
    for (const w of work) {
      if (w.device.deviceId === null) {
        const s = strangers.get(w.frame.source);
        if (s) {
          s.n++;
          s.peer = w.peer;
        } else strangers.set(w.frame.source, { peer: w.peer, n: 1, first: w });
        raw.a.push(w.frame.source);
        raw.p.push(w.peer);
        raw.r.push('unregistered_device');
        raw.h.push(w.frame.raw.toString('hex'));
      } else if (rawReason(w.adu!) !== null) {
        raw.a.push(w.frame.source);
        raw.p.push(w.peer);
        raw.r.push(`adu: ${rawReason(w.adu!)}`.slice(0, 200));
        raw.h.push(w.frame.raw.toString('hex'));
      }
    }
    if (strangers.size > 0) {
      const addrs = [...strangers.keys()];
      const r = await client.query<{ device_address: number; inserted: boolean; surface: boolean }>(
        q.touchUnregistered(addrs, addrs.map((a) => strangers.get(a)!.peer), addrs.map((a) => strangers.get(a)!.n), now),
      );
      for (const row of r.rows) {
        if (!row.surface) continue;
        const w = strangers.get(Number(row.device_address))!.first;
        w.events.push(
          systemEvent(`gb:${w.frame.source}:${w.frame.serial}:${w.frame.time}:unregistered`, 'unregistered_device', w.frame.source, w.receivedAt.toISOString(), {
            peer: w.peer,
            firstSeen: row.inserted,
            aduType: w.adu!.type,
          }),
        );
      }
    }
    if (raw.a.length > 0) await client.query(q.insertRawFrames(raw.a, raw.p, raw.r, raw.h, now));

    // 7. Write phase, one statement: statuses, point/system states, host power, events.
    const rows: q.EventRow[] = [];
    const pending: Array<{ w: (typeof work)[number]; e: NormalizedEvent; pointId: number | null }> = [];
    for (const w of work) {
      if (w.events.length === 0) continue;
      const hex = w.frame.raw.toString('hex');
      for (const e of w.events) {
        const pointId =
          w.device.deviceId !== null && e.componentAddress !== null && e.systemType !== null
            ? (points.get(`${w.device.deviceId}:${e.systemType}:${e.systemAddress ?? 0}:${e.componentAddress}`) ?? null)
            : null;
        pending.push({ w, e, pointId });
        rows.push(eventRow(e, w.device, pointId, hex));
      }
    }
    const ids = new Map<string, number>();
    if (fast) {
      const fk = { address: [] as number[], serial: [] as number[], timeLabel: [] as string[], receivedAt: [] as string[] };
      items.forEach((it, i) => {
        if (!fresh[i]) return;
        fk.address.push(it.frame.source);
        fk.serial.push(it.frame.serial);
        fk.timeLabel.push(it.frame.time);
        fk.receivedAt.push(it.receivedAt.toISOString());
      });
      const prevRead = sk.address.map((a, i) => readStatus.get(`${a}|${sk.aduType[i]}:${sk.systemType[i]}:${sk.systemAddress[i]}:${sk.componentAddress[i]}`) ?? null);
      if (fk.address.length > 0) {
        const tWrite = performance.now();
        const r = await client.query<{ ok: boolean; events: Array<[number, string]> }>(
          q.writeBatchFast({
            frames: fk,
            status: { ...sk, status, prev: prevRead },
            pointStates: { ids: pointIds, states: pointIds.map((id) => pointState.get(id)!.state), inFault: pointIds.map((id) => pointState.get(id)!.inFault) },
            events: rows,
            at: now,
          }),
        );
        this.timing.writeMs += performance.now() - tWrite;
        for (const [id, key] of r.rows[0]!.events) ids.set(key, Number(id));
      }
    } else if (rows.length > 0 || sk.address.length > 0 || pointIds.length > 0 || sysRows.length > 0 || hIdx.length > 0) {
      const tWrite = performance.now();
      const r = await client.query<{ id: number; dedupe_key: string }>(
        q.writeBatch({
          status: { ...sk, status },
          pointStates: { ids: pointIds, states: pointIds.map((id) => pointState.get(id)!.state), inFault: pointIds.map((id) => pointState.get(id)!.inFault) },
          systems: { deviceId: sysRows.map((x) => x.device), systemType: sysRows.map((x) => x.st), systemAddress: sysRows.map((x) => x.sa), status: sysRows.map((x) => x.status) },
          health: { address: hIdx.map((i) => set.a[i]!), hostOffline: hIdx.map((i) => set.off[i]!), reason: hIdx.map((i) => set.reason[i]!), powerLost: hIdx.map((i) => set.lost[i]!) },
          events: rows,
          at: now,
        }),
      );
      this.timing.writeMs += performance.now() - tWrite;
      for (const x of r.rows) ids.set(x.dedupe_key, Number(x.id));
    }
    const stored = new Map<object, StoredEvent[]>();
    for (const { w, e, pointId } of pending) {
      const id = ids.get(e.dedupeKey);
      if (id === undefined) continue; // already stored (idempotent)
      const list = stored.get(w) ?? [];
      list.push(toStored(e, id, w.device, pointId));
      stored.set(w, list);
    }
    const byItem = new Map<object, (typeof work)[number]>();
    let wi = 0;
    items.forEach((it, i) => {
      if (fresh[i] && it.adu) byItem.set(it, work[wi++]!);
    });
    return items.map((it, i) => {
      const w = byItem.get(it);
      return { duplicate: !fresh[i], device: deviceOf(it.frame.source), events: w ? (stored.get(w) ?? []) : [] };
    });
  }

  /** Keeps a frame we refused (e.g. a peer not allowed for the device) in raw_frames, for investigation. */
  async storeRefusedFrame(frame: Frame, peer: string | null, reason: string, receivedAt = new Date()): Promise<void> {
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

function toStored(e: NormalizedEvent, id: number, device: DeviceInfo, pointId: number | null): StoredEvent {
  return { ...e, id, deviceId: device.deviceId, unitId: device.unitId, pointId, regionAdcode: device.regionAdcode, h3R9: device.h3R9 };
}

export function systemEvent(dedupeKey: string, kind: NormalizedEvent['kind'], deviceAddress: number | null, at: string, payload: Record<string, unknown>): NormalizedEvent {
  return {
    dedupeKey,
    source: 'gb26875',
    kind,
    deviceAddress,
    systemType: null,
    systemAddress: null,
    componentType: null,
    componentAddress: null,
    status: null,
    value: null,
    description: null,
    deviceTime: null,
    receivedAt: at,
    payload,
  };
}
