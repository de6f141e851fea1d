// GB/T 26875.3 objects → the one normalized event model (common/src/event.ts). Pure: the
// store supplies the last known status per system/component and persists the result.
//
// A status word is compared with the previous one for the same system/component: every
// bit that rises yields its kind (fire, fault, …), every bit that drops its *_cleared
// kind. Bit 0 (normal/test) is informational only: field panels report fire as 0x0002.
import { ANALOG_TYPES, type EventKind, type NormalizedEvent } from '@firelink/common';
import { isStatusAdu, rawReason, statusTarget, type Adu, type AduName, type AduObject, type StatusAdu } from '../codec/adu.ts';
import { isValidTimeLabel } from '../codec/time-label.ts';

interface BitKinds {
  bit: number;
  name: string;
  raise: EventKind;
  clear: EventKind | null;
}

const COMMON_BITS: BitKinds[] = [
  { bit: 1, name: 'fire', raise: 'fire', clear: 'fire_cleared' },
  { bit: 2, name: 'fault', raise: 'fault', clear: 'fault_cleared' },
  { bit: 3, name: 'disabled', raise: 'disabled', clear: 'disabled_cleared' },
  { bit: 4, name: 'supervisory', raise: 'supervisory', clear: 'supervisory_cleared' },
  { bit: 5, name: 'started', raise: 'started', clear: 'stopped' },
  { bit: 6, name: 'feedback', raise: 'feedback', clear: 'feedback_cleared' },
];

/** Which bits produce events, per ADU type (1 system, 2 component, 21 UITD). */
export const TRANSITION_BITS: Record<1 | 2 | 21, BitKinds[]> = {
  1: [
    ...COMMON_BITS,
    { bit: 8, name: 'mainsPowerFault', raise: 'mains_power_fault', clear: 'mains_power_restored' },
    { bit: 9, name: 'backupPowerFault', raise: 'backup_power_fault', clear: 'backup_power_restored' },
    { bit: 10, name: 'busFault', raise: 'fault', clear: 'fault_cleared' },
    { bit: 13, name: 'reset', raise: 'reset', clear: null },
  ],
  2: [...COMMON_BITS, { bit: 8, name: 'powerFault', raise: 'fault', clear: 'fault_cleared' }],
  21: [
    { bit: 1, name: 'fire', raise: 'fire', clear: 'fire_cleared' },
    { bit: 2, name: 'fault', raise: 'fault', clear: 'fault_cleared' },
    { bit: 3, name: 'mainsPowerFault', raise: 'mains_power_fault', clear: 'mains_power_restored' },
    { bit: 4, name: 'backupPowerFault', raise: 'backup_power_fault', clear: 'backup_power_restored' },
    { bit: 5, name: 'linkFault', raise: 'fault', clear: 'fault_cleared' },
    // Bit 6, the monitored-line fault (the link from the UITD to the panel is gone, which is
    // what a switched-off panel looks like), is not a fault: it takes the host offline
    // (hostDownReasons, reason 'line_fault') and its drop brings it back.
  ],
};

export interface Transition {
  kind: EventKind;
  bit: string;
}

/** Kinds for a status change; `prev` null = first report (compared with all-clear). */
export function transitions(aduType: 1 | 2 | 21, prev: number | null, next: number): Transition[] {
  const before = prev ?? 0;
  const out: Transition[] = [];
  for (const b of TRANSITION_BITS[aduType]) {
    const was = (before >> b.bit) & 1;
    const is = (next >> b.bit) & 1;
    if (is && !was) out.push({ kind: b.raise, bit: b.name });
    else if (!is && was && b.clear) out.push({ kind: b.clear, bit: b.name });
  }
  return out;
}

/** Mains and backup power both lost: the panel (type 1) or the UITD (type 21) is going dark. */
export function powerLost(aduType: number, status: number): boolean {
  if (aduType === 1) return ((status >> 8) & 1) === 1 && ((status >> 9) & 1) === 1;
  if (aduType === 21) return ((status >> 3) & 1) === 1 && ((status >> 4) & 1) === 1;
  return false;
}

