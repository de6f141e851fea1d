// Demo data for `npm start` in demo mode. Idempotent: seeds only an empty database.
// The synthetic city (regions, roads, buildings, units with UITDs and points, stations)
// comes from @firelink/geodata; every generated row has synthetic = true.
import { seedDemoIfEmpty } from '@firelink/geodata';
import type { Pool } from '../db/pool.ts';

export async function seedDemo(pool: Pool, log: (m: string) => void): Promise<void> {
  const report = await seedDemoIfEmpty(pool, {}, log);
  if (!report) {
    log('demo data: already loaded (the synthetic demo city, 模拟数据); nothing to seed');
    return;
  }
  log(
    `demo data: ${report.units} units, ${report.buildings} buildings, ${report.points} points, ` +
      `${report.stations} stations, ${report.roads} road edges in ${report.seconds.toFixed(1)} s` +
      (report.untied ? ` (${report.untied} rows could not be tied to a place)` : ''),
  );
}
