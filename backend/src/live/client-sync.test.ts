// The live client's sync state machine without sockets or a database: a fake outlet whose
// send buffer fills as frames are sent and drains when told to.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ClientSync, type Outlet, type SyncFrame } from './client-sync.ts';

const LIMITS = { highWaterBytes: 100, lowWaterBytes: 20, pendingMax: 3 };

/** An outlet that keeps what was sent; its buffer holds every byte sent until drain(). */
function fakeOutlet(): Outlet & { sent: string[]; drain(): void } {
  let buffered = 0;
  const sent: string[] = [];
  return {
    sent,
    send(data) {
      sent.push(data.toString());
      buffered += data.length;
    },
    buffered: () => buffered,
    drain() {
      buffered = 0;
    },
  };
}

const frame = (id: number, bytes = 10): SyncFrame => ({ id, data: Buffer.from(String(id).padEnd(bytes, '.')) });
const all = () => true;

describe('live client sync (no sockets)', () => {
  it('idle clients get nothing; a sync keeps live frames pending and sends those after the replayed cursor once caught up', () => {
    const c = new ClientSync(LIMITS);
    const out = fakeOutlet();
    c.deliver([frame(1)], all, out);
    assert.deepEqual(out.sent, []);
    c.beginSync();
    c.deliver([frame(5), frame(6), frame(7)], all, out);
    assert.equal(c.pending.length, 3);
    assert.deepEqual(out.sent, [], 'nothing live goes out while syncing');
    // The replay read the table up to 6: only 7 is still to send.
    assert.equal(c.caughtUp(6, out), 'live');
    assert.deepEqual(out.sent.map((s) => parseInt(s)), [7]);
    assert.equal(c.mode, 'live');
    assert.equal(c.cursor, 7);
  });

  it('a pending list that overflows is dropped and the replay reads the frames back from the table', () => {
    const c = new ClientSync(LIMITS);
    const out = fakeOutlet();
    c.beginSync();
    c.deliver([frame(1), frame(2), frame(3), frame(4)], all, out);
    assert.equal(c.overflow, true);
    assert.equal(c.pending.length, 0);
    assert.equal(c.caughtUp(0, out), 'replay');
    assert.equal(c.mode, 'syncing');
    assert.equal(c.caughtUp(4, out), 'live');
    assert.equal(c.cursor, 4);
  });

  it('a client that stops reading goes lagging with the cursor before the first frame it did not get, and is due for a resync once drained', () => {
    const c = new ClientSync(LIMITS);
    const out = fakeOutlet();
    c.beginSync();
    c.caughtUp(0, out);
    // 60-byte frames: the third finds 120 bytes buffered (> 100).
    assert.equal(c.deliver([frame(1, 60), frame(2, 60), frame(3, 60)], all, out), true);
    assert.equal(c.mode, 'lagging');
    assert.equal(c.cursor, 2);
    assert.equal(c.dropped, 1);
    c.deliver([frame(4)], all, out);
    assert.equal(out.sent.length, 2, 'nothing is sent while lagging');
    assert.equal(c.dueForResync(out.buffered()), false);
    out.drain();
    assert.equal(c.dueForResync(out.buffered()), true);
  });

  it('frames not for the client still move its cursor when live, and are not kept while syncing', () => {
    const c = new ClientSync(LIMITS);
    const out = fakeOutlet();
    c.beginSync();
    c.deliver([frame(1), frame(2)], (f) => f.id === 2, out);
    assert.deepEqual(c.pending.map((f) => f.id), [2]);
    c.caughtUp(0, out);
    c.deliver([frame(3), frame(4)], (f) => f.id === 3, out);
    assert.deepEqual(out.sent.map((s) => parseInt(s)), [2, 3]);
    assert.equal(c.cursor, 4);
  });

  it('a replay that finds the buffer full stops there, lagging at the last id sent', () => {
    const c = new ClientSync(LIMITS);
    const out = fakeOutlet();
    c.beginSync();
    assert.equal(c.replayed(1, Buffer.alloc(120), 0, out), true);
    assert.equal(c.replayed(2, Buffer.alloc(10), 1, out), false);
    assert.equal(c.mode, 'lagging');
    assert.equal(c.cursor, 1);
  });

  it('a resync begun after another makes the older one stale, and so does close', () => {
    const c = new ClientSync(LIMITS);
    const first = c.beginSync();
    const second = c.beginSync();
    assert.notEqual(first, second);
    assert.equal(c.generation, second);
    c.close();
    assert.notEqual(c.generation, second);
  });

  it('property: whatever the frames, filters and drains, a live client receives the matching frames in id order, none twice, and its buffer stays within high water + one frame', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ bytes: fc.integer({ min: 1, max: 60 }), forMe: fc.boolean(), drainAfter: fc.boolean() }), { maxLength: 60 }),
        (steps) => {
          const c = new ClientSync(LIMITS);
          const out = fakeOutlet();
          c.beginSync();
          c.caughtUp(0, out);
          let maxBuffered = 0;
          const expected: number[] = [];
          steps.forEach((s, i) => {
            const f = frame(i + 1, s.bytes);
            // A lagging client resyncs after a drain: everything after its cursor comes back (replayed here as frames).
            if (c.mode === 'lagging' && c.dueForResync(out.buffered())) {
              c.beginSync();
              c.caughtUp(c.cursor, out);
            }
            if (c.mode === 'live' && s.forMe && out.buffered() <= LIMITS.highWaterBytes) expected.push(f.id);
            c.deliver([f], () => s.forMe, out);
            maxBuffered = Math.max(maxBuffered, out.buffered());
            if (s.drainAfter) out.drain();
          });
          const got = out.sent.map((x) => parseInt(x));
          assert.deepEqual(got, expected);
          assert.deepEqual([...got].sort((a, b) => a - b), got, 'in id order');
          assert.equal(new Set(got).size, got.length, 'none twice');
          assert.ok(maxBuffered <= LIMITS.highWaterBytes + 60);
        },
      ),
    );
  });
});