/**
 * Why a host is offline (主机关机), as ingest_device_health.offline_reason and the
 * host_offline event's payload.reason:
 *   silent       no frame within DEVICE_OFFLINE_AFTER_S (device health's sweep)
 *   power        the UITD's own mains and backup power both failed (type 21 bits 3 + 4)
 *   line_fault   the UITD's monitored line to the panel failed (type 21 bit 6): the panel
 *                was switched off or its cable cut while the UITD stays online
 *   panel_power  the panel's mains and backup power both failed (type 1 bits 8 + 9)
 * The panel's single power faults and its bus fault (type 1 bits 8, 9, 10) are fault
 * alarms (event kinds mains_power_fault, backup_power_fault, fault with bit busFault).
 */
export const HOST_DOWN_REASONS = ['power', 'line_fault', 'panel_power'] as const;
export type HostDownReason = (typeof HOST_DOWN_REASONS)[number];

/** The host-down reasons a status ADU type speaks about (the others it leaves as they are). */
export function hostDownReasonsOf(aduType: number): readonly HostDownReason[] {
  return aduType === 21 ? ['power', 'line_fault'] : aduType === 1 ? ['panel_power'] : [];
}

/** Host-down reasons one status word shows (most basic first: the UITD's power, its line, the panel's power). */
export function hostDownReasons(aduType: number, status: number): HostDownReason[] {
  const out: HostDownReason[] = [];
  if (aduType === 21) {
    if (powerLost(21, status)) out.push('power');
    if (((status >> 6) & 1) === 1) out.push('line_fault');
  } else if (aduType === 1 && powerLost(1, status)) out.push('panel_power');
  return out;
}

/** Key of a status word: ADU type, system and component (`statusTarget`: 0 for the UITD's own). */
export function statusKey(aduType: number, t: { systemType: number; systemAddress: number; componentAddress: number }): string {
  return `${aduType}:${t.systemType}:${t.systemAddress}:${t.componentAddress}`;
}

/** The type code of a status ADU (its transition table). */
const STATUS_CODE: Record<StatusAdu['typeName'], 1 | 2 | 21> = { systemStatus: 1, componentStatus: 2, uitdStatus: 21 };

export interface FrameContext {
  deviceAddress: number;
  serial: number;
  /** Header time label (ISO local). */
  timeLabel: string;
  /** ISO 8601 with zone. */
  receivedAt: string;
}

export function frameDedupePrefix(ctx: FrameContext): string {
  return `gb:${ctx.deviceAddress}:${ctx.serial}:${ctx.timeLabel}`;
}

/**
 * Events of one upload frame. `prev` maps statusKey → last known status and is updated
 * as objects are applied, so two reports of the same point in one frame chain correctly.
 */
