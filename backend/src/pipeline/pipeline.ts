// The live pipeline, subscribed to the event bus. INGEST persists events (idempotent on
// dedupe_key, enriched with device, unit, point, region, H3) and publishes them after
// commit; here each batch is enriched with place (unit, building, floor, point, position),
// broadcast as `event` / `device_status` messages, run through the alarm rules in one
// transaction, and the resulting alarm changes broadcast.
//
// The bus handler only queues (it never blocks the device-facing side); batches are
// processed one at a time in arrival order. Past maxQueued events the handler waits, so a
// stalled database pushes back on ingest instead of growing memory.
import type { LiveEvent, StoredEvent } from '@firelink/common';
import type pg from 'pg';
import type { AlarmService } from '../alarms/service.ts';
import type { Logger } from '../logger.ts';
import type { LiveHub } from '../live/hub.ts';
import { deviceStatusRow, eventRow } from '../live/messages.ts';
import type { StreamRow } from '../live/queries.ts';
import { EVENT_KINDS, RecentSamples } from '@firelink/common';
import { alarmRuleFor, eventPriority } from '../alarms/domain/rules.ts';
import { eventFromRow } from './event-row.ts';
import { applyDisabledSignal, linkedEvents, pointPlaces, unitPlaces, unprocessedRaisingEvents } from './queries.ts';

interface UnitPlace {
  name: string | null;
  buildingId: number | null;
  regionAdcode: number | null;
  lonLat: [number, number] | null;
  at: number;
}
interface PointPlace {
  label: string | null;
  floor: number | null;
  lonLat: [number, number] | null;
  at: number;
}

export interface PipelineOptions {
  /** Events per processing batch. */
  maxBatch: number;
  /**
   * How long a unit's or point's place (name, floor, position) is reused before it is read
   * again, ms. Places change rarely (onboarding edits); the cache saves a database round
   * trip on the hot path.
   */
  placeTtlMs: number;
  /** Queued events above which the bus handler waits for the queue to drain. */
  maxQueued: number;
}

