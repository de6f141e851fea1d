// Supervision's second part: the inspection plan from the analytics ranking, inspections with
// rectification orders and re-inspections, photos, cases, accountability statistics, the
// league against stage targets, acceptance records from received signals, and scheduled
// reports into the outbox. Every id a caller names is checked against their jurisdiction
// (404 otherwise); every change is audited in its transaction. The clock is injected.
import { createHash } from 'node:crypto';
import {
  SerialJobs,
  shanghaiDate,
  type AcceptanceEvidence,
  type AcceptanceRecord,
  type AgencyStat,
  type CaseDto,
  type InspectionDto,
  type LeagueRow,
  type PlanBand,
  type PlanRow,
  type SupervisionReportPeriod,
  type SupervisorStat,
} from '@firelink/common';
import type pg from 'pg';
import { prioritiesQuery } from '../analytics/queries.ts';
import { reportWindow } from '../analytics/report.ts';
import { recordAudit } from '../audit/audit.ts';
import { requireRegionInScope, requireUnitInScope, scopeAllows, type Principal, type ScopedUnit } from '../auth/scope.ts';
import { withTransaction, type Pool } from '../db/pool.ts';
import { DomainError, badRequest, conflict, explainDatabaseError, forbidden, notFound } from '../kernel/errors.ts';
import type { Logger } from '../logger.ts';
import * as onboardingQ from '../onboarding/queries.ts';
import { checkAcceptanceSign, signalEvidence, SIGNAL_KINDS } from './domain/acceptance.ts';
import { judgeStages, leagueRanks, pctOf, stagesFor, type Stage } from './domain/league.ts';
import { MAX_PHOTOS, MAX_PHOTO_BYTES, sniffPhoto } from './domain/photo.ts';
import { sortBands } from './domain/plan.ts';
import * as sq from './setup-queries.ts';
import * as w from './work-queries.ts';
import { assertIndependentAcceptance } from '../onboarding/domain/workflow.ts';

type Db = pg.Pool | pg.ClientBase;
const DAY_MS = 86_400_000;
const num = (v: unknown): number | null => (v == null ? null : Number(v));
const iso = (d: unknown): string => new Date(d as Date).toISOString();

/** Outbox channel of scheduled reports; recipient 'user:<id>'. */
export const REPORT_CHANNEL = 'supervision_report';

export interface WorkOptions {
  /** Hours after which an open fault counts as an overdue repair (the task rule's figure). */
  faultRepairHours: number;
  /** Days a disabled (屏蔽) point may stay so before it counts in the inspection ranking (the task rule's figure). */
  disabledPointDays: number;
  /** How often the report schedule is checked, ms (0 = never; tests call runReports). */
  reportEveryMs: number;
  now: () => Date;
}

export class SupervisionWork {
  private jobs: SerialJobs | null = null;

  constructor(
    private readonly pool: Pool,
    private readonly opts: WorkOptions,
    private readonly logger?: Logger,
  ) {}

  private today(): string {
    return shanghaiDate(this.opts.now());
  }

  // ---- plan ----

  async bands(): Promise<PlanBand[]> {
    return (await this.pool.query(w.planBands())).rows.map((b) => ({ band: b.band, uptoPct: Number(b.upto_pct), everyDays: Number(b.every_days) }));
  }

  async setBands(p: Principal, bands: PlanBand[], ip: string | null): Promise<PlanBand[]> {
    sortBands(bands);
    await withTransaction(this.pool, async (c) => {
      const before = (await c.query(w.planBands())).rows;
      for (const q of w.replaceBands(bands)) await c.query(q);
      await recordAudit(c, { actor: p, ip, action: 'supervision.plan_bands', entity: 'supervision_plan', entityId: 'bands', before, after: bands });
    });
    return this.bands();
  }

  /**
   * Ranks the units in the caller's jurisdiction (or one region of it) with the analytics
   * inspection ranking over the last `windowDays`, bands them by rank within their district
   * and writes the plan. Audited.
   */
  async generatePlan(p: Principal, body: { regionAdcode?: number | undefined; windowDays: number }, ip: string | null): Promise<{ units: number; bands: Record<string, number> }> {
    const now = this.opts.now();
    const ranking = prioritiesQuery({ from: new Date(now.getTime() - body.windowDays * DAY_MS), to: now, scope: p.scope, region: body.regionAdcode ?? null, limit: 1_000_000, disabledDays: this.opts.disabledPointDays });
    return withTransaction(this.pool, async (c) => {
      const rows = (await c.query(w.planFromRanking(ranking, this.today(), now.toISOString()))).rows;
      const counts: Record<string, number> = {};
      let units = 0;
      for (const r of rows) {
        counts[String(r.band)] = Number(r.units);
        units += Number(r.units);
      }
      await recordAudit(c, { actor: p, ip, action: 'supervision.plan_generate', entity: 'supervision_plan', entityId: body.regionAdcode ?? 'scope', after: { ...body, units, bands: counts } });
      return { units, bands: counts };
    });
  }

