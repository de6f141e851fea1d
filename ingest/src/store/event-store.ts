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
import type { Adu } from '../codec/adu.ts';
import type { Frame } from '../codec/frame.ts';
import { isStatusType, normalizeFrame, powerLost, statusKey } from '../domain/normalize.ts';
import * as q from './queries.ts';
import './pg-types.ts';
import { withTransaction } from './transaction.ts';

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
}

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
  }

  /** Frames queued or in a running transaction, by (device, serial, time label). */
  private inFlight = new Map<string, Promise<StoreResult>>();

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
      const results = await this.transaction((c) => this.storeIn(c, batch), batch[0]!.frame);
      batch.forEach((it, i) => it.resolve(results[i]!));
    } catch (err) {
      if (batch.length === 1) {
        batch[0]!.reject(err);
        return;
      }
      // Isolate the bad frame: one transaction per frame, in order.
      for (const it of batch) {
        try {
          const [r] = await this.transaction((c) => this.storeIn(c, [it]), it.frame);
          it.resolve(r!);
        } catch (e) {
          it.reject(e);
        }
      }
    }
  }

  private transaction<T>(work: (c: pg.PoolClient) => Promise<T>, frame: Frame): Promise<T> {
    const hook = this.beforeCommit;
    return withTransaction(this.pool, work, hook ? () => hook(frame) : undefined);
  }

  /** The set-based body: a handful of statements for the whole batch. */
  private async storeIn(client: Queryable, items: Array<Pick<Item, 'frame' | 'adu' | 'peer' | 'receivedAt'>>): Promise<StoreResult[]> {
    const frameKey = (f: Frame) => `${f.source}|${f.serial}|${f.time}`;
    // 1. Receipts: which frames are new (a resend, or a copy within this batch, is not).
    const keys: q.FrameKeys = { address: [], serial: [], timeLabel: [] };
    const receivedAt: string[] = [];
    const seenInBatch = new Set<string>();
    for (const it of items) {
      const k = frameKey(it.frame);
      if (seenInBatch.has(k)) continue;
      seenInBatch.add(k);
      keys.address.push(it.frame.source);
      keys.serial.push(it.frame.serial);
      keys.timeLabel.push(it.frame.time);
      receivedAt.push(it.receivedAt.toISOString());
    }
    const claimed = await client.query<{ device_address: number; serial: number; time_label: string }>(q.claimFrames(keys, receivedAt));
    const isNew = new Set(claimed.rows.map((r) => `${r.device_address}|${r.serial}|${r.time_label}`));
    const fresh = items.map((it) => {
      const k = frameKey(it.frame);
      const ok = isNew.has(k);
      isNew.delete(k); // a second copy in the same batch is a duplicate
      return ok;
    });

    // 2. Registry.
    const addresses = [...new Set(items.map((it) => it.frame.source))];
    const dev = await client.query<{ address: number; id: number; unit_id: number | null; region_adcode: number | null; h3_r9: string | null }>(q.findDevices(addresses));
    const devices = new Map<number, DeviceInfo>(dev.rows.map((d) => [Number(d.address), { deviceId: Number(d.id), unitId: d.unit_id === null ? null : Number(d.unit_id), regionAdcode: d.region_adcode, h3R9: d.h3_r9 }]));
    const deviceOf = (address: number) => devices.get(address) ?? NO_DEVICE;

    const work = items.map((it, i) => ({ ...it, fresh: fresh[i]!, device: deviceOf(it.frame.source), events: [] as NormalizedEvent[] })).filter((w) => w.fresh && w.adu);

    // 3. Last statuses (locked), transitions in arrival order, final statuses written back.
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
    const prevByDevice = new Map<number, Map<string, number | null>>();
    if (sk.address.length > 0) {
      const r = await client.query<{ device_address: number; adu_type: number; system_type: number; system_address: number; component_address: number; status: number }>(q.lockLastStatuses(sk));
      for (const s of r.rows) {
        const m = prevByDevice.get(Number(s.device_address)) ?? new Map<string, number | null>();
        m.set(`${s.adu_type}:${s.system_type}:${s.system_address}:${s.component_address}`, s.status);
        prevByDevice.set(Number(s.device_address), m);
      }
    }
    for (const w of work) {
      const at = w.receivedAt.toISOString();
      const prev = prevByDevice.get(w.frame.source) ?? new Map<string, number | null>();
      prevByDevice.set(w.frame.source, prev);
      w.events = normalizeFrame({ deviceAddress: w.frame.source, serial: w.frame.serial, timeLabel: w.frame.time, receivedAt: at }, w.adu!, prev);
    }
    if (sk.address.length > 0) {
      const status = sk.address.map((a, i) => prevByDevice.get(a)!.get(`${sk.aduType[i]}:${sk.systemType[i]}:${sk.systemAddress[i]}:${sk.componentAddress[i]}`) ?? 0);
      await client.query(q.upsertLastStatuses({ ...sk, status }, new Date().toISOString()));
    }

    // 4. Points of registered devices; point states and system statuses.
    const pk = { device: [] as number[], st: [] as number[], sa: [] as number[], ca: [] as number[] };
    for (const w of work) {
      if (w.device.deviceId === null) continue;
      for (const o of w.adu!.objects) {
        if (o.componentAddress === undefined || o.systemType === undefined) continue;
        pk.device.push(w.device.deviceId);
        pk.st.push(o.systemType);
        pk.sa.push(o.systemAddress ?? 0);
        pk.ca.push(o.componentAddress);
      }
    }
    const points = new Map<string, number>();
    if (pk.device.length > 0) {
      const r = await client.query<{ device_id: number; system_type: number; system_address: number; component_address: number; id: number }>(q.findPoints(pk.device, pk.st, pk.sa, pk.ca));
      for (const p of r.rows) points.set(`${p.device_id}:${p.system_type}:${p.system_address}:${p.component_address}`, Number(p.id));
    }
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
    if (pointState.size > 0) {
      const ids = [...pointState.keys()].sort((a, b) => a - b);
      await client.query(q.updatePointStates(ids, ids.map((id) => pointState.get(id)!.state), ids.map((id) => pointState.get(id)!.inFault), now));
    }
    if (sys.size > 0) {
      const v = [...sys.values()];
      await client.query(q.updateSystemStatuses(v.map((x) => x.device), v.map((x) => x.st), v.map((x) => x.sa), v.map((x) => x.status), now));
    }

    // 5. Host power: mains and backup lost = host offline (主机关机); restored = host online.
    const power = work.filter((w) => w.adu!.type === 1 || w.adu!.type === 21);
    if (power.length > 0) {
      const addrs = [...new Set(power.map((w) => w.frame.source))].sort((a, b) => a - b);
      const r = await client.query<{ device_address: number; host_offline: boolean; offline_reason: string | null }>(q.lockHealth(addrs));
      const health = new Map(r.rows.map((h) => [Number(h.device_address), h]));
      const set = { a: [] as number[], off: [] as boolean[], reason: [] as Array<string | null>, lost: [] as boolean[] };
      for (const w of power) {
        const lost = w.adu!.objects.some((o) => powerLost(w.adu!.type, o.status ?? 0));
        const h = health.get(w.frame.source);
        const at = w.receivedAt.toISOString();
        const key = `gb:${w.frame.source}:${w.frame.serial}:${w.frame.time}`;
        if (lost && !h?.host_offline) {
          w.events.push(systemEvent(`${key}:host_offline`, 'host_offline', w.frame.source, at, { reason: 'power' }));
          health.set(w.frame.source, { device_address: w.frame.source, host_offline: true, offline_reason: 'power' });
          set.a.push(w.frame.source); set.off.push(true); set.reason.push('power'); set.lost.push(true);
        } else if (!lost && h?.host_offline && h.offline_reason === 'power') {
          w.events.push(systemEvent(`${key}:host_online`, 'host_online', w.frame.source, at, { reason: 'power_restored' }));
          health.set(w.frame.source, { device_address: w.frame.source, host_offline: false, offline_reason: null });
          set.a.push(w.frame.source); set.off.push(false); set.reason.push(null); set.lost.push(false);
        }
      }
      if (set.a.length > 0) {
        // Last write per address wins.
        const last = new Map<number, number>();
        set.a.forEach((a, i) => last.set(a, i));
        const idx = [...last.values()];
        await client.query(q.setHealth(idx.map((i) => set.a[i]!), idx.map((i) => set.off[i]!), idx.map((i) => set.reason[i]!), idx.map((i) => set.lost[i]!), now));
      }
    }

    // 6. Duty-check answers (rare): response time recorded on the check.
    for (const w of work) {
      if (w.device.deviceId === null) continue;
      for (const e of w.events) {
        if (e.kind !== 'duty_check_answered') continue;
        const r = await client.query<{ id: number; response_s: number; late: boolean }>(q.answerDutyCheck(w.device.deviceId, e.receivedAt));
        const check = r.rows[0];
        e.payload = { ...e.payload, dutyCheckId: check ? Number(check.id) : null, responseS: check?.response_s ?? null, late: check?.late ?? false };
      }
    }

    // 7. Unregistered devices are surfaced (first sight, then hourly) and their frames kept raw.
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
      } else if (w.adu!.error) {
        raw.a.push(w.frame.source);
        raw.p.push(w.peer);
        raw.r.push(`adu: ${w.adu!.error}`.slice(0, 200));
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

    // 8. Events, one statement for the batch.
    const rows: q.EventRow[] = [];
    const pending: Array<{ w: (typeof work)[number]; e: NormalizedEvent; pointId: number | null }> = [];
    for (const w of work) {
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
    if (rows.length > 0) {
      const r = await client.query<{ id: number; dedupe_key: string }>(q.insertEvents(rows));
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
