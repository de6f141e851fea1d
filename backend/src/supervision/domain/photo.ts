// Inspection photos: the type is read from the file's first bytes (never trusted from the
// header alone) and the size is bounded. Pure.

/** Largest photo accepted, bytes (a phone JPEG is 2–5 MB). */
export const MAX_PHOTO_BYTES = 8 * 1024 * 1024;
/** Photos per inspection. */
export const MAX_PHOTOS = 20;

export type PhotoType = 'image/jpeg' | 'image/png' | 'image/webp';

/** The image type from its magic bytes, or null when it is not a JPEG, PNG or WebP. */
export function sniffPhoto(b: Uint8Array): PhotoType | null {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.length >= 8 && [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((x, i) => b[i] === x)) return 'image/png';
  if (b.length >= 12 && String.fromCharCode(...b.subarray(0, 4)) === 'RIFF' && String.fromCharCode(...b.subarray(8, 12)) === 'WEBP') return 'image/webp';
  return null;
}
