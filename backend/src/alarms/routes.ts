// REST: GET /api/alarms, GET /api/alarms/false-alarm-causes, GET /api/alarms/storms,
// GET /api/alarms/storms/:id, GET /api/alarms/:id,
// POST /api/alarms/:id/steps/:step (any step of the alarm kind's procedure) and the
// historic POST /api/alarms/:id/{ack,verify,dispatch,close} (the steps ack, verdict,
// dispatch, close).
import {
  ackBodySchema,
  alarmListQuerySchema,
  alarmStepBodySchema,
  closeBodySchema,
  dispatchBodySchema,
  procedureStepSchema,
  verifyBodySchema,
  type ProcedureStepId,
} from '@firelink/common';
import type { Request, Response } from 'express';
import { Router } from 'express';
import { z } from 'zod';
import { principalOf, requireRole } from '../auth/principal.ts';
import type { AlarmService } from './service.ts';
import { idParam } from '../http/params.ts';

const windowQuery = z.object({ from: z.string().datetime({ offset: true }).optional(), to: z.string().datetime({ offset: true }).optional() });

/** Storms active now, or with a member opened within the last `hours` (default 6, at most a week). */
const stormListQuery = z.object({ hours: z.coerce.number().min(0).max(168).default(6) }).strict();

/** Roles that work the alarm queue. */
const OPERATORS = ['admin', 'operator', 'dispatcher'] as const;

export function alarmsRouter(alarms: AlarmService): Router {
  const r = Router();

  r.get('/', async (req, res) => {
    const principal = principalOf(res);
    const query = alarmListQuerySchema.parse(req.query);
    res.json(await alarms.list(principal, query));
  });

  r.get('/false-alarm-causes', async (req, res) => {
    const principal = principalOf(res);
    const w = windowQuery.parse(req.query);
    res.json(await alarms.falseAlarmCauses(principal, w.from, w.to));
  });

  // Alarm storms (groups of one cause per unit or district) and their members.
  r.get('/storms', async (req, res) => {
    const principal = principalOf(res);
    const { hours } = stormListQuery.parse(req.query);
    res.json({ groups: await alarms.storms(principal, hours) });
  });

  r.get('/storms/:id', async (req, res) => {
    const principal = principalOf(res);
    res.json(await alarms.stormDetail(principal, idParam.parse(req.params.id)));
  });

  r.get('/:id', async (req, res) => {
    const principal = principalOf(res);
    res.json(await alarms.detail(principal, idParam.parse(req.params.id)));
  });

  /** Takes a step; `legacy` validates the historic body first (same 400s as before). */
  const takeStep = async (req: Request, res: Response, step: ProcedureStepId, legacy?: z.ZodTypeAny) => {
    const p = requireRole(res, ...OPERATORS);
    legacy?.parse(req.body ?? {});
    const body = alarmStepBodySchema.parse(req.body ?? {});
    const r = await alarms.step(step, idParam.parse(req.params.id), body, p, req.ip ?? null);
    res.json(
      r.dispatches
        ? {
            alarm: r.alarm,
            dispatches: r.dispatches.map((d) => ({
              id: d.id,
              stationId: d.stationId,
              etaSeconds: d.etaSeconds,
              distanceMeters: d.distanceMeters,
              method: d.method,
              at: d.at,
            })),
          }
        : { alarm: r.alarm },
    );
  };

  r.post('/:id/steps/:step', (req, res) => {
    requireRole(res, ...OPERATORS); // 401/403 before the step name is even read
    return takeStep(req, res, procedureStepSchema.parse(req.params.step));
  });
  r.post('/:id/ack', (req, res) => takeStep(req, res, 'ack', ackBodySchema));
  r.post('/:id/verify', (req, res) => takeStep(req, res, 'verdict', verifyBodySchema));
  r.post('/:id/dispatch', (req, res) => takeStep(req, res, 'dispatch', dispatchBodySchema));
  r.post('/:id/close', (req, res) => takeStep(req, res, 'close', closeBodySchema));

  return r;
}
