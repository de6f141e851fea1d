// The role × resource matrix: every role against every scoped resource the real server
// mounts (by id, list, tile, stream, stats), proving each sees exactly its jurisdiction —
// e.g. a 鼓楼区 supervisor gets nothing of 玄武区. Resources are probed through their
// public HTTP/WebSocket interface with the real features (FEATURES of main.ts), so the
// matrix follows whatever endpoints exist. Leaks are detected by marker names: each unit
// and station of the fixture carries a unique name that appears wherever it is shown.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { REPORT_PDF_ROLES, type EventBus, type EventKind, type StoredEvent } from '@firelink/common';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { startTestServer, type TestServer } from '../devtools/test-support.ts';
import { FEATURES, type Feature } from '../main.ts';
import { hashToken } from './authenticate.ts';
import { createTestUser, ensureRegions, type TestUser } from './testing.ts';

// Three districts: 鼓楼 and 玄武 in 南京 (320100), 锡山 in 无锡 (320200).
const PLACES = {
  gulou: { adcode: 320106, lonLat: [118.769, 32.066] as [number, number] },
  xuanwu: { adcode: 320102, lonLat: [118.797, 32.048] as [number, number] },
  wuxi: { adcode: 320205, lonLat: [120.357, 31.585] as [number, number] },
};
type PlaceKey = keyof typeof PLACES;
const PLACE_KEYS = Object.keys(PLACES) as PlaceKey[];
const unitMarker = (k: PlaceKey) => `MXUNIT${k.toUpperCase()}`;
const stationMarker = (k: PlaceKey) => `MXSTATION${k.toUpperCase()}`;

interface Fixture {
  units: Record<PlaceKey, { id: number; deviceId: number; pointId: number }>;
  alarms: Record<PlaceKey, number>;
}

/** Who sees which place's units (and, for region roles, stations). */
const EXPECTED: Record<string, { role: Parameters<typeof createTestUser>[1]['role']; regions?: number[]; units?: PlaceKey[]; sees: PlaceKey[]; stations: PlaceKey[] }> = {
  admin: { role: 'admin', sees: ['gulou', 'xuanwu', 'wuxi'], stations: ['gulou', 'xuanwu', 'wuxi'] },
  operator_nanjing: { role: 'operator', regions: [320100], sees: ['gulou', 'xuanwu'], stations: ['gulou', 'xuanwu'] },
  dispatcher_nanjing: { role: 'dispatcher', regions: [320100], sees: ['gulou', 'xuanwu'], stations: ['gulou', 'xuanwu'] },
  supervisor_gulou: { role: 'supervisor', regions: [320106], sees: ['gulou'], stations: ['gulou'] },
  supervisor_xuanwu: { role: 'supervisor', regions: [320102], sees: ['xuanwu'], stations: ['xuanwu'] },
  station_gulou: { role: 'station', regions: [320106], sees: ['gulou'], stations: ['gulou'] },
  analyst_jiangsu: { role: 'analyst', regions: [320000], sees: ['gulou', 'xuanwu', 'wuxi'], stations: ['gulou', 'xuanwu', 'wuxi'] },
  analyst_wuxi: { role: 'analyst', regions: [320200], sees: ['wuxi'], stations: ['wuxi'] },
  unit_user_gulou: { role: 'unit_user', units: ['gulou'], sees: ['gulou'], stations: [] },
  maintainer_xuanwu: { role: 'maintainer', units: ['xuanwu'], sees: ['xuanwu'], stations: [] },
};
const ROLES = Object.keys(EXPECTED);

/** Slippy-map tile of a point at zoom z. */
function tileOf([lon, lat]: [number, number], z: number): [number, number] {
  const n = 2 ** z;
  const x = Math.floor(((lon + 180) / 360) * n);
  const r = (lat * Math.PI) / 180;
  const y = Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n);
  return [x, y];
}

const seen = (text: string, marker: (k: PlaceKey) => string) => PLACE_KEYS.filter((k) => text.includes(marker(k))).sort();

