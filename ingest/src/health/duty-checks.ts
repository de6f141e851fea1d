// Duty checks (查岗): the center sends command 1 / type 91 with an answer timeout to each
// connected device of an open unit at random times, `perShift` times per shift; a type-24
// upload with bit 5 answers it (recorded by the event store with its response time);
// no answer within the timeout raises duty_check_missed (值班人员脱岗).
// Operators may ask for a duty check of one unit from the desk (duty_check_requests): sent at
// the next tick to the unit's connected devices, answered and missed like the others.
// Clock sync (type 90) goes to every connected device once a day (and on connect, by the
// server); each sync first records the device's clock drift (device_clock_checks), from its
// latest frame's header time label against when the center received it.
import type pg from 'pg';
import type { EventBus, NormalizedEvent } from '@firelink/common';
import { Command } from '../codec/frame.ts';
import { isoLocalAt, isValidTimeLabel } from '../codec/time-label.ts';
import type { Gb26875Server } from '../server/gb26875-server.ts';
import { systemEvent, type EventStore } from '../store/event-store.ts';
import * as q from './queries.ts';
import { withTransaction } from '@firelink/common';
import { SerialJobs } from '@firelink/common';

export interface DutyCheckPolicy {
  /** Shift length, hours (duty checks are spread at random over each shift). */
  shiftHours: number;
  /** Checks per device per shift. */
  perShift: number;
  /** Answer timeout sent to the device, minutes (1–255). */
  timeoutMinutes: number;
}

export interface DutyCheckOptions {
  pool: pg.Pool;
  store: EventStore;
  server: Pick<Gb26875Server, 'send' | 'connectedAddresses'>;
  bus?: EventBus;
  policy: DutyCheckPolicy;
  /** Scheduler tick, ms. Default 5,000. */
  tickMs?: number;
  /** Clock sync interval, ms. Default 24 h. */
  clockSyncMs?: number;
  random?: () => number;
  onError?: (err: unknown) => void;
  now?: () => Date;
}

export class DutyChecks {
  private nextAt = new Map<number, number>();
  private readonly jobs: SerialJobs;

  constructor(private readonly o: DutyCheckOptions) {
    this.jobs = new SerialJobs(o.onError);
  }

  start(): void {
    this.jobs.every(this.o.tickMs ?? 5000, () => this.tick());
    this.jobs.every(this.o.clockSyncMs ?? 24 * 3600_000, () => this.syncClocks());
  }

  async stop(): Promise<void> {
    await this.jobs.stop();
  }

  private now(): Date {
    return this.o.now?.() ?? new Date();
  }

  /** Records each connected device's clock drift, then syncs its clock; returns how many were synced. */
  async syncClocks(): Promise<number> {
    await this.recordDrift().catch((err) => this.o.onError?.(err));
    let n = 0;
    for (const a of this.o.server.connectedAddresses()) {
      if (this.o.server.send(a, Command.control, 90, [{ time: isoLocalAt(this.now()) }]) !== null) n++;
    }
    return n;
  }

  /**
   * Drift of each connected device's clock (GB 50440: error ≤ 5 s), ms, positive = ahead:
   * its latest frame's header time label (Asia/Shanghai, the device clock when it sent the
   * frame) minus when the center received it. Frames with an invalid time label are skipped.
   */
  async recordDrift(): Promise<number> {
    const addresses = this.o.server.connectedAddresses();
    if (addresses.length === 0) return 0;
    const rows = (await this.o.pool.query<{ device_id: number; time_label: string; received_at: Date }>(q.latestFrames(addresses))).rows.filter((r) => isValidTimeLabel(r.time_label));
    if (rows.length === 0) return 0;
    const driftMs = rows.map((r) => Date.parse(`${r.time_label}+08:00`) - r.received_at.getTime());
    await this.o.pool.query(
      q.insertClockChecks(
        { deviceId: rows.map((r) => Number(r.device_id)), receivedAt: rows.map((r) => r.received_at.toISOString()), deviceTime: rows.map((r) => r.time_label), driftMs },
        this.now().toISOString(),
      ),
    );
    return rows.length;
  }

  /** A random time within the next shift (or the rest of the current one on first sight). */
  private schedule(address: number, fromMs: number): void {
    const shiftMs = this.o.policy.shiftHours * 3600_000;
    const slot = shiftMs / Math.max(1, this.o.policy.perShift);
    this.nextAt.set(address, fromMs + (this.o.random ?? Math.random)() * slot);
  }