  async plan(p: Principal, f: { dueBy?: string | undefined; band?: string | undefined; mine?: boolean; limit: number; offset: number }): Promise<{ total: number; items: PlanRow[] }> {
    const rows = (
      await this.pool.query(
        w.listPlan(p.scope, {
          ...(f.dueBy ? { dueBy: f.dueBy } : {}),
          ...(f.band ? { band: f.band } : {}),
          ...(f.mine && p.userId != null ? { supervisorId: p.userId } : {}),
          today: this.today(),
          limit: f.limit,
          offset: f.offset,
        }),
      )
    ).rows;
    return {
      total: rows[0] ? Number(rows[0].total) : 0,
      items: rows.map((r) => ({
        unitId: Number(r.unit_id),
        unitName: String(r.unit_name),
        regionAdcode: num(r.region_adcode),
        regionName: r.region_name ?? null,
        band: String(r.band),
        everyDays: Number(r.every_days),
        score: Number(r.score),
        rankInRegion: Number(r.rank_in_region),
        regionUnits: Number(r.region_units),
        nextDue: String(r.next_due),
        lastInspectedOn: r.last_inspected_on ?? null,
        overdue: Boolean(r.overdue),
        supervisorName: r.supervisor_name ?? null,
      })),
    };
  }

  // ---- inspections ----

  inspectionDto(r: Record<string, unknown>): InspectionDto {
    const rectifyBy = (r.rectify_by as string | null) ?? null;
    return {
      id: Number(r.id),
      unitId: Number(r.unit_id),
      unitName: String(r.unit_name),
      regionName: (r.region_name as string | null) ?? null,
      inspectorName: String(r.inspector_name),
      inspectedOn: String(r.inspected_on),
      checklist: (r.checklist as InspectionDto['checklist']) ?? [],
      findings: String(r.findings ?? ''),
      result: r.result as 'pass' | 'rectify',
      orderNo: (r.order_no as string | null) ?? null,
      rectifyBy,
      rectifyItems: String(r.rectify_items ?? ''),
      reinspectionOf: num(r.reinspection_of),
      rectifiedOn: (r.rectified_on as string | null) ?? null,
      orderOverdue: r.result === 'rectify' && r.rectified_on == null && rectifyBy != null && rectifyBy < this.today(),
      planned: Boolean(r.planned),
      photos: (r.photos as InspectionDto['photos']) ?? [],
      createdAt: iso(r.created_at),
    };
  }

  async inspection(p: Principal, id: number): Promise<InspectionDto> {
    const row = (await this.pool.query(w.inspectionById(p.scope, id))).rows[0];
    if (!row) throw notFound(`inspection ${id} not found in your jurisdiction`);
    return this.inspectionDto(row);
  }

  async inspections(p: Principal, f: { unitId?: number | undefined; openOrders?: boolean | undefined; limit: number; offset: number }): Promise<{ total: number; items: InspectionDto[] }> {
    const rows = (
      await this.pool.query(w.listInspections(p.scope, { ...(f.unitId !== undefined ? { unitId: f.unitId } : {}), ...(f.openOrders ? { openOrders: true } : {}), limit: f.limit, offset: f.offset }))
    ).rows;
    return { total: rows[0] ? Number(rows[0].total) : 0, items: rows.map((r) => this.inspectionDto(r)) };
  }

