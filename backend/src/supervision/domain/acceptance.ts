// Acceptance evidence: which of the required signals the center received from the device in
// the test window, from the events it stored; and who may sign. Pure.
import type { AcceptanceSignal } from '@firelink/common';

/** Event kinds that prove each signal of the acceptance form (验收检查记录). */
export const SIGNAL_KINDS: Readonly<Record<AcceptanceSignal, readonly string[]>> = {
  fire: ['fire'],
  fault: ['fault', 'mains_power_fault', 'backup_power_fault'],
  supervisory: ['supervisory'],
  feedback: ['feedback', 'started'],
  dutyCheck: ['duty_check_answered'],
};

export interface ReceivedEvent {
  id: number;
  kind: string;
  receivedAt: Date;
}

export interface SignalEvidence {
  received: boolean;
  count: number;
  firstAt: string | null;
  /** The first 20 events, by id. */
  eventIds: number[];
}

export function signalEvidence(events: readonly ReceivedEvent[]): { signals: Record<AcceptanceSignal, SignalEvidence>; complete: boolean } {
  const signals = {} as Record<AcceptanceSignal, SignalEvidence>;
  for (const [signal, kinds] of Object.entries(SIGNAL_KINDS) as Array<[AcceptanceSignal, readonly string[]]>) {
    const hits = events.filter((e) => kinds.includes(e.kind)).sort((a, b) => a.id - b.id);
    const first = hits.reduce<Date | null>((m, e) => (m == null || e.receivedAt < m ? e.receivedAt : m), null);
    signals[signal] = { received: hits.length > 0, count: hits.length, firstAt: first ? first.toISOString() : null, eventIds: hits.slice(0, 20).map((e) => e.id) };
  }
  return { signals, complete: Object.values(signals).every((s) => s.received) };
}

export type SignCheck = { ok: true } | { ok: false; status: 403 | 409; reason: string };

/**
 * Who may sign an acceptance: never someone of the maintenance agency that collected the unit
 * (it would pass its own work), and a pass only when every signal was received.
 */
export function checkAcceptanceSign(o: { inspectorAgencyId: number | null; collectingAgencyId: number | null; result: 'pass' | 'fail'; complete: boolean }): SignCheck {
  if (o.inspectorAgencyId != null && o.collectingAgencyId != null && o.inspectorAgencyId === o.collectingAgencyId) {
    return { ok: false, status: 403, reason: 'the maintenance agency that collected this unit cannot sign its acceptance: another agency or a supervisor must inspect it' };
  }
  if (o.result === 'pass' && !o.complete) {
    return { ok: false, status: 409, reason: 'a pass needs every signal (fire, fault, supervisory, feedback, duty-check answer) received from the device in the test window; test the missing ones or record a fail' };
  }
  return { ok: true };
}
