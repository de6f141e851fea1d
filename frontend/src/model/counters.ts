// Wall counters: units online, open alarms by kind, connection rate.
import type { AlarmView } from './alarm.ts';

export interface Counters {
  openByKind: Record<string, number>;
  openTotal: number;
  unacknowledgedFires: number;
}

export function countAlarms(alarms: Iterable<AlarmView>): Counters {
  const openByKind: Record<string, number> = { fire: 0, host_offline: 0, off_duty: 0, fault: 0, supervisory: 0 };
  let openTotal = 0;
  let unacknowledgedFires = 0;
  for (const a of alarms) {
    if (a.state === 'closed') continue;
    openByKind[a.kind] = (openByKind[a.kind] ?? 0) + 1;
    openTotal++;
    if (a.kind === 'fire' && a.state === 'open') unacknowledgedFires++;
  }
  return { openByKind, openTotal, unacknowledgedFires };
}

/**
 * Connection rate (联网接入率): open units with a fire control room ÷
 * registered units with a fire control room. Null when there is nothing to divide by.
 */
export function connectionRate(openWithControlRoom: number, registeredWithControlRoom: number): number | null {
  if (registeredWithControlRoom <= 0) return null;
  return Math.min(1, openWithControlRoom / registeredWithControlRoom);
}

/** Online share of connected devices, 0…1, or null without devices. */
export function onlineShare(online: number, total: number): number | null {
  return total > 0 ? online / total : null;
}