  async createInspection(
    p: Principal,
    b: { unitId: number; inspectedOn: string; checklist: Array<{ item: string; ok: boolean; note: string }>; findings: string; result: 'pass' | 'rectify'; rectifyBy?: string | undefined; rectifyItems: string; reinspectionOf?: number | undefined },
    ip: string | null,
    actorName: string,
  ): Promise<InspectionDto> {
    if (b.inspectedOn > this.today()) throw badRequest(`inspectedOn ${b.inspectedOn} is in the future: record an inspection on or after the day it took place`);
    const id = await withTransaction(this.pool, async (c) => {
      await requireUnitInScope(c, p.scope, b.unitId);
      if (b.reinspectionOf !== undefined) {
        const prev = (await c.query(w.inspectionById(p.scope, b.reinspectionOf, true))).rows[0];
        if (!prev) throw notFound(`inspection ${b.reinspectionOf} not found in your jurisdiction`);
        if (Number(prev.unit_id) !== b.unitId) throw badRequest(`inspection ${b.reinspectionOf} is of another unit: a re-inspection checks an order of the same unit`);
        if (prev.result !== 'rectify') throw conflict(`inspection ${b.reinspectionOf} passed and has no rectification order to check`);
        if (prev.rectified_on != null) throw conflict(`the order of inspection ${b.reinspectionOf} was already found rectified on ${prev.rectified_on}`);
        if (b.inspectedOn < String(prev.inspected_on)) throw badRequest('a re-inspection cannot be dated before the inspection it checks');
      }
      const row = (
        await c.query(
          w.insertInspection({
            unitId: b.unitId,
            inspectorId: p.userId,
            inspectorName: actorName,
            inspectedOn: b.inspectedOn,
            checklist: JSON.stringify(b.checklist),
            findings: b.findings,
            result: b.result,
            rectifyBy: b.rectifyBy ?? null,
            rectifyItems: b.rectifyItems,
            reinspectionOf: b.reinspectionOf ?? null,
            nowIso: this.opts.now().toISOString(),
          }),
        )
      ).rows[0]!;
      const newId = Number(row.id);
      await c.query(w.numberOrder(newId));
      if (b.reinspectionOf !== undefined && b.result === 'pass') await c.query(w.markRectified(b.reinspectionOf, b.inspectedOn));
      await c.query(w.advancePlan(b.unitId));
      await recordAudit(c, { actor: p, ip, action: 'supervision.inspection.create', entity: 'supervision_inspection', entityId: newId, after: { ...b } });
      return newId;
    });
    return this.inspection(p, id);
  }

  /** Adds a photo; the type is read from the bytes and must match the declared one. Inspector or admin only. */
  async addPhoto(p: Principal, inspectionId: number, body: Buffer, declared: string, caption: string, ip: string | null): Promise<InspectionDto> {
    const sniffed = sniffPhoto(body);
    if (!sniffed) throw badRequest('the photo is not a JPEG, PNG or WebP image: send the image bytes with Content-Type image/jpeg, image/png or image/webp');
    if (sniffed !== declared) throw badRequest(`the file is ${sniffed} but was sent as ${declared || 'no type'}: send it with Content-Type ${sniffed}`);
    if (body.length > MAX_PHOTO_BYTES) throw new DomainError('too_large', 'too_large', `a photo may have at most ${MAX_PHOTO_BYTES / 1024 / 1024} MB: shrink it before uploading`);
    await withTransaction(this.pool, async (c) => {
      const row = (await c.query(w.inspectionById(p.scope, inspectionId, true))).rows[0];
      if (!row) throw notFound(`inspection ${inspectionId} not found in your jurisdiction`);
      if (p.role !== 'admin' && num(row.inspector_id) !== p.userId) throw forbidden('only the inspector who recorded the inspection (or an admin) may add photos to it');
      if ((await c.query(w.photoCount(inspectionId))).rows[0].n >= MAX_PHOTOS) throw conflict(`an inspection keeps at most ${MAX_PHOTOS} photos`);
      const sha256 = createHash('sha256').update(body).digest('hex');
      const ph = (await c.query(w.insertPhoto({ inspectionId, mime: sniffed, bytes: body.length, sha256, image: body, caption, by: p.userId }))).rows[0]!;
      await recordAudit(c, { actor: p, ip, action: 'supervision.inspection.photo', entity: 'supervision_inspection', entityId: inspectionId, after: { photoId: Number(ph.id), mime: sniffed, bytes: body.length, sha256, caption } });
    });
    return this.inspection(p, inspectionId);
  }

  async photo(p: Principal, inspectionId: number, photoId: number): Promise<{ mime: string; image: Buffer }> {
    if (!(await this.pool.query(w.inspectionById(p.scope, inspectionId))).rows[0]) throw notFound(`inspection ${inspectionId} not found in your jurisdiction`);
    const ph = (await this.pool.query(w.photo(inspectionId, photoId))).rows[0];
    if (!ph) throw notFound(`photo ${photoId} not found on inspection ${inspectionId}`);
    return { mime: String(ph.mime_type), image: ph.image as Buffer };
  }

  // ---- cases ----

  caseDto(r: Record<string, unknown>): CaseDto {
    return {
      id: Number(r.id),
      unitId: Number(r.unit_id),
      unitName: String(r.unit_name),
      caseNo: String(r.case_no),
      basis: String(r.basis),
      facts: String(r.facts ?? ''),
      inspectionId: num(r.inspection_id),
      taskId: num(r.task_id),
      state: r.state as 'open' | 'closed',
      outcome: (r.outcome as string | null) ?? null,
      fineYuan: num(r.fine_yuan),
      openedOn: String(r.opened_on),
      closedOn: (r.closed_on as string | null) ?? null,
      version: Number(r.version),
    };
  }

  async caseById(p: Principal, id: number): Promise<CaseDto> {
    const row = (await this.pool.query(w.caseById(p.scope, id))).rows[0];
    if (!row) throw notFound(`case ${id} not found in your jurisdiction`);
    return this.caseDto(row);
  }

