// /api/stats: rates, trends, inspection priorities, connection targets, exports, reports.
// Every query composes the caller's jurisdiction (scopePredicate in queries.ts).
import { Router } from 'express';
import { REPORT_PDF_ROLES, shanghaiDate } from '@firelink/common';
import { z } from 'zod';
import { recordAudit } from '../audit/audit.ts';
import { principalOf, requireRole } from '../auth/principal.ts';
import { withTransaction, type Pool } from '../db/pool.ts';
import { DomainError, forbidden, notFound } from '../kernel/errors.ts';
import { requireRegionFilter, requireUnitInScope, scopeAllows } from '../auth/scope.ts';
import { sendTable, type Row } from './export.ts';
import {
  METRICS,
  connectionQuery,
  prioritiesQuery,
  ratesQuery,
  regionTargetsQuery,
  trendQuery,
  updateTargetsQuery,
  type Metric,
} from './queries.ts';
import { PdfBusyError, PdfRenderer } from './pdf.ts';
import { buildRegionReport } from './report.ts';

const DAY_MS = 86_400_000;
/** Longest window served: five years (rollups make it cheap, but bound the work). */
const MAX_WINDOW_MS = 5 * 366 * DAY_MS;

const metricList = z
  .string()
  .optional()
  .transform((s, ctx) => {
    if (!s) return [...METRICS] as Metric[];
    const list = s.split(',').map((x) => x.trim());
    const bad = list.filter((x) => !(METRICS as readonly string[]).includes(x));
    if (bad.length) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `unknown metric ${bad.join(', ')}; use one of ${METRICS.join(', ')}` });
      return z.NEVER;
    }
    return list as Metric[];
  });

