// The station workspace over real HTTP, WebSocket and PostgreSQL: a dispatch recorded by the
// center reaches the dispatched station's stream at once (and no other station's), the
// station's reports reach the center's stream, and every id a caller names is checked
// against its station or jurisdiction.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { ORDER_LIST_MAX, PACK_PHOTOS_PER_VISIT_MAX, PACK_PLAN_MAX_BYTES, PACK_UNIT_QUOTA_BYTES, keyPartListSchema, STATION_UNIT_FLAG, STATION_WS_PATH, VISIT_RATE_MAX, orderDetailSchema, orderListSchema, stationStatsSchema, stationStreamMessageSchema, stationUnitListSchema, unitPackSchema, type StationStreamMessage } from '@firelink/common';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { accessFeature } from '../auth/feature.ts';
import { createTestUser, type TestUser } from '../auth/testing.ts';
import { dispatchFeature } from '../dispatch/feature.ts';
import { at, loadHandMadeNetwork } from '../dispatch/hand-made-network.ts';
import { startTestServer, type TestServer } from '../devtools/test-support.ts';
import { waterFeature } from '../water/feature.ts';
import { stationFeature } from './feature.ts';

const WEST = 320102;
const EAST = 320104;

/** A station-stream client that keeps every message and can wait for one. */
class StreamClient {
  readonly messages: StationStreamMessage[] = [];
  /** The messages as sent (the schema drops keys it does not know). */
  readonly raw: unknown[] = [];
  private waiters: Array<() => void> = [];
  constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      this.raw.push(JSON.parse(String(d)));
      this.messages.push(stationStreamMessageSchema.parse(JSON.parse(String(d))));
      for (const w of this.waiters.splice(0)) w();
    });
  }
  static open(base: string, user: TestUser): Promise<StreamClient> {
    const ws = new WebSocket(`${base.replace('http', 'ws')}${STATION_WS_PATH}`, { headers: user.headers });
    const c = new StreamClient(ws);
    return new Promise((resolve, reject) => {
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once('error', reject);
      c.wait((m) => m.type === 'station_hello').then(() => resolve(c), reject);
    });
  }
  async wait<T extends StationStreamMessage>(pred: (m: StationStreamMessage) => boolean, ms = 5000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.messages.find(pred);
      if (hit) return hit as T;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching message within ${ms} ms; got ${this.messages.map((m) => m.type).join(', ')}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }
  close() {
    this.ws.close();
  }
}

