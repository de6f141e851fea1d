// Used only when /map/style.json cannot be loaded: a plain dark background so the deck.gl
// layers still show (and the page still makes no external request).
import type { StyleSpecification } from 'maplibre-gl';

export const FALLBACK_STYLE: StyleSpecification = {
  version: 8,
  name: 'firelink-fallback',
  sources: {},
  layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#0b1220' } }],
};

/** Font stack MapLibre draws CJK labels with locally (no glyph downloads). */
export const LOCAL_IDEOGRAPH_FONT_FAMILY = "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'WenQuanYi Micro Hei', 'Microsoft YaHei', 'PingFang SC', sans-serif";

/**
 * Rejects a style that would make the browser reach another host: command centers run on
 * closed networks, and an external URL would both fail and leak. Relative URLs are made
 * absolute against our own origin.
 */
export function sanitizeStyle(style: StyleSpecification, origin: string): StyleSpecification {
  const abs = (u: string) => (u.startsWith('/') ? origin + u : u);
  const check = (u: string) => {
    const url = new URL(abs(u).replace(/\{[^}]+\}/g, '0'), origin);
    if (url.origin !== origin) throw new Error(`map style refers to ${url.origin}; only ${origin} is allowed (offline first): fix /map/style.json`);
    return abs(u);
  };
  const sources: StyleSpecification['sources'] = {};
  for (const [id, src] of Object.entries(style.sources ?? {})) {
    const s = { ...src } as Record<string, unknown>;
    if (typeof s.url === 'string') s.url = check(s.url);
    if (Array.isArray(s.tiles)) s.tiles = (s.tiles as string[]).map(check);
    if (typeof s.data === 'string') s.data = check(s.data);
    sources[id] = s as unknown as StyleSpecification['sources'][string];
  }
  const out: StyleSpecification = { ...style, sources };
  if (typeof out.glyphs === 'string') out.glyphs = check(out.glyphs);
  if (typeof out.sprite === 'string') out.sprite = check(out.sprite);
  return out;
}
