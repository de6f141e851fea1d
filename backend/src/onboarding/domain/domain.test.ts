import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Completeness } from '@firelink/common';
import type { DomainError } from '../../kernel/errors.ts';
import { applyAffine, fitPlanToBox, frameToWgs84, invertAffine, wgs84ToFrame } from './frame.ts';
import { originOf, placePoint, planTransformFor, positionFloor } from './placement.ts';
import { acceptanceEndsConstruction, assertComplete, assertIndependentAcceptance, assertPassHasEvidence, authorizeTransition, funnelByRegion } from './workflow.ts';
import { Command, encodeAdu, encodeFrame } from '@firelink/ingest';
import { imageSize } from './image-size.ts';
import { assertImportable, floorFromDescription, pointsFromRecords, pointsFromType7 } from './point-import.ts';

describe('building frame', () => {
  it('round-trips metres and WGS84 near the origin to millimetres', () => {
    const o = { lonWgs84: 118.78, latWgs84: 32.04 };
    const [lon, lat] = frameToWgs84(o, 40, 25);
    const [x, y] = wgs84ToFrame(o, lon, lat);
    assert.ok(Math.abs(x - 40) < 1e-3 && Math.abs(y - 25) < 1e-3);
    // 1e-5° of latitude is about 1.11 m.
    assert.ok(Math.abs(wgs84ToFrame(o, 118.78, 32.04001)[1] - 1.112) < 0.01);
  });

  it('maps plan pixels to the frame with the fitted affine and back', () => {
    const t = fitPlanToBox(1000, 500, 80, 40);
    assert.deepEqual(applyAffine(t, 0, 0), [0, 40]); // top-left pixel = north-west corner
    assert.deepEqual(applyAffine(t, 1000, 500), [80, 0]);
    const [px, py] = applyAffine(invertAffine(t), 40, 20);
    assert.ok(Math.abs(px - 500) < 1e-9 && Math.abs(py - 250) < 1e-9);
    assert.throws(() => invertAffine([0, 0, 0, 0, 0, 0]), /singular/);
  });
});

describe('point import parsing', () => {
  it('reads CSV-style records with loop/point addresses and reports bad rows', () => {
    const r = pointsFromRecords([
      { System_Type: '1', system_address: '0', component_type: '42', loop: '2', point: '17', floor: '3', label: '3F走廊', x: '12.5', y: '4' },
      { component_type: '23', component_address: '5' },
      { component_type: 'smoke', component_address: '6' },
      { component_type: '42' },
    ]);
    assert.equal(r.points.length, 2);
    assert.deepEqual(r.points[0], { systemType: 1, systemAddress: 0, componentType: 42, componentAddress: 2 * 65536 + 17, floor: 3, label: '3F走廊', localXY: [12.5, 4] });
    assert.equal(r.points[1]!.systemType, 1); // default: fire alarm system
    assert.deepEqual(r.errors.map((e) => e.row), [3, 4]);
    assert.match(r.errors[1]!.message, /loop and point/);
  });

  it('decodes type 7 component configuration objects (GB 18030 descriptions)', () => {
    // 7 · 2 objects · [sys 1, addr 0, comp 42, addr 0x00020011 LE, "3F走廊" GB18030, padded]
    const desc = Buffer.concat([Buffer.from('3F'), Buffer.from([0xd7, 0xdf, 0xc0, 0xc8])]);
    const obj = (comp: number, addr: number, d: Buffer) => {
      const b = Buffer.alloc(38, 0x20);
      b[0] = 1;
      b[1] = 0;
      b[2] = comp;
      b.writeUInt32LE(addr, 3);
      d.copy(b, 7);
      return b;
    };
    const adu = Buffer.concat([Buffer.from([7, 2]), obj(42, 0x00020011, desc), obj(84, 9, Buffer.from('B1'))]);
    const r = pointsFromType7([adu.toString('hex'), '0201', 'zz']);
    assert.deepEqual(r.points[0], { systemType: 1, systemAddress: 0, componentType: 42, componentAddress: 0x00020011, floor: 3, label: '3F走廊', localXY: null });
    assert.equal(r.points[1]!.floor, -1);
    assert.deepEqual(r.errors.map((e) => e.row), [2, 3]);
    const short = pointsFromType7([adu.subarray(0, 40).toString('hex')]);
    assert.match(short.errors[0]!.message, /cannot decode the type 7 ADU/);
  });

  it('takes whole answer frames built by INGEST\'s codec and refuses a bad checksum', () => {
    const adu = encodeAdu({
      type: 7,
      objects: [
        { systemType: 10, systemAddress: 1, componentType: 84, componentAddress: 0x00010005, description: 'B2 排烟风机' },
        { systemType: 1, systemAddress: 1, componentType: 23, componentAddress: 7, description: '5F 手报' },
      ],
    });
    const frame = { serial: 9, source: 112233445566, destination: 0, command: Command.answer, adu };
    const r = pointsFromType7([encodeFrame(frame).toString('hex')]);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.points.map((p) => [p.systemType, p.componentType, p.componentAddress, p.floor, p.label]), [
      [10, 84, 0x00010005, -2, 'B2 排烟风机'],
      [1, 23, 7, 5, '5F 手报'],
    ]);
    const bad = pointsFromType7([encodeFrame(frame, { badChecksum: true }).toString('hex')]);
    assert.match(bad.errors[0]!.message, /checksum/);
  });

  it('guesses floors from common description habits', () => {
    assert.equal(floorFromDescription('12F 电梯厅'), 12);
    assert.equal(floorFromDescription('负2层车库'), -2);
    assert.equal(floorFromDescription('B3 泵房'), -3);
    assert.equal(floorFromDescription('屋顶水箱'), null);
  });
});

