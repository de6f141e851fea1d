import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dispatchRecordSchema, regionCoverageSchema, suggestResponseSchema } from '@firelink/common';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import type { Principal } from '../auth/scope.ts';
import { principalsByHeader, startTestServer, type TestServer } from '../devtools/test-support.ts';
import { dispatchFeature } from './feature.ts';
import { at, loadHandMadeNetwork } from './hand-made-network.ts';

// Two districts split at x = 1500 m: 320102 (west: A, C) and 320104 (east: B, D).
const WEST = 320102;
const EAST = 320104;

const PRINCIPALS: Record<string, Principal> = {
  admin: { userId: null, username: 'admin-test', role: 'admin', scope: { kind: 'all' } },
  westDispatcher: { userId: null, username: 'west-dispatcher', role: 'dispatcher', scope: { kind: 'regions', adcodes: [WEST] } },
  // Station accounts get their user ids (and stations, users.station_id) in before().
  eastStation: { userId: null, username: 'east-station', role: 'station', scope: { kind: 'regions', adcodes: [EAST] } },
  eastStationD: { userId: null, username: 'east-station-d', role: 'station', scope: { kind: 'regions', adcodes: [EAST] } },
  unboundStation: { userId: null, username: 'unbound-station', role: 'station', scope: { kind: 'regions', adcodes: [EAST] } },
  unitUser: { userId: null, username: 'unit-user', role: 'unit_user', scope: { kind: 'units', unitIds: [1] } },
};

// The caller is named by a header (ACCESS's login is not part of this test).
const callers = principalsByHeader(PRINCIPALS);

