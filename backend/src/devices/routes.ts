// /api/devices: what the GB/T 26875 edge sees beyond the event stream.
//   GET /api/devices/unregistered?limit=      admin: addresses that sent frames but are not registered
//   GET /api/devices/duty-checks?unitId=&from=&to=&outcome=&limit=   readers, scoped: 查岗 and their answers
//   GET /api/devices/listener                 admin: the TCP listener's counters and confirm latency
import { Router } from 'express';
import type pg from 'pg';
import { z } from 'zod';
import { principalOf, requireRole } from '../auth/principal.ts';
import { requireUnitInScope } from '../auth/scope.ts';
import { DomainError } from '../kernel/errors.ts';
import { dutyChecksQuery, unregisteredQuery } from './queries.ts';

export interface ListenerStats {
  connections: number;
  devices: number;
  framesReceived: number;
  framesConfirmed: number;
  framesDenied: number;
  framesRefused: number;
  addressClaimsRefused: number;
  holdersReleased: number;
  connectionsRefused: number;
  connectionsTimedOut: number;
  rawFramesNotKept: number;
  storeErrors: number;
  eventsStored: number;
  confirmLatencyMs: { p50: number; p99: number } | null;
}

const hex48 = (n: number) => n.toString(16).padStart(12, '0');
const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function devicesRouter(pool: pg.Pool, listener: () => ListenerStats | null): Router {
  const r = Router();

  r.get('/unregistered', async (req, res) => {
    requireRole(res, 'admin');
    const q = z.object({ limit: z.coerce.number().int().min(1).max(5000).default(200) }).parse(req.query);
    const rows = (await pool.query(unregisteredQuery(q.limit))).rows;
    res.json({
      devices: rows.map((x) => ({
        address: Number(x.device_address),
        addressHex: hex48(Number(x.device_address)),
        firstSeenAt: iso(x.first_seen_at),
        lastSeenAt: iso(x.last_seen_at),
        frames: Number(x.frames),
        lastPeer: x.last_peer,
      })),
    });
  });

  r.get('/duty-checks', async (req, res) => {
    const p = principalOf(res);
    const q = z
      .object({
        unitId: z.coerce.number().int().positive().optional(),
        from: z.coerce.date().optional(),
        to: z.coerce.date().optional(),
        outcome: z.enum(['answered', 'missed', 'pending']).optional(),
        limit: z.coerce.number().int().min(1).max(5000).default(200),
      })
      .parse(req.query);
    if (q.unitId !== undefined) await requireUnitInScope(pool, p.scope, q.unitId); // a foreign unit is 404, not an empty list
    const rows = (await pool.query(dutyChecksQuery(p.scope, q))).rows;
    res.json({
      dutyChecks: rows.map((x) => ({
        id: Number(x.id),
        unitId: Number(x.unit_id),
        unitName: x.unit_name,
        deviceAddress: Number(x.device_address),
        sentAt: iso(x.sent_at),
        timeoutS: x.timeout_s,
        answeredAt: iso(x.answered_at),
        responseS: x.response_s,
        missedAt: iso(x.missed_at),
        outcome: x.answered_at ? 'answered' : x.missed_at ? 'missed' : 'pending',
      })),
    });
  });

  r.get('/listener', (_req, res) => {
    requireRole(res, 'admin');
    const s = listener();
    if (!s) {
      throw new DomainError('unavailable', 'unavailable', 'the GB/T 26875 listener is not running in this process');
    }
    res.json(s);
  });

  return r;
}
