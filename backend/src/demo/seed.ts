// Demo data for `npm start` in demo mode. Idempotent: seeds only an empty database.
import type { Pool } from '../db/pool.ts';

export async function seedDemo(pool: Pool, log: (m: string) => void): Promise<void> {
  const r = await pool.query('SELECT count(*)::int AS n FROM regions');
  if (r.rows[0].n > 0) return;
  log('demo data: no generator is wired yet; the database stays empty');
}