  async cases(p: Principal, f: { unitId?: number | undefined; state?: 'open' | 'closed' | undefined; limit: number; offset: number }): Promise<{ total: number; items: CaseDto[] }> {
    const rows = (await this.pool.query(w.listCases(p.scope, { ...(f.unitId !== undefined ? { unitId: f.unitId } : {}), ...(f.state ? { state: f.state } : {}), limit: f.limit, offset: f.offset }))).rows;
    return { total: rows[0] ? Number(rows[0].total) : 0, items: rows.map((r) => this.caseDto(r)) };
  }

  async openCase(
    p: Principal,
    b: { unitId: number; caseNo: string; basis: string; facts: string; openedOn: string; inspectionId?: number | undefined; taskId?: number | undefined },
    ip: string | null,
  ): Promise<CaseDto> {
    if (b.openedOn > this.today()) throw badRequest(`openedOn ${b.openedOn} is in the future`);
    const id = await withTransaction(this.pool, async (c) => {
      await requireUnitInScope(c, p.scope, b.unitId);
      if (b.inspectionId !== undefined) {
        const i = (await c.query(w.inspectionById(p.scope, b.inspectionId))).rows[0];
        if (!i) throw notFound(`inspection ${b.inspectionId} not found in your jurisdiction`);
        if (Number(i.unit_id) !== b.unitId) throw badRequest(`inspection ${b.inspectionId} is of another unit`);
      }
      if (b.taskId !== undefined) {
        const t = (await c.query(w.taskOfUnit(p.scope, b.taskId))).rows[0];
        if (!t) throw notFound(`task ${b.taskId} not found in your jurisdiction`);
        if (Number(t.unit_id) !== b.unitId) throw badRequest(`task ${b.taskId} is of another unit`);
      }
      let row;
      try {
        await c.query('SAVEPOINT case_no');
        row = (await c.query(w.insertCase({ ...b, inspectionId: b.inspectionId ?? null, taskId: b.taskId ?? null, by: p.userId }))).rows[0]!;
      } catch (err) {
        throw explainDatabaseError(err, { unique: `case number ${b.caseNo} is already used: each case has its own number` });
      }
      await recordAudit(c, { actor: p, ip, action: 'supervision.case.open', entity: 'supervision_case', entityId: Number(row.id), after: { ...b } });
      return Number(row.id);
    });
    return this.caseById(p, id);
  }

  async closeCase(p: Principal, id: number, b: { outcome: string; fineYuan?: number | undefined; closedOn: string; version: number }, ip: string | null): Promise<CaseDto> {
    await withTransaction(this.pool, async (c) => {
      const row = (await c.query(w.caseById(p.scope, id, true))).rows[0];
      if (!row) throw notFound(`case ${id} not found in your jurisdiction`);
      if (row.state === 'closed') throw conflict(`case ${id} is closed already`);
      if (Number(row.version) !== b.version) throw conflict(`case ${id} changed meanwhile (version ${row.version}, you sent ${b.version}): reload it`);
      if (b.closedOn < String(row.opened_on)) throw badRequest('closedOn cannot be before the case was opened');
      await c.query(w.closeCase(id, b.version, b.outcome, b.fineYuan ?? null, b.closedOn));
      await recordAudit(c, { actor: p, ip, action: 'supervision.case.close', entity: 'supervision_case', entityId: id, before: { state: 'open' }, after: { ...b } });
    });
    return this.caseById(p, id);
  }

  // ---- accountability ----

  async agencyStats(p: Principal, kind: 'maintenance' | 'testing', from: Date, to: Date): Promise<AgencyStat[]> {
    const repairBefore = new Date(this.opts.now().getTime() - this.opts.faultRepairHours * 3_600_000);
    const windowS = (to.getTime() - from.getTime()) / 1000;
    const rows = (await this.pool.query(w.agencyStats(p.scope, kind, from.toISOString(), to.toISOString(), repairBefore.toISOString()))).rows;
    return rows.map((r) => ({
      agencyId: Number(r.agency_id),
      name: String(r.name),
      units: Number(r.units),
      points: Number(r.points),
      falseAlarms: Number(r.false_alarms),
      verifiedFireAlarms: Number(r.verified_fire_alarms),
      falseAlarmRatePct: pctOf(Number(r.false_alarms), Number(r.verified_fire_alarms)),
      faultEvents: Number(r.fault_events),
      // faults per 100 points per 30 days, as the analytics fault rate
      faultsPer100Points30d: Number(r.points) > 0 && windowS > 0 ? Math.round((Number(r.fault_events) * 100 * 2_592_000 * 100) / (Number(r.points) * windowS)) / 100 : null,
      overdueRepairs: Number(r.overdue_repairs),
      acceptances: Number(r.acceptances),
      failedAcceptances: Number(r.failed_acceptances),
    }));
  }

