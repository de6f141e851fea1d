// Device health from traffic. Every frame touches the device in memory; a flush writes
// last_seen_at/online in one statement (so 10,000 heartbeating devices cost one UPDATE
// per flush, not one per frame) and raises host_online for devices that come back; a
// sweep sets devices silent for longer than the window offline and raises host_offline
// (主机关机). Power loss (mains and backup) is handled by the event store in the frame's
// own transaction.
import type pg from 'pg';
import type { EventBus, NormalizedEvent } from '@firelink/common';
import { systemEvent, type EventStore } from '../store/event-store.ts';
import * as q from './queries.ts';
import { withTransaction } from '@firelink/common';
import { SerialJobs } from '@firelink/common';

export interface DeviceHealthOptions {
  pool: pg.Pool;
  store: EventStore;
  bus?: EventBus;
  /** Silence before a device is offline (s). */
  offlineAfterS: number;
  /** How often last-seen times are written (ms). Default 2,000. */
  flushMs?: number;
  /** How often silent devices are looked for (ms). Default 5,000. */
  sweepMs?: number;
  onError?: (err: unknown) => void;
  now?: () => Date;
}

export class DeviceHealth {
  private seen = new Map<number, { at: Date; peer: string }>();
  private readonly jobs: SerialJobs;

  constructor(private readonly o: DeviceHealthOptions) {
    this.jobs = new SerialJobs(o.onError);
  }

  touch(address: number, peer: string): void {
    this.seen.set(address, { at: this.now(), peer });
  }

  start(): void {
    this.jobs.every(this.o.flushMs ?? 2000, () => this.flush());
    this.jobs.every(this.o.sweepMs ?? 5000, () => this.sweep());
  }

  async stop(): Promise<void> {
    await this.jobs.stop();
    await this.flush().catch((err) => this.o.onError?.(err));
  }

  private now(): Date {
    return this.o.now?.() ?? new Date();
  }

  /** Writes pending last-seen times; devices that were offline come back (host_online). */
  async flush(): Promise<void> {
    if (this.seen.size === 0) return;
    const batch = [...this.seen.entries()];
    this.seen.clear();
    const at = this.now().toISOString();
    const restore = (err: unknown) => {
      // Not written: keep the sightings for the next flush (newer ones win).
      for (const [a, v] of batch) if (!this.seen.has(a)) this.seen.set(a, v);
      throw err;
    };
    const stored = await withTransaction(this.o.pool, async (client) => {
      const r = await client.query<{ address: number; was_online: boolean }>(
        q.markSeen(batch.map(([a]) => a), batch.map(([, s]) => s.at.toISOString()), batch.map(([, s]) => s.peer)),
      );
      const back = r.rows.filter((x) => !x.was_online).map((x) => Number(x.address));
      let events: NormalizedEvent[] = [];
      if (back.length > 0) {
        const cleared = await client.query<{ device_address: number }>(q.clearSilentOffline(back, at));
        events = cleared.rows.map((x) => systemEvent(`gb:${x.device_address}:online:${at}`, 'host_online', Number(x.device_address), at, { reason: 'traffic' }));
      }
      return this.o.store.storeSystemEvents(events, client);
    }).catch(restore);
    await this.o.bus?.publish(stored);
  }

  /** Devices silent for longer than the window go offline and raise host_offline. */
  async sweep(): Promise<void> {
    await this.flush();
    const now = this.now();
    const at = now.toISOString();
    const cutoff = new Date(now.getTime() - this.o.offlineAfterS * 1000).toISOString();
    const stored = await withTransaction(this.o.pool, async (client) => {
      const r = await client.query<{ address: number; last_seen_at: Date | null }>(q.markSilentOffline(cutoff, at));
      let events: NormalizedEvent[] = [];
      if (r.rows.length > 0) {
        const lastSeen = new Map(r.rows.map((x) => [Number(x.address), x.last_seen_at]));
        const raised = await client.query<{ device_address: number }>(q.raiseHostOffline([...lastSeen.keys()], 'silent', at));
        events = raised.rows.map((x) =>
          systemEvent(`gb:${x.device_address}:offline:${at}`, 'host_offline', Number(x.device_address), at, {
            reason: 'silent',
            lastSeenAt: lastSeen.get(Number(x.device_address))?.toISOString() ?? null,
            offlineAfterS: this.o.offlineAfterS,
          }),
        );
      }
      return this.o.store.storeSystemEvents(events, client);
    });
    await this.o.bus?.publish(stored);
  }
}
