// Rules of a unit write that need no database: which fields a unit-bound caller may change,
// the version check of an edit, and what the audit log keeps of the row before it. Pure.
import type { UnitPatch } from '@firelink/common';
import { conflict, forbidden } from '../../kernel/errors.ts';

/**
 * Fields a unit-bound caller (maintainer) may not change: category and construction decide
 * targets and statistics, the external id and the drawings deadline belong to the center.
 * (The maintenance agency is part of what a collector fills in.)
 */
export const MAINTAINER_FIXED = ['category', 'underConstruction', 'externalId', 'drawingsDue'] as const;

/** A maintainer collects a unit's information; what decides who oversees the unit and how it is counted stays with its supervisor. */
export function assertUnitBoundMayPatch(patch: UnitPatch, callerAgencyId: number | null = null): void {
  const refused = MAINTAINER_FIXED.filter((k) => patch[k] !== undefined);
  if (refused.length) throw forbidden(`${refused.join(', ')}: only the unit's supervisor or an administrator changes these`);
  // The collecting agency decides who may pass the unit's acceptance: a maintainer records
  // their own agency as the collector, never clears it or names another.
  if (patch.maintenanceAgencyId !== undefined && (callerAgencyId == null || patch.maintenanceAgencyId !== callerAgencyId)) {
    throw forbidden('maintenanceAgencyId: a maintainer may only record their own agency; the unit\'s supervisor or an administrator changes it otherwise');
  }
}

/** An edit applies to the version it was made on. */
export function assertSameVersion(current: number, sent: number): void {
  if (current !== sent) {
    throw conflict(`the unit was changed by someone else (version ${current}, you sent ${sent}): reload and apply your edit again`, {
      currentVersion: current,
    });
  }
}

/** The changed fields (camelCase) as they were in the row (snake_case columns), for the audit log. */
export function fieldsBefore(row: Record<string, unknown>, changed: Record<string, unknown>): Record<string, unknown> {
  const snake = (k: string) => k.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(changed)) out[k] = k === 'lonLatWgs84' ? row.lon_lat : row[snake(k)];
  return out;
}
