// Onboarding workflow over HTTP: each handler checks the role, parses the request with zod and
// calls the service (service.ts). Per-unit actions are mounted under /api/units (beside the
// units API and the device registration in devices/registration-routes.ts); the queue,
// funnel and rules under /api/onboarding.
//
//   POST /api/units/:id/transition            {to, version, note}  lifecycle step (roles: see common/src/onboarding.ts)
//   GET  /api/units/:id/onboarding            state, next states for the caller, completeness, history
//   GET|POST /api/units/:id/acceptance-checks new-construction acceptance records
//   PUT  /api/units/:id/floors/:floor/plan    floor plan image (image/png|jpeg|svg+xml|webp body)
//   GET  /api/units/:id/floors/:floor/plan    the image
//   PUT  /api/units/:id/floors/:floor/plan/transform {transform: [a,b,c,d,e,f]}
//   PUT  /api/units/:id/points/:pointId/position {floor?, planPx | localXY | lonLatWgs84}
//   POST /api/units/:id/points/import         {format: csv|xlsx|type7, text | base64 | adus, deviceAddress?}
//   GET  /api/onboarding/queue | /funnel | /rules
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { acceptanceCheckSchema, onboardingStateSchema, transitionRequestSchema } from '@firelink/common';
import { callerOf, principalOf, requireRole } from '../auth/principal.ts';
import { idParam } from '../http/params.ts';
import { badRequest } from '../kernel/errors.ts';
import type { OnboardingService } from './service.ts';

/** Who may upload a floor plan. */
const PLAN_UPLOADERS = ['admin', 'supervisor', 'maintainer'] as const;
const floorParam = z.coerce.number().int().min(-20).max(200).refine((f) => f !== 0, 'floors are numbered 1, 2, … above ground and -1, -2, … below; there is no floor 0');
const affineSchema = z.array(z.number().finite()).length(6);
const planSizeQuery = z.object({ widthPx: z.coerce.number().int().positive().optional(), heightPx: z.coerce.number().int().positive().optional() });
const positionSchema = z
  .object({
    floor: z.number().int().min(-20).max(200).optional(),
    planPx: z.tuple([z.number(), z.number()]).optional(),
    localXY: z.tuple([z.number(), z.number()]).optional(),
    lonLatWgs84: z.tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)]).optional(),
  })
  .refine((b) => [b.planPx, b.localXY, b.lonLatWgs84].filter(Boolean).length === 1, 'give exactly one of planPx, localXY, lonLatWgs84');
const importSchema = z.discriminatedUnion('format', [
  z.object({ format: z.literal('csv'), text: z.string().min(1).max(5_000_000), deviceAddress: z.number().int().nonnegative().optional() }),
  z.object({ format: z.literal('xlsx'), base64: z.string().min(1).max(7_000_000), deviceAddress: z.number().int().nonnegative().optional() }),
  z.object({ format: z.literal('type7'), adus: z.array(z.string().max(4096)).min(1).max(10_000), deviceAddress: z.number().int().nonnegative().optional() }),
]);
const queueQuerySchema = z.object({
  state: z
    .string()
    .optional()
    .transform((s) => (s ? s.split(',').filter(Boolean) : ['registered', 'collecting', 'verified', 'reviewed']))
    .pipe(z.array(onboardingStateSchema)),
  drawingsOverdue: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});
const PLAN_TYPES = ['image/png', 'image/jpeg', 'image/svg+xml', 'image/webp'];

