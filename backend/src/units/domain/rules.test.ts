import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UnitPatch } from '@firelink/common';
import type { DomainError } from '../../kernel/errors.ts';
import { assertSameVersion, assertUnitBoundMayPatch, fieldsBefore } from './rules.ts';

describe('unit write rules', () => {
  it('lets a unit-bound caller edit what it collects, not what the center decides', () => {
    assert.doesNotThrow(() => assertUnitBoundMayPatch({ version: 1, name: 'x' } as UnitPatch));
    // The collecting agency decides who may pass the unit's acceptance: a maintainer records
    // their own agency, never clears it or names another.
    assert.doesNotThrow(() => assertUnitBoundMayPatch({ version: 1, maintenanceAgencyId: 3 } as UnitPatch, 3));
    assert.throws(() => assertUnitBoundMayPatch({ version: 1, maintenanceAgencyId: null } as unknown as UnitPatch, 3), /maintenanceAgencyId/);
    assert.throws(() => assertUnitBoundMayPatch({ version: 1, maintenanceAgencyId: 4 } as UnitPatch, 3), /maintenanceAgencyId/);
    assert.throws(() => assertUnitBoundMayPatch({ version: 1, maintenanceAgencyId: 3 } as UnitPatch, null), /maintenanceAgencyId/);
    assert.throws(
      () => assertUnitBoundMayPatch({ version: 1, category: 'hotel', externalId: 'e' } as UnitPatch),
      (err: DomainError) => err.kind === 'forbidden' && /^category, externalId:/.test(err.message),
    );
  });

  it('refuses an edit made on an older version, with the current one', () => {
    assert.doesNotThrow(() => assertSameVersion(4, 4));
    assert.throws(() => assertSameVersion(5, 4), (err: DomainError) => err.kind === 'conflict' && (err.details as { currentVersion: number }).currentVersion === 5);
  });

  it('keeps the changed fields as the row had them', () => {
    const row = { name: '旧名', control_room_phone: '025-1', lon_lat: [118.7, 32.0], category: 'mall' };
    assert.deepEqual(fieldsBefore(row, { name: '新名', controlRoomPhone: '025-2', lonLatWgs84: [118.8, 32.1] }), {
      name: '旧名',
      controlRoomPhone: '025-1',
      lonLatWgs84: [118.7, 32.0],
    });
  });
});