  async supervisorStats(p: Principal, from: Date, to: Date): Promise<SupervisorStat[]> {
    const days = Math.max(1, Math.round((to.getTime() - from.getTime()) / DAY_MS));
    const rows = (await this.pool.query(w.supervisorStats(p.scope, from.toISOString(), to.toISOString(), this.opts.now().toISOString(), days))).rows;
    return rows.map((r) => ({
      supervisorId: Number(r.id),
      name: String(r.display_name),
      units: Number(r.units),
      tasksFinished: Number(r.finished),
      tasksOnTime: Number(r.on_time),
      onTimePct: pctOf(Number(r.on_time), Number(r.finished)),
      tasksOverdueOpen: Number(r.overdue_open),
      inspectionsPlanned: Number(r.planned),
      inspectionsDone: Number(r.done),
      planDonePct: pctOf(Number(r.done), Number(r.planned)),
    }));
  }

  /** Cities and districts in scope against their stages; districts roll up to their city. */
  async league(p: Principal): Promise<LeagueRow[]> {
    const today = this.today();
    const counts = (await this.pool.query(w.leagueCounts(p.scope))).rows;
    type Acc = { hrNum: number; hrDen: number; crNum: number; crDen: number; uc: number };
    const acc = new Map<number, Acc>();
    const add = (code: number, r: Record<string, unknown>) => {
      const a = acc.get(code) ?? { hrNum: 0, hrDen: 0, crNum: 0, crDen: 0, uc: 0 };
      a.hrNum += Number(r.hr_num);
      a.hrDen += Number(r.hr_den);
      a.crNum += Number(r.cr_num);
      a.crDen += Number(r.cr_den);
      a.uc += Number(r.under_construction);
      acc.set(code, a);
    };
    for (const r of counts) {
      const code = Number(r.adcode);
      add(code, r);
      if (code % 100 !== 0) add(Math.floor(code / 100) * 100, r);
    }
    const regions = new Map((await this.pool.query(w.regionsByCodes([...acc.keys()]))).rows.map((r) => [Number(r.adcode), r]));
    const stored = (await this.pool.query(w.stageTargets())).rows.map((s) => ({ regionAdcode: Number(s.region_adcode), metric: String(s.metric), dueOn: String(s.due_on), targetPct: Number(s.target_pct) }));
    const metric = (code: number, m: 'high_risk' | 'control_room', n: number, d: number) => {
      let stages: Stage[] = stagesFor(stored, code, m);
      if (stages.length === 0) {
        // No annex-1 stages stored: the region's single target from the geodata, when dated.
        const r = regions.get(code);
        const pct = m === 'high_risk' ? r?.thr : r?.tcr;
        const date = m === 'high_risk' ? r?.thr_date : r?.tcr_date;
        if (pct != null && date) stages = [{ dueOn: String(date), targetPct: Number(pct) }];
      }
      const pct = pctOf(n, d);
      const judged = judgeStages(stages, pct, today);
      return { numerator: n, denominator: d, pct, stages: judged.map((s) => ({ dueOn: s.dueOn, targetPct: s.targetPct, state: s.state })), overdue: judged.some((s) => s.state === 'missed') };
    };
    const rows = [...acc.entries()]
      // A city is shown only to whoever's jurisdiction covers all of it (a district supervisor
      // would otherwise see a city figure made of their district alone).
      .filter(([code]) => regions.has(code) && ['city', 'district'].includes(String(regions.get(code)!.level)) && scopeAllows(p.scope, { regionAdcode: code }))
      .map(([code, a]) => {
        const r = regions.get(code)!;
        return {
          adcode: code,
          name: String(r.name),
          level: r.level as 'city' | 'district',
          parentAdcode: num(r.parent_adcode),
          highRisk: metric(code, 'high_risk', a.hrNum, a.hrDen),
          controlRoom: metric(code, 'control_room', a.crNum, a.crDen),
          underConstruction: a.uc,
          rank: 0,
        };
      });
    // Ranked within each level: cities among cities, districts among districts.
    for (const level of ['city', 'district'] as const) {
      const list = rows.filter((r) => r.level === level);
      const ranks = leagueRanks(
        list.map((r) => ({
          missed: [...r.highRisk.stages, ...r.controlRoom.stages].filter((s) => s.state === 'missed').length,
          score: (r.highRisk.pct ?? 100) + (r.controlRoom.pct ?? 100),
        })),
      );
      list.forEach((r, i) => (r.rank = ranks[i]!));
    }
    return rows.sort((a, b) => (a.level === b.level ? a.rank - b.rank || a.adcode - b.adcode : a.level === 'city' ? -1 : 1));
  }

