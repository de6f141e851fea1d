// DTOs of the contracts (common/src/live.ts) → the frontend's view types.
import type { AlarmDto } from '@firelink/common';
import type { AlarmView } from './alarm.ts';

export function alarmFromDto(d: AlarmDto): AlarmView {
  return {
    id: d.id,
    kind: d.kind,
    priority: d.priority,
    state: d.state,
    verdict: d.verdict,
    unitId: d.unitId,
    unitName: d.unitName,
    address: d.unitAddress,
    floor: d.floor,
    pointLabel: d.pointLabel,
    contactPhone: null,
    regionAdcode: d.regionAdcode,
    lonWgs84: d.lonLatWgs84?.[0] ?? null,
    latWgs84: d.lonLatWgs84?.[1] ?? null,
    openedAt: d.openedAt,
    lastSeenAt: d.lastSeenAt,
    escalated: d.escalatedAt !== null,
    cleared: d.clearedAt !== null,
    eventCount: d.eventCount,
    version: d.version,
  };
}
