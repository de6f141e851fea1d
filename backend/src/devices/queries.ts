// SQL of the device-traffic API (/api/devices): unregistered addresses and duty checks.
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
