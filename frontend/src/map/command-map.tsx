// The command map as a React component: mounts a MapController, keeps deck.gl layers in
// step with props (the alarm pulse is CSS on DOM markers, see MapController.setPulses).
import { forwardRef, useEffect, useImperativeHandle, useRef, useState } from 'react';
import type { Layer, PickingInfo } from '@deck.gl/core';
import type { AlarmView } from '../model/alarm.ts';
import type { UnitStore } from '../model/unit-store.ts';
import { buildLayers, leftCullBox, pickedUnitIndex } from './layers.ts';
import type { Bbox } from '../model/unit-cull.ts';
import { lodLevel } from '../model/unit-lod.ts';
import type { RegionRate } from '../model/region-rate.ts';
import { GESTURE_REST_MS, MapController, loadStyle, type LoadedStyle } from './map-controller.ts';
import { RedrawGate } from '../model/redraw-gate.ts';
import { openUnitFinder } from '../lib/open-finder.ts';
import { placeLabels, type LabelPlacement, type Rect } from '../model/label-placement.ts';
/** The map's view as [west, south, east, north]. */
function viewBbox(c: MapController): Bbox {
  const b = c.map.getBounds();
  return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
}


export interface CommandMapHandle {
  /** `durationMs` 0 cuts to the place at once (default: MapController.flyTo's flight). */
  flyTo: (lonLatWgs84: [number, number], zoom?: number, durationMs?: number) => void;
  /** `durationMs` 0 jumps; otherwise flies there, pitch back to 0 (the wall's overview). `padding` in CSS px. */
  fitBounds: (bboxWgs84: [number, number, number, number], durationMs?: number, padding?: { top: number; bottom: number; left: number; right: number }) => void;
}

export interface CommandMapProps {
  units?: UnitStore | null;
  unitsVersion?: number;
  alarms?: readonly AlarmView[];
  alarmsVersion?: number;
  regionRates?: ReadonlyMap<number, RegionRate> | null;
  regionRatesVersion?: number;
  routes?: ReadonlyArray<{ id: string; pathWgs84: Array<[number, number]> }>;
  extra?: Layer[];
  /** Alarms labelled with their unit's name on the map (redrawn with the alarms). */
  labelAlarms?: readonly AlarmView[];
  /** Elements over the map (the wall's panels) that labels keep clear of (a CSS selector). */
  labelAvoid?: string;
  heat?: ReadonlyArray<{ h3: string; value: number }>;
  center?: [number, number];
  zoom?: number;
  interactive?: boolean;
  onPick?: (info: PickingInfo) => void;
  /** A click on a unit or an alarm dot; without it the unit finder opens on that unit. */
  onUnitClick?: (unitId: number) => void;
  onReady?: (fallback: boolean) => void;
  className?: string;
  /**
   * Rebuild and redraw the deck.gl layers at most once per this many ms (0: on every
   * change). Alarm pulses (DOM) follow at once. See RedrawGate.
   */
  redrawEveryMs?: number;
  /** A change of this key (e.g. the newest fire's id) redraws at once, whatever redrawEveryMs says. */
  urgentKey?: string | number | null;
  /**
   * Units as grid cells below street zoom when there are many (model/unit-lod.ts; fires
   * always individually). The wall's choice: it is never clicked, and at city zoom 100,000
   * points cost a software rasteriser more than the rest of the frame. 'moving': only while
   * the camera moves (a drag, a zoom, a fly-to), every unit its own clickable point at rest (the
   * desk); both layers stay built, so the switch is a change of visibility.
   */
  unitLod?: boolean | 'moving';
  /** Resolution while the camera moves, as a share of the device's (MapController.motionResolution; default 1). */
  motionResolution?: number;
  /** Fade-in of the basemap's labels (ms; MapLibre's default 300). */
  fadeDurationMs?: number;
  /** deck.gl draws into MapLibre's canvas (MapControllerOptions.interleaved). */
  interleaved?: boolean;
  /** motionResolution for drags and wheel zooms too (MapControllerOptions.gestureResolution). */
  gestureResolution?: boolean;
}

const NO_ALARMS: readonly AlarmView[] = [];

