// Coordinate conversion between the systems Chinese sources use (pure; no I/O).
//
// - WGS84: GPS, OpenStreetMap, Tianditu (CGCS2000 differs from WGS84 by centimetres).
// - GCJ-02 ("Mars coordinates"): Amap/Gaode, Tencent, Aliyun DataV. WGS84 shifted by a
//   published obfuscation formula; about 500 m in Jiangsu. Outside China it equals WGS84.
// - BD-09: Baidu. GCJ-02 rotated and shifted again.
// - EPSG:3857: Web Mercator metres (over WGS84).
// Everything stored in PostGIS is WGS84 (SRID 4326); importers convert on the way in.

export type Crs = 'wgs84' | 'gcj02' | 'bd09' | 'epsg3857';
export const CRS_NAMES: readonly Crs[] = ['wgs84', 'gcj02', 'bd09', 'epsg3857'];

/** [longitude, latitude] in degrees, WGS84. */
export type LonLatWgs84 = readonly [number, number] & { readonly __crs?: 'wgs84' };
/** [longitude, latitude] in degrees, GCJ-02. */
export type LonLatGcj02 = readonly [number, number] & { readonly __crs?: 'gcj02' };
/** [longitude, latitude] in degrees, BD-09. */
export type LonLatBd09 = readonly [number, number] & { readonly __crs?: 'bd09' };

// Krasovsky 1940 ellipsoid, as the GCJ-02 formula uses it.
const A = 6378245.0;
const EE = 0.006693421622965943;
const X_PI = (Math.PI * 3000.0) / 180.0;
const EARTH_RADIUS_M = 6378137;

/** The GCJ-02 shift only applies inside China's rough bounding box. */
export function outOfChina(lon: number, lat: number): boolean {
  return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
}

function transformLat(x: number, y: number): number {
  let r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
  r += ((20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin((y / 3.0) * Math.PI)) * 2.0) / 3.0;
  r += ((160.0 * Math.sin((y / 12.0) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30.0)) * 2.0) / 3.0;
  return r;
}

function transformLon(x: number, y: number): number {
  let r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
  r += ((20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin((x / 3.0) * Math.PI)) * 2.0) / 3.0;
  r += ((150.0 * Math.sin((x / 12.0) * Math.PI) + 300.0 * Math.sin((x / 30.0) * Math.PI)) * 2.0) / 3.0;
  return r;
}

export function wgs84ToGcj02(lon: number, lat: number): [number, number] {
  if (outOfChina(lon, lat)) return [lon, lat];
  let dLat = transformLat(lon - 105.0, lat - 35.0);
  let dLon = transformLon(lon - 105.0, lat - 35.0);
  const radLat = (lat / 180.0) * Math.PI;
  let magic = Math.sin(radLat);
  magic = 1 - EE * magic * magic;
  const sqrtMagic = Math.sqrt(magic);
  dLat = (dLat * 180.0) / (((A * (1 - EE)) / (magic * sqrtMagic)) * Math.PI);
  dLon = (dLon * 180.0) / ((A / sqrtMagic) * Math.cos(radLat) * Math.PI);
  return [lon + dLon, lat + dLat];
}

/**
 * GCJ-02 → WGS84. The forward formula has no closed inverse; iterate until the forward
 * image of the estimate is within 1e-9° (~0.1 mm) of the input, at most 30 steps.
 */
export function gcj02ToWgs84(lon: number, lat: number): [number, number] {
  if (outOfChina(lon, lat)) return [lon, lat];
  let wLon = lon;
  let wLat = lat;
  for (let i = 0; i < 30; i++) {
    const [gLon, gLat] = wgs84ToGcj02(wLon, wLat);
    const dLon = gLon - lon;
    const dLat = gLat - lat;
    wLon -= dLon;
    wLat -= dLat;
    if (Math.abs(dLon) < 1e-9 && Math.abs(dLat) < 1e-9) break;
  }
  return [wLon, wLat];
}

export function gcj02ToBd09(lon: number, lat: number): [number, number] {
  const z = Math.sqrt(lon * lon + lat * lat) + 0.00002 * Math.sin(lat * X_PI);
  const theta = Math.atan2(lat, lon) + 0.000003 * Math.cos(lon * X_PI);
  return [z * Math.cos(theta) + 0.0065, z * Math.sin(theta) + 0.006];
}