  async stageTargets(p: Principal): Promise<Array<{ regionAdcode: number; metric: string; dueOn: string; targetPct: number }>> {
    const rows = (await this.pool.query(w.stageTargets())).rows.map((s) => ({ regionAdcode: Number(s.region_adcode), metric: String(s.metric), dueOn: String(s.due_on), targetPct: Number(s.target_pct) }));
    if (p.scope.kind === 'all') return rows;
    if (p.scope.kind === 'units') return [];
    const mine = p.scope.adcodes;
    // A target is shown to whoever's jurisdiction overlaps it (a city's targets to its districts' supervisors too).
    const overlaps = (code: number) => mine.some((c) => c === code || Math.floor(c / 100) * 100 === code || Math.floor(c / 10_000) * 10_000 === code || Math.floor(code / 100) * 100 === c || Math.floor(code / 10_000) * 10_000 === c);
    return rows.filter((r) => overlaps(r.regionAdcode));
  }

  /** 404 unless the caller's jurisdiction covers the region (a district supervisor not their city). */
  requireRegion(p: Principal, adcode: number): void {
    if (p.role !== 'admin') requireRegionInScope(p.scope, adcode);
  }

  async setStageTargets(p: Principal, adcode: number, stages: Array<{ metric: string; dueOn: string; targetPct: number }>, ip: string | null): Promise<void> {
    // A supervisor sets the stages of a region their jurisdiction covers (a district supervisor not the city's).
    this.requireRegion(p, adcode);
    await withTransaction(this.pool, async (c) => {
      const region = (await c.query(w.regionsByCodes([adcode]))).rows[0];
      if (!region) throw notFound(`no region ${adcode}`);
      const before = (await c.query(w.stageTargets())).rows.filter((s) => Number(s.region_adcode) === adcode);
      try {
        await c.query('SAVEPOINT stages');
        for (const q of w.replaceStageTargets(adcode, stages)) await c.query(q);
      } catch (err) {
        const e = explainDatabaseError(err, { unique: 'two stages of one metric share a date: give each stage its own date' });
        // A duplicate date is the caller's input: 400 as before, with the same words.
        throw e instanceof DomainError && e.kind === 'conflict' ? badRequest(e.message) : e;
      }
      await recordAudit(c, { actor: p, ip, action: 'supervision.stage_targets', entity: 'region', entityId: adcode, before, after: stages });
    });
  }

  // ---- acceptance ----

  async evidence(db: Db, p: Principal, q: { unitId: number; deviceId: number; from: Date; to: Date }): Promise<AcceptanceEvidence & { unit: ScopedUnit }> {
    const unit = await requireUnitInScope(db, p.scope, q.unitId);
    const device = (await db.query(w.deviceOfUnit(q.unitId, q.deviceId))).rows[0];
    if (!device) throw notFound(`device ${q.deviceId} is not bound to unit ${q.unitId}: pick one of the unit's devices`);
    if (q.to.getTime() <= q.from.getTime()) throw badRequest('to must be after from');
    const kinds = [...new Set(Object.values(SIGNAL_KINDS).flat())];
    const events = (await db.query(w.deviceEvents(q.unitId, q.deviceId, q.from.toISOString(), q.to.toISOString(), kinds))).rows.map((e) => ({ id: Number(e.id), kind: String(e.kind), receivedAt: e.received_at as Date }));
    const ev = signalEvidence(events);
    return { unit, unitId: q.unitId, deviceId: q.deviceId, deviceAddress: Number(device.address), windowFrom: q.from.toISOString(), windowTo: q.to.toISOString(), ...ev };
  }

