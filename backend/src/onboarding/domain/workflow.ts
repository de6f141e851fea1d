// The onboarding workflow's rules that need no database: whether a lifecycle step may be
// taken (who, with what note, on which version, how complete), what an acceptance check
// changes, what the rules page and the funnel show. Pure; the service reads and writes.
import {
  COMPLETENESS_RULES,
  checkTransition,
  onboardingStateSchema,
  type AcceptanceCheck,
  type Actor,
  type Completeness,
  type CompletenessRule,
  type OnboardingState,
  type TransitionRule,
} from '@firelink/common';
import { DomainError, badRequest, conflict, forbidden } from '../../kernel/errors.ts';

export interface TransitionAsk {
  from: OnboardingState;
  to: OnboardingState;
  actor: Actor;
  note: string;
  /** The unit's version now, and the one the caller saw. */
  version: number;
  sentVersion: number;
}

/**
 * The rule a step follows, or the refusal: 403 for the wrong actor, 400 for a missing note,
 * 409 for a step the state does not allow or an edit made on an older version.
 */
export function authorizeTransition(ask: TransitionAsk): TransitionRule {
  const check = checkTransition(ask.from, ask.to, ask.actor, ask.note);
  if (!check.ok) {
    if (check.reason === 'forbidden') throw forbidden(check.message);
    if (check.reason === 'note_required') throw badRequest(check.message);
    throw conflict(check.message, { state: ask.from });
  }
  if (ask.version !== ask.sentVersion) {
    throw conflict(`the unit was changed by someone else (version ${ask.version}, you sent ${ask.sentVersion}): reload and try again`, {
      currentVersion: ask.version,
    });
  }
  return check.rule;
}

/** Opening needs every rule in force to pass (422 naming what is missing). */
export function assertComplete(c: Completeness): void {
  if (!c.complete) {
    throw new DomainError('unprocessable', 'incomplete', `cannot open: ${c.missing.map((m) => m.en).join('; ')}`, { missing: c.missing });
  }
}

/** A passing acceptance check ends a unit's construction period. */
export function acceptanceEndsConstruction(check: Pick<AcceptanceCheck, 'result'>, underConstruction: boolean): boolean {
  return check.result === 'pass' && underConstruction;
}

/**
 * Acceptance integrity: the maintenance agency that collected a unit may not record its pass,
 * nor may the unit's own users; another agency or a supervisor inspects it. A maintainer
 * passes a unit only when both agencies are named and differ (independence that cannot be
 * shown is refused). `caller.agencyId`: the caller's maintenance agency, if any.
 */
export function assertIndependentAcceptance(check: Pick<AcceptanceCheck, 'result'>, caller: { role: string; agencyId: number | null }, unitAgencyId: number | null): void {
  if (check.result !== 'pass') return;
  const sameAgency = caller.agencyId != null && caller.agencyId === unitAgencyId;
  const unshown = caller.role === 'maintainer' && (caller.agencyId == null || unitAgencyId == null);
  if (sameAgency || unshown || caller.role === 'unit_user') {
    throw forbidden('the maintenance agency that collected this unit (or its own users) cannot pass its acceptance: another named agency or a supervisor must inspect it');
  }
}

/** The signals an acceptance test must have seen; a pass without every one of them is refused. */
const ACCEPTANCE_SIGNALS = ['deviceTested', 'fireSignalReceived', 'faultSignalReceived', 'supervisorySignalReceived', 'feedbackSignalReceived', 'dutyCheckAnswered'] as const;

/** A pass is a claim that every signal was tested and received: refused when any is missing. */
export function assertPassHasEvidence(check: Pick<AcceptanceCheck, 'result' | (typeof ACCEPTANCE_SIGNALS)[number]>): void {
  if (check.result !== 'pass') return;
  const missing = ACCEPTANCE_SIGNALS.filter((k) => check[k] !== true);
  if (missing.length) throw badRequest(`a pass needs every signal tested and received; missing: ${missing.join(', ')} — test them or record a fail`);
}

/** Every completeness rule, whether it is in force, and the drawings deadline. */
export function rulesView(active: readonly CompletenessRule[], drawingsDays: number) {
  const on = new Set(active.map((x) => x.id));
  return {
    rules: COMPLETENESS_RULES.map((x) => ({ id: x.id, mandatory: x.mandatory, enabled: on.has(x.id), description: x.description })),
    drawingsDays,
  };
}

export interface FunnelRow {
  region_adcode: number | null;
  region_name: string | null;
  onboarding_state: OnboardingState;
  n: number;
  under_construction: number;
}

export interface FunnelRegion {
  regionAdcode: number | null;
  regionName: string | null;
  /** Units per lifecycle state (every state present, 0 when none). */
  counts: Record<string, number>;
  underConstruction: number;
  total: number;
}

/** Counts per (district, state) folded into one funnel per district, in the rows' order. */
export function funnelByRegion(rows: readonly FunnelRow[]): FunnelRegion[] {
  const byRegion = new Map<string, FunnelRegion>();
  for (const row of rows) {
    const key = String(row.region_adcode);
    let f = byRegion.get(key);
    if (!f) {
      f = { regionAdcode: row.region_adcode, regionName: row.region_name, counts: Object.fromEntries(onboardingStateSchema.options.map((s) => [s, 0])), underConstruction: 0, total: 0 };
      byRegion.set(key, f);
    }
    f.counts[row.onboarding_state] = row.n;
    f.underConstruction += row.under_construction;
    f.total += row.n;
  }
  return [...byRegion.values()];
}
