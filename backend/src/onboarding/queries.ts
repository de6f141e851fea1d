// SQL of the onboarding workflow: transitions, queue, funnel, acceptance checks, floor plans,
// point positions and imports.
import type { Scope } from '../auth/scope.ts';
import { scopePredicate } from '../auth/scope.ts';
import type { Query } from '../db/pool.ts';

export function agencyKindOfUser(userId: number): Query {
  return {
    text: `SELECT ma.id, ma.kind FROM users u JOIN maintenance_agencies ma ON ma.id = u.maintenance_agency_id WHERE u.id = $1`,
    values: [userId],
  };
}

export function setState(id: number, version: number, to: string, drawingsDays: number): Query {
  return {
    text: `UPDATE units u SET onboarding_state = $3,
             opened_at = CASE WHEN $3 = 'open' THEN COALESCE(u.opened_at, now()) ELSE u.opened_at END,
             -- Drawings may follow opening: set their deadline when some point has no position yet.
             drawings_due = CASE
               WHEN $3 = 'open' AND u.drawings_due IS NULL
                    AND EXISTS (SELECT 1 FROM points p WHERE p.unit_id = u.id AND p.position IS NULL)
               THEN (now() AT TIME ZONE 'Asia/Shanghai')::date + $4::int
               ELSE u.drawings_due END,
             version = u.version + 1, updated_at = now()
           WHERE u.id = $1 AND u.version = $2
           RETURNING u.onboarding_state, u.version, u.opened_at, u.drawings_due::text AS drawings_due`,
    values: [id, version, to, drawingsDays],
  };
}

export function transitionHistory(unitId: number): Query {
  return {
    text: `SELECT at, actor_name, before->>'state' AS from_state, after->>'state' AS to_state, after->>'note' AS note
           FROM audit_log WHERE entity = 'unit' AND entity_id = $1 AND action = 'unit.transition' ORDER BY at, id`,
    values: [String(unitId)],
  };
}

/** The onboarding queue: units not yet open (or open with overdue drawings), oldest change first. */
export function queue(scope: Scope, opts: { states: string[]; includeDrawingsOverdue: boolean; limit: number; offset: number }): Query {
  const values: unknown[] = [opts.states];
  const pred = scopePredicate(scope, { region: 'u.region_adcode', unit: 'u.id' }, values);
  values.push(opts.includeDrawingsOverdue, opts.limit, opts.offset);
  const n = values.length;
  return {
    text: `SELECT u.id, u.name, u.address, u.category, u.onboarding_state, u.under_construction, u.region_adcode,
             r.name AS region_name, u.version, u.updated_at, u.drawings_due::text AS drawings_due,
             count(*) OVER () AS total
           FROM units u LEFT JOIN regions r ON r.adcode = u.region_adcode
           WHERE ${pred} AND (u.onboarding_state = ANY($1::text[])
                  OR ($${n - 2} AND u.onboarding_state = 'open' AND u.drawings_due < (now() AT TIME ZONE 'Asia/Shanghai')::date
                      AND EXISTS (SELECT 1 FROM points p WHERE p.unit_id = u.id AND p.position IS NULL)))
           ORDER BY array_position(ARRAY['registered','collecting','verified','reviewed','open','suspended','closed'], u.onboarding_state),
                    u.updated_at, u.id
           LIMIT $${n - 1} OFFSET $${n}`,
    values,
  };
}

export function funnel(scope: Scope): Query {
  const values: unknown[] = [];
  const pred = scopePredicate(scope, { region: 'u.region_adcode', unit: 'u.id' }, values);
  return {
    text: `SELECT u.region_adcode, r.name AS region_name, u.onboarding_state, count(*)::int AS n,
             count(*) FILTER (WHERE u.under_construction)::int AS under_construction
           FROM units u LEFT JOIN regions r ON r.adcode = u.region_adcode
           WHERE ${pred}
           GROUP BY 1, 2, 3 ORDER BY 1 NULLS LAST`,
    values,
  };
}

export function insertAcceptance(unitId: number, a: Record<string, unknown>, by: number | null): Query {
  return {
    text: `INSERT INTO acceptance_checks (unit_id, checked_on, device_tested, device_address, fire_signal_received,
             fault_signal_received, supervisory_signal_received, feedback_signal_received, duty_check_answered,
             result, inspector, notes, recorded_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id, recorded_at`,
    values: [
      unitId, a.checkedOn, a.deviceTested, a.deviceAddress, a.fireSignalReceived, a.faultSignalReceived,
      a.supervisorySignalReceived, a.feedbackSignalReceived, a.dutyCheckAnswered, a.result, a.inspector, a.notes, by,
    ],
  };
}

