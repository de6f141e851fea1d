// /units/:id: one unit for "six familiarities" (六熟悉): building footprint (extruded), floors,
// points by floor (coloured by state, the chosen floor highlighted and the rest dimmed), the
// unit's open alarms, recent events, and the unit's rates. Codes (category, onboarding state,
// contact role, component type, point state) are shown by name in the chosen language.
import { useEffect, useMemo, useRef, useState } from 'react';
import { GeoJsonLayer, PolygonLayer, ScatterplotLayer } from '@deck.gl/layers';
import { alarmListResponseSchema, unitDetailSchema, type AlarmDto, type UnitDetail } from '@firelink/common';
import { z } from 'zod';
import { ApiError, api } from '../api/http.ts';
import { useI18n } from '../lib/i18n-react.tsx';
import { eventKindName, formatFloor, formatPercent, formatTime, translateDynamic } from '../lib/i18n.ts';
import { Link } from '../lib/router-react.tsx';
import { CommandMap, type CommandMapHandle } from '../map/command-map.tsx';
import { UNIT_STATE, unitStateColor } from '../model/colors.ts';
import { categoryName, useCategories } from './finder/code-names.ts';
import { componentTypeName, contactRoleName, finderText, onboardingStateName, pointStateName } from './finder/strings.ts';
import { UnitDisabledPanel } from './unit-disabled.tsx';
import './unit.css';
import { errorText } from '../lib/errors.ts';

/** Storey height used to lift the selected floor's points, metres. */
const STOREY_M = 3.2;
/** How often the unit's open alarms are asked for again, ms. */
const ALARMS_REFRESH_MS = 15_000;
/** Point symbol radius on the map, CSS px: the chosen floor's points and the others. */
const POINT_RADIUS_PX = { chosen: 7, other: 4 } as const;
/** Alpha of points on floors other than the chosen one (0–255). */
const DIMMED_ALPHA = 60;

const ratesResponse = z.object({
  rows: z.array(z.object({ key: z.string(), metrics: z.record(z.object({ value: z.number().nullable() }).passthrough()) }).passthrough()),
}).passthrough();

type Rgba = [number, number, number, number];

/** Point colour by state, from the map's unit-state colours (fire red, fault yellow, normal green). */
function pointColor(state: string, inFault: boolean): Rgba {
  if (state === 'supervisory') return [64, 196, 255, 255];
  if (state === 'disabled') return [150, 150, 165, 255];
  const code = state === 'fire' ? UNIT_STATE.fire : inFault || state === 'fault' ? UNIT_STATE.fault : state === 'offline' ? UNIT_STATE.offline : UNIT_STATE.normal;
  const c = unitStateColor(code);
  return [c[0], c[1], c[2], 255];
}

/** Shown state of a point: a fault flag wins over a normal state. */
const pointShownState = (p: { state: string; inFault: boolean }) => (p.inFault && p.state === 'normal' ? 'fault' : p.state);

/**
 * Camera zoom for the unit: 17.5 for low buildings, one level out per doubling of the height
 * above 50 m, so that a 50-storey tower's top floors stay on screen under the 45° pitch.
 */
function unitZoom(u: UnitDetail): number {
  const b = u.building;
  const heightM = b ? (b.heightM ?? b.floorsAbove * STOREY_M) : 0;
  return Math.max(15.8, 17.5 - Math.log2(Math.max(1, heightM / 50)));
}

/** The floor's height above ground, metres (basements below 0). */
const floorZ = (floor: number | null) => (floor == null ? 0 : floor > 0 ? (floor - 1) * STOREY_M : floor * STOREY_M);