describe('image size', () => {
  it('reads PNG and JPEG headers', () => {
    const png = Buffer.alloc(24);
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(png);
    png.writeUInt32BE(800, 16);
    png.writeUInt32BE(600, 20);
    assert.deepEqual(imageSize(png, 'image/png'), { widthPx: 800, heightPx: 600 });
    // SOI · APP0 (length 4) · SOF0 (length 11, precision 8, height 300, width 400)
    const jpg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0xff, 0xc0, 0, 11, 8, 0x01, 0x2c, 0x01, 0x90, 3, 0, 0, 0]);
    assert.deepEqual(imageSize(jpg, 'image/jpeg'), { widthPx: 400, heightPx: 300 });
    assert.equal(imageSize(Buffer.from('nope'), 'image/png'), null);
  });
});

describe('workflow rules', () => {
  const admin = { role: 'admin' as const, agencyKind: null };
  const collector = { role: 'maintainer' as const, agencyKind: 'maintenance' as const };
  const ask = { from: 'reviewed' as const, to: 'open' as const, actor: admin, note: '', version: 3, sentVersion: 3 };

  it('gives the rule of an allowed step, and refuses with the kind that says why', () => {
    assert.equal(authorizeTransition(ask).requiresComplete, true);
    const refusal = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return err as DomainError;
      }
      assert.fail('expected a refusal');
    };
    assert.equal(refusal(() => authorizeTransition({ ...ask, actor: collector })).kind, 'forbidden');
    assert.equal(refusal(() => authorizeTransition({ ...ask, from: 'open', to: 'suspended' })).kind, 'invalid', 'suspending needs a note');
    const wrongState = refusal(() => authorizeTransition({ ...ask, from: 'registered' }));
    assert.equal(wrongState.kind, 'conflict');
    assert.deepEqual(wrongState.details, { state: 'registered' });
    const stale = refusal(() => authorizeTransition({ ...ask, sentVersion: 2 }));
    assert.equal(stale.kind, 'conflict');
    assert.deepEqual(stale.details, { currentVersion: 3 });
    // The step is checked before the version: a caller who may not take it learns that first.
    assert.equal(refusal(() => authorizeTransition({ ...ask, actor: collector, sentVersion: 2 })).kind, 'forbidden');
  });

  it('refuses to open an incomplete unit with what is missing (422)', () => {
    const missing = [{ rule: 'point_totals', en: 'point totals', zh: '点位总数', mandatory: true }];
    assert.throws(
      () => assertComplete({ complete: false, missing, registeredDetectionPoints: 0, registeredLinkagePoints: 0, pointsWithoutPosition: 0, drawingsOverdue: false } as unknown as Completeness),
      (err: DomainError) => err.kind === 'unprocessable' && err.code === 'incomplete' && /point totals/.test(err.message),
    );
  });

  it('refuses a pass recorded by the agency that collected the unit; a fail, or another agency, is fine', () => {
    const m = (agencyId: number | null) => ({ role: 'maintainer', agencyId });
    const refused = (err: DomainError) => err.kind === 'forbidden' && /collected this unit/.test(err.message);
    assert.throws(() => assertIndependentAcceptance({ result: 'pass' }, m(7), 7), refused);
    assert.doesNotThrow(() => assertIndependentAcceptance({ result: 'fail' }, m(7), 7));
    assert.doesNotThrow(() => assertIndependentAcceptance({ result: 'pass' }, m(8), 7), 'another named agency inspects');
    // Independence that cannot be shown is refused: a maintainer without an agency, or a unit without one.
    assert.throws(() => assertIndependentAcceptance({ result: 'pass' }, m(null), 7), refused);
    assert.throws(() => assertIndependentAcceptance({ result: 'pass' }, m(7), null), refused);
    assert.throws(() => assertIndependentAcceptance({ result: 'pass' }, { role: 'unit_user', agencyId: null }, 7), refused);
    assert.doesNotThrow(() => assertIndependentAcceptance({ result: 'pass' }, { role: 'supervisor', agencyId: null }, null));
  });

  it('refuses a pass without every signal tested and received', () => {
    const all = { result: 'pass' as const, deviceTested: true, fireSignalReceived: true, faultSignalReceived: true, supervisorySignalReceived: true, feedbackSignalReceived: true, dutyCheckAnswered: true };
    assert.doesNotThrow(() => assertPassHasEvidence(all));
    assert.throws(() => assertPassHasEvidence({ ...all, fireSignalReceived: false }), (err: DomainError) => err.kind === 'invalid' && /fireSignalReceived/.test(err.message));
    assert.doesNotThrow(() => assertPassHasEvidence({ ...all, result: 'fail', deviceTested: false }));
  });

  it('ends construction only on a passing check of a unit under construction', () => {
    assert.equal(acceptanceEndsConstruction({ result: 'pass' }, true), true);
    assert.equal(acceptanceEndsConstruction({ result: 'pass' }, false), false);
    assert.equal(acceptanceEndsConstruction({ result: 'fail' }, true), false);
  });

  it('folds (district, state) counts into one funnel per district with every state present', () => {
    const f = funnelByRegion([
      { region_adcode: 320106, region_name: '鼓楼区', onboarding_state: 'open', n: 4, under_construction: 1 },
      { region_adcode: 320106, region_name: '鼓楼区', onboarding_state: 'collecting', n: 2, under_construction: 0 },
      { region_adcode: null, region_name: null, onboarding_state: 'registered', n: 1, under_construction: 1 },
    ]);
    assert.equal(f.length, 2);
    assert.deepEqual([f[0]!.total, f[0]!.underConstruction, f[0]!.counts.open, f[0]!.counts.collecting, f[0]!.counts.closed], [6, 1, 4, 2, 0]);
    assert.deepEqual([f[1]!.regionAdcode, f[1]!.total], [null, 1]);
  });
});

