// Files of the 六熟悉 pack (plans 预案, visit photos): what a file is, told by its first bytes,
// and the names it is stored and sent under. Pure: no pg, no express.
import { badRequest } from '../kernel/errors.ts';

/** The type the first bytes say, or null: PDF, PNG, JPEG, WebP (no SVG: it can carry script). */
export function sniffMime(b: Buffer): string | null {
  if (b.length >= 5 && b.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf';
  if (b.length >= 8 && b.readUInt32BE(0) === 0x89504e47 && b.readUInt32BE(4) === 0x0d0a1a0a) return 'image/png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.length >= 12 && b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  return null;
}

/**
 * Checks an upload: a body, a declared type among `allowed`, and first bytes that agree with
 * it (a renamed .exe sent as application/pdf is refused). Returns the type.
 */
export function checkUpload(body: unknown, contentType: string | undefined, allowed: readonly string[], what: string): { bytes: Buffer; mime: string } {
  const declared = String(contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (!allowed.includes(declared)) throw badRequest(`send the ${what} as the request body with Content-Type ${allowed.join(', ')}; got ${declared || 'none'}`);
  if (!Buffer.isBuffer(body) || body.length === 0) throw badRequest(`the ${what} is empty: send the file's bytes as the request body`);
  const actual = sniffMime(body);
  if (actual !== declared) throw badRequest(`the file is not ${declared}${actual ? ` (its bytes say ${actual})` : ''}: upload a ${allowed.join(', ')} file`);
  return { bytes: body, mime: declared };
}

const EXT: Record<string, string> = { 'application/pdf': 'pdf', 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' };

/** A stored file name: the client's name without folders or control characters, at most 120 characters, with the type's extension. */
export function cleanFileName(name: string | undefined, mime: string): string {
  const base = (name ?? '')
    .split(/[\\/]/)
    .pop()!
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f"<>|:*?]/g, '')
    .trim()
    .slice(0, 120);
  const ext = EXT[mime] ?? 'bin';
  if (!base) return `file.${ext}`;
  return base.toLowerCase().endsWith(`.${ext}`) || (ext === 'jpg' && /\.jpe?g$/i.test(base)) ? base : `${base}.${ext}`;
}

/** Content-Disposition with an ASCII fallback and the UTF-8 name (RFC 6266 / 5987). */
export function contentDisposition(kind: 'attachment' | 'inline', fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}
