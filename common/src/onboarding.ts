// Unit onboarding rules, shared by the backend (which enforces them) and the unit form
// (which shows live completeness). Pure: no I/O.
//
// Lifecycle: registered → collecting (信息采集, maintenance agency) → verified (运维单位现场核实,
// operations company on site) → reviewed (监测中心主任审核, monitoring-center director) → open (开通);
// open ⇄ suspended; anything → closed.
//
// Role model (users.role from ACCESS):
// - the maintenance agency (维保单位) and the operations company (运维单位) are both role
//   'maintainer', told apart by their agency's kind (maintenance_agencies.kind, migration 0700:
//   'maintenance' | 'operations' | 'both'); they are bound to their units (user_units).
// - the monitoring-center director is role 'admin' (the center's administrator: reviews, opens,
//   closes). Fire supervisors ('supervisor') may suspend an open unit in their jurisdiction.
import type { OnboardingState, Role } from './event.ts';
import type { CompletenessItem, Contact } from './units.ts';

export type AgencyKind = 'maintenance' | 'operations' | 'both';

export interface Actor {
  role: Role;
  /** Kind of the maintainer's agency; null for other roles. */
  agencyKind: AgencyKind | null;
}

export interface TransitionRule {
  from: OnboardingState[];
  to: OnboardingState;
  /** Who may do it. */
  allowed: (a: Actor) => boolean;
  /** Short description of who may, for the refusal message. */
  who: string;
  noteRequired: boolean;
  /** Opening: completeness rules must pass. */
  requiresComplete: boolean;
}

const isCollector = (a: Actor) => a.role === 'maintainer' && (a.agencyKind === 'maintenance' || a.agencyKind === 'both');
const isVerifier = (a: Actor) => a.role === 'maintainer' && (a.agencyKind === 'operations' || a.agencyKind === 'both');
const isDirector = (a: Actor) => a.role === 'admin';

export const TRANSITIONS: readonly TransitionRule[] = [
  { from: ['registered'], to: 'collecting', allowed: (a) => isCollector(a) || isDirector(a), who: 'maintenance agency (maintainer) or admin', noteRequired: false, requiresComplete: false },
  { from: ['collecting'], to: 'verified', allowed: isVerifier, who: 'operations company (maintainer of an operations agency)', noteRequired: false, requiresComplete: false },
  // Sent back for more collection: by the verifier on site or by the director, with a reason.
  { from: ['verified', 'reviewed'], to: 'collecting', allowed: (a) => isVerifier(a) || isDirector(a), who: 'operations company or admin', noteRequired: true, requiresComplete: false },
  { from: ['verified'], to: 'reviewed', allowed: isDirector, who: 'monitoring-center director (admin)', noteRequired: false, requiresComplete: false },
  { from: ['reviewed', 'suspended'], to: 'open', allowed: isDirector, who: 'monitoring-center director (admin)', noteRequired: false, requiresComplete: true },
  { from: ['open'], to: 'suspended', allowed: (a) => isDirector(a) || a.role === 'supervisor', who: 'admin or supervisor', noteRequired: true, requiresComplete: false },
  { from: ['registered', 'collecting', 'verified', 'reviewed', 'open', 'suspended'], to: 'closed', allowed: isDirector, who: 'admin', noteRequired: true, requiresComplete: false },
];

export type TransitionCheck =
  | { ok: true; rule: TransitionRule }
  | { ok: false; reason: 'invalid_transition' | 'forbidden' | 'note_required'; message: string };

export function checkTransition(from: OnboardingState, to: OnboardingState, actor: Actor, note: string): TransitionCheck {
  const rule = TRANSITIONS.find((t) => t.to === to && t.from.includes(from));
  if (!rule) {
    const next = nextStates(from);
    return { ok: false, reason: 'invalid_transition', message: `a unit in state ${from} cannot go to ${to}; possible: ${next.join(', ') || 'none'}` };
  }
  if (!rule.allowed(actor)) {
    const kind = actor.agencyKind ? ` of a ${actor.agencyKind} agency` : '';
    return { ok: false, reason: 'forbidden', message: `${from} → ${to} is done by the ${rule.who}; you are ${actor.role}${kind}` };
  }
  if (rule.noteRequired && note.trim() === '') {
    return { ok: false, reason: 'note_required', message: `${from} → ${to} needs a note saying why` };
  }
  return { ok: true, rule };
}

