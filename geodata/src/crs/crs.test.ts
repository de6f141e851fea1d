import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  bd09ToGcj02,
  bd09ToWgs84,
  convert,
  distanceMeters,
  epsg3857ToWgs84,
  gcj02ToBd09,
  gcj02ToWgs84,
  wgs84ToBd09,
  wgs84ToEpsg3857,
  wgs84ToGcj02,
} from './index.ts';

const close = (a: readonly number[], b: readonly number[], eps: number, msg: string) => {
  assert.ok(Math.abs(a[0]! - b[0]!) < eps && Math.abs(a[1]! - b[1]!) < eps, `${msg}: ${a} vs ${b} (±${eps})`);
};

describe('coordinate conversion', () => {
  // Known pairs published with the widely used coordtransform library (Tiananmen, 116.404/39.915).
  it('WGS84 → GCJ-02 matches the published pair', () => {
    close(wgs84ToGcj02(116.404, 39.915), [116.41024449916938, 39.91640428150164], 1e-9, 'wgs84→gcj02');
  });
  it('GCJ-02 → BD-09 matches the published pair', () => {
    close(gcj02ToBd09(116.404, 39.915), [116.41036949371029, 39.92133699351021], 1e-9, 'gcj02→bd09');
  });
  it('BD-09 → GCJ-02 is within 1 m of the published one-step pair and exact on round trip', () => {
    const g = bd09ToGcj02(116.404, 39.915);
    assert.ok(distanceMeters(g, [116.39762729119315, 39.90865673957631]) < 1);
    close(gcj02ToBd09(g[0], g[1]), [116.404, 39.915], 1e-9, 'round trip');
  });
  it('GCJ-02 → WGS84 inverts the forward formula to sub-millimetre', () => {
    // The published one-step inverse is [116.39775550083061, 39.91359571849836]; ours iterates.
    const w = gcj02ToWgs84(116.404, 39.915);
    assert.ok(distanceMeters(w, [116.39775550083061, 39.91359571849836]) < 2);
    close(wgs84ToGcj02(w[0], w[1]), [116.404, 39.915], 1e-8, 'forward of inverse');
  });
  it('the GCJ-02 shift in Nanjing is about half a kilometre', () => {
    const nanjing: [number, number] = [118.7969, 32.0603];
    const d = distanceMeters(nanjing, wgs84ToGcj02(...nanjing));
    assert.ok(d > 400 && d < 700, `shift ${d} m`);
  });
  it('outside China GCJ-02 equals WGS84', () => {
    assert.deepEqual(wgs84ToGcj02(2.35, 48.85), [2.35, 48.85]);
  });
  it('BD-09 ↔ WGS84 and EPSG:3857 round-trip', () => {
    const p: [number, number] = [118.78, 32.04];
    const b = wgs84ToBd09(...p);
    close(bd09ToWgs84(b[0], b[1]), p, 1e-8, 'bd09');
    const m = wgs84ToEpsg3857(...p);
    close(epsg3857ToWgs84(m[0], m[1]), p, 1e-9, '3857');
    // 20037508.34 m is the Web Mercator half-width at 180°.
    close(wgs84ToEpsg3857(180, 0), [20037508.342789244, 0], 1e-3, '3857 extent');
    close(convert('bd09', 'gcj02', ...gcj02ToBd09(118.8, 32.1)), [118.8, 32.1], 1e-9, 'convert');
  });
});
