// Builders of stream rows (message payload + the columns replay filters on). The payload is
// validated against common/src/live.ts before it is stored, so what replays is what was sent.
import {
  ALARM_PRIORITY,
  alarmClosedMessageSchema,
  alarmOpenedMessageSchema,
  alarmUpdatedMessageSchema,
  deviceStatusMessageSchema,
  eventMessageSchema,
  type AlarmDto,
  type LiveEvent,
} from '@firelink/common';
import type { z } from 'zod';
import type { StreamRow } from './queries.ts';

export type AlarmChange =
  | { type: 'alarm_opened' }
  | { type: 'alarm_updated'; reason: 'repeat' | 'escalated' | 'acknowledged' | 'verified' | 'dispatched' | 'cleared' }
  | { type: 'alarm_closed'; reason: 'closed' | 'auto_closed' };

const alarmMeta = (a: AlarmDto) => ({
  kind: a.kind,
  priority: a.priority,
  regionAdcode: a.regionAdcode,
  unitId: a.unitId,
  lonLatWgs84: a.lonLatWgs84,
});

/**
 * Built from the AlarmDto (alarmFromRow parsed it) and the typed change without a second zod
 * pass: in a storm that pass was a tenth of the alarm broadcast's own time. The tests validate
 * these messages against serverMessageSchema.
 */
export function alarmRow(change: AlarmChange, alarm: AlarmDto, at: string): StreamRow {
  let payload: Omit<z.infer<typeof alarmOpenedMessageSchema>, 'id'> | Omit<z.infer<typeof alarmUpdatedMessageSchema>, 'id'> | Omit<z.infer<typeof alarmClosedMessageSchema>, 'id'>;
  if (change.type === 'alarm_opened') payload = { type: change.type, at, alarm };
  else if (change.type === 'alarm_updated') payload = { type: change.type, at, reason: change.reason, alarm };
  else payload = { type: change.type, at, reason: change.reason, alarm };
  return { type: change.type, meta: alarmMeta(alarm), payload };
}

/**
 * The hot path (every event, thousands per second): built from the typed LiveEvent without
 * a zod pass; the tests validate these messages against eventMessageSchema.
 */
export function eventRow(event: LiveEvent, at: string): StreamRow {
  const payload: Omit<z.infer<typeof eventMessageSchema>, 'id'> = { type: 'event', at, event };
  return {
    type: 'event',
    meta: {
      kind: event.kind,
      priority: event.priority ?? null,
      regionAdcode: event.regionAdcode,
      unitId: event.unitId,
      lonLatWgs84: event.lonLatWgs84,
    },
    payload,
  };
}

/** host_offline / host_online events also become device_status messages (kind host_offline / host_online). */
export function deviceStatusRow(event: LiveEvent, at: string): StreamRow | null {
  if (event.kind !== 'host_offline' && event.kind !== 'host_online') return null;
  const payload: Record<string, unknown> = deviceStatusMessageSchema.parse({
    type: 'device_status',
    id: 0,
    at,
    deviceId: event.deviceId,
    deviceAddress: event.deviceAddress,
    unitId: event.unitId,
    unitName: event.unitName,
    regionAdcode: event.regionAdcode,
    lonLatWgs84: event.lonLatWgs84,
    online: event.kind === 'host_online',
  });
  delete payload.id;
  return {
    type: 'device_status',
    meta: {
      kind: event.kind,
      priority: ALARM_PRIORITY.host_offline,
      regionAdcode: event.regionAdcode,
      unitId: event.unitId,
      lonLatWgs84: event.lonLatWgs84,
    },
    payload,
  };
}
