// Demo users: one per role, only in demo mode (FIRELINK_DEMO=1), created on the first
// start with random passwords that are printed once to stderr and never stored in clear.
// Jurisdictions follow the demo city (Nanjing): 鼓楼区 320106, 玄武区 320102, 南京市 320100.
import type pg from 'pg';
import type { Role } from '@firelink/common';
import { generatePassword } from '../auth/passwords.ts';
import { createUser } from './service.ts';

interface DemoUser {
  username: string;
  displayName: string;
  role: Role;
  regions?: number[];
  /** Units of this district, bound to unit users and maintainers (the first n by id). */
  unitsOf?: { adcode: number; n: number };
}

export const DEMO_USERS: readonly DemoUser[] = [
  { username: 'admin', displayName: '系统管理员', role: 'admin' },
  { username: 'operator', displayName: '监测中心值班员', role: 'operator', regions: [320100] },
  { username: 'dispatcher', displayName: '接警调度员', role: 'dispatcher', regions: [320100] },
  { username: 'supervisor_gulou', displayName: '鼓楼区防火监督员', role: 'supervisor', regions: [320106] },
  { username: 'supervisor_xuanwu', displayName: '玄武区防火监督员', role: 'supervisor', regions: [320102] },
  { username: 'station_gulou', displayName: '鼓楼区辖区中队', role: 'station', regions: [320106] },
  { username: 'analyst', displayName: '数据分析员', role: 'analyst', regions: [320100] },
  { username: 'unit_user', displayName: '联网单位用户', role: 'unit_user', unitsOf: { adcode: 320106, n: 1 } },
  { username: 'maintainer', displayName: '维保单位', role: 'maintainer', unitsOf: { adcode: 320106, n: 5 } },
];

/**
 * Creates the demo users unless any exist. Returns the created usernames with their
 * passwords (also printed to `print` once); [] when they already existed.
 */
export async function ensureDemoUsers(
  pool: pg.Pool,
  print: (text: string) => void = (t) => process.stderr.write(t),
): Promise<Array<{ username: string; role: Role; password: string; jurisdiction: string }>> {
  const existing = await pool.query('SELECT 1 FROM users WHERE demo LIMIT 1');
  if (existing.rows.length) return [];
  const known = new Set(
    (await pool.query('SELECT adcode FROM regions WHERE adcode = ANY($1::int[])', [[320100, 320102, 320106]])).rows.map((r) => Number(r.adcode)),
  );
  const created: Array<{ username: string; role: Role; password: string; jurisdiction: string }> = [];
  for (const d of DEMO_USERS) {
    const regions = (d.regions ?? []).filter((a) => known.has(a));
    let units: number[] = [];
    if (d.unitsOf) {
      const r = await pool.query('SELECT id FROM units WHERE region_adcode = $1 ORDER BY id LIMIT $2', [d.unitsOf.adcode, d.unitsOf.n]);
      units = r.rows.map((x) => Number(x.id));
    }
    // A station user belongs to a station of its district when the demo has one.
    let stationId: number | null = null;
    if (d.role === 'station' && regions.length) {
      const s = await pool.query('SELECT id FROM stations WHERE region_adcode = ANY($1::int[]) ORDER BY id LIMIT 1', [regions]);
      stationId = s.rows[0] ? Number(s.rows[0].id) : null;
    }
    const password = generatePassword();
    await createUser(
      pool,
      { username: d.username, displayName: d.displayName, role: d.role, password, regions, units, stationId, demo: true },
      { actor: null, ip: null },
    );
    const jurisdiction = d.role === 'admin' ? 'all regions' : d.unitsOf ? `units ${units.join(',') || '(none yet)'}` : `regions ${regions.join(',') || '(none yet)'}`;
    created.push({ username: d.username, role: d.role, password, jurisdiction });
  }
  const lines = created.map((c) => `  ${c.username.padEnd(18)} ${c.password}   ${c.role.padEnd(10)} ${c.jurisdiction}`);
  print(
    `[firelink] demo users created (passwords are shown only now; they are stored hashed):\n${lines.join('\n')}\n` +
      `[firelink] change them in the admin view or with PATCH /api/users/:id; set FIRELINK_DEMO=0 for real use.\n`,
  );
  return created;
}
