// /api/supervision setup routes: testing agencies and the agency that tested a unit.
//   GET  /testing-agencies                       admin, supervisor, analyst (their jurisdiction)
//   POST /testing-agencies {name, licenseNo, regionAdcode}      admin, supervisor
//   PUT  /testing-agencies/:id {name, licenseNo, version}       admin, supervisor of its region
//   GET  /units/:id/agencies   maintenance and testing agency, back-checks, changes   admin, supervisor, analyst
//   PUT  /units/:id/testing-agency {agencyId|null}              admin, supervisor
//   GET  /reports/:id/download?format=csv|xlsx   a kept report as a file (Chinese headers), readers
import { testingAgencyCreateSchema, testingAgencyUpdateSchema, unitTestingAgencySchema } from '@firelink/common';
import { Router } from 'express';
import { z } from 'zod';
import { sendTable } from '../analytics/export.ts';
import { requireRole } from '../auth/principal.ts';
import { idParam, ipOf } from '../http/params.ts';
import type { SupervisionSetup } from './setup-service.ts';
import type { SupervisionWork } from './work-service.ts';

const PERIOD_ZH: Record<string, string> = { daily: '日报', weekly: '周报', monthly: '月报' };
/** The report's figures (work-queries.ts reportFigures) in the words of the reports screen. */
const FIGURE_ZH: Array<[string, string]> = [
  ['units', '单位数'],
  ['open_units', '已联网单位'],
  ['tasks_created', '新增督办'],
  ['tasks_closed', '办结督办'],
  ['tasks_overdue', '逾期督办'],
  ['inspections', '检查家次'],
  ['rectify_orders', '责令整改'],
  ['cases_opened', '立案'],
  ['false_alarms', '误报'],
  ['fault_events', '故障'],
  ['fire_events', '火警信号'],
  ['duty_missed', '脱岗'],
];

export function supervisionSetupRouter(setup: SupervisionSetup, work: SupervisionWork): Router {
  const r = Router();
  r.get('/testing-agencies', async (_req, res) => {
    const p = requireRole(res, 'admin', 'supervisor', 'analyst');
    res.json({ items: await setup.testingAgencies(p) });
  });
  r.post('/testing-agencies', async (req, res) => {
    const p = requireRole(res, 'admin', 'supervisor');
    res.status(201).json(await setup.createTestingAgency(p, testingAgencyCreateSchema.parse(req.body), ipOf(req)));
  });
  r.put('/testing-agencies/:id', async (req, res) => {
    const p = requireRole(res, 'admin', 'supervisor');
    const id = idParam.parse(req.params.id);
    await setup.requireTestingAgency(p, id); // 404 for an agency the caller cannot see, before the body is read
    res.json(await setup.updateTestingAgency(p, id, testingAgencyUpdateSchema.parse(req.body), ipOf(req)));
  });
  r.get('/units/:id/agencies', async (req, res) => {
    const p = requireRole(res, 'admin', 'supervisor', 'analyst');
    res.json(await setup.unitAgencies(p, idParam.parse(req.params.id)));
  });
  r.put('/units/:id/testing-agency', async (req, res) => {
    const p = requireRole(res, 'admin', 'supervisor');
    const id = idParam.parse(req.params.id);
    await setup.requireUnit(p, id); // 404 for another jurisdiction's unit, before the body is read
    res.json(await setup.setUnitTestingAgency(p, id, unitTestingAgencySchema.parse(req.body).agencyId, ipOf(req)));
  });
  r.get('/reports/:id/download', async (req, res) => {
    const p = requireRole(res, 'admin', 'supervisor', 'analyst');
    const format = z.object({ format: z.enum(['csv', 'xlsx']).default('xlsx') }).strict().parse(req.query).format;
    const rep = await work.report(p, idParam.parse(req.params.id));
    const span = rep.periodStart === rep.periodEnd ? rep.periodStart : `${rep.periodStart} 至 ${rep.periodEnd}`;
    const rows = [
      { 项目: '报表', 数值: `消防监督${PERIOD_ZH[rep.period] ?? rep.period}` },
      { 项目: '辖区', 数值: rep.regionName },
      { 项目: '统计期间', 数值: span },
      ...FIGURE_ZH.filter(([k]) => k in rep.content).map(([k, zh]) => ({ 项目: zh, 数值: rep.content[k] ?? null })),
    ];
    await sendTable(res, format, `supervision-report-${rep.period}-${rep.regionAdcode}-${rep.periodStart}`, rows);
  });
  return r;
}
