// What a batch of upload frames means, decided without a database: the pure core of the
// event store. The store reads a snapshot for the batch (receipts, registry, last statuses,
// points, host power), asks planBatch() what to write, and executes the plan.
//
//   readKeysOf(items)         → what to read (one statement)
//   planBatch(items, snapshot) → fresh frames and their events, status words, point and
//                                 system states, host power changes, unregistered
//                                 addresses, raw copies, and whether the fast path may
//                                 write it
//   eventRowsOf(plan)          → the event rows to insert (after the store added the
//                                 events that need its answers: duty checks, strangers)
import type { NormalizedEvent } from '@firelink/common';
import { carriesHostPower, isStatusAdu, rawReason, statusTarget, type Adu, type ComponentRef } from '../codec/adu.ts';
import type { Frame } from '../codec/frame.ts';
import { hostDownReasons, hostDownReasonsOf, normalizeFrame, statusKey, type HostDownReason } from './normalize.ts';

/** One upload frame handed to the store. */
export interface BatchItem {
  frame: Frame;
  adu: Adu | null;
  peer: string | null;
  receivedAt: Date;
}

/** Where a device address belongs in the registry (all null for an unregistered address). */
export interface DeviceInfo {
  deviceId: number | null;
  unitId: number | null;
  regionAdcode: number | null;
  h3R9: string | null;
}

export const NO_DEVICE: DeviceInfo = { deviceId: null, unitId: null, regionAdcode: null, h3R9: null };

/** Frames as parallel arrays (the shape the set-based SQL unnests). */
export interface FrameKeys {
  address: number[];
  serial: number[];
  timeLabel: string[];
  receivedAt: string[];
}

/** Status words by (device address, ADU type, system, component). */
export interface StatusKeys {
  address: number[];
  aduType: number[];
  systemType: number[];
  systemAddress: number[];
  componentAddress: number[];
}

/** Points by (device address, system type, system address, component address). */
export interface PointKeys {
  address: number[];
  systemType: number[];
  systemAddress: number[];
  componentAddress: number[];
}

/** What the read phase must fetch for a batch. */
export interface ReadKeys {
  frames: FrameKeys;
  addresses: number[];
  status: StatusKeys;
  points: PointKeys;
  /** Addresses whose host power state is read (locked in the transaction): those that sent system or UITD status. */
  health: number[];
}

/** The read phase's answer, as named rows. */
export interface BatchSnapshot {
  /** Transaction: the receipts just inserted (new frames). Fast path: the receipts that already existed (resends). */
  claimed: Array<{ address: number; serial: number; timeLabel: string }>;
  devices: Array<{ address: number } & DeviceInfo>;
  statuses: Array<{ address: number; aduType: number; systemType: number; systemAddress: number; componentAddress: number; status: number }>;
  points: Array<{ address: number; systemType: number; systemAddress: number; componentAddress: number; pointId: number }>;
  health: Array<{ address: number; hostOffline: boolean; offlineReason: string | null }>;
}

/** A new frame with an ADU, and the events it yields. */
export interface PlannedFrame {
  /** Index in the batch. */
  index: number;
  item: BatchItem;
  device: DeviceInfo;
  events: NormalizedEvent[];
}

