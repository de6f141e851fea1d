// Persistence adapter: one upload frame → one transaction. The frame's receipt row makes
// a resend a no-op; events are enriched from the registry (device → unit → region, H3,
// point) and inserted idempotently on dedupe_key. The caller confirms to the device and
// publishes only after storeFrame() resolves, i.e. after COMMIT.
import type pg from 'pg';
import type { NormalizedEvent, StoredEvent } from '@firelink/common';
import type { Adu } from '../codec/adu.ts';
import type { Frame } from '../codec/frame.ts';
import { isStatusType, normalizeFrame, powerLost, statusKey } from '../domain/normalize.ts';
import * as q from './queries.ts';
import './pg-types.ts';

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

/** Optional hook run inside the frame's transaction just before COMMIT (tests use it to crash there). */
export type BeforeCommitHook = (frame: Frame) => void | Promise<void>;

export class EventStore {
  beforeCommit: BeforeCommitHook | null = null;

  constructor(private readonly pool: pg.Pool) {}

  async storeFrame(frame: Frame, adu: Adu | null, peer: string | null, receivedAt = new Date()): Promise<StoreResult> {
    const client = await this.pool.connect();
    let released = false;
    try {
      await client.query('BEGIN');
      const result = await this.storeFrameIn(client, frame, adu, peer, receivedAt);
      if (this.beforeCommit) await this.beforeCommit(frame);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      client.release(err as Error); // a connection that failed mid-transaction is not reused
      released = true;
      throw err;
    } finally {
      if (!released) client.release();
    }
  }