describe('placement rules', () => {
  const bounds = { minLon: 118.78, minLat: 32.05, maxLon: 118.7806, maxLat: 32.0504 };
  const origin = originOf(bounds);

  it('fits a new plan to the building box: the top-left pixel is the north-west corner', () => {
    const t = planTransformFor({ widthPx: 600, heightPx: 400 }, bounds);
    const [w, h] = wgs84ToFrame(origin, bounds.maxLon, bounds.maxLat);
    const [x0, y0] = applyAffine(t, 0, 0);
    assert.ok(Math.abs(x0) < 1e-9 && Math.abs(y0 - h) < 1e-6);
    assert.ok(applyAffine(t, 600, 400)[0] <= w + 1e-6);
  });

  it('places a point from frame metres, WGS84 or plan pixels, and says what is missing', () => {
    const local = placePoint({ localXY: [10, 5] }, origin, 2, null);
    assert.deepEqual(local.localXY, [10, 5]);
    const back = placePoint({ lonLatWgs84: local.lonLatWgs84 }, origin, 2, null);
    assert.ok(Math.abs(back.localXY[0] - 10) < 1e-6 && Math.abs(back.localXY[1] - 5) < 1e-6);
    assert.deepEqual(placePoint({ planPx: [3, 4] }, origin, 2, [2, 0, 1, 0, 2, 1]).localXY, [7, 9]);
    assert.throws(() => placePoint({ planPx: [3, 4] }, origin, 2, null), (err: DomainError) => err.kind === 'conflict' && /floor 2/.test(err.message));
    assert.throws(() => positionFloor({ planPx: [1, 1] }, null), (err: DomainError) => err.kind === 'invalid');
    assert.equal(positionFloor({ localXY: [1, 1] }, null), null);
    assert.equal(positionFloor({ planPx: [1, 1], floor: 3 }, 5), 3);
    assert.equal(positionFloor({ planPx: [1, 1] }, 5), 5);
  });

  it('refuses a whole import when any row is invalid', () => {
    assert.doesNotThrow(() => assertImportable({ points: [], errors: [] }));
    assert.throws(
      () => assertImportable({ points: [], errors: [{ row: 2, message: 'bad' }] }),
      (err: DomainError) => err.kind === 'invalid' && (err.details?.rows as unknown[]).length === 1,
    );
  });
});
