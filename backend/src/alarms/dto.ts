// Database rows → the DTOs of common/src/live.ts. Rows crossing this boundary are
// validated with zod, so a schema change shows up here rather than in a browser.
import { alarmCallSchema, alarmDtoSchema, alarmStepSchema, liveEventSchema, type AlarmCall, type AlarmDto, type AlarmStep, type LiveEvent } from '@firelink/common';

type Row = Record<string, unknown>;

const iso = (v: unknown): string | null => (v == null ? null : v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString());
const num = (v: unknown): number | null => (v == null ? null : Number(v));
const str = (v: unknown): string | null => (v == null ? null : String(v));
const lonLat = (r: Row): [number, number] | null => (r.lon == null || r.lat == null ? null : [Number(r.lon), Number(r.lat)]);

export function alarmFromRow(r: Row): AlarmDto {
  return alarmDtoSchema.parse({
    id: Number(r.id),
    kind: r.kind,
    priority: Number(r.priority),
    state: r.state,
    verdict: r.verdict ?? null,
    version: Number(r.version),
    eventCount: Number(r.event_count),
    unitId: num(r.unit_id),
    unitName: str(r.unit_name),
    unitAddress: str(r.unit_address),
    buildingId: num(r.building_id),
    deviceId: num(r.device_id),
    pointId: num(r.point_id),
    pointLabel: str(r.point_label),
    floor: num(r.floor),
    regionAdcode: num(r.region_adcode),
    lonLatWgs84: lonLat(r),
    firstEventId: num(r.first_event_id),
    lastEventId: num(r.last_event_id),
    openedAt: iso(r.opened_at),
    lastSeenAt: iso(r.last_seen_at),
    clearedAt: iso(r.cleared_at),
    escalatedAt: iso(r.escalated_at),
    acknowledgedAt: iso(r.acknowledged_at),
    acknowledgedBy: num(r.acknowledged_by),
    verifiedAt: iso(r.verified_at),
    verifiedBy: num(r.verified_by),
    dispatchedAt: iso(r.dispatched_at),
    dispatchedBy: num(r.dispatched_by),
    closedAt: iso(r.closed_at),
    closedBy: num(r.closed_by),
    stage: r.stage ?? undefined,
    cause: str(r.cause),
    deadlineAt: iso(r.deadline_at),
    flapCount: r.flap_count == null ? undefined : Number(r.flap_count),
    reason: str(r.reason),
  });
}

export function stepFromRow(r: Row): AlarmStep {
  return alarmStepSchema.parse({
    id: Number(r.id),
    step: r.step,
    actorId: num(r.actor_id),
    actorName: str(r.actor_name),
    at: iso(r.at),
    note: str(r.note),
    detail: (r.detail as Record<string, unknown> | null) ?? null,
  });
}

export function eventFromRow(r: Row): LiveEvent {
  return liveEventSchema.parse({
    id: Number(r.id),
    kind: r.kind,
    source: r.source,
    deviceId: num(r.device_id),
    deviceAddress: num(r.device_address),
    unitId: num(r.unit_id),
    unitName: str(r.unit_name),
    buildingId: num(r.building_id),
    pointId: num(r.point_id),
    pointLabel: str(r.point_label),
    floor: num(r.floor),
    regionAdcode: num(r.region_adcode),
    h3R9: str(r.h3_r9),
    systemType: num(r.system_type),
    systemAddress: num(r.system_address),
    componentType: num(r.component_type),
    componentAddress: num(r.component_address),
    description: str(r.description),
    value: num(r.value),
    deviceTime: iso(r.device_time),
    receivedAt: iso(r.received_at),
    lonLatWgs84: lonLat(r),
  });
}

export function callFromRow(r: Row): AlarmCall {
  return alarmCallSchema.parse({
    id: Number(r.id),
    number: r.number,
    answeredBy: r.answered_by ?? '',
    outcome: r.outcome,
    durationS: Number(r.duration_s),
    actorName: str(r.actor_name),
    at: iso(r.at),
  });
}