async function seedFixture(pool: TestDatabase['pool']): Promise<Omit<Fixture, 'alarms'>> {
  await ensureRegions(pool, PLACE_KEYS.map((k) => PLACES[k].adcode));
  const units = {} as Fixture['units'];
  for (const [i, k] of PLACE_KEYS.entries()) {
    const { adcode, lonLat } = PLACES[k];
    const [lon, lat] = lonLat;
    const b = await pool.query(
      `INSERT INTO buildings (name, footprint, region_adcode, floors_above)
       VALUES ($1, ST_Multi(ST_Buffer(ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography, 30)::geometry), $4, 10) RETURNING id`,
      [`building ${k}`, lon, lat, adcode],
    );
    const u = await pool.query(
      `INSERT INTO units (name, address, region_adcode, point, building_id, onboarding_state, category, has_control_room)
       VALUES ($1, $2, $3, ST_SetSRID(ST_MakePoint($4, $5), 4326), $6, 'open', 'hotel', true) RETURNING id`,
      [unitMarker(k), `${unitMarker(k)} road 1`, adcode, lon, lat, Number(b.rows[0].id)],
    );
    const unitId = Number(u.rows[0].id);
    const d = await pool.query(`INSERT INTO devices (unit_id, address, online) VALUES ($1, $2, true) RETURNING id`, [unitId, 7_000_000 + i]);
    const deviceId = Number(d.rows[0].id);
    const s = await pool.query(`INSERT INTO facility_systems (device_id, system_type, system_address) VALUES ($1, 1, 1) RETURNING id`, [deviceId]);
    const p = await pool.query(
      `INSERT INTO points (unit_id, system_id, component_type, component_address, floor, label) VALUES ($1, $2, 31, 1, 3, $3) RETURNING id`,
      [unitId, Number(s.rows[0].id), `${unitMarker(k)} smoke 3F`],
    );
    await pool.query(
      `INSERT INTO stations (name, point, region_adcode, class) VALUES ($1, ST_SetSRID(ST_MakePoint($2, $3), 4326), $4, 'first')`,
      [stationMarker(k), lon + 0.003, lat + 0.002, adcode],
    );
    units[k] = { id: unitId, deviceId, pointId: Number(p.rows[0].id) };
  }
  return { units };
}

/** Inserts committed events (as INGEST does) and returns them as the bus carries them. */
async function insertEvents(pool: TestDatabase['pool'], f: Omit<Fixture, 'alarms'>, kind: EventKind): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for (const [i, k] of PLACE_KEYS.entries()) {
    const u = f.units[k];
    const key = `matrix-${randomBytes(6).toString('hex')}`;
    const r = await pool.query(
      `INSERT INTO events (dedupe_key, source, kind, device_id, device_address, unit_id, point_id, region_adcode, description, component_type, component_address, system_type, system_address)
       VALUES ($1, 'gb26875', $2, $3, $4, $5, $6, $7, $8, 31, 1, 1, 1) RETURNING id, received_at`,
      [key, kind, u.deviceId, 7_000_000 + i, u.id, u.pointId, PLACES[k].adcode, `${unitMarker(k)} ${kind}`],
    );
    out.push({
      id: Number(r.rows[0].id),
      dedupeKey: key,
      source: 'gb26875',
      kind,
      deviceAddress: 7_000_000 + i,
      systemType: 1,
      systemAddress: 1,
      componentType: 31,
      componentAddress: 1,
      status: null,
      value: null,
      description: `${unitMarker(k)} ${kind}`,
      deviceTime: null,
      receivedAt: (r.rows[0].received_at as Date).toISOString(),
      payload: {},
      deviceId: u.deviceId,
      unitId: u.id,
      pointId: u.pointId,
      regionAdcode: PLACES[k].adcode,
      h3R9: null,
    });
  }
  return out;
}

/**
 * Connects to /ws and subscribes; once the snapshot is in, runs `during`, then collects
 * messages until `until(text)` holds (or `maxMs`), plus a short grace for stragglers.
 * Waiting on a condition rather than a fixed window keeps the test right on a busy machine.
 */
