// Level of detail for the units layer at city zoom. 100,000 points cost the software
// rasteriser (SwiftShader, a wall PC without a working GPU driver) ~49 px of fragments each
// at the 2.5 px minimum radius, ~5 million a redraw. At city zoom they merge into a carpet
// anyway, so the units are aggregated to a square grid in Web Mercator whose cells are a
// fixed number of screen pixels at the level's zoom; each cell is one point at its units'
// centroid, in the colour and shape of the state most of its units are in, sized by count.
// Full points come back from LOD_FULL_ZOOM on (a fire's fly-to goes to 15.5).
//
// Fires are never hidden in an aggregate: the alarms layer draws every alarm on its own
// (steady dot and pulse), and units in the fire state are drawn individually too
// (`fireIndices`), above the cells. The fire state never counts towards a cell's majority.
//
// H3 cells (h3-js) were tried first: latLngToCell took ~30 µs a unit on this machine kind
// (3 s for 100,000, on the main thread); the Mercator grid costs a few ms.
import { SHAPE, UNIT_STATE, UNIT_STATE_SHAPES, unitStateColor } from './colors.ts';

/** Below this many units the full points are cheap enough at any zoom (and every unit stays pickable). */
export const LOD_MIN_UNITS = 5_000;
/** From this zoom on (MapLibre zoom, 512 px tiles) every unit is its own point. */
export const LOD_FULL_ZOOM = 13;
/**
 * Grid levels, coarsest first: below `belowZoom` the cells are `cellPx` screen pixels wide
 * at zoom `atZoom`. At the city overview (zoom ~10–10.5) 28 px cells give ~1,500 cells for
 * the demo city's 85 × 83 km (~1,300 m cells); between 11.5 and 13 cells of 28 px at zoom 12 (~450 m).
 */
export const LOD_LEVELS: ReadonlyArray<{ belowZoom: number; atZoom: number; cellPx: number }> = [
  { belowZoom: 11.5, atZoom: 10.5, cellPx: 28 },
  { belowZoom: LOD_FULL_ZOOM, atZoom: 12, cellPx: 28 },
];
/** Cell point radius in CSS px: grows with the square root of its unit count. */
export const CELL_RADIUS_PX = { min: 3.5, max: 11, perSqrtUnit: 0.9 } as const;

/** The grid level for a zoom (index into LOD_LEVELS), or -1 for full points. */
export function lodLevel(zoom: number, unitCount: number): number {
  if (unitCount < LOD_MIN_UNITS || !(zoom < LOD_FULL_ZOOM)) return -1;
  return LOD_LEVELS.findIndex((l) => zoom < l.belowZoom);
}

/** Web Mercator x, y in 0…1 (y down), as MapLibre's world. */
function mercatorX(lonWgs84: number): number {
  return (lonWgs84 + 180) / 360;
}
function mercatorY(latWgs84: number): number {
  const s = Math.sin((Math.max(-85.05, Math.min(85.05, latWgs84)) * Math.PI) / 180);
  return 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
}

const STATES = 5;
const STATE_SHAPE = Float32Array.from(UNIT_STATE_SHAPES, (s) => SHAPE[s]);

/** One grid level's cells, as deck.gl binary attributes (see layers.ts). */
export interface LodCells {
  length: number;
  /** lon, lat WGS84 of each cell's units' centroid. */
  positions: Float32Array;
  colors: Uint8Array;
  shapes: Float32Array;
  /** CSS px. */
  radii: Float32Array;
  counts: Uint32Array;
}

interface Grid {
  cellOfUnit: Int32Array;
  cells: LodCells;
  /** Per cell, units in each state (cells × STATES). */
  histogram: Uint32Array;
}

/**
 * Builds the grids for a set of unit positions once (positions change only when the units
 * are reloaded), then recolours the cells from the units' states in O(units) for each new
 * state version.
 */
