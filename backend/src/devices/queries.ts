// SQL of the device room's APIs: registration of a unit's devices and who may speak for
// them (/api/units/:id/devices), unregistered addresses and duty checks (/api/devices).
import { scopePredicate, type Scope } from '../auth/scope.ts';

import type { Query } from '@firelink/common';

export type { Query };

/** Addresses that sent frames but are not registered (still), most recent first. */
export function unregisteredQuery(limit: number): Query {
  return {
    text: `SELECT u.device_address, u.first_seen_at, u.last_seen_at, u.frames, u.last_peer
             FROM ingest_unregistered_devices u
            WHERE NOT EXISTS (SELECT 1 FROM devices d WHERE d.protocol = 'gb26875' AND d.address = u.device_address)
            ORDER BY u.last_seen_at DESC LIMIT $1`,
    values: [limit],
  };
}

/** Duty checks (查岗) sent to units in scope, newest first. */
export function dutyChecksQuery(scope: Scope, f: { unitId?: number; from?: Date; to?: Date; outcome?: 'answered' | 'missed' | 'pending'; limit: number }): Query {
  const values: unknown[] = [f.limit];
  const where = [scopePredicate(scope, { region: 'u.region_adcode', unit: 'u.id' }, values)];
  if (f.unitId != null) {
    values.push(f.unitId);
    where.push(`dc.unit_id = $${values.length}`);
  }
  if (f.from) {
    values.push(f.from);
    where.push(`dc.sent_at >= $${values.length}`);
  }
  if (f.to) {
    values.push(f.to);
    where.push(`dc.sent_at < $${values.length}`);
  }
  if (f.outcome === 'answered') where.push('dc.answered_at IS NOT NULL');
  if (f.outcome === 'missed') where.push('dc.missed_at IS NOT NULL');
  if (f.outcome === 'pending') where.push('dc.answered_at IS NULL AND dc.missed_at IS NULL');
  return {
    text: `SELECT dc.id, dc.unit_id, u.name AS unit_name, u.region_adcode, d.address AS device_address,
                  dc.sent_at, dc.timeout_s, dc.answered_at, dc.response_s, dc.missed_at
             FROM duty_checks dc JOIN units u ON u.id = dc.unit_id JOIN devices d ON d.id = dc.device_id
            WHERE ${where.join(' AND ')}
            ORDER BY dc.sent_at DESC, dc.id DESC LIMIT $1`,
    values,
  };
}

/**
 * Binds a device address to a unit (a new row, or an unbound one, or the unit's own again).
 * Who may speak for the device (allowed_peers) is NOT touched: only the roles that may set it
 * change it, through setDevicePeers, so unbinding and registering again cannot drop it.
 * Returns nothing when the address is bound to another unit.
 */
export function registerDevice(unitId: number, address: number, protocol: string, model: string | null): Query {
  return {
    text: `WITH prev AS (SELECT unit_id FROM devices WHERE protocol = $3 AND address = $2)
           INSERT INTO devices (unit_id, address, protocol, model) VALUES ($1, $2, $3, $4)
           ON CONFLICT (protocol, address) DO UPDATE SET unit_id = EXCLUDED.unit_id, model = COALESCE(EXCLUDED.model, devices.model)
             WHERE devices.unit_id IS NULL OR devices.unit_id = EXCLUDED.unit_id
           RETURNING id, address, protocol, model, allowed_peers::text[] AS allowed_peers,
                     (SELECT count(*) FROM prev) > 0 AS existed, (SELECT unit_id FROM prev) AS before_unit_id`,
    values: [unitId, address, protocol, model],
  };
}

/** The unit a device address is bound to, when the caller's scope can see that unit (else no row). */
export function deviceHolderInScope(scope: Scope, address: number, protocol: string): Query {
  const values: unknown[] = [address, protocol];
  const pred = scopePredicate(scope, { region: 'u.region_adcode', unit: 'u.id' }, values);
  return {
    text: `SELECT u.id, u.name FROM devices d JOIN units u ON u.id = d.unit_id
            WHERE d.address = $1 AND d.protocol = $2 AND ${pred}`,
    values,
  };
}

/** Sets which peers may speak for a unit's device (NULL = any). */
export function setDevicePeers(unitId: number, deviceId: number, peers: string[] | null): Query {
  return {
    text: `UPDATE devices SET allowed_peers = $3::cidr[] WHERE id = $2 AND unit_id = $1
           RETURNING id, address, allowed_peers::text[] AS allowed_peers, (SELECT allowed_peers::text[] FROM devices WHERE id = $2) AS before`,
    values: [unitId, deviceId, peers],
  };
}

/** Unbinds a device from its unit; its allowed_peers stay (see registerDevice). */
export function unbindDevice(unitId: number, deviceId: number): Query {
  return {
    text: `UPDATE devices SET unit_id = NULL WHERE id = $2 AND unit_id = $1 RETURNING id, address, allowed_peers::text[] AS allowed_peers`,
    values: [unitId, deviceId],
  };
}
