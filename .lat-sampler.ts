import { resolveDatabase } from './backend/src/db/environment.ts';
import pg from 'pg';
const env = await resolveDatabase('postgres', () => {});
const c = new pg.Client({ connectionString: env.adminUrl });
await c.connect();
const counts = new Map<string, number>();
const end = Date.now() + Number(process.argv[2] ?? 30) * 1000;
while (Date.now() < end) {
  const r = await c.query(`SELECT coalesce(wait_event_type,'cpu')||':'||coalesce(wait_event,'-')||' '||left(regexp_replace(query,'\\s+',' ','g'),60) k FROM pg_stat_activity WHERE application_name='firelink' AND state='active'`);
  for (const x of r.rows) counts.set(x.k, (counts.get(x.k) ?? 0) + 1);
  await new Promise((r) => setTimeout(r, 20));
}
console.log([...counts].sort((a, b) => b[1] - a[1]).slice(0, 20).map(([k, v]) => `${String(v).padStart(5)} ${k}`).join('\n'));
await c.end();
