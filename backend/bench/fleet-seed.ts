// A synthetic fleet for the benchmarks that drive devices over TCP (live, soak): open units in
// 鼓楼区, one registered device each, addresses from `addressBase` upwards.
import type pg from 'pg';

export async function seedFleet(pool: pg.Pool, devices: number, o: { prefix: string; addressBase: number }): Promise<number[]> {
  await pool.query(`INSERT INTO regions (adcode, name, level, parent_adcode) VALUES
      (320000, '江苏省', 'province', NULL), (320100, '南京市', 'city', 320000), (320106, '鼓楼区', 'district', 320100)
    ON CONFLICT DO NOTHING`);
  await pool.query(
    `WITH u AS (
       INSERT INTO units (name, region_adcode, point, onboarding_state, synthetic)
       SELECT $2::text || g, 320106, ST_SetSRID(ST_MakePoint(118.70 + (g % 100) * 0.001, 32.00 + (g / 100) * 0.001), 4326), 'open', true
         FROM generate_series(1, $1) g RETURNING id, name)
     INSERT INTO devices (unit_id, address, online, last_seen_at) SELECT id, $3::bigint + substr(name, length($2::text) + 1)::int, true, now() FROM u`,
    [devices, o.prefix, o.addressBase],
  );
  const r = await pool.query(`SELECT address FROM devices WHERE address >= $1 ORDER BY address`, [o.addressBase]);
  return r.rows.map((x) => Number(x.address));
}