export function nextStates(from: OnboardingState, actor?: Actor): OnboardingState[] {
  return TRANSITIONS.filter((t) => t.from.includes(from) && (!actor || t.allowed(actor))).map((t) => t.to);
}

// ---- completeness ----

/** Everything the rules look at; the backend fills it from the database, the form from its state. */
export interface CompletenessInput {
  name: string | null;
  address: string | null;
  lonLatWgs84: readonly [number, number] | null;
  category: string | null;
  hasControlRoom: boolean;
  controlRoomPhone: string | null;
  contacts: readonly Contact[];
  maintenanceAgencyId: number | null;
  /** GB/T 26875 addresses of the unit's UITDs. */
  uitdAddresses: readonly number[];
  verifiedDetectionPoints: number | null;
  verifiedLinkagePoints: number | null;
  pointTotalNote: string | null;
  registeredDetectionPoints: number;
  registeredLinkagePoints: number;
  underConstruction: boolean;
  /** A passing acceptance check record exists (新建工程验收). */
  acceptancePassed: boolean;
}

export interface CompletenessRule {
  id: string;
  /** Mandatory rules stay on whatever the configuration says. */
  mandatory: boolean;
  description: string;
  check: (u: CompletenessInput) => Omit<CompletenessItem, 'rule'> | null;
}

const blank = (s: string | null | undefined) => !s || s.trim() === '';
const miss = (zh: string, en: string) => ({ zh, en });

export const COMPLETENESS_RULES: readonly CompletenessRule[] = [
  { id: 'name', mandatory: false, description: 'unit name', check: (u) => (blank(u.name) ? miss('填写单位名称', 'enter the unit name') : null) },
  { id: 'address', mandatory: false, description: 'street address', check: (u) => (blank(u.address) ? miss('填写单位地址', 'enter the street address') : null) },
  {
    id: 'location',
    mandatory: false,
    description: 'WGS84 location (region and H3 cells are derived from it)',
    check: (u) => (u.lonLatWgs84 ? null : miss('在地图上标注单位位置', 'place the unit on the map (WGS84 location)')),
  },
  {
    id: 'category',
    mandatory: false,
    description: "category other than 'other'",
    check: (u) => (blank(u.category) || u.category === 'other' ? miss('选择单位类别', "choose the unit category (not 'other')") : null),
  },
  {
    id: 'control_room',
    mandatory: false,
    description: 'control-room presence stated; its phone when there is one',
    check: (u) => (u.hasControlRoom && blank(u.controlRoomPhone) ? miss('填写消防控制室电话', 'enter the fire control room phone') : null),
  },
  {
    id: 'responsible_persons',
    mandatory: false,
    description: 'a responsible person (消防安全责任人) and a manager (消防安全管理人), each with a phone',
    check: (u) => {
      const lack = (['responsible', 'manager'] as const).filter((r) => !u.contacts.some((c) => c.role === r && !blank(c.name) && !blank(c.phone)));
      if (lack.length === 0) return null;
      const zh = lack.map((r) => (r === 'responsible' ? '消防安全责任人' : '消防安全管理人')).join('、');
      return miss(`填写${zh}及电话`, `add the ${lack.join(' and ')} person with name and phone`);
    },
  },
  {
    id: 'maintenance_agency',
    mandatory: false,
    description: 'maintenance agency (维保单位)',
    check: (u) => (u.maintenanceAgencyId == null ? miss('选择维保单位', 'choose the maintenance agency') : null),
  },
  {
    id: 'uitd_address',
    mandatory: false,
    description: 'at least one UITD registered with its GB/T 26875 address',
    check: (u) => (u.uitdAddresses.length === 0 ? miss('登记用户信息传输装置地址', 'register the UITD with its GB/T 26875 address') : null),
  },
  {
    id: 'point_totals',
    mandatory: true,
    description:
      'verified totals of fire detection points and of linkage-controller monitoring points, equal to the registered points unless point_total_note explains the difference',
    check: (u) => {
      if (u.verifiedDetectionPoints == null || u.verifiedLinkagePoints == null) {
        return miss('填写核实后的火灾探测点位总数和联动控制器监控点位总数', 'enter the verified totals of fire detection points and linkage-controller points');
      }
      const dDiff = u.verifiedDetectionPoints !== u.registeredDetectionPoints;
      const lDiff = u.verifiedLinkagePoints !== u.registeredLinkagePoints;
      if ((dDiff || lDiff) && blank(u.pointTotalNote)) {
        const parts: string[] = [];
        if (dDiff) parts.push(`detection points verified ${u.verifiedDetectionPoints} vs registered ${u.registeredDetectionPoints}`);
        if (lDiff) parts.push(`linkage points verified ${u.verifiedLinkagePoints} vs registered ${u.registeredLinkagePoints}`);
        return miss(
          `核实点位总数与已登记点位不符（${parts.join('；')}）：补录点位或在说明中解释差异`,
          `point totals do not match (${parts.join('; ')}): import the missing points or explain the difference in point_total_note`,
        );
      }
      return null;
    },
  },
  {
    id: 'acceptance',
    mandatory: false,
    description: 'new construction: a passing acceptance check of the monitoring link',
    check: (u) => (u.underConstruction && !u.acceptancePassed ? miss('新建工程：录入合格的联网验收检查记录', 'new construction: record a passing acceptance check') : null),
  },
];

