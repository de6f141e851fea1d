// /units/:id: one unit for "six familiarities" (六熟悉): building footprint (extruded), floors,
// points by floor, recent events, and the unit's rates.
import { useEffect, useMemo, useRef, useState } from 'react';
import { GeoJsonLayer, ScatterplotLayer } from '@deck.gl/layers';
import { unitDetailSchema, type UnitDetail } from '@firelink/common';
import { z } from 'zod';
import { ApiError, api } from '../api/http.ts';
import { useI18n } from '../lib/i18n-react.tsx';
import { eventKindName, formatFloor, formatPercent, formatTime, translateDynamic } from '../lib/i18n.ts';
import { CommandMap, type CommandMapHandle } from '../map/command-map.tsx';
import { UNIT_STATE, unitStateColor } from '../model/colors.ts';

/** Storey height used to lift the selected floor's points, metres. */
const STOREY_M = 3.2;

const ratesResponse = z.object({
  rows: z.array(z.object({ key: z.string(), metrics: z.record(z.object({ value: z.number().nullable() }).passthrough()) }).passthrough()),
}).passthrough();

function pointColor(state: string, inFault: boolean): [number, number, number, number] {
  const code = state === 'fire' ? UNIT_STATE.fire : inFault || state === 'fault' ? UNIT_STATE.fault : state === 'offline' ? UNIT_STATE.offline : UNIT_STATE.normal;
  return [...unitStateColor(code)] as [number, number, number, number];
}

export function UnitView({ id }: { id: number }) {
  const { t, locale } = useI18n();
  const [unit, setUnit] = useState<UnitDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [floor, setFloor] = useState<number | null | 'all'>('all');
  const [rates, setRates] = useState<Record<string, number | null> | null>(null);
  const mapRef = useRef<CommandMapHandle>(null);

  useEffect(() => {
    const ac = new AbortController();
    setUnit(null);
    setError(null);
    api(`/api/units/${id}`, unitDetailSchema, { signal: ac.signal })
      .then((u) => {
        setUnit(u);
        if (u.lonLatWgs84) mapRef.current?.flyTo([u.lonLatWgs84[0], u.lonLatWgs84[1]], 17.5);
      })
      .catch((err) => {
        if (!ac.signal.aborted) setError(err instanceof ApiError && (err.status === 404 || err.status === 403) ? t('unit.notFound') : (err as Error).message);
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

  const floors = unit?.floors ?? [];
  const shownPoints = useMemo(() => {
    const all = floors.flatMap((f) => f.points.map((p) => ({ ...p, floor: f.floor })));
    return floor === 'all' ? all : all.filter((p) => p.floor === floor);
  }, [floors, floor]);

  // Intact rate from the points themselves when analytics has no figure (DESIGN.md glossary).
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
    const located = shownPoints.filter((p) => p.lonLatWgs84);
    layers.push(
      new ScatterplotLayer<(typeof located)[number]>({
        id: 'unit-points',
        data: located,
        getPosition: (p) => [p.lonLatWgs84![0], p.lonLatWgs84![1], Math.max(0, ((p.floor ?? 1) - 1) * STOREY_M + 1)],
        getFillColor: (p) => pointColor(p.state, p.inFault),
        getRadius: 1.2,
        radiusUnits: 'meters',
        radiusMinPixels: 4,
        stroked: true,
        getLineColor: [255, 255, 255, 255],
        lineWidthMinPixels: 1,
        pickable: true,
      }),
    );
    return layers;
  }, [unit, shownPoints]);

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
                <dd>{unit.category}{unit.highRisk ? ' · ⚠' : ''}</dd>
                <dt>{t('unit.onboarding')}</dt>
                <dd>{unit.onboardingState}</dd>
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
            {unit.contacts.length > 0 && (
              <section>
                <h3>{t('unit.contacts')}</h3>
                <ul className="timeline">
                  {unit.contacts.map((c, i) => (
                    <li key={i}><span>{c.role}</span><span>{c.name} · <a href={`tel:${c.phone}`}>{c.phone}</a></span></li>
                  ))}
                </ul>
              </section>
            )}
            <section>
              <h3>{t('unit.pointsByFloor')}</h3>
              <div className="floors" data-testid="floors">
                <button type="button" className={floor === 'all' ? 'active' : ''} onClick={() => setFloor('all')}>∑ {floors.reduce((n, f) => n + f.points.length, 0)}</button>
                {floors.map((f) => (
                  <button key={String(f.floor)} type="button" className={floor === f.floor ? 'active' : ''} onClick={() => setFloor(f.floor)}>
                    {formatFloor(f.floor, locale)} ({f.points.length})
                  </button>
                ))}
              </div>
              <table className="points">
                <thead>
                  <tr><th>{t('desk.floor')}</th><th>{t('desk.point')}</th><th>{t('unit.points')}</th><th /></tr>
                </thead>
                <tbody>
                  {shownPoints.slice(0, 300).map((p) => (
                    <tr key={p.id}>
                      <td>{formatFloor(p.floor, locale)}</td>
                      <td>{p.label ?? `${p.systemAddress ?? '?'}-${p.componentAddress}`}</td>
                      <td>{p.componentType}</td>
                      <td className={`state-${p.inFault ? 'fault' : p.state}`}>{translateDynamic(locale, 'unitState', p.inFault ? 'fault' : p.state)}</td>
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
