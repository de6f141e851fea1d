// MapLibre basemap (our own /map/style.json and tiles) with deck.gl drawn over it through
// MapboxOverlay. One instance per mounted map; `destroy()` releases the WebGL contexts.
import { MapboxOverlay } from '@deck.gl/mapbox';
import type { Layer, PickingInfo } from '@deck.gl/core';
import { Map as MapLibreMap, Marker, setWorkerUrl, type StyleSpecification } from 'maplibre-gl';
// MapLibre looks for its worker next to its own module; in our bundle that file does not
// exist, so ship the worker as an asset of our build and point MapLibre at it.
import maplibreWorkerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import 'maplibre-gl/dist/maplibre-gl.css';
import './pulse.css';
import type { AlarmView } from '../model/alarm.ts';
import { connectionRateColor } from '../model/colors.ts';
import { FALLBACK_STYLE, LOCAL_IDEOGRAPH_FONT_FAMILY, sanitizeStyle } from './fallback-style.ts';
import type { RegionRate } from '../model/region-rate.ts';

/** Most urgent alarms that get a pulsing marker; the rest are steady dots (deck.gl). */
export const MAX_PULSING_ALARMS = 100;
/** Building height when the data has none: floors above ground × storey height (m). */
const STOREY_M = 3.2;

setWorkerUrl(maplibreWorkerUrl);

/**
 * After a drag or a wheel zoom the map waits this long at rest (ms) before it draws at full
 * resolution again (and the desk's units as points again, command-map.tsx): the clicks of one
 * wheel turn, or a drag after a zoom, come within it, and each return to full resolution costs
 * a resize and a full-resolution frame (~150 ms and more without a GPU).
 */
export const GESTURE_REST_MS = 400;

/** One cycle of the pulse rings (pulse.css, the `fl-pulse` animation in styles.css). */
const PULSE_CYCLE_MS = 1400;
/** The document timeline's time (ms): CSS animations run on it. */
function pulseClockMs(): number {
  const t = document.timeline?.currentTime;
  return typeof t === 'number' ? t : performance.now();
}

