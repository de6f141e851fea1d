// What the wall and the desk know from the live stream: the alarm queue, the event ticker
// and the units' colours. Pure: a ServerMessage (common/src/live.ts) in, changes out. All
// collections are bounded (queue capacity, ticker ring), so days of traffic hold steady.
import type { ServerMessage } from '@firelink/common';
import type { AlarmView } from './alarm.ts';
import { AlarmQueue, DEFAULT_QUEUE_CAPACITY } from './alarm-queue.ts';
import { alarmFromDto } from './adapt.ts';
import { RingBuffer } from './ring-buffer.ts';
import type { UnitStore } from './unit-store.ts';

export const TICKER_CAPACITY = 200;

export interface TickerItem {
  /** Stream id: unique per delta, a stable React key. */
  id: number;
  kind: string;
  unitName: string | null;
  floor: number | null;
  pointLabel: string | null;
  description: string | null;
  at: string;
  /** Alarm priority for colouring, or 0 for a plain event. */
  priority: number;
}

export interface ApplyResult {
  /** Fire alarms that just appeared (not in a snapshot): fly to, pulse and sound. */
  newFires: AlarmView[];
  queueChanged: boolean;
  tickerChanged: boolean;
  unitsChanged: boolean;
}


export class LiveState {
  readonly queue: AlarmQueue;
  readonly ticker = new RingBuffer<TickerItem>(TICKER_CAPACITY);
  /** Messages applied since start (for the bench and diagnostics). */
  applied = 0;

  constructor(
    readonly units: UnitStore | null = null,
    capacity = DEFAULT_QUEUE_CAPACITY,
  ) {
    this.queue = new AlarmQueue(capacity);
  }

  apply(msg: ServerMessage): ApplyResult {
    const r: ApplyResult = { newFires: [], queueChanged: false, tickerChanged: false, unitsChanged: false };
    this.applied++;
    switch (msg.type) {
      case 'snapshot': {
        const alarms = msg.alarms.map(alarmFromDto);
        const change = this.queue.reset(alarms);
        r.queueChanged = true;
        if (this.units) {
          this.units.clearAlarms();
          for (const a of this.queue.list()) this.units.trackAlarm(a.id, a.unitId, a.kind, false);
          r.unitsChanged = true;
        }
        // A snapshot after a reconnect may hold fires opened while we were away: announce
        // those that are still unacknowledged, but not on the very first snapshot.
        if (msg.reason === 'resync') r.newFires = change.added.filter((a) => a.kind === 'fire' && a.state === 'open');
        break;
      }
      case 'alarm_opened':
      case 'alarm_updated':
      case 'alarm_closed': {
        const a = alarmFromDto(msg.alarm);
        const change = this.queue.upsert(a);
        r.queueChanged = true;
        if (this.units) {
          const closed = a.state === 'closed' || !this.queue.get(a.id);
          r.unitsChanged = this.units.trackAlarm(a.id, a.unitId, a.kind, closed);
        }
        if (msg.type === 'alarm_opened' && a.kind === 'fire' && change.added.length > 0) r.newFires.push(a);
        // The event that opened an alarm is already in the ticker (its own 'event' message):
        // an opening would show the same fire twice. A closing is news: an operator acted.
        if (msg.type === 'alarm_closed') {
          this.ticker.push({
            id: msg.id,
            kind: `${a.kind}:closed`,
            unitName: a.unitName,
            floor: a.floor,
            pointLabel: a.pointLabel,
            description: null,
            at: msg.at,
            priority: 0,
          });
          r.tickerChanged = true;
        }
        break;
      }
      case 'event': {
        const e = msg.event;
        this.ticker.push({
          id: msg.id,
          kind: e.kind,
          unitName: e.unitName,
          floor: e.floor,
          pointLabel: e.pointLabel,
          description: e.description,
          at: e.receivedAt,
          priority: e.priority ?? 0,
        });
        r.tickerChanged = true;
        break;
      }
      case 'device_status':
        if (this.units && msg.unitId !== null) r.unitsChanged = this.units.setOnline(msg.unitId, msg.online);
        break;
      default:
        break;
    }
    return r;
  }
}
