// The MapLibre style served at /map/style.json: our own vector tiles only, zero external
// URLs, no glyphs and no sprite (so no symbol layers; deck.gl draws labels, CJK included,
// with the browser's own fonts).
//
// The basemap stays quiet behind the data: roads are faint at city zoom (the wall's
// overview) and come up only at street zoom, and no basemap colour repeats an alarm colour.
// Fire stations are blue with a white rim: the one blue filled circle on the map (alarm
// priorities and unit states use red, violet, pink, yellow, cyan, green and grey).
export type Theme = 'light' | 'dark';

const COLORS: Record<Theme, Record<string, string>> = {
  light: {
    background: '#f2efe9', landuse: '#e4e9d8', industrial: '#e8e0e6', water: '#a9cbe6', district: '#8a7f9c',
    city: '#5b4f73', arterial: '#f5c26b', local: '#ffffff', casing: '#c9c2b4', building: '#d9d0c3', unitBuilding: '#c8a98a',
    unit: '#2b6cb0', highRisk: '#c53030', station: '#2f6fd6', stationRim: '#ffffff',
    waterUsable: '#1f9bd1', waterOut: '#8a8f98', waterRim: '#ffffff',
  },
  dark: {
    background: '#10141c', landuse: '#17201a', industrial: '#1f1a22', water: '#1b3550', district: '#6b6480',
    city: '#a89fc4', arterial: '#59606e', local: '#323946', casing: '#1a1f28', building: '#2a303c', unitBuilding: '#3c4250',
    unit: '#63b3ed', highRisk: '#fc8181', station: '#3d7be0', stationRim: '#ffffff',
    waterUsable: '#38b6e8', waterOut: '#6b7280', waterRim: '#0b1020',
  },
};

/** `origin` is the absolute base the browser reaches us at (MapLibre workers need absolute tile URLs). */
/** Road opacity by zoom: faint at city zoom (≤ 11), full at street zoom (≥ 14). */
const ROAD_OPACITY = ['interpolate', ['linear'], ['zoom'], 9, 0.25, 11, 0.35, 14, 0.9];

export function buildStyle(origin: string, theme: Theme = 'light'): Record<string, unknown> {
  const c = COLORS[theme];
  const src = (layer: string, minzoom: number) => ({
    type: 'vector',
    tiles: [`${origin}/tiles/${layer}/{z}/{x}/{y}.pbf`],
    minzoom,
    maxzoom: 16,
    attribution: layer === 'landuse' || layer === 'water' ? '© OpenStreetMap contributors (where imported); 模拟 synthetic demo data' : 'FireLink',
  });
  return {
    version: 8,
    name: `FireLink offline basemap (${theme})`,
    metadata: { 'firelink:offline': true, 'firelink:synthetic-demo': true },
    center: [118.784, 32.041],
    zoom: 11,
    sources: {
      regions: src('regions', 0),
      landuse: src('landuse', 10),
      water: src('water', 6),
      roads: src('roads', 9),
      buildings: src('buildings', 13),
      units: src('units', 6),
      stations: src('stations', 6),
      water_sources: src('water_sources', 14),
    },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': c.background } },
      {
        id: 'landuse', type: 'fill', source: 'landuse', 'source-layer': 'landuse',
        paint: { 'fill-color': ['match', ['get', 'class'], ['industrial', 'military'], c.industrial, c.landuse], 'fill-opacity': 0.7 },
      },
      { id: 'water', type: 'fill', source: 'water', 'source-layer': 'water', paint: { 'fill-color': c.water } },
      {
        id: 'district-boundaries', type: 'line', source: 'regions', 'source-layer': 'regions',
        filter: ['==', ['get', 'level'], 'district'],
        paint: { 'line-color': c.district, 'line-width': 1, 'line-dasharray': [3, 2] },
      },
      {
        id: 'city-boundaries', type: 'line', source: 'regions', 'source-layer': 'regions',
        filter: ['in', ['get', 'level'], ['literal', ['city', 'province']]],
        paint: { 'line-color': c.city, 'line-width': 1.6 },
      },
      {
        id: 'roads-local', type: 'line', source: 'roads', 'source-layer': 'roads', minzoom: 13,
        filter: ['==', ['get', 'class'], 'local'],
        layout: { 'line-cap': 'round', 'line-join': 'round' },
        paint: { 'line-color': c.local, 'line-width': ['interpolate', ['linear'], ['zoom'], 13, 1, 17, 6], 'line-opacity': ROAD_OPACITY },
      },
      {
        id: 'roads-arterial-casing', type: 'line', source: 'roads', 'source-layer': 'roads',
        filter: ['!=', ['get', 'class'], 'local'],
        layout: { 'line-cap': 'round', 'line-join': 'round' },
        paint: { 'line-color': c.casing, 'line-width': ['interpolate', ['linear'], ['zoom'], 9, 1, 12, 2, 17, 14], 'line-opacity': ROAD_OPACITY },
      },
      {
        id: 'roads-arterial', type: 'line', source: 'roads', 'source-layer': 'roads',
        filter: ['!=', ['get', 'class'], 'local'],
        layout: { 'line-cap': 'round', 'line-join': 'round' },
        paint: { 'line-color': c.arterial, 'line-width': ['interpolate', ['linear'], ['zoom'], 9, 0.5, 12, 1, 17, 10], 'line-opacity': ROAD_OPACITY },
      },
      {
        id: 'buildings', type: 'fill', source: 'buildings', 'source-layer': 'buildings', minzoom: 13,
        paint: {
          'fill-color': ['case', ['has', 'unit_id'], c.unitBuilding, c.building],
          'fill-outline-color': c.casing,
        },
      },
      {
        id: 'units', type: 'circle', source: 'units', 'source-layer': 'units',
        paint: {
          'circle-color': ['case', ['get', 'high_risk'], c.highRisk, c.unit],
          'circle-radius': ['interpolate', ['linear'], ['zoom'], 8, 1.5, 16, 6],
          'circle-opacity': ['case', ['==', ['get', 'onboarding_state'], 'open'], 0.9, 0.4],
        },
      },
      {
        // Water sources at street zoom: small cyan dots with a rim, grey when out of
        // service or under repair; pools and natural sources a size larger.
        id: 'water-sources', type: 'circle', source: 'water_sources', 'source-layer': 'water_sources', minzoom: 14,
        paint: {
          'circle-color': ['match', ['get', 'status'], 'usable', c.waterUsable, c.waterOut],
          'circle-radius': ['interpolate', ['linear'], ['zoom'], 14, ['match', ['get', 'kind'], 'hydrant', 2.5, 4], 17, ['match', ['get', 'kind'], 'hydrant', 5, 8]],
          'circle-stroke-color': c.waterRim, 'circle-stroke-width': 1,
        },
      },
      {
        id: 'stations', type: 'circle', source: 'stations', 'source-layer': 'stations',
        paint: {
          'circle-color': c.station, 'circle-radius': ['interpolate', ['linear'], ['zoom'], 8, 2.5, 12, 4, 16, 9],
          'circle-stroke-color': c.stationRim, 'circle-stroke-width': ['interpolate', ['linear'], ['zoom'], 8, 1, 12, 1.5, 16, 2.5],
        },
      },
    ],
  };
}
