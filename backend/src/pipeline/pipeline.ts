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
import { enrichEvents } from './queries.ts';

export interface PipelineOptions {
  /** Events per processing batch. */
  maxBatch: number;
  /** Queued events above which the bus handler waits for the queue to drain. */
  maxQueued: number;
}

export class Pipeline {
  private queue: StoredEvent[] = [];
  private running: Promise<void> | null = null;
  private drainedWaiters: Array<() => void> = [];
  private readonly opts: PipelineOptions;
  processed = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly hub: LiveHub,
    private readonly alarms: AlarmService,
    private readonly logger: Logger,
    opts: Partial<PipelineOptions> = {},
  ) {
    this.opts = { maxBatch: 2000, maxQueued: 50_000, ...opts };
  }

  /** The event bus handler. */
  readonly handle = async (events: StoredEvent[]): Promise<void> => {
    this.queue.push(...events);
    this.running ??= this.drain();
    if (this.queue.length > this.opts.maxQueued) await this.idle();
  };

  /** Resolves when everything queued so far is processed (tests, shutdown). */
  idle(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.drainedWaiters.push(r));
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.opts.maxBatch);
        try {
          await this.process(batch);
        } catch (err) {
          this.logger.error({ err, events: batch.length, firstId: batch[0]?.id }, 'pipeline batch failed');
        }
        this.processed += batch.length;
      }
    } finally {
      this.running = null;
      const w = this.drainedWaiters.splice(0);
      for (const r of w) r();
    }
  }

  async process(batch: StoredEvent[]): Promise<void> {
    const r = await this.pool.query(enrichEvents(batch));
    const place = new Map(r.rows.map((row) => [Number(row.id), row]));
    const at = new Date().toISOString();
    const rows: StreamRow[] = [];
    for (const e of batch) {
      const p = place.get(e.id);
      const live: LiveEvent = {
        id: e.id,
        kind: e.kind,
        source: e.source,
        deviceId: e.deviceId,
        deviceAddress: e.deviceAddress,
        unitId: e.unitId,
        unitName: p?.unit_name ?? null,
        buildingId: p?.building_id == null ? null : Number(p.building_id),
        pointId: e.pointId,
        pointLabel: p?.point_label ?? null,
        floor: p?.floor ?? null,
        regionAdcode: e.regionAdcode ?? (p?.unit_region == null ? null : Number(p.unit_region)),
        h3R9: e.h3R9,
        systemType: e.systemType,
        systemAddress: e.systemAddress,
        componentType: e.componentType,
        componentAddress: e.componentAddress,
        description: e.description,
        value: e.value,
        deviceTime: e.deviceTime,
        receivedAt: e.receivedAt,
        lonLatWgs84: p?.lon == null ? null : [Number(p.lon), Number(p.lat)],
      };
      rows.push(eventRow(live, at));
      const d = deviceStatusRow(live, at);
      if (d) rows.push(d);
    }
    // Events go out while the alarm transaction runs: a wall sees the event at once.
    const published = this.hub.publish(rows);
    published.catch(() => {});
    const changes = await this.alarms.applyEvents(batch);
    await this.alarms.publishChanges(changes);
    await published;
  }
}
