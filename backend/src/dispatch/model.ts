// The travel-time model of dispatch suggestions and coverage, in one place: constants,
// the straight-line fallback, the lower bound that makes candidate pruning exact, and the
// assembly of route geometry. Pure: no database here.

/** A point is on the network when a road edge (incident) or vertex (station) lies within this. */
export const SNAP_TOLERANCE_M = 300;
/**
 * Speed of the short legs between a point and the network (station gate → nearest vertex,
 * snapped road point → incident): a fire engine leaving or entering a compound, 20 km/h.
 */
export const ACCESS_SPEED_MPS = 20 / 3.6;
/**
 * Straight-line fallback when the incident or the station is off the network (or no road
 * path exists): distance × DETOUR at a local-street class speed. 1.3 is the usual urban
 * circuity (road distance ÷ straight distance, typically 1.2–1.4); 30 km/h is the demo's
 * 'local' class speed.
 */
export const STRAIGHT_DETOUR_FACTOR = 1.3;
export const STRAIGHT_SPEED_MPS = 30 / 3.6;
/**
 * Candidate distances come from the KNN index on the sphere and road lengths from the
 * spheroid; they differ by < 0.5 %. The lower bound is multiplied by this so it stays a
 * lower bound whatever the rounding.
 */
export const LOWER_BOUND_SAFETY = 0.98;
/** Coverage: the national standard's 5 minutes from dispatch to the district edge. */
export const COVERAGE_BUDGET_S = 300;
/** Coverage: a unit within this distance of a reachable road part counts as reached. */
export const COVERAGE_BUFFER_M = 100;

export type RouteMethod = 'road' | 'straight';
/** Why a suggestion fell back to a straight line. */
export type StraightReason = 'incident_off_network' | 'station_off_network' | 'unreachable';
export type LonLatWgs84 = [number, number];

export interface LineStringWgs84 {
  type: 'LineString';
  coordinates: LonLatWgs84[];
}

export function straightEtaSeconds(distanceMeters: number): number {
  return (distanceMeters * STRAIGHT_DETOUR_FACTOR) / STRAIGHT_SPEED_MPS;
}

/**
 * The fastest any route can cover straight-line distance: the network's fastest edge, the
 * access legs and the straight fallback's effective speed, whichever is highest. Every
 * ETA we return for a station at straight distance d is ≥ d / this speed (triangle
 * inequality: the route is at least as long as the straight line, and no part of it is
 * faster than this).
 */
export function boundingSpeedMps(maxRoadSpeedMps: number): number {
  return Math.max(maxRoadSpeedMps, ACCESS_SPEED_MPS, STRAIGHT_SPEED_MPS / STRAIGHT_DETOUR_FACTOR);
}

/** Lower bound on the ETA of any station at this straight-line distance. */
export function etaLowerBoundSeconds(distanceMeters: number, boundingSpeed: number): number {
  return (distanceMeters * LOWER_BOUND_SAFETY) / boundingSpeed;
}

/**
 * A degree box around (lon, lat) that contains the disc of radiusMeters: every road point
 * closer than radiusMeters lies inside it. Slightly generous on purpose (a larger box only
 * costs time, never exactness).
 */
export function degreeBox(lat: number, radiusMeters: number): { dLon: number; dLat: number } {
  const dLat = (radiusMeters * 1.02) / 110_574 + 1e-6;
  const maxAbsLat = Math.min(89, Math.abs(lat) + dLat);
  const dLon = (radiusMeters * 1.02) / (111_320 * Math.cos((maxAbsLat * Math.PI) / 180)) + 1e-6;
  return { dLon, dLat };
}

/**
 * Joins road-edge geometries along a path into one line. `edges` are in travel order,
 * each with the vertex it is entered from; an edge entered from its target is reversed.
 */
export function joinPath(
  edges: Array<{ coordinates: LonLatWgs84[]; enteredFromSource: boolean }>,
): LonLatWgs84[] {
  const out: LonLatWgs84[] = [];
  for (const e of edges) {
    const cs = e.enteredFromSource ? e.coordinates : [...e.coordinates].reverse();
    for (const c of cs) {
      const last = out[out.length - 1];
      if (last && last[0] === c[0] && last[1] === c[1]) continue;
      out.push(c);
    }
  }
  return out;
}

/** Appends points to a line, skipping exact repeats. */
export function appendCoordinates(line: LonLatWgs84[], more: LonLatWgs84[]): LonLatWgs84[] {
  for (const c of more) {
    const last = line[line.length - 1];
    if (!last || last[0] !== c[0] || last[1] !== c[1]) line.push(c);
  }
  return line;
}