  private async storeFrameIn(client: Queryable, frame: Frame, adu: Adu | null, peer: string | null, receivedAt: Date): Promise<StoreResult> {
    const at = receivedAt.toISOString();
    const address = frame.source;
    const claim = await client.query<{ claimed: number; device_id: number | null; unit_id: number | null; region_adcode: number | null; h3_r9: string | null }>(
      q.claimFrame(address, frame.serial, frame.time, at),
    );
    const row = claim.rows[0]!;
    const device: DeviceInfo = { deviceId: row.device_id, unitId: row.unit_id, regionAdcode: row.region_adcode, h3R9: row.h3_r9 };
    if (row.claimed === 0) return { duplicate: true, device, events: [] };
    if (!adu) return { duplicate: false, device, events: [] };

    const ctx = { deviceAddress: address, serial: frame.serial, timeLabel: frame.time, receivedAt: at };
    // Last known statuses of every status object in the frame, locked until commit.
    const prev = new Map<string, number | null>();
    const statusObjects = isStatusType(adu.type) ? adu.objects : [];
    if (statusObjects.length > 0) {
      const keys = keyRows(adu.type, statusObjects);
      const r = await client.query<{ adu_type: number; system_type: number; system_address: number; component_address: number; status: number }>(
        q.lockLastStatuses(address, keys),
      );
      for (const s of r.rows) prev.set(`${s.adu_type}:${s.system_type}:${s.system_address}:${s.component_address}`, s.status);
    }
    const normalized = normalizeFrame(ctx, adu, prev);
    if (statusObjects.length > 0) {
      // `prev` now holds the final status per key.
      const finals = [...new Set(statusObjects.map((o) => statusKey(adu.type, o)))];
      const k = { aduType: [] as number[], systemType: [] as number[], systemAddress: [] as number[], componentAddress: [] as number[], status: [] as number[] };
      for (const key of finals) {
        const [t, st, sa, ca] = key.split(':').map(Number) as [number, number, number, number];
        k.aduType.push(t);
        k.systemType.push(st);
        k.systemAddress.push(sa);
        k.componentAddress.push(ca);
        k.status.push(prev.get(key) ?? 0);
      }
      await client.query(q.upsertLastStatuses(address, k, at));
    }

    // Registry enrichment: points by (system, component address).
    const pointIds = new Map<string, number>();
    if (device.deviceId !== null) {
      const comp = adu.objects.filter((o) => o.componentAddress !== undefined && o.systemType !== undefined);
      if (comp.length > 0) {
        const r = await client.query<{ system_type: number; system_address: number; component_address: number; id: number }>(
          q.findPoints(device.deviceId, comp.map((o) => o.systemType!), comp.map((o) => o.systemAddress ?? 0), comp.map((o) => o.componentAddress!)),
        );
        for (const p of r.rows) pointIds.set(`${p.system_type}:${p.system_address}:${p.component_address}`, p.id);
      }
      if (adu.type === 2) await this.updatePoints(client, adu, pointIds, at);
      if (adu.type === 1) {
        await client.query(
          q.updateSystemStatuses(device.deviceId, adu.objects.map((o) => o.systemType ?? 0), adu.objects.map((o) => o.systemAddress ?? 0), adu.objects.map((o) => o.status ?? 0), at),
        );
      }
    }

    const extra: NormalizedEvent[] = [];
    // Host power: mains and backup lost = host offline (主机关机); restored = host online.
    if (adu.type === 1 || adu.type === 21) {
      const lost = adu.objects.some((o) => powerLost(adu.type, o.status ?? 0));
      extra.push(...(await this.applyPower(client, address, lost, frame, at)));
    }
    // Duty-check answers: record the response time on the check.
    if (device.deviceId !== null) {
      for (const e of normalized) {
        if (e.kind !== 'duty_check_answered') continue;
        const r = await client.query<{ id: number; response_s: number; late: boolean }>(q.answerDutyCheck(device.deviceId, at));
        const check = r.rows[0];
        e.payload = { ...e.payload, dutyCheckId: check?.id ?? null, responseS: check?.response_s ?? null, late: check?.late ?? false };
      }
    }
    if (device.deviceId === null) {
      const r = await client.query<{ inserted: boolean; surface: boolean }>(q.touchUnregistered(address, peer, at));
      if (r.rows[0]?.surface) {
        extra.push(systemEvent(`gb:${address}:${frame.serial}:${frame.time}:unregistered`, 'unregistered_device', address, at, {
          peer,
          firstSeen: r.rows[0].inserted,
          aduType: adu.type,
        }));
      }
      await client.query(q.insertRawFrame(address, peer, 'unregistered_device', frame.raw, at));
    } else if (adu.error) {
      await client.query(q.insertRawFrame(address, peer, `adu: ${adu.error}`.slice(0, 200), frame.raw, at));
    }

    const all = [...normalized, ...extra];
    const events = await insertEnriched(client, all, device, pointIds, frame.raw);
    await client.query(q.setFrameEventCount(address, frame.serial, frame.time, events.length));
    return { duplicate: false, device, events };
  }

  private async updatePoints(client: Queryable, adu: Adu, pointIds: Map<string, number>, at: string): Promise<void> {
    const ids: number[] = [];
    const states: string[] = [];
    const faults: boolean[] = [];
    for (const o of adu.objects) {
      const id = pointIds.get(`${o.systemType}:${o.systemAddress ?? 0}:${o.componentAddress}`);
      if (id === undefined) continue;
      const s = o.status ?? 0;
      const inFault = ((s >> 2) & 1) === 1 || ((s >> 8) & 1) === 1;
      ids.push(id);
      faults.push(inFault);
      states.push((s >> 1) & 1 ? 'fire' : inFault ? 'fault' : (s >> 4) & 1 ? 'supervisory' : (s >> 3) & 1 ? 'disabled' : 'normal');
    }
    if (ids.length > 0) await client.query(q.updatePointStates(ids, states, faults, at));
  }