/** BD-09 → GCJ-02, iterated like gcj02ToWgs84 so a round trip is exact to ~1e-9°. */
export function bd09ToGcj02(lon: number, lat: number): [number, number] {
  const x = lon - 0.0065;
  const y = lat - 0.006;
  const z = Math.sqrt(x * x + y * y) - 0.00002 * Math.sin(y * X_PI);
  const theta = Math.atan2(y, x) - 0.000003 * Math.cos(x * X_PI);
  let gLon = z * Math.cos(theta);
  let gLat = z * Math.sin(theta);
  for (let i = 0; i < 10; i++) {
    const [bLon, bLat] = gcj02ToBd09(gLon, gLat);
    const dLon = bLon - lon;
    const dLat = bLat - lat;
    gLon -= dLon;
    gLat -= dLat;
    if (Math.abs(dLon) < 1e-10 && Math.abs(dLat) < 1e-10) break;
  }
  return [gLon, gLat];
}

export function wgs84ToBd09(lon: number, lat: number): [number, number] {
  const [gLon, gLat] = wgs84ToGcj02(lon, lat);
  return gcj02ToBd09(gLon, gLat);
}

export function bd09ToWgs84(lon: number, lat: number): [number, number] {
  const [gLon, gLat] = bd09ToGcj02(lon, lat);
  return gcj02ToWgs84(gLon, gLat);
}

/** Web Mercator metres → WGS84 degrees. */
export function epsg3857ToWgs84(x: number, y: number): [number, number] {
  const lon = (x / EARTH_RADIUS_M) * (180 / Math.PI);
  const lat = (2 * Math.atan(Math.exp(y / EARTH_RADIUS_M)) - Math.PI / 2) * (180 / Math.PI);
  return [lon, lat];
}

export function wgs84ToEpsg3857(lon: number, lat: number): [number, number] {
  const x = (lon * Math.PI * EARTH_RADIUS_M) / 180;
  const y = Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360)) * EARTH_RADIUS_M;
  return [x, y];
}

/** A position converter from `from` to WGS84. */
export function toWgs84Fn(from: Crs): (x: number, y: number) => [number, number] {
  switch (from) {
    case 'wgs84':
      return (x, y) => [x, y];
    case 'gcj02':
      return gcj02ToWgs84;
    case 'bd09':
      return bd09ToWgs84;
    case 'epsg3857':
      return epsg3857ToWgs84;
  }
}

/** A position converter from WGS84 to `to`. */
export function fromWgs84Fn(to: Crs): (lon: number, lat: number) => [number, number] {
  switch (to) {
    case 'wgs84':
      return (x, y) => [x, y];
    case 'gcj02':
      return wgs84ToGcj02;
    case 'bd09':
      return wgs84ToBd09;
    case 'epsg3857':
      return wgs84ToEpsg3857;
  }
}

export function convert(from: Crs, to: Crs, x: number, y: number): [number, number] {
  if (from === to) return [x, y];
  const [lon, lat] = toWgs84Fn(from)(x, y);
  return fromWgs84Fn(to)(lon, lat);
}

type Position = number[];
export interface GeometryLike {
  type: string;
  coordinates?: unknown;
  geometries?: GeometryLike[];
}

/** Converts every position of a GeoJSON geometry in place-free fashion (returns a copy). */
export function convertGeometry<G extends GeometryLike>(g: G, fn: (x: number, y: number) => [number, number]): G {
  const mapPos = (c: unknown): unknown => {
    if (Array.isArray(c) && typeof c[0] === 'number') {
      const p = c as Position;
      const [x, y] = fn(p[0]!, p[1]!);
      return p.length > 2 ? [x, y, ...p.slice(2)] : [x, y];
    }
    return (c as unknown[]).map(mapPos);
  };
  if (g.type === 'GeometryCollection') {
    return { ...g, geometries: (g.geometries ?? []).map((x) => convertGeometry(x, fn)) };
  }
  return { ...g, coordinates: mapPos(g.coordinates) };
}

/** Great-circle distance in metres (haversine, mean Earth radius). */
export function distanceMeters(a: readonly [number, number], b: readonly [number, number]): number {
  const R = 6371008.8;
  const toRad = Math.PI / 180;
  const dLat = (b[1] - a[1]) * toRad;
  const dLon = (b[0] - a[0]) * toRad;
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * toRad) * Math.cos(b[1] * toRad) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(s)));
}