describe('station workspace: orders over the station stream, progress, scoping', () => {
  let db: TestDatabase;
  let server: TestServer;
  let base: string;
  let ids: Record<string, number>;
  let eastUnit: number;
  let westUnit: number;
  let alarmId: number;
  let eastSource: number;
  const u: Record<string, TestUser> = {};
  const clients: StreamClient[] = [];

  const call = (who: TestUser, method: string, path: string, body?: unknown) => server.call(who, method, path, body);
  /** A raw upload (file bytes as the body). */
  const upload = (who: TestUser, path: string, type: string, bytes: Buffer) => server.call(who, 'POST', path, bytes, { 'content-type': type });

  before(async () => {
    db = await createTestDatabase('station_ws');
    ids = await loadHandMadeNetwork(db.pool);
    await db.pool.query(`UPDATE roads SET length_m = ST_Length(geom::geography)`);
    const box = (x0: number, x1: number) => [...at(x0, -4000), ...at(x1, 7000)];
    for (const [adcode, [x0, x1]] of [[WEST, [-1000, 1500]], [EAST, [1500, 4000]]] as const) {
      await db.pool.query(`INSERT INTO regions (adcode, name, level, geom) VALUES ($1, $2, 'district', ST_Multi(ST_MakeEnvelope($3, $4, $5, $6, 4326)))`, [adcode, `区 ${adcode}`, ...box(x0, x1)]);
    }
    await db.pool.query(`UPDATE stations SET region_adcode = $1 WHERE name IN ('A', 'C')`, [WEST]);
    await db.pool.query(`UPDATE stations SET region_adcode = $1 WHERE name IN ('B', 'D', 'E')`, [EAST]);
    await db.pool.query(`UPDATE stations SET status = 'available'`);
    const unit = async (name: string, [lon, lat]: [number, number], region: number) =>
      Number(
        (
          await db.pool.query(
            `INSERT INTO units (name, address, point, region_adcode, contacts) VALUES ($1, $1 || '路 1 号', ST_SetSRID(ST_MakePoint($2, $3), 4326), $4,
               '[{"role":"responsible","name":"张三","phone":"13800000000"}]') RETURNING id`,
            [name, lon, lat, region],
          )
        ).rows[0].id,
      );
    eastUnit = await unit('东区商场', at(2500, 40), EAST);
    westUnit = await unit('西区学校', at(500, 40), WEST);
    alarmId = Number(
      (
        await db.pool.query(
          `INSERT INTO alarms (unit_id, kind, priority, state, region_adcode, location) SELECT $1, 'fire', 1, 'verified', $2, point FROM units WHERE id = $1 RETURNING id`,
          [eastUnit, EAST],
        )
      ).rows[0].id,
    );
    // Hydrants along the line V1–V4 every 250 m; the one nearest the unit is under repair.
    for (let x = 125; x < 3000; x += 250) {
      await db.pool.query(`INSERT INTO water_sources (kind, status, point, region_adcode) VALUES ('hydrant', $1, ST_SetSRID(ST_MakePoint($2, $3), 4326), $4)`, [
        x === 2375 ? 'under_repair' : 'usable',
        ...at(x, -10),
        x < 1500 ? WEST : EAST,
      ]);
    }
    eastSource = Number((await db.pool.query(`SELECT id FROM water_sources WHERE region_adcode = $1 ORDER BY id LIMIT 1`, [EAST])).rows[0].id);
    u.eastDispatcher = await createTestUser(db.pool, { role: 'dispatcher', regions: [EAST] });
    u.westDispatcher = await createTestUser(db.pool, { role: 'dispatcher', regions: [WEST] });
    u.unitUser = await createTestUser(db.pool, { role: 'unit_user', units: [eastUnit] });
    u.analyst = await createTestUser(db.pool, { role: 'analyst', regions: [EAST] });
    u.maintainer = await createTestUser(db.pool, { role: 'maintainer', units: [eastUnit] });
    for (const [key, station, region] of [['stationB', ids.B, EAST], ['stationE', ids.E, EAST], ['stationA', ids.A, WEST], ['unbound', null, EAST]] as const) {
      u[key] = await createTestUser(db.pool, { role: 'station', regions: [region] });
      await db.pool.query('UPDATE users SET station_id = $2 WHERE id = $1', [u[key]!.userId, station]);
    }
    server = await startTestServer(db.url, [accessFeature, dispatchFeature, waterFeature, stationFeature], { env: { FIRELINK_DEMO: '0' } });
    base = server.base;
  });
  after(async () => {
    for (const c of clients) c.close();
    await server?.close();
    await db?.drop();
  });

  let orderId: number;

  it('a dispatch reaches the dispatched station at once with unit, contacts, route, ETA and water; no other station gets it', async () => {
    const b = await StreamClient.open(base, u.stationB!);
    const e = await StreamClient.open(base, u.stationE!);
    const center = await StreamClient.open(base, u.eastDispatcher!);
    const west = await StreamClient.open(base, u.westDispatcher!);
    clients.push(b, e, center, west);
    const t0 = performance.now();
    const r = await call(u.eastDispatcher!, 'POST', '/api/dispatch/records', { alarmId, stationIds: [ids.B] });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    orderId = r.body.dispatches[0].id;
    const m = await b.wait<Extract<StationStreamMessage, { type: 'dispatch_order' }>>((x) => x.type === 'dispatch_order' && x.order.id === orderId);
    const ms = performance.now() - t0;
    assert.ok(ms < 3000, `order arrived in ${ms.toFixed(0)} ms`);
    const o = m.order;
    assert.equal(o.unit?.name, '东区商场');
    assert.equal(o.unit?.address, '东区商场路 1 号');
    assert.deepEqual(o.unit?.contacts, [{ role: 'responsible', name: '张三', phone: '13800000000' }]);
    assert.equal(o.progress, 'dispatched');
    // B at V4 drives back along V4→V3 half an edge: 30 s, plus the 40 m access leg.
    assert.equal(o.route?.method, 'road');
    assert.ok(o.route && Math.abs(o.route.etaSeconds - (30 + 40 / (20 / 3.6))) < 1.5, `eta ${o.route?.etaSeconds}`);
    assert.ok(o.route!.line.coordinates.length >= 2);
    assert.equal(o.water.length, 5);
    assert.ok(o.water.every((w) => w.method === 'road'));
    const usable = await db.pool.query(`SELECT count(*)::int AS n FROM water_sources WHERE id = ANY($1::bigint[]) AND status = 'usable'`, [o.water.map((w) => w.id)]);
    assert.equal(usable.rows[0].n, 5, 'only usable sources');
    // The center of the jurisdiction sees the order and B's new status; station E and the west see nothing of it.
    await center.wait((x) => x.type === 'dispatch_order' && x.order.id === orderId);
    await center.wait((x) => x.type === 'station_status' && x.station.id === ids.B && x.station.status === 'dispatched');
    await new Promise((r2) => setTimeout(r2, 300));
    assert.ok(!e.messages.some((x) => x.type !== 'station_hello'), `station E got ${e.messages.map((x) => x.type)}`);
    assert.ok(!west.messages.some((x) => x.type !== 'station_hello'), `the west got ${west.messages.map((x) => x.type)}`);
  });

  it('the station acknowledges and turns out; the center sees each report live; times are recorded; no going back', async () => {
    const center = clients[2]!;
    for (const progress of ['acknowledged', 'turned_out'] as const) {
      const r = await call(u.stationB!, 'POST', `/api/station/orders/${orderId}/progress`, { progress });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.order.progress, progress);
      await center.wait((x) => x.type === 'dispatch_progress' && x.order.id === orderId && x.order.progress === progress);
    }
    const back = await call(u.stationB!, 'POST', `/api/station/orders/${orderId}/progress`, { progress: 'acknowledged' });
    assert.equal(back.status, 409);
    // Skipping 'on scene' fills it: returning implies arrival.
    await db.pool.query(`UPDATE dispatches SET at = now() - interval '5 minutes', acknowledged_at = now() - interval '270 s', turned_out_at = now() - interval '230 s' WHERE id = $1`, [orderId]);
    assert.equal((await call(u.stationB!, 'POST', `/api/station/orders/${orderId}/progress`, { progress: 'on_scene' })).status, 200);
    const done = await call(u.stationB!, 'POST', `/api/station/orders/${orderId}/progress`, { progress: 'available' });
    assert.equal(done.status, 200);
    assert.equal(done.body.order.progress, 'available');
    await center.wait((x) => x.type === 'station_status' && x.station.id === ids.B && x.station.status === 'available');
    const audit = await db.pool.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'dispatch.progress' AND entity_id = $1`, [String(orderId)]);
    assert.equal(audit.rows[0].n, 4);
    const stats = stationStatsSchema.parse((await call(u.eastDispatcher!, 'GET', '/api/station/stats?days=30')).body);
    const sb = stats.stations.find((s) => s.stationId === ids.B)!;
    assert.equal(sb.turnout.n, 1);
    assert.ok(Math.abs(sb.turnout.medianS! - 70) < 2, `turnout ${sb.turnout.medianS}`);
    assert.ok(Math.abs(sb.travel.medianS! - 230) < 5, `travel ${sb.travel.medianS}`);
    assert.equal(sb.turnout.withinReference, 1);
    assert.equal(stats.turnoutReferenceS, 80);
    // An order reported straight as 'available' (every step filled with one time) counts in
    // neither turnout nor travel: it would read as 0 s of travel, inside every reference.
    const jumped = await db.pool.query(
      `INSERT INTO dispatches (station_id, at, acknowledged_at, turned_out_at, on_scene_at, returning_at, released_at)
       VALUES ($1, now() - interval '10 minutes', now(), now(), now(), now(), now()) RETURNING id`,
      [ids.B],
    );
    try {
      const again = stationStatsSchema.parse((await call(u.eastDispatcher!, 'GET', '/api/station/stats?days=30')).body).stations.find((s) => s.stationId === ids.B)!;
      assert.equal(again.turnout.n, 1);
      assert.equal(again.travel.n, 1);
      assert.ok(Math.abs(again.travel.medianS! - 230) < 5, `travel ${again.travel.medianS}`);
    } finally {
      await db.pool.query(`DELETE FROM dispatches WHERE id = $1`, [jumped.rows[0].id]);
    }
  });

  it('a station sees its own orders and its own area only; every id is checked', async () => {
    // Orders: B's order is not E's, A's or the west dispatcher's.
    assert.equal((await call(u.stationE!, 'POST', `/api/station/orders/${orderId}/progress`, { progress: 'returning' })).status, 403);
    assert.equal((await call(u.stationE!, 'GET', `/api/station/orders/${orderId}`)).status, 404);
    assert.equal((await call(u.westDispatcher!, 'GET', `/api/station/orders/${orderId}`)).status, 404);
    assert.equal((await call(u.westDispatcher!, 'POST', `/api/station/orders/${orderId}/progress`, { progress: 'returning' })).status, 404);
    assert.deepEqual(orderListSchema.parse((await call(u.stationE!, 'GET', '/api/station/orders')).body).orders, []);
    assert.equal(orderListSchema.parse((await call(u.stationB!, 'GET', '/api/station/orders')).body).orders.length, 1);
    // Units: the east station lists east units only; the west unit's pack and visits are refused.
    const list = stationUnitListSchema.parse((await call(u.stationB!, 'GET', '/api/station/units')).body);
    assert.deepEqual(list.units.map((x) => x.id), [eastUnit]);
    assert.equal((await call(u.stationB!, 'GET', `/api/station/units/${westUnit}/pack`)).status, 404);
    assert.equal((await call(u.stationB!, 'POST', `/api/station/units/${westUnit}/visits`, { note: '检查' })).status, 404);
    assert.equal((await call(u.stationB!, 'POST', `/api/station/units/${westUnit}/key-parts`, { name: '配电室' })).status, 404);
    assert.equal((await call(u.stationA!, 'GET', `/api/station/units/${eastUnit}/pack`)).status, 404);
    // Water: another district's source, point and alarm.
    assert.equal((await call(u.stationA!, 'POST', `/api/water/sources/${eastSource}/status`, { status: 'out_of_service' })).status, 404);
    assert.equal((await call(u.stationA!, 'GET', `/api/water/nearest?lon=${at(2500, 0)[0]}&lat=${at(2500, 0)[1]}`)).status, 403);
    assert.equal((await call(u.stationA!, 'GET', `/api/water/alarms/${alarmId}/nearest`)).status, 404);
    // Roles and binding.
    assert.equal((await call(u.unitUser!, 'GET', '/api/station/units')).status, 403);
    assert.equal((await call(u.unitUser!, 'GET', `/api/water/sources`)).status, 403);
    assert.equal((await call(u.unbound!, 'GET', '/api/station/orders')).status, 403);
    await assert.rejects(StreamClient.open(base, u.unitUser!), /403/);
    await assert.rejects(StreamClient.open(base, u.unbound!), /403/);
    // Bad input: a clear 400, nothing written.
    assert.equal((await call(u.stationB!, 'POST', `/api/station/orders/${orderId}/progress`, { progress: 'teleported' })).status, 400);
    assert.equal((await call(u.stationB!, 'POST', `/api/station/units/${eastUnit}/visits`, { note: '' })).status, 400);
    assert.equal((await call(u.stationB!, 'POST', `/api/station/units/${eastUnit}/visits`, { note: '  ' })).status, 400, 'blank note');
    assert.equal((await call(u.stationB!, 'POST', `/api/station/units/${eastUnit}/visits`, { note: '检查', visitedAt: '1900-01-01T09:00:00+08:00' })).status, 400, 'a visit in 1900');
    assert.equal((await call(u.stationB!, 'POST', `/api/station/units/${eastUnit}/key-parts`, { name: ' \t ' })).status, 400, 'blank key part name');
  });

  // Bug (API probe): the list routed every order and looked up its water sources
  // (38 s cold for 300 orders) and took limit=1000. It is one query now; the detail routes.
  it('the order list is summaries without route or water, limit at most 200; the detail has both', async () => {
    await db.pool.query(
      `INSERT INTO dispatches (alarm_id, station_id, at, released_at) SELECT $1, $2, now() - make_interval(mins => g), now() - make_interval(mins => g) + interval '30 minutes' FROM generate_series(10, 259) g`,
      [alarmId, ids.B],
    );
    const t0 = performance.now();
    const r = await call(u.eastDispatcher!, 'GET', `/api/station/orders?limit=${ORDER_LIST_MAX}`);
    const ms = performance.now() - t0;
    assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 300));
    assert.ok(ms < 2000, `200 orders listed in ${ms.toFixed(0)} ms`);
    const list = orderListSchema.strict().parse(r.body);
    assert.equal(list.orders.length, ORDER_LIST_MAX);
    assert.equal(list.truncated, true);
    for (const o of r.body.orders as Array<Record<string, unknown>>) assert.ok(!('route' in o) && !('water' in o), 'no route or water in a list');
    assert.equal(list.orders[0]!.id, orderId, 'newest first');
    const own = orderListSchema.parse((await call(u.stationB!, 'GET', '/api/station/orders?open=0&limit=5')).body);
    assert.equal(own.orders.length, 5);
    // The detail of one order routes it.
    const d = orderDetailSchema.parse((await call(u.stationB!, 'GET', `/api/station/orders/${list.orders[1]!.id}`)).body);
    assert.equal(d.order.route?.method, 'road');
    assert.equal(d.order.water.length, 5);
    // Limits: a clear 400 that says the maximum.
    for (const limit of [ORDER_LIST_MAX + 1, 1000, 0]) {
      const bad = await call(u.eastDispatcher!, 'GET', `/api/station/orders?limit=${limit}`);
      assert.equal(bad.status, 400, `limit=${limit}`);
      assert.match(bad.body.message, limit > 0 ? /^limit: limit is at most 200/ : /^limit: limit is at least 1/);
    }
    // Roles: the center and the stations only.
    for (const who of ['analyst', 'maintainer', 'unitUser'] as const) {
      assert.equal((await call(u[who]!, 'GET', '/api/station/orders')).status, 403, who);
      assert.equal((await call(u[who]!, 'GET', `/api/station/orders/${orderId}`)).status, 403, who);
    }
  });

  // Bug: the hello routed and looked up water for up to 200 open orders when the
  // in-process cache was cold (after a restart), holding the station's screen for seconds.
  it('the hello carries open orders as summaries: one query, no routing, even with 200 uncached orders', async () => {
    const fresh = await db.pool.query(
      `INSERT INTO dispatches (alarm_id, station_id, at) SELECT $1, $2, now() - make_interval(secs => g) FROM generate_series(1, 199) g RETURNING id`,
      [alarmId, ids.B],
    );
    try {
      const t0 = performance.now();
      const b = await StreamClient.open(base, u.stationB!);
      clients.push(b);
      const ms = performance.now() - t0;
      const hello = b.messages[0] as Extract<StationStreamMessage, { type: 'station_hello' }>;
      assert.equal(hello.type, 'station_hello');
      assert.ok(hello.orders.length >= 199, `${hello.orders.length} orders`);
      assert.ok(ms < 1500, `hello in ${ms.toFixed(0)} ms`);
      const raw = b.raw[0] as { orders: Array<Record<string, unknown>> };
      for (const o of raw.orders) assert.ok(!('route' in o) && !('water' in o), 'no route or water in the hello');
      // The detail still has both for any of them.
      const d = orderDetailSchema.parse((await call(u.stationB!, 'GET', `/api/station/orders/${Number(fresh.rows[150].id)}`)).body);
      assert.equal(d.order.route?.method, 'road');
      assert.equal(d.order.water.length, 5);
    } finally {
      await db.pool.query(`UPDATE dispatches SET released_at = now() WHERE id = ANY($1::bigint[])`, [fresh.rows.map((r) => r.id)]);
    }
  });

  it('the familiarisation pack: key parts, visits, the 12-month flag, water and the route from the station', async () => {
    const before1 = unitPackSchema.parse((await call(u.stationB!, 'GET', `/api/station/units/${eastUnit}/pack`)).body);
    assert.equal(before1.visitDue, true);
    assert.equal(before1.water.length, 5);
    assert.equal(before1.route?.method, 'road');
    assert.equal((await call(u.stationB!, 'POST', `/api/station/units/${eastUnit}/key-parts`, { floor: -1, name: '配电室', hazard: '带电设备' })).status, 201);
    const old = await call(u.stationB!, 'POST', `/api/station/units/${eastUnit}/visits`, { note: '上次熟悉', visitedAt: '2025-01-10T09:00:00+08:00' });
    assert.equal(old.status, 201);
    assert.equal(unitPackSchema.parse((await call(u.stationB!, 'GET', `/api/station/units/${eastUnit}/pack`)).body).visitDue, true, 'a visit 23 months ago leaves it due');
    const due = stationUnitListSchema.parse((await call(u.stationB!, 'GET', '/api/station/units?visitDue=1')).body);
    assert.deepEqual(due.units.map((x) => x.id), [eastUnit]);
    assert.equal((await call(u.stationB!, 'POST', `/api/station/units/${eastUnit}/visits`, { note: '熟悉疏散通道与消防控制室' })).status, 201);
    const after1 = unitPackSchema.parse((await call(u.stationB!, 'GET', `/api/station/units/${eastUnit}/pack`)).body);
    assert.equal(after1.visitDue, false);
    assert.equal(after1.visits[0]!.note, '熟悉疏散通道与消防控制室');
    assert.deepEqual(after1.keyParts.map((k) => [k.floor, k.name]), [[-1, '配电室']]);
    assert.deepEqual(stationUnitListSchema.parse((await call(u.stationB!, 'GET', '/api/station/units?visitDue=1')).body).units, []);
    // A water source marked out of service leaves the nearest list (audited).
    const first = after1.water[0]!.id;
    assert.equal((await call(u.stationB!, 'POST', `/api/water/sources/${first}/status`, { status: 'out_of_service', note: '无水' })).status, 200);
    const after2 = unitPackSchema.parse((await call(u.stationB!, 'GET', `/api/station/units/${eastUnit}/pack`)).body);
    assert.ok(!after2.water.some((w) => w.id === first));
  });

  it('the pack: key parts marked on the floor plan, plans (预案) and visit photos with type and size limits, scoped', async () => {
    // The unit's building with a 600 × 400 px plan of floor 2.
    const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 7)]);
    const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
    const building = Number(
      (await db.pool.query(`INSERT INTO buildings (footprint, floors_above) SELECT ST_Multi(ST_Buffer(point::geography, 20)::geometry), 5 FROM units WHERE id = $1 RETURNING id`, [eastUnit])).rows[0].id,
    );
    await db.pool.query(`UPDATE units SET building_id = $2 WHERE id = $1`, [eastUnit, building]);
    await db.pool.query(`INSERT INTO floor_plans (building_id, floor, image, mime_type, width_px, height_px, transform) VALUES ($1, 2, $2, 'image/png', 600, 400, '{1,0,0,1,0,0}')`, [building, PNG]);
    const pack = async (who = u.stationB!) => unitPackSchema.parse((await call(who, 'GET', `/api/station/units/${eastUnit}/pack`)).body);
    const files = async () => Number((await db.pool.query(`SELECT count(*) FROM unit_files WHERE unit_id = $1`, [eastUnit])).rows[0].count);

    // Key parts on the plan.
    const kp = await call(u.stationB!, 'POST', `/api/station/units/${eastUnit}/key-parts`, { floor: 2, name: '消防控制室', hazard: '', planPx: [100, 50] });
    assert.equal(kp.status, 201, JSON.stringify(kp.body));
    const partId = kp.body.keyPart.id as number;
    let p1 = await pack();
    assert.deepEqual(p1.floorPlans, [{ floor: 2, widthPx: 600, heightPx: 400 }]);
    assert.deepEqual(p1.keyParts.find((k) => k.id === partId)?.planPx, [100, 50]);
    // The key parts alone (the onboarding editor): the same parts and plans, scoped like the pack.
    const parts = keyPartListSchema.strict().parse((await call(u.stationB!, 'GET', `/api/station/units/${eastUnit}/key-parts`)).body);
    assert.deepEqual(parts, { keyParts: p1.keyParts, floorPlans: p1.floorPlans });
    assert.equal((await call(u.stationA!, 'GET', `/api/station/units/${eastUnit}/key-parts`)).status, 404);
    assert.equal((await call(u.analyst!, 'GET', `/api/station/units/${eastUnit}/key-parts`)).status, 403);
    const noPlan = await call(u.stationB!, 'POST', `/api/station/units/${eastUnit}/key-parts`, { floor: 3, name: '库房', planPx: [10, 10] });
    assert.equal(noPlan.status, 409);
    assert.match(noPlan.body.message, /floor 3 has no floor plan/);
    assert.equal((await call(u.stationB!, 'POST', `/api/station/units/${eastUnit}/key-parts`, { floor: 2, name: '库房', planPx: [700, 10] })).status, 400, 'outside the image');
    assert.equal((await call(u.stationB!, 'PATCH', `/api/station/units/${eastUnit}/key-parts/${partId}`, { planPx: [300, 200], hazard: '电气设备' })).status, 200);
    p1 = await pack();
    assert.deepEqual(p1.keyParts.find((k) => k.id === partId), { id: partId, floor: 2, name: '消防控制室', hazard: '电气设备', planPx: [300, 200] });
    assert.equal((await call(u.stationB!, 'PATCH', `/api/station/units/${eastUnit}/key-parts/${partId}`, { planPx: null })).body.keyPart.planPx, null);
    assert.equal((await call(u.stationA!, 'PATCH', `/api/station/units/${eastUnit}/key-parts/${partId}`, { name: 'x' })).status, 404, 'another area');
    assert.equal((await call(u.stationA!, 'PATCH', `/api/station/units/${eastUnit}/key-parts/${partId}`, { name: '' })).status, 404, 'another area, whatever the body');
    assert.equal((await call(u.stationA!, 'POST', `/api/station/units/${eastUnit}/key-parts`, { name: '' })).status, 404, 'another area, whatever the body');
    assert.equal((await call(u.stationA!, 'POST', `/api/station/units/${eastUnit}/visits`, { note: 7 })).status, 404, 'another area, whatever the body');
    // Another station of the district does not change or delete what station B recorded; the supervision side does, and keeps its own.
    const supervisor = await createTestUser(db.pool, { role: 'supervisor', regions: [EAST] });
    const del = (who: { headers: Record<string, string> }, id: number) => fetch(`${base}/api/station/units/${eastUnit}/key-parts/${id}`, { method: 'DELETE', headers: who.headers }).then((r) => r.status);
    const partOfB = (await call(u.stationB!, 'POST', `/api/station/units/${eastUnit}/key-parts`, { name: '配电房' })).body.keyPart.id as number;
    const refused = await call(u.stationE!, 'PATCH', `/api/station/units/${eastUnit}/key-parts/${partOfB}`, { name: '改名' });
    assert.equal(refused.status, 403);
    assert.match(refused.body.message, /another station/);
    assert.equal(await del(u.stationE!, partOfB), 403);
    assert.equal((await call(supervisor, 'PATCH', `/api/station/units/${eastUnit}/key-parts/${partOfB}`, { hazard: '变压器' })).status, 200);
    const partOfSupervision = (await call(supervisor, 'POST', `/api/station/units/${eastUnit}/key-parts`, { name: '储油间' })).body.keyPart.id as number;
    assert.equal(await del(u.stationB!, partOfSupervision), 403);
    assert.equal(await del(u.stationB!, partOfB), 204);
    assert.equal(await del(supervisor, partOfSupervision), 204);
    assert.equal((await fetch(`${base}/api/station/units/${eastUnit}/key-parts/${partId}`, { method: 'DELETE', headers: u.stationB!.headers })).status, 204);
    assert.ok(!(await pack()).keyParts.some((k) => k.id === partId));

    // Plans: a PDF is stored and comes back byte for byte, as a download with its name.
    const before = await files();
    const up = await upload(u.stationB!, `/api/station/units/${eastUnit}/plans?title=${encodeURIComponent('灭火救援预案')}&name=${encodeURIComponent('预案 2026.pdf')}`, 'application/pdf', PDF);
    assert.equal(up.status, 201, JSON.stringify(up.body));
    assert.equal(up.body.file.fileName, '预案 2026.pdf');
    const got = await fetch(`${base}/api/station/units/${eastUnit}/files/${up.body.file.id}`, { headers: u.stationB!.headers });
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('content-type'), 'application/pdf');
    assert.match(got.headers.get('content-disposition') ?? '', /^attachment; .*filename\*=UTF-8''%E9%A2%84%E6%A1%88/);
    assert.ok(Buffer.from(await got.arrayBuffer()).equals(PDF));
    p1 = await pack();
    assert.deepEqual(p1.plans.map((f) => [f.title, f.mimeType, f.sizeBytes]), [['灭火救援预案', 'application/pdf', PDF.length]]);
    // Refused: bytes that are not the declared type, SVG, an unknown type, too large; nothing is stored.
    assert.equal((await upload(u.stationB!, `/api/station/units/${eastUnit}/plans`, 'application/pdf', Buffer.from('MZ not a pdf'))).status, 400);
    assert.equal((await upload(u.stationB!, `/api/station/units/${eastUnit}/plans`, 'image/svg+xml', Buffer.from('<svg/>'))).status, 400);
    assert.equal((await upload(u.stationB!, `/api/station/units/${eastUnit}/plans`, 'application/zip', Buffer.from('PK'))).status, 400);
    const big = Buffer.concat([PDF, Buffer.alloc(21 * 1024 * 1024)]);
    assert.equal((await upload(u.stationB!, `/api/station/units/${eastUnit}/plans`, 'application/pdf', big).catch(() => ({ status: 413 }))).status, 413);
    assert.equal(await files(), before + 1, 'refused uploads store nothing');
    // Scope: another area's station cannot read, list or add; an analyst cannot read.
    assert.equal((await fetch(`${base}/api/station/units/${eastUnit}/files/${up.body.file.id}`, { headers: u.stationA!.headers })).status, 404);
    assert.equal((await fetch(`${base}/api/station/units/${eastUnit}/files/${up.body.file.id}`, { headers: u.analyst!.headers })).status, 403);
    assert.equal((await upload(u.stationA!, `/api/station/units/${eastUnit}/plans`, 'application/pdf', PDF)).status, 404);
    assert.equal((await fetch(`${base}/api/station/units/${westUnit}/files/${up.body.file.id}`, { headers: u.stationA!.headers })).status, 404, 'a file id under another unit');

    // Visit photos: on the station's own visit, shown inline; another station's visit is refused.
    const visit = await call(u.stationB!, 'POST', `/api/station/units/${eastUnit}/visits`, { note: '拍照记录消防控制室' });
    const ph = await upload(u.stationB!, `/api/station/units/${eastUnit}/visits/${visit.body.visit.id}/photos?name=room.png`, 'image/png', PNG);
    assert.equal(ph.status, 201, JSON.stringify(ph.body));
    const inline = await fetch(`${base}/api/station/units/${eastUnit}/files/${ph.body.file.id}`, { headers: u.stationB!.headers });
    assert.equal(inline.headers.get('content-type'), 'image/png');
    assert.match(inline.headers.get('content-disposition') ?? '', /^inline/);
    p1 = await pack();
    assert.deepEqual(p1.visits.find((x) => x.id === visit.body.visit.id)?.photos.map((f) => f.fileName), ['room.png']);
    assert.equal((await upload(u.stationE!, `/api/station/units/${eastUnit}/visits/${visit.body.visit.id}/photos`, 'image/png', PNG)).status, 403);
    assert.equal((await upload(u.stationB!, `/api/station/units/${eastUnit}/visits/${visit.body.visit.id}/photos`, 'application/pdf', PDF)).status, 400, 'photos are images');
    // Deleting: another station may not; the uploader may.
    assert.equal((await fetch(`${base}/api/station/units/${eastUnit}/files/${up.body.file.id}`, { method: 'DELETE', headers: u.stationE!.headers })).status, 403);
    assert.equal((await fetch(`${base}/api/station/units/${eastUnit}/files/${up.body.file.id}`, { method: 'DELETE', headers: u.stationB!.headers })).status, 204);
    assert.deepEqual((await pack()).plans, []);
    const audit = await db.pool.query(`SELECT action FROM audit_log WHERE entity = 'unit' AND entity_id = $1 AND action LIKE 'unit.%' ORDER BY id`, [String(eastUnit)]);
    for (const a of ['unit.key_part.update', 'unit.key_part.delete', 'unit.plan_file', 'unit.visit_photo', 'unit.file.delete']) assert.ok(audit.rows.some((r) => r.action === a), a);
  });

  it('the unit list: one page of list rows, every matching unit on the map as columns of numbers, further pages by offset', async () => {
    const extra = await db.pool.query(
      `INSERT INTO units (name, address, point, region_adcode, high_risk) SELECT '东区仓库 ' || g, '东区路 ' || g || ' 号', ST_SetSRID(ST_MakePoint($1 + g * 0.0001, $2), 4326), $3, g = 1
         FROM generate_series(1, 4) g RETURNING id`,
      [...at(2600, 100), EAST],
    );
    try {
      const r = await call(u.stationB!, 'GET', '/api/station/units?limit=2');
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const first = stationUnitListSchema.strict().parse(r.body);
      assert.equal(first.total, 5);
      assert.equal(first.units.length, 2);
      assert.equal(first.nextOffset, 2);
      // The list rows carry the list's columns only; the map has all five as plain numbers.
      for (const row of r.body.units as Array<Record<string, unknown>>) assert.deepEqual(Object.keys(row).sort(), ['address', 'category', 'heightM', 'highRisk', 'id', 'lastVisitAt', 'name', 'openAlarms', 'visitDue']);
      const pts = first.points;
      assert.equal(pts.ids.length, 5);
      assert.equal(pts.lon.length, 5);
      assert.equal(pts.lat.length, 5);
      const row = (await db.pool.query(`SELECT ST_X(point) AS lon, ST_Y(point) AS lat FROM units WHERE id = $1`, [eastUnit])).rows[0];
      const i = pts.ids.indexOf(eastUnit);
      assert.ok(Math.abs(pts.lon[i]! - row.lon) < 1e-5 && Math.abs(pts.lat[i]! - row.lat) < 1e-5, 'to 5 decimals');
      // The east unit has an open alarm and a recent visit; the first warehouse is high risk and never visited.
      assert.equal(pts.flags[i], STATION_UNIT_FLAG.openAlarms);
      assert.equal(pts.flags[pts.ids.indexOf(Number(extra.rows[0].id))], STATION_UNIT_FLAG.highRisk | STATION_UNIT_FLAG.visitDue);
      assert.equal(first.units[0]!.id, eastUnit, 'open alarms first');
      // Pages: the rest in order, then none; the pages together are the map's units.
      const second = stationUnitListSchema.parse((await call(u.stationB!, 'GET', '/api/station/units?limit=2&offset=2')).body);
      const third = stationUnitListSchema.parse((await call(u.stationB!, 'GET', '/api/station/units?limit=2&offset=4')).body);
      assert.equal(second.nextOffset, 4);
      assert.equal(third.nextOffset, null);
      assert.deepEqual([...first.units, ...second.units, ...third.units].map((x) => x.id).sort((a, b) => a - b), [...pts.ids].sort((a, b) => a - b));
      // Search narrows both the list and the map.
      const q = stationUnitListSchema.parse((await call(u.stationB!, 'GET', `/api/station/units?q=${encodeURIComponent('仓库 3')}`)).body);
      assert.equal(q.total, 1);
      assert.deepEqual(q.points.ids, [Number(extra.rows[2].id)]);
      const bad = await call(u.stationB!, 'GET', '/api/station/units?limit=501');
      assert.equal(bad.status, 400);
      assert.match(bad.body.message, /limit is at most 500/);
    } finally {
      await db.pool.query(`DELETE FROM units WHERE id = ANY($1::bigint[])`, [extra.rows.map((x) => x.id)]);
    }
  });

  /**
   * Starts an upload that declares `length` bytes and sends only the first 64 KiB, then waits
   * for the answer: a refusal must come before the body does (it would never come otherwise).
   */
  const partialUpload = (who: TestUser, path: string, type: string, length: number) =>
    new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
      const req = request(`${base}${path}`, { method: 'POST', headers: { ...who.headers, 'content-type': type, 'content-length': String(length) } });
      const timer = setTimeout(() => {
        req.destroy();
        reject(new Error('no answer before the body was sent: the server waited for the body'));
      }, 5000);
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          clearTimeout(timer);
          req.destroy();
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text || '{}') });
        });
      });
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.write(Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(64 * 1024)]));
    });

  it('uploads are refused on role, jurisdiction, visit and quota before the body is read', async () => {
    const files = async () => Number((await db.pool.query(`SELECT count(*) FROM unit_files WHERE unit_id = $1`, [eastUnit])).rows[0].count);
    const n0 = await files();
    const MiB = 1024 * 1024;
    // A role that may not upload, another district's station, an unknown visit, another station's visit.
    const analyst = await partialUpload(u.analyst!, `/api/station/units/${eastUnit}/plans`, 'application/pdf', 10 * MiB);
    assert.equal(analyst.status, 403);
    assert.equal(analyst.body.error, 'forbidden');
    assert.equal((await partialUpload(u.stationA!, `/api/station/units/${eastUnit}/plans`, 'application/pdf', 10 * MiB)).status, 404);
    assert.equal((await partialUpload(u.stationB!, `/api/station/units/${eastUnit}/visits/999999/photos`, 'image/png', 5 * MiB)).status, 404);
    const visit = await call(u.stationB!, 'POST', `/api/station/units/${eastUnit}/visits`, { note: '照片配额' });
    assert.equal(visit.status, 201);
    assert.equal((await partialUpload(u.stationE!, `/api/station/units/${eastUnit}/visits/${visit.body.visit.id}/photos`, 'image/png', 5 * MiB)).status, 403);
    // A file declared over its own maximum (a plan 20 MiB) is refused before its body too.
    const big = await partialUpload(u.stationB!, `/api/station/units/${eastUnit}/plans`, 'application/pdf', PACK_PLAN_MAX_BYTES + 1);
    assert.equal(big.status, 413);
    assert.equal(big.body.error, 'payload_too_large');
    // Photos sent at once: the per-visit maximum holds (each count sees the files the others committed).
    const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 7)]);
    const burst = await Promise.all(
      Array.from({ length: PACK_PHOTOS_PER_VISIT_MAX + 4 }, (_, i) => upload(u.stationB!, `/api/station/units/${eastUnit}/visits/${visit.body.visit.id}/photos?name=p${i}.png`, 'image/png', PNG)),
    );
    assert.equal(burst.filter((r) => r.status === 201).length, PACK_PHOTOS_PER_VISIT_MAX);
    assert.deepEqual([...new Set(burst.filter((r) => r.status !== 201).map((r) => r.status))], [409]);
    const stored = Number((await db.pool.query(`SELECT count(*) FROM unit_files WHERE visit_id = $1`, [visit.body.visit.id])).rows[0].count);
    assert.equal(stored, PACK_PHOTOS_PER_VISIT_MAX);
    await db.pool.query(`DELETE FROM unit_files WHERE visit_id = $1`, [visit.body.visit.id]);
    // The quota: what the unit keeps plus the declared length; refused with a code the screen translates.
    await db.pool.query(
      `INSERT INTO unit_files (unit_id, kind, title, file_name, mime_type, size_bytes, content, by_name) VALUES ($1, 'plan', '大文件', 'big.pdf', 'application/pdf', $2, '\\x25504446', '测试')`,
      [eastUnit, PACK_UNIT_QUOTA_BYTES - 12 * MiB],
    );
    try {
      const over = await partialUpload(u.stationB!, `/api/station/units/${eastUnit}/plans`, 'application/pdf', 15 * MiB);
      assert.equal(over.status, 413);
      assert.equal(over.body.error, 'unit_quota_exceeded');
      assert.equal(over.body.quotaBytes, PACK_UNIT_QUOTA_BYTES);
      assert.match(String(over.body.message), /^the unit keeps at most 200mb of plans and photos/);
      assert.doesNotMatch(String(over.body.message), /[\u4e00-\u9fff]/, 'the message is not Chinese: the screen says it in its own words');
      // Within the quota a file is still taken; one byte over (counted after reading, no length declared up front) is not.
      const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
      assert.equal((await upload(u.stationB!, `/api/station/units/${eastUnit}/plans`, 'application/pdf', PDF)).status, 201);
      await db.pool.query(`UPDATE unit_files SET size_bytes = $2 WHERE unit_id = $1 AND file_name = 'big.pdf'`, [eastUnit, PACK_UNIT_QUOTA_BYTES - PDF.length - 10]);
      const chunked = await fetch(`${base}/api/station/units/${eastUnit}/plans`, {
        method: 'POST',
        headers: { ...u.stationB!.headers, 'content-type': 'application/pdf' },
        body: new ReadableStream({ start: (c) => (c.enqueue(new Uint8Array(PDF)), c.close()) }),
        duplex: 'half',
      } as RequestInit);
      assert.equal(chunked.status, 413);
      assert.equal(((await chunked.json()) as { error: string }).error, 'unit_quota_exceeded');
    } finally {
      await db.pool.query(`DELETE FROM unit_files WHERE unit_id = $1 AND file_name IN ('big.pdf', 'file.pdf')`, [eastUnit]);
    }
    assert.equal(await files(), n0, 'refused uploads stored nothing');
  });

  it('visit records are rate limited per account: 429 with the wait, nothing written', async () => {
    const who = await createTestUser(db.pool, { role: 'station', regions: [EAST] });
    await db.pool.query('UPDATE users SET station_id = $2 WHERE id = $1', [who.userId, ids.B]);
    const posts = await Promise.all(Array.from({ length: VISIT_RATE_MAX + 3 }, (_, i) => call(who, 'POST', `/api/station/units/${eastUnit}/visits`, { note: `频率 ${i}` })));
    assert.equal(posts.filter((p) => p.status === 201).length, VISIT_RATE_MAX, 'concurrent requests count in turn');
    const refused = posts.filter((p) => p.status !== 201);
    assert.equal(refused.length, 3);
    for (const r of refused) {
      assert.equal(r.status, 429);
      assert.equal(r.body.error, 'visit_rate_limited');
      assert.ok(r.body.retryAfterS > 0 && r.body.retryAfterS <= 600, `retryAfterS ${r.body.retryAfterS}`);
    }
    const n = (await db.pool.query(`SELECT count(*)::int AS n FROM unit_visits WHERE by_user = $1`, [who.userId])).rows[0].n;
    assert.equal(n, VISIT_RATE_MAX);
    // Another account is not held up.
    assert.equal((await call(u.stationB!, 'POST', `/api/station/units/${eastUnit}/visits`, { note: '另一账号' })).status, 201);
  });
});
