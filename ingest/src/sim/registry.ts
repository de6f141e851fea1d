// Registered devices and their points, so a demo fleet speaks for the demo data's UITDs.
import type pg from 'pg';
import type { PointRef } from './simulated-uitd.ts';

export async function loadFleetFromDatabase(pool: pg.Pool, limit: number): Promise<{ addresses: number[]; points: Map<number, PointRef[]> }> {
  const devices = await pool.query<{ address: string | number }>({
    text: `SELECT address FROM devices WHERE protocol = 'gb26875' ORDER BY id LIMIT $1`,
    values: [limit],
  });
  const addresses = devices.rows.map((d) => Number(d.address));
  const rows = await pool.query<{ address: string | number; system_type: number; system_address: number; component_type: number; component_address: string | number; label: string | null }>({
    text: `SELECT d.address, s.system_type, s.system_address, p.component_type, p.component_address, p.label
             FROM devices d JOIN facility_systems s ON s.device_id = d.id JOIN points p ON p.system_id = s.id
            WHERE d.protocol = 'gb26875' AND d.address = ANY($1::bigint[])`,
    values: [addresses],
  });
  const points = new Map<number, PointRef[]>();
  for (const r of rows.rows) {
    const a = Number(r.address);
    const list = points.get(a) ?? [];
    list.push({ systemType: r.system_type, systemAddress: r.system_address, componentType: r.component_type, componentAddress: Number(r.component_address) });
    points.set(a, list);
  }
  return { addresses, points };
}
