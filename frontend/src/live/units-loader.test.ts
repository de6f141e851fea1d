// eslint-disable-next-line no-restricted-imports -- node:test runs these view-model tests under tsx, never in the browser
import { describe, it } from 'node:test';
// eslint-disable-next-line no-restricted-imports
import assert from 'node:assert/strict';
import { allocUnitPositions, decodeUnitPositions, UNIT_POSITION_FLAG as F } from '@firelink/common';
import { UNIT_STATE } from '../model/colors.ts';
import { UNIT_RADIUS_M, UnitStore } from '../model/unit-store.ts';
import { regionRatesOfPositions } from './units-loader.ts';

/** A packed body as the server sends it, decoded as the browser does. */
function packed(units: Array<{ id: number; lon: number; lat: number; region: number; flags: number }>) {
  const { bytes, columns } = allocUnitPositions(units.length);
  units.forEach((u, i) => {
    columns.ids[i] = u.id;
    columns.lonLat[2 * i] = u.lon;
    columns.lonLat[2 * i + 1] = u.lat;
    columns.regions[i] = u.region;
    columns.flags[i] = u.flags;
  });
  return decodeUnitPositions(bytes.slice().buffer);
}

const UNITS = [
  { id: 7, lon: 118.78, lat: 32.05, region: 320102, flags: F.open | F.online | F.hasControlRoom | F.highRisk },
  { id: 9, lon: 118.79, lat: 32.06, region: 320102, flags: F.hasControlRoom },
  { id: 12, lon: 118.8, lat: 32.07, region: 320106, flags: F.open | F.hasControlRoom },
  { id: 40, lon: 118.81, lat: 32.08, region: 0, flags: F.open | F.online },
];

describe('packed unit positions → units store', () => {
  it('loads ids, positions, importance and state without per-unit objects', () => {
    const s = new UnitStore();
    const v0 = s.version;
    s.setPositions(packed(UNITS));
    assert.equal(s.length, 4);
    assert.ok(s.version > v0);
    assert.deepEqual(Array.from(s.ids), [7, 9, 12, 40]);
    const [lon, lat] = s.lonLatOf(12)!;
    assert.ok(Math.abs(lon - 118.8) < 1e-5 && Math.abs(lat - 32.07) < 1e-5);
    assert.equal(s.radii[0], UNIT_RADIUS_M.highRisk);
    assert.equal(s.radii[1], UNIT_RADIUS_M.normal);
    assert.equal(s.states[0], UNIT_STATE.normal);
    assert.equal(s.states[1], UNIT_STATE.unopened);
    assert.equal(s.states[2], UNIT_STATE.offline, 'open but no device online');
    // Live alarms still drive the colour after a packed load.
    assert.equal(s.trackAlarm(1, 7, 'fire', false), true);
    assert.equal(s.states[0], UNIT_STATE.fire);
    assert.deepEqual(s.counts(), { total: 4, open: 3, online: 2, withControlRoom: 3, openWithControlRoom: 2 });
  });

  it('keeps alarms tracked before the units arrived (the stream can be faster than the load)', () => {
    const s = new UnitStore();
    s.trackAlarm(5, 9, 'fire', false);
    s.setPositions(packed(UNITS));
    assert.equal(s.states[s.indexOf(9)!], UNIT_STATE.fire);
  });

  it('connection rate per region counts units with a control room; region 0 (none) is skipped', () => {
    const r = regionRatesOfPositions(packed(UNITS), 0.6);
    assert.deepEqual([...r.keys()].sort(), [320102, 320106]);
    assert.equal(r.get(320102)!.rate, 0.5);
    assert.equal(r.get(320106)!.rate, 1);
    assert.equal(r.get(320102)!.target, 0.6);
  });
});
