// Demo mode: the demo maintainer (created by ACCESS) gets an agency of kind 'both', so one
// login can walk a unit through collecting (maintenance agency) and on-site verification
// (operations company). Idempotent; real deployments set agencies per user.
import type pg from 'pg';

export const DEMO_AGENCY_NAME = '演示维保运维公司';

export async function ensureDemoAgency(pool: pg.Pool): Promise<number> {
  const a = await pool.query(
    `INSERT INTO maintenance_agencies (name, phone, kind) VALUES ($1, '025-00000000', 'both')
     ON CONFLICT (name) DO UPDATE SET kind = 'both' RETURNING id`,
    [DEMO_AGENCY_NAME],
  );
  const id = Number(a.rows[0].id);
  const u = await pool.query(
    `UPDATE users SET maintenance_agency_id = $1 WHERE demo AND role = 'maintainer' AND maintenance_agency_id IS NULL`,
    [id],
  );
  return u.rowCount ?? 0;
}
