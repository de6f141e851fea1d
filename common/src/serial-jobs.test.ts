import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SerialJobs } from './serial-jobs.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SerialJobs', () => {
  it('never overlaps runs, and a periodic job slower than its interval skips ticks instead of queueing a backlog', async () => {
    const jobs = new SerialJobs();
    let inFlight = 0;
    let maxInFlight = 0;
    let runs = 0;
    jobs.every(5, async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await sleep(40);
      inFlight--;
      runs++;
    });
    await sleep(130);
    await jobs.stop();
    const afterStop = runs;
    assert.equal(maxInFlight, 1);
    assert.ok(runs >= 2 && runs <= 4, `about 130/40 runs, got ${runs}`);
    await sleep(30);
    assert.equal(runs, afterStop, 'nothing runs after stop()');
  });

  it('reports a failure and keeps the schedule', async () => {
    const errors: unknown[] = [];
    const jobs = new SerialJobs((e) => errors.push(e));
    let n = 0;
    jobs.every(5, () => {
      n++;
      throw new Error('boom');
    });
    // Two runs take 10 ms on a quiet machine; a loaded one gets up to 2 s before this fails.
    for (let waited = 0; n < 2 && waited < 2000; waited += 10) await sleep(10);
    await jobs.stop();
    assert.ok(n >= 2, `the job ran ${n} times`);
    assert.equal(errors.length, n);
  });

  it('coalesces a burst of triggers into the run in flight plus one more', async () => {
    const jobs = new SerialJobs();
    let runs = 0;
    const poke = jobs.coalesced(async () => {
      runs++;
      await sleep(20);
    });
    poke();
    await sleep(5); // the first run is in flight
    for (let i = 0; i < 10; i++) poke();
    await jobs.run(() => undefined);
    assert.equal(runs, 2);
    await jobs.stop();
  });
});
