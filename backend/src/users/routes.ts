// /api/users: user and jurisdiction administration (admin only). Every change is audited.
import { Router } from 'express';
import type pg from 'pg';
import { roleSchema, userCreateSchema, userUpdateSchema } from '@firelink/common';
import { z } from 'zod';
import { auditSource } from '../audit/audit.ts';
import { generatePassword } from '../auth/passwords.ts';
import { requireRole } from '../auth/principal.ts';
import { notFound } from '../kernel/errors.ts';
import * as q from './queries.ts';
import { createUser, getUser, toUserDto, updateUser } from './service.ts';

const listQuery = z
  .object({
    role: roleSchema.optional(),
    q: z.string().max(64).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(200),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  })
  .strict();
const idParam = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });

export function usersRouter(pool: pg.Pool): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    requireRole(res, 'admin');
    const f = listQuery.parse(req.query);
    const [rows, total] = await Promise.all([pool.query(q.listUsers(f)), pool.query(q.countUsers(f))]);
    res.json({ users: rows.rows.map(toUserDto), total: total.rows[0].n });
  });

  router.get('/:id', async (req, res) => {
    requireRole(res, 'admin');
    const { id } = idParam.parse(req.params);
    const u = await getUser(pool, id);
    if (!u) throw notFound(`user ${id} does not exist: list users with GET /api/users`);
    res.json(u);
  });

  router.post('/', async (req, res) => {
    const p = requireRole(res, 'admin');
    const body = userCreateSchema.parse(req.body ?? {});
    const generated = body.password ? null : generatePassword();
    const user = await createUser(pool, { ...body, password: body.password ?? generated! }, auditSource(req, p));
    // A generated password is shown exactly once, here.
    res.status(201).json(generated ? { ...user, password: generated } : user);
  });

  router.patch('/:id', async (req, res) => {
    const p = requireRole(res, 'admin');
    const { id } = idParam.parse(req.params);
    const body = userUpdateSchema.parse(req.body ?? {});
    res.json(await updateUser(pool, id, body, auditSource(req, p)));
  });

  /** Replaces the jurisdiction: regions (adcodes) for region roles, units for unit users and maintainers. */
  router.put('/:id/jurisdiction', async (req, res) => {
    const p = requireRole(res, 'admin');
    const { id } = idParam.parse(req.params);
    const body = z
      .object({ regions: z.array(z.number().int().min(100000).max(999999)).max(500).default([]), units: z.array(z.number().int().positive()).max(10000).default([]) })
      .strict()
      .parse(req.body ?? {});
    res.json(await updateUser(pool, id, body, auditSource(req, p)));
  });

  return router;
}
