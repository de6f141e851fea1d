// A small WKT reader (POINT, LINESTRING, POLYGON and their MULTI forms; optional Z/M and
// an EWKT "SRID=n;" prefix) producing GeoJSON geometries. Pure.
import type { Geometry } from 'geojson';

export class WktError extends Error {}

export function parseWkt(text: string): Geometry {
  let s = text.trim();
  const srid = /^SRID=\d+;/i.exec(s);
  if (srid) s = s.slice(srid[0].length);
  const m = /^(MULTIPOLYGON|MULTILINESTRING|MULTIPOINT|POLYGON|LINESTRING|POINT)\s*(?:ZM|Z|M)?\s*(\(.*\))$/is.exec(s);
  if (!m) throw new WktError(`not WKT: "${text.slice(0, 40)}…"; expected e.g. POINT(118.78 32.04) or POLYGON((…))`);
  const type = m[1]!.toUpperCase();
  let pos = 0;
  const body = m[2]!;
  // Parses nested parentheses into arrays; leaves are "x y" positions.
  const parse = (): unknown => {
    if (body[pos] !== '(') throw new WktError(`WKT: expected "(" at ${pos} in ${type}`);
    pos++;
    const items: unknown[] = [];
    let token = '';
    for (; pos < body.length; pos++) {
      const ch = body[pos]!;
      if (ch === '(') {
        items.push(parse());
      } else if (ch === ',' || ch === ')') {
        if (token.trim()) items.push(position(token));
        token = '';
        if (ch === ')') return items;
      } else {
        token += ch;
      }
    }
    throw new WktError(`WKT: unbalanced parentheses in ${type}`);
  };
  const position = (t: string): number[] => {
    const n = t.trim().split(/\s+/).map(Number);
    if (n.length < 2 || n.some((v) => !Number.isFinite(v))) throw new WktError(`WKT: bad position "${t.trim()}"`);
    return n.slice(0, 2);
  };
  const tree = parse() as unknown[];
  switch (type) {
    case 'POINT':
      return { type: 'Point', coordinates: tree[0] as number[] };
    case 'LINESTRING':
      return { type: 'LineString', coordinates: tree as number[][] };
    case 'POLYGON':
      return { type: 'Polygon', coordinates: tree as number[][][] };
    case 'MULTIPOINT':
      // Both MULTIPOINT(1 2, 3 4) and MULTIPOINT((1 2), (3 4)).
      return { type: 'MultiPoint', coordinates: tree.map((p) => (Array.isArray((p as unknown[])[0]) ? (p as number[][])[0]! : (p as number[]))) };
    case 'MULTILINESTRING':
      return { type: 'MultiLineString', coordinates: tree as number[][][] };
    default:
      return { type: 'MultiPolygon', coordinates: tree as number[][][][] };
  }
}
