// eslint-disable-next-line no-restricted-imports -- node:test runs these view-model tests under tsx, never in the browser
import { describe, it } from 'node:test';
// eslint-disable-next-line no-restricted-imports
import assert from 'node:assert/strict';
import type { UnitDetail } from '@firelink/common';
import { cumulative } from './funnel.tsx';
import { planPxOf } from './floor-plan.tsx';
import { liveMissing, parseLonLat, payloadOf, type FormState } from './unit-form-model.ts';

const form: FormState = {
  name: '新街口百货',
  address: '中山路1号',
  category: 'mall',
  lonLat: '118.7803, 32.0502',
  hasControlRoom: true,
  controlRoomPhone: '025-84000000',
  contacts: [
    { role: 'responsible', name: '张三', phone: '13800000001' },
    { role: 'manager', name: '李四', phone: '13800000002' },
  ],
  maintenanceAgencyId: '3',
  verifiedDetectionPoints: '2',
  verifiedLinkagePoints: '1',
  pointTotalNote: '',
  drawingsDue: '',
  underConstruction: false,
};

const unit = {
  devices: [{ id: 1, address: 1122, protocol: 'gb26875', model: null, online: true, lastSeenAt: null }],
  completeness: { complete: false, missing: [], registeredDetectionPoints: 2, registeredLinkagePoints: 1, pointsWithoutPosition: 0, drawingsOverdue: false },
  constructionAcceptedAt: null,
} as unknown as UnitDetail;

describe('onboarding unit form view model', () => {
  it('parses WGS84 lon,lat and maps the form to the API payload', () => {
    assert.deepEqual(parseLonLat('118.7803, 32.0502'), [118.7803, 32.0502]);
    assert.equal(parseLonLat('200,10'), null);
    const p = payloadOf({ ...form, address: '  ', verifiedLinkagePoints: '' });
    assert.equal(p.address, null);
    assert.equal(p.verifiedLinkagePoints, null);
    assert.equal(p.maintenanceAgencyId, 3);
  });

  it('shows live completeness with the server-side counts, as the server will judge it', () => {
    assert.deepEqual(liveMissing(form, unit), []);
    assert.deepEqual(liveMissing({ ...form, verifiedDetectionPoints: '5' }, unit).map((m) => m.rule), ['point_totals']);
    assert.deepEqual(liveMissing(form, null).map((m) => m.rule), ['uitd_address', 'point_totals']);
    assert.deepEqual(liveMissing({ ...form, underConstruction: true }, unit).map((m) => m.rule), ['acceptance']);
  });

  it('builds the funnel as units at or past each step', () => {
    const c = cumulative({ regionAdcode: 1, regionName: 'x', counts: { registered: 4, collecting: 3, verified: 2, reviewed: 1, open: 5, suspended: 1, closed: 2 }, underConstruction: 0, total: 18 });
    assert.deepEqual(c, { registered: 16, collecting: 12, verified: 9, reviewed: 7, open: 6 });
  });

  it('puts a placed point back on its plan pixel', () => {
    const floor = { floor: 1, hasPlan: true, planSizePx: [600, 400] as [number, number], planTransform: [0.1, 0, 0, 0, -0.1, 40], points: [] };
    const px = planPxOf(floor, [30, 20])!;
    assert.ok(Math.abs(px[0] - 300) < 1e-9 && Math.abs(px[1] - 200) < 1e-9);
    assert.equal(planPxOf({ ...floor, planTransform: null }, [1, 1]), null);
  });
});
