// Units API and onboarding workflow over real HTTP, real PostGIS, real bearer sessions.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { createTestUser, type TestUser } from '../auth/testing.ts';
import { ingestFeature } from '../devices/feature.ts';
import { startTestServer, type Reply, type TestServer } from '../devtools/test-support.ts';
import { loadOnboardingConfig } from './config.ts';
import { ensureDemoAgency } from './demo.ts';
import { onboardingFeature } from './feature.ts';

// A square district around Xinjiekou and a 60 m × 40 m building inside it.
const DISTRICT = 320106;
const OTHER_DISTRICT = 320102;
const SQUARE = 'MULTIPOLYGON(((118.75 32.03, 118.80 32.03, 118.80 32.08, 118.75 32.08, 118.75 32.03)))';
const FOOTPRINT = 'MULTIPOLYGON(((118.7800 32.0500, 118.7806 32.0500, 118.7806 32.0504, 118.7800 32.0504, 118.7800 32.0500)))';
const INSIDE: [number, number] = [118.7803, 32.0502];

type Json = Record<string, unknown> & { missing?: Array<{ rule: string }> };

describe('units API and onboarding workflow', () => {
  let db: TestDatabase;
  let server: TestServer;
  let base: string;
  let admin: TestUser, supervisor: TestUser, otherSupervisor: TestUser, operator: TestUser, collector: TestUser, verifier: TestUser;
  let maintAgency: number, opsAgency: number, buildingId: number, unitId: number;

  const call = (user: TestUser, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply<Json>> =>
    server.call(user, method, path, body, headers);
  const version = async (id = unitId) => Number((await call(admin, 'GET', `/api/units/${id}`)).body.version);
  const step = async (user: TestUser, to: string, note = '', id = unitId) =>
    call(user, 'POST', `/api/units/${id}/transition`, { to, note, version: await version(id) });

  before(async () => {
    db = await createTestDatabase('onboarding');
    const p = db.pool;
    await p.query(`INSERT INTO regions (adcode, name, level) VALUES (320000, '江苏省', 'province') ON CONFLICT DO NOTHING`);
    await p.query(`INSERT INTO regions (adcode, name, level, parent_adcode) VALUES (320100, '南京市', 'city', 320000) ON CONFLICT DO NOTHING`);
    await p.query(
      `INSERT INTO regions (adcode, name, level, parent_adcode, geom) VALUES ($1, '秦淮区', 'district', 320100, ST_GeomFromText($2, 4326))
       ON CONFLICT (adcode) DO UPDATE SET geom = EXCLUDED.geom`,
      [DISTRICT, SQUARE],
    );
    await p.query(`INSERT INTO regions (adcode, name, level, parent_adcode) VALUES ($1, '玄武区', 'district', 320100) ON CONFLICT DO NOTHING`, [OTHER_DISTRICT]);
    buildingId = Number((await p.query(`INSERT INTO buildings (name, footprint, floors_above, floors_below, region_adcode) VALUES ('A座', ST_GeomFromText($1, 4326), 5, 1, $2) RETURNING id`, [FOOTPRINT, DISTRICT])).rows[0].id);
    maintAgency = Number((await p.query(`INSERT INTO maintenance_agencies (name, phone, kind) VALUES ('维保甲', '025-11110000', 'maintenance') RETURNING id`)).rows[0].id);
    opsAgency = Number((await p.query(`INSERT INTO maintenance_agencies (name, phone, kind) VALUES ('运维乙', '025-22220000', 'operations') RETURNING id`)).rows[0].id);
    admin = await createTestUser(p, { role: 'admin' });
    supervisor = await createTestUser(p, { role: 'supervisor', regions: [DISTRICT] });
    otherSupervisor = await createTestUser(p, { role: 'supervisor', regions: [OTHER_DISTRICT] });
    operator = await createTestUser(p, { role: 'operator', regions: [320100] });
    // The devices feature serves the unit's device registration (/api/units/:id/devices).
    server = await startTestServer(db.url, [onboardingFeature({ config: loadOnboardingConfig({ ONBOARDING_DRAWINGS_DAYS: '30' }) }), ingestFeature()], {
      env: { FIRELINK_DEMO: '0', DUTY_CHECKS_PER_SHIFT: '0' },
    });
    base = server.base;
  });
  after(async () => {
    await server?.close();
    await db?.drop();
  });

  it('creates a unit tied to its place: district by point-in-polygon, building, H3 cells', async () => {
    const r = await call(supervisor, 'POST', '/api/units', { name: '新街口百货', lonLatWgs84: INSIDE, category: 'mall' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    unitId = Number(r.body.id);
    assert.equal(r.body.regionAdcode, DISTRICT);
    assert.equal(r.body.regionName, '秦淮区');
    assert.equal(r.body.highRisk, true);
    assert.equal(r.body.onboardingState, 'registered');
    assert.match(String(r.body.h3R9), /^89[0-9a-f]{13}$/);
    assert.equal((r.body.building as { id: number }).id, buildingId);
    assert.equal((r.body.floors as unknown[]).length, 6); // B1 + 1F–5F
    const row = (await db.pool.query('SELECT h3_r7, h3_r8 FROM units WHERE id = $1', [unitId])).rows[0];
    assert.ok(row.h3_r7 && row.h3_r8);
    const audit = await db.pool.query(`SELECT actor_name FROM audit_log WHERE action = 'unit.create' AND entity_id = $1`, [String(unitId)]);
    assert.equal(audit.rows[0]?.actor_name, supervisor.username);
  });

  it('refuses creating outside the caller\'s jurisdiction and unknown categories, saying how to fix', async () => {
    const out = await call(otherSupervisor, 'POST', '/api/units', { name: 'x', lonLatWgs84: INSIDE });
    assert.equal(out.status, 403);
    assert.match(String(out.body.message), /outside your jurisdiction/);
    const cat = await call(admin, 'POST', '/api/units', { name: 'x', category: 'spaceport' });
    assert.equal(cat.status, 400);
    assert.match(String(cat.body.message), /unknown category/);
    const bad = await call(admin, 'POST', '/api/units', { name: '' });
    assert.equal(bad.status, 400);
  });

  it('lists units with filters and scope; the detail is scoped too', async () => {
    await call(admin, 'POST', '/api/units', { name: '城外仓库', lonLatWgs84: [119.5, 31.5], category: 'warehouse' });
    const mine = await call(supervisor, 'GET', '/api/units?limit=10');
    assert.equal(mine.status, 200);
    assert.deepEqual((mine.body.items as Array<{ id: number }>).map((u) => u.id), [unitId]);
    const all = await call(admin, 'GET', '/api/units?q=%E4%BB%93%E5%BA%93'); // 仓库
    assert.equal(all.body.total, 1);
    const inBox = await call(admin, 'GET', '/api/units?bbox=118.7,32.0,118.9,32.1&state=registered,collecting');
    assert.deepEqual((inBox.body.items as Array<{ id: number }>).map((u) => u.id), [unitId]);
    const beyond = await call(admin, 'GET', '/api/units?offset=50');
    assert.deepEqual([beyond.body.total, (beyond.body.items as unknown[]).length], [2, 0]);
    const region = await call(admin, 'GET', '/api/units?region=320100');
    assert.equal(region.body.total, 1);
    assert.equal((await call(otherSupervisor, 'GET', `/api/units/${unitId}`)).status, 404);
    assert.equal((await call(otherSupervisor, 'GET', '/api/units')).body.total, 0);
    assert.equal((await call(admin, 'GET', '/api/units?bbox=1,2,3')).status, 400);
  });

  it('updates with optimistic concurrency and audits before/after', async () => {
    const v = await version();
    const ok = await call(supervisor, 'PATCH', `/api/units/${unitId}`, { version: v, address: '中山路1号' });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.version, v + 1);
    const stale = await call(supervisor, 'PATCH', `/api/units/${unitId}`, { version: v, address: '中山路2号' });
    assert.equal(stale.status, 409);
    assert.equal(stale.body.currentVersion, v + 1);
    const audit = await db.pool.query(`SELECT before, after FROM audit_log WHERE action = 'unit.update' AND entity_id = $1`, [String(unitId)]);
    assert.deepEqual(audit.rows[0].before, { address: null });
    assert.deepEqual(audit.rows[0].after, { address: '中山路1号' });
    assert.equal((await call(operator, 'PATCH', `/api/units/${unitId}`, { version: v + 1, name: 'x' })).status, 403);
  });

  it('walks the lifecycle with the right roles and refuses the wrong ones', async () => {
    collector = await createTestUser(db.pool, { role: 'maintainer', units: [unitId] });
    verifier = await createTestUser(db.pool, { role: 'maintainer', units: [unitId] });
    await db.pool.query('UPDATE users SET maintenance_agency_id = $2 WHERE id = $1', [collector.userId, maintAgency]);
    await db.pool.query('UPDATE users SET maintenance_agency_id = $2 WHERE id = $1', [verifier.userId, opsAgency]);

    // registered → collecting: the maintenance agency.
    for (const u of [operator, verifier, supervisor]) assert.equal((await step(u, 'collecting')).status, 403);
    assert.equal((await step(admin, 'open')).status, 409); // no such step
    const c = await step(collector, 'collecting', '开始采集');
    assert.equal(c.status, 200, JSON.stringify(c.body));
    assert.equal(c.body.state, 'collecting');

    // collecting → verified: the operations company on site.
    for (const u of [collector, admin, supervisor, operator]) {
      const r = await step(u, 'verified');
      assert.equal(r.status, 403, `${u.username}: ${JSON.stringify(r.body)}`);
    }
    assert.match(String((await step(collector, 'verified')).body.message), /operations company/);
    assert.equal((await step(verifier, 'verified', '现场核实完成')).status, 200);

    // verified → reviewed: the monitoring-center director (admin).
    for (const u of [verifier, collector, supervisor, operator]) assert.equal((await step(u, 'reviewed')).status, 403);
    assert.equal((await step(admin, 'reviewed')).status, 200);

    // Sent back needs a reason; then up again.
    assert.equal((await step(admin, 'collecting', '')).status, 400);
    assert.equal((await step(admin, 'collecting', '责任人电话有误')).status, 200);
    assert.equal((await step(verifier, 'verified')).status, 200);
    assert.equal((await step(admin, 'reviewed')).status, 200);

    // A stale version is refused.
    const stale = await call(admin, 'POST', `/api/units/${unitId}/transition`, { to: 'open', version: 1 });
    assert.equal(stale.status, 409);

    // Opening: refused while incomplete, with the list.
    for (const u of [supervisor, verifier, operator]) assert.equal((await step(u, 'open')).status, 403);
    const refused = await step(admin, 'open');
    assert.equal(refused.status, 422);
    assert.equal(refused.body.error, 'incomplete');
    assert.deepEqual(
      refused.body.missing!.map((m) => m.rule),
      ['control_room', 'responsible_persons', 'maintenance_agency', 'uitd_address', 'point_totals'],
    );
    const st = (await call(admin, 'GET', `/api/units/${unitId}`)).body;
    assert.equal(st.onboardingState, 'reviewed');

    const hist = await db.pool.query(
      `SELECT before->>'state' AS f, after->>'state' AS t, after->>'note' AS note, actor_name FROM audit_log
       WHERE action = 'unit.transition' AND entity_id = $1 ORDER BY id`,
      [String(unitId)],
    );
    assert.deepEqual(hist.rows.map((h) => `${h.f}>${h.t}`), [
      'registered>collecting', 'collecting>verified', 'verified>reviewed', 'reviewed>collecting', 'collecting>verified', 'verified>reviewed',
    ]);
    assert.equal(hist.rows[3].note, '责任人电话有误');
    assert.equal(hist.rows[0].actor_name, collector.username);
  });

  it('blocks opening on a point-total mismatch until points match or the difference is explained', async () => {
    const dev = await call(collector, 'POST', `/api/units/${unitId}/devices`, { address: 112233445566, model: 'UITD-1' });
    assert.equal(dev.status, 201, JSON.stringify(dev.body));
    const taken = await call(admin, 'POST', '/api/units', { name: '别的单位' });
    const clash = await call(admin, 'POST', `/api/units/${taken.body.id}/devices`, { address: 112233445566 });
    assert.equal(clash.status, 409);
    assert.equal((await call(collector, 'POST', `/api/units/${unitId}/devices`, { address: 2 ** 48 })).status, 400);
    const fill = await call(collector, 'PATCH', `/api/units/${unitId}`, {
      version: await version(),
      controlRoomPhone: '025-84000000',
      contacts: [
        { role: 'responsible', name: '张三', phone: '13800000001' },
        { role: 'manager', name: '李四', phone: '13800000002' },
      ],
      maintenanceAgencyId: maintAgency,
      verifiedDetectionPoints: 3,
      verifiedLinkagePoints: 1,
    });
    assert.equal(fill.status, 200, JSON.stringify(fill.body));
    const r = await step(admin, 'open');
    assert.equal(r.status, 422);
    assert.deepEqual(r.body.missing!.map((m) => m.rule), ['point_totals']);
    assert.match(JSON.stringify(r.body.missing), /verified 3 vs registered 0/);

    // Bulk import from CSV: 2 smoke detectors, 1 call point (floor 1, one with a position), 1 module on the linkage controller.
    const csv = 'system_type,system_address,component_type,loop,point,floor,label,x,y\n1,0,42,1,1,1,1F大厅,10,5\n1,0,42,1,2,1,1F走廊,,\n1,0,23,1,3,2,2F手报,,\n10,0,84,2,1,-1,B1排烟风机,,\n';
    const imp = await call(collector, 'POST', `/api/units/${unitId}/points/import`, { format: 'csv', text: csv });
    assert.equal(imp.status, 200, JSON.stringify(imp.body));
    assert.deepEqual(imp.body, { inserted: 4, updated: 0, total: 4 });
    const again = await call(collector, 'POST', `/api/units/${unitId}/points/import`, { format: 'csv', text: csv });
    assert.deepEqual(again.body, { inserted: 0, updated: 4, total: 4 });
    const badCsv = await call(collector, 'POST', `/api/units/${unitId}/points/import`, { format: 'csv', text: 'component_type\nsmoke\n' });
    assert.equal(badCsv.status, 400);
    assert.equal((badCsv.body.rows as unknown[]).length, 1);

    const opened = await step(admin, 'open', '资料齐全，开通');
    assert.equal(opened.status, 200, JSON.stringify(opened.body));
    assert.equal(opened.body.state, 'open');
    assert.ok(opened.body.openedAt);
    assert.match(String(opened.body.drawingsDue), /^\d{4}-\d{2}-\d{2}$/); // 3 points still without a position

    const d = (await call(admin, 'GET', `/api/units/${unitId}`)).body as Json & { floors: Array<{ floor: number | null; points: Array<{ label: string; localXY: number[] | null; lonLatWgs84: number[] | null }> }> };
    const f1 = d.floors.find((f) => f.floor === 1)!;
    assert.equal(f1.points.length, 2);
    const placed = f1.points.find((p) => p.label === '1F大厅')!;
    assert.deepEqual(placed.localXY, [10, 5]);
    assert.ok(placed.lonLatWgs84![0]! > 118.78 && placed.lonLatWgs84![1]! > 32.05);
    assert.equal((d.completeness as { pointsWithoutPosition: number }).pointsWithoutPosition, 3);
    assert.equal((d.devices as unknown[]).length, 1);
  });

  it('explains a mismatch with point_total_note instead of importing', async () => {
    const u2 = Number((await call(admin, 'POST', '/api/units', {
      name: '差异说明单位', address: '汉中路2号', lonLatWgs84: INSIDE, category: 'hotel', controlRoomPhone: '025-1', maintenanceAgencyId: maintAgency,
      contacts: [{ role: 'responsible', name: '甲', phone: '13900000001' }, { role: 'manager', name: '乙', phone: '13900000002' }],
      verifiedDetectionPoints: 120, verifiedLinkagePoints: 30,
    })).body.id);
    await db.pool.query(`INSERT INTO devices (unit_id, address) VALUES ($1, 99887766)`, [u2]);
    await db.pool.query(`UPDATE units SET onboarding_state = 'reviewed' WHERE id = $1`, [u2]);
    const r = await step(admin, 'open', '', u2);
    assert.deepEqual(r.body.missing!.map((m) => m.rule), ['point_totals']);
    await call(admin, 'PATCH', `/api/units/${u2}`, { version: await version(u2), pointTotalNote: '点位表待厂家导出，已现场清点' });
    assert.equal((await step(admin, 'open', '', u2)).status, 200);
  });

  it('suspends, reopens and closes with the right roles', async () => {
    assert.equal((await step(supervisor, 'suspended', '')).status, 400);
    assert.equal((await step(operator, 'suspended', '停业')).status, 403);
    assert.equal((await step(supervisor, 'suspended', '停业整改')).status, 200);
    assert.equal((await step(supervisor, 'open')).status, 403);
    assert.equal((await step(admin, 'open', '整改完成')).status, 200);
    // Closing: admin only, with a reason, from any state but closed.
    const gone = Number((await call(admin, 'POST', '/api/units', { name: '拆迁单位', lonLatWgs84: INSIDE })).body.id);
    assert.equal((await step(supervisor, 'closed', '已拆除', gone)).status, 403);
    assert.equal((await step(admin, 'closed', '', gone)).status, 400);
    assert.equal((await step(admin, 'closed', '已拆除', gone)).status, 200);
    assert.equal((await step(admin, 'collecting', '重新登记', gone)).status, 409);
  });

  it('tracks new construction until a passing acceptance check', async () => {
    const u3 = Number((await call(admin, 'POST', '/api/units', {
      name: '在建综合体', address: '集庆路9号', lonLatWgs84: INSIDE, category: 'mall', controlRoomPhone: '025-2', maintenanceAgencyId: maintAgency, underConstruction: true,
      contacts: [{ role: 'responsible', name: '丙', phone: '13700000001' }, { role: 'manager', name: '丁', phone: '13700000002' }],
      verifiedDetectionPoints: 0, verifiedLinkagePoints: 0,
    })).body.id);
    await db.pool.query(`INSERT INTO devices (unit_id, address) VALUES ($1, 5550001)`, [u3]);
    await db.pool.query(`UPDATE units SET onboarding_state = 'reviewed' WHERE id = $1`, [u3]);
    const tracked = await call(supervisor, 'GET', '/api/units?underConstruction=true');
    assert.deepEqual((tracked.body.items as Array<{ id: number }>).map((u) => u.id), [u3]);
    assert.deepEqual((await step(admin, 'open', '', u3)).body.missing!.map((m) => m.rule), ['acceptance']);
    const check = {
      checkedOn: '2026-11-20', deviceTested: true, fireSignalReceived: true, faultSignalReceived: true, supervisorySignalReceived: true,
      feedbackSignalReceived: false, dutyCheckAnswered: true, result: 'fail', inspector: '王工', notes: '反馈信号未收到',
    };
    assert.equal((await call(operator, 'POST', `/api/units/${u3}/acceptance-checks`, check)).status, 403);
    const failed = await call(verifier, 'POST', `/api/units/${u3}/acceptance-checks`, check);
    assert.equal(failed.status, 404); // verifier is not bound to this unit
    assert.equal((await call(supervisor, 'POST', `/api/units/${u3}/acceptance-checks`, check)).body.constructionAccepted, false);
    const pass = await call(supervisor, 'POST', `/api/units/${u3}/acceptance-checks`, { ...check, feedbackSignalReceived: true, result: 'pass', notes: '' });
    assert.equal(pass.status, 201);
    assert.equal(pass.body.constructionAccepted, true);
    const list = await call(admin, 'GET', `/api/units/${u3}/acceptance-checks`);
    assert.equal((list.body as unknown as unknown[]).length, 2);
    const d = (await call(admin, 'GET', `/api/units/${u3}`)).body;
    assert.equal(d.underConstruction, false);
    assert.ok(d.constructionAcceptedAt);
    assert.equal((await step(admin, 'open', '', u3)).status, 200);
  });

  it('uploads a floor plan and places a point by plan pixels (building frame + WGS84)', async () => {
    const png = Buffer.alloc(64);
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(png);
    png.writeUInt32BE(600, 16);
    png.writeUInt32BE(400, 20);
    const up = await call(collector, 'PUT', `/api/units/${unitId}/floors/2/plan`, png, { 'content-type': 'image/png' });
    assert.equal(up.status, 200, JSON.stringify(up.body));
    assert.equal(up.body.widthPx, 600);
    const img = await fetch(`${base}/api/units/${unitId}/floors/2/plan`, { headers: admin.headers });
    assert.equal(img.headers.get('content-type'), 'image/png');
    assert.equal(Buffer.from(await img.arrayBuffer()).length, 64);
    assert.equal((await call(collector, 'PUT', `/api/units/${unitId}/floors/0/plan`, png, { 'content-type': 'image/png' })).status, 400);
    // Without a session the upload is refused before its body is read, and the connection closed.
    const anon = await fetch(`${base}/api/units/${unitId}/floors/2/plan`, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: Buffer.alloc(9 * 1024 * 1024) });
    assert.equal(anon.status, 401);
    assert.equal(anon.headers.get('connection'), 'close');

    const d = (await call(admin, 'GET', `/api/units/${unitId}`)).body as Json & { floors: Array<{ floor: number; hasPlan: boolean; points: Array<{ id: number }> }> };
    const f2 = d.floors.find((f) => f.floor === 2)!;
    assert.equal(f2.hasPlan, true);
    const pointId = f2.points[0]!.id;
    // Plan centre → centre of the footprint's box (about 56.9 m × 44.5 m).
    const pos = await call(collector, 'PUT', `/api/units/${unitId}/points/${pointId}/position`, { planPx: [300, 200] });
    assert.equal(pos.status, 200, JSON.stringify(pos.body));
    const [lon, lat] = pos.body.lonLatWgs84 as [number, number];
    assert.ok(Math.abs(lon - 118.7803) < 1e-6 && Math.abs(lat - 32.0502) < 1e-6, `${lon},${lat}`);
    const row = (await db.pool.query('SELECT ST_Contains(b.footprint, p.position) AS inside FROM points p, buildings b WHERE p.id = $1 AND b.id = $2', [pointId, buildingId])).rows[0];
    assert.equal(row.inside, true);
    assert.equal((await call(collector, 'PUT', `/api/units/${unitId}/points/${pointId}/position`, { planPx: [1, 1], localXY: [1, 1] })).status, 400);
  });

  it('imports the panel configuration from type 7 answers', async () => {
    const obj = (comp: number, addr: number, desc: string) => {
      const b = Buffer.alloc(38, 0);
      b[0] = 1;
      b[2] = comp;
      b.writeUInt32LE(addr, 3);
      Buffer.from(desc, 'latin1').copy(b, 7);
      return b;
    };
    const adu = Buffer.concat([Buffer.from([7, 2]), obj(42, 0x00030001, '3F east'), obj(42, 0x00030002, '3F west')]);
    const r = await call(collector, 'POST', `/api/units/${unitId}/points/import`, { format: 'type7', adus: [adu.toString('hex')] });
    assert.deepEqual(r.body, { inserted: 2, updated: 0, total: 2 });
    const floors = (await db.pool.query(`SELECT floor FROM points WHERE unit_id = $1 AND label LIKE '3F%'`, [unitId])).rows;
    assert.deepEqual(floors.map((f) => f.floor), [3, 3]);
  });

  it('shows the queue, onboarding status and the funnel per region within the jurisdiction', async () => {
    const u4 = Number((await call(supervisor, 'POST', '/api/units', { name: '待采集单位', lonLatWgs84: INSIDE })).body.id);
    const q = await call(supervisor, 'GET', '/api/onboarding/queue');
    assert.equal(q.status, 200);
    const items = q.body.items as Array<{ id: number; onboardingState: string; missing: unknown[] }>;
    assert.ok(items.some((i) => i.id === u4 && i.onboardingState === 'registered' && i.missing.length > 0));
    assert.ok(!items.some((i) => i.onboardingState === 'open'));
    assert.equal((await call(otherSupervisor, 'GET', '/api/onboarding/queue')).body.total, 0);
    // Opened with points still undrawn: back in the queue once the drawings deadline passes.
    await db.pool.query(`UPDATE units SET drawings_due = current_date - 1 WHERE id = $1`, [unitId]);
    const overdue = (await call(supervisor, 'GET', '/api/onboarding/queue')).body.items as Array<{ id: number; drawingsOverdue: boolean }>;
    assert.equal(overdue.find((i) => i.id === unitId)?.drawingsOverdue, true);
    const st = await call(collector, 'GET', `/api/units/${unitId}/onboarding`);
    assert.equal(st.body.state, 'open');
    assert.deepEqual(st.body.next, []);
    assert.equal((st.body.history as unknown[]).length >= 7, true);
    const funnel = (await call(supervisor, 'GET', '/api/onboarding/funnel')).body as unknown as Array<{ regionAdcode: number; counts: Record<string, number>; total: number }>;
    assert.equal(funnel.length, 1);
    assert.equal(funnel[0]!.regionAdcode, DISTRICT);
    assert.equal(funnel[0]!.counts.open, 3);
    assert.equal(funnel[0]!.counts.registered, 1);
    const rules = await call(operator, 'GET', '/api/onboarding/rules');
    assert.ok((rules.body.rules as Array<{ id: string; mandatory: boolean }>).some((r) => r.id === 'point_totals' && r.mandatory));
    assert.equal((await fetch(`${base}/api/units`)).status, 401);
  });

  it('gives demo maintainers an agency that may both collect and verify', async () => {
    const u = await db.pool.query(`INSERT INTO users (username, display_name, role, password_hash, demo) VALUES ('demo_m', 'demo', 'maintainer', '!', true) RETURNING id`);
    assert.equal(await ensureDemoAgency(db.pool), 1);
    assert.equal(await ensureDemoAgency(db.pool), 0);
    const k = await db.pool.query('SELECT ma.kind FROM users u JOIN maintenance_agencies ma ON ma.id = u.maintenance_agency_id WHERE u.id = $1', [u.rows[0].id]);
    assert.equal(k.rows[0].kind, 'both');
  });
  it('sets which peers may speak for a device: CIDR validated, audited, role- and scope-checked', async () => {
    const unit = await call(admin, 'POST', '/api/units', { name: '白名单单位', lonLatWgs84: INSIDE });
    assert.equal(unit.status, 201, JSON.stringify(unit.body));
    const dev = await call(admin, 'POST', `/api/units/${unit.body.id}/devices`, { address: 556677 });
    assert.equal(dev.status, 201);
    const path = `/api/units/${unit.body.id}/devices/${dev.body.id}`;
    const set = await call(admin, 'PATCH', path, { allowedPeers: ['10.1.0.0/16', '2001:db8::1'] });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.deepEqual(set.body.allowedPeers, ['10.1.0.0/16', '2001:db8::1/128']);
    const row = await db.pool.query(`SELECT allowed_peers::text[] AS p FROM devices WHERE id = $1`, [dev.body.id]);
    assert.deepEqual(row.rows[0].p, ['10.1.0.0/16', '2001:db8::1/128']);
    const bad = await call(admin, 'PATCH', path, { allowedPeers: ['10.1.0.0/99'] });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /prefix must be 0–32/);
    const empty = await call(admin, 'PATCH', path, { allowedPeers: [] });
    assert.equal(empty.status, 400, 'an empty list would silently refuse the device');
    assert.match(JSON.stringify(empty.body), /null lets any peer/);
    assert.equal((await call(collector, 'PATCH', path, { allowedPeers: null })).status, 403, 'maintainers do not set network policy');
    assert.equal((await call(otherSupervisor, 'PATCH', path, { allowedPeers: null })).status, 404, 'another district does not see the unit');
    const cleared = await call(admin, 'PATCH', path, { allowedPeers: null });
    assert.equal(cleared.body.allowedPeers, null);
    const audit = await db.pool.query(`SELECT before, after FROM audit_log WHERE action = 'device.peers' ORDER BY id`);
    assert.equal(audit.rows.length, 2, 'each change audited, refused ones not');
    assert.deepEqual(audit.rows[1].before.allowedPeers, ['10.1.0.0/16', '2001:db8::1/128']);
    // Unbinding keeps the list: only the roles that set it may drop it (devices/registration.test.ts).
    await call(admin, 'PATCH', path, { allowedPeers: ['10.9.0.0/16'] });
    assert.equal((await call(admin, 'DELETE', path)).status, 200);
    const after = await db.pool.query(`SELECT unit_id, allowed_peers::text[] AS allowed_peers FROM devices WHERE id = $1`, [dev.body.id]);
    assert.deepEqual(after.rows[0], { unit_id: null, allowed_peers: ['10.9.0.0/16'] });
  });
});
