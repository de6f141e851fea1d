// The frontend's view of an alarm. The live stream and REST DTOs (common/src/live.ts) are
// mapped onto this in src/api/adapt.ts, so view-model logic does not change when a DTO
// gains a field.
import type { AlarmKind, AlarmState, AlarmVerdict } from '@firelink/common';

export interface AlarmView {
  id: number;
  kind: AlarmKind | string;
  /** 1 fire … 5 supervisory; lower is more urgent. */
  priority: number;
  state: AlarmState;
  verdict: AlarmVerdict | null;
  unitId: number | null;
  unitName: string | null;
  address: string | null;
  floor: number | null;
  pointLabel: string | null;
  contactPhone: string | null;
  regionAdcode: number | null;
  /** WGS84 longitude/latitude of the unit or point, when known. */
  lonWgs84: number | null;
  latWgs84: number | null;
  /** ISO 8601. */
  openedAt: string;
  lastSeenAt: string;
  escalated: boolean;
  /** A clearing event arrived (fire cleared, fault cleared, back online…): still open, but calmer. */
  cleared?: boolean;
  eventCount: number;
  /** Bumped by the server on every change; a stale update (lower version) is ignored. */
  version: number;
}

/** Where the lifecycle (open → acknowledged → verified as fire / false alarm / test / fault → (fire) dispatched → closed) may go from a state. */
export function nextActions(a: Pick<AlarmView, 'state' | 'verdict'>): Array<'ack' | 'verify' | 'dispatch' | 'close'> {
  switch (a.state) {
    case 'open':
      return ['ack', 'verify', 'close'];
    case 'acknowledged':
      return ['verify', 'close'];
    case 'verified':
      return a.verdict === 'fire' ? ['dispatch', 'close'] : ['close'];
    case 'dispatched':
      return ['close'];
    default:
      return [];
  }
}
