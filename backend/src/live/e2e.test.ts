// End to end: a GB/T 26875.3 frame from a simulated UITD over real TCP, through INGEST's
// listener (commit, confirm, publish), the pipeline and the stream hub, to a WebSocket
// client — which receives the event and the alarm with the unit's coordinates.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { SimulatedUitd } from '@firelink/ingest';
import { ingestFeature } from '../devices/feature.ts';
import { createSession, seedPlace, startLiveServer, TestClient, type LiveServer, type Place } from './test-support.ts';

let db: TestDatabase;
let live: LiveServer;
let place: Place;
let tcpPort = 0;
let token: string;

before(async () => {
  db = await createTestDatabase('live_e2e');
  place = await seedPlace(db.pool);
  token = (await createSession(db.pool, { username: 'wall-e2e', role: 'operator', regions: [320100] })).token;
  live = await startLiveServer(db.url, {
    extra: [ingestFeature({ demoFleet: false, onStarted: (h) => (tcpPort = h.port) })],
    env: { DUTY_CHECKS_PER_SHIFT: '0' },
  });
});
after(async () => {
  await live?.server.close();
  await db?.drop();
});

describe('frame over TCP → WebSocket', () => {
  it('a fire frame becomes an event and an alarm on the wall, with the unit coordinates', async () => {
    const wall = await TestClient.connect(live.wsUrl, token);
    wall.send({ type: 'subscribe', filters: {} });
    await wall.waitFor((m) => m.type === 'snapshot');

    const u = place.units[1]!;
    const uitd = new SimulatedUitd({ port: tcpPort, address: 100001 });
    await uitd.connect();
    try {
      const t0 = Date.now();
      const sent = await uitd.sendFire({ systemType: 1, systemAddress: 1, componentType: 31, componentAddress: 2 });
      assert.equal(sent.denied, false);
      const ev = await wall.waitFor((m) => m.type === 'event' && m.event.kind === 'fire');
      const latencyMs = Date.now() - t0;
      assert.ok(ev.type === 'event');
      assert.equal(ev.event.unitId, u.id);
      assert.equal(ev.event.pointId, u.pointIds[1]);
      assert.deepEqual(ev.event.lonLatWgs84, u.lonLat);
      assert.equal(ev.event.floor, 2);
      const opened = await wall.waitFor((m) => m.type === 'alarm_opened');
      assert.ok(opened.type === 'alarm_opened');
      assert.equal(opened.alarm.kind, 'fire');
      assert.deepEqual(opened.alarm.lonLatWgs84, u.lonLat);
      assert.equal(opened.alarm.unitName, '测试单位2');
      assert.ok(latencyMs < 5000, `frame → WS in ${latencyMs} ms`);

      // The detector returns to normal, then reports fire again: the open alarm is marked
      // cleared, then updated (count 2) — never a second alarm while the first is open.
      const p2 = { systemType: 1, systemAddress: 1, componentType: 31, componentAddress: 2 };
      await uitd.sendNormal(p2);
      await wall.waitFor((m) => m.type === 'alarm_updated' && m.reason === 'cleared');
      await uitd.sendFire(p2);
      const rep = await wall.waitFor((m) => m.type === 'alarm_updated' && m.reason === 'repeat');
      assert.ok(rep.type === 'alarm_updated' && rep.alarm.id === opened.alarm.id && rep.alarm.eventCount === 2 && rep.alarm.clearedAt === null);
      const r = await db.pool.query(`SELECT count(*)::int AS n FROM alarms WHERE unit_id = $1 AND kind = 'fire' AND state <> 'closed'`, [u.id]);
      assert.equal(r.rows[0].n, 1);
    } finally {
      uitd.close();
      await wall.close();
    }
  });
});
