// Analytics: rates on a hand-made event set with known answers, rollups equal the raw
// computation (also after late and incremental changes), jurisdiction filtering, exports
// and the region report.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { parse as parseCsv } from 'csv-parse/sync';
import { statsConnectionSchema, statsPrioritiesSchema, statsRatesSchema, statsTrendSchema } from '@firelink/common';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { readXlsxRecords } from '@firelink/geodata';
import type { Principal } from '../auth/scope.ts';
import { startTestServer, type TestServer } from '../devtools/test-support.ts';
import { neutraliseFormula, toCsv } from './export.ts';
import { PdfRenderer } from './pdf.ts';
import { ratesQuery, unitFactsQuery, type Metric } from './queries.ts';
import { analyticsRouter } from './routes.ts';
import { refreshAnalytics } from './service.ts';

const JAN = { from: new Date('2026-01-01T00:00:00+08:00'), to: new Date('2026-02-01T00:00:00+08:00') };
const JAN_DAYS = 31;

async function seed(pool: TestDatabase['pool']): Promise<{ u1: number; u2: number; u3: number; d1: number }> {
  await pool.query(`INSERT INTO regions (adcode, name, level, parent_adcode) VALUES
    (330000, '浙江省', 'province', NULL), (330100, '杭州市', 'city', 330000),
    (330102, '上城区', 'district', 330100), (330105, '拱墅区', 'district', 330100)`);
  const units = await pool.query<{ id: number }>(`INSERT INTO units (name, region_adcode, point, high_risk, has_control_room, onboarding_state) VALUES
    ('U1 商场', 330102, ST_SetSRID(ST_MakePoint(120.170, 30.250), 4326), true, true, 'open'),
    ('U2 办公楼', 330102, ST_SetSRID(ST_MakePoint(120.180, 30.255), 4326), false, true, 'open'),
    ('U3 医院', 330105, ST_SetSRID(ST_MakePoint(120.140, 30.320), 4326), true, true, 'registered')
    RETURNING id`);
  const [u1, u2, u3] = units.rows.map((r) => r.id) as [number, number, number];
  const devs = await pool.query<{ id: number }>(
    `INSERT INTO devices (unit_id, address) VALUES ($1::bigint, 1001), ($2::bigint, 1002), ($3::bigint, 1003) RETURNING id`, [u1, u2, u3]);
  const [d1, d2, d3] = devs.rows.map((r) => r.id) as [number, number, number];
  // Points: U1 10 (2 in fault), U2 5, U3 4.
  await pool.query(`INSERT INTO points (unit_id, component_type, component_address, in_fault)
    SELECT $1::bigint, 1, g, g <= 2 FROM generate_series(1, 10) g
    UNION ALL SELECT $2::bigint, 1, g, false FROM generate_series(1, 5) g
    UNION ALL SELECT $3::bigint, 1, g, false FROM generate_series(1, 4) g`, [u1, u2, u3]);
  const ev = (key: string, kind: string, unit: number, device: number, at: string) =>
    pool.query(`INSERT INTO events (dedupe_key, source, kind, unit_id, device_id, received_at) VALUES ($1, 'gb26875', $2, $3, $4, $5)`,
      [key, kind, unit, device, at]);
  // U1: 4 faults and 2 fires in January, 1 fault in December (outside the window).
  await ev('f1', 'fault', u1, d1, '2026-01-10T09:00:00+08:00');
  await ev('f2', 'fault', u1, d1, '2026-01-10T09:10:00+08:00');
  await ev('f3', 'fault', u1, d1, '2026-01-10T23:59:00+08:00');
  await ev('f4', 'fault', u1, d1, '2026-01-20T00:00:00+08:00');
  await ev('f0', 'fault', u1, d1, '2025-12-31T23:59:59+08:00');
  await ev('x1', 'fire', u1, d1, '2026-01-11T08:00:00+08:00');
  await ev('x2', 'fire', u1, d1, '2026-01-12T08:00:00+08:00');
  await ev('f5', 'fault', u2, d2, '2026-01-15T12:00:00+08:00');
  for (let i = 0; i < 5; i++) await ev(`f6${i}`, 'fault', u3, d3, `2026-01-2${i}T12:00:00+08:00`);
  // D1 offline 10:00 → (offline again 11:00: same period) → online 14:00 = 4 h.
  await ev('o1', 'host_offline', u1, d1, '2026-01-05T10:00:00+08:00');
  await ev('o2', 'host_offline', u1, d1, '2026-01-05T11:00:00+08:00');
  await ev('o3', 'host_online', u1, d1, '2026-01-05T14:00:00+08:00');
  // D2 offline 22:00 on Jan 31 → online 02:00 Feb 1: 2 h inside January.
  await ev('o4', 'host_offline', u2, d2, '2026-01-31T22:00:00+08:00');
  await ev('o5', 'host_online', u2, d2, '2026-02-01T02:00:00+08:00');
  // Fire alarms: U1 3 false + 1 fire verified, 1 unverified; U2 1 test; U3 2 false.
  await pool.query(`INSERT INTO alarms (unit_id, kind, priority, state, verdict, opened_at) VALUES
    ($1::bigint, 'fire', 1, 'closed', 'false_alarm', '2026-01-11T08:00:00+08:00'),
    ($1::bigint, 'fire', 1, 'closed', 'false_alarm', '2026-01-12T08:00:00+08:00'),
    ($1::bigint, 'fire', 1, 'closed', 'false_alarm', '2026-01-13T08:00:00+08:00'),
    ($1::bigint, 'fire', 1, 'closed', 'fire', '2026-01-14T08:00:00+08:00'),
    ($1::bigint, 'fire', 1, 'open', NULL, '2026-01-15T08:00:00+08:00'),
    ($1::bigint, 'fault', 4, 'closed', 'fault', '2026-01-15T08:00:00+08:00'),
    ($2::bigint, 'fire', 1, 'closed', 'test', '2026-01-16T08:00:00+08:00'),
    ($3::bigint, 'fire', 1, 'closed', 'false_alarm', '2026-01-17T08:00:00+08:00'),
    ($3::bigint, 'fire', 1, 'closed', 'false_alarm', '2026-01-18T08:00:00+08:00')`, [u1, u2, u3]);
  // Duty checks: U1 answered in 30 s and 60 s, one missed; U2 one missed.
  await pool.query(`INSERT INTO duty_checks (device_id, unit_id, sent_at, timeout_s, answered_at, response_s, missed_at) VALUES
    ($1::bigint, $2::bigint, '2026-01-08T09:00:00+08:00', 600, '2026-01-08T09:00:30+08:00', 30, NULL),
    ($1::bigint, $2::bigint, '2026-01-09T09:00:00+08:00', 600, '2026-01-09T09:01:00+08:00', 60, NULL),
    ($1::bigint, $2::bigint, '2026-01-10T09:00:00+08:00', 600, NULL, NULL, '2026-01-10T09:10:00+08:00'),
    ($3::bigint, $4::bigint, '2026-01-10T09:00:00+08:00', 600, NULL, NULL, '2026-01-10T09:10:00+08:00')`, [d1, u1, d2, u2]);
  // Background noise over a quarter (deterministic), so the rollup comparison covers
  // many hours, days and months.
  await pool.query(`INSERT INTO events (dedupe_key, source, kind, unit_id, device_id, received_at)
    SELECT 'n' || g, 'gb26875', (ARRAY['fault','fire','host_offline','status','fault_cleared'])[1 + (g * 7) % 5],
           (ARRAY[$1, $2, $3]::bigint[])[1 + (g * 13) % 3], NULL,
           timestamptz '2026-03-01T00:00:00+08:00' + (g * 2711 % (90 * 86400)) * interval '1 second'
    FROM generate_series(1, 600) g`, [u1, u2, u3]);
  return { u1, u2, u3, d1 };
}