export class UnitLod {
  private readonly grids: Grid[];
  private statesVersion = -1;
  private fire = new Uint32Array(0);
  private fireCount = 0;

  constructor(
    readonly positions: Float32Array,
    readonly length: number,
  ) {
    this.grids = LOD_LEVELS.map((l) => buildGrid(positions, length, l.cellPx / (512 * 2 ** l.atZoom)));
  }

  /** Recomputes each cell's majority state and the list of fire units; a no-op for a seen version. */
  update(states: Uint8Array, version: number): void {
    if (version === this.statesVersion) return;
    this.statesVersion = version;
    if (this.fire.length !== this.length) this.fire = new Uint32Array(this.length);
    this.fireCount = 0;
    for (let i = 0; i < this.length; i++) if (states[i] === UNIT_STATE.fire) this.fire[this.fireCount++] = i;
    for (const g of this.grids) colourGrid(g, states, this.length);
  }

  cells(level: number): LodCells {
    return this.grids[level]!.cells;
  }

  /** Indices of the units in the fire state (drawn individually over the cells). */
  fireIndices(): Uint32Array {
    return this.fire.subarray(0, this.fireCount);
  }
}

function buildGrid(positions: Float32Array, n: number, cellSize: number): Grid {
  const cellOfUnit = new Int32Array(n);
  const ids = new Map<number, number>();
  const sums: number[] = [];
  for (let i = 0; i < n; i++) {
    const lon = positions[i * 2]!, lat = positions[i * 2 + 1]!;
    const key = Math.floor(mercatorY(lat) / cellSize) * 1e7 + Math.floor(mercatorX(lon) / cellSize);
    let c = ids.get(key);
    if (c === undefined) {
      c = ids.size;
      ids.set(key, c);
      sums.push(0, 0, 0);
    }
    cellOfUnit[i] = c;
    sums[c * 3]! += lon;
    sums[c * 3 + 1]! += lat;
    sums[c * 3 + 2]! += 1;
  }
  const m = ids.size;
  const cells: LodCells = {
    length: m,
    positions: new Float32Array(m * 2),
    colors: new Uint8Array(m * 4),
    shapes: new Float32Array(m),
    radii: new Float32Array(m),
    counts: new Uint32Array(m),
  };
  for (let c = 0; c < m; c++) {
    const k = sums[c * 3 + 2]!;
    cells.positions[c * 2] = sums[c * 3]! / k;
    cells.positions[c * 2 + 1] = sums[c * 3 + 1]! / k;
    cells.counts[c] = k;
    cells.radii[c] = Math.min(CELL_RADIUS_PX.max, Math.max(CELL_RADIUS_PX.min, CELL_RADIUS_PX.perSqrtUnit * Math.sqrt(k)));
  }
  return { cellOfUnit, cells, histogram: new Uint32Array(m * STATES) };
}

function colourGrid(g: Grid, states: Uint8Array, n: number): void {
  const h = g.histogram;
  h.fill(0);
  for (let i = 0; i < n; i++) h[g.cellOfUnit[i]! * STATES + states[i]!]!++;
  const { colors, shapes, length } = g.cells;
  for (let c = 0; c < length; c++) {
    // Majority among the non-fire states (fires are drawn on their own); ties go to the
    // more severe state: offline, then fault, then normal, then not yet open.
    let best: number = UNIT_STATE.unopened;
    let bestN = -1;
    for (const s of [UNIT_STATE.offline, UNIT_STATE.fault, UNIT_STATE.normal, UNIT_STATE.unopened]) {
      const k = h[c * STATES + s]!;
      if (k > bestN) {
        best = s;
        bestN = k;
      }
    }
    const col = unitStateColor(best);
    colors[c * 4] = col[0];
    colors[c * 4 + 1] = col[1];
    colors[c * 4 + 2] = col[2];
    colors[c * 4 + 3] = col[3];
    shapes[c] = STATE_SHAPE[best]!;
  }
}
