// Overdue procedure deadlines: a host-offline or off-duty alarm past its
// rectification deadline, or a fault past its repair deadline (故障督办), and still open,
// gets one reminder per deadline: an SMS to the unit's contacts (fault: also its maintenance
// agency) through the outbox, a duty alert to the duty chiefs covering the unit, a duty log
// entry, and for host offline / off duty a follow-up task for the unit's supervisor (the
// supervision room's raiseAlarmFollowUp, given to this watch as `followUp`: one task per unit
// and reason while open, shared with the supervision rule that raises the same alarm later).
import { SerialJobs, type Contact } from '@firelink/common';
import { withTransaction, type Pool } from '../db/pool.ts';
import type { Logger } from '../logger.ts';
import * as q from './queries.ts';

export interface DeadlineWatchOptions {
  everyMs: number;
  now?: () => Date;
  /**
   * The supervisor's follow-up task for an overdue host-offline / off-duty alarm; returns its
   * id, new or the unit's task already open for that reason (null: none, e.g. one was closed
   * on this alarm).
   */
  followUp?: (f: FollowUp) => Promise<number | null>;
}

export interface FollowUp {
  unitId: number;
  reason: 'host_offline' | 'off_duty';
  alarmId: number;
  openedAt: Date;
  deadlineAt: Date;
  detail: string;
}

const KIND_ZH: Record<string, string> = { host_offline: '主机关机', off_duty: '值班人员脱岗', fault: '故障' };
/** yyyy-mm-dd hh:mm in Asia/Shanghai. */
const shanghaiMinute = (d: Date) => new Date(d.getTime() + 8 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ');

export class DeadlineWatch {
  private readonly jobs: SerialJobs;
  private readonly now: () => Date;

  constructor(
    private readonly pool: Pool,
    private readonly o: DeadlineWatchOptions,
    private readonly logger: Logger,
  ) {
    this.now = o.now ?? (() => new Date());
    this.jobs = new SerialJobs((err) => logger.error({ err }, 'overdue deadline reminders failed (run again at the next tick)'));
  }

  start(): void {
    this.jobs.every(this.o.everyMs, () => this.runOnce().then(() => undefined));
  }

  stop(): Promise<void> {
    return this.jobs.stop();
  }

  /** Reminds every overdue deadline not reminded yet; returns the alarms reminded. */
  async runOnce(): Promise<Array<{ alarmId: number; messages: number; taskId: number | null }>> {
    const now = this.now();
    const at = now.toISOString();
    const out: Array<{ alarmId: number; messages: number; taskId: number | null }> = [];
    const reminded = await withTransaction(this.pool, async (c) => {
      const rows = (await c.query(q.claimOverdueDeadlines(at, 200))).rows;
      for (const a of rows) {
        const deadline = a.deadline_at as Date;
        const what = a.kind === 'fault' ? `故障（${a.first_kind === 'mains_power_fault' ? '主电' : a.first_kind === 'backup_power_fault' ? '备电' : '设备'}）维修` : `${KIND_ZH[a.kind] ?? a.kind}整改`;
        const text = `【FireLink】${a.unit_name}：${what}期限 ${shanghaiMinute(deadline)} 已过，尚未恢复。请立即处理并回复监控中心。`;
        const phones = new Set<string>();
        for (const ct of (a.contacts as Contact[] | null) ?? []) if (ct.phone && ct.role !== 'other') phones.add(ct.phone);
        if (a.kind === 'fault' && a.agency_phone) phones.add(String(a.agency_phone));
        for (const phone of phones) await c.query(q.enqueueSmsReminder(phone, Number(a.unit_id), text, Number(a.id)));
        const chiefs = a.region_adcode == null ? [] : (await c.query(q.chiefsCovering(Number(a.region_adcode), at))).rows;
        for (const ch of chiefs) {
          await c.query(
            q.enqueueChiefAlert({ phone: (ch.phone as string | null) || null, userId: Number(ch.user_id), text, kind: 'deadline_overdue', regionAdcode: Number(ch.region_adcode), refEntity: 'alarm', refId: Number(a.id) }),
          );
        }
        await c.query(
          q.insertLog({ regionAdcode: a.region_adcode == null ? null : Number(a.region_adcode), kind: 'deadline_overdue', actorId: null, actorName: 'system', text, refEntity: 'alarm', refId: Number(a.id) }),
        );
        out.push({ alarmId: Number(a.id), messages: phones.size + chiefs.length, taskId: null });
      }
      return rows;
    });
    // Follow-up tasks after the reminders are committed (the supervision room writes in its own transaction).
    for (const [i, a] of reminded.entries()) {
      if ((a.kind === 'host_offline' || a.kind === 'off_duty') && this.o.followUp) {
        const detail = `${KIND_ZH[a.kind]}告警 #${a.id} 的整改期限 ${shanghaiMinute(a.deadline_at as Date)} 已过，单位尚未恢复：请督促整改。`;
        const f: FollowUp = { unitId: Number(a.unit_id), reason: a.kind, alarmId: Number(a.id), openedAt: a.opened_at as Date, deadlineAt: a.deadline_at as Date, detail };
        out[i]!.taskId = await this.o.followUp(f).catch((err) => {
          this.logger.error({ err, alarmId: Number(a.id) }, 'supervisor follow-up task not created');
          return null;
        });
      }
      await this.pool.query(q.setReminderResult(out[i]!.alarmId, (a.deadline_at as Date).toISOString(), out[i]!.messages, out[i]!.taskId));
    }
    if (out.length > 0) this.logger.info({ reminded: out.length }, 'overdue procedure deadlines reminded');
    return out;
  }
}