function streamText(
  url: string,
  headers: Record<string, string>,
  opts: { during?: () => Promise<void>; until?: (text: string) => boolean; filters?: Record<string, unknown>; maxMs?: number } = {},
): Promise<{ status: 'open' | number; text: string }> {
  const maxMs = opts.maxMs ?? 8000;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const messages: string[] = [];
    ws.on('message', (d) => messages.push(String(d)));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0, text: '' });
      ws.terminate();
    });
    ws.once('error', (err) => {
      if (!messages.length) reject(err);
    });
    const waitFor = async (pred: () => boolean) => {
      const t0 = Date.now();
      while (!pred() && Date.now() - t0 < maxMs) await new Promise((r) => setTimeout(r, 25));
    };
    ws.once('open', () => {
      ws.send(JSON.stringify({ type: 'subscribe', filters: opts.filters ?? {} }));
      void (async () => {
        await waitFor(() => messages.some((m) => m.includes('"type":"snapshot"') || m.includes('"type":"error"')));
        await opts.during?.();
        if (opts.until) await waitFor(() => opts.until!(messages.join('\n')));
        await new Promise((r) => setTimeout(r, 150));
        ws.close();
        resolve({ status: 'open', text: messages.join('\n') });
      })().catch(reject);
    });
  });
}

