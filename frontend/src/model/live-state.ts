// What the wall and the desk know from the live stream: the alarm queue, the event ticker
// and the units' colours. Pure: a ServerMessage (common/src/live.ts) in, changes out. All
// collections are bounded (queue capacity, ticker ring), so days of traffic hold steady.
import type { ALARM_UPDATE_REASONS, ServerMessage, StormGroup } from '@firelink/common';
import type { AlarmView } from './alarm.ts';
import { AlarmQueue, DEFAULT_QUEUE_CAPACITY } from './alarm-queue.ts';
import { alarmFromDto } from './adapt.ts';
import { RingBuffer } from './ring-buffer.ts';
import type { UnitStore } from './unit-store.ts';

export const TICKER_CAPACITY = 200;
/** Storm groups kept from the stream (newest state per group); the oldest beyond this are dropped. */
export const STORM_CAPACITY = 50;

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

/** Alarm news for the wall's ticker: an alarm opened, changed state or closed. */
export interface AlarmLogItem {
  /** Unique per item: the stream id of its delta, or minus the alarm id for one seeded from a snapshot. */
  id: number;
  alarmId: number;
  kind: string;
  priority: number;
  /** 'opened', the update's reason (one of NEWS_REASONS), or how it closed. */
  change: AlarmLogChange;
  verdict: AlarmView['verdict'];
  unitName: string | null;
  floor: number | null;
  pointLabel: string | null;
  at: string;
}

type AlarmUpdateReason = (typeof ALARM_UPDATE_REASONS)[number];
/** Update reasons that are news on the wall; a repeat or a procedure step (call, note) is not. */
const NEWS_REASONS = ['escalated', 'acknowledged', 'verified', 'dispatched', 'cleared'] as const satisfies readonly AlarmUpdateReason[];
export type AlarmLogChange = 'opened' | (typeof NEWS_REASONS)[number] | 'closed' | 'auto_closed';

/** Alarms seeded into the alarm log from a snapshot (newest openings). */
const ALARM_LOG_SEED = 40;

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
  /** Openings and state changes of alarms, no routine events (the wall's ticker). */
  readonly alarmLog = new RingBuffer<AlarmLogItem>(TICKER_CAPACITY);
  /** Alarm storms from the stream's `storm` messages, newest state per group (the storm panel merges them with its polled list). */
  private readonly stormsById = new Map<number, StormGroup>();
  /** Bumped when a storm group arrived or changed. */
  stormsVersion = 0;
  /** Messages applied since start (for the bench and diagnostics). */
  applied = 0;
  /** True once a snapshot has arrived: before it, counts of zero mean "not known yet", not "none". */
  synced = false;

  constructor(
    readonly units: UnitStore | null = null,
    capacity = DEFAULT_QUEUE_CAPACITY,
  ) {
    this.queue = new AlarmQueue(capacity);
  }

  /** Storm groups heard on the stream, most recently heard first. */
  storms(): StormGroup[] {
    return [...this.stormsById.values()].reverse();
  }

  apply(msg: ServerMessage): ApplyResult {
    const r: ApplyResult = { newFires: [], queueChanged: false, tickerChanged: false, unitsChanged: false };
    this.applied++;
    switch (msg.type) {
      case 'snapshot': {
        this.synced = true;
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
        this.alarmLog.clear();
        const newest = [...this.queue.list()].sort((x, y) => (x.openedAt < y.openedAt ? -1 : x.openedAt > y.openedAt ? 1 : 0)).slice(-ALARM_LOG_SEED);
        for (const a of newest) this.alarmLog.push(logItem(-a.id, a, 'opened', a.openedAt));
        r.tickerChanged = true;
        break;
      }
      case 'alarm_opened':
      case 'alarm_updated':
      case 'alarm_closed': {
        const a = alarmFromDto(msg.alarm);
        const before = this.queue.get(a.id);
        const change = this.queue.upsert(a);
        const logged = alarmChange(before, a, msg);
        if (logged) {
          this.alarmLog.push(logItem(msg.id, a, logged, msg.at));
          r.tickerChanged = true;
        }
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
      case 'storm': {
        this.stormsById.delete(msg.group.id);
        this.stormsById.set(msg.group.id, msg.group);
        // Map order is arrival order: the first entries are the longest unheard of.
        for (const id of this.stormsById.keys()) {
          if (this.stormsById.size <= STORM_CAPACITY) break;
          this.stormsById.delete(id);
        }
        this.stormsVersion++;
        r.queueChanged = true;
        break;
      }
      default:
        break;
    }
    return r;
  }
}

function logItem(id: number, a: AlarmView, change: AlarmLogItem['change'], at: string): AlarmLogItem {
  return { id, alarmId: a.id, kind: a.kind, priority: a.priority, change, verdict: a.verdict, unitName: a.unitName, floor: a.floor, pointLabel: a.pointLabel, at };
}

/** What is news about an alarm delta: its opening, a change of state, a clearing or an escalation; null for a repeat or a step. */
function alarmChange(before: AlarmView | undefined, a: AlarmView, msg: Extract<ServerMessage, { type: 'alarm_opened' | 'alarm_updated' | 'alarm_closed' }>): AlarmLogChange | null {
  if (before && a.version < before.version) return null;
  if (msg.type === 'alarm_opened') return 'opened';
  if (msg.type === 'alarm_closed') return before?.state === 'closed' ? null : msg.reason;
  return (NEWS_REASONS as readonly string[]).includes(msg.reason) ? (msg.reason as AlarmLogChange) : null;
}
