// Builders for view-model tests (not shipped code paths; imported only by *.test.ts).
import type { AlarmDto } from '@firelink/common';
import type { AlarmView } from './alarm.ts';

export function alarmView(p: Partial<AlarmView> & { id: number }): AlarmView {
  return {
    kind: 'fire',
    priority: 1,
    state: 'open',
    verdict: null,
    unitId: 1,
    unitName: 'unit',
    address: null,
    floor: null,
    pointLabel: null,
    contactPhone: null,
    regionAdcode: null,
    lonWgs84: 120,
    latWgs84: 30,
    openedAt: '2026-01-01T00:00:00Z',
    lastSeenAt: '2026-01-01T00:00:00Z',
    escalated: false,
    eventCount: 1,
    version: 1,
    ...p,
  };
}

export function alarmDto(p: Partial<AlarmDto> & { id: number }): AlarmDto {
  return {
    kind: 'fire',
    priority: 1,
    state: 'open',
    verdict: null,
    version: 1,
    eventCount: 1,
    unitId: 1,
    unitName: 'unit',
    unitAddress: null,
    buildingId: null,
    deviceId: null,
    pointId: null,
    pointLabel: null,
    floor: null,
    regionAdcode: null,
    lonLatWgs84: [120, 30],
    firstEventId: null,
    lastEventId: null,
    openedAt: '2026-01-01T00:00:00Z',
    lastSeenAt: '2026-01-01T00:00:00Z',
    clearedAt: null,
    escalatedAt: null,
    acknowledgedAt: null,
    acknowledgedBy: null,
    verifiedAt: null,
    verifiedBy: null,
    dispatchedAt: null,
    dispatchedBy: null,
    closedAt: null,
    closedBy: null,
    ...p,
  };
}