export interface BatchPlan {
  /** Per item: false for a resend (stored before, or a second copy in this batch). */
  fresh: boolean[];
  /** Fresh frames with an ADU, in arrival order. */
  frames: PlannedFrame[];
  deviceOf: (address: number) => DeviceInfo;
  /** Point id of a registered device's component, if the registry has it. */
  pointIdOf: (deviceId: number, systemType: number, systemAddress: number, componentAddress: number) => number | null;
  /** Fast path only: the batch holds something only the locked transaction may write (nothing is written). */
  needsTransaction: boolean;
  /** Fresh frames' receipts (the fast path's write claims them). */
  freshFrames: FrameKeys;
  /** Last status word per key after the batch, and (fast path compare-and-set) the word as read. */
  statuses: StatusKeys & { status: number[]; prev: Array<number | null> };
  pointStates: { ids: number[]; states: string[]; inFault: boolean[] };
  systems: { deviceId: number[]; systemType: number[]; systemAddress: number[]; status: number[] };
  /**
   * Host power changes, last per address, and (fast path compare-and-set) the state as read:
   * `prevExists` false when the address had no health row.
   */
  health: {
    address: number[];
    hostOffline: boolean[];
    reason: Array<string | null>;
    powerLost: boolean[];
    prevExists: boolean[];
    prevOffline: boolean[];
    prevReason: Array<string | null>;
  };
  /** Unregistered addresses: frames seen, last peer, and the first frame (which carries the `unregistered_device` event if one is raised). */
  strangers: Array<{ address: number; peer: string | null; frames: number; first: PlannedFrame }>;
  /** Frames kept raw: unregistered devices, ADUs not parsed whole or vendor-defined. */
  rawFrames: { address: Array<number | null>; peer: Array<string | null>; reason: string[]; hex: string[] };
}

const frameKey = (f: Frame) => `${f.source}|${f.serial}|${f.time}`;
const receiptKey = (address: number, serial: number, timeLabel: string) => `${address}|${serial}|${timeLabel}`;
const pointKey = (deviceId: number, systemType: number, systemAddress: number, componentAddress: number) =>
  `${deviceId}:${systemType}:${systemAddress}:${componentAddress}`;

/** The components an ADU names (component status, analog values, component configuration). */
function componentsOf(adu: Adu): readonly ComponentRef[] {
  switch (adu.typeName) {
    case 'componentStatus':
    case 'componentAnalog':
    case 'componentConfig':
      return adu.objects;
    default:
      return [];
  }
}

