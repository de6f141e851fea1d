// Alarm changes committed but never broadcast (the process stopped between COMMIT and the
// stream append) reach the stream at the next start, in their current state, once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { catchUpChange } from './domain/catch-up.ts';
import { TestClient, createSession, insertEvents, seedPlace, startLiveServer, type LiveServer, type Place } from '../live/test-support.ts';
import type { AlarmDto } from '@firelink/common';

let db: TestDatabase;
let live: LiveServer;
let place: Place;

before(async () => {
  db = await createTestDatabase('alarm_catch_up');
  place = await seedPlace(db.pool);
  live = await startLiveServer(db.url);
});
after(async () => {
  await live?.server.close();
  await db?.drop();
});

const streamed = async (alarmId: number) =>
  (await db.pool.query(`SELECT type, (payload->'alarm'->>'version')::int AS version FROM stream_log WHERE (payload->'alarm'->>'id')::bigint = $1 ORDER BY id`, [alarmId])).rows;

describe('alarm stream catch-up at start', () => {
  it('an alarm committed without its broadcast is announced as opened; a later unbroadcast change as that change; then nothing more', async () => {
    const { token } = await createSession(db.pool, { username: 'catchup-op', role: 'admin' });
    const client = await TestClient.connect(live.wsUrl, token);
    client.send({ type: 'subscribe', filters: {} });
    await client.waitFor((m) => m.type === 'snapshot');
    const u = place.units[0]!;
    // The alarm rules commit, and the process "stops" before publishChanges.
    const events = await insertEvents(db.pool, [{ kind: 'fire', unit: u, point: u.pointIds[0] }]);
    const changes = await live.parts.alarms.applyEvents(events);
    const alarmId = (changes[0] as { alarmId: number }).alarmId;
    assert.deepEqual(await streamed(alarmId), []);

    assert.equal(await live.parts.alarms.republishOffStream(), 1);
    assert.deepEqual(await streamed(alarmId), [{ type: 'alarm_opened', version: 1 }]);
    const m = await client.waitFor((x) => x.type === 'alarm_opened' && (x as { alarm: AlarmDto }).alarm.id === alarmId);
    assert.equal((m as { alarm: AlarmDto }).alarm.kind, 'fire');
    assert.equal(await live.parts.alarms.republishOffStream(), 0, 'announced once');

    // An acknowledgement committed without its broadcast.
    await db.pool.query(`UPDATE alarms SET state = 'acknowledged', acknowledged_at = now(), version = version + 1 WHERE id = $1`, [alarmId]);
    assert.equal(await live.parts.alarms.republishOffStream(), 1);
    assert.deepEqual((await streamed(alarmId)).map((r) => [r.type, r.version]), [['alarm_opened', 1], ['alarm_updated', 2]]);
    await client.waitFor((x) => x.type === 'alarm_updated' && (x as { alarm: AlarmDto }).alarm.id === alarmId && (x as { reason?: string }).reason === 'acknowledged');
    assert.equal(await live.parts.alarms.republishOffStream(), 0);
    await client.close();
  });

  it('picks the change that most likely produced the current state', () => {
    const base = { state: 'open', closedBy: null, clearedAt: null, escalatedAt: null } as unknown as AlarmDto;
    assert.deepEqual(catchUpChange(base, false), { type: 'alarm_opened' });
    assert.deepEqual(catchUpChange(base, true), { type: 'alarm_updated', reason: 'repeat' });
    assert.deepEqual(catchUpChange({ ...base, clearedAt: '2026-12-05T00:00:00Z' }, true), { type: 'alarm_updated', reason: 'cleared' });
    assert.deepEqual(catchUpChange({ ...base, state: 'verified' }, true), { type: 'alarm_updated', reason: 'verified' });
    assert.deepEqual(catchUpChange({ ...base, state: 'closed' }, false), { type: 'alarm_closed', reason: 'auto_closed' });
    assert.deepEqual(catchUpChange({ ...base, state: 'closed', closedBy: 7 }, true), { type: 'alarm_closed', reason: 'closed' });
  });
});