  /**
   * The inspector signs an acceptance record built from the evidence. Refused (403) to anyone
   * of the maintenance agency that collected the unit; a pass needs every signal received. A
   * pass of a unit under construction is also recorded as the onboarding acceptance check.
   */
  async signAcceptance(
    p: Principal,
    b: { unitId: number; deviceId: number; windowFrom: string; windowTo: string; result: 'pass' | 'fail'; testingAgencyId?: number | undefined; notes: string; signature: string },
    ip: string | null,
    actorName: string,
  ): Promise<AcceptanceRecord> {
    const now = this.opts.now();
    if (Date.parse(b.windowTo) > now.getTime() + 60_000) throw badRequest('the test window cannot end in the future: sign after the test');
    const id = await withTransaction(this.pool, async (c) => {
      const ev = await this.evidence(c, p, { unitId: b.unitId, deviceId: b.deviceId, from: new Date(b.windowFrom), to: new Date(b.windowTo) });
      const inspectorAgency = p.userId == null ? null : num((await c.query(w.userAgency(p.userId))).rows[0]?.maintenance_agency_id);
      const collecting = num(ev.unit.maintenanceAgencyId);
      assertIndependentAcceptance({ result: b.result }, { role: p.role, agencyId: inspectorAgency }, collecting);
      const check = checkAcceptanceSign({ inspectorAgencyId: inspectorAgency, collectingAgencyId: collecting, result: b.result, complete: ev.complete });
      if (!check.ok) throw check.status === 403 ? forbidden(check.reason) : conflict(check.reason);
      // Only an agency the signer may see (listTestingAgencies' rule): another district's is not found.
      if (b.testingAgencyId !== undefined && !(await c.query(sq.listTestingAgencies(p.scope))).rows.some((r) => Number(r.id) === b.testingAgencyId)) throw notFound(`no testing agency ${b.testingAgencyId}`);
      const row = (
        await c.query(
          w.insertAcceptanceRecord({
            unitId: b.unitId,
            deviceId: b.deviceId,
            deviceAddress: ev.deviceAddress,
            fromIso: ev.windowFrom,
            toIso: ev.windowTo,
            evidence: JSON.stringify(ev.signals),
            result: b.result,
            inspectorId: p.userId,
            inspectorName: `${actorName}（签字：${b.signature}）`,
            inspectorAgencyId: inspectorAgency,
            collectingAgencyId: collecting,
            testingAgencyId: b.testingAgencyId ?? null,
            notes: b.notes,
            nowIso: now.toISOString(),
          }),
        )
      ).rows[0]!;
      // The onboarding room's acceptance check, filled from the same evidence (its gate for opening new construction).
      const s = ev.signals;
      await c.query(
        onboardingQ.insertAcceptance(
          b.unitId,
          {
            checkedOn: shanghaiDate(new Date(b.windowTo)),
            deviceTested: true,
            deviceAddress: ev.deviceAddress,
            fireSignalReceived: s.fire.received,
            faultSignalReceived: s.fault.received,
            supervisorySignalReceived: s.supervisory.received,
            feedbackSignalReceived: s.feedback.received,
            dutyCheckAnswered: s.dutyCheck.received,
            result: b.result,
            inspector: b.signature,
            notes: `监督验收记录 ${row.id}${b.notes ? `：${b.notes}` : ''}`,
          },
          p.userId,
        ),
      );
      if (b.result === 'pass' && ev.unit.underConstruction) await c.query(onboardingQ.acceptConstruction(b.unitId));
      await recordAudit(c, { actor: p, ip, action: 'supervision.acceptance.sign', entity: 'unit', entityId: b.unitId, after: { recordId: Number(row.id), ...b, complete: ev.complete } });
      return Number(row.id);
    });
    return this.acceptance(p, id);
  }

  async acceptance(p: Principal, id: number): Promise<AcceptanceRecord> {
    const r = (await this.pool.query(w.acceptanceById(p.scope, id))).rows[0];
    if (!r) throw notFound(`acceptance record ${id} not found in your jurisdiction`);
    const signals = r.evidence as AcceptanceRecord['signals'];
    return {
      id: Number(r.id),
      unitId: Number(r.unit_id),
      unitName: String(r.unit_name),
      deviceId: Number(r.device_id),
      deviceAddress: Number(r.device_address),
      windowFrom: iso(r.window_from),
      windowTo: iso(r.window_to),
      signals,
      complete: Object.values(signals).every((s) => s.received),
      result: r.result,
      inspectorName: String(r.inspector_name),
      collectingAgency: r.collecting_agency ?? null,
      testingAgency: r.testing_agency ?? null,
      notes: String(r.notes ?? ''),
      signedAt: iso(r.signed_at),
    };
  }

  // ---- scheduled reports ----

  /** The last complete period of each kind, as of now (Shanghai calendar). */
  lastPeriods(now = this.opts.now()): Array<{ period: SupervisionReportPeriod; from: Date; to: Date; start: string; end: string }> {
    const today = shanghaiDate(now);
    const yesterday = shanghaiDate(new Date(now.getTime() - DAY_MS));
    const out = [];
    for (const period of ['daily', 'weekly', 'monthly'] as const) {
      const cur = reportWindow(period, today);
      const prev = period === 'daily' ? reportWindow('daily', yesterday) : reportWindow(period, shanghaiDate(new Date(cur.from.getTime() - DAY_MS)));
      out.push({ period, from: prev.from, to: prev.to, start: shanghaiDate(prev.from), end: shanghaiDate(new Date(prev.to.getTime() - DAY_MS)) });
    }
    return out;
  }