export function UnitView({ id }: { id: number }) {
  const { t, locale } = useI18n();
  const [unit, setUnit] = useState<UnitDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [floor, setFloor] = useState<number | null | 'all'>('all');
  const [rates, setRates] = useState<Record<string, number | null> | null>(null);
  const [alarms, setAlarms] = useState<AlarmDto[] | null>(null);
  const categories = useCategories();
  const mapRef = useRef<CommandMapHandle>(null);

  useEffect(() => {
    const ac = new AbortController();
    setUnit(null);
    setError(null);
    api(`/api/units/${id}`, unitDetailSchema, { signal: ac.signal })
      .then((u) => {
        setUnit(u);
        if (u.lonLatWgs84) mapRef.current?.flyTo([u.lonLatWgs84[0], u.lonLatWgs84[1]], unitZoom(u));
      })
      .catch((err) => {
        if (!ac.signal.aborted) setError(err instanceof ApiError && (err.status === 404 || err.status === 403) ? t('unit.notFound') : errorText(locale, err));
      });
    return () => ac.abort();
  }, [id, t]);

  useEffect(() => {
    if (!unit?.regionAdcode) return;
    const ac = new AbortController();
    api(`/api/stats/rates?by=unit&region=${unit.regionAdcode}&metric=fault_rate,false_alarm_rate,intact_rate`, ratesResponse, { signal: ac.signal })
      .then((r) => {
        const row = r.rows.find((x) => x.key === String(unit.id));
        setRates(row ? Object.fromEntries(Object.entries(row.metrics).map(([k, v]) => [k, v.value])) : {});
      })
      .catch(() => setRates(null));
    return () => ac.abort();
  }, [unit?.id, unit?.regionAdcode]);

  // The unit's open alarms (every state but closed), most urgent first, refreshed while shown.
  useEffect(() => {
    setAlarms(null);
    const ac = new AbortController();
    const load = () =>
      api(`/api/alarms?unitId=${id}&state=active&sort=priority&limit=50`, alarmListResponseSchema, { signal: ac.signal })
        .then((r) => setAlarms(r.alarms))
        .catch(() => {
          if (!ac.signal.aborted) setAlarms((cur) => cur ?? []);
        });
    void load();
    const timer = setInterval(() => void load(), ALARMS_REFRESH_MS);
    return () => {
      clearInterval(timer);
      ac.abort();
    };
  }, [id]);

  const floors = unit?.floors ?? [];
  const allPoints = useMemo(() => floors.flatMap((f) => f.points.map((p) => ({ ...p, floor: f.floor }))), [floors]);
  const shownPoints = useMemo(() => (floor === 'all' ? allPoints : allPoints.filter((p) => p.floor === floor)), [allPoints, floor]);
  // Floor picker: top floor first, as in a building directory; unknown floor last.
  const floorOptions = useMemo(
    () => [...floors].sort((a, b) => (a.floor == null ? 1 : b.floor == null ? -1 : b.floor - a.floor)),
    [floors],
  );
  const stepFloor = (dir: 1 | -1) => {
    if (floorOptions.length === 0) return;
    const i = floor === 'all' ? -1 : floorOptions.findIndex((f) => f.floor === floor);
    // Up (+1) goes to the floor above, which is earlier in the top-down list.
    const next = i === -1 ? (dir === 1 ? floorOptions.length - 1 : 0) : i - dir;
    if (next >= 0 && next < floorOptions.length) setFloor(floorOptions[next]!.floor);
  };

  // Intact rate (完好率: share of points not in fault now) from the points themselves when analytics has no figure.
  const intactLocal = useMemo(() => {
    const all = floors.flatMap((f) => f.points);
    return all.length ? all.filter((p) => !p.inFault).length / all.length : null;
  }, [floors]);

  const extra = useMemo(() => {
    if (!unit) return [];
    const b = unit.building;
    const heightM = b?.heightM ?? (b ? Math.max(1, b.floorsAbove) * STOREY_M : 0);
    const layers = [];
    if (b) {
      layers.push(
        new GeoJsonLayer({
          id: 'unit-footprint',
          data: { type: 'Feature', geometry: b.footprint, properties: {} } as never,
          extruded: true,
          wireframe: true,
          getElevation: heightM,
          getFillColor: [62, 166, 255, 70],
          getLineColor: [140, 200, 255, 255],
          lineWidthMinPixels: 2,
          opacity: 0.6,
        }),
      );
    }
    // The chosen floor as a lit slab at its height, so the eye finds it in the extrusion.
    if (b && floor !== 'all') {
      const z = floorZ(floor) + 0.05;
      layers.push(
        new PolygonLayer<number[][][]>({
          id: 'unit-floor-slab',
          data: b.footprint.coordinates,
          getPolygon: (poly) => poly.map((ring) => ring.map(([lon, lat]) => [lon!, lat!, z])) as never,
          getFillColor: [62, 166, 255, 110],
          getLineColor: [170, 215, 255, 255],
          lineWidthMinPixels: 2,
          stroked: true,
        }),
      );
    }
    // Every located point: the chosen floor's large and opaque, the others small and faint.
    // Drawn without depth test, so the extruded footprint never hides them.
    const located = allPoints.filter((p) => p.lonLatWgs84);
    const chosen = (p: (typeof located)[number]) => floor === 'all' || p.floor === floor;
    // Within each group the alarming points last (on top): a fire under a pile of normal points was not seen.
    const rank = (p: (typeof located)[number]) => (p.state === 'fire' ? 2 : pointShownState(p) !== 'normal' ? 1 : 0);
    const byRank = (a: (typeof located)[number], b: (typeof located)[number]) => rank(a) - rank(b);
    const ordered = [...located.filter((p) => !chosen(p)).sort(byRank), ...located.filter(chosen).sort(byRank)];
    layers.push(
      new ScatterplotLayer<(typeof located)[number]>({
        id: 'unit-points',
        data: ordered,
        getPosition: (p) => [p.lonLatWgs84![0], p.lonLatWgs84![1], Math.max(0, floorZ(p.floor)) + 0.3],
        getFillColor: (p) => {
          const c = pointColor(p.state, p.inFault);
          return chosen(p) ? c : [c[0], c[1], c[2], DIMMED_ALPHA];
        },
        getRadius: (p) => (chosen(p) ? POINT_RADIUS_PX.chosen : POINT_RADIUS_PX.other),
        radiusUnits: 'pixels',
        stroked: true,
        getLineColor: (p) => (chosen(p) ? [8, 14, 26, 255] : [8, 14, 26, DIMMED_ALPHA]),
        lineWidthUnits: 'pixels',
        getLineWidth: 1.5,
        pickable: true,
        parameters: { depthCompare: 'always' },
        updateTriggers: { getFillColor: floor, getRadius: floor, getLineColor: floor },
      }),
    );
    return layers;
  }, [unit, allPoints, floor]);

  if (error) return <div className="center-card">{error}</div>;

  return (
    <div className="unit-view" data-testid="unit-view">
      <section className="center">
        <CommandMap ref={mapRef} extra={extra} center={unit?.lonLatWgs84 ?? [118.78, 32.05]} zoom={unit ? 17.5 : 11} />
      </section>
      <aside className="side detail">
        {!unit && <div className="hint">{t('unit.loading')}</div>}
        {unit && (
          <>
            <section>
              <h2 style={{ padding: 0, border: 0 }} data-testid="unit-name">{unit.name}</h2>
              <dl>
                <dt>{t('desk.address')}</dt>
                <dd>{unit.address ?? '—'}</dd>
                <dt>{t('unit.category')}</dt>
                <dd data-testid="unit-category">
                  {categoryName(categories, locale, unit.category)}
                  {unit.highRisk ? <span className="unit-risk"> · {finderText(locale, 'highRisk')}</span> : null}
                </dd>
                <dt>{finderText(locale, 'colDistrict')}</dt>
                <dd>{unit.regionName ?? '—'}</dd>
                <dt>{t('unit.onboarding')}</dt>
                <dd data-testid="unit-onboarding">{onboardingStateName(locale, unit.onboardingState)}</dd>
                <dt>{t('desk.phone')}</dt>
                <dd>{unit.controlRoomPhone ?? '—'}</dd>
                <dt>{t('desk.building')}</dt>
                <dd>
                  {unit.building
                    ? `${unit.building.name ?? '#' + unit.building.id} · ${t('unit.floorsAbove', { n: unit.building.floorsAbove })}${unit.building.floorsBelow ? ' · ' + t('unit.floorsBelow', { n: unit.building.floorsBelow }) : ''}`
                    : '—'}
                </dd>
              </dl>
            </section>
            <section>
              <h3>{t('unit.rates')}</h3>
              <div className="rates">
                <div className="counter"><div className="label">{t('unit.faultRate')}</div><div className="value">{rates?.fault_rate != null ? rates.fault_rate.toFixed(2) : '—'}</div></div>
                <div className="counter"><div className="label">{t('unit.falseAlarmRate')}</div><div className="value">{formatPercent(rates?.false_alarm_rate ?? null, locale)}</div></div>
                <div className="counter"><div className="label">{t('unit.intactRate')}</div><div className="value">{formatPercent(rates?.intact_rate ?? intactLocal, locale)}</div></div>
              </div>
            </section>
            <UnitDisabledPanel disabled={unit.disabled} locale={locale} nowMs={Date.now()} />
            <section data-testid="unit-alarms">
              <h3>
                {finderText(locale, 'openAlarms')}
                {alarms && alarms.length > 0 ? <span className="unit-alarm-count">{alarms.length}</span> : null}
              </h3>
              {alarms === null && <div className="meta">{t('unit.loading')}</div>}
              {alarms?.length === 0 && <div className="meta">{finderText(locale, 'noOpenAlarms')}</div>}
              {alarms && alarms.length > 0 && (
                <ul className="unit-alarms">
                  {alarms.map((a) => (
                    <li key={a.id} className={`k-${a.kind}`}>
                      <span className={`tag k-${a.kind}`}>{translateDynamic(locale, 'kind', a.kind)}</span>
                      <span className="what">
                        {a.floor != null ? (
                          <button type="button" className="linklike" onClick={() => setFloor(a.floor)}>
                            {formatFloor(a.floor, locale)}
                          </button>
                        ) : null}
                        {a.pointLabel ? ` ${a.pointLabel}` : ''}
                        <span className="meta"> · {translateDynamic(locale, 'state', a.state)} · {formatTime(a.openedAt, locale, 'minute')}</span>
                      </span>
                      <Link href={`/desk/${a.id}`}>{t('nav.desk')}</Link>
                    </li>
                  ))}
                </ul>
              )}
            </section>
            {unit.contacts.length > 0 && (
              <section>
                <h3>{t('unit.contacts')}</h3>
                <ul className="timeline">
                  {unit.contacts.map((c, i) => (
                    <li key={i} className="contact"><span>{contactRoleName(locale, c.role)}</span><span>{c.name} · <a href={`tel:${c.phone}`}>{c.phone}</a></span></li>
                  ))}
                </ul>
              </section>
            )}
            <section>
              <h3>{t('unit.pointsByFloor')}</h3>
              <div className="floor-picker" data-testid="floors">
                <select
                  value={floor === 'all' ? 'all' : String(floor)}
                  onChange={(e) => setFloor(e.target.value === 'all' ? 'all' : e.target.value === 'null' ? null : Number(e.target.value))}
                  data-testid="floor-select"
                  aria-label={t('desk.floor')}
                >
                  <option value="all">{finderText(locale, 'allFloors')} ({allPoints.length})</option>
                  {floorOptions.map((f) => (
                    <option key={String(f.floor)} value={String(f.floor)}>
                      {formatFloor(f.floor, locale)} ({f.points.length}){f.points.some((p) => p.state === 'fire') ? ` · ${pointStateName(locale, 'fire')}` : ''}
                    </option>
                  ))}
                </select>
                <button type="button" onClick={() => stepFloor(1)} title="▲" aria-label="▲" data-testid="floor-up">▲</button>
                <button type="button" onClick={() => stepFloor(-1)} title="▼" aria-label="▼" data-testid="floor-down">▼</button>
                <button type="button" className={floor === 'all' ? 'active' : ''} onClick={() => setFloor('all')}>{finderText(locale, 'allFloors')}</button>
              </div>
              {(() => {
                const unlocated = shownPoints.filter((p) => !p.lonLatWgs84).length;
                return unlocated > 0 ? <div className="meta">{finderText(locale, 'unlocated', { n: unlocated })}</div> : null;
              })()}
              <ul className="point-legend">
                {(['fire', 'fault', 'supervisory', 'disabled', 'normal'] as const).map((st) => (
                  <li key={st}><span className="sw" style={{ background: `rgb(${pointColor(st, false).slice(0, 3).join(',')})` }} />{pointStateName(locale, st)}</li>
                ))}
              </ul>
              <table className="points" data-testid="unit-points">
                <thead>
                  <tr><th>{t('desk.floor')}</th><th>{t('desk.point')}</th><th>{finderText(locale, 'colType')}</th><th>{finderText(locale, 'colPointState')}</th></tr>
                </thead>
                <tbody>
                  {shownPoints.slice(0, 300).map((p) => (
                    <tr key={p.id}>
                      <td>{formatFloor(p.floor, locale)}</td>
                      <td>{p.label ?? `${p.systemAddress ?? '?'}-${p.componentAddress}`}</td>
                      <td>{componentTypeName(locale, p.componentType)}</td>
                      <td className={`state-${pointShownState(p)}`}>{pointStateName(locale, pointShownState(p))}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
            <section>
              <h3>{t('unit.recentEvents')}</h3>
              {unit.recentEvents.length === 0 && <div className="meta">{t('unit.noEvents')}</div>}
              <ul className="timeline" data-testid="unit-events">
                {unit.recentEvents.slice(0, 50).map((e) => (
                  <li key={e.id}>
                    <span className="t">{formatTime(e.receivedAt, locale, 'time')}</span>
                    <span>{eventKindName(locale, e.kind)}{e.description ? ` · ${e.description}` : ''}</span>
                  </li>
                ))}
              </ul>
            </section>
          </>
        )}
      </aside>
    </div>
  );
}