/** The distinct status words (address, ADU type, system, component) the items report, in order. */
function statusKeysOf(items: Iterable<BatchItem>): StatusKeys {
  const keys: StatusKeys = { address: [], aduType: [], systemType: [], systemAddress: [], componentAddress: [] };
  const seen = new Set<string>();
  for (const { frame, adu } of items) {
    if (!adu || !isStatusAdu(adu)) continue;
    for (const o of adu.objects) {
      const t = statusTarget(o);
      const key = `${frame.source}|${statusKey(adu.type, t)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      keys.address.push(frame.source);
      keys.aduType.push(adu.type);
      keys.systemType.push(t.systemType);
      keys.systemAddress.push(t.systemAddress);
      keys.componentAddress.push(t.componentAddress);
    }
  }
  return keys;
}

export function readKeysOf(items: readonly BatchItem[]): ReadKeys {
  // Status, point and health keys are gathered over the whole batch (a resend among them
  // only widens the read); what is written comes from new frames only.
  const frames: FrameKeys = { address: [], serial: [], timeLabel: [], receivedAt: [] };
  const points: PointKeys = { address: [], systemType: [], systemAddress: [], componentAddress: [] };
  const seenFrames = new Set<string>();
  const seenPoints = new Set<string>();
  const addresses = new Set<number>();
  const health = new Set<number>();
  for (const it of items) {
    const f = it.frame;
    const k = frameKey(f);
    if (!seenFrames.has(k)) {
      seenFrames.add(k);
      frames.address.push(f.source);
      frames.serial.push(f.serial);
      frames.timeLabel.push(f.time);
      frames.receivedAt.push(it.receivedAt.toISOString());
    }
    addresses.add(f.source);
    const adu = it.adu;
    if (!adu) continue;
    if (carriesHostPower(adu)) health.add(f.source);
    for (const c of componentsOf(adu)) {
      const pk = `${f.source}:${c.systemType}:${c.systemAddress}:${c.componentAddress}`;
      if (seenPoints.has(pk)) continue;
      seenPoints.add(pk);
      points.address.push(f.source);
      points.systemType.push(c.systemType);
      points.systemAddress.push(c.systemAddress);
      points.componentAddress.push(c.componentAddress);
    }
  }
  return { frames, addresses: [...addresses], status: statusKeysOf(items), points, health: [...health] };
}

/** A component status word → the point's state (fire outranks fault, fault supervisory, supervisory disabled). */
export function pointStateOf(status: number): { state: 'fire' | 'fault' | 'supervisory' | 'disabled' | 'normal'; inFault: boolean } {
  const bit = (n: number) => ((status >> n) & 1) === 1;
  const inFault = bit(2) || bit(8); // fault, or the component's power fault
  return { inFault, state: bit(1) ? 'fire' : inFault ? 'fault' : bit(4) ? 'supervisory' : bit(3) ? 'disabled' : 'normal' };
}

/** An event the center raises itself (host offline/online, unregistered device, duty check missed). */
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

export function planBatch(items: readonly BatchItem[], snap: BatchSnapshot, mode: 'tx' | 'fast'): BatchPlan {
  const fast = mode === 'fast';
  // Which frames are new. Transaction: `claimed` lists the new ones. Fast path: it lists the
  // resends; the write statement claims the others.
  const listed = new Set(snap.claimed.map((r) => receiptKey(r.address, r.serial, r.timeLabel)));
  const firstCopy = new Set<string>();
  const fresh = items.map((it) => {
    const k = frameKey(it.frame);
    if (firstCopy.has(k)) return false; // a second copy in the same batch is a duplicate
    firstCopy.add(k);
    return fast ? !listed.has(k) : listed.has(k);
  });

  const devices = new Map<number, DeviceInfo>(snap.devices.map((d) => [d.address, { deviceId: d.deviceId, unitId: d.unitId, regionAdcode: d.regionAdcode, h3R9: d.h3R9 }]));
  const deviceOf = (address: number) => devices.get(address) ?? NO_DEVICE;
  // Points by device id (registered devices only, as the registry join guarantees).
  const points = new Map<string, number>();
  for (const p of snap.points) {
    const d = devices.get(p.address);
    if (d?.deviceId != null) points.set(pointKey(d.deviceId, p.systemType, p.systemAddress, p.componentAddress), p.pointId);
  }
  const pointIdOf = (deviceId: number, st: number, sa: number, ca: number) => points.get(pointKey(deviceId, st, sa, ca)) ?? null;

  const frames: PlannedFrame[] = [];
  const freshFrames: FrameKeys = { address: [], serial: [], timeLabel: [], receivedAt: [] };
  items.forEach((item, index) => {
    if (!fresh[index]) return;
    freshFrames.address.push(item.frame.source);
    freshFrames.serial.push(item.frame.serial);
    freshFrames.timeLabel.push(item.frame.time);
    freshFrames.receivedAt.push(item.receivedAt.toISOString());
    if (item.adu) frames.push({ index, item, device: deviceOf(item.frame.source), events: [] });
  });

  // Transitions in arrival order against the last statuses as read; the final words are written back.
  const prevByDevice = new Map<number, Map<string, number | null>>();
  const asRead = new Map<string, number>(); // for the fast path's compare-and-set
  for (const s of snap.statuses) {
    const key = `${s.aduType}:${s.systemType}:${s.systemAddress}:${s.componentAddress}`;
    asRead.set(`${s.address}|${key}`, s.status);
    const m = prevByDevice.get(s.address) ?? new Map<string, number | null>();
    m.set(key, s.status);
    prevByDevice.set(s.address, m);
  }
  // The words to write back: those of new frames only.
  const statusKeys = statusKeysOf(frames.map((pf) => pf.item));
  for (const pf of frames) {
    const f = pf.item.frame;
    const prev = prevByDevice.get(f.source) ?? new Map<string, number | null>();
    prevByDevice.set(f.source, prev);
    pf.events = normalizeFrame({ deviceAddress: f.source, serial: f.serial, timeLabel: f.time, receivedAt: pf.item.receivedAt.toISOString() }, pf.item.adu!, prev);
  }
  const keyAt = (i: number) => `${statusKeys.aduType[i]}:${statusKeys.systemType[i]}:${statusKeys.systemAddress[i]}:${statusKeys.componentAddress[i]}`;
  const statuses = {
    ...statusKeys,
    status: statusKeys.address.map((a, i) => prevByDevice.get(a)!.get(keyAt(i)) ?? 0),
    prev: statusKeys.address.map((a, i) => asRead.get(`${a}|${keyAt(i)}`) ?? null),
  };

  // The fast path covers registered devices without raw ADUs or duty-check answers (host
  // power changes are written by compare-and-set against the state as read); anything else
  // goes to the locked transaction.
  const needsTransaction =
    fast &&
    frames.some(
      (pf) =>
        pf.device.deviceId === null ||
        rawReason(pf.item.adu!) !== null ||
        pf.events.some((e) => e.kind === 'duty_check_answered'),
    );

  // Point states and system statuses of registered devices (last report wins).
  const pointState = new Map<number, { state: string; inFault: boolean }>();
  const systems = new Map<string, { deviceId: number; systemType: number; systemAddress: number; status: number }>();
  for (const pf of frames) {
    const deviceId = pf.device.deviceId;
    if (deviceId === null) continue;
    const adu = pf.item.adu!;
    if (adu.typeName === 'componentStatus') {
      for (const o of adu.objects) {
        const id = pointIdOf(deviceId, o.systemType, o.systemAddress, o.componentAddress);
        if (id !== null) pointState.set(id, pointStateOf(o.status));
      }
    } else if (adu.typeName === 'systemStatus') {
      for (const o of adu.objects) {
        systems.set(`${deviceId}:${o.systemType}:${o.systemAddress}`, { deviceId, systemType: o.systemType, systemAddress: o.systemAddress, status: o.status });
      }
    }
  }
  const pointIds = [...pointState.keys()].sort((a, b) => a - b);
  const sysRows = [...systems.values()];

  // Host down (主机关机) from status words: the UITD's power (mains + backup), its
  // monitored-line fault (the panel switched off) and the panel's power (hostDownReasons).
  // A status frame decides only the reasons of its own ADU type: a UITD status frame
  // cannot bring back a host whose panel lost power. A reason that ends while another one
  // holds switches the reason (a host_offline event carries the new one).
  const asReadPower = new Map(snap.health.map((h) => [h.address, h]));
  const power = new Map<number, { hostOffline: boolean; offlineReason: string | null }>(snap.health.map((h) => [h.address, { hostOffline: h.hostOffline, offlineReason: h.offlineReason }]));
  const powerChange = new Map<number, { hostOffline: boolean; reason: string | null; powerLost: boolean }>();
  for (const pf of frames) {
    const adu = pf.item.adu!;
    if (!carriesHostPower(adu)) continue;
    const f = pf.item.frame;
    const holding = new Set<HostDownReason>();
    for (const o of adu.objects) for (const r of hostDownReasons(adu.type, o.status)) holding.add(r);
    const decides = hostDownReasonsOf(adu.type);
    const h = power.get(f.source);
    const at = pf.item.receivedAt.toISOString();
    const key = `gb:${f.source}:${f.serial}:${f.time}`;
    const first = [...holding][0];
    const goOffline = (reason: HostDownReason, suffix: string) => {
      pf.events.push(systemEvent(`${key}:${suffix}`, 'host_offline', f.source, at, { reason, aduType: adu.type }));
      power.set(f.source, { hostOffline: true, offlineReason: reason });
      // last change per address wins
      powerChange.set(f.source, { hostOffline: true, reason, powerLost: reason === 'power' || reason === 'panel_power' });
    };
    if (!h?.hostOffline) {
      if (first) goOffline(first, 'host_offline');
    } else if (h.offlineReason === 'silent') {
      // Back from silence with a reason to stay down: traffic alone must not bring it back.
      if (first) goOffline(first, `host_offline:${first}`);
    } else if (decides.includes(h.offlineReason as HostDownReason) && !holding.has(h.offlineReason as HostDownReason)) {
      // The reason the host went down has ended (a silent host is brought back by traffic).
      if (first) goOffline(first, `host_offline:${first}`);
      else {
        pf.events.push(systemEvent(`${key}:host_online`, 'host_online', f.source, at, { reason: `${h.offlineReason}_restored`, aduType: adu.type }));
        power.set(f.source, { hostOffline: false, offlineReason: null });
        powerChange.set(f.source, { hostOffline: false, reason: null, powerLost: false });
      }
    }
  }
  const health: BatchPlan['health'] = { address: [], hostOffline: [], reason: [], powerLost: [], prevExists: [], prevOffline: [], prevReason: [] };
  for (const [address, c] of powerChange) {
    const read = asReadPower.get(address);
    health.address.push(address);
    health.hostOffline.push(c.hostOffline);
    health.reason.push(c.reason);
    health.powerLost.push(c.powerLost);
    health.prevExists.push(read !== undefined);
    health.prevOffline.push(read?.hostOffline ?? false);
    health.prevReason.push(read?.offlineReason ?? null);
  }

  // Unregistered devices are surfaced and their frames kept raw; so are ADUs kept raw.
  const rawFrames = { address: [] as Array<number | null>, peer: [] as Array<string | null>, reason: [] as string[], hex: [] as string[] };
  const strangers = new Map<number, { address: number; peer: string | null; frames: number; first: PlannedFrame }>();
  for (const pf of frames) {
    const f = pf.item.frame;
    let reason: string | null = null;
    if (pf.device.deviceId === null) {
      const s = strangers.get(f.source);
      if (s) {
        s.frames++;
        s.peer = pf.item.peer;
      } else strangers.set(f.source, { address: f.source, peer: pf.item.peer, frames: 1, first: pf });
      reason = 'unregistered_device';
    } else {
      const why = rawReason(pf.item.adu!);
      if (why !== null) reason = `adu: ${why}`.slice(0, 200);
    }
    if (reason === null) continue;
    rawFrames.address.push(f.source);
    rawFrames.peer.push(pf.item.peer);
    rawFrames.reason.push(reason);
    rawFrames.hex.push(f.raw.toString('hex'));
  }

  return {
    fresh,
    frames,
    deviceOf,
    pointIdOf,
    needsTransaction,
    freshFrames,
    statuses,
    pointStates: { ids: pointIds, states: pointIds.map((id) => pointState.get(id)!.state), inFault: pointIds.map((id) => pointState.get(id)!.inFault) },
    systems: {
      deviceId: sysRows.map((x) => x.deviceId),
      systemType: sysRows.map((x) => x.systemType),
      systemAddress: sysRows.map((x) => x.systemAddress),
      status: sysRows.map((x) => x.status),
    },
    health,
    strangers: [...strangers.values()],
    rawFrames,
  };
}

/** The point an event is about, for a registered device. */
export function eventPointId(plan: Pick<BatchPlan, 'pointIdOf'>, device: DeviceInfo, e: NormalizedEvent): number | null {
  if (device.deviceId === null || e.componentAddress === null || e.systemType === null) return null;
  return plan.pointIdOf(device.deviceId, e.systemType, e.systemAddress ?? 0, e.componentAddress);
}

/** True when the plan writes anything in the locked transaction's write statement. */
export function hasWrites(plan: BatchPlan): boolean {
  return (
    plan.frames.some((pf) => pf.events.length > 0) ||
    plan.statuses.address.length > 0 ||
    plan.pointStates.ids.length > 0 ||
    plan.systems.deviceId.length > 0 ||
    plan.health.address.length > 0
  );
}
