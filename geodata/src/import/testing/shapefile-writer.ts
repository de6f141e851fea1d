// A minimal ESRI Shapefile writer (polygons or points, character attributes) so tests can
// build .shp/.dbf fixtures in code. Test support only; layout per the ESRI whitepaper:
// big-endian file header lengths in 16-bit words, little-endian record contents.
export interface ShpFeature {
  /** Polygon: rings of [x, y] (outer clockwise, as ESRI wants); Point: one ring of one position. */
  rings: Array<Array<[number, number]>>;
  attrs: Record<string, string>;
}

export function writeShapefile(kind: 'polygon' | 'point', features: ShpFeature[], fields: string[]): { shp: Buffer; dbf: Buffer; shx: Buffer } {
  const shapeType = kind === 'polygon' ? 5 : 1;
  const records: Buffer[] = [];
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const f of features) for (const r of f.rings) for (const [x, y] of r) {
    minX = Math.min(minX, x); minY = Math.min(minY, y); maxX = Math.max(maxX, x); maxY = Math.max(maxY, y);
  }
  features.forEach((f, i) => {
    let content: Buffer;
    if (kind === 'point') {
      content = Buffer.alloc(20);
      content.writeInt32LE(1, 0);
      content.writeDoubleLE(f.rings[0]![0]![0], 4);
      content.writeDoubleLE(f.rings[0]![0]![1], 12);
    } else {
      const pts = f.rings.flat();
      content = Buffer.alloc(44 + 4 * f.rings.length + 16 * pts.length);
      content.writeInt32LE(5, 0);
      const xs = pts.map((p) => p[0]);
      const ys = pts.map((p) => p[1]);
      content.writeDoubleLE(Math.min(...xs), 4);
      content.writeDoubleLE(Math.min(...ys), 12);
      content.writeDoubleLE(Math.max(...xs), 20);
      content.writeDoubleLE(Math.max(...ys), 28);
      content.writeInt32LE(f.rings.length, 36);
      content.writeInt32LE(pts.length, 40);
      let start = 0;
      f.rings.forEach((r, k) => {
        content.writeInt32LE(start, 44 + 4 * k);
        start += r.length;
      });
      const base = 44 + 4 * f.rings.length;
      pts.forEach(([x, y], k) => {
        content.writeDoubleLE(x, base + 16 * k);
        content.writeDoubleLE(y, base + 16 * k + 8);
      });
    }
    const header = Buffer.alloc(8);
    header.writeInt32BE(i + 1, 0);
    header.writeInt32BE(content.length / 2, 4);
    records.push(Buffer.concat([header, content]));
  });
  const fileHeader = (lengthBytes: number) => {
    const h = Buffer.alloc(100);
    h.writeInt32BE(9994, 0);
    h.writeInt32BE(lengthBytes / 2, 24);
    h.writeInt32LE(1000, 28);
    h.writeInt32LE(shapeType, 32);
    h.writeDoubleLE(minX, 36);
    h.writeDoubleLE(minY, 44);
    h.writeDoubleLE(maxX, 52);
    h.writeDoubleLE(maxY, 60);
    return h;
  };
  const body = Buffer.concat(records);
  const shp = Buffer.concat([fileHeader(100 + body.length), body]);
  const shxBody = Buffer.alloc(8 * records.length);
  let offset = 100;
  records.forEach((r, i) => {
    shxBody.writeInt32BE(offset / 2, 8 * i);
    shxBody.writeInt32BE((r.length - 8) / 2, 8 * i + 4);
    offset += r.length;
  });
  const shx = Buffer.concat([fileHeader(100 + shxBody.length), shxBody]);
  // dBASE III: character fields of 80 bytes, UTF-8 (declare it in a .cpg).
  const width = 80;
  const dh = Buffer.alloc(32 + 32 * fields.length + 1);
  dh.writeUInt8(3, 0);
  dh.writeUInt32LE(features.length, 4);
  dh.writeUInt16LE(dh.length, 8);
  dh.writeUInt16LE(1 + width * fields.length, 10);
  fields.forEach((name, k) => {
    dh.write(name.slice(0, 10), 32 + 32 * k, 'latin1');
    dh.write('C', 32 + 32 * k + 11, 'latin1');
    dh.writeUInt8(width, 32 + 32 * k + 16);
  });
  dh.writeUInt8(0x0d, dh.length - 1);
  const rows = features.map((f) => {
    const b = Buffer.alloc(1 + width * fields.length, 0x20);
    fields.forEach((name, k) => {
      const v = Buffer.from(f.attrs[name] ?? '', 'utf8').subarray(0, width);
      v.copy(b, 1 + width * k);
    });
    return b;
  });
  const dbf = Buffer.concat([dh, ...rows, Buffer.from([0x1a])]);
  return { shp, dbf, shx };
}
