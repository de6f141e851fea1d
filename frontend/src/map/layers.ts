// deck.gl layers of the command map. Built from typed arrays and small arrays so a layer
// update never walks 100,000 JavaScript objects.
import type { Layer } from '@deck.gl/core';
import { H3HexagonLayer } from '@deck.gl/geo-layers';
import { GeoJsonLayer, PathLayer, TextLayer } from '@deck.gl/layers';
import { LOCAL_IDEOGRAPH_FONT_FAMILY } from './fallback-style.ts';
import { SHAPE, UNIT_STATE, UNIT_STATE_SHAPES, priorityColor, priorityShape, unitStateColor } from '../model/colors.ts';
import type { AlarmView } from '../model/alarm.ts';
import type { LabelPlacement } from '../model/label-placement.ts';
import type { UnitStore } from '../model/unit-store.ts';
import { LOD_FULL_ZOOM, LOD_LEVELS, LOD_MIN_UNITS, UnitLod, lodLevel } from '../model/unit-lod.ts';
import { bboxContains, cullBox, pick, unitsInBox, type Bbox } from '../model/unit-cull.ts';
import { UnitPointsLayer, type UnitPointsLayerProps } from './unit-points-layer.ts';


export interface MapLayerInput {
  origin: string;
  units: UnitStore | null;
  unitsVersion: number;
  alarms: readonly AlarmView[];
  alarmsVersion: number;
  /** Dispatch routes: WGS84 paths. */
  routes: ReadonlyArray<{ id: string; pathWgs84: Array<[number, number]> }>;
  /** H3 heatmap cells (analytics: fault or false-alarm rate), value 0…1 of the shown range. */
  heat?: ReadonlyArray<{ h3: string; value: number }>;
  /** Extra layers from a view (e.g. unit footprint). */
  extra?: Layer[];
  /**
   * Label these alarms with their unit's name (the wall labels its unacknowledged fires).
   * Drawn by deck.gl with the browser's own CJK fonts: no glyph download.
   */
  labelAlarms?: readonly AlarmView[];
  /**
   * Where each label goes beside its marker (model/label-placement.ts); an alarm without a
   * placement is not labelled (no free place on screen). Without it, labels sit above.
   */
  labelPlacements?: ReadonlyMap<number, LabelPlacement>;
  /**
   * The map's zoom when the view wants a level of detail for the units (the wall): below
   * LOD_FULL_ZOOM with many units they are drawn as grid cells (model/unit-lod.ts), fires
   * individually. Undefined: every unit is its own point at every zoom.
   */
  lodZoom?: number;
  /**
   * With lodZoom: the grid cells only while `moving`, every unit its own point at rest. Both
   * are built and kept; the one not in use is hidden (a change of visibility, no re-upload).
   */
  lodOnlyWhileMoving?: boolean;
  moving?: boolean;
  /** With lodZoom: the map's view, [west, south, east, north]; at street zoom only the units around it are drawn (model/unit-cull.ts). */
  viewBounds?: Bbox;
}

const UNIT_FIRE_COLOR = unitStateColor(UNIT_STATE.fire);

/** SHAPE code of each UNIT_STATE code. */
const STATE_SHAPE_CODES = Float32Array.from(UNIT_STATE_SHAPES, (s) => SHAPE[s]);

let shapesCache: { states: Uint8Array; version: number; shapes: Float32Array } | null = null;
/** The units' shape codes from their states, recomputed only for a new version (~0.3 ms for 100,000). */
function unitShapes(u: UnitStore, version: number): Float32Array {
  if (shapesCache && shapesCache.states === u.states && shapesCache.version === version && shapesCache.shapes.length === u.length) return shapesCache.shapes;
  const shapes = shapesCache && shapesCache.shapes.length === u.length ? shapesCache.shapes : new Float32Array(u.length);
  for (let i = 0; i < u.length; i++) shapes[i] = STATE_SHAPE_CODES[u.states[i]!] ?? 0;
  shapesCache = { states: u.states, version, shapes };
  return shapes;
}

