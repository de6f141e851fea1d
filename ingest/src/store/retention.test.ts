import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { IngestRetention } from './retention.ts';

describe('ingest retention', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase('ingest_retention');
  });
  after(async () => {
    await db?.drop();
  });

  const count = async (table: string) => Number((await db.pool.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n);

  it('deletes receipts and raw frames past their days, in batches, and keeps the rest', async () => {
    // 25 receipts 8 days old, 5 from today; 12 raw frames 91 days old, 3 from last week.
    await db.pool.query(`INSERT INTO ingest_frames (device_address, serial, time_label, received_at)
                         SELECT 7, g, 't', now() - interval '8 days' FROM generate_series(1, 25) g
                         UNION ALL SELECT 7, g, 't', now() FROM generate_series(26, 30) g`);
    await db.pool.query(`INSERT INTO raw_frames (received_at, device_address, reason, bytes)
                         SELECT now() - interval '91 days', 9, 'unregistered_device', '\\x4040'::bytea FROM generate_series(1, 12)
                         UNION ALL SELECT now() - interval '7 days', 9, 'unregistered_device', '\\x4040'::bytea FROM generate_series(1, 3)`);
    const purged: unknown[] = [];
    const r = new IngestRetention({ pool: db.pool, receiptDays: 7, rawFrameDays: 90, batch: 10, onPurged: (c) => purged.push(c) });
    assert.deepEqual(await r.purgeOnce(), { ingest_frames: 25, raw_frames: 12 });
    assert.equal(await count('ingest_frames'), 5);
    assert.equal(await count('raw_frames'), 3);
    assert.deepEqual(purged, [{ ingest_frames: 25, raw_frames: 12 }]);
    // Nothing left to do: a second pass deletes nothing and reports nothing.
    assert.deepEqual(await r.purgeOnce(), { ingest_frames: 0, raw_frames: 0 });
    assert.equal(purged.length, 1);
  });

  it('keeps everything when the days are 0, and start/stop run one pass', async () => {
    await db.pool.query(`INSERT INTO raw_frames (received_at, device_address, reason, bytes) VALUES (now() - interval '400 days', 9, 'x', '\\x00'::bytea)`);
    const before = await count('raw_frames');
    const keep = new IngestRetention({ pool: db.pool, receiptDays: 0, rawFrameDays: 0 });
    assert.deepEqual(await keep.purgeOnce(), { ingest_frames: 0, raw_frames: 0 });
    assert.equal(await count('raw_frames'), before);
    const once = new IngestRetention({ pool: db.pool, receiptDays: 7, rawFrameDays: 90, everyMs: 3600_000 });
    once.start();
    for (let i = 0; i < 100 && (await count('raw_frames')) === before; i++) await new Promise((r) => setTimeout(r, 20));
    await once.stop();
    assert.equal(await count('raw_frames'), before - 1, 'the pass at start removed the 400-day-old frame');
  });

  it('stops between batches: stop() waits for the batch in flight, not the whole backlog', async () => {
    await db.pool.query(`INSERT INTO ingest_frames (device_address, serial, time_label, received_at)
                         SELECT 8, g, 't', now() - interval '30 days' FROM generate_series(1, 50) g`);
    const r = new IngestRetention({ pool: db.pool, receiptDays: 7, rawFrameDays: 0, batch: 10, pauseMs: 200, everyMs: 3600_000 });
    r.start();
    await new Promise((res) => setTimeout(res, 100)); // inside the first pause
    await r.stop();
    const left = Number((await db.pool.query(`SELECT count(*)::int AS n FROM ingest_frames WHERE device_address = 8`)).rows[0].n);
    assert.ok(left >= 30 && left <= 40, `one batch of 10 (two at most) deleted, then stopped (${50 - left} deleted)`);
  });
});