const isoDate = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), 'not a date: use ISO 8601, e.g. 2026-01-01 or 2026-01-01T00:00:00+08:00')
  .transform((s) => new Date(/^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00+08:00` : s));

const windowSchema = z
  .object({ from: isoDate.optional(), to: isoDate.optional() })
  .transform((w) => {
    const to = w.to ?? new Date();
    const from = w.from ?? new Date(to.getTime() - 30 * DAY_MS);
    return { from, to };
  })
  .superRefine((w, ctx) => {
    if (w.from >= w.to) ctx.addIssue({ code: z.ZodIssueCode.custom, message: '`from` must be before `to`' });
    if (w.to.getTime() - w.from.getTime() > MAX_WINDOW_MS) ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'window longer than 5 years: narrow `from`/`to`' });
  });

const format = z.enum(['json', 'csv', 'xlsx']).default('json');
const region = z.coerce.number().int().min(100000).max(999999).optional();

const ratesSchema = z.object({
  by: z.enum(['h3', 'region', 'unit']).default('region'),
  res: z.coerce.number().int().min(6, 'res is an H3 resolution 6–9').max(9, 'res is an H3 resolution 6–9').default(8),
  metric: metricList,
  region,
  unit: z.coerce.number().int().positive().optional(),
  format,
});

const trendSchema = z.object({ interval: z.enum(['day', 'week', 'month']).default('day'), metric: metricList, region, format });
const prioritiesSchema = z.object({ limit: z.coerce.number().int().min(1).max(5000).default(50), region, format });
const reportSchema = z.object({
  region: z.coerce.number().int().min(100000).max(999999),
  period: z.enum(['daily', 'weekly', 'monthly']).default('weekly'),
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'date is YYYY-MM-DD (Asia/Shanghai)').optional(),
  format: z.enum(['html', 'pdf']).default('html'),
});
const dateOrNull = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'dates are YYYY-MM-DD').nullable();
const pctOrNull = z.number().min(0).max(100).nullable();
const targetsSchema = z
  .object({
    target_high_risk_pct: pctOrNull.optional(),
    target_high_risk_date: dateOrNull.optional(),
    target_control_room_pct: pctOrNull.optional(),
    target_control_room_date: dateOrNull.optional(),
    target_full_date: dateOrNull.optional(),
  })
  .strict()
  .refine((p) => Object.keys(p).length > 0, 'send at least one target field');

/**
 * `pdf` prints reports; the analytics feature passes one and closes it at shutdown. Without it
 * PDF reports answer 503 (HTML still works). `disabledPointDays` (SUPERVISION_DISABLED_POINT_DAYS):
 * a point disabled longer scores in the inspection ranking.
 */
export function analyticsRouter(pool: Pool, pdf: PdfRenderer | null, opts: { disabledPointDays: number }): Router {
  const r = Router();

  // Rates with numerator and denominator per group (unit, region or H3 cell).
  r.get('/rates', async (req, res) => {
    const p = principalOf(res);
    const q = ratesSchema.parse(req.query);
    const w = windowSchema.parse(req.query);
    requireRegionFilter(p.scope, q.region);
    if (q.unit !== undefined) await requireUnitInScope(pool, p.scope, q.unit);
    const { rows } = await pool.query<{ key: string; name: string | null; units: number; metric: Metric; numerator: number; denominator: number; value: number | null }>(
      ratesQuery({ by: q.by, res: q.res as 6 | 7 | 8 | 9, from: w.from, to: w.to, metrics: q.metric, scope: p.scope, region: q.region ?? null, unit: q.unit ?? null }),
    );
    if (await sendTable(res, q.format, `rates-${q.by}${q.by === 'h3' ? q.res : ''}-${shanghaiDate(w.from)}-${shanghaiDate(w.to)}`, rows as unknown as Row[])) return;
    const groups = new Map<string, { key: string; name: string | null; units: number; metrics: Record<string, { value: number | null; numerator: number; denominator: number }> }>();
    for (const row of rows) {
      let g = groups.get(row.key);
      if (!g) groups.set(row.key, (g = { key: row.key, name: row.name, units: row.units, metrics: {} }));
      g.metrics[row.metric] = { value: row.value, numerator: row.numerator, denominator: row.denominator };
    }
    res.json({ by: q.by, res: q.by === 'h3' ? q.res : null, from: w.from.toISOString(), to: w.to.toISOString(), metrics: q.metric, rows: [...groups.values()] });
  });

  r.get('/trend', async (req, res) => {
    const p = principalOf(res);
    const q = trendSchema.parse(req.query);
    const w = windowSchema.parse(req.query);
    requireRegionFilter(p.scope, q.region);
    const { rows } = await pool.query<{ bucket: Date; metric: Metric; numerator: number; denominator: number; value: number | null }>(
      trendQuery({ interval: q.interval, from: w.from, to: w.to, metrics: q.metric, scope: p.scope, region: q.region ?? null }),
    );
    if (await sendTable(res, q.format, `trend-${q.interval}-${shanghaiDate(w.from)}-${shanghaiDate(w.to)}`, rows as unknown as Row[])) return;
    res.json({ interval: q.interval, from: w.from.toISOString(), to: w.to.toISOString(), rows: rows.map((x) => ({ ...x, bucket: x.bucket.toISOString() })) });
  });

  // Units ranked by the documented inspection score, within the caller's jurisdiction.
  r.get('/priorities', async (req, res) => {
    const p = principalOf(res);
    const q = prioritiesSchema.parse(req.query);
    const w = windowSchema.parse(req.query);
    requireRegionFilter(p.scope, q.region);
    const { rows } = await pool.query(prioritiesQuery({ from: w.from, to: w.to, scope: p.scope, region: q.region ?? null, limit: q.limit, disabledDays: opts.disabledPointDays }));
    if (await sendTable(res, q.format, `priorities-${shanghaiDate(w.from)}-${shanghaiDate(w.to)}`, rows as Row[])) return;
    res.json({ from: w.from.toISOString(), to: w.to.toISOString(), rows });
  });

  // Connection rate by district against its targets, and the onboarding funnel.
  r.get('/connection', async (req, res) => {
    const p = principalOf(res);
    const q = z.object({ format }).parse(req.query);
    const { rows } = await pool.query(connectionQuery({ scope: p.scope }));
    const pct = (a: number, b: number) => (b > 0 ? Math.round((10000 * a) / b) / 100 : null);
    const out = rows.map((c) => ({
      ...c,
      control_room_rate_pct: pct(c.control_room_open, c.control_room_units),
      high_risk_rate_pct: pct(c.high_risk_open, c.high_risk_units),
      full_coverage_pct: pct(c.open_units, c.units),
    }));
    if (await sendTable(res, q.format, 'connection', out as Row[])) return;
    res.json({
      rows: out.map((c) => ({
        region_adcode: c.region_adcode,
        name: c.name,
        name_en: c.name_en,
        units: c.units,
        open_units: c.open_units,
        control_room: { numerator: c.control_room_open, denominator: c.control_room_units, pct: c.control_room_rate_pct, target_pct: c.target_control_room_pct, target_date: c.target_control_room_date },
        high_risk: { numerator: c.high_risk_open, denominator: c.high_risk_units, pct: c.high_risk_rate_pct, target_pct: c.target_high_risk_pct, target_date: c.target_high_risk_date },
        full: { numerator: c.open_units, denominator: c.units, pct: c.full_coverage_pct, target_pct: 100, target_date: c.target_full_date },
        funnel: {
          registered: c.s_registered,
          collecting: c.s_collecting,
          verified: c.s_verified,
          reviewed: c.s_reviewed,
          open: c.s_open,
          suspended: c.s_suspended,
          closed: c.s_closed,
        },
      })),
    });
  });

  // Edit a region's connection targets (admin, analyst), audited in the same transaction.
  r.put('/targets/:adcode', async (req, res) => {
    const p = requireRole(res, 'admin', 'analyst');
    const adcode = z.coerce.number().int().min(100000).max(999999).parse(req.params.adcode);
    if (!scopeAllows(p.scope, { regionAdcode: adcode })) throw forbidden(`region ${adcode} is outside your jurisdiction`);
    const patch = targetsSchema.parse(req.body);
    const after = await withTransaction(pool, async (c) => {
      const before = (await c.query(regionTargetsQuery(adcode))).rows[0];
      if (!before) throw notFound(`no region ${adcode}: check the adcode (GET /api/stats/connection lists regions)`);
      await c.query(updateTargetsQuery(adcode, patch));
      const after = (await c.query(regionTargetsQuery(adcode))).rows[0];
      await recordAudit(c, { actor: p, ip: req.ip ?? null, action: 'region.targets.update', entity: 'region', entityId: adcode, before, after });
      return after;
    });
    res.json(after);
  });

  // Periodic report per region as HTML or PDF.
  r.get('/report', async (req, res) => {
    principalOf(res); // 401 before anything about the query
    const q = reportSchema.parse(req.query);
    const p = q.format === 'pdf' ? requireRole(res, ...REPORT_PDF_ROLES) : principalOf(res);
    requireRegionFilter(p.scope, q.region); // one above the caller's districts is allowed: the queries filter to scope
    const date = q.date ?? shanghaiDate();
    const { html, title } = await buildRegionReport(pool, { region: q.region, period: q.period, date, scope: p.scope, disabledDays: opts.disabledPointDays });
    if (q.format === 'html') {
      res.type('html').send(html);
      return;
    }
    if (!pdf) throw new DomainError('unavailable', 'pdf_unavailable', 'PDF printing is not set up on this server: use format=html');
    let bytes: Buffer;
    try {
      bytes = await pdf.render(html);
    } catch (err) {
      if (err instanceof PdfBusyError) {
        res.set('Retry-After', String(err.retryAfterSeconds));
        throw new DomainError('unavailable', 'pdf_busy', err.message);
      }
      throw new DomainError('unavailable', 'pdf_failed', `PDF rendering failed (${(err as Error).message.split('\n')[0]}); set CHROMIUM_PATH to a Chromium binary or use format=html`);
    }
    res.set('Content-Type', 'application/pdf');
    res.set('Content-Disposition', `attachment; filename="report-${q.region}-${q.period}-${date}.pdf"; filename*=UTF-8''${encodeURIComponent(title)}.pdf`);
    res.send(bytes);
  });

  return r;
}
