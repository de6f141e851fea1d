// The live pipeline while the database is away: a fire stored (and confirmed) just before the
// connection to PostgreSQL is cut must still become an alarm, on the stream, once the
// database is back, without waiting for the next process start.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, startCutProxy, type TestDatabase } from '@firelink/common/testing';
import { insertEvents, seedPlace, startLiveServer, type LiveServer } from '../live/test-support.ts';

describe('pipeline through a database cut', () => {
  let db: TestDatabase;
  let proxy: Awaited<ReturnType<typeof startCutProxy>>;
  let live: LiveServer;

  before(async () => {
    db = await createTestDatabase('pipeline_outage');
    const url = new URL(db.url);
    proxy = await startCutProxy(Number(url.port || 5432), url.hostname);
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    live = await startLiveServer(url.href);
  });
  after(async () => {
    proxy?.restore();
    await live?.server.close();
    await proxy?.close();
    await db?.drop();
  });

  it('raises and streams the alarm of a fire handed on while the database was cut', async () => {
    const place = await seedPlace(db.pool);
    const unit = place.units[0]!;
    // Stored through the direct pool, as ingest had committed it before the cut.
    const events = await insertEvents(db.pool, [{ kind: 'fire', unit, point: unit.pointIds[0]!, description: '断库期间的火警' }]);
    proxy.cut();
    await live.bus.publish(events);
    await new Promise((r) => setTimeout(r, 1500));
    const during = await db.pool.query(`SELECT count(*)::int AS n FROM alarms WHERE unit_id = $1`, [unit.id]);
    assert.equal(during.rows[0].n, 0, 'nothing could be written while the database was cut');
    proxy.restore();
    let alarms: Array<{ id: string; event_count: number }> = [];
    for (let i = 0; i < 150 && alarms.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      alarms = (await db.pool.query(`SELECT id, event_count FROM alarms WHERE unit_id = $1 AND kind = 'fire'`, [unit.id])).rows;
    }
    assert.equal(alarms.length, 1, 'the alarm is raised once the database is back');
    assert.equal(alarms[0]!.event_count, 1);
    await live.parts.pipeline.idle();
    const streamed = await db.pool.query(`SELECT type FROM stream_log WHERE (type = 'alarm_opened' AND payload->'alarm'->>'id' = $1) OR (type = 'event' AND (payload->'event'->>'id')::bigint = $2) ORDER BY id`, [alarms[0]!.id, events[0]!.id]);
    assert.deepEqual(streamed.rows.map((r) => r.type), ['event', 'alarm_opened'], 'the event and its alarm are on the stream, once each');
  });
});
