import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeAdu, encodeFrame, frameFromRaw, parseAdu } from '../codec/index.ts';
import { planBatch, pointStateOf, readKeysOf, type BatchItem, type BatchPlan, type BatchSnapshot } from './batch-plan.ts';

const REGISTERED = 1001;
const STRANGER = 2002;
const T0 = Date.parse('2026-12-01T02:00:00Z');

function item(source: number, serial: number, adu: Parameters<typeof encodeAdu>[0] | Buffer, peer = '10.0.0.1'): BatchItem {
  const aduBytes = Buffer.isBuffer(adu) ? adu : encodeAdu(adu);
  const time = `2026-12-01T10:${String(Math.floor(serial / 60) % 60).padStart(2, '0')}:${String(serial % 60).padStart(2, '0')}`;
  const frame = frameFromRaw(encodeFrame({ serial, source, destination: 0, command: 2, time, adu: aduBytes }));
  return { frame, adu: parseAdu(frame.adu), peer, receivedAt: new Date(T0 + serial * 1000) };
}

const component = (source: number, serial: number, status: number, componentAddress = 7) =>
  item(source, serial, { type: 2, objects: [{ systemType: 1, systemAddress: 1, componentType: 42, componentAddress, status, time: '2026-12-01T10:00:00' }] });

/** A snapshot as the database would answer for a registered device with one point, nothing stored before. */
function snapshotFor(items: BatchItem[], mode: 'tx' | 'fast', opts: { statuses?: BatchSnapshot['statuses']; stored?: BatchItem[]; health?: BatchSnapshot['health'] } = {}): BatchSnapshot {
  const keys = readKeysOf(items);
  const storedKeys = new Set((opts.stored ?? []).map((i) => `${i.frame.source}|${i.frame.serial}|${i.frame.time}`));
  const all = keys.frames.address.map((address, i) => ({ address, serial: keys.frames.serial[i]!, timeLabel: keys.frames.timeLabel[i]! }));
  const isStored = (r: { address: number; serial: number; timeLabel: string }) => storedKeys.has(`${r.address}|${r.serial}|${r.timeLabel}`);
  return {
    // Transaction: the receipts newly inserted; fast path: those that already existed.
    claimed: mode === 'tx' ? all.filter((r) => !isStored(r)) : all.filter(isStored),
    devices: keys.addresses.filter((a) => a !== STRANGER).map((address) => ({ address, deviceId: address + 1, unitId: 9, regionAdcode: 320106, h3R9: '89309a' })),
    statuses: opts.statuses ?? [],
    points: keys.points.address
      .map((address, i) => ({ address, systemType: keys.points.systemType[i]!, systemAddress: keys.points.systemAddress[i]!, componentAddress: keys.points.componentAddress[i]!, pointId: 500 + keys.points.componentAddress[i]! }))
      .filter((p) => p.address !== STRANGER),
    health: opts.health ?? [],
  };
}

/** Carries a plan's final statuses into the next batch's snapshot (what the write phase stores). */
function statusesAfter(plan: BatchPlan, before: BatchSnapshot['statuses']): BatchSnapshot['statuses'] {
  const m = new Map(before.map((s) => [`${s.address}|${s.aduType}|${s.systemType}|${s.systemAddress}|${s.componentAddress}`, s]));
  plan.statuses.address.forEach((address, i) => {
    const s = { address, aduType: plan.statuses.aduType[i]!, systemType: plan.statuses.systemType[i]!, systemAddress: plan.statuses.systemAddress[i]!, componentAddress: plan.statuses.componentAddress[i]!, status: plan.statuses.status[i]! };
    m.set(`${s.address}|${s.aduType}|${s.systemType}|${s.systemAddress}|${s.componentAddress}`, s);
  });
  return [...m.values()];
}

const kinds = (plan: BatchPlan) => plan.frames.flatMap((pf) => pf.events.map((e) => e.kind));

