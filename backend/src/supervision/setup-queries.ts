// SQL of the supervision setup screens: testing agencies (who sees and edits which) and the
// agency that tested a unit.
import { scopePredicate, type Scope } from '../auth/scope.ts';
import type { Query } from '../db/pool.ts';

/**
 * Agencies the caller sees: an admin all; others those registered for every region (NULL)
 * or in a region that overlaps their jurisdiction (inside it, or a city above their
 * district). `units` counts the units of the caller's jurisdiction that the agency tested.
 */
export function listTestingAgencies(scope: Scope): Query {
  const values: unknown[] = [];
  const unitScope = scopePredicate(scope, { region: 'u.region_adcode', unit: 'u.id' }, values);
  let visible = 'TRUE';
  if (scope.kind === 'regions') {
    const inside = scopePredicate(scope, { region: 'ta.region_adcode' }, values);
    visible = `(ta.region_adcode IS NULL OR ${inside} OR EXISTS (SELECT 1 FROM unnest($${values.length}::int[]) c
                 WHERE (c / 100) * 100 = ta.region_adcode OR (c / 10000) * 10000 = ta.region_adcode))`;
  } else if (scope.kind === 'units') visible = 'ta.region_adcode IS NULL';
  return {
    text: `SELECT ta.id, ta.name, ta.license_no, ta.region_adcode, r.name AS region_name, ta.version,
                  (SELECT count(*) FROM supervision_unit_testing ut JOIN units u ON u.id = ut.unit_id
                    WHERE ut.testing_agency_id = ta.id AND ${unitScope})::int AS units
           FROM testing_agencies ta LEFT JOIN regions r ON r.adcode = ta.region_adcode
           WHERE ${visible}
           ORDER BY ta.name, ta.id`,
    values,
  };
}

export function insertTestingAgency(a: { name: string; licenseNo: string | null; regionAdcode: number | null; createdBy: number | null }): Query {
  return {
    text: `INSERT INTO testing_agencies (name, license_no, region_adcode, created_by) VALUES ($1, $2, $3, $4) RETURNING id`,
    values: [a.name, a.licenseNo, a.regionAdcode, a.createdBy],
  };
}

export function testingAgencyForUpdate(id: number): Query {
  return { text: `SELECT id, name, license_no, region_adcode, version FROM testing_agencies WHERE id = $1 FOR UPDATE`, values: [id] };
}

export function updateTestingAgency(id: number, a: { name: string; licenseNo: string | null }): Query {
  return {
    text: `UPDATE testing_agencies SET name = $2, license_no = $3, version = version + 1 WHERE id = $1`,
    values: [id, a.name, a.licenseNo],
  };
}

export function unitTestingAgency(unitId: number): Query {
  return { text: `SELECT testing_agency_id FROM supervision_unit_testing WHERE unit_id = $1`, values: [unitId] };
}

export function setUnitTestingAgency(unitId: number, agencyId: number | null): Query {
  return agencyId == null
    ? { text: `DELETE FROM supervision_unit_testing WHERE unit_id = $1`, values: [unitId] }
    : {
        text: `INSERT INTO supervision_unit_testing (unit_id, testing_agency_id) VALUES ($1, $2)
               ON CONFLICT (unit_id) DO UPDATE SET testing_agency_id = EXCLUDED.testing_agency_id, set_at = now()`,
        values: [unitId, agencyId],
      };
}

/** The unit's maintenance agency and the testing agency that serves it (the unit is checked against the scope before). */
export function unitAgencies(unitId: number): Query {
  return {
    text: `SELECT u.id, u.name, r.name AS region_name, ma.id AS ma_id, ma.name AS ma_name, ma.phone AS ma_phone,
                  ta.id AS ta_id, ta.name AS ta_name, ta.license_no AS ta_license, ut.set_at
           FROM units u LEFT JOIN regions r ON r.adcode = u.region_adcode
           LEFT JOIN maintenance_agencies ma ON ma.id = u.maintenance_agency_id
           LEFT JOIN supervision_unit_testing ut ON ut.unit_id = u.id
           LEFT JOIN testing_agencies ta ON ta.id = ut.testing_agency_id
           WHERE u.id = $1`,
    values: [unitId],
  };
}

/** The unit's latest acceptance records (the supervisors' back-checks), newest first. */
export function unitBackChecks(unitId: number, limit: number): Query {
  return {
    text: `SELECT ar.id, ar.signed_at, ar.result, ar.inspector_name, ar.device_address, ar.evidence, ar.testing_agency_id, ta.name AS ta_name
           FROM supervision_acceptance_records ar LEFT JOIN testing_agencies ta ON ta.id = ar.testing_agency_id
           WHERE ar.unit_id = $1 ORDER BY ar.signed_at DESC, ar.id DESC LIMIT $2`,
    values: [unitId, limit],
  };
}

/** The audited changes of the unit's testing agency, newest first, with the agencies' names. */
export function unitTestingAgencyChanges(unitId: number, limit: number): Query {
  return {
    text: `SELECT a.at, coalesce(u.display_name, a.actor_name) AS actor_name, fa.name AS from_name, ta.name AS to_name
           FROM audit_log a
           LEFT JOIN users u ON u.id = a.actor_id
           LEFT JOIN testing_agencies fa ON fa.id = (a.before ->> 'agencyId')::bigint
           LEFT JOIN testing_agencies ta ON ta.id = (a.after ->> 'agencyId')::bigint
           WHERE a.entity = 'unit' AND a.entity_id = $1 AND a.action = 'supervision.unit_testing_agency'
           ORDER BY a.at DESC, a.id DESC LIMIT $2`,
    values: [String(unitId), limit],
  };
}