const num = (v: unknown) => Number(v);

async function facts(pool: TestDatabase['pool'], from: Date, to: Date, raw: boolean) {
  const { rows } = await pool.query(unitFactsQuery(from, to, raw));
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, k === 'offline_s' || k === 'duty_answer_s' ? Math.round(num(v) * 1000) / 1000 : num(v)])));
}

describe('analytics rates, rollups and jurisdiction', () => {
  let db: TestDatabase;
  let ids: Awaited<ReturnType<typeof seed>>;
  let server: TestServer;
  let principal: Principal = { userId: 1, username: 'analyst', role: 'analyst', scope: { kind: 'all' } };
  // Small limits so the test can fill the queue: one render at a time, one waiting.
  const pdf = new PdfRenderer(process.env.CHROMIUM_PATH || '/usr/bin/chromium', { maxRenders: 1, maxWaiting: 1 });

  before(async () => {
    db = await createTestDatabase('analytics');
    ids = await seed(db.pool);
    const r = await refreshAnalytics(db.pool);
    assert.equal(r.cells, 3);
    assert.ok(r.hours > 10);
    server = await startTestServer(
      db.url,
      // Router only: the scheduler would race the test's explicit refreshes.
      [(ctx) => ({ name: 'analytics', routers: [{ path: '/api/stats', router: analyticsRouter(ctx.pool, pdf, { disabledPointDays: 30 }) }] })],
      { before: [(_req, res, next) => { res.locals.principal = principal; next(); }] },
    );
  });
  beforeEach(() => {
    principal = { userId: 1, username: 'analyst', role: 'analyst', scope: { kind: 'all' } };
  });
  after(async () => {
    await server?.close();
    await pdf.close();
    await db?.drop();
  });

  async function rates(by: 'unit' | 'region' | 'h3', res = 9, scope: Principal['scope'] = { kind: 'all' }) {
    const { rows } = await db.pool.query<{ key: string; metric: Metric; numerator: number; denominator: number; value: number | null; units: number }>(
      ratesQuery({ by, res: res as 9, ...JAN, metrics: ['false_alarm_rate', 'fault_rate', 'intact_rate', 'host_offline_hours', 'off_duty_count', 'duty_answer_s', 'false_alarm_per_100_points_30d'], scope }),
    );
    const get = (key: string | number, m: Metric) => rows.find((r) => r.key === String(key) && r.metric === m);
    return { rows, get };
  }

  it('computes every rate of one unit with its numerator and denominator', async () => {
    const { get } = await rates('unit');
    const u1 = (m: Metric) => get(ids.u1, m);
    assert.deepEqual([u1('false_alarm_rate')?.numerator, u1('false_alarm_rate')?.denominator, u1('false_alarm_rate')?.value], [3, 4, 0.75]);
    assert.equal(u1('fault_rate')?.numerator, 4);
    assert.ok(Math.abs(u1('fault_rate')!.denominator - (10 * JAN_DAYS) / 30) < 1e-9);
    assert.ok(Math.abs(u1('fault_rate')!.value! - (100 * 4) / ((10 * JAN_DAYS) / 30)) < 1e-9);
    assert.ok(Math.abs(u1('false_alarm_per_100_points_30d')!.value! - (100 * 3) / ((10 * JAN_DAYS) / 30)) < 1e-9);
    assert.deepEqual([u1('intact_rate')?.numerator, u1('intact_rate')?.denominator, u1('intact_rate')?.value], [8, 10, 0.8]);
    assert.deepEqual([u1('host_offline_hours')?.numerator, u1('host_offline_hours')?.denominator, u1('host_offline_hours')?.value], [4, 1, 4]);
    assert.deepEqual([u1('off_duty_count')?.value, u1('duty_answer_s')?.numerator, u1('duty_answer_s')?.denominator, u1('duty_answer_s')?.value], [1, 90, 2, 45]);
    // A test verdict counts as verified but not false; no verified alarms → no rate.
    assert.deepEqual([get(ids.u2, 'false_alarm_rate')?.value, get(ids.u2, 'host_offline_hours')?.value], [0, 2]);
    assert.equal(get(ids.u3, 'duty_answer_s')?.value, null);
  });

  it('aggregates by region and by H3 cell from the unit sums', async () => {
    const { get } = await rates('region');
    assert.deepEqual([get(330102, 'false_alarm_rate')?.numerator, get(330102, 'false_alarm_rate')?.denominator, get(330102, 'false_alarm_rate')?.value], [3, 5, 0.6]);
    assert.equal(get(330102, 'fault_rate')?.numerator, 5);
    assert.ok(Math.abs(get(330102, 'intact_rate')!.value! - 13 / 15) < 1e-12);
    assert.deepEqual([get(330102, 'host_offline_hours')?.numerator, get(330102, 'host_offline_hours')?.denominator, get(330102, 'host_offline_hours')?.value], [6, 2, 3]);
    assert.deepEqual([get(330105, 'false_alarm_rate')?.value, get(330105, 'fault_rate')?.numerator], [1, 5]);
    for (const res of [6, 7, 8, 9]) {
      const h = await rates('h3', res);
      const total = h.rows.filter((r) => r.metric === 'fault_rate').reduce((s, r) => s + r.numerator, 0);
      assert.equal(total, 10, `res ${res}: fault events over all cells`);
      assert.ok(h.rows.every((r) => /^[0-9a-f]{15}$/.test(r.key)), `res ${res}: keys are H3 cells`);
    }
    const r6 = await rates('h3', 6);
    // U1 and U2 are 1 km apart: one res-6 cell holds both.
    assert.ok(r6.rows.some((r) => r.metric === 'false_alarm_rate' && r.numerator === 3 && r.denominator === 5));
  });

  it('rollups equal the raw computation over aligned, ragged and long windows', async () => {
    const windows: Array<[string, string]> = [
      ['2026-01-01T00:00:00+08:00', '2026-02-01T00:00:00+08:00'],
      ['2026-01-05T10:30:00+08:00', '2026-01-20T13:15:00+08:00'],
      ['2025-12-31T23:00:00+08:00', '2026-01-05T12:00:00+08:00'],
      ['2026-02-14T05:00:00+08:00', '2026-05-20T17:45:00+08:00'],
      ['2025-06-01T00:00:00+08:00', '2026-06-01T00:00:00+08:00'],
      ['2026-03-10T07:00:00+08:00', '2026-03-12T08:00:00+08:00'],
    ];
    for (const [f, t] of windows) {
      const raw = await facts(db.pool, new Date(f), new Date(t), true);
      assert.ok(raw.length > 0, `${f}–${t}: the hand-made set has facts in the window`);
      assert.deepEqual(await facts(db.pool, new Date(f), new Date(t), false), raw, `${f} – ${t}`);
    }
  });

  it('stays equal after late events, verdict changes and new offline periods', async () => {
    await db.pool.query(`INSERT INTO events (dedupe_key, source, kind, unit_id, device_id, received_at) VALUES
      ('late1', 'gb26875', 'fault', $1, $2, '2026-01-03T03:03:00+08:00'),
      ('late2', 'gb26875', 'host_offline', $1, $2, '2026-01-25T20:00:00+08:00')`, [ids.u1, ids.d1]);
    await db.pool.query(`UPDATE alarms SET verdict = 'false_alarm', state = 'closed' WHERE unit_id = $1 AND verdict IS NULL AND kind = 'fire'`, [ids.u1]);
    const before = await facts(db.pool, JAN.from, JAN.to, false);
    const r = await refreshAnalytics(db.pool);
    // Dirty: the two late events' hours and the re-verified alarm's opening hour.
    assert.equal(r.hours, 3, 'only the dirty hours are recomputed');
    const raw = await facts(db.pool, JAN.from, JAN.to, true);
    assert.notDeepEqual(before, raw);
    assert.deepEqual(await facts(db.pool, JAN.from, JAN.to, false), raw);
    const u1 = raw.find((x) => x.unit_id === ids.u1)!;
    assert.deepEqual([u1.fault_events, u1.false_alarms, u1.fire_alarms_verified], [5, 4, 5]);
    // Still offline since Jan 25 20:00: 4 h + (Feb 1 00:00 − Jan 25 20:00) = 4 + 148 h.
    assert.equal(u1.offline_s, (4 + 148) * 3600);
  });

  it('filters by jurisdiction: district, city and unit scopes', async () => {
    const district = await rates('region', 9, { kind: 'regions', adcodes: [330102] });
    assert.deepEqual([...new Set(district.rows.map((r) => r.key))], ['330102']);
    const units = await rates('unit', 9, { kind: 'regions', adcodes: [330102] });
    assert.deepEqual([...new Set(units.rows.map((r) => Number(r.key)))].sort(), [ids.u1, ids.u2].sort());
    const city = await rates('region', 9, { kind: 'regions', adcodes: [330100] });
    assert.deepEqual([...new Set(city.rows.map((r) => r.key))].sort(), ['330102', '330105']);
    const one = await rates('h3', 8, { kind: 'units', unitIds: [ids.u3] });
    assert.equal(one.rows.find((r) => r.metric === 'fault_rate')?.numerator, 5);
    assert.equal(new Set(one.rows.map((r) => r.key)).size, 1);
    const none = await rates('unit', 9, { kind: 'regions', adcodes: [110101] });
    assert.equal(none.rows.length, 0);
  });

  it('GET /api/stats/rates returns value, numerator and denominator, scoped to the caller', async () => {
    principal = { userId: 2, username: 'sup', role: 'supervisor', scope: { kind: 'regions', adcodes: [330105] } };
    const res = await fetch(`${server.base}/api/stats/rates?by=unit&from=2026-01-01&to=2026-02-01&metric=false_alarm_rate,fault_rate`);
    assert.equal(res.status, 200);
    const body = statsRatesSchema.parse(await res.json());
    assert.deepEqual(body.rows.map((r) => Number(r.key)), [ids.u3]);
    assert.deepEqual(body.rows[0]!.metrics.false_alarm_rate, { value: 1, numerator: 2, denominator: 2 });
    assert.deepEqual(Object.keys(body.rows[0]!.metrics).sort(), ['false_alarm_rate', 'fault_rate']);
    // One unit's own rates (the unit page); a unit outside the scope is 404.
    const own = statsRatesSchema.parse(await (await fetch(`${server.base}/api/stats/rates?by=unit&unit=${ids.u3}&from=2026-01-01&to=2026-02-01`)).json());
    assert.deepEqual([own.rows.length, own.rows[0]?.metrics.fault_rate?.numerator], [1, 5]);
    const other = await fetch(`${server.base}/api/stats/rates?by=unit&unit=${ids.u1}&from=2026-01-01&to=2026-02-01`);
    assert.equal(other.status, 404);
    const bad = await fetch(`${server.base}/api/stats/rates?by=h3&res=12&metric=nope`);
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { message: string }).message, /res is an H3 resolution 6–9|unknown metric/);
    principal = { userId: 1, username: 'analyst', role: 'analyst', scope: { kind: 'all' } };
  });

  it('serves trend series per day and per month from the rollups', async () => {
    const day = await fetch(`${server.base}/api/stats/trend?interval=day&from=2026-01-19&to=2026-01-23&metric=fault_rate&region=330105`);
    const d = statsTrendSchema.parse(await day.json());
    // U3 has one fault at noon on Jan 20, 21, 22 (and 23, 24: outside the window).
    assert.deepEqual(d.rows.map((r) => [r.bucket, r.numerator]), [
      ['2026-01-18T16:00:00.000Z', 0], ['2026-01-19T16:00:00.000Z', 1], ['2026-01-20T16:00:00.000Z', 1], ['2026-01-21T16:00:00.000Z', 1],
    ]);
    assert.ok(Math.abs(d.rows[1]!.denominator - 4 / 30) < 1e-9, 'denominator = 4 points × 1 day / 30 days');
    const month = await fetch(`${server.base}/api/stats/trend?interval=month&from=2026-01-01&to=2026-03-01&metric=false_alarm_rate`);
    const m = statsTrendSchema.parse(await month.json());
    assert.deepEqual(m.rows.map((r) => [r.bucket, r.numerator, r.denominator]), [['2025-12-31T16:00:00.000Z', 6, 8], ['2026-01-31T16:00:00.000Z', 0, 0]]);
  });

  it('ranks units for inspection by the documented score', async () => {
    const res = await fetch(`${server.base}/api/stats/priorities?from=2026-01-01&to=2026-02-01`);
    const body = statsPrioritiesSchema.parse(await res.json());
    assert.equal(body.rows.length, 3);
    // U1: 30×(4/5) + 25×min(100×5/(10×31/30)/20,1) + 15×min(1×30/31/10,1) + 20×(152/744) + 10
    const u1 = 30 * (4 / 5) + 25 * 1 + 15 * (30 / 31 / 10) + 20 * (152 / 744) + 10;
    // U3: 30×(2/2) + 25×min(100×5/(4×31/30)/20,1) + 0 + 0 + 10 = 65: ranks above U1.
    assert.deepEqual([body.rows[0]!.unit_id, body.rows[0]!.score], [ids.u3, 65]);
    assert.equal(body.rows[1]!.unit_id, ids.u1);
    assert.ok(Math.abs(body.rows[1]!.score - u1) < 0.01, `${body.rows[1]!.score} vs ${u1}`);
    assert.ok(body.rows[0]!.score >= body.rows[1]!.score && body.rows[1]!.score >= body.rows[2]!.score);
  });

  it('reports connection rate against editable targets and the onboarding funnel', async () => {
    const put = await fetch(`${server.base}/api/stats/targets/330102`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ target_control_room_pct: 80, target_control_room_date: '2026-12-31' }),
    });
    assert.equal(put.status, 200);
    const audit = await db.pool.query(`SELECT action, entity_id FROM audit_log WHERE entity = 'region'`);
    assert.deepEqual(audit.rows, [{ action: 'region.targets.update', entity_id: '330102' }]);
    const res = await fetch(`${server.base}/api/stats/connection`);
    const body = statsConnectionSchema.parse(await res.json());
    const a = body.rows.find((r) => r.region_adcode === 330102)!;
    assert.deepEqual(a.control_room, { numerator: 2, denominator: 2, pct: 100, target_pct: 80, target_date: '2026-12-31' });
    const b = body.rows.find((r) => r.region_adcode === 330105)!;
    assert.deepEqual([b.high_risk.pct, b.funnel.registered, b.funnel.open], [0, 1, 0]);
    principal = { userId: 3, username: 'op', role: 'operator', scope: { kind: 'all' } };
    const denied = await fetch(`${server.base}/api/stats/targets/330102`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"target_full_date":"2027-01-01"}' });
    assert.equal(denied.status, 403);
    principal = { userId: 1, username: 'analyst', role: 'analyst', scope: { kind: 'all' } };
  });

  it('exports tables as CSV and XLSX with the same rows', async () => {
    const csv = await (await fetch(`${server.base}/api/stats/rates?by=region&from=2026-01-01&to=2026-02-01&metric=false_alarm_rate&format=csv`)).text();
    const lines = csv.replace(/^\uFEFF/, '').trim().split('\r\n');
    assert.equal(lines[0], 'key,name,units,metric,numerator,denominator,value');
    assert.deepEqual(lines.slice(1), ['330102,上城区,2,false_alarm_rate,4,6,0.6666666666666666', '330105,拱墅区,1,false_alarm_rate,2,2,1']);
    const x = await fetch(`${server.base}/api/stats/rates?by=region&from=2026-01-01&to=2026-02-01&metric=false_alarm_rate&format=xlsx`);
    const rows = await readXlsxRecords(Buffer.from(await x.arrayBuffer()));
    assert.deepEqual(rows.map((r) => [r.key, r.numerator, r.denominator, r.value]), [['330102', 4, 6, 4 / 6], ['330105', 2, 2, 1]]);
  });

  // CSV injection: the export quoted only cells starting with = + - @, so a tab, a carriage
  // return, a full-width ＝ or a leading blank still let spreadsheets run the cell as a formula.
  it('CSV exports neutralise formula cells: = + - @, tab, CR, full-width forms, after blanks', async () => {
    const evil = ['=1+1', '+1+1', '-1+cmd|x', '@SUM(1)', '\t=1+1', '\r=1+1', '＝1+1', '＋1', '－1', '＠SUM(1)', ' =1+1', '\u3000=1+1', '\n=1'];
    for (const e of evil) assert.equal(neutraliseFormula(e), `'${e}`, JSON.stringify(e));
    // Numbers, plain numeric strings and ordinary text pass unchanged.
    for (const ok of ['-12.5', '+3', '1e-3', '上城区', 'a=b', '']) assert.equal(neutraliseFormula(ok), ok);
    assert.equal(neutraliseFormula(-4), '-4');
    assert.equal(toCsv([{ a: '=x', b: 'q"uote,d' }]), 'a,b\r\n\'=x,"q""uote,d"\r\n');
    // Over HTTP, through a region name.
    const name = (await db.pool.query(`SELECT name FROM regions WHERE adcode = 330105`)).rows[0].name;
    try {
      await db.pool.query(`UPDATE regions SET name = $1 WHERE adcode = 330105`, ['\t=HYPERLINK("http://x","拱墅区")']);
      const csv = await (await fetch(`${server.base}/api/stats/rates?by=region&from=2026-01-01&to=2026-02-01&metric=false_alarm_rate&format=csv`)).text();
      const rows = parseCsv(csv, { bom: true, columns: true }) as Array<Record<string, string>>;
      assert.equal(rows.find((r) => r.key === '330105')?.name, `'\t=HYPERLINK("http://x","拱墅区")`);
      assert.equal(rows.find((r) => r.key === '330102')?.name, '上城区');
    } finally {
      await db.pool.query(`UPDATE regions SET name = $1 WHERE adcode = 330105`, [name]);
    }
  });

  it('renders the monthly region report as HTML with SVG charts and as PDF', async () => {
    const html = await (await fetch(`${server.base}/api/stats/report?region=330100&period=monthly&date=2026-01-15`)).text();
    assert.match(html, /杭州市 消防设施联网监测月报 2026-01-01 – 2026-01-31/);
    assert.equal((html.match(/<svg /g) ?? []).length, 2);
    assert.match(html, /U1 商场/);
    const pdf = await fetch(`${server.base}/api/stats/report?region=330102&period=weekly&date=2026-01-14&format=pdf`);
    assert.equal(pdf.status, 200);
    const bytes = Buffer.from(await pdf.arrayBuffer());
    assert.equal(bytes.subarray(0, 5).toString(), '%PDF-');
    principal = { userId: 2, username: 'sup', role: 'supervisor', scope: { kind: 'regions', adcodes: [330105] } };
    const denied = await fetch(`${server.base}/api/stats/report?region=330102&period=daily`);
    assert.equal(denied.status, 404);
    // The same for the tables: a foreign region filter is 404, not an empty table.
    for (const path of ['rates?by=unit', 'trend?interval=day', 'priorities?limit=5']) {
      const r = await fetch(`${server.base}/api/stats/${path}&region=330102&from=2026-01-01&to=2026-02-01`);
      assert.equal(r.status, 404, path);
    }
    assert.equal((await fetch(`${server.base}/api/stats/rates?by=unit&region=330105&from=2026-01-01&to=2026-02-01`)).status, 200);
    principal = { userId: 1, username: 'analyst', role: 'analyst', scope: { kind: 'all' } };
  });

  // Each PDF report used to launch its own Chromium, for any role, with no cap.
  it('PDF reports: admin, analyst and supervisor only; one shared browser; a full queue gets 503 with Retry-After', async () => {
    const url = `${server.base}/api/stats/report?region=330102&period=weekly&date=2026-01-14&format=pdf`;
    for (const role of ['operator', 'dispatcher', 'station', 'unit_user', 'maintainer'] as const) {
      principal = { userId: 5, username: role, role, scope: { kind: 'all' } };
      assert.equal((await fetch(url)).status, 403, `${role} may not print`);
      assert.equal((await fetch(url.replace('&format=pdf', ''))).status, 200, `${role} still reads the HTML report`);
    }
    principal = { userId: 2, username: 'sup', role: 'supervisor', scope: { kind: 'regions', adcodes: [330102] } };
    assert.equal((await fetch(url)).status, 200);
    principal = { userId: 1, username: 'admin', role: 'admin', scope: { kind: 'all' } };
    // One rendering, one waiting: of six at once, some are refused at once.
    const all = await Promise.all(Array.from({ length: 6 }, () => fetch(url).then(async (r) => ({ status: r.status, retry: r.headers.get('retry-after'), body: await r.arrayBuffer() }))));
    const ok = all.filter((r) => r.status === 200);
    const busy = all.filter((r) => r.status === 503);
    assert.equal(ok.length + busy.length, 6);
    assert.ok(ok.length >= 2 && busy.length >= 1, `statuses ${all.map((r) => r.status).join(',')}`);
    assert.ok(busy.every((r) => Number(r.retry) > 0), 'Retry-After on every 503');
    assert.ok(ok.every((r) => Buffer.from(r.body).subarray(0, 5).toString() === '%PDF-'));
    assert.equal(pdf.launches, 1, 'every report printed by the same browser');
    assert.deepEqual(pdf.load(), { running: 0, waiting: 0 });
  });
  // Issue 17 item 1: disabled (屏蔽) points as a risk indicator, from disabled_unit_facts.
  it('disabled points: disabled_rate per region (points disabled at the window end ÷ points); a point disabled beyond N days adds 10 to the score', async () => {
    principal = { userId: 1, username: 'analyst', role: 'analyst', scope: { kind: 'all' } };
    const prio = async () => statsPrioritiesSchema.parse(await (await fetch(`${server.base}/api/stats/priorities?from=2026-01-01&to=2026-02-01`)).json()).rows;
    const before = (await prio()).find((r) => r.unit_id === ids.u2)!;
    assert.deepEqual([before.disabled_now, before.disabled_days], [0, null]);
    const point = (u: number) => db.pool.query(`SELECT id FROM points WHERE unit_id = $1 ORDER BY id LIMIT 1`, [u]).then((r) => Number(r.rows[0].id));
    const spell = (u: number, pointId: number | null, component: number | null, since: string, until: string | null) =>
      db.pool.query(`INSERT INTO disabled_spells (unit_id, point_id, system_type, system_address, component_address, since, until) VALUES ($1, $2, 1, 1, $3, $4, $5)`, [u, pointId, component, since, until]);
    // U2: a point disabled since Dec 20 (42 days at the end of January, > 30) and its whole system since Jan 25.
    await spell(ids.u2, await point(ids.u2), 1, '2025-12-20T10:00:00+08:00', null);
    await spell(ids.u2, null, null, '2026-01-25T10:00:00+08:00', null);
    // U1: a point disabled for a day in January, over before the window ends; U3 (other district) one now, 3 days.
    await spell(ids.u1, await point(ids.u1), 1, '2026-01-03T00:00:00+08:00', '2026-01-04T00:00:00+08:00');
    await spell(ids.u3, await point(ids.u3), 1, '2026-01-29T00:00:00+08:00', null);

    const rates = statsRatesSchema.parse(await (await fetch(`${server.base}/api/stats/rates?by=region&from=2026-01-01&to=2026-02-01&metric=disabled_rate`)).json());
    const by = Object.fromEntries(rates.rows.map((r) => [r.key, r.metrics.disabled_rate]));
    // 上城区: U2's point (not the system row, not U1's ended spell) of 10 + 5 points; 拱墅区: 1 of 4.
    assert.deepEqual(by['330102'], { numerator: 1, denominator: 15, value: 1 / 15 });
    assert.deepEqual(by['330105'], { numerator: 1, denominator: 4, value: 0.25 });
    // Mid-January the U1 spell was on and U2's point too: 2 of 15.
    const mid = statsRatesSchema.parse(await (await fetch(`${server.base}/api/stats/rates?by=region&from=2026-01-01T00:00:00%2B08:00&to=2026-01-03T12:00:00%2B08:00&metric=disabled_rate&region=330102`)).json());
    assert.equal(mid.rows[0]!.metrics.disabled_rate!.numerator, 2);
    const trend = statsTrendSchema.parse(await (await fetch(`${server.base}/api/stats/trend?interval=month&from=2026-01-01&to=2026-02-01&metric=disabled_rate&region=330102`)).json());
    assert.deepEqual(trend.rows.map((r) => [r.numerator, r.denominator]), [[1, 15]]);

    const after = await prio();
    const u2 = after.find((r) => r.unit_id === ids.u2)!;
    assert.deepEqual([u2.disabled_now, u2.disabled_days], [2, 42]);
    assert.ok(Math.abs(u2.score - before.score - 10) < 0.01, `${before.score} → ${u2.score}`);
    // U3's point is disabled 3 days only: below the 30 days, no disabled term.
    const u3 = after.find((r) => r.unit_id === ids.u3)!;
    assert.deepEqual([u3.disabled_now, u3.disabled_days, u3.score], [1, 3, 65]);
  });
});
