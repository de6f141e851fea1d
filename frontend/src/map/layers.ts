// deck.gl layers of the command map. Built from typed arrays and small arrays so a layer
// update never walks 100,000 JavaScript objects.
import type { Layer } from '@deck.gl/core';
import { MVTLayer } from '@deck.gl/geo-layers';
import { GeoJsonLayer, PathLayer, ScatterplotLayer } from '@deck.gl/layers';
import { MVTLoader } from '@loaders.gl/mvt';
import { connectionRateColor, priorityColor } from '../model/colors.ts';
import type { AlarmView } from '../model/alarm.ts';
import type { UnitStore } from '../model/unit-store.ts';

export interface RegionRate {
  rate: number | null;
  target: number;
}

export interface MapLayerInput {
  origin: string;
  units: UnitStore | null;
  unitsVersion: number;
  alarms: readonly AlarmView[];
  alarmsVersion: number;
  /** 0…1 phase of the alarm pulse, advanced by the animation loop. */
  pulse: number;
  regionRates: ReadonlyMap<number, RegionRate> | null;
  regionRatesVersion: number;
  /** Dispatch routes: WGS84 paths. */
  routes: ReadonlyArray<{ id: string; pathWgs84: Array<[number, number]> }>;
  /** Which layers exist on the server (tiles); missing ones are left out. */
  tileLayers: ReadonlySet<string>;
  showBuildings: boolean;
  /** Extra layers from a view (e.g. unit footprint). */
  extra?: Layer[];
}

type Props = Record<string, unknown>;

/**
 * Parse tiles on the main thread with the bundled MVTLoader: deck.gl's default
 * MVTWorkerLoader starts a worker from unpkg.com, which a closed network cannot reach
 * (and must never be asked to). Our tiles are small; parsing them inline is cheap.
 */
const LOCAL_LOAD_OPTIONS = { worker: false } as const;
const LOCAL_LOADERS = [MVTLoader];
const prop = (f: { properties?: Props }, ...names: string[]): unknown => {
  for (const n of names) if (f.properties && f.properties[n] !== undefined) return f.properties[n];
  return undefined;
};

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
    },
  };
  unitsCache = { store: u, version, length: u.length, data };
  return data;
}

let alarmsCache: { src: readonly AlarmView[]; located: AlarmView[] } | null = null;
function locatedAlarms(alarms: readonly AlarmView[]): AlarmView[] {
  if (alarmsCache?.src === alarms) return alarmsCache.located;
  const located = alarms.filter((a) => a.lonWgs84 !== null && a.latWgs84 !== null);
  alarmsCache = { src: alarms, located };
  return located;
}

export function buildLayers(i: MapLayerInput): Layer[] {
  const layers: Layer[] = [];
  const tile = (name: string) => `${i.origin}/tiles/${name}/{z}/{x}/{y}.pbf`;

  if (i.tileLayers.has('regions')) {
    layers.push(
      new MVTLayer({
        id: 'regions',
        data: tile('regions'),
        loadOptions: LOCAL_LOAD_OPTIONS,
        loaders: LOCAL_LOADERS,
        maxZoom: 14,
        pickable: false,
        stroked: true,
        filled: true,
        getLineColor: [120, 170, 255, 200],
        lineWidthMinPixels: 1.2,
        getFillColor: (f: { properties?: Props }) => {
          const code = Number(prop(f, 'adcode', 'region_adcode'));
          const r = i.regionRates?.get(code);
          return r ? [...connectionRateColor(r.rate, r.target)] : [0, 0, 0, 0];
        },
        updateTriggers: { getFillColor: i.regionRatesVersion },
      }),
    );
  }

  if (i.showBuildings && i.tileLayers.has('buildings')) {
    layers.push(
      new MVTLayer({
        id: 'buildings-3d',
        data: tile('buildings'),
        loadOptions: LOCAL_LOAD_OPTIONS,
        loaders: LOCAL_LOADERS,
        minZoom: 15,
        maxZoom: 16,
        extruded: true,
        wireframe: false,
        filled: true,
        stroked: false,
        pickable: false,
        getElevation: (f: { properties?: Props }) => {
          const h = Number(prop(f, 'height_m', 'height'));
          if (Number.isFinite(h) && h > 0) return h;
          const floors = Number(prop(f, 'floors_above', 'floors'));
          return Number.isFinite(floors) && floors > 0 ? floors * 3.2 : 6;
        },
        getFillColor: [70, 90, 125, 210],
        material: { ambient: 0.45, diffuse: 0.6, shininess: 16 },
      }),
    );
  }

  if (i.units && i.units.length > 0) {
    const u = i.units;
    layers.push(
      new ScatterplotLayer({
        id: 'units',
        data: unitsData(u, i.unitsVersion) as { length: number },
        radiusUnits: 'meters',
        radiusMinPixels: 2.5,
        radiusMaxPixels: 14,
        stroked: false,
        pickable: true,
        updateTriggers: { getFillColor: i.unitsVersion },
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
  if (located.length > 0) {
    // Halo: same data every frame; only the uniform-like props (radiusScale, opacity) move.
    const phase = i.pulse;
    layers.push(
      new ScatterplotLayer<AlarmView>({
        id: 'alarm-pulse',
        data: located,
        getPosition: (a) => [a.lonWgs84!, a.latWgs84!],
        getFillColor: (a) => {
          const c = priorityColor(a.priority);
          return [c[0], c[1], c[2], 90];
        },
        getRadius: (a) => (a.priority === 1 ? 14 : 9),
        radiusUnits: 'pixels',
        radiusScale: 1 + 1.6 * phase,
        opacity: 1 - phase,
        stroked: false,
        updateTriggers: { getFillColor: i.alarmsVersion, getRadius: i.alarmsVersion },
      }),
      new ScatterplotLayer<AlarmView>({
        id: 'alarms',
        data: located,
        getPosition: (a) => [a.lonWgs84!, a.latWgs84!],
        getFillColor: (a) => [...priorityColor(a.priority)],
        getLineColor: [255, 255, 255, 255],
        getRadius: (a) => (a.priority === 1 ? 8 : 5),
        radiusUnits: 'pixels',
        stroked: true,
        lineWidthMinPixels: 1.5,
        pickable: true,
        updateTriggers: { getFillColor: i.alarmsVersion, getRadius: i.alarmsVersion },
      }),
    );
  }

  if (i.extra) layers.push(...i.extra);
  return layers;
}

export { GeoJsonLayer };