export function acceptConstruction(unitId: number): Query {
  return {
    text: `UPDATE units SET under_construction = false, construction_accepted_at = COALESCE(construction_accepted_at, now()),
             version = version + 1, updated_at = now()
           WHERE id = $1 RETURNING version`,
    values: [unitId],
  };
}

export function listAcceptance(unitId: number): Query {
  return {
    text: `SELECT id, checked_on::text AS checked_on, device_tested, device_address, fire_signal_received, fault_signal_received,
             supervisory_signal_received, feedback_signal_received, duty_check_answered, result, inspector, notes,
             recorded_by, recorded_at
           FROM acceptance_checks WHERE unit_id = $1 ORDER BY recorded_at DESC, id DESC`,
    values: [unitId],
  };
}

export function upsertFloorPlan(buildingId: number, floor: number, image: Buffer, mime: string, w: number, h: number, transform: number[]): Query {
  return {
    text: `INSERT INTO floor_plans (building_id, floor, image, mime_type, width_px, height_px, transform)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (building_id, floor) DO UPDATE SET image = EXCLUDED.image, mime_type = EXCLUDED.mime_type,
             width_px = EXCLUDED.width_px, height_px = EXCLUDED.height_px, transform = EXCLUDED.transform, uploaded_at = now()
           RETURNING id`,
    values: [buildingId, floor, image, mime, w, h, transform],
  };
}

export function floorPlan(buildingId: number, floor: number): Query {
  return {
    text: `SELECT image, mime_type, width_px, height_px, transform FROM floor_plans WHERE building_id = $1 AND floor = $2`,
    values: [buildingId, floor],
  };
}

export function setPlanTransform(buildingId: number, floor: number, transform: number[]): Query {
  return {
    text: `UPDATE floor_plans SET transform = $3 WHERE building_id = $1 AND floor = $2 RETURNING id`,
    values: [buildingId, floor, transform],
  };
}

export function buildingFrame(buildingId: number): Query {
  return {
    text: `SELECT ST_XMin(footprint) AS min_lon, ST_YMin(footprint) AS min_lat, ST_XMax(footprint) AS max_lon, ST_YMax(footprint) AS max_lat
           FROM buildings WHERE id = $1`,
    values: [buildingId],
  };
}

export function pointOfUnit(unitId: number, pointId: number): Query {
  return {
    text: `SELECT id, floor, position_local_x, position_local_y FROM points WHERE id = $2 AND unit_id = $1 FOR NO KEY UPDATE`,
    values: [unitId, pointId],
  };
}

export function setPointPosition(pointId: number, floor: number | null, x: number, y: number, lon: number, lat: number): Query {
  return {
    text: `UPDATE points SET floor = COALESCE($2, floor), position_local_x = $3, position_local_y = $4,
             position = ST_SetSRID(ST_MakePoint($5, $6), 4326)
           WHERE id = $1`,
    values: [pointId, floor, x, y, lon, lat],
  };
}

export function unitDevice(unitId: number, address: number | null): Query {
  return address == null
    ? { text: `SELECT id, address FROM devices WHERE unit_id = $1 ORDER BY id LIMIT 1`, values: [unitId] }
    : { text: `SELECT id, address FROM devices WHERE unit_id = $1 AND address = $2`, values: [unitId, address] };
}

export function upsertSystem(deviceId: number, systemType: number, systemAddress: number): Query {
  return {
    text: `INSERT INTO facility_systems (device_id, system_type, system_address) VALUES ($1, $2, $3)
           ON CONFLICT (device_id, system_type, system_address) DO UPDATE SET system_type = EXCLUDED.system_type
           RETURNING id`,
    values: [deviceId, systemType, systemAddress],
  };
}

export function upsertPoint(p: {
  unitId: number;
  systemId: number;
  componentType: number;
  componentAddress: number;
  floor: number | null;
  label: string | null;
}): Query {
  return {
    text: `INSERT INTO points (unit_id, system_id, component_type, component_address, floor, label)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (system_id, component_address) DO UPDATE SET component_type = EXCLUDED.component_type,
             floor = COALESCE(EXCLUDED.floor, points.floor), label = COALESCE(EXCLUDED.label, points.label)
           RETURNING id, (xmax = 0) AS inserted`,
    values: [p.unitId, p.systemId, p.componentType, p.componentAddress, p.floor, p.label],
  };
}