export function unitOnboardingRouter(onboarding: OnboardingService): Router {
  const r = Router();

  r.get('/:id/onboarding', async (req, res) => {
    const p = principalOf(res);
    res.json(await onboarding.status(p, idParam.parse(req.params.id)));
  });

  r.post('/:id/transition', async (req, res) => {
    const p = principalOf(res);
    const id = idParam.parse(req.params.id);
    const body = transitionRequestSchema.parse(req.body);
    res.json(await onboarding.transition(callerOf(req, p), id, body));
  });

  r.get('/:id/acceptance-checks', async (req, res) => {
    const p = principalOf(res);
    res.json(await onboarding.acceptanceChecks(p, idParam.parse(req.params.id)));
  });

  r.post('/:id/acceptance-checks', async (req, res) => {
    const p = requireRole(res, 'admin', 'supervisor', 'maintainer');
    const id = idParam.parse(req.params.id);
    const body = acceptanceCheckSchema.parse(req.body);
    res.status(201).json(await onboarding.recordAcceptance(callerOf(req, p), id, body));
  });

  // Who may upload is decided before the body is read: a caller without a session (or with
  // another role) is refused without the server taking up to 10 MB first.
  const planGate = (_req: Request, res: Response, next: NextFunction) => {
    try {
      requireRole(res, ...PLAN_UPLOADERS);
    } catch (err) {
      res.set('Connection', 'close');
      throw err;
    }
    next();
  };
  r.put('/:id/floors/:floor/plan', planGate, express.raw({ type: PLAN_TYPES, limit: '10mb' }), async (req, res) => {
    const p = requireRole(res, ...PLAN_UPLOADERS);
    const id = idParam.parse(req.params.id);
    const floor = floorParam.parse(req.params.floor);
    const mime = String(req.headers['content-type'] ?? '').split(';')[0]!.trim();
    if (!Buffer.isBuffer(req.body) || req.body.length === 0) {
      throw badRequest('send the plan image as the request body with Content-Type image/png, image/jpeg, image/svg+xml or image/webp');
    }
    const sizeHint = planSizeQuery.parse(req.query);
    res.json(await onboarding.uploadPlan(callerOf(req, p), id, floor, req.body, mime, sizeHint));
  });

  r.get('/:id/floors/:floor/plan', async (req, res) => {
    const p = principalOf(res);
    const id = idParam.parse(req.params.id);
    const floor = floorParam.parse(req.params.floor);
    const plan = await onboarding.planImage(p, id, floor);
    res.set('Content-Type', plan.mime ?? 'application/octet-stream');
    // SVG could carry script: never let the browser run it as a document.
    res.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
    res.set('Cache-Control', 'private, max-age=60');
    res.send(plan.image);
  });

  r.put('/:id/floors/:floor/plan/transform', async (req, res) => {
    const p = requireRole(res, 'admin', 'supervisor', 'maintainer');
    const id = idParam.parse(req.params.id);
    const floor = floorParam.parse(req.params.floor);
    const { transform } = z.object({ transform: affineSchema }).parse(req.body);
    res.json(await onboarding.setPlanTransform(callerOf(req, p), id, floor, transform));
  });

  r.put('/:id/points/:pointId/position', async (req, res) => {
    const p = requireRole(res, 'admin', 'supervisor', 'maintainer');
    const id = idParam.parse(req.params.id);
    const pointId = idParam.parse(req.params.pointId);
    const body = positionSchema.parse(req.body);
    res.json(await onboarding.placePoint(callerOf(req, p), id, pointId, body));
  });

  r.post('/:id/points/import', async (req, res) => {
    const p = requireRole(res, 'admin', 'supervisor', 'maintainer');
    const id = idParam.parse(req.params.id);
    const body = importSchema.parse(req.body);
    res.json(await onboarding.importPoints(callerOf(req, p), id, body));
  });

  return r;
}

export function onboardingRouter(onboarding: OnboardingService): Router {
  const r = Router();

  r.get('/rules', (_req, res) => {
    principalOf(res);
    res.json(onboarding.rules());
  });

  r.get('/queue', async (req, res) => {
    const p = requireRole(res, 'admin', 'supervisor', 'operator', 'maintainer', 'station', 'analyst');
    res.json(await onboarding.queue(p, queueQuerySchema.parse(req.query)));
  });

  r.get('/funnel', async (_req, res) => {
    res.json(await onboarding.funnel(principalOf(res)));
  });

  return r;
}
