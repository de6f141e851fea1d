// MapLibre basemap (our own /map/style.json and tiles) with deck.gl drawn over it through
// MapboxOverlay. One instance per mounted map; `destroy()` releases the WebGL contexts.
import { MapboxOverlay } from '@deck.gl/mapbox';
import type { Layer, PickingInfo } from '@deck.gl/core';
import { Map as MapLibreMap, setWorkerUrl, type StyleSpecification } from 'maplibre-gl';
// MapLibre looks for its worker next to its own module; in our bundle that file does not
// exist, so ship the worker as an asset of our build and point MapLibre at it.
import maplibreWorkerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import 'maplibre-gl/dist/maplibre-gl.css';
import { FALLBACK_STYLE, LOCAL_IDEOGRAPH_FONT_FAMILY, sanitizeStyle } from './fallback-style.ts';

setWorkerUrl(maplibreWorkerUrl);

export interface MapControllerOptions {
  container: HTMLElement;
  /** [lon, lat] WGS84 and zoom when the style gives none. */
  center?: [number, number];
  zoom?: number;
  interactive?: boolean;
  onClick?: (info: PickingInfo) => void;
  onStyleError?: (message: string) => void;
}

export interface LoadedStyle {
  style: StyleSpecification;
  /** Tile layers (source-layers) the style refers to, e.g. regions, roads, buildings. */
  tileLayers: Set<string>;
  fallback: boolean;
}

export async function loadStyle(origin: string, theme: 'dark' | 'light' = 'dark'): Promise<LoadedStyle> {
  try {
    const res = await fetch(`/map/style.json?theme=${theme}`, { credentials: 'same-origin' });
    if (!res.ok) throw new Error(`/map/style.json: HTTP ${res.status}`);
    const raw = sanitizeStyle((await res.json()) as StyleSpecification, origin);
    // deck.gl draws the units with their live state (fire/fault/offline); the style's
    // static units layer would only sit underneath in other colours.
    const style: StyleSpecification = {
      ...raw,
      layers: raw.layers.filter((l) => (l as { 'source-layer'?: string })['source-layer'] !== 'units'),
    };
    const tileLayers = new Set<string>();
    for (const l of style.layers ?? []) {
      const sl = (l as { 'source-layer'?: string })['source-layer'];
      if (sl) tileLayers.add(sl);
    }
    // Tiles deck.gl draws on top of the style: the regions' connection-rate fill and 3D buildings.
    for (const name of ['regions', 'buildings']) tileLayers.add(name);
    return { style, tileLayers, fallback: false };
  } catch (err) {
    console.warn(`basemap style unavailable, drawing layers only: ${(err as Error).message}`);
    return { style: FALLBACK_STYLE, tileLayers: new Set(), fallback: true };
  }
}

export class MapController {
  readonly map: MapLibreMap;
  private readonly overlay: MapboxOverlay;
  private destroyed = false;

  constructor(o: MapControllerOptions & { style: StyleSpecification }) {
    const styleCenter = o.style.center as [number, number] | undefined;
    this.map = new MapLibreMap({
      container: o.container,
      style: o.style,
      center: o.center ?? styleCenter ?? [120.16, 30.27],
      zoom: o.zoom ?? o.style.zoom ?? 11,
      interactive: o.interactive ?? true,
      attributionControl: false,
      localIdeographFontFamily: LOCAL_IDEOGRAPH_FONT_FAMILY,
      maxPitch: 70,
      // Never fetch anything but our own origin (transformRequest is the last line of defence).
      transformRequest: (url: string) => {
        if (!url.startsWith(location.origin) && !url.startsWith('blob:') && !url.startsWith('data:')) {
          throw new Error(`blocked request to ${url}: the map only loads from ${location.origin}`);
        }
        return { url };
      },
    });
    this.map.on('error', (e: unknown) => {
      const msg = (e as { error?: Error }).error?.message ?? 'map error';
      o.onStyleError?.(msg);
    });
    this.overlay = new MapboxOverlay({
      interleaved: false,
      layers: [],
      onClick: o.onClick ? (info) => o.onClick!(info) : undefined,
      getCursor: ({ isHovering }) => (isHovering ? 'pointer' : 'grab'),
    });
    this.map.addControl(this.overlay);
  }

  setLayers(layers: Layer[]): void {
    if (!this.destroyed) this.overlay.setProps({ layers });
  }

  flyTo(lonLatWgs84: [number, number], zoom = 16, opts: { pitch?: number; durationMs?: number } = {}): void {
    if (this.destroyed) return;
    this.map.flyTo({ center: lonLatWgs84, zoom, pitch: opts.pitch ?? 45, duration: opts.durationMs ?? 2500, essential: true });
  }

  fitBounds(bboxWgs84: [number, number, number, number], padding = 40): void {
    if (this.destroyed) return;
    this.map.fitBounds([[bboxWgs84[0], bboxWgs84[1]], [bboxWgs84[2], bboxWgs84[3]]], { padding, duration: 0 });
  }

  get zoom(): number {
    return this.map.getZoom();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    try {
      this.map.removeControl(this.overlay);
      this.overlay.finalize();
    } catch {
      // already torn down with the map
    }
    this.map.remove();
  }
}
