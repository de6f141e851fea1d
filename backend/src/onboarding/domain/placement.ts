// Where floor plans and points land in the building frame. Pure: the service reads the
// building's bounds and the plan, these decide.
import { applyAffine, fitPlanToBox, frameToWgs84, wgs84ToFrame, type Affine, type FrameOrigin } from './frame.ts';
import { badRequest, conflict } from '../../kernel/errors.ts';

/** A building footprint's bounding box in WGS84 degrees; its south-west corner is the frame's origin. */
export interface FrameBounds {
  minLon: number;
  minLat: number;
  maxLon: number;
  maxLat: number;
}

export const originOf = (b: Pick<FrameBounds, 'minLon' | 'minLat'>): FrameOrigin => ({ lonWgs84: b.minLon, latWgs84: b.minLat });

/** The affine that fits a new plan image to the building's bounding box (pixels → metres). */
export function planTransformFor(size: { widthPx: number; heightPx: number }, bounds: FrameBounds): [number, number, number, number, number, number] {
  const [wM, hM] = wgs84ToFrame(originOf(bounds), bounds.maxLon, bounds.maxLat);
  const [a, b, c, d, e, f] = fitPlanToBox(size.widthPx, size.heightPx, wM, hM);
  return [a, b, c, d, e, f];
}

/** A point's position as sent: exactly one of plan pixels, building-frame metres or WGS84. */
export interface PositionInput {
  floor?: number;
  planPx?: [number, number];
  localXY?: [number, number];
  lonLatWgs84?: [number, number];
}

/** The floor a position is on: the one sent, else the point's own. Plan pixels need one. */
export function positionFloor(pos: PositionInput, pointFloor: number | null): number | null {
  const floor = pos.floor ?? pointFloor;
  if (pos.planPx && floor == null) throw badRequest('planPx needs the floor: give floor');
  return floor;
}

/**
 * The position in the building frame and in WGS84. Plan pixels go through the floor plan's
 * transform (`planTransform`, null when that floor has no plan with one: 409).
 */
export function placePoint(pos: PositionInput, origin: FrameOrigin, floor: number | null, planTransform: Affine | null): { localXY: [number, number]; lonLatWgs84: [number, number] } {
  let xy: [number, number];
  if (pos.localXY) xy = pos.localXY;
  else if (pos.lonLatWgs84) xy = wgs84ToFrame(origin, pos.lonLatWgs84[0], pos.lonLatWgs84[1]);
  else {
    if (!planTransform) throw conflict(`no plan with a transform for floor ${floor}: upload the plan first`);
    xy = applyAffine(planTransform, pos.planPx![0], pos.planPx![1]);
  }
  return { localXY: xy, lonLatWgs84: pos.lonLatWgs84 ?? frameToWgs84(origin, xy[0], xy[1]) };
}