// Layer data objects are cached by version: deck.gl compares `data` by identity, and the
// animation loop rebuilds the layer list every frame; a new object would make it recompute
// every attribute of 100,000 units 60 times a second.
let unitsCache: { store: UnitStore; version: number; length: number; data: unknown } | null = null;
function unitsData(u: UnitStore, version: number) {
  if (unitsCache && unitsCache.store === u && unitsCache.version === version && unitsCache.length === u.length) return unitsCache.data;
  const positionsChanged = !unitsCache || unitsCache.store !== u || unitsCache.length !== u.length;
  const prev = unitsCache?.data as { attributes: Record<string, unknown> } | undefined;
  const data = {
    length: u.length,
    attributes: {
      // Same descriptor object while positions are unchanged: deck.gl skips the upload.
      getPosition: positionsChanged || !prev ? { value: u.positions, size: 2 } : prev.attributes.getPosition,
      getRadius: positionsChanged || !prev ? { value: u.radii, size: 1 } : prev.attributes.getRadius,
      // A fresh descriptor (same typed array) re-uploads only the colours.
      getFillColor: { value: u.colors, size: 4, normalized: true },
      getShape: { value: unitShapes(u, version), size: 1 },
    },
  };
  unitsCache = { store: u, version, length: u.length, data };
  return data;
}

let cullCache: { store: UnitStore; positions: Float32Array; length: number; version: number; box: Bbox; indices: Uint32Array; data: unknown } | null = null;
/** Store indices of the points the 'units' layer was last given, when that was a culled subset (null: every unit, in store order). */
let unitsIndexMap: Uint32Array | null = null;

/**
 * The units around the view at street zoom, as binary attributes: picked again when the view
 * has left the box they were picked for or the units were reloaded; a new colour version
 * only copies their columns again.
 */
function unitsNearView(u: UnitStore, version: number, view: Bbox) {
  const c = cullCache;
  const sameUnits = !!c && c.store === u && c.positions === u.positions && c.length === u.length;
  if (sameUnits && bboxContains(c.box, view) && c.version === version) return c;
  const box = sameUnits && bboxContains(c.box, view) ? c.box : cullBox(view);
  const indices = sameUnits && box === c.box ? c.indices : unitsInBox(u.positions, u.length, box);
  const data = {
    length: indices.length,
    attributes: {
      getPosition: { value: pick(u.positions, indices, 2), size: 2 },
      getRadius: { value: pick(u.radii, indices, 1), size: 1 },
      getFillColor: { value: pick(u.colors, indices, 4), size: 4, normalized: true },
      getShape: { value: pick(unitShapes(u, version), indices, 1), size: 1 },
    },
  };
  cullCache = { store: u, positions: u.positions, length: u.length, version, box, indices, data };
  return cullCache;
}

/** The unit store index of a picked point of the 'units' layer (its points are a culled subset at street zoom). */
export function pickedUnitIndex(index: number): number {
  return unitsIndexMap ? (unitsIndexMap[index] ?? -1) : index;
}

/** Whether `view` has left the box of the units drawn at street zoom (the layers need building again). */
export function leftCullBox(view: Bbox): boolean {
  return !!cullCache && unitsIndexMap !== null && !bboxContains(cullCache.box, view);
}

let lodCache: { store: UnitStore; positions: Float32Array; length: number; lod: UnitLod } | null = null;
let lodDataCache: { lod: UnitLod; version: number; level: number; cells: unknown; fires: unknown } | null = null;

/**
 * The units at city zoom: one point per grid cell (majority state, sized by count, a thin
 * dark rim so a cell reads as a group), and every unit in the fire state on its own above them.
 */
