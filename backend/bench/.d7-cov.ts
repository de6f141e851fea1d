import { createPool } from '../src/db/pool.ts';
import { computeCoverage, coverageByRegion, uncoveredUnits } from '../src/dispatch/coverage.ts';
const pool = createPool(process.argv[2]!, 2);
if (process.argv[3] === 'compute') console.log(await computeCoverage(pool));
for (let i = 0; i < 2; i++) {
  let t = performance.now(); await coverageByRegion(pool, { kind: 'all' }); console.log('regions', performance.now() - t);
  t = performance.now(); const u = await uncoveredUnits(pool, { kind: 'all' }, 100000); console.log('uncovered', u.features.length, performance.now() - t);
}
await pool.end();