export function normalizeFrame(ctx: FrameContext, adu: Adu, prev: Map<string, number | null>): NormalizedEvent[] {
  const prefix = frameDedupePrefix(ctx);
  const events: NormalizedEvent[] = [];
  const headerTime = isValidTimeLabel(ctx.timeLabel) ? ctx.timeLabel : null;
  const make = (i: number, suffix: string, kind: EventKind, o: AduObject, payload: Record<string, unknown>): NormalizedEvent => ({
    dedupeKey: `${prefix}:${i}:${suffix}`,
    source: 'gb26875',
    kind,
    deviceAddress: ctx.deviceAddress,
    systemType: o.systemType ?? null,
    systemAddress: o.systemAddress ?? null,
    componentType: o.componentType ?? null,
    componentAddress: o.componentAddress ?? null,
    status: o.status ?? null,
    value: o.value ?? null,
    description: o.description ?? null,
    deviceTime: o.time && isValidTimeLabel(o.time) ? o.time : headerTime,
    receivedAt: ctx.receivedAt,
    payload: { aduType: adu.type, serial: ctx.serial, ...payload },
  });
  const raw = rawReason(adu);
  if (raw !== null && !(adu.typeName in TYPE_KINDS) && !isStatusAdu(adu)) {
    events.push(make(0, 'raw', 'unknown', {}, { typeName: adu.typeName, error: raw }));
    return events;
  }
  if (isStatusAdu(adu)) {
    const code = STATUS_CODE[adu.typeName];
    let i = 0;
    for (const o of adu.objects) {
      const key = statusKey(code, statusTarget(o));
      const before = prev.has(key) ? prev.get(key)! : null;
      const ts = transitions(code, before, o.status);
      prev.set(key, o.status);
      if (ts.length === 0) {
        events.push(make(i, 'status', 'status', o, { statusFlags: o.statusFlags, previousStatus: before }));
      }
      for (const t of ts) {
        events.push(make(i, t.bit, t.kind, o, { statusFlags: o.statusFlags, bit: t.bit, previousStatus: before }));
      }
      i++;
    }
    if (adu.objects.length === 0 && adu.error) events.push(make(0, 'raw', 'unknown', {}, { typeName: adu.typeName, error: adu.error }));
    return events;
  }
  const objects: AduObject[] = adu.objects;
  objects.forEach((o, i) => {
    const kindOf = TYPE_KINDS[adu.typeName];
    const kind = kindOf ? kindOf(o) : 'unknown';
    // The UITD's manual alarm key (type 24 bit 2) pressed in the same record as a duty-check
    // answer: both are kept (the answer clears the off-duty alarm, the manual alarm is a fire).
    const alsoManual = kind === 'duty_check_answered' && ((o.operationFlags ?? 0) & 0x04) !== 0;
    const payload: Record<string, unknown> = {};
    if (o.operationFlags !== undefined) {
      payload.operationFlags = o.operationFlags;
      payload.operationNames = o.operationNames;
      payload.operator = o.operator;
    }
    if (o.analogType !== undefined) {
      const a = ANALOG_TYPES[o.analogType];
      payload.analogType = o.analogType;
      if (a && o.value !== undefined) {
        payload.unit = a.unit;
        payload.scaledValue = Math.round(o.value * a.scale * 1000) / 1000;
      }
    }
    if (o.major !== undefined) payload.version = `${o.major}.${o.minor ?? 0}`;
    if (adu.error) payload.error = adu.error;
    events.push(make(i, kind, kind, o, payload));
    if (alsoManual) events.push(make(i, 'manual_alarm', 'manual_alarm', o, payload));
  });
  if (adu.objects.length === 0 && adu.error) events.push(make(0, 'raw', 'unknown', {}, { typeName: adu.typeName, error: adu.error }));
  return events;
}

/** Non-status upload types → kind. Informational types (versions, configuration, clocks) are 'status' records. */
const TYPE_KINDS: Partial<Record<AduName, (o: AduObject) => EventKind>> = {
  componentAnalog: () => 'analog_value',
  // Operation bit 0: reset (复位).
  systemOperation: (o) => ((o.operationFlags ?? 0) & 1 ? 'reset' : 'operation'),
  systemSoftwareVersion: () => 'status',
  systemConfig: () => 'status',
  componentConfig: () => 'status',
  systemTime: () => 'status',
  // UITD operation bit 5: the control-room operator answered a duty check (查岗应答);
  // bit 2: the UITD's manual alarm key (手动报警), a fire-priority alarm of the unit.
  uitdOperation: (o) => ((o.operationFlags ?? 0) & 0x20 ? 'duty_check_answered' : (o.operationFlags ?? 0) & 0x04 ? 'manual_alarm' : 'operation'),
  uitdSoftwareVersion: () => 'status',
  uitdConfig: () => 'status',
  uitdTime: () => 'status',
};
