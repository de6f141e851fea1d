import pg from 'pg';
const c = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' }); await c.connect();
await c.query('create temp table dst (payload jsonb)');
const mk = (n, big) => Array.from({ length: n }, (_, g) => ({ type: 'alarm', alarm: { id: g, kind: 'fault', unitName: '钟山影城（模拟）', pointLabel: '点型光电感烟火灾探测器 1回路1号', state: 'open', openedAt: new Date().toISOString(), lon: 118.1, lat: 32.1, version: 3, items: big ? Array.from({ length: 30 }, (_, i) => ({ kind: 'fault', count: 7, detail: '点型光电感烟火灾探测器 1回路1号 故障', unitId: 32, eventId: i })) : [] }, text: '故障'.repeat(30), n: g }));
const variants = {
  jsonbElems: (rows) => ({ text: 'insert into dst select e from jsonb_array_elements($1::jsonb) e', values: [JSON.stringify(rows)] }),
  textArr: (rows) => ({ text: 'insert into dst select e::jsonb from unnest($1::text[]) e', values: [rows.map((r) => JSON.stringify(r))] }),
  jsonElems: (rows) => ({ text: 'insert into dst select e::jsonb from json_array_elements($1::json) e', values: [JSON.stringify(rows)] }),
};
for (const [n, big] of [[2000, false], [200, false], [120, true]]) {
  const rows = mk(n, big);
  console.log(`n=${n} big=${big} bytes=${JSON.stringify(rows).length}`);
  for (let round = 0; round < 3; round++) for (const [name, f] of Object.entries(variants)) {
    const cpu0 = process.cpuUsage(); const t0 = performance.now();
    for (let i = 0; i < 10; i++) await c.query(f(rows));
    const ms = (performance.now() - t0) / 10; const cpu = process.cpuUsage(cpu0); 
    if (round === 2) console.log(`  ${name.padEnd(11)} ${ms.toFixed(1)} ms/stmt, node cpu ${((cpu.user + cpu.system) / 1000 / 10).toFixed(1)} ms`);
    await c.query('truncate dst');
  }
}
await c.end();
