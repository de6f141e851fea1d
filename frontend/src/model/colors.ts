// Colours of the command map, as RGBA byte tuples (deck.gl's format). One place decides
// what red means: fire alarms are the only saturated red on the map.
import type { AlarmKind } from '@firelink/common';

export type Rgba = readonly [number, number, number, number];

/**
 * Alarm priority 1 (fire) … 5 (supervisory), see ALARM_PRIORITY in @firelink/common.
 * Every priority has its own hue *and* its own shape (PRIORITY_SHAPES), so they stay apart
 * for colour-blind viewers too: red vs yellow vs amber merge under deuteranopia, the shapes
 * do not. Amber is not used at all (fault yellow and off-duty amber were confused).
 */
export const PRIORITY_COLORS: Readonly<Record<number, Rgba>> = {
  1: [255, 45, 45, 255], // fire: red, circle + pulse ring
  2: [178, 102, 255, 255], // host offline / shutdown: violet square
  3: [255, 110, 199, 255], // off duty: pink diamond
  4: [255, 221, 51, 255], // fault: yellow triangle
  5: [64, 196, 255, 255], // supervisory: cyan ring
};

/** Symbol shapes of the map's point layers (drawn by UnitPointsLayer's fragment shader). */
export const SHAPE = { circle: 0, triangle: 1, square: 2, diamond: 3, ring: 4 } as const;
export type Shape = keyof typeof SHAPE;

export const PRIORITY_SHAPES: Readonly<Record<number, Shape>> = {
  1: 'circle',
  2: 'square',
  3: 'diamond',
  4: 'triangle',
  5: 'ring',
};

export function priorityShape(priority: number): Shape {
  return PRIORITY_SHAPES[priority] ?? 'circle';
}

/** Fire stations (the basemap's `stations` layer, backend/src/tiles/style.ts): blue with a white rim. */
export const STATION_COLOR = '#3d7be0';

const FALLBACK: Rgba = [200, 200, 200, 255];

export function priorityColor(priority: number): Rgba {
  return PRIORITY_COLORS[priority] ?? FALLBACK;
}

export const KIND_PRIORITY: Readonly<Record<AlarmKind, number>> = {
  fire: 1,
  host_offline: 2,
  off_duty: 3,
  fault: 4,
  supervisory: 5,
};

export function kindColor(kind: string): Rgba {
  return priorityColor(KIND_PRIORITY[kind as AlarmKind] ?? 0);
}

/** Unit map state, encoded as a byte in the units' binary attribute. */
export const UNIT_STATE = { normal: 0, fault: 1, fire: 2, offline: 3, unopened: 4 } as const;
export type UnitState = keyof typeof UNIT_STATE;
export const UNIT_STATE_NAMES = Object.keys(UNIT_STATE) as UnitState[];

export const UNIT_STATE_COLORS: readonly Rgba[] = [
  [46, 204, 113, 220], // normal: green circle
  [255, 221, 51, 235], // fault: yellow triangle (as the fault alarm)
  [255, 45, 45, 255], // fire: red circle
  [128, 128, 140, 200], // offline: grey square (as the host-offline alarm)
  [120, 150, 200, 170], // not yet open (onboarding): hollow blue-grey ring
];

/** Shape of each unit state, indexed by UNIT_STATE code; offline is square, not yet open a hollow ring. */
export const UNIT_STATE_SHAPES: readonly Shape[] = ['circle', 'triangle', 'circle', 'square', 'ring'];

export function unitStateColor(code: number): Rgba {
  return UNIT_STATE_COLORS[code] ?? FALLBACK;
}

/**
 * Fill colour of a region by connection rate (0…1) against its target (0…1): red well
 * below target, amber near it, green at or above it. Alpha stays low so the basemap shows.
 */
export function connectionRateColor(rate: number | null, target = 0.6): Rgba {
  if (rate === null || !Number.isFinite(rate)) return [120, 120, 120, 40];
  if (rate >= target) return [46, 204, 113, 36];
  if (rate >= target * 0.75) return [255, 170, 0, 50];
  return [255, 69, 58, 56];
}