/** The labels' places for the camera now: beside their markers, clear of markers, labels and panels. */
function labelPlacements(c: MapController, container: HTMLElement, p: CommandMapProps): Map<number, LabelPlacement> | undefined {
  if (!p.labelAlarms) return undefined;
  const box = container.getBoundingClientRect();
  const avoid: Rect[] = [];
  if (p.labelAvoid) {
    for (const e of document.querySelectorAll(p.labelAvoid)) {
      const r = e.getBoundingClientRect();
      if (r.width > 0 && r.height > 0) avoid.push({ left: r.left - box.left, top: r.top - box.top, right: r.right - box.left, bottom: r.bottom - box.top });
    }
  }
  const markers: Array<{ x: number; y: number }> = [];
  // The fire markers (the labelled kind) stay uncovered; a label may lie over a lesser dot.
  for (const a of p.alarms ?? NO_ALARMS) if (a.priority === 1 && a.lonWgs84 !== null && a.latWgs84 !== null) markers.push(c.project([a.lonWgs84, a.latWgs84]));
  const labels = p.labelAlarms
    .filter((a) => a.lonWgs84 !== null && a.latWgs84 !== null && a.unitName)
    .map((a) => ({ id: a.id, text: a.unitName!, ...c.project([a.lonWgs84!, a.latWgs84!]) }));
  return placeLabels(labels, markers, { fontSize: 18, padding: [6, 3], gap: 20, markerRadius: 11, width: box.width, height: box.height, avoid });
}
const NO_ROUTES: CommandMapProps['routes'] = [];