describe('batch plan (pure)', () => {
  it('a fire on a registered point: one fire event, the point in fire, status written, fast path allowed', () => {
    const items = [component(REGISTERED, 1, 0x0002)];
    const plan = planBatch(items, snapshotFor(items, 'fast'), 'fast');
    assert.deepEqual(kinds(plan), ['fire']);
    assert.equal(plan.needsTransaction, false);
    assert.deepEqual(plan.pointStates, { ids: [507], states: ['fire'], inFault: [false] });
    assert.deepEqual(plan.statuses.status, [0x0002]);
    assert.deepEqual(plan.statuses.prev, [null]);
    assert.equal(plan.pointIdOf(REGISTERED + 1, 1, 1, 7), 507);
  });

  it('point states: fire outranks fault, fault (or power fault) outranks supervisory, supervisory outranks disabled', () => {
    assert.equal(pointStateOf(0x0006).state, 'fire');
    assert.deepEqual(pointStateOf(0x0104), { state: 'fault', inFault: true });
    assert.deepEqual(pointStateOf(0x0100), { state: 'fault', inFault: true });
    assert.equal(pointStateOf(0x0018).state, 'supervisory');
    assert.equal(pointStateOf(0x0008).state, 'disabled');
    assert.equal(pointStateOf(0x0001).state, 'normal');
  });

  it('an unregistered address: kept raw, counted once per address, and only the locked transaction may write it', () => {
    const items = [component(STRANGER, 1, 0x0002), component(STRANGER, 2, 0x0000)];
    const fast = planBatch(items, snapshotFor(items, 'fast'), 'fast');
    assert.equal(fast.needsTransaction, true);
    const tx = planBatch(items, snapshotFor(items, 'tx'), 'tx');
    assert.equal(tx.needsTransaction, false);
    assert.deepEqual(tx.strangers.map((s) => [s.address, s.frames, s.first.index]), [[STRANGER, 2, 0]]);
    assert.deepEqual(tx.rawFrames.reason, ['unregistered_device', 'unregistered_device']);
    assert.deepEqual(tx.pointStates.ids, [], 'no point state for an unregistered device');
  });

  it('a vendor-defined ADU on a registered device is kept raw (locked transaction), an analog upload is not', () => {
    const vendor = [item(REGISTERED, 1, Buffer.from([0xc8, 1, 9]))];
    assert.equal(planBatch(vendor, snapshotFor(vendor, 'fast'), 'fast').needsTransaction, true);
    const tx = planBatch(vendor, snapshotFor(vendor, 'tx'), 'tx');
    assert.match(tx.rawFrames.reason[0]!, /^adu: type 200 is vendor-defined/);
    const analog = [item(REGISTERED, 2, { type: 3, objects: [{ systemType: 1, systemAddress: 1, componentType: 30, componentAddress: 3, analogType: 3, value: 120, time: '2026-12-01T10:00:00' }] })];
    const p = planBatch(analog, snapshotFor(analog, 'fast'), 'fast');
    assert.equal(p.needsTransaction, false);
    assert.deepEqual(kinds(p), ['analog_value']);
  });

  it('UITD power lost (mains + backup) raises host offline once; restored raises host online', () => {
    const lost = [item(REGISTERED, 1, { type: 21, objects: [{ status: 0x18, time: '2026-12-01T10:00:00' }] })];
    const p1 = planBatch(lost, snapshotFor(lost, 'tx'), 'tx');
    assert.ok(kinds(p1).includes('host_offline'));
    assert.deepEqual(p1.health, { address: [REGISTERED], hostOffline: [true], reason: ['power'], powerLost: [true], prevExists: [false], prevOffline: [false], prevReason: [null] });
    const again = [item(REGISTERED, 2, { type: 21, objects: [{ status: 0x18, time: '2026-12-01T10:00:01' }] })];
    const p2 = planBatch(again, snapshotFor(again, 'tx', { health: [{ address: REGISTERED, hostOffline: true, offlineReason: 'power' }], statuses: statusesAfter(p1, []) }), 'tx');
    assert.ok(!kinds(p2).includes('host_offline'), 'already offline: no second host_offline');
    const back = [item(REGISTERED, 3, { type: 21, objects: [{ status: 0x00, time: '2026-12-01T10:00:02' }] })];
    const p3 = planBatch(back, snapshotFor(back, 'tx', { health: [{ address: REGISTERED, hostOffline: true, offlineReason: 'power' }] }), 'tx');
    assert.ok(kinds(p3).includes('host_online'));
    assert.deepEqual(p3.health.hostOffline, [false]);
    // The fast path plans the same and carries the state as read for its compare-and-set.
    const f3 = planBatch(back, snapshotFor(back, 'fast', { health: [{ address: REGISTERED, hostOffline: true, offlineReason: 'power' }] }), 'fast');
    assert.equal(f3.needsTransaction, false);
    assert.deepEqual(kinds(f3), kinds(p3));
    assert.deepEqual([f3.health.prevExists, f3.health.prevOffline, f3.health.prevReason], [[true], [true], ['power']]);
  });

  it('a line fault takes the host down (line_fault); a panel power loss (panel_power) is not undone by a UITD status', () => {
    const line = [item(REGISTERED, 1, { type: 21, objects: [{ status: 0x41, time: '2026-12-01T10:00:00' }] })];
    const p1 = planBatch(line, snapshotFor(line, 'tx'), 'tx');
    assert.deepEqual(kinds(p1), ['status', 'host_offline']);
    assert.deepEqual(p1.health.reason, ['line_fault']);
    const panel = [item(REGISTERED, 2, { type: 21, objects: [{ status: 0x01, time: '2026-12-01T10:00:01' }] })];
    const p2 = planBatch(panel, snapshotFor(panel, 'tx', { health: [{ address: REGISTERED, hostOffline: true, offlineReason: 'panel_power' }] }), 'tx');
    assert.ok(!kinds(p2).includes('host_online'));
    assert.deepEqual(p2.health.address, []);
    const silentBack = planBatch(line, snapshotFor(line, 'tx', { health: [{ address: REGISTERED, hostOffline: true, offlineReason: 'silent' }] }), 'tx');
    assert.deepEqual(silentBack.health.reason, ['line_fault'], 'back from silence with the line down: stays offline for the line');
  });

  it('property: a resend (stored before, or a second copy in the batch) yields no events and no writes', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0x1ff }), { minLength: 1, maxLength: 12 }), fc.constantFrom<'tx' | 'fast'>('tx', 'fast'), (words, mode) => {
        const items = words.map((w, i) => component(REGISTERED, i + 1, w));
        const all = planBatch(items, snapshotFor(items, mode, { stored: items }), mode);
        assert.deepEqual(all.fresh, items.map(() => false));
        assert.equal(all.frames.length, 0);
        assert.equal(all.statuses.address.length, 0);
        const doubled = [...items, ...items];
        const d = planBatch(doubled, snapshotFor(doubled, mode), mode);
        assert.deepEqual(d.fresh, [...items.map(() => true), ...items.map(() => false)]);
      }),
      { numRuns: 100 },
    );
  });

  it('property: where the batches are cut does not change the events, the last status or the point state', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ point: fc.integer({ min: 1, max: 3 }), word: fc.integer({ min: 0, max: 0x1ff }) }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 0, max: 20 }),
        (reports, cutAt) => {
          const items = reports.map((r, i) => component(REGISTERED, i + 1, r.word, r.point));
          const whole = planBatch(items, snapshotFor(items, 'tx'), 'tx');
          const cut = Math.min(cutAt, items.length);
          const first = items.slice(0, cut);
          const second = items.slice(cut);
          const p1 = planBatch(first, snapshotFor(first, 'tx'), 'tx');
          const p2 = planBatch(second, snapshotFor(second, 'tx', { statuses: statusesAfter(p1, []) }), 'tx');
          const keyed = (ps: BatchPlan[]) => ps.flatMap((p) => p.frames.flatMap((pf) => pf.events.map((e) => `${e.dedupeKey}=${e.kind}`)));
          assert.deepEqual(keyed([p1, p2]), keyed([whole]));
          assert.deepEqual(statusesAfter(p2, statusesAfter(p1, [])).sort((a, b) => a.componentAddress - b.componentAddress), statusesAfter(whole, []).sort((a, b) => a.componentAddress - b.componentAddress));
          // Point state: the last report of each point decides, whichever batch carried it.
          const last = new Map<number, number>();
          reports.forEach((r) => last.set(500 + r.point, r.word));
          const finalState = new Map<number, string>();
          for (const p of [p1, p2]) p.pointStates.ids.forEach((id, i) => finalState.set(id, p.pointStates.states[i]!));
          for (const [id, word] of last) assert.equal(finalState.get(id), pointStateOf(word).state);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('property: the fast path takes system/UITD status (host power by compare-and-set), never raw ADUs, strangers or duty-check answers', () => {
    const kindsOfItem = fc.constantFrom('component', 'system', 'uitd', 'vendor', 'stranger', 'duty');
    fc.assert(
      fc.property(fc.array(kindsOfItem, { minLength: 1, maxLength: 8 }), (list) => {
        const items = list.map((k, i) => {
          const serial = i + 1;
          switch (k) {
            case 'system': return item(REGISTERED, serial, { type: 1, objects: [{ systemType: 1, systemAddress: 1, status: 0, time: '2026-12-01T10:00:00' }] });
            case 'uitd': return item(REGISTERED, serial, { type: 21, objects: [{ status: 0, time: '2026-12-01T10:00:00' }] });
            case 'vendor': return item(REGISTERED, serial, Buffer.from([0x90, 0]));
            case 'stranger': return component(STRANGER, serial, 0);
            case 'duty': return item(REGISTERED, serial, { type: 24, objects: [{ operationFlags: 0x20, operator: 1, time: '2026-12-01T10:00:00' }] });
            default: return component(REGISTERED, serial, 0);
          }
        });
        const plan = planBatch(items, snapshotFor(items, 'fast'), 'fast');
        assert.equal(plan.needsTransaction, list.some((k) => k === 'vendor' || k === 'stranger' || k === 'duty'));
      }),
      { numRuns: 200 },
    );
  });
});