/** Rules in force: all, minus the disabled ones that are not mandatory. */
export function activeRules(disabled: readonly string[] = []): CompletenessRule[] {
  return COMPLETENESS_RULES.filter((r) => r.mandatory || !disabled.includes(r.id));
}

export function evaluateCompleteness(u: CompletenessInput, rules: readonly CompletenessRule[] = COMPLETENESS_RULES): CompletenessItem[] {
  const out: CompletenessItem[] = [];
  for (const r of rules) {
    const m = r.check(u);
    if (m) out.push({ rule: r.id, ...m });
  }
  return out;
}

// ---- point classes (for the point-total rule) ----

/** System type 10 = linkage controller (GB/T 26875.3 code table). */
export const LINKAGE_SYSTEM_TYPE = 10;
/** Component types that count as fire detection points: gas, electrical-fire, call points, detectors. */
export const DETECTION_COMPONENT_TYPES: readonly number[] = [
  10, 11, 12, 13, 16, 17, 18, 23, 24, 25, 30, 31, 32, 33, 34, 35, 36, 37, 40, 41, 42, 43, 44, 50, 51, 52, 53, 61, 62, 69, 74, 78, 79,
];
/** Component types that count as linkage monitoring points when not on a linkage-controller system. */
export const LINKAGE_COMPONENT_TYPES: readonly number[] = [
  81, 82, 84, 85, 86, 87, 91, 92, 95, 96, 97, 98, 99, 101, 102, 103, 104, 105, 106, 111, 113, 114, 115, 116, 117, 118, 121,
];

/** 'detection' | 'linkage' | null: how a point counts toward the verified totals. */
export function pointClass(systemType: number | null, componentType: number): 'detection' | 'linkage' | null {
  if (systemType === LINKAGE_SYSTEM_TYPE) return 'linkage';
  if (DETECTION_COMPONENT_TYPES.includes(componentType)) return 'detection';
  if (LINKAGE_COMPONENT_TYPES.includes(componentType)) return 'linkage';
  return null;
}

// ---- floor plans ----

/** Affine [a, b, c, d, e, f]: x = a·px + b·py + c, y = d·px + e·py + f (plan pixels → frame metres). */
export type Affine = readonly [number, number, number, number, number, number];

export function applyAffine(t: Affine, px: number, py: number): [number, number] {
  return [t[0] * px + t[1] * py + t[2], t[3] * px + t[4] * py + t[5]];
}

export function invertAffine(t: Affine): Affine {
  const [a, b, c, d, e, f] = t;
  const det = a * e - b * d;
  if (Math.abs(det) < 1e-12) throw new RangeError('the plan transform is singular (its scale is zero): give two different reference points');
  return [e / det, -b / det, (b * f - c * e) / det, -d / det, a / det, (c * d - a * f) / det];
}

/**
 * The default transform for a plan image fitted to the footprint's bounding box: pixel (0,0)
 * is the north-west corner, y grows downward in the image and northward in the frame.
 */
export function fitPlanToBox(widthPx: number, heightPx: number, widthM: number, heightM: number): Affine {
  return [widthM / widthPx, 0, 0, 0, -heightM / heightPx, heightM];
}
