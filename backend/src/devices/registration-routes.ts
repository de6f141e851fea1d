// A unit's devices, mounted under /api/units by the devices feature (feature.ts), beside the
// unit's onboarding steps:
//   POST   /api/units/:id/devices {address, protocol?, model?}          register a UITD (admin, supervisor, maintainer)
//   PATCH  /api/units/:id/devices/:deviceId {allowedPeers: CIDR[] | null}  who may speak for it (admin, supervisor)
//   DELETE /api/units/:id/devices/:deviceId                              unbind it (admin, supervisor, maintainer)
import { Router } from 'express';
import { z } from 'zod';
import { parseCidr } from '@firelink/ingest';
import { callerOf, requireRole } from '../auth/principal.ts';
import type { Pool } from '../db/pool.ts';
import { idParam } from '../http/params.ts';
import { DeviceRegistration } from './registration.ts';

const registrationSchema = z.object({
  address: z.number().int().min(0).max(2 ** 48 - 1),
  protocol: z.enum(['gb26875', 'mqtt', 'http']).default('gb26875'),
  model: z.string().trim().max(80).nullable().optional().default(null),
});

/** Allowed peers of a device: up to 32 IPv4/IPv6 hosts or networks (CIDR), or null = any. */
const allowedPeersSchema = z
  .array(
    z
      .string()
      .trim()
      .max(64)
      .superRefine((v, ctx) => {
        try {
          parseCidr(v);
        } catch (err) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, message: (err as Error).message });
        }
      }),
  )
  .min(1, 'list at least one address or network; null lets any peer speak for the device')
  .max(32)
  .nullable();

export function deviceRegistrationRouter(deps: { pool: Pool }): Router {
  const devices = new DeviceRegistration(deps.pool);
  const r = Router();

  r.post('/:id/devices', async (req, res) => {
    const p = requireRole(res, 'admin', 'supervisor', 'maintainer');
    const id = idParam.parse(req.params.id);
    const body = registrationSchema.parse(req.body);
    res.status(201).json(await devices.register(callerOf(req, p), id, body));
  });

  r.patch('/:id/devices/:deviceId', async (req, res) => {
    const p = requireRole(res, 'admin', 'supervisor');
    const id = idParam.parse(req.params.id);
    const deviceId = idParam.parse(req.params.deviceId);
    const body = z.object({ allowedPeers: allowedPeersSchema }).strict().parse(req.body);
    res.json(await devices.setAllowedPeers(callerOf(req, p), id, deviceId, body.allowedPeers));
  });

  r.delete('/:id/devices/:deviceId', async (req, res) => {
    const p = requireRole(res, 'admin', 'supervisor', 'maintainer');
    const id = idParam.parse(req.params.id);
    const deviceId = idParam.parse(req.params.deviceId);
    await devices.unbind(callerOf(req, p), id, deviceId);
    res.json({ id: deviceId, unitId: null });
  });

  return r;
}
