// A small map to pick a position with a click (or by dragging the marker): the onboarding
// form's unit location, instead of typing "lon,lat". The project's own basemap (offline).
import { useEffect, useRef, useState } from 'react';
import { Map as MapLibreMap, Marker } from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import { LOCAL_IDEOGRAPH_FONT_FAMILY } from './fallback-style.ts';
import { loadStyle } from './map-controller.ts';

/** The demo city (Nanjing) when no position is set yet. */
const DEFAULT_CENTER: [number, number] = [118.78, 32.05];

export function LocationPicker({ value, onPick, height = 240 }: { value: [number, number] | null; onPick: (lonLat: [number, number]) => void; height?: number }) {
  const el = useRef<HTMLDivElement>(null);
  const [map, setMap] = useState<MapLibreMap | null>(null);
  const marker = useRef<Marker | null>(null);
  const pick = useRef(onPick);
  pick.current = onPick;
  const initial = useRef(value);

  useEffect(() => {
    let cancelled = false;
    let created: MapLibreMap | null = null;
    void loadStyle(location.origin).then(({ style }) => {
      if (cancelled || !el.current) return;
      const m = new MapLibreMap({
        container: el.current,
        style,
        center: initial.current ?? DEFAULT_CENTER,
        zoom: initial.current ? 15 : 10.5,
        attributionControl: false,
        localIdeographFontFamily: LOCAL_IDEOGRAPH_FONT_FAMILY,
      });
      created = m;
      m.getCanvas().style.cursor = 'crosshair';
      m.on('click', (e) => pick.current([Number(e.lngLat.lng.toFixed(6)), Number(e.lngLat.lat.toFixed(6))]));
      setMap(m);
      (window as unknown as { __firelinkPicker?: MapLibreMap }).__firelinkPicker = m;
    });
    return () => {
      cancelled = true;
      created?.remove();
      marker.current = null;
    };
  }, []);

  useEffect(() => {
    const m = map;
    if (!m) return;
    if (!value) {
      marker.current?.remove();
      marker.current = null;
      return;
    }
    if (!marker.current) {
      marker.current = new Marker({ color: '#ff2d2d', draggable: true }).setLngLat(value).addTo(m);
      marker.current.on('dragend', () => {
        const p = marker.current!.getLngLat();
        pick.current([Number(p.lng.toFixed(6)), Number(p.lat.toFixed(6))]);
      });
    } else marker.current.setLngLat(value);
  }, [value?.[0], value?.[1], map]);

  return <div ref={el} className="location-picker" style={{ height }} data-testid="location-picker" />;
}
