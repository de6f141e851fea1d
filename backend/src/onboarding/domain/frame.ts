// Building frame ⇄ WGS84, and floor-plan pixels → building frame. Pure.
//
// The building frame: origin at the south-west corner of the footprint's bounding box,
// x metres east, y metres north. Buildings are small (< 1 km), so a local equirectangular
// projection is accurate to centimetres there.

/** Mean Earth radius in metres (IUGG). */
const EARTH_RADIUS_M = 6_371_008.8;
const RAD = Math.PI / 180;

export interface FrameOrigin {
  lonWgs84: number;
  latWgs84: number;
}

export function frameToWgs84(o: FrameOrigin, xMeters: number, yMeters: number): [number, number] {
  const lat = o.latWgs84 + yMeters / EARTH_RADIUS_M / RAD;
  const lon = o.lonWgs84 + xMeters / (EARTH_RADIUS_M * Math.cos(o.latWgs84 * RAD)) / RAD;
  return [lon, lat];
}

export function wgs84ToFrame(o: FrameOrigin, lon: number, lat: number): [number, number] {
  const y = (lat - o.latWgs84) * RAD * EARTH_RADIUS_M;
  const x = (lon - o.lonWgs84) * RAD * EARTH_RADIUS_M * Math.cos(o.latWgs84 * RAD);
  return [x, y];
}

// Plan-pixel affine helpers live in common (the unit form's drag-to-place uses them too).
export { applyAffine, fitPlanToBox, invertAffine, type Affine } from '@firelink/common';