  async tick(): Promise<void> {
    await this.sendRequested();
    await this.sendDue();
    await this.markMissed();
  }

  /**
   * Duty checks operators asked for (one unit each): sent to the unit's connected devices;
   * a unit with none connected is answered `not_connected`. Returns how many checks were sent.
   */
  async sendRequested(): Promise<number> {
    const nowMs = this.now().getTime();
    const at = new Date(nowMs).toISOString();
    const requests = (await this.o.pool.query<{ id: number; unit_id: number }>(q.claimDutyCheckRequests(at, 100))).rows;
    if (requests.length === 0) return 0;
    const live = new Set(this.o.server.connectedAddresses());
    const devices = (await this.o.pool.query<{ id: number; address: number; unit_id: number }>(q.devicesOfUnits(requests.map((r) => Number(r.unit_id))))).rows;
    let sent = 0;
    for (const req of requests) {
      let checkId: number | null = null;
      for (const d of devices) {
        if (Number(d.unit_id) !== Number(req.unit_id) || !live.has(Number(d.address))) continue;
        const serial = this.o.server.send(Number(d.address), Command.control, 91, [{ timeoutMinutes: this.o.policy.timeoutMinutes }]);
        if (serial === null) continue;
        const r = await this.o.pool.query<{ id: number }>(q.insertDutyCheck(Number(d.id), Number(req.unit_id), serial, this.o.policy.timeoutMinutes * 60, at));
        checkId ??= Number(r.rows[0]!.id);
        sent++;
      }
      await this.o.pool.query(q.finishDutyCheckRequest(Number(req.id), checkId === null ? 'not_connected' : 'sent', checkId));
    }
    return sent;
  }

  /** Sends checks that are due; returns how many were sent. */
  async sendDue(): Promise<number> {
    if (this.o.policy.perShift <= 0) return 0; // duty checks off; clock sync still runs
    const nowMs = this.now().getTime();
    const due: number[] = [];
    const connected = this.o.server.connectedAddresses();
    const live = new Set(connected);
    for (const a of [...this.nextAt.keys()]) if (!live.has(a)) this.nextAt.delete(a);
    for (const a of connected) {
      const t = this.nextAt.get(a);
      if (t === undefined) this.schedule(a, nowMs);
      else if (t <= nowMs) due.push(a);
    }
    if (due.length === 0) return 0;
    return this.sendNow(due);
  }

  /** Sends a duty check to these devices now (those of open units); returns how many were sent. */
  async sendNow(addresses: number[]): Promise<number> {
    const nowMs = this.now().getTime();
    const at = new Date(nowMs).toISOString();
    const targets = await this.o.pool.query<{ id: number; address: number; unit_id: number | null }>(q.dutyCheckTargets(addresses));
    let sent = 0;
    for (const d of targets.rows) {
      const address = Number(d.address);
      this.schedule(address, nowMs + 1); // next one in the next slot
      const serial = this.o.server.send(address, Command.control, 91, [{ timeoutMinutes: this.o.policy.timeoutMinutes }]);
      if (serial === null) continue;
      await this.o.pool.query(q.insertDutyCheck(Number(d.id), d.unit_id === null ? null : Number(d.unit_id), serial, this.o.policy.timeoutMinutes * 60, at));
      sent++;
    }
    for (const a of addresses) if (!targets.rows.some((d) => Number(d.address) === a)) this.schedule(a, nowMs + 1);
    return sent;
  }

  /** Unanswered checks past their timeout → duty_check_missed. */
  async markMissed(): Promise<number> {
    const at = this.now().toISOString();
    const stored = await withTransaction(this.o.pool, async (client) => {
      const r = await client.query<{ id: number; device_id: number; address: number; sent_at: Date; timeout_s: number }>(q.markMissedDutyChecks(at));
      const events: NormalizedEvent[] = r.rows.map((c) =>
        systemEvent(`duty:${c.id}:missed`, 'duty_check_missed', Number(c.address), at, {
          dutyCheckId: Number(c.id),
          sentAt: c.sent_at.toISOString(),
          timeoutS: c.timeout_s,
        }),
      );
      return this.o.store.storeSystemEvents(events, client);
    });
    await this.o.bus?.publish(stored);
    return stored.length;
  }
}
