// Pixel size of an uploaded floor plan, read from the image header (PNG IHDR, JPEG SOFn). Pure.

export function imageSize(buf: Uint8Array, mime: string): { widthPx: number; heightPx: number } | null {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (mime === 'image/png') {
    // 8-byte signature, then the IHDR chunk: length (4) · "IHDR" (4) · width (4, BE) · height (4, BE).
    if (buf.length < 24 || buf[0] !== 0x89 || buf[1] !== 0x50) return null;
    return { widthPx: dv.getUint32(16), heightPx: dv.getUint32(20) };
  }
  if (mime === 'image/jpeg') {
    if (buf[0] !== 0xff || buf[1] !== 0xd8) return null;
    let at = 2;
    while (at + 9 < buf.length) {
      if (buf[at] !== 0xff) return null;
      const marker = buf[at + 1]!;
      const len = dv.getUint16(at + 2);
      // SOF0–SOF15 except DHT (C4), JPG (C8), DAC (CC): length · precision (1) · height (2) · width (2).
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { heightPx: dv.getUint16(at + 5), widthPx: dv.getUint16(at + 7) };
      }
      at += 2 + len;
    }
  }
  return null;
}