function lodLayers(u: UnitStore, version: number, level: number): Layer[] {
  if (!lodCache || lodCache.store !== u || lodCache.positions !== u.positions || lodCache.length !== u.length) {
    lodCache = { store: u, positions: u.positions, length: u.length, lod: new UnitLod(u.positions, u.length) };
    lodDataCache = null;
  }
  const lod = lodCache.lod;
  lod.update(u.states, version);
  if (!lodDataCache || lodDataCache.lod !== lod || lodDataCache.version !== version || lodDataCache.level !== level) {
    const c = lod.cells(level);
    const fire = lod.fireIndices();
    const firePositions = new Float32Array(fire.length * 2);
    const fireRadii = new Float32Array(fire.length);
    for (let k = 0; k < fire.length; k++) {
      firePositions[k * 2] = u.positions[fire[k]! * 2]!;
      firePositions[k * 2 + 1] = u.positions[fire[k]! * 2 + 1]!;
      fireRadii[k] = u.radii[fire[k]!]!;
    }
    const fireColor = UNIT_FIRE_COLOR;
    lodDataCache = {
      lod,
      version,
      level,
      cells: {
        length: c.length,
        attributes: {
          getPosition: { value: c.positions, size: 2 },
          getRadius: { value: c.radii, size: 1 },
          getFillColor: { value: c.colors, size: 4, normalized: true },
          getShape: { value: c.shapes, size: 1 },
        },
      },
      fires: {
        length: fire.length,
        attributes: {
          getPosition: { value: firePositions, size: 2 },
          getRadius: { value: fireRadii, size: 1 },
          getFillColor: { value: new Uint8Array(fire.length * 4).map((_, k) => fireColor[k % 4]!), size: 4, normalized: true },
          getShape: { value: new Float32Array(fire.length).fill(SHAPE.circle), size: 1 },
        },
      },
    };
  }
  return [
    new UnitPointsLayer({
      id: 'units-lod',
      data: lodDataCache.cells as UnitPointsLayerProps['data'],
      radiusUnits: 'pixels',
      lineWidthPixels: 1,
      lineColor: [10, 16, 28, 200],
      pickable: false,
      updateTriggers: { getFillColor: `${version}:${level}`, getShape: `${version}:${level}` },
    }),
    new UnitPointsLayer({
      id: 'units-fire',
      data: lodDataCache.fires as UnitPointsLayerProps['data'],
      radiusUnits: 'meters',
      radiusMinPixels: 2.5,
      radiusMaxPixels: 14,
      pickable: true,
    }),
  ];
}

let alarmsCache: { src: readonly AlarmView[]; located: AlarmView[] } | null = null;
function locatedAlarms(alarms: readonly AlarmView[]): AlarmView[] {
  if (alarmsCache?.src === alarms) return alarmsCache.located;
  const located = alarms.filter((a) => a.lonWgs84 !== null && a.latWgs84 !== null);
  alarmsCache = { src: alarms, located };
  return located;
}

let labelsCache: { src: readonly AlarmView[]; labelled: AlarmView[] } | null = null;
function labelledAlarms(alarms: readonly AlarmView[]): AlarmView[] {
  if (labelsCache?.src === alarms) return labelsCache.labelled;
  const labelled = alarms.filter((a) => a.lonWgs84 !== null && a.latWgs84 !== null && a.unitName);
  labelsCache = { src: alarms, labelled };
  return labelled;
}

