// The units layer's data as typed arrays (deck.gl binary attributes), so 100,000 units draw
// without a JavaScript object per unit and a state change rewrites 4 colour bytes, not the
// layer's data. `version` changes whenever colours change: pass it to updateTriggers.
import { UNIT_POSITION_FLAG, type UnitPositions } from '@firelink/common';
import { UNIT_STATE, unitStateColor } from './colors.ts';

export interface UnitInput {
  id: number;
  lonWgs84: number;
  latWgs84: number;
  /** Onboarding state 'open' = connected (counted in connection rate). */
  open: boolean;
  highRisk: boolean;
  hasControlRoom: boolean;
  /** Whether the unit's device(s) are online now. */
  online: boolean;
}

/** Radius in metres (with a pixel minimum in the layer): high-risk units are drawn larger. */
export const UNIT_RADIUS_M = { normal: 40, highRisk: 70 } as const;

/** Open alarms of a unit by kind → the unit's map state. Fire wins, then offline, then fault. */
export function deriveUnitState(u: { open: boolean; online: boolean }, alarmKinds: Iterable<string>): number {
  let fire = false;
  let offline = !u.online;
  let fault = false;
  for (const k of alarmKinds) {
    if (k === 'fire') fire = true;
    else if (k === 'host_offline') offline = true;
    else if (k === 'fault' || k === 'off_duty') fault = true;
  }
  if (fire) return UNIT_STATE.fire;
  if (!u.open) return UNIT_STATE.unopened;
  if (offline) return UNIT_STATE.offline;
  if (fault) return UNIT_STATE.fault;
  return UNIT_STATE.normal;
}

export class UnitStore {
  length = 0;
  positions = new Float32Array(0);
  colors = new Uint8Array(0);
  radii = new Float32Array(0);
  states = new Uint8Array(0);
  private flags = new Uint8Array(0); // bit0 open, bit1 online, bit2 control room
  ids = new Float64Array(0);
  private readonly index = new Map<number, number>();
  /** unitId → (alarmId → kind) of alarms not closed. */
  private readonly alarms = new Map<number, Map<number, string>>();
  /** Bumped on every colour change (updateTriggers). */
  version = 0;

  /** Fresh columns for n units (positions filled by the caller). */
  private allocate(n: number): void {
    this.length = n;
    this.positions = new Float32Array(n * 2);
    this.colors = new Uint8Array(n * 4);
    this.radii = new Float32Array(n);
    this.states = new Uint8Array(n);
    this.flags = new Uint8Array(n);
    this.ids = new Float64Array(n);
    this.index.clear();
  }

  setUnits(units: readonly UnitInput[]): void {
    const n = units.length;
    this.allocate(n);
    for (let i = 0; i < n; i++) {
      const u = units[i]!;
      this.positions[i * 2] = u.lonWgs84;
      this.positions[i * 2 + 1] = u.latWgs84;
      this.radii[i] = u.highRisk ? UNIT_RADIUS_M.highRisk : UNIT_RADIUS_M.normal;
      this.flags[i] = (u.open ? 1 : 0) | (u.online ? 2 : 0) | (u.hasControlRoom ? 4 : 0);
      this.ids[i] = u.id;
      this.index.set(u.id, i);
      this.refresh(i);
    }
    this.version++;
  }

  /**
   * Loads the packed columns of GET /api/units/positions (common/src/unit-positions.ts)
   * without an object per unit: positions are copied in one typed-array set().
   */
  setPositions(p: UnitPositions): void {
    const n = p.count;
    this.allocate(n);
    this.positions.set(p.lonLat);
    for (let i = 0; i < n; i++) {
      const f = p.flags[i]!;
      this.radii[i] = f & UNIT_POSITION_FLAG.highRisk ? UNIT_RADIUS_M.highRisk : UNIT_RADIUS_M.normal;
      this.flags[i] =
        (f & UNIT_POSITION_FLAG.open ? 1 : 0) | (f & UNIT_POSITION_FLAG.online ? 2 : 0) | (f & UNIT_POSITION_FLAG.hasControlRoom ? 4 : 0);
      const id = p.ids[i]!;
      this.ids[i] = id;
      this.index.set(id, i);
      this.refresh(i);
    }
    this.version++;
  }

  indexOf(unitId: number): number | undefined {
    return this.index.get(unitId);
  }

  lonLatOf(unitId: number): [number, number] | null {
    const i = this.index.get(unitId);
    return i === undefined ? null : [this.positions[i * 2]!, this.positions[i * 2 + 1]!];
  }

  setOnline(unitId: number, online: boolean): boolean {
    const i = this.index.get(unitId);
    if (i === undefined) return false;
    const f = this.flags[i]!;
    const nf = online ? f | 2 : f & ~2;
    if (nf === f) return false;
    this.flags[i] = nf;
    return this.refresh(i);
  }

  /** Records an alarm's state for its unit; returns whether the unit's colour changed. */
  trackAlarm(alarmId: number, unitId: number | null, kind: string, closed: boolean): boolean {
    if (unitId === null) return false;
    let m = this.alarms.get(unitId);
    if (closed) {
      if (!m?.delete(alarmId)) return false;
      if (m.size === 0) this.alarms.delete(unitId);
    } else {
      if (!m) this.alarms.set(unitId, (m = new Map()));
      if (m.get(alarmId) === kind) return false;
      m.set(alarmId, kind);
    }
    const i = this.index.get(unitId);
    return i === undefined ? false : this.refresh(i);
  }

  /** Forgets every tracked alarm (before applying a snapshot). */
  clearAlarms(): void {
    const touched = [...this.alarms.keys()];
    this.alarms.clear();
    for (const u of touched) {
      const i = this.index.get(u);
      if (i !== undefined) this.refresh(i);
    }
  }

  /** Units whose device is online, and connected (open) units; for the wall's counters. */
  counts(): { total: number; open: number; online: number; withControlRoom: number; openWithControlRoom: number } {
    let open = 0;
    let online = 0;
    let withControlRoom = 0;
    let openWithControlRoom = 0;
    for (let i = 0; i < this.length; i++) {
      const f = this.flags[i]!;
      if (f & 1) open++;
      if (f & 1 && f & 2) online++;
      if (f & 4) {
        withControlRoom++;
        if (f & 1) openWithControlRoom++;
      }
    }
    return { total: this.length, open, online, withControlRoom, openWithControlRoom };
  }

  private refresh(i: number): boolean {
    const f = this.flags[i]!;
    const kinds = this.alarms.get(this.ids[i]!)?.values() ?? [];
    const s = deriveUnitState({ open: (f & 1) !== 0, online: (f & 2) !== 0 }, kinds);
    const changed = this.states[i] !== s || this.colors[i * 4 + 3] === 0;
    this.states[i] = s;
    const c = unitStateColor(s);
    this.colors[i * 4] = c[0];
    this.colors[i * 4 + 1] = c[1];
    this.colors[i * 4 + 2] = c[2];
    this.colors[i * 4 + 3] = c[3];
    if (changed) this.version++;
    return changed;
  }
}