export interface MapControllerOptions {
  container: HTMLElement;
  /** [lon, lat] WGS84 and zoom when the style gives none. */
  center?: [number, number];
  zoom?: number;
  interactive?: boolean;
  onClick?: (info: PickingInfo) => void;
  onStyleError?: (message: string) => void;
  /**
   * While the camera moves, both canvases draw at this share of the device's pixel ratio
   * (1: full resolution always). See MapController.motionResolution.
   */
  motionResolution?: number;
  /** MapLibre's fade-in of labels (ms): every frame of a fade repaints the basemap. Default 300. */
  fadeDurationMs?: number;
  /**
   * deck.gl draws into MapLibre's canvas instead of a canvas of its own over it. Without a GPU
   * every canvas that changes is read back from the software rasteriser and composited on the
   * CPU each frame (the page's main thread waits for it); one canvas instead of two halves that.
   * deck.gl's layers are then drawn after the basemap's, in their own order, as before.
   */
  interleaved?: boolean;
  /**
   * motionResolution also while a drag or a wheel zoom moves the map (see
   * MapController.setResolutionQuietly). With `interleaved` the units and alarms follow it;
   * without, only the basemap does.
   */
  gestureResolution?: boolean;
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
    const sources = { ...raw.sources };
    // Region fills are coloured by feature-state keyed on the adcode.
    if (sources.regions) sources.regions = { ...sources.regions, promoteId: 'adcode' } as StyleSpecification['sources'][string];
    const style: StyleSpecification = {
      ...raw,
      sources,
      layers: raw.layers.filter((l) => (l as { 'source-layer'?: string })['source-layer'] !== 'units'),
    };
    const tileLayers = new Set<string>();
    for (const l of style.layers ?? []) {
      const sl = (l as { 'source-layer'?: string })['source-layer'];
      if (sl) tileLayers.add(sl);
    }
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
  /** deck.gl frames drawn and the main-thread time they took, MapLibre frames (bench:wall reads these). */
  readonly drawStats = { frames: 0, totalMs: 0, maxMs: 0, mapFrames: 0 };
  /**
   * Share of the device's pixel ratio the basemap draws at while the camera flies (a fly-to,
   * an animated fit; drags and wheel zooms too with gestureResolution): 0.5 draws a quarter of the pixels. Without a GPU every moving frame is rasterised,
   * read back and composited on the CPU, in proportion to the pixels; a moving picture hides
   * the softer edges. Full resolution returns where the camera comes to rest. 1: off.
   * deck.gl's canvas keeps its resolution: resizing its drawing buffer cost ~200 ms each time
   * under SwiftShader (measured with bench:wall --flights), MapLibre's ~20 ms.
   */
  motionResolution: number;
  /** The share in effect now (1 at rest). */
  private resolution = 1;
  /** True while this class resizes the map's canvas (MapLibre fires move events for it). */
  private resizing = false;
  private readonly interleaved: boolean;
  private readonly gestureResolution: boolean;
  /** The resolution was lowered for a gesture (setResolutionQuietly), and is restored the same way. */
  private loweredQuietly = false;
  /** Full resolution back after a gesture, once the map has rested GESTURE_REST_MS. */
  private restTimer: ReturnType<typeof setTimeout> | null = null;

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
      fadeDuration: o.fadeDurationMs ?? 300,
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
    let drawStart = 0;
    this.interleaved = !!o.interleaved;
    this.gestureResolution = !!o.gestureResolution;
    // deck.gl's interleaved mode reads `map.transform` (its height, for the near and far planes),
    // which MapLibre 6 keeps on its camera instead.
    if (this.interleaved && !('transform' in this.map)) {
      const m = this.map as unknown as { _camera?: { transform?: unknown } };
      Object.defineProperty(this.map, 'transform', { get: () => m._camera?.transform });
    }
    this.overlay = new MapboxOverlay({
      interleaved: this.interleaved,
      ...(this.interleaved ? { parameters: { depthCompare: 'always' as const, depthWriteEnabled: false } } : {}),
      layers: [],
      onBeforeRender: () => {
        drawStart = performance.now();
      },
      onAfterRender: () => {
        const ms = performance.now() - drawStart;
        this.drawStats.frames++;
        this.drawStats.totalMs += ms;
        if (ms > this.drawStats.maxMs) this.drawStats.maxMs = ms;
      },
      onClick: o.onClick ? (info) => o.onClick!(info) : undefined,
      getCursor: ({ isHovering }) => (isHovering ? 'pointer' : 'grab'),
    });
    this.map.addControl(this.overlay);
    this.map.on('load', () => this.addOverlays());
    this.map.on('render', () => void this.drawStats.mapFrames++);
    this.motionResolution = o.motionResolution ?? 1;
    // Lowered on the first move event of a camera animation (a fly-to, an ease; its camera is
    // moving by then, so MapLibre's resize neither stops it nor fires move events), restored
    // where the camera rests. A drag or a wheel zoom (move events with an originalEvent) only
    // with gestureResolution, and without MapLibre's resize: it stops a gesture in progress.
    this.map.on('move', (e: { originalEvent?: unknown }) => {
      if (this.restTimer && this.map.isMoving()) {
        clearTimeout(this.restTimer);
        this.restTimer = null;
      }
      if (this.resizing || this.resolution !== 1 || this.motionResolution >= 1 || !this.map.isMoving()) return;
      if (e.originalEvent) {
        if (this.gestureResolution) this.setResolutionQuietly(this.motionResolution);
        return;
      }
      this.setResolution(this.motionResolution);
    });
    this.map.on('moveend', () => {
      if (this.resizing || this.resolution === 1) return;
      if (!this.loweredQuietly) this.setResolution(1);
      else if (!this.restTimer) {
        this.restTimer = setTimeout(() => {
          this.restTimer = null;
          if (!this.map.isMoving()) this.setResolutionQuietly(1);
        }, GESTURE_REST_MS);
      }
    });
  }

  /**
   * The map canvas's drawing buffer at `share` of the device's pixel ratio (1: the device's
   * own) without Map.resize(): that fires move events and stops a gesture in progress, so a
   * drag ended at its first move. MapLibre 6 internals (the pixel-ratio override and the
   * resize of canvas, painter and transform that setPixelRatio runs before its events); where
   * they are missing, nothing changes.
   */
  private setResolutionQuietly(share: number): void {
    const m = this.map as unknown as { _overridePixelRatio?: number | null; _resizeInternal?: (constrain?: boolean) => void };
    if (this.destroyed || typeof m._resizeInternal !== 'function') return;
    this.resolution = share;
    this.loweredQuietly = share !== 1;
    m._overridePixelRatio = share === 1 ? null : (window.devicePixelRatio || 1) * share;
    m._resizeInternal(false);
    this.syncDeckBuffer();
    this.map.triggerRepaint();
  }

  /**
   * Interleaved: deck.gl sizes its drawing from its own record of the shared canvas's buffer,
   * which does not see MapLibre resize it (the canvas's CSS size stays): told here.
   */
  private syncDeckBuffer(): void {
    if (!this.interleaved) return;
    const deck = (this.overlay as unknown as { _deck?: { device?: { canvasContext?: { setDrawingBufferSize(w: number, h: number): void } } } })._deck;
    const c = this.map.getCanvas();
    deck?.device?.canvasContext?.setDrawingBufferSize(c.width, c.height);
  }

  private setResolution(share: number): void {
    if (this.destroyed) return;
    this.resolution = share;
    this.loweredQuietly = false;
    const dpr = window.devicePixelRatio || 1;
    this.resizing = true;
    try {
      this.map.setPixelRatio(dpr * share);
    } finally {
      this.resizing = false;
    }
    this.syncDeckBuffer();
  }

  /** Connection-rate fill under the region outlines, and 3D buildings at street zoom. */
  private addOverlays(): void {
    const m = this.map;
    const layers = m.getStyle().layers ?? [];
    if (m.getSource('regions') && !m.getLayer('fl-region-rate')) {
      const firstRegionLine = layers.find((l) => (l as { source?: string }).source === 'regions')?.id;
      m.addLayer(
        {
          id: 'fl-region-rate',
          type: 'fill',
          source: 'regions',
          'source-layer': 'regions',
          paint: {
            'fill-color': ['coalesce', ['feature-state', 'fill'], 'rgba(0,0,0,0)'],
          },
        },
        firstRegionLine,
      );
    }
    if (m.getSource('buildings') && !m.getLayer('fl-buildings-3d')) {
      m.addLayer({
        id: 'fl-buildings-3d',
        type: 'fill-extrusion',
        source: 'buildings',
        'source-layer': 'buildings',
        minzoom: 15,
        paint: {
          'fill-extrusion-color': '#3a5378',
          'fill-extrusion-opacity': 0.85,
          'fill-extrusion-height': ['coalesce', ['get', 'height_m'], ['*', ['coalesce', ['get', 'floors_above'], 2], STOREY_M]],
        },
      });
    }
    if (this.pendingRates) this.setRegionRates(this.pendingRates);
  }

  private pendingRates: ReadonlyMap<number, RegionRate> | null = null;
  private appliedRates: ReadonlyMap<number, RegionRate> | null = null;

  /** Colours each region by its connection rate against its target. */
  setRegionRates(rates: ReadonlyMap<number, RegionRate>): void {
    // Feature-state changes repaint the whole basemap (~130 ms without a GPU): only for new rates.
    if (rates === this.appliedRates) return;
    this.pendingRates = rates;
    if (this.destroyed || !this.map.getLayer('fl-region-rate')) return;
    for (const [adcode, r] of rates) {
      const c = connectionRateColor(r.rate, r.target);
      this.map.setFeatureState({ source: 'regions', sourceLayer: 'regions', id: adcode }, { fill: `rgba(${c[0]},${c[1]},${c[2]},${(c[3] / 255).toFixed(3)})` });
    }
    this.appliedRates = rates;
  }

  private readonly pulses = new globalThis.Map<number, { marker: Marker; priority: number; lonLat: string }>();

  /**
   * Pulsing halos for the most urgent alarms, as DOM markers animated by CSS (compositor
   * only): the map is not redrawn per frame, which matters on wall PCs without a GPU.
   */
  setPulses(alarms: readonly AlarmView[]): void {
    if (this.destroyed) return;
    const keep = new Set<number>();
    for (const a of alarms) {
      if (keep.size >= MAX_PULSING_ALARMS) break;
      if (a.lonWgs84 === null || a.latWgs84 === null) continue;
      keep.add(a.id);
      const lonLat = `${a.lonWgs84},${a.latWgs84}`;
      const cur = this.pulses.get(a.id);
      if (cur && cur.priority === a.priority && cur.lonLat === lonLat) continue;
      cur?.marker.remove();
      const el = document.createElement('div');
      el.className = `fl-pulse p${a.priority}`;
      el.dataset.alarmId = String(a.id);
      // Every ring on one phase (the document timeline's): rings that change together damage
      // the screen in the same frames. The wall steps them (wall.css), so a screen of rings
      // is composited a few times a second instead of on every frame. A negative delay
      // (pulse.css) sets the phase; Element.getAnimations() did it before, but each call
      // forced a style recalculation of the whole page (2.2 s in a 34 s profile of the wall).
      el.style.setProperty('--fl-pulse-phase', `${-(pulseClockMs() % PULSE_CYCLE_MS)}ms`);
      const marker = new Marker({ element: el }).setLngLat([a.lonWgs84, a.latWgs84]).addTo(this.map);
      this.pulses.set(a.id, { marker, priority: a.priority, lonLat });
    }
    for (const [id, p] of this.pulses) {
      if (!keep.has(id)) {
        p.marker.remove();
        this.pulses.delete(id);
      }
    }
  }

  setLayers(layers: Layer[]): void {
    if (!this.destroyed) this.overlay.setProps({ layers });
  }

  /**
   * Flies to a place (pitched 45° by default), or cuts to it with `durationMs` 0 — what the
   * wall does without a GPU — looking straight down by default: a pitched street view with 3D
   * buildings is the costliest picture to draw without a GPU, and the 3 s after a cut drew a
   * median 1.7 frames/s pitched against 2.8 straight down (bench:wall --cuts, variants taking
   * turns, 24 cuts each, load 8–9).
   */
  flyTo(lonLatWgs84: [number, number], zoom = 16, opts: { pitch?: number; durationMs?: number } = {}): void {
    if (this.destroyed) return;
    const pitch = opts.pitch ?? (opts.durationMs === 0 ? 0 : 45);
    if (opts.durationMs === 0) this.map.jumpTo({ center: lonLatWgs84, zoom, pitch });
    else this.map.flyTo({ center: lonLatWgs84, zoom, pitch, duration: opts.durationMs ?? 2500, essential: true });
  }

  /** Fits the box, the pitch and bearing back to 0: at once (durationMs 0), or flying there. */
  fitBounds(bboxWgs84: [number, number, number, number], padding: number | { top: number; bottom: number; left: number; right: number } = 40, durationMs = 0): void {
    if (this.destroyed) return;
    const bounds: [[number, number], [number, number]] = [[bboxWgs84[0], bboxWgs84[1]], [bboxWgs84[2], bboxWgs84[3]]];
    const level = this.map.getPitch() === 0 && this.map.getBearing() === 0;
    if (durationMs <= 0 && level) {
      this.map.fitBounds(bounds, { padding, duration: 0 });
      return;
    }
    const camera = this.map.cameraForBounds(bounds, { padding, bearing: 0 });
    if (!camera) return;
    if (durationMs <= 0) this.map.jumpTo({ ...camera, pitch: 0, bearing: 0 });
    else this.map.flyTo({ ...camera, pitch: 0, bearing: 0, duration: durationMs, essential: true });
  }

  /** Screen position (CSS px in the map container) of a WGS84 point. */
  project(lonLatWgs84: [number, number]): { x: number; y: number } {
    const p = this.map.project(lonLatWgs84);
    return { x: p.x, y: p.y };
  }

  /** The deck.gl object under a screen position (CSS px), as layer id and index. */
  pick(x: number, y: number, radius = 2): { layerId: string; index: number } | null {
    if (this.destroyed) return null;
    const info = this.overlay.pickObject({ x, y, radius });
    return info?.layer ? { layerId: info.layer.id, index: info.index } : null;
  }

  get zoom(): number {
    return this.map.getZoom();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.restTimer) clearTimeout(this.restTimer);
    this.restTimer = null;
    for (const p of this.pulses.values()) p.marker.remove();
    this.pulses.clear();
    try {
      this.map.removeControl(this.overlay);
      this.overlay.finalize();
    } catch {
      // already torn down with the map
    }
    this.map.remove();
  }
}