export function buildLayers(i: MapLayerInput): Layer[] {
  const layers: Layer[] = [];

  if (i.heat && i.heat.length > 0) {
    layers.push(
      new H3HexagonLayer<{ h3: string; value: number }>({
        id: 'h3-heat',
        data: i.heat,
        getHexagon: (d) => d.h3,
        // yellow (low) → red (high), translucent so units show through
        getFillColor: (d) => [255, Math.round(220 * (1 - Math.min(1, d.value))), 40, 60 + Math.round(120 * Math.min(1, d.value))],
        extruded: false,
        stroked: false,
        pickable: true,
      }),
    );
  }

  // Region fills (connection rate) and 3D buildings are MapLibre layers (map-controller.ts):
  // their tiles are parsed in MapLibre's worker, off the main thread.

  // With a level of detail both the cells and the full points stay built and only the one in
  // use is visible: crossing LOD_FULL_ZOOM (the wall's cut to a fire and back, the desk's drag)
  // is then a change of visibility, not 100,000 points' buffers built again.
  const lodCapable = !!i.units && i.lodZoom !== undefined && i.units.length >= LOD_MIN_UNITS;
  const level = lodCapable ? lodLevel(i.lodZoom!, i.units!.length) : -1;
  const cellsNow = level >= 0 && (!i.lodOnlyWhileMoving || !!i.moving);
  if (i.units && lodCapable) {
    // At street zoom the cells are kept at the finest grid level, hidden.
    const cells = lodLayers(i.units, i.unitsVersion, level >= 0 ? level : LOD_LEVELS.length - 1);
    layers.push(...cells.map((l) => (cellsNow ? l : l.clone({ visible: false }))));
  }
  if (i.units && i.units.length > 0) {
    const u = i.units;
    // At street zoom only the units around the view (model/unit-cull.ts); behind the cells the
    // last of those stay, hidden; elsewhere every unit.
    let data: unknown;
    if (lodCapable && i.viewBounds && !(i.lodZoom! < LOD_FULL_ZOOM)) {
      const near = unitsNearView(u, i.unitsVersion, i.viewBounds);
      data = near.data;
      unitsIndexMap = near.indices;
    } else if (lodCapable && cellsNow && unitsIndexMap && cullCache?.store === u) {
      data = cullCache.data;
    } else {
      data = unitsData(u, i.unitsVersion);
      unitsIndexMap = null;
    }
    layers.push(
      new UnitPointsLayer({
        id: 'units',
        visible: !cellsNow,
        data: data as UnitPointsLayerProps['data'],
        radiusUnits: 'meters',
        radiusMinPixels: 2.5,
        radiusMaxPixels: 14,
        pickable: true,
        updateTriggers: { getFillColor: i.unitsVersion, getShape: i.unitsVersion },
      }),
    );
  }

  // Stations come from the basemap style (its `stations` layer).

  if (i.routes.length > 0) {
    layers.push(
      new PathLayer({
        id: 'dispatch-routes',
        data: i.routes,
        getPath: (r: { pathWgs84: Array<[number, number]> }) => r.pathWgs84,
        getColor: [255, 150, 40, 230],
        getWidth: 6,
        widthUnits: 'pixels',
        capRounded: true,
        jointRounded: true,
      }),
    );
  }

  const located = locatedAlarms(i.alarms);
  // Always present (even empty) so its shaders are compiled before the first alarm: on a
  // machine without a GPU, compiling them when a fire arrives costs seconds.
  {
    // The pulse is a CSS animation on DOM markers (map-controller.ts): no WebGL redraw per
    // frame, so a wall PC without a GPU stays responsive. deck.gl draws the steady dots.
    // Same point layer as the units: each priority has its colour and its shape.
    layers.push(
      new UnitPointsLayer({
        id: 'alarms',
        data: located as unknown as UnitPointsLayerProps['data'],
        getPosition: (a: AlarmView) => [a.lonWgs84!, a.latWgs84!],
        getFillColor: (a: AlarmView) => [...priorityColor(a.priority)],
        getRadius: (a: AlarmView) => (a.priority === 1 ? 9 : 7),
        getShape: (a: AlarmView) => SHAPE[priorityShape(a.priority)],
        radiusUnits: 'pixels',
        lineWidthPixels: 1.5,
        lineColor: [255, 255, 255, 255],
        pickable: true,
        updateTriggers: { getFillColor: i.alarmsVersion, getRadius: i.alarmsVersion, getShape: i.alarmsVersion },
      } as UnitPointsLayerProps),
    );
  }

  if (i.labelAlarms) {
    // Always present (even empty), like the dots: its shaders compile before the first fire.
    const all = labelledAlarms(i.labelAlarms);
    const at = i.labelPlacements;
    const labelled = at ? all.filter((a) => at.has(a.id)) : all;
    layers.push(
      new TextLayer<AlarmView>({
        id: 'alarm-labels',
        data: labelled,
        getPosition: (a) => [a.lonWgs84!, a.latWgs84!],
        getText: (a) => a.unitName!,
        // The atlas holds exactly the characters of the labels on screen (CJK included).
        characterSet: 'auto',
        fontFamily: LOCAL_IDEOGRAPH_FONT_FAMILY,
        fontWeight: 700,
        getSize: 18,
        sizeUnits: 'pixels',
        getColor: [255, 235, 235, 255],
        getPixelOffset: at ? (a) => at.get(a.id)?.offset ?? [0, -26] : [0, -26],
        getTextAnchor: at ? (a) => at.get(a.id)?.anchor ?? 'middle' : 'middle',
        getAlignmentBaseline: at ? (a) => at.get(a.id)?.baseline ?? 'bottom' : 'bottom',
        background: true,
        getBackgroundColor: [60, 5, 5, 220],
        backgroundPadding: [6, 3],
        getBorderColor: [255, 45, 45, 255],
        getBorderWidth: 1,
        updateTriggers: { getText: i.alarmsVersion, getPixelOffset: at, getTextAnchor: at, getAlignmentBaseline: at },
      }),
    );
  }

  if (i.extra) layers.push(...i.extra);
  return layers;
}

export { GeoJsonLayer };