export const CommandMap = forwardRef<CommandMapHandle, CommandMapProps>(function CommandMap(props, ref) {
  const el = useRef<HTMLDivElement>(null);
  const ctl = useRef<MapController | null>(null);
  const [loaded, setLoaded] = useState<LoadedStyle | null>(null);
  const propsRef = useRef(props);
  propsRef.current = props;
  const pending = useRef<(() => void) | null>(null);

  useImperativeHandle(ref, () => ({
    flyTo: (p, z, d) => {
      if (ctl.current) ctl.current.flyTo(p, z, { durationMs: d });
      else pending.current = () => ctl.current?.flyTo(p, z, { durationMs: d });
    },
    fitBounds: (b, d, pad) => {
      if (ctl.current) ctl.current.fitBounds(b, pad, d);
      else pending.current = () => ctl.current?.fitBounds(b, pad, d);
    },
  }));

  useEffect(() => {
    let cancelled = false;
    void loadStyle(location.origin).then((s) => {
      if (!cancelled) setLoaded(s);
    });
    return () => {
      cancelled = true;
    };
  }, []);

  const drawLayers = () => {
    const c = ctl.current;
    if (!c || !loaded) return;
    const p = propsRef.current;
    c.setLayers(
      buildLayers({
        origin: location.origin,
        units: p.units ?? null,
        unitsVersion: p.unitsVersion ?? 0,
        alarms: p.alarms ?? NO_ALARMS,
        alarmsVersion: p.alarmsVersion ?? 0,
        routes: p.routes ?? NO_ROUTES!,
        heat: p.heat,
        extra: p.extra,
        labelAlarms: p.labelAlarms,
        labelPlacements: el.current ? labelPlacements(c, el.current, p) : undefined,
        lodZoom: p.unitLod ? c.zoom : undefined,
        viewBounds: p.unitLod ? viewBbox(c) : undefined,
        lodOnlyWhileMoving: p.unitLod === 'moving',
        moving: moving.current,
      }),
    );
    drawnLevel.current = drawnLevelFor(p, c);
  };
  /** The camera is moving (set on its first move event, cleared where it comes to rest). */
  const moving = useRef(false);
  const drawnLevelFor = (p: CommandMapProps, c: MapController) =>
    p.unitLod === true || (p.unitLod === 'moving' && moving.current) ? lodLevel(c.zoom, p.units?.length ?? 0) : -1;
  /** The level of detail the layers were last built for (-1: full points). */
  const drawnLevel = useRef(-1);
  const gate = useRef<RedrawGate | null>(null);
  // What the user asked for (a route, a heatmap, a view's own layers) and the urgent key
  // redraw at once; only stream-driven changes (unit colours, alarm dots) wait for the gate.
  const lastAsked = useRef<unknown[] | null>(null);

  const render = () => {
    const c = ctl.current;
    if (!c || !loaded) return;
    const p = propsRef.current;
    if (!gate.current || gate.current.everyMs !== (p.redrawEveryMs ?? 0)) {
      gate.current?.dispose();
      gate.current = new RedrawGate(p.redrawEveryMs ?? 0, drawLayers);
    }
    const asked = [p.urgentKey, p.routes, p.extra, p.heat, p.units];
    const urgent = !lastAsked.current || asked.some((x, i) => x !== lastAsked.current![i]);
    lastAsked.current = asked;
    gate.current.request(urgent);
    c.setPulses(p.alarms ?? NO_ALARMS);
    if (p.regionRates) c.setRegionRates(p.regionRates);
  };

  useEffect(() => {
    if (!loaded || !el.current) return;
    const c = new MapController({
      container: el.current,
      style: loaded.style,
      center: propsRef.current.center,
      zoom: propsRef.current.zoom,
      interactive: propsRef.current.interactive,
      motionResolution: propsRef.current.motionResolution,
      fadeDurationMs: propsRef.current.fadeDurationMs,
      interleaved: propsRef.current.interleaved,
      gestureResolution: propsRef.current.gestureResolution,
      onClick: (info) => handleClick(info, propsRef.current),
    });
    ctl.current = c;
    (window as unknown as { __firelinkMap?: MapController }).__firelinkMap = c;
    // With unitLod 'moving' the points return once the map has rested GESTURE_REST_MS (the
    // next click of a wheel turn comes sooner); the cells stay meanwhile.
    let restTimer: ReturnType<typeof setTimeout> | null = null;
    // Crossing a level-of-detail zoom (a fly-to to a fire, the flight back) rebuilds the
    // units layer at once; other zoom changes need no rebuild (deck.gl follows the camera).
    c.map.on('zoom', () => {
      const p = propsRef.current;
      if (p.unitLod && drawnLevelFor(p, c) !== drawnLevel.current) drawLayers();
    });
    // isMoving() is false for the move events MapLibre fires when its canvas is resized.
    c.map.on('move', () => {
      if (restTimer && c.map.isMoving()) {
        clearTimeout(restTimer);
        restTimer = null;
      }
      // Past the box of the units drawn at street zoom: the units around the new view.
      if (propsRef.current.unitLod && leftCullBox(viewBbox(c))) drawLayers();
      if (moving.current || !c.map.isMoving()) return;
      moving.current = true;
      if (propsRef.current.unitLod === 'moving') drawLayers();
    });
    // Labels are placed for the camera: placed again where it comes to rest (a fly-to, the
    // overview); during a flight they keep their side of the marker.
    c.map.on('moveend', () => {
      if (moving.current && propsRef.current.unitLod === 'moving') {
        if (propsRef.current.labelAlarms) drawLayers();
        restTimer ??= setTimeout(() => {
          restTimer = null;
          if (c.map.isMoving()) return;
          moving.current = false;
          drawLayers();
        }, GESTURE_REST_MS);
        return;
      }
      moving.current = false;
      if (propsRef.current.labelAlarms) drawLayers();
    });
    c.map.once('load', () => propsRef.current.onReady?.(loaded.fallback));
    render();
    pending.current?.();
    pending.current = null;
    return () => {
      if (restTimer) clearTimeout(restTimer);
      gate.current?.dispose();
      gate.current = null;
      c.destroy();
      ctl.current = null;
    };
  }, [loaded]);

  // Layers follow data versions; the pulse loop runs only while alarms are drawn.
  useEffect(render, [loaded, props.unitsVersion, props.alarmsVersion, props.regionRatesVersion, props.routes, props.extra, props.units, props.heat, props.urgentKey]);

  return <div ref={el} className={props.className ?? 'map'} data-testid="command-map" />;
});

function handleClick(info: PickingInfo, p: CommandMapProps): void {
  p.onPick?.(info);
  const layer = info.layer?.id;
  const unitId =
    layer === 'units' && p.units && info.index >= 0 ? p.units.ids[pickedUnitIndex(info.index)] : layer === 'alarms' ? (info.object as AlarmView | undefined)?.unitId : undefined;
  if (unitId == null) return;
  if (p.onUnitClick) p.onUnitClick(unitId);
  else openUnitFinder({ unitId });
}
