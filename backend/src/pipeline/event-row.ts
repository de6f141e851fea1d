// An `events` row (SELECT * or the columns the catch-up queries select) as the bus carries it.
import type { StoredEvent } from '@firelink/common';

const iso = (v: unknown) => (v == null ? null : (v as Date).toISOString());
const num = (v: unknown) => (v == null ? null : Number(v));

export function eventFromRow(x: Record<string, unknown>): StoredEvent {
  return {
    id: Number(x.id),
    dedupeKey: x.dedupe_key as string,
    source: x.source as StoredEvent['source'],
    kind: x.kind as StoredEvent['kind'],
    deviceId: num(x.device_id),
    deviceAddress: num(x.device_address),
    unitId: num(x.unit_id),
    pointId: num(x.point_id),
    systemType: num(x.system_type),
    systemAddress: num(x.system_address),
    componentType: num(x.component_type),
    componentAddress: num(x.component_address),
    regionAdcode: num(x.region_adcode),
    h3R9: (x.h3_r9 as string | null) ?? null,
    status: num(x.status),
    value: num(x.value),
    description: (x.description as string | null) ?? null,
    deviceTime: iso(x.device_time),
    receivedAt: iso(x.received_at)!,
    payload: (x.payload as StoredEvent['payload']) ?? {},
  };
}