  private async applyPower(client: Queryable, address: number, lost: boolean, frame: Frame, at: string): Promise<NormalizedEvent[]> {
    const r = await client.query<{ host_offline: boolean; offline_reason: string | null; power_lost: boolean }>(q.lockHealth(address));
    const h = r.rows[0];
    const key = `gb:${address}:${frame.serial}:${frame.time}`;
    if (lost && !h?.host_offline) {
      await client.query(q.setHealth(address, true, 'power', true, at));
      return [systemEvent(`${key}:host_offline`, 'host_offline', address, at, { reason: 'power' })];
    }
    if (!lost && h?.host_offline && h.offline_reason === 'power') {
      await client.query(q.setHealth(address, false, null, false, at));
      return [systemEvent(`${key}:host_online`, 'host_online', address, at, { reason: 'power_restored' })];
    }
    return [];
  }

  /** Stores events the center itself raises (host offline/online, duty check missed) in one transaction. */
  async storeSystemEvents(events: NormalizedEvent[], client?: Queryable): Promise<StoredEvent[]> {
    if (events.length === 0) return [];
    const run = async (c: Queryable) => {
      const addresses = [...new Set(events.map((e) => e.deviceAddress).filter((a): a is number => a !== null))];
      const r = await c.query<{ address: number; id: number; unit_id: number | null; region_adcode: number | null; h3_r9: string | null }>({
        text: `SELECT d.address, d.id, d.unit_id, u.region_adcode, u.h3_r9 FROM devices d LEFT JOIN units u ON u.id = d.unit_id
                WHERE d.protocol = 'gb26875' AND d.address = ANY($1::bigint[])`,
        values: [addresses],
      });
      const byAddress = new Map(r.rows.map((d) => [d.address, d]));
      const out: StoredEvent[] = [];
      for (const [address, group] of groupBy(events, (e) => e.deviceAddress)) {
        const d = address === null ? undefined : byAddress.get(address);
        const info: DeviceInfo = { deviceId: d?.id ?? null, unitId: d?.unit_id ?? null, regionAdcode: d?.region_adcode ?? null, h3R9: d?.h3_r9 ?? null };
        out.push(...(await insertEnriched(c, group, info, new Map(), null)));
      }
      return out;
    };
    if (client) return run(client);
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const out = await run(c);
      await c.query('COMMIT');
      return out;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      c.release();
    }
  }
}

function keyRows(aduType: number, objects: Adu['objects']): q.StatusKeyRows {
  return {
    aduType: objects.map(() => aduType),
    systemType: objects.map((o) => o.systemType ?? 0),
    systemAddress: objects.map((o) => o.systemAddress ?? 0),
    componentAddress: objects.map((o) => o.componentAddress ?? 0),
  };
}

function groupBy<T, K>(items: T[], key: (t: T) => K): Map<K, T[]> {
  const m = new Map<K, T[]>();
  for (const it of items) {
    const k = key(it);
    const g = m.get(k);
    if (g) g.push(it);
    else m.set(k, [it]);
  }
  return m;
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

async function insertEnriched(client: Queryable, events: NormalizedEvent[], device: DeviceInfo, pointIds: Map<string, number>, raw: Buffer | null): Promise<StoredEvent[]> {
  if (events.length === 0) return [];
  const enriched = events.map((e) => {
    const pointId =
      e.componentAddress !== null && e.systemType !== null
        ? (pointIds.get(`${e.systemType}:${e.systemAddress ?? 0}:${e.componentAddress}`) ?? null)
        : null;
    return { e, pointId };
  });
  const rows: q.EventRow[] = enriched.map(({ e, pointId }) => ({
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
    payload: e.payload,
  }));
  const r = await client.query<{ id: number; dedupe_key: string }>(q.insertEvents(rows, raw));
  const ids = new Map(r.rows.map((x) => [x.dedupe_key, Number(x.id)]));
  const out: StoredEvent[] = [];
  for (const { e, pointId } of enriched) {
    const id = ids.get(e.dedupeKey);
    if (id === undefined) continue; // already stored (idempotent)
    out.push({ ...e, id, deviceId: device.deviceId, unitId: device.unitId, pointId, regionAdcode: device.regionAdcode, h3R9: device.h3R9 });
  }
  return out;
}