export class Pipeline {
  private queue: StoredEvent[] = [];
  private running: Promise<void> | null = null;
  /** Second stage: batches whose events are broadcast, waiting for the alarm rules (in order). */
  private alarmQueue: StoredEvent[] = [];
  private alarmRunning: Promise<void> | null = null;
  private drainedWaiters: Array<() => void> = [];
  private readonly opts: PipelineOptions;
  processed = 0;
  /** Received (by ingest) → broadcast, ms, for the last 200,000 events (benchmarks read it). */
  readonly latencyMs = new RecentSamples(200_000);
  /** Published on the bus → broadcast, ms (this pipeline's own share), same events. */
  readonly pipelineMs = new RecentSamples(200_000);
  private arrivedAt = new WeakMap<StoredEvent, number>();
  private closing = false;
  private units = new Map<number, UnitPlace>();
  private points = new Map<number, PointPlace>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly hub: LiveHub,
    private readonly alarms: AlarmService,
    private readonly logger: Logger,
    opts: Partial<PipelineOptions> = {},
  ) {
    this.opts = { maxBatch: 2000, maxQueued: 50_000, placeTtlMs: 30_000, ...opts };
  }

  /** The event bus handler. */
  readonly handle = async (events: StoredEvent[]): Promise<void> => {
    const t = Date.now();
    for (const e of events) this.arrivedAt.set(e, t);
    this.queue.push(...events);
    this.running ??= this.drain();
    if (this.queue.length > this.opts.maxQueued) await this.idle();
  };

  /**
   * Start-up catch-up: raising events committed in the last `windowMinutes` that never
   * reached the alarm rules are run through the pipeline now. Returns how many.
   */
  async recover(windowMinutes = 60): Promise<number> {
    const kinds = EVENT_KINDS.filter((k) => alarmRuleFor(k)?.action === 'raise');
    const r = await this.pool.query(unprocessedRaisingEvents(kinds, windowMinutes, 50_000));
    if (r.rows.length === 0) return 0;
    const events: StoredEvent[] = r.rows.map(eventFromRow);
    this.logger.warn({ events: events.length, firstId: events[0]!.id }, 'alarm events committed but never processed (stopped mid-way?): processing them now');
    await this.handle(events);
    await this.idle();
    return events.length;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Resolves when everything queued so far is processed (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running || this.queue.length > 0 || this.alarmRunning || this.alarmQueue.length > 0) {
      if (this.running || this.queue.length > 0) await new Promise<void>((r) => this.drainedWaiters.push(r));
      else await (this.alarmRunning ??= this.drainAlarms());
    }
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.opts.maxBatch);
        try {
          await this.retrying('live broadcast', batch, () => this.process(batch));
        } catch (err) {
          this.logger.error({ err, events: batch.length, firstId: batch[0]?.id }, 'live broadcast failed for a batch (clients resync from stream_log)');
        }
        // The alarm rules run even when the broadcast failed.
        this.alarmQueue.push(...batch);
        this.alarmRunning ??= this.drainAlarms();
        if (this.alarmQueue.length > this.opts.maxQueued) await this.alarmRunning;
        this.processed += batch.length;
      }
    } finally {
      this.running = null;
      const w = this.drainedWaiters.splice(0);
      for (const r of w) r();
    }
  }

  private async loadPlaces(batch: StoredEvent[]): Promise<void> {
    const now = Date.now();
    const stale = (p: { at: number } | undefined) => !p || now - p.at > this.opts.placeTtlMs;
    const unitIds = [...new Set(batch.flatMap((e) => (e.unitId != null && stale(this.units.get(e.unitId)) ? [e.unitId] : [])))];
    const pointIds = [...new Set(batch.flatMap((e) => (e.pointId != null && stale(this.points.get(e.pointId)) ? [e.pointId] : [])))];
    const lonLat = (r: Record<string, unknown>): [number, number] | null => (r.lon == null ? null : [Number(r.lon), Number(r.lat)]);
    const [u, p] = await Promise.all([
      unitIds.length ? this.pool.query(unitPlaces(unitIds)) : null,
      pointIds.length ? this.pool.query(pointPlaces(pointIds)) : null,
    ]);
    if (this.units.size > 200_000) this.units.clear();
    if (this.points.size > 500_000) this.points.clear();
    for (const r of u?.rows ?? []) {
      this.units.set(Number(r.id), {
        name: r.name ?? null,
        buildingId: r.building_id == null ? null : Number(r.building_id),
        regionAdcode: r.region_adcode == null ? null : Number(r.region_adcode),
        lonLat: lonLat(r),
        at: now,
      });
    }
    for (const r of p?.rows ?? []) {
      this.points.set(Number(r.id), { label: r.label ?? null, floor: r.floor == null ? null : Number(r.floor), lonLat: lonLat(r), at: now });
    }
  }

  async process(batch: StoredEvent[]): Promise<void> {
    await this.loadPlaces(batch);
    const at = new Date().toISOString();
    const rows: StreamRow[] = [];
    for (const e of batch) {
      const u = e.unitId == null ? undefined : this.units.get(e.unitId);
      const p = e.pointId == null ? undefined : this.points.get(e.pointId);
      const live: LiveEvent = {
        id: e.id,
        kind: e.kind,
        source: e.source,
        deviceId: e.deviceId,
        deviceAddress: e.deviceAddress,
        unitId: e.unitId,
        unitName: u?.name ?? null,
        buildingId: u?.buildingId ?? null,
        pointId: e.pointId,
        pointLabel: p?.label ?? null,
        floor: p?.floor ?? null,
        regionAdcode: e.regionAdcode ?? u?.regionAdcode ?? null,
        h3R9: e.h3R9,
        systemType: e.systemType,
        systemAddress: e.systemAddress,
        componentType: e.componentType,
        componentAddress: e.componentAddress,
        description: e.description,
        value: e.value,
        deviceTime: e.deviceTime,
        receivedAt: e.receivedAt,
        lonLatWgs84: p?.lonLat ?? u?.lonLat ?? null,
        priority: eventPriority(e.kind),
      };
      rows.push(eventRow(live, at));
      const d = deviceStatusRow(live, at);
      if (d) rows.push(d);
    }
    // Stage 1 ends when the events are broadcast; the alarm rules run as a second stage, so
    // a long alarm transaction (hundreds of devices going offline at once) never holds up
    // the event stream. Each stage keeps arrival order.
    await this.hub.publish(rows);
    const done = Date.now();
    for (const e of batch) {
      this.latencyMs.push(done - Date.parse(e.receivedAt));
      this.pipelineMs.push(done - (this.arrivedAt.get(e) ?? done));
    }
  }

  private async drainAlarms(): Promise<void> {
    // The stream append and sending of a batch's changes run while the next batch's rules do
    // (one at a time, in order): in a storm they took a third of the stage's time in series.
    let broadcasting: Promise<void> | null = null;
    try {
      do {
        while (this.alarmQueue.length > 0) {
          const batch = this.alarmQueue.splice(0, this.opts.maxBatch);
          try {
            // A retry leaves out the raising events an earlier attempt did link to an alarm (its
            // COMMIT went through though the connection was lost): counted once, not twice.
            const changes = await this.retrying('alarm rules', batch, async (attempt) => this.alarms.applyEvents(attempt === 0 ? batch : await this.unlinked(batch)));
            // The alarms' state is read before the next batch commits, so each message shows its own change.
            const rows = await this.retrying('alarm broadcast', batch, () => this.alarms.changeRows(changes));
            await broadcasting;
            broadcasting = this.retrying('alarm broadcast', batch, () => this.alarms.publishRows(rows)).catch((err: unknown) => {
              this.logger.error({ err, events: batch.length, firstId: batch[0]?.id }, 'alarm broadcast failed for a batch (clients resync from stream_log)');
            });
            await this.recordDisabled(batch);
          } catch (err) {
            this.logger.error({ err, events: batch.length, firstId: batch[0]?.id }, 'alarm rules failed for a batch (events are kept; recover() at next start replays raising events)');
          }
        }
        // Batches queued while the last broadcast ran are this loop's too (alarmRunning is still set).
        await broadcasting;
        broadcasting = null;
      } while (this.alarmQueue.length > 0);
    } finally {
      this.alarmRunning = null;
    }
  }

  /** Shutdown: a failed database write is no longer retried (recover() at the next start replays raising events). */
  close(): void {
    this.closing = true;
  }

  /**
   * Runs a stage's database work, retrying with backoff (0.25 s doubling to 5 s, for about 3
   * minutes) while the database is away: a restart or a dropped connection must not leave a
   * confirmed fire without its alarm, or an event or alarm change off the stream, until the
   * next process start.
   */
  private async retrying<T>(what: string, batch: StoredEvent[], fn: (attempt: number) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn(attempt);
      } catch (err) {
        if (this.closing || attempt >= 40) throw err;
        this.logger.warn({ err, events: batch.length, firstId: batch[0]?.id, attempt }, `${what} failed for a batch; retrying`);
        await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** attempt)));
      }
    }
  }

  /** The batch without its raising events already linked to an alarm. */
  private async unlinked(batch: StoredEvent[]): Promise<StoredEvent[]> {
    const r = await this.pool.query<{ event_id: string }>(linkedEvents(batch.map((e) => e.id)));
    const linked = new Set(r.rows.map((x) => Number(x.event_id)));
    return batch.filter((e) => !linked.has(e.id));
  }

  /** Disabled (屏蔽) spells of registered units, in event order (the risk indicator reads them). */
  private async recordDisabled(batch: StoredEvent[]): Promise<void> {
    for (const e of batch) {
      if ((e.kind !== 'disabled' && e.kind !== 'disabled_cleared') || e.unitId == null) continue;
      await this.pool.query(
        applyDisabledSignal({
          kind: e.kind,
          eventId: e.id,
          unitId: e.unitId,
          deviceId: e.deviceId,
          pointId: e.pointId,
          systemType: e.systemType,
          systemAddress: e.systemAddress,
          componentAddress: e.componentAddress,
          regionAdcode: e.regionAdcode,
          at: e.receivedAt,
        }),
      );
    }
  }

}
