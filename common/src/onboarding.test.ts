import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROLES } from './event.ts';
import { activeRules, checkTransition, evaluateCompleteness, nextStates, pointClass, type Actor, type AgencyKind, type CompletenessInput } from './onboarding.ts';

const admin: Actor = { role: 'admin', agencyKind: null };
const collector: Actor = { role: 'maintainer', agencyKind: 'maintenance' };
const verifier: Actor = { role: 'maintainer', agencyKind: 'operations' };
const supervisor: Actor = { role: 'supervisor', agencyKind: null };
const operator: Actor = { role: 'operator', agencyKind: null };

const complete: CompletenessInput = {
  name: '新街口百货',
  address: '中山路1号',
  lonLatWgs84: [118.78, 32.04],
  category: 'mall',
  hasControlRoom: true,
  controlRoomPhone: '025-84000000',
  contacts: [
    { role: 'responsible', name: '张三', phone: '13800000001' },
    { role: 'manager', name: '李四', phone: '13800000002' },
  ],
  maintenanceAgencyId: 1,
  uitdAddresses: [123456],
  verifiedDetectionPoints: 10,
  verifiedLinkagePoints: 4,
  pointTotalNote: null,
  registeredDetectionPoints: 10,
  registeredLinkagePoints: 4,
  underConstruction: false,
  acceptancePassed: false,
};

describe('onboarding lifecycle rules', () => {
  it('lets each step be done only by its role', () => {
    assert.equal(checkTransition('registered', 'collecting', collector, '').ok, true);
    assert.equal(checkTransition('registered', 'collecting', operator, '').ok, false);
    assert.equal(checkTransition('collecting', 'verified', verifier, '').ok, true);
    assert.equal(checkTransition('collecting', 'verified', collector, '').ok, false);
    assert.equal(checkTransition('collecting', 'verified', admin, '').ok, false);
    assert.equal(checkTransition('verified', 'reviewed', admin, '').ok, true);
    assert.equal(checkTransition('verified', 'reviewed', supervisor, '').ok, false);
    assert.equal(checkTransition('reviewed', 'open', admin, '').ok, true);
    assert.equal(checkTransition('reviewed', 'open', verifier, '').ok, false);
    const both: Actor = { role: 'maintainer', agencyKind: 'both' };
    assert.equal(checkTransition('registered', 'collecting', both, '').ok, true);
    assert.equal(checkTransition('collecting', 'verified', both, '').ok, true);
  });

  it('allows each step to exactly the documented actors, over every role and agency kind', () => {
    // [from, to, actors allowed] — actors as role or role:agencyKind.
    const matrix: Array<[Parameters<typeof checkTransition>[0], Parameters<typeof checkTransition>[1], string[]]> = [
      ['registered', 'collecting', ['admin', 'maintainer:maintenance', 'maintainer:both']],
      ['collecting', 'verified', ['maintainer:operations', 'maintainer:both']],
      ['verified', 'collecting', ['admin', 'maintainer:operations', 'maintainer:both']],
      ['reviewed', 'collecting', ['admin', 'maintainer:operations', 'maintainer:both']],
      ['verified', 'reviewed', ['admin']],
      ['reviewed', 'open', ['admin']],
      ['suspended', 'open', ['admin']],
      ['open', 'suspended', ['admin', 'supervisor']],
      ['collecting', 'closed', ['admin']],
      ['open', 'closed', ['admin']],
    ];
    const actors: Actor[] = ROLES.flatMap((role): Actor[] =>
      role === 'maintainer'
        ? ([null, 'maintenance', 'operations', 'both'] as Array<AgencyKind | null>).map((agencyKind) => ({ role, agencyKind }))
        : [{ role, agencyKind: null }],
    );
    const name = (a: Actor) => (a.agencyKind ? `${a.role}:${a.agencyKind}` : a.role);
    for (const [from, to, allowed] of matrix) {
      const got = actors.filter((a) => checkTransition(from, to, a, 'note').ok).map(name).sort();
      assert.deepEqual(got, [...allowed].sort(), `${from} → ${to}`);
    }
  });

  it('refuses undefined steps and sends-back without a note', () => {
    const r = checkTransition('registered', 'open', admin, '');
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.reason, 'invalid_transition');
    const n = checkTransition('open', 'suspended', supervisor, '  ');
    assert.equal(!n.ok && n.reason, 'note_required');
    assert.equal(checkTransition('open', 'suspended', supervisor, '停业整改').ok, true);
    assert.deepEqual(nextStates('verified', admin).sort(), ['closed', 'collecting', 'reviewed']);
  });
});

describe('completeness rules', () => {
  it('passes a complete unit and lists each missing item', () => {
    assert.deepEqual(evaluateCompleteness(complete), []);
    const missing = evaluateCompleteness({ ...complete, address: ' ', controlRoomPhone: null, contacts: [complete.contacts[0]!], uitdAddresses: [] });
    assert.deepEqual(missing.map((m) => m.rule), ['address', 'control_room', 'responsible_persons', 'uitd_address']);
    assert.match(missing[2]!.en, /manager/);
  });

  it('blocks a point-total mismatch unless the difference is explained', () => {
    const mism = { ...complete, registeredDetectionPoints: 8 };
    const m = evaluateCompleteness(mism);
    assert.deepEqual(m.map((x) => x.rule), ['point_totals']);
    assert.match(m[0]!.en, /verified 10 vs registered 8/);
    assert.deepEqual(evaluateCompleteness({ ...mism, pointTotalNote: '2 detectors in the sealed archive, not wired' }), []);
    assert.deepEqual(evaluateCompleteness({ ...complete, verifiedLinkagePoints: null }).map((x) => x.rule), ['point_totals']);
  });

  it('keeps the mandatory point-total rule on when configuration disables it', () => {
    const rules = activeRules(['address', 'point_totals']);
    assert.ok(rules.some((r) => r.id === 'point_totals'));
    assert.ok(!rules.some((r) => r.id === 'address'));
    assert.deepEqual(evaluateCompleteness({ ...complete, address: null, verifiedDetectionPoints: null }, rules).map((x) => x.rule), ['point_totals']);
  });

  it('requires a passing acceptance check for new construction', () => {
    assert.deepEqual(evaluateCompleteness({ ...complete, underConstruction: true }).map((x) => x.rule), ['acceptance']);
    assert.deepEqual(evaluateCompleteness({ ...complete, underConstruction: true, acceptancePassed: true }), []);
  });

  it('classifies points by GB/T 26875 system and component type', () => {
    assert.equal(pointClass(1, 42), 'detection'); // photoelectric smoke
    assert.equal(pointClass(1, 23), 'detection'); // manual call point
    assert.equal(pointClass(10, 84), 'linkage'); // module on the linkage controller
    assert.equal(pointClass(1, 91), 'linkage'); // fire pump
    assert.equal(pointClass(1, 1), null); // the controller itself
  });
});
