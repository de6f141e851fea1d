// The onboarding unit form's pure model: form state, the API payload it maps to, and live
// completeness from the same rules the server enforces (common). No React, no map: the
// view-model tests import it under node.
import { COMPLETENESS_RULES, evaluateCompleteness, type CompletenessItem, type Contact, type UnitDetail } from '@firelink/common';

export interface FormState {
  name: string;
  address: string;
  category: string;
  lonLat: string;
  hasControlRoom: boolean;
  controlRoomPhone: string;
  contacts: Contact[];
  maintenanceAgencyId: string;
  verifiedDetectionPoints: string;
  verifiedLinkagePoints: string;
  pointTotalNote: string;
  drawingsDue: string;
  underConstruction: boolean;
}

export const EMPTY: FormState = {
  name: '',
  address: '',
  category: 'other',
  lonLat: '',
  hasControlRoom: true,
  controlRoomPhone: '',
  contacts: [],
  maintenanceAgencyId: '',
  verifiedDetectionPoints: '',
  verifiedLinkagePoints: '',
  pointTotalNote: '',
  drawingsDue: '',
  underConstruction: false,
};

export function formFromUnit(u: UnitDetail): FormState {
  return {
    name: u.name,
    address: u.address ?? '',
    category: u.category,
    lonLat: u.lonLatWgs84 ? u.lonLatWgs84.map((x) => x.toFixed(6)).join(',') : '',
    hasControlRoom: u.hasControlRoom,
    controlRoomPhone: u.controlRoomPhone ?? '',
    contacts: u.contacts,
    maintenanceAgencyId: u.maintenanceAgency ? String(u.maintenanceAgency.id) : '',
    verifiedDetectionPoints: u.verifiedDetectionPoints == null ? '' : String(u.verifiedDetectionPoints),
    verifiedLinkagePoints: u.verifiedLinkagePoints == null ? '' : String(u.verifiedLinkagePoints),
    pointTotalNote: u.pointTotalNote ?? '',
    drawingsDue: u.drawingsDue ?? '',
    underConstruction: u.underConstruction,
  };
}

const intOrNull = (v: string) => (v.trim() === '' || !Number.isFinite(Number(v)) ? null : Math.trunc(Number(v)));
const textOrNull = (v: string) => (v.trim() === '' ? null : v.trim());
export function parseLonLat(v: string): [number, number] | null {
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*[, ]\s*(-?\d+(?:\.\d+)?)\s*$/.exec(v);
  if (!m) return null;
  const lon = Number(m[1]);
  const lat = Number(m[2]);
  return Math.abs(lon) <= 180 && Math.abs(lat) <= 90 ? [lon, lat] : null;
}

/** The form as the API's writable fields. */
export function payloadOf(f: FormState) {
  return {
    name: f.name.trim(),
    address: textOrNull(f.address),
    category: f.category,
    lonLatWgs84: parseLonLat(f.lonLat),
    hasControlRoom: f.hasControlRoom,
    controlRoomPhone: textOrNull(f.controlRoomPhone),
    contacts: f.contacts.filter((c) => c.name.trim() || c.phone.trim()),
    maintenanceAgencyId: intOrNull(f.maintenanceAgencyId),
    verifiedDetectionPoints: intOrNull(f.verifiedDetectionPoints),
    verifiedLinkagePoints: intOrNull(f.verifiedLinkagePoints),
    pointTotalNote: textOrNull(f.pointTotalNote),
    drawingsDue: textOrNull(f.drawingsDue),
    underConstruction: f.underConstruction,
  };
}

/** Live completeness: the form's values plus what only the server knows (points, devices, acceptance). */
export function liveMissing(f: FormState, unit: UnitDetail | null, disabledRules: readonly string[] = []): CompletenessItem[] {
  const p = payloadOf(f);
  const rules = COMPLETENESS_RULES.filter((r) => r.mandatory || !disabledRules.includes(r.id));
  return evaluateCompleteness(
    {
      ...p,
      uitdAddresses: unit?.devices.filter((d) => d.protocol === 'gb26875').map((d) => d.address) ?? [],
      registeredDetectionPoints: unit?.completeness.registeredDetectionPoints ?? 0,
      registeredLinkagePoints: unit?.completeness.registeredLinkagePoints ?? 0,
      acceptancePassed: unit?.constructionAcceptedAt != null,
    },
    rules,
  );
}