  /** Makes the reports of the last complete day, week and month that are missing, and sends each to the region's supervisors. */
  async runReports(): Promise<{ created: number; notices: number }> {
    const now = this.opts.now();
    const regions = (await this.pool.query(w.reportRegions())).rows;
    let created = 0;
    let notices = 0;
    for (const per of this.lastPeriods(now)) {
      for (const r of regions) {
        const adcode = Number(r.adcode);
        const figures = (await this.pool.query(w.reportFigures(adcode, per.from.toISOString(), per.to.toISOString(), per.start, shanghaiDate(per.to)))).rows[0]!;
        await withTransaction(this.pool, async (c) => {
          const ins = (await c.query(w.insertReport({ period: per.period, adcode, start: per.start, end: per.end, content: JSON.stringify(figures), nowIso: now.toISOString() }))).rows[0];
          if (!ins) return;
          created++;
          const users = (await c.query(w.reportRecipients(adcode))).rows.map((u) => Number(u.id));
          const label = { daily: '日报', weekly: '周报', monthly: '月报' }[per.period];
          const span = per.start === per.end ? per.start : `${per.start} 至 ${per.end}`;
          const text = `【消防监督${label}】${r.name} ${span}：督办新增${figures.tasks_created}项、办结${figures.tasks_closed}项、逾期${figures.tasks_overdue}项；检查${figures.inspections}家次，责令整改${figures.rectify_orders}起，立案${figures.cases_opened}起；误报${figures.false_alarms}次，故障${figures.fault_events}次。`;
          for (const u of users) {
            await c.query({
              text: `INSERT INTO outbox (channel, recipient, payload, ref_entity, ref_id) VALUES ($1, $2, $3::jsonb, 'supervision_report', $4)`,
              values: [REPORT_CHANNEL, `user:${u}`, JSON.stringify({ kind: 'report', period: per.period, regionAdcode: adcode, reportId: Number(ins.id), text }), String(ins.id)],
            });
            notices++;
          }
        });
      }
    }
    return { created, notices };
  }

  async reports(p: Principal, f: { period?: SupervisionReportPeriod | undefined; limit: number }) {
    const rows = (await this.pool.query(w.listReports(p.scope, { ...(f.period ? { period: f.period } : {}), limit: f.limit }))).rows;
    return rows.map((r) => ({
      id: Number(r.id),
      period: r.period as SupervisionReportPeriod,
      regionAdcode: Number(r.region_adcode),
      regionName: String(r.region_name),
      periodStart: String(r.period_start),
      periodEnd: String(r.period_end),
      generatedAt: iso(r.generated_at),
      content: r.content as Record<string, number>,
      delivery: { sent: Number(r.sent), pending: Number(r.pending), failed: Number(r.failed), notConfigured: Number(r.not_configured) },
    }));
  }

  /** One kept report of the caller's jurisdiction (404 otherwise). */
  async report(p: Principal, id: number) {
    const r = (await this.pool.query(w.reportById(p.scope, id))).rows[0];
    if (!r) throw notFound(`no report ${id}`);
    return {
      id: Number(r.id),
      period: r.period as SupervisionReportPeriod,
      regionAdcode: Number(r.region_adcode),
      regionName: String(r.region_name),
      periodStart: String(r.period_start),
      periodEnd: String(r.period_end),
      generatedAt: iso(r.generated_at),
      content: r.content as Record<string, number>,
    };
  }

  /** The per-unit monthly statistics table, headed in Chinese as bureaus lay it out (单位月度统计表). */
  async monthlyUnits(p: Principal, from: Date, to: Date, fromDay: string, toDay: string, region: number | null): Promise<Array<Record<string, string | number | null>>> {
    const rows = (await this.pool.query(w.monthlyUnits(p.scope, from.toISOString(), to.toISOString(), fromDay, toDay, region))).rows;
    return rows.map((r, i) => ({
      序号: i + 1,
      单位编号: Number(r.id),
      单位名称: String(r.name),
      所属辖区: r.region_name ?? '',
      维保单位: r.agency ?? '',
      责任监督员: r.supervisor ?? '',
      点位数: Number(r.points),
      火警信号数: Number(r.fire_events),
      火警核实数: Number(r.verified),
      误报数: Number(r.false_alarms),
      '误报率(%)': pctOf(Number(r.false_alarms), Number(r.verified)),
      故障数: Number(r.fault_events),
      '主机关机时长(小时)': Number(r.offline_hours),
      查岗次数: Number(r.duty_missed) + Number(r.duty_answered),
      脱岗次数: Number(r.duty_missed),
      督办任务数: Number(r.tasks),
      监督检查次数: Number(r.inspections),
    }));
  }

  start(): void {
    if (this.opts.reportEveryMs <= 0) return;
    this.jobs = new SerialJobs((err) => this.logger?.error({ err }, 'supervision reports failed'));
    this.jobs.every(this.opts.reportEveryMs, async () => {
      const r = await this.runReports();
      if (r.created) this.logger?.info(r, 'supervision reports made');
    });
  }

  async stop(): Promise<void> {
    await this.jobs?.stop();
    this.jobs = null;
  }
}
