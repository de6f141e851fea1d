// The units near the view, at street zoom. From LOD_FULL_ZOOM on every unit is its own point,
// but a view there holds a few hundred of the 100,000: drawing all of them costs the software
// rasteriser (a wall PC without a working GPU driver) ~150 ms a redraw in the vertex stage
// alone, for points off screen. So the points drawn are those inside a box around the view
// (the view grown by its own size on every side, 9 views' area), picked by one pass over the
// positions (~1 ms for 100,000) and taken again only when the view leaves that box or the
// units change.

/** [west, south, east, north], WGS84 degrees. */
export type Bbox = readonly [number, number, number, number];

/** The box drawn for a view: the view grown by `grow` times its width and height on every side. */
export function cullBox(view: Bbox, grow = 1): Bbox {
  const w = view[2] - view[0];
  const h = view[3] - view[1];
  return [view[0] - grow * w, view[1] - grow * h, view[2] + grow * w, view[3] + grow * h];
}

export const bboxContains = (outer: Bbox, inner: Bbox): boolean => inner[0] >= outer[0] && inner[1] >= outer[1] && inner[2] <= outer[2] && inner[3] <= outer[3];

/** Indices of the units whose position (lon, lat pairs) lies in `box`. */
export function unitsInBox(positions: Float32Array, length: number, box: Bbox): Uint32Array {
  const out = new Uint32Array(length);
  let n = 0;
  const [w, s, e, north] = box;
  for (let i = 0; i < length; i++) {
    const lon = positions[i * 2]!;
    const lat = positions[i * 2 + 1]!;
    if (lon >= w && lon <= e && lat >= s && lat <= north) out[n++] = i;
  }
  return out.slice(0, n);
}

/** Columns of a subset of units (by `indices`), `size` values per unit. */
export function pick<T extends Float32Array | Uint8Array>(src: T, indices: Uint32Array, size: number): T {
  const out = new (src.constructor as new (n: number) => T)(indices.length * size);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]! * size;
    for (let j = 0; j < size; j++) out[k * size + j] = src[i + j]!;
  }
  return out;
}
