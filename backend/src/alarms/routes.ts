// REST: GET /api/alarms, GET /api/alarms/:id, POST /api/alarms/:id/{ack,verify,dispatch,close}.
import { ackBodySchema, alarmListQuerySchema, closeBodySchema, dispatchBodySchema, verifyBodySchema } from '@firelink/common';
import { Router } from 'express';
import { z } from 'zod';
import { principalOf, requireRole } from '../auth/principal.ts';
import type { AlarmService } from './service.ts';

const idParam = z.coerce.number().int().positive();

/** Roles that work the alarm queue. */
const OPERATORS = ['admin', 'operator', 'dispatcher'] as const;

export function alarmsRouter(alarms: AlarmService): Router {
  const r = Router();

  r.get('/', async (req, res) => {
    const principal = principalOf(res);
    const query = alarmListQuerySchema.parse(req.query);
    res.json(await alarms.list(principal, query));
  });

  r.get('/:id', async (req, res) => {
    const principal = principalOf(res);
    res.json(await alarms.detail(principal, idParam.parse(req.params.id)));
  });

  r.post('/:id/ack', async (req, res) => {
    const p = requireRole(res, ...OPERATORS);
    const body = ackBodySchema.parse(req.body ?? {});
    res.json({ alarm: await alarms.transition('ack', idParam.parse(req.params.id), body, p, req.ip ?? null) });
  });

  r.post('/:id/verify', async (req, res) => {
    const p = requireRole(res, ...OPERATORS);
    const body = verifyBodySchema.parse(req.body ?? {});
    res.json({ alarm: await alarms.transition('verify', idParam.parse(req.params.id), body, p, req.ip ?? null) });
  });

  r.post('/:id/dispatch', async (req, res) => {
    const p = requireRole(res, ...OPERATORS);
    const body = dispatchBodySchema.parse(req.body ?? {});
    const r = await alarms.transitionWithDispatches('dispatch', idParam.parse(req.params.id), body, p, req.ip ?? null);
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
  });

  r.post('/:id/close', async (req, res) => {
    const p = requireRole(res, ...OPERATORS);
    const body = closeBodySchema.parse(req.body ?? {});
    res.json({ alarm: await alarms.transition('close', idParam.parse(req.params.id), body, p, req.ip ?? null) });
  });

  return r;
}