describe('dispatch and coverage over HTTP', () => {
  let db: TestDatabase;
  let server: TestServer;
  let ids: Record<string, number>;
  const units: Record<string, number> = {};

  const call = (who: string | null, method: string, path: string, body?: unknown) => server.call(callers.as(who), method, path, body);

  before(async () => {
    db = await createTestDatabase('dispatch_http');
    ids = await loadHandMadeNetwork(db.pool);
    const box = (x0: number, x1: number) => [...at(x0, -4000), ...at(x1, 7000)];
    for (const [adcode, [x0, x1]] of [[WEST, [-1000, 1500]], [EAST, [1500, 4000]]] as const) {
      await db.pool.query(
        `INSERT INTO regions (adcode, name, level, geom) VALUES ($1, $2, 'district', ST_Multi(ST_MakeEnvelope($3, $4, $5, $6, 4326)))`,
        [adcode, `district ${adcode}`, ...box(x0, x1)],
      );
    }
    await db.pool.query(`UPDATE stations SET region_adcode = $1 WHERE name IN ('A', 'C')`, [WEST]);
    await db.pool.query(`UPDATE stations SET region_adcode = $1 WHERE name IN ('B', 'D')`, [EAST]);
    const placed: Array<[string, [number, number], number]> = [
      ['near V2', at(1000, 50), WEST], // A reaches V2 in 60 s
      ['near V3', at(2000, 50), EAST], // B reaches V3 in 60 s
      ['far south', at(3000, -2500), EAST], // 2.5 km from any road
      ['far north-west', at(0, 3000), WEST], // 2.2 km from any road, 2.5 km from E
      ['near E', at(1500, 4000), WEST], // 1 km from the off-network station E (straight disc)
    ];
    for (const [name, [lon, lat], region] of placed) {
      const r = await db.pool.query(
        `INSERT INTO units (name, point, region_adcode) VALUES ($1, ST_SetSRID(ST_MakePoint($2, $3), 4326), $4) RETURNING id`,
        [name, lon, lat, region],
      );
      units[name] = Number(r.rows[0].id);
    }
    for (const [key, station] of [['eastStation', ids.B], ['eastStationD', ids.D], ['unboundStation', null]] as const) {
      const u = await db.pool.query(
        `INSERT INTO users (username, display_name, role, password_hash, station_id) VALUES ($1, $1, 'station', '!', $2) RETURNING id`,
        [PRINCIPALS[key]!.username, station],
      );
      PRINCIPALS[key]!.userId = Number(u.rows[0].id);
    }
    server = await startTestServer(db.url, [dispatchFeature], { env: { FIRELINK_DEMO: '0' }, before: [callers.before] });
  });
  after(async () => {
    await server?.close();
    await db?.drop();
  });

  it('refuses callers without a principal, and unit accounts', async () => {
    const [lon, lat] = at(2500, 0);
    assert.equal((await call(null, 'GET', `/api/dispatch/suggest?lon=${lon}&lat=${lat}`)).status, 401);
    assert.equal((await call('unitUser', 'GET', `/api/dispatch/suggest?lon=${lon}&lat=${lat}`)).status, 403);
  });

  it('GET /api/dispatch/suggest validates and answers with ETA, distance, route and method', async () => {
    const bad = await call('admin', 'GET', '/api/dispatch/suggest?lon=200&lat=32');
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /lon must be/);
    const [lon, lat] = at(2500, 0);
    const r = await call('admin', 'GET', `/api/dispatch/suggest?lon=${lon}&lat=${lat}&k=2`);
    assert.equal(r.status, 200);
    suggestResponseSchema.parse(r.body); // the shared contract (common/src/dispatch.ts)
    assert.deepEqual(r.body.suggestions.map((s: { stationId: number }) => s.stationId), [ids.B, ids.A]);
    const b = r.body.suggestions[0];
    assert.equal(b.method, 'road');
    assert.ok(Math.abs(b.etaSeconds - 30) < 0.5);
    assert.equal(b.route.type, 'LineString');
    assert.ok(b.distanceMeters > 400 && b.distanceMeters < 600, `B drives ~500 m (${b.distanceMeters})`);
  });

  it('suggests only for points inside the caller\'s jurisdiction, with stations from any district', async () => {
    const [eLon, eLat] = at(2500, 0);
    assert.equal((await call('westDispatcher', 'GET', `/api/dispatch/suggest?lon=${eLon}&lat=${eLat}`)).status, 403);
    const [wLon, wLat] = at(1200, 0);
    const r = await call('westDispatcher', 'GET', `/api/dispatch/suggest?lon=${wLon}&lat=${wLat}&k=3`);
    assert.equal(r.status, 200);
    assert.ok(r.body.suggestions.some((s: { stationId: number }) => s.stationId === ids.B), 'cross-district station B is offered');
  });

  it('lists stations by jurisdiction', async () => {
    const w = await call('westDispatcher', 'GET', '/api/dispatch/stations');
    assert.deepEqual(w.body.stations.map((s: { name: string }) => s.name).sort(), ['A', 'C']);
    const all = await call('admin', 'GET', '/api/dispatch/stations');
    assert.equal(all.body.stations.length, 5);
  });

  it('records a dispatch: status, ETA, audit; refuses busy and out-of-service stations; release frees the station', async () => {
    const [lon, lat] = at(2500, 0);
    const rec = await call('admin', 'POST', '/api/dispatch/records', { stationIds: [ids.B], lon, lat, note: 'test fire' });
    assert.equal(rec.status, 201, JSON.stringify(rec.body));
    const d = dispatchRecordSchema.parse(rec.body.dispatches[0]);
    assert.equal(d.stationId, ids.B);
    assert.equal(d.method, 'road');
    assert.ok(Math.abs((d.etaSeconds ?? NaN) - 30) < 0.5);
    const st = await db.pool.query('SELECT status FROM stations WHERE id = $1', [ids.B]);
    assert.equal(st.rows[0].status, 'dispatched');
    const audit = await db.pool.query(`SELECT action FROM audit_log WHERE entity IN ('dispatch', 'station') ORDER BY id`);
    assert.deepEqual(audit.rows.map((r) => r.action), ['dispatch.record', 'station.status']);

    // B is busy now: suggestions skip it unless asked, a second dispatch is refused.
    const s = await call('admin', 'GET', `/api/dispatch/suggest?lon=${lon}&lat=${lat}&k=1`);
    assert.equal(s.body.suggestions[0].stationId, ids.A);
    const again = await call('admin', 'POST', '/api/dispatch/records', { stationIds: [ids.B], lon, lat });
    assert.equal(again.status, 409);
    assert.match(again.body.message, /already dispatched/);

    // Out of service: a station account sets its own station only (never the west's).
    assert.equal((await call('eastStation', 'POST', `/api/dispatch/stations/${ids.A}/status`, { status: 'out_of_service' })).status, 403);
    assert.equal((await call('westDispatcher', 'POST', `/api/dispatch/stations/${ids.C}/status`, { status: 'out_of_service' })).status, 200);
    const oos = await call('admin', 'POST', '/api/dispatch/records', { stationIds: [ids.C], lon, lat });
    assert.equal(oos.status, 409);
    assert.match(oos.body.message, /out of service/);
    assert.equal((await call('admin', 'POST', `/api/dispatch/stations/${ids.C}/status`, { status: 'available' })).status, 200);

    const list = await call('eastStation', 'GET', '/api/dispatch/records?open=1');
    assert.deepEqual(list.body.dispatches.map((x: { id: number }) => x.id), [d.id]);
    const rel = await call('eastStation', 'POST', `/api/dispatch/records/${d.id}/release`);
    assert.equal(rel.status, 200);
    assert.equal(rel.body.dispatch.stationStatus, 'available');
    assert.ok(rel.body.dispatch.releasedAt);
    assert.equal((await call('eastStation', 'POST', `/api/dispatch/records/${d.id}/release`)).status, 409);
  });

  // The station role was tied to its district only: any east station account could set every
  // east station out of service, or release another station's dispatch.
  it('a station account acts for its own station only (users.station_id)', async () => {
    const status = async () => (await db.pool.query('SELECT status FROM stations WHERE id = $1', [ids.B])).rows[0].status;
    const before = await status();
    const other = await call('eastStationD', 'POST', `/api/dispatch/stations/${ids.B}/status`, { status: 'out_of_service' });
    assert.equal(other.status, 403);
    assert.match(other.body.message, /own station/);
    const unbound = await call('unboundStation', 'POST', `/api/dispatch/stations/${ids.D}/status`, { status: 'out_of_service' });
    assert.equal(unbound.status, 403);
    assert.match(unbound.body.message, /not bound to a station/);
    assert.equal(await status(), before);
    const own = await call('eastStationD', 'POST', `/api/dispatch/stations/${ids.D}/status`, { status: 'out_of_service' });
    assert.equal(own.status, 200);
    assert.equal((await call('eastStationD', 'POST', `/api/dispatch/stations/${ids.D}/status`, { status: 'available' })).status, 200);
    // Releasing: only the station's own dispatches.
    const [lon, lat] = at(2000, 50);
    const rec = await call('admin', 'POST', '/api/dispatch/records', { stationIds: [ids.B], lon, lat });
    assert.equal(rec.status, 201);
    const dispatchId = rec.body.dispatches[0].id;
    assert.equal((await call('eastStationD', 'POST', `/api/dispatch/records/${dispatchId}/release`)).status, 403);
    assert.equal((await call('eastStation', 'POST', `/api/dispatch/records/${dispatchId}/release`)).status, 200);
  });

  /** An open fire alarm of a unit, at a point, in a region. */
  const fireAlarm = async (unitId: number, region: number, lon: number, lat: number) =>
    Number(
      (
        await db.pool.query(
          `INSERT INTO alarms (unit_id, kind, priority, region_adcode, location) VALUES ($1, 'fire', 1, $2, ST_SetSRID(ST_MakePoint($3, $4), 4326)) RETURNING id`,
          [unitId, region, lon, lat],
        )
      ).rows[0].id,
    );

  it('suggests and records against an alarm, by its location and scope', async () => {
    const [lon, lat] = at(2500, 0);
    const alarmId = await fireAlarm(units['near V3']!, EAST, lon, lat);
    assert.equal((await call('westDispatcher', 'GET', `/api/dispatch/alarms/${alarmId}/suggest`)).status, 404);
    const s = await call('admin', 'GET', `/api/dispatch/alarms/${alarmId}/suggest?k=1`);
    assert.equal(s.status, 200);
    assert.equal(suggestResponseSchema.parse(s.body).alarmId, alarmId);
    assert.equal(s.body.suggestions[0].stationId, ids.B);
    const rec = await call('admin', 'POST', '/api/dispatch/records', { alarmId, stationIds: [ids.B, ids.A] });
    assert.equal(rec.status, 201, JSON.stringify(rec.body));
    assert.deepEqual(rec.body.dispatches.map((x: { alarmId: number }) => x.alarmId), [alarmId, alarmId]);
    const etas = rec.body.dispatches.map((x: { stationId: number; etaSeconds: number }) => [x.stationId, Math.round(x.etaSeconds)]);
    assert.deepEqual(etas.sort((p: number[], q: number[]) => p[0]! - q[0]!), [[ids.A, 150], [ids.B, 30]].sort((p, q) => p[0]! - q[0]!));
    const byAlarm = await call('admin', 'GET', `/api/dispatch/records?alarmId=${alarmId}`);
    assert.equal(byAlarm.body.dispatches.length, 2);
    for (const x of byAlarm.body.dispatches) await call('admin', 'POST', `/api/dispatch/records/${x.id}/release`);
  });

  it('sends another district\'s station for an alarm in the caller\'s jurisdiction (mutual aid, audited), not without one', async () => {
    const [lon, lat] = at(1200, 0);
    const alarmId = await fireAlarm(units['near V2']!, WEST, lon, lat);
    const plain = await call('westDispatcher', 'POST', '/api/dispatch/records', { stationIds: [ids.B], lon, lat });
    assert.equal(plain.status, 404);
    assert.match(plain.body.message, /pass alarmId/);
    const rec = await call('westDispatcher', 'POST', '/api/dispatch/records', { alarmId, stationIds: [ids.B, ids.A] });
    assert.equal(rec.status, 201, JSON.stringify(rec.body));
    const audit = await db.pool.query(
      `SELECT (after->>'stationId')::int AS station, (after->>'mutualAid')::boolean AS mutual FROM audit_log WHERE action = 'dispatch.record' AND (after->>'alarmId')::int = $1 ORDER BY 1`,
      [alarmId],
    );
    assert.deepEqual(audit.rows.map((r) => [r.station, r.mutual]).sort(), [[ids.A, null], [ids.B, true]].sort());
    // The station's own district tracks and releases it; the west keeps seeing its alarm's dispatches.
    const toB = rec.body.dispatches.find((x: { stationId: number }) => x.stationId === ids.B);
    const eastOpen = await call('eastStation', 'GET', '/api/dispatch/records?open=1');
    assert.ok(eastOpen.body.dispatches.some((x: { id: number }) => x.id === toB.id), 'the owning district sees its station out on mutual aid');
    const westView = await call('westDispatcher', 'GET', `/api/dispatch/records?alarmId=${alarmId}`);
    assert.equal(westView.body.dispatches.length, 2);
    assert.equal((await call('eastStation', 'POST', `/api/dispatch/records/${toB.id}/release`)).status, 200);
    for (const x of rec.body.dispatches) if (x.id !== toB.id) await call('admin', 'POST', `/api/dispatch/records/${x.id}/release`);
  });

  it('computes 5-minute coverage, lists uncovered units and per-region shares', async () => {
    assert.equal((await call('eastStation', 'POST', '/api/coverage/recompute', {})).status, 403);
    const run = (await call('admin', 'POST', '/api/coverage/recompute', {})).body;
    assert.equal(run.stations, 5);
    assert.equal(run.road, 4);
    assert.equal(run.straight, 1);

    // B (at V4): V3 60 s, V6 160 s, V5 260 s, then 40 of V5→V2's 100 s: reached down to y = 600.
    // V3→V2 is one-way the other way, so V2 itself is not within 5 minutes of B.
    const area = await call('admin', 'GET', `/api/coverage/stations?stationId=${ids.B}`);
    assert.equal(area.body.features.length, 1);
    const covers = async (x: number, y: number) =>
      (
        await db.pool.query(`SELECT ST_Covers(ST_GeomFromGeoJSON($1), ST_SetSRID(ST_MakePoint($2, $3), 4326)) AS c`, [
          JSON.stringify(area.body.features[0].geometry),
          ...at(x, y),
        ])
      ).rows[0].c;
    assert.equal(await covers(1000, 700), true, 'partly reached edge V5→V2');
    assert.equal(await covers(2000, 1000), true, 'V6');
    assert.equal(await covers(1000, 300), false, 'beyond the reached part');
    assert.equal(await covers(1000, 0), false, 'V2: behind the one-way street');

    const uncovered = await call('admin', 'GET', '/api/coverage/uncovered');
    assert.deepEqual(uncovered.body.features.map((f: { id: number }) => f.id).sort(), [units['far south'], units['far north-west']].sort());
    assert.equal(uncovered.body.features[0].geometry.type, 'Point');
    const westOnly = await call('westDispatcher', 'GET', '/api/coverage/uncovered');
    assert.deepEqual(westOnly.body.features.map((f: { id: number }) => f.id), [units['far north-west']]);

    const regions = regionCoverageSchema.array().parse((await call('admin', 'GET', '/api/coverage/regions')).body.regions);
    assert.deepEqual(
      regions.map((r) => [r.regionAdcode, r.units, r.covered, Math.round((r.share ?? 0) * 1000) / 1000]),
      [
        [WEST, 3, 2, 0.667],
        [EAST, 2, 1, 0.5],
      ],
    );
    const audit = await db.pool.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'coverage.recompute'`);
    assert.equal(audit.rows[0].n, 1);
  });
  // Found by probing the API: a dispatch time far in the future made a station's median
  // turnout negative, a place in another district was routed and stored, a station account
  // listed every station's orders, and a district's dispatcher recomputed any station's area.
  it('refuses dispatch times and places the figures cannot hold; station accounts list their own orders; coverage by district', async () => {
    const count = async () => Number((await db.pool.query('SELECT count(*) FROM dispatches')).rows[0].count);
    const before = await count();
    const [wLon, wLat] = at(1000, 50);
    const [eLon, eLat] = at(2500, 0);
    const future = await call('westDispatcher', 'POST', '/api/dispatch/records', { stationIds: [ids.A], lon: wLon, lat: wLat, at: '2099-01-01T00:00:00Z' });
    assert.equal(future.status, 400, JSON.stringify(future.body));
    assert.match(future.body.message, /in the future/);
    const old = await call('westDispatcher', 'POST', '/api/dispatch/records', { stationIds: [ids.A], lon: wLon, lat: wLat, at: new Date(Date.now() - 2 * 86_400_000).toISOString() });
    assert.equal(old.status, 400);
    assert.match(old.body.message, /more than a day ago/);
    const foreignPlace = await call('westDispatcher', 'POST', '/api/dispatch/records', { stationIds: [ids.A], lon: eLon, lat: eLat });
    assert.equal(foreignPlace.status, 403, JSON.stringify(foreignPlace.body));
    const alarmId = await fireAlarm(units['far north-west']!, WEST, wLon, wLat);
    const early = await call('westDispatcher', 'POST', '/api/dispatch/records', { alarmId, stationIds: [ids.A], at: new Date(Date.now() - 600_000).toISOString() });
    assert.equal(early.status, 400);
    assert.match(early.body.message, /before the alarm opened/);
    assert.equal(await count(), before, 'nothing written by the refused requests');
    const ok = await call('westDispatcher', 'POST', '/api/dispatch/records', { alarmId, stationIds: [ids.A], at: new Date().toISOString() });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    await call('admin', 'POST', `/api/dispatch/records/${ok.body.dispatches[0].id}/release`);

    // Two east stations out: each station account lists its own order only.
    const both = await call('admin', 'POST', '/api/dispatch/records', { stationIds: [ids.B, ids.D], lon: eLon, lat: eLat });
    assert.equal(both.status, 201, JSON.stringify(both.body));
    const idOf = (sid: number) => both.body.dispatches.find((x: { stationId: number }) => x.stationId === sid).id;
    const listOf = async (who: string) => (await call(who, 'GET', '/api/dispatch/records?open=1')).body.dispatches.map((x: { id: number }) => x.id);
    assert.deepEqual(await listOf('eastStation'), [idOf(ids.B!)]);
    assert.deepEqual(await listOf('eastStationD'), [idOf(ids.D!)]);
    assert.equal((await call('unboundStation', 'GET', '/api/dispatch/records')).status, 403);
    for (const x of both.body.dispatches) await call('admin', 'POST', `/api/dispatch/records/${x.id}/release`);

    // Coverage: a district's dispatcher recomputes its own stations, by default all of them.
    const foreign = await call('westDispatcher', 'POST', '/api/coverage/recompute', { stationIds: [ids.B] });
    assert.equal(foreign.status, 404, JSON.stringify(foreign.body));
    assert.equal((await call('westDispatcher', 'GET', `/api/coverage/stations?stationId=${ids.B}`)).status, 404);
    assert.equal((await call('westDispatcher', 'GET', `/api/coverage/stations?stationId=${ids.A}`)).status, 200);
    const own = await call('westDispatcher', 'POST', '/api/coverage/recompute', {});
    assert.equal(own.status, 200, JSON.stringify(own.body));
    const west = (await db.pool.query('SELECT count(*) FROM stations WHERE region_adcode = $1', [WEST])).rows[0].count;
    assert.equal(own.body.stations, Number(west));
  });
});
