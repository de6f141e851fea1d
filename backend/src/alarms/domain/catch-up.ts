// The message that brings screens up to date with an alarm whose last change never reached
// the stream (the process stopped between the alarm's COMMIT and its broadcast): its current
// state, as the change that most likely produced it. An alarm never announced at all is
// announced as opened, so a fire committed just before a crash still alerts the desk.
import type { AlarmDto } from '@firelink/common';
import type { AlarmChange } from '../../live/messages.ts';

export function catchUpChange(alarm: AlarmDto, announcedBefore: boolean): AlarmChange {
  if (alarm.state === 'closed') return { type: 'alarm_closed', reason: alarm.closedBy === null ? 'auto_closed' : 'closed' };
  if (!announcedBefore) return { type: 'alarm_opened' };
  if (alarm.state === 'dispatched') return { type: 'alarm_updated', reason: 'dispatched' };
  if (alarm.state === 'verified') return { type: 'alarm_updated', reason: 'verified' };
  if (alarm.state === 'acknowledged') return { type: 'alarm_updated', reason: 'acknowledged' };
  if (alarm.clearedAt !== null) return { type: 'alarm_updated', reason: 'cleared' };
  if (alarm.escalatedAt !== null) return { type: 'alarm_updated', reason: 'escalated' };
  return { type: 'alarm_updated', reason: 'repeat' };
}
