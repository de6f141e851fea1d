import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hostDownReasons, normalizeFrame, powerLost, transitions } from './normalize.ts';
import { encodeAdu, parseAdu } from '../codec/index.ts';

const ctx = { deviceAddress: 42, serial: 3, timeLabel: '2026-11-29T10:00:00', receivedAt: '2026-11-29T02:00:01.000Z' };

describe('normalization', () => {
  it('field fire 0x0002 (bit 0 clear) is a fire, not test mode', () => {
    assert.deepEqual(transitions(2, null, 0x0002), [{ kind: 'fire', bit: 'fire' }]);
  });

  it('a dropping bit is its cleared kind; started/stopped pair up', () => {
    assert.deepEqual(transitions(2, 0x0005, 0x0001), [{ kind: 'fault_cleared', bit: 'fault' }]);
    assert.deepEqual(transitions(1, 0x0020, 0x0000), [{ kind: 'stopped', bit: 'started' }]);
    assert.deepEqual(transitions(1, 0x0000, 0x0300).map((t) => t.kind), ['mains_power_fault', 'backup_power_fault']);
    assert.deepEqual(transitions(21, 0x08, 0x00), [{ kind: 'mains_power_restored', bit: 'mainsPowerFault' }]);
    assert.deepEqual(transitions(2, 0x0002, 0x0002), []);
  });

  it('detects power lost on the panel and on the UITD', () => {
    assert.equal(powerLost(1, 0x0300), true);
    assert.equal(powerLost(1, 0x0100), false);
    assert.equal(powerLost(21, 0x18), true);
  });

  it('host-down reasons: UITD power, its monitored-line fault (not a fault event), the panel power', () => {
    assert.deepEqual(hostDownReasons(21, 0x18), ['power']);
    assert.deepEqual(hostDownReasons(21, 0x41), ['line_fault']);
    assert.deepEqual(hostDownReasons(21, 0x59), ['power', 'line_fault']);
    assert.deepEqual(hostDownReasons(1, 0x0301), ['panel_power']);
    assert.deepEqual(hostDownReasons(1, 0x0101), [], 'one power source left');
    assert.deepEqual(hostDownReasons(1, 0x0401), [], 'a bus fault is a fault');
    assert.deepEqual(transitions(21, 0x01, 0x41), []);
    assert.deepEqual(transitions(1, 0x0001, 0x0401), [{ kind: 'fault', bit: 'busFault' }]);
  });

  it('the UITD manual alarm (type 24 bit 2) is manual_alarm; with a duty-check answer both are kept', () => {
    const one = (flags: number) => normalizeFrame(ctx, parseAdu(encodeAdu({ type: 24, objects: [{ operationFlags: flags, operator: 1, time: '2026-11-29T10:00:00' }] }))!, new Map()).map((e) => e.kind);
    assert.deepEqual(one(0x04), ['manual_alarm']);
    assert.deepEqual(one(0x24), ['duty_check_answered', 'manual_alarm']);
    assert.deepEqual(one(0x10), ['operation']);
  });

  it('chains two reports of the same point in one frame and keys events per object and bit', () => {
    const adu = parseAdu(
      encodeAdu({
        type: 2,
        objects: [
          { systemType: 1, systemAddress: 1, componentType: 42, componentAddress: 9, status: 0x0006, time: '2026-11-29T09:59:58' },
          { systemType: 1, systemAddress: 1, componentType: 42, componentAddress: 9, status: 0x0001, time: '2026-11-29T09:59:59' },
        ],
      }),
    )!;
    const prev = new Map<string, number | null>();
    const events = normalizeFrame(ctx, adu, prev);
    assert.deepEqual(events.map((e) => [e.kind, e.dedupeKey]), [
      ['fire', 'gb:42:3:2026-11-29T10:00:00:0:fire'],
      ['fault', 'gb:42:3:2026-11-29T10:00:00:0:fault'],
      ['fire_cleared', 'gb:42:3:2026-11-29T10:00:00:1:fire'],
      ['fault_cleared', 'gb:42:3:2026-11-29T10:00:00:1:fault'],
    ]);
    assert.equal(events[0]!.deviceTime, '2026-11-29T09:59:58');
    assert.equal(prev.get('2:1:1:9'), 0x0001);
  });

  it('maps duty-check answers, analog values with units, and keeps unknown types', () => {
    const answer = normalizeFrame(ctx, parseAdu(encodeAdu({ type: 24, objects: [{ operationFlags: 0x20, operator: 1, time: '2026-11-29T10:00:00' }] }))!, new Map());
    assert.equal(answer[0]!.kind, 'duty_check_answered');
    const analog = normalizeFrame(ctx, parseAdu(encodeAdu({ type: 3, objects: [{ systemType: 11, systemAddress: 1, componentType: 99, componentAddress: 1, analogType: 4, value: 6, time: '2026-11-29T10:00:00' }] }))!, new Map());
    assert.deepEqual([analog[0]!.kind, analog[0]!.value, analog[0]!.payload.unit, analog[0]!.payload.scaledValue], ['analog_value', 6, 'MPa', 0.6]);
    const unknown = normalizeFrame(ctx, parseAdu(Buffer.from([150, 1, 1, 2, 3]))!, new Map());
    assert.deepEqual(unknown.map((e) => e.kind), ['unknown']);
  });

  it('drops an invalid device clock to the header time, or null', () => {
    const adu = parseAdu(encodeAdu({ type: 28, objects: [{ time: '2026-11-29T10:00:00' }] }))!;
    assert.ok(adu.typeName === 'uitdTime');
    adu.objects[0]!.time = '2000-00-00T00:00:00';
    assert.equal(normalizeFrame(ctx, adu, new Map())[0]!.deviceTime, '2026-11-29T10:00:00');
    assert.equal(normalizeFrame({ ...ctx, timeLabel: '2000-13-40T99:00:00' }, adu, new Map())[0]!.deviceTime, null);
  });
});