describe('role × resource matrix (real features, real sessions)', () => {
  let db: TestDatabase;
  let server: TestServer;
  let bus: EventBus;
  let base: string;
  let fixture: Fixture;
  const users: Record<string, TestUser> = {};
  const mounted = new Set<string>();
  const features: Feature[] = [];
  const table: string[] = [];

  const get = async (who: TestUser | null, path: string) => {
    const res = await fetch(`${base}${path}`, { headers: who ? who.headers : {} });
    const buf = Buffer.from(await res.arrayBuffer());
    return { status: res.status, text: buf.toString('utf8') };
  };

  before(async () => {
    db = await createTestDatabase('matrix');
    const f = await seedFixture(db.pool);
    server = await startTestServer(
      db.url,
      [
        (ctx) => {
          bus = ctx.bus;
          return { name: 'matrix-bus' };
        },
        // Every real feature, recorded so the routes they mount can be enumerated.
        ...FEATURES.map((make) => async (ctx: Parameters<typeof make>[0]) => {
          const f = await make(ctx);
          features.push(f);
          return f;
        }),
      ],
      { env: { FIRELINK_DEMO: '0', FIRELINK_SIM_UNITS: '0' } },
    );
    base = server.base;
    for (const name of ROLES) {
      const e = EXPECTED[name]!;
      users[name] = await createTestUser(db.pool, { role: e.role, regions: e.regions, units: e.units?.map((k) => f.units[k].id), username: name });
    }
    // Fire events through the real pipeline, so alarms exist wherever LIVE is mounted.
    await bus.publish(await insertEvents(db.pool, f, 'fire'));
    const alarms = {} as Fixture['alarms'];
    for (let i = 0; i < 200; i++) {
      const r = await db.pool.query(`SELECT id, unit_id FROM alarms`);
      if (r.rows.length >= 3) {
        for (const k of PLACE_KEYS) alarms[k] = Number(r.rows.find((x) => Number(x.unit_id) === f.units[k].id)?.id ?? 0);
        break;
      }
      await new Promise((res) => setTimeout(res, 100));
    }
    fixture = { ...f, alarms };
    // Which resources the server has mounted right now (an unmounted /api path answers 404 not_found "no such API endpoint").
    for (const p of ['/api/units', '/api/alarms', '/api/stats/priorities', '/api/stats/rates?by=unit', '/api/onboarding/queue', '/api/dispatch/stations', '/tiles/units/0/0/0.pbf']) {
      const r = await get(users.admin!, p);
      if (!(r.status === 404 && r.text.includes('no such API endpoint')) && r.status !== 404) mounted.add(p.split('?')[0]!);
    }
  });

  after(async () => {
    if (table.length) process.stderr.write(`\n[matrix] seen units per role and resource\n${table.join('\n')}\n`);
    await server?.close();
    await db?.drop();
  });

  /** Asserts that `name` sees exactly the expected places in a 200 answer; records the cell. */
  function check(resource: string, name: string, status: number, got: PlaceKey[], want: PlaceKey[], allowForbidden = true) {
    if (status === 403 && allowForbidden) {
      table.push(`${resource.padEnd(28)} ${name.padEnd(20)} 403 (role not allowed)`);
      return;
    }
    assert.equal(status, 200, `${resource} for ${name}: HTTP ${status}`);
    table.push(`${resource.padEnd(28)} ${name.padEnd(20)} ${got.join(',') || '-'}`);
    assert.deepEqual(got, [...want].sort(), `${resource} for ${name}: sees ${got.join(',') || 'nothing'}, should see ${want.join(',') || 'nothing'}`);
  }

  it('the fixture went through the real pipeline: one alarm per unit', () => {
    if (!mounted.has('/api/alarms')) return;
    for (const k of PLACE_KEYS) assert.ok(fixture.alarms[k] > 0, `alarm for ${k}`);
  });

  it('lists: units and alarms show only the jurisdiction', async () => {
    assert.ok(mounted.has('/api/units'), 'GET /api/units is mounted');
    for (const name of ROLES) {
      const u = await get(users[name]!, '/api/units?limit=500');
      check('list /api/units', name, u.status, seen(u.text, unitMarker), EXPECTED[name]!.sees, false);
      if (mounted.has('/api/alarms')) {
        const a = await get(users[name]!, '/api/alarms');
        check('list /api/alarms', name, a.status, seen(a.text, unitMarker), EXPECTED[name]!.sees, false);
      }
    }
  });

  it('by id: a unit or alarm outside the jurisdiction is not found, inside it is', async () => {
    for (const name of ROLES) {
      for (const k of PLACE_KEYS) {
        const visible = EXPECTED[name]!.sees.includes(k);
        const u = await get(users[name]!, `/api/units/${fixture.units[k].id}`);
        if (visible) {
          assert.equal(u.status, 200, `${name} GET unit ${k}`);
          assert.ok(u.text.includes(unitMarker(k)));
        } else {
          assert.ok(u.status === 404 || u.status === 403, `${name} GET unit ${k}: ${u.status}`);
          assert.ok(!u.text.includes(unitMarker(k)), `${name} GET unit ${k} leaks its name`);
        }
        const onb = await get(users[name]!, `/api/units/${fixture.units[k].id}/onboarding`);
        if (onb.status !== 404 || visible) {
          if (!visible) assert.ok(onb.status === 403 || onb.status === 404, `${name} onboarding ${k}: ${onb.status}`);
          assert.ok(visible || !onb.text.includes(unitMarker(k)), `${name} onboarding of ${k} leaks`);
        }
        if (mounted.has('/api/alarms') && fixture.alarms[k]) {
          const a = await get(users[name]!, `/api/alarms/${fixture.alarms[k]}`);
          if (visible) assert.equal(a.status, 200, `${name} GET alarm ${k}`);
          else {
            assert.ok(a.status === 404 || a.status === 403, `${name} GET alarm ${k}: ${a.status}`);
            assert.ok(!a.text.includes(unitMarker(k)), `${name} GET alarm ${k} leaks`);
          }
        }
      }
      table.push(`${'by id units+alarms'.padEnd(28)} ${name.padEnd(20)} ${EXPECTED[name]!.sees.join(',')}`);
    }
  });

  it('tiles: unit and station tiles carry only the jurisdiction', async (t) => {
    if (!mounted.has('/tiles/units/0/0/0.pbf')) {
      t.skip('no /tiles mounted');
      return;
    }
    const z = 12;
    const tiles = [...new Set(PLACE_KEYS.map((k) => tileOf(PLACES[k].lonLat, z).join('/')))];
    for (const name of ROLES) {
      let units = '';
      let stations = '';
      for (const xy of tiles) {
        const u = await get(users[name]!, `/tiles/units/${z}/${xy}.pbf`);
        assert.equal(u.status, 200, `${name} units tile ${xy}`);
        units += u.text;
        const s = await get(users[name]!, `/tiles/stations/${z}/${xy}.pbf`);
        assert.equal(s.status, 200, `${name} stations tile ${xy}`);
        stations += s.text;
      }
      check('tile units', name, 200, seen(units, unitMarker), EXPECTED[name]!.sees, false);
      check('tile stations', name, 200, seen(stations, stationMarker), EXPECTED[name]!.stations, false);
      // Building footprints are basemap, but the unit inside one only within the jurisdiction.
      let buildings = '';
      for (const xy of [...new Set(PLACE_KEYS.map((k) => tileOf(PLACES[k].lonLat, 15).join('/')))]) {
        buildings += (await get(users[name]!, `/tiles/buildings/15/${xy}.pbf`)).text;
      }
      check('tile buildings (unit)', name, 200, seen(buildings, unitMarker), EXPECTED[name]!.sees, false);
    }
  });

  it('stream: the WebSocket snapshot and live deltas carry only the jurisdiction', async (t) => {
    if (!mounted.has('/api/alarms')) {
      t.skip('LIVE is not mounted');
      return;
    }
    const wsUrl = `ws://127.0.0.1:${server.httpPort}/ws`;
    for (const name of ROLES) {
      const want = EXPECTED[name]!.sees;
      const r = await streamText(wsUrl, users[name]!.headers, {
        // New activity while subscribed: faults at every unit.
        during: async () => bus.publish(await insertEvents(db.pool, fixture, 'fault')),
        until: (text) => want.every((k) => text.includes(`${unitMarker(k)} fault`)),
      });
      assert.equal(r.status, 'open', `${name} upgrade`);
      check('stream /ws', name, 200, seen(r.text, unitMarker), EXPECTED[name]!.sees, false);
      // The deltas alone (events published while subscribed carry "<marker> fault").
      check('stream /ws deltas', name, 200, seen(r.text, (k) => `${unitMarker(k)} fault`), EXPECTED[name]!.sees, false);
    }
    // Asking for another district's regions in the filter does not widen the jurisdiction.
    for (const [name, regions] of [['supervisor_gulou', [320102, 320205, 320000]], ['unit_user_gulou', [320102]], ['analyst_wuxi', [320100]]] as const) {
      const r = await streamText(wsUrl, users[name]!.headers, {
        during: async () => bus.publish(await insertEvents(db.pool, fixture, 'fault')),
        filters: { regions: [...regions] },
        maxMs: 600,
      });
      const got = seen(r.text, unitMarker);
      table.push(`${'stream /ws regions filter'.padEnd(28)} ${name.padEnd(20)} asked ${regions.join(',')}: ${got.join(',') || '-'}`);
      assert.ok(got.every((k) => EXPECTED[name]!.sees.includes(k)), `${name} widened its stream to ${got.join(',')}`);
    }
  });

  it('stats and work queues: rankings and queues carry only the jurisdiction', async () => {
    const probes = ['/api/stats/priorities?limit=5000', '/api/stats/rates?by=unit', '/api/onboarding/queue', '/api/dispatch/stations'];
    for (const path of probes) {
      if (!mounted.has(path.split('?')[0]!)) continue;
      const marker = path.includes('stations') ? stationMarker : unitMarker;
      // Calibrate: a probe that does not name the fixture's units for an admin cannot show a leak.
      const cal = await get(users.admin!, path);
      if (cal.status !== 200 || seen(cal.text, marker).length === 0) {
        table.push(`${path.padEnd(28)} (names no unit for admin: not a leak probe)`);
        continue;
      }
      for (const name of ROLES) {
        const r = await get(users[name]!, path);
        const want = path.includes('stations') ? EXPECTED[name]!.stations : EXPECTED[name]!.sees;
        // Admin calibration may show fewer than all three (e.g. stats over a window); compare within what admin sees.
        const universe = seen(cal.text, marker);
        check(path.split('?')[0]!, name, r.status, seen(r.text, marker), want.filter((k) => universe.includes(k)));
      }
    }
  });

  // Found by probing the API: these lists answered a foreign unit or region with an empty 200.
  it('list filters naming a unit or region outside the jurisdiction are 404, inside it 200', async () => {
    const unitFilters = ['/api/alarms?unitId=', '/api/devices/duty-checks?unitId=', '/api/notifications/outbox?unitId=', '/api/supervision/tasks?unit=',
      '/api/supervision/inspections?unit=', '/api/supervision/cases?unit=', '/api/duty/register?unitId=', '/api/duty/disabled-points?unitId=', '/api/stats/rates?by=unit&unit='];
    const regionFilters = ['/api/units?region=', '/api/alarms?region=', '/api/stats/rates?by=region&region=', '/api/stats/trend?region=',
      '/api/stats/priorities?region=', '/api/duty/disabled-points?region=', '/api/duty/register?region='];
    let refused = 0;
    for (const [filters, valueOf] of [[unitFilters, (k: PlaceKey) => fixture.units[k].id], [regionFilters, (k: PlaceKey) => PLACES[k].adcode]] as const) {
      for (const prefix of filters) {
        if ((await get(users.admin!, `${prefix}${valueOf('gulou')}`)).status !== 200) continue; // not mounted here
        for (const name of ROLES) {
          const e = EXPECTED[name]!;
          for (const k of PLACE_KEYS) {
            const r = await get(users[name]!, `${prefix}${valueOf(k)}`);
            if (r.status === 403) continue; // the role may not read this list at all
            // A unit account's lists are bounded by its units: a region filter only narrows them.
            const inside = e.sees.includes(k) || (filters === regionFilters && e.units !== undefined);
            assert.equal(r.status, inside ? 200 : 404, `${name} ${prefix}${valueOf(k)} (${k}): ${r.text.slice(0, 200)}`);
            if (!inside) refused++;
          }
        }
      }
    }
    assert.ok(refused > 20, `foreign filters refused: ${refused}`);
  });

  it('admin-only resources: users and audit log refuse every other role', async () => {
    for (const name of ROLES) {
      const want = name === 'admin' ? 200 : 403;
      assert.equal((await get(users[name]!, '/api/users')).status, want, `${name} /api/users`);
      assert.equal((await get(users[name]!, '/api/audit')).status, want, `${name} /api/audit`);
    }
  });

  it('PDF reports: roles outside REPORT_PDF_ROLES are refused before any browser starts', async () => {
    if (!mounted.has('/api/stats/report')) return;
    for (const name of ROLES) {
      const role = EXPECTED[name]!.role;
      if ((REPORT_PDF_ROLES as readonly string[]).includes(role)) continue;
      assert.equal((await get(users[name]!, '/api/stats/report?region=320100&format=pdf')).status, 403, `${name} PDF report`);
    }
  });

  it('anonymous callers and expired sessions get nothing: 401 on REST, scoped tiles and the stream', async () => {
    const expired = await createTestUser(db.pool, { role: 'admin', username: 'expired_admin' });
    await db.pool.query(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, [hashToken(expired.token)]);
    const paths = ['/api/units', `/api/units/${fixture.units.gulou.id}`, '/api/users', '/api/audit', '/api/auth/me'];
    if (mounted.has('/api/alarms')) paths.push('/api/alarms', `/api/alarms/${fixture.alarms.gulou}`);
    if (mounted.has('/api/stats/priorities')) paths.push('/api/stats/priorities');
    if (mounted.has('/tiles/units/0/0/0.pbf')) {
      paths.push(`/tiles/units/12/${tileOf(PLACES.gulou.lonLat, 12).join('/')}.pbf`);
      paths.push(`/tiles/stations/12/${tileOf(PLACES.gulou.lonLat, 12).join('/')}.pbf`);
    }
    for (const who of [null, expired]) {
      for (const p of paths) {
        const r = await get(who, p);
        assert.equal(r.status, 401, `${who ? 'expired' : 'anonymous'} ${p}: ${r.status}`);
        assert.deepEqual(seen(r.text, unitMarker), []);
      }
      if (mounted.has('/tiles/units/0/0/0.pbf')) {
        // Footprints are public basemap; the units inside them are not.
        const b = await get(who, `/tiles/buildings/15/${tileOf(PLACES.gulou.lonLat, 15).join('/')}.pbf`);
        assert.deepEqual(seen(b.text, unitMarker), [], 'building tiles name no unit for anonymous callers');
      }
      if (mounted.has('/api/alarms')) {
        const s = await streamText(`ws://127.0.0.1:${server.httpPort}/ws`, who ? who.headers : {}, { maxMs: 200 }).catch(() => ({ status: 0, text: '' }));
        assert.notEqual(s.status, 'open', `${who ? 'expired' : 'anonymous'} stream must be refused`);
      }
    }
  });

  it('mutations outside the jurisdiction are refused and change nothing', async () => {
    const post = async (who: TestUser, method: string, path: string, body: unknown) => {
      const res = await fetch(`${base}${path}`, { method, headers: { ...who.headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, text: await res.text() };
    };
    const before = await db.pool.query('SELECT id, name, version FROM units ORDER BY id');
    const alarmsBefore = await db.pool.query('SELECT id, state, version FROM alarms ORDER BY id');
    let attempts = 0;
    for (const name of ROLES) {
      for (const k of PLACE_KEYS) {
        if (EXPECTED[name]!.sees.includes(k)) continue;
        const muts: Array<[string, string, unknown]> = [['PATCH', `/api/units/${fixture.units[k].id}`, { version: 1, name: 'HIJACKED' }]];
        if (mounted.has('/api/alarms') && fixture.alarms[k]) {
          const v = Number(alarmsBefore.rows.find((a) => Number(a.id) === fixture.alarms[k])?.version ?? 1);
          muts.push(['POST', `/api/alarms/${fixture.alarms[k]}/ack`, { version: v }]);
          muts.push(['POST', `/api/alarms/${fixture.alarms[k]}/close`, { version: v }]);
        }
        for (const [method, path, body] of muts) {
          const r = await post(users[name]!, method, path, body);
          attempts++;
          assert.ok(r.status === 403 || r.status === 404, `${name} ${method} ${path} → ${r.status} ${r.text.slice(0, 120)}`);
          assert.ok(!r.text.includes(unitMarker(k)), `${name} ${method} ${path} leaks the unit`);
        }
      }
    }
    assert.deepEqual((await db.pool.query('SELECT id, name, version FROM units ORDER BY id')).rows, before.rows, 'no unit changed');
    assert.deepEqual((await db.pool.query('SELECT id, state, version FROM alarms ORDER BY id')).rows, alarmsBefore.rows, 'no alarm changed');
    table.push(`${'out-of-scope mutations'.padEnd(28)} ${attempts} attempts, all 403/404, nothing changed`);
  });

  it('every mounted route refuses anonymous callers, except the public allowlist', async () => {
    // Public on purpose: logging in, and the basemap (style, unscoped tile layers; building
    // footprints are basemap and name no unit without a login, checked above).
    const PUBLIC = [/^POST \/api\/auth\/login$/, /^POST \/api\/auth\/logout$/, /^GET \/map\//, /^GET \/tiles\//];
    const routes: string[] = [];
    for (const f of features) {
      for (const { path, router } of f.routers ?? []) {
        for (const layer of (router as unknown as { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> }).stack) {
          if (!layer.route) continue;
          for (const m of Object.keys(layer.route.methods)) routes.push(`${m.toUpperCase()} ${path}${layer.route.path === '/' ? '' : layer.route.path}`);
        }
      }
    }
    assert.ok(routes.length > 10, `found ${routes.length} routes`);
    const open: string[] = [];
    for (const route of routes) {
      if (PUBLIC.some((re) => re.test(route))) continue;
      const [method, pattern] = route.split(' ') as [string, string];
      // Parameters get a plausible value: ids the fixture has, small numbers elsewhere.
      const path = pattern.replace(/:(\w+)/g, (_m, name: string) => (name === 'kind' ? 'fire' : name === 'adcode' ? '320106' : String(fixture.units.gulou.id)));
      const res = await fetch(`${base}${path}`, {
        method,
        headers: method === 'GET' ? {} : { 'content-type': 'application/json' },
        body: method === 'GET' || method === 'HEAD' ? undefined : '{}',
      });
      const text = await res.text();
      if (res.status !== 401) open.push(`${route} → ${res.status} ${text.slice(0, 120)}`);
      assert.deepEqual(seen(text, unitMarker), [], `${route} names a unit to an anonymous caller`);
    }
    table.push(`${'anonymous on every route'.padEnd(28)} ${routes.length} routes, ${open.length} not 401`);
    assert.deepEqual(open, [], 'routes that answer an anonymous caller with something other than 401');
  });

  it('injection attempts in every parameter are data: no 5xx, no rows outside the jurisdiction', async () => {
    const payloads = ["1' OR '1'='1", '1 OR 1=1', '1;DROP TABLE units;--', "') OR TRUE--", '%00', '-1', '99999999999999999999', '1e308', '{"$ne":null}', '320102'];
    const sv = users.supervisor_gulou!;
    const want = EXPECTED.supervisor_gulou!.sees;
    const templates = [
      '/api/units/{p}',
      '/api/units?q={p}',
      '/api/units?region={p}',
      '/api/units?state={p}',
      '/api/units?category={p}',
      '/api/units?bbox={p}',
      '/api/units?limit={p}',
      '/api/units/{p}/onboarding',
      '/api/alarms/{p}',
      '/api/alarms?state={p}',
      '/api/alarms?kind={p}',
      '/api/alarms?region={p}',
      '/api/alarms?bbox={p}',
      '/api/alarms?limit={p}',
      '/api/stats/priorities?region={p}',
      '/api/stats/rates?by={p}',
      '/api/stats/rates?by=unit&region={p}',
      '/api/dispatch/suggest?lon={p}&lat=32&k=3',
      '/api/onboarding/queue?region={p}',
      '/api/audit?entityId={p}',
      '/api/users?q={p}',
      '/tiles/units/{p}/1/1.pbf',
      '/tiles/units/12/{p}/1.pbf',
      '/tiles/{p}/1/1/1.pbf',
    ];
    let probes = 0;
    for (const tpl of templates) {
      for (const p of payloads) {
        const path = tpl.replace('{p}', encodeURIComponent(p));
        const r = await get(sv, path);
        probes++;
        assert.ok(r.status < 500, `${path} → ${r.status} ${r.text.slice(0, 200)}`);
        if (r.status === 200) {
          const got = seen(r.text, unitMarker);
          assert.ok(got.every((k) => want.includes(k)), `${path} leaked ${got.join(',')}`);
        }
      }
    }
    const n = await db.pool.query('SELECT count(*)::int AS n FROM units');
    assert.equal(n.rows[0].n, 3, 'units table intact');
    table.push(`${'injection probes'.padEnd(28)} ${'supervisor_gulou'.padEnd(20)} ${probes} requests, none 5xx, no leak`);
  });

  it('hostile bodies on mutating routes: malformed and oversized JSON get clear 4xx', async () => {
    const admin = users.admin!;
    const posts = ['/api/users', '/api/auth/tokens', '/api/units'];
    if (mounted.has('/api/alarms')) posts.push(`/api/alarms/${fixture.alarms.gulou}/ack`);
    for (const p of posts) {
      const bad = await fetch(`${base}${p}`, { method: 'POST', headers: { ...admin.headers, 'content-type': 'application/json' }, body: '{"a":' });
      assert.equal(bad.status, 400, `${p} malformed`);
      const wrong = await fetch(`${base}${p}`, { method: 'POST', headers: { ...admin.headers, 'content-type': 'application/json' }, body: '[1,2,3]' });
      assert.equal(wrong.status, 400, `${p} wrong shape`);
      assert.equal(((await wrong.json()) as { error: string }).error, 'invalid_request');
      const huge = await fetch(`${base}${p}`, {
        method: 'POST',
        headers: { ...admin.headers, 'content-type': 'application/json' },
        body: JSON.stringify({ pad: 'x'.repeat(11 * 1024 * 1024) }),
      });
      assert.equal(huge.status, 413, `${p} oversized`);
    }
  });
});
