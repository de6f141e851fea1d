// The fire-station workspace (/station). A station account sees its area's units on a map
// and in a list (search, filters), its incoming dispatch orders (pushed over /ws/station,
// with the siren) and reports its progress; the center sees every station's status live
// and the turnout / travel statistics. /station/units/:id is a unit's 六熟悉 pack,
// /station/units/:id/card its printable card.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ScatterplotLayer } from '@deck.gl/layers';
import type { PickingInfo } from '@deck.gl/core';
import { STATION_UNIT_FLAG, type DispatchOrder, type OrderSummary, type StationState, type StationStats, type StationUnitList, type stationHomeSchema } from '@firelink/common';
import { z } from 'zod';
import { AlertSound, unlockOnGesture } from '../../audio/alert.ts';
import { formatTime, type Locale } from '../../lib/i18n.ts';
import { useI18n } from '../../lib/i18n-react.tsx';
import { Link, navigate } from '../../lib/router-react.tsx';
import { useSession } from '../../lib/session-react.tsx';
import { CommandMap, type CommandMapHandle } from '../../map/command-map.tsx';
import { ApiError, api } from '../../api/http.ts';
import { contactRoleName } from '../finder/strings.ts';
import { errorText, fetchHome, fetchStats, fetchUnits, openStationStream, reportProgress } from './api.ts';
import { ORDER_INCIDENT_RGBA, ORDER_ROUTE_RGBA, ORDER_STATION_RGBA, orderBounds, orderLayers, useOrderDetail, type OrderExtras } from './order-map.ts';
import { PackView } from './pack.tsx';
import { floorName, progressName, reportName, s, seconds, stationStatusName, waterKindName } from './strings.ts';
import './station.css';

const NEXT: Record<DispatchOrder['progress'], Array<Exclude<DispatchOrder['progress'], 'dispatched'>>> = {
  dispatched: ['acknowledged', 'turned_out'],
  acknowledged: ['turned_out'],
  turned_out: ['on_scene'],
  on_scene: ['returning', 'available'],
  returning: ['available'],
  available: [],
};

const rgb = (c: readonly number[]) => `rgb(${c[0]},${c[1]},${c[2]})`;

/** A unit's dot on the map (marked, so a pick knows it from other layers' objects). */
type UnitDot = { unitDot: true; id: number; position: [number, number]; flags: number };

/** An order as the stream keeps it: a summary; a fresh dispatch_order also brings route and water. */
type StreamOrder = OrderSummary & Partial<Pick<DispatchOrder, 'route' | 'water'>>;

export default function StationView({ path }: { path: string }) {
  const m = /^units\/(\d+)(\/card)?$/.exec(path);
  if (m) return <PackView unitId={Number(m[1])} card={!!m[2]} />;
  return <Workspace />;
}

/** Orders and stations kept from the stream: a hello replaces them, deltas update by id. */
function useStationStream(onNewOrder: (o: DispatchOrder) => void) {
  const [orders, setOrders] = useState<Map<number, StreamOrder>>(new Map());
  const [stations, setStations] = useState<Map<number, StationState>>(new Map());
  const [connected, setConnected] = useState(false);
  const onNew = useRef(onNewOrder);
  onNew.current = onNewOrder;
  useEffect(
    () =>
      openStationStream((msg) => {
        if (msg.type === 'station_hello') {
          setOrders(new Map(msg.orders.map((o) => [o.id, o])));
          setStations(new Map(msg.stations.map((x) => [x.id, x])));
        } else if (msg.type === 'station_status') {
          setStations((prev) => new Map(prev).set(msg.station.id, msg.station));
        } else {
          if (msg.type === 'dispatch_order') onNew.current(msg.order);
          setOrders((prev) => {
            const next = new Map(prev);
            // A progress summary keeps what the order brought (route, water) when it arrived.
            if (msg.order.progress === 'available') next.delete(msg.order.id);
            else next.set(msg.order.id, { ...prev.get(msg.order.id), ...msg.order });
            return next;
          });
        }
      }, setConnected),
    [],
  );
  return { orders, setOrders, stations, connected };
}

function Workspace() {
  const { locale } = useI18n();
  const { me } = useSession();
  const sound = useMemo(() => new AlertSound(), []);
  const [soundOk, setSoundOk] = useState(true);
  useEffect(() => unlockOnGesture(sound, setSoundOk), [sound]);
  const [flash, setFlash] = useState<number | null>(null);
  const { orders, setOrders, stations, connected } = useStationStream((o) => {
    sound.fire();
    setFlash(o.id);
  });
  const isStation = me?.role === 'station';
  return (
    <div className="st-page" data-testid="station-view">
      <div className="st-top">
        <h1>{isStation ? s(locale, 'title') : s(locale, 'boardTitle')}</h1>
        <span className={connected ? 'st-live ok' : 'st-live'} data-testid="station-connection">
          {connected ? s(locale, 'connected') : s(locale, 'disconnected')}
        </span>
        {!soundOk && <span className="st-muted">{s(locale, 'soundHint')}</span>}
      </div>
      {isStation ? (
        <StationHome orders={[...orders.values()]} flash={flash} onReported={(o) => setOrders((prev) => (o.progress === 'available' ? new Map([...prev].filter(([k]) => k !== o.id)) : new Map(prev).set(o.id, o)))} station={[...stations.values()][0] ?? null} />
      ) : (
        <Board stations={[...stations.values()]} orders={[...orders.values()]} />
      )}
    </div>
  );
}

// ---------------------------------------------------------------------------------------
// The station's home

function StationHome({ orders, flash, onReported, station }: { orders: StreamOrder[]; flash: number | null; onReported: (o: StreamOrder) => void; station: StationState | null }) {
  const { locale } = useI18n();
  const [home, setHome] = useState<z.infer<typeof stationHomeSchema> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [q, setQ] = useState('');
  const [category, setCategory] = useState('');
  const [height, setHeight] = useState('');
  const [highRisk, setHighRisk] = useState(false);
  const [openAlarms, setOpenAlarms] = useState(false);
  const [visitDue, setVisitDue] = useState(false);
  const [units, setUnits] = useState<StationUnitList | null>(null);
  const [more, setMore] = useState<{ busy: boolean; error: boolean }>({ busy: false, error: false });
  const filters = useRef<Record<string, string>>({});
  const [categories, setCategories] = useState<Array<{ code: string; nameZh: string; nameEn?: string | null }>>([]);
  const map = useRef<CommandMapHandle>(null);

  useEffect(() => {
    const ac = new AbortController();
    fetchHome(ac.signal).then(setHome, (err: unknown) => !ac.signal.aborted && setError(err instanceof ApiError && err.status === 403 ? s(locale, 'errUnbound') : errorText(locale, err)));
    api('/api/units/categories', z.array(z.object({ code: z.string(), nameZh: z.string(), nameEn: z.string().nullable().optional() })), { signal: ac.signal }).then(setCategories, () => {});
    return () => ac.abort();
  }, []);

  useEffect(() => {
    const ac = new AbortController();
    const t = setTimeout(() => {
      const p: Record<string, string> = {};
      if (q.trim()) p.q = q.trim();
      if (category) p.category = category;
      if (height) p.minHeightM = height;
      if (highRisk) p.highRisk = '1';
      if (openAlarms) p.openAlarms = '1';
      if (visitDue) p.visitDue = '1';
      filters.current = p;
      fetchUnits(p, ac.signal).then(setUnits, (err: unknown) => !ac.signal.aborted && setError(errorText(locale, err)));
    }, 200);
    return () => {
      clearTimeout(t);
      ac.abort();
    };
  }, [q, category, height, highRisk, openAlarms, visitDue]);

  const active = orders.find((o) => o.id === flash) ?? orders[0] ?? null;
  // The current order's route and water (from the order's detail), the station and the incident.
  const detail = useOrderDetail(active);
  const route = detail.route;
  const stationAt = station?.lonLatWgs84 ?? home?.station?.lonLatWgs84 ?? null;

  // Frame the area once its units arrive (unless an order is framed). Water sources come with the
  // basemap's tiles at street zoom (water_sources layer): the area's 17,000 hydrants fetched as
  // JSON took a second of every load (npm run bench:station).
  const framed = useRef(false);
  useEffect(() => {
    const pts = units?.points;
    if (framed.current || !pts || pts.ids.length === 0) return;
    framed.current = true;
    let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
    for (let i = 0; i < pts.ids.length; i++) {
      x0 = Math.min(x0, pts.lon[i]!);
      x1 = Math.max(x1, pts.lon[i]!);
      y0 = Math.min(y0, pts.lat[i]!);
      y1 = Math.max(y1, pts.lat[i]!);
    }
    if (!active) map.current?.fitBounds([x0 - 0.01, y0 - 0.01, x1 + 0.01, y1 + 0.01], 0);
  }, [units]);

  // The map's dots: the answer's columns of numbers as one object per unit.
  const dots = useMemo<UnitDot[]>(() => {
    const p = units?.points;
    if (!p) return [];
    return p.ids.map((id, i) => ({ unitDot: true, id, position: [p.lon[i]!, p.lat[i]!], flags: p.flags[i]! }));
  }, [units?.points]);

  /** The next page of the list, appended (the map already has every matching unit). */
  const loadMore = () => {
    if (!units || units.nextOffset == null || more.busy) return;
    setMore({ busy: true, error: false });
    fetchUnits({ ...filters.current, offset: String(units.nextOffset) }).then(
      (next) => {
        // Appended only to the answer it continues (the filters may have changed meanwhile).
        setUnits((cur) => (cur === units ? { ...cur, units: [...cur.units, ...next.units], nextOffset: next.nextOffset } : cur));
        setMore({ busy: false, error: false });
      },
      () => setMore({ busy: false, error: true }),
    );
  };

  // An order: the station, the route and the unit in one frame (again once the route arrives).
  useEffect(() => {
    if (!active) return;
    const b = orderBounds([stationAt, active.incident], route);
    if (b) map.current?.fitBounds(b, 800, { top: 40, bottom: 40, left: 40, right: 40 });
  }, [active?.id, route !== null, stationAt?.[0], stationAt?.[1]]);

  const layers = useMemo(() => {
    const list = [
      new ScatterplotLayer<UnitDot>({
        id: 'st-units',
        data: dots,
        getPosition: (u) => u.position,
        getFillColor: (u) => (u.flags & STATION_UNIT_FLAG.openAlarms ? [255, 64, 64, 255] : u.flags & STATION_UNIT_FLAG.visitDue ? [255, 170, 0, 230] : [46, 204, 113, 230]),
        getLineColor: [10, 20, 36, 255],
        stroked: true,
        lineWidthUnits: 'pixels',
        getLineWidth: 1,
        getRadius: (u) => (u.flags & STATION_UNIT_FLAG.highRisk ? 7 : 5),
        radiusUnits: 'pixels',
        pickable: true,
      }),
    ];
    if (detail.water.length) {
      list.push(
        new ScatterplotLayer({
          id: 'st-order-water',
          data: detail.water,
          getPosition: (w: DispatchOrder['water'][number]) => w.lonLatWgs84,
          getFillColor: [56, 152, 255, 255],
          getLineColor: [255, 255, 255, 255],
          stroked: true,
          lineWidthUnits: 'pixels',
          getLineWidth: 2,
          getRadius: 7,
          radiusUnits: 'pixels',
        }) as never,
      );
    }
    if (active) list.push(...(orderLayers(route, stationAt, active.incident) as never[]));
    return list;
  }, [dots, active, route, detail.water, stationAt?.[0], stationAt?.[1]]);

  const catName = (code: string) => {
    const c = categories.find((x) => x.code === code);
    return c ? (locale === 'en' ? c.nameEn ?? c.nameZh : c.nameZh) : code;
  };

  return (
    <>
      {error && <div className="st-error">{error}</div>}
      <div className="st-sub">
        {home?.station && (
          <b data-testid="station-name">
            {home.station.name} · {stationStatusName(locale, station?.status ?? home.station.status)}
          </b>
        )}
        {home && (
          <span className="st-muted">
            {s(locale, 'area')}：{home.regions.map((r) => r.name).join('、')}
          </span>
        )}
      </div>
      <div className="st-grid">
        <section className="st-map" data-testid="station-map" data-route-points={active ? (route?.line.coordinates.length ?? 0) : undefined} data-station-at={stationAt && active ? stationAt.join(',') : undefined}>
          <CommandMap
            ref={map}
            extra={layers}
            className="st-mapbox"
            onPick={(info: PickingInfo) => {
              const u = info.object as UnitDot | undefined;
              if (u && u.unitDot === true) navigate(`/station/units/${u.id}`);
            }}
            onUnitClick={(unitId) => navigate(`/station/units/${unitId}`)}
          />
          <div className="st-legend">
            <i style={{ background: 'rgb(46,204,113)' }} /> {s(locale, 'legendUnit')} <i style={{ background: 'rgb(255,64,64)' }} /> {s(locale, 'legendAlarm')}{' '}
            <i style={{ background: 'rgb(255,170,0)' }} /> {s(locale, 'legendDue')} <i style={{ background: 'rgb(56,152,255)' }} /> {s(locale, 'legendWater')}
            {active && (
              <span className="st-legend-order" data-testid="station-legend-order">
                <i className="ring" style={{ background: rgb(ORDER_STATION_RGBA) }} /> {s(locale, 'legendStation')}
                <i className="line" style={{ background: rgb(ORDER_ROUTE_RGBA) }} /> {s(locale, 'legendRoute')}
                <i className="ring" style={{ background: rgb(ORDER_INCIDENT_RGBA) }} /> {s(locale, 'legendIncident')}
              </span>
            )}
          </div>
        </section>
        <section className="st-side">
          <OrderPanel orders={orders} active={active} detail={detail} onReported={onReported} />
          <div className="st-filters">
            <input value={q} onChange={(e) => setQ(e.target.value)} placeholder={s(locale, 'search')} data-testid="station-search" />
            <select value={category} onChange={(e) => setCategory(e.target.value)} data-testid="station-category">
              <option value="">{s(locale, 'allCategories')}</option>
              {categories.map((c) => (
                <option key={c.code} value={c.code}>
                  {locale === 'en' ? c.nameEn ?? c.nameZh : c.nameZh}
                </option>
              ))}
            </select>
            <select value={height} onChange={(e) => setHeight(e.target.value)} data-testid="station-height">
              <option value="">{s(locale, 'anyHeight')}</option>
              <option value="24">{s(locale, 'high')}</option>
              <option value="100">{s(locale, 'superHigh')}</option>
            </select>
            <label>
              <input type="checkbox" checked={highRisk} onChange={(e) => setHighRisk(e.target.checked)} /> {s(locale, 'highRisk')}
            </label>
            <label>
              <input type="checkbox" checked={openAlarms} onChange={(e) => setOpenAlarms(e.target.checked)} data-testid="station-open-alarms" /> {s(locale, 'openAlarms')}
            </label>
            <label>
              <input type="checkbox" checked={visitDue} onChange={(e) => setVisitDue(e.target.checked)} /> {s(locale, 'visitDue')}
            </label>
          </div>
          <div className="st-muted" data-testid="station-count">
            {units ? s(locale, 'count', { n: units.total }) + (units.pointsTruncated ? s(locale, 'truncated', { n: units.points.ids.length }) : '') : s(locale, 'loading')}
          </div>
          <div className="st-list" data-testid="station-units">
            {units?.units.length === 0 && <div className="st-muted">{s(locale, 'noUnits')}</div>}
            {units?.units.map((u) => (
              <div key={u.id} className="st-unit">
                <div>
                  <Link href={`/station/units/${u.id}`}>{u.name}</Link> {u.highRisk && <span className="st-tag">{s(locale, 'highRisk')}</span>}
                  {u.openAlarms > 0 && <span className="st-tag red">{s(locale, 'openAlarms')}</span>}
                  {u.visitDue && <span className="st-tag amber">{s(locale, 'visitDue')}</span>}
                </div>
                <div className="st-muted">
                  {catName(u.category)} · {u.address ?? '—'}
                  {u.heightM != null ? ` · ${Math.round(u.heightM)} m` : ''}
                </div>
              </div>
            ))}
            {units?.nextOffset != null && (
              <button type="button" className="st-more" onClick={loadMore} disabled={more.busy} data-testid="station-more">
                {more.busy ? s(locale, 'loading') : more.error ? s(locale, 'moreRetry') : s(locale, 'more', { n: units.total - units.units.length })}
              </button>
            )}
          </div>
        </section>
      </div>
    </>
  );
}

/**
 * Seconds a progress report waits before it is sent, so that a mis-tap can be undone: the
 * server takes reports only forward (a later one never goes back), so the undo has to come
 * before the report. The recorded time is the sending time, at most this much after the tap.
 */
const REPORT_UNDO_S = 5;

type Report = Exclude<DispatchOrder['progress'], 'dispatched'>;

function OrderPanel({ orders, active, detail, onReported }: { orders: StreamOrder[]; active: StreamOrder | null; detail: OrderExtras; onReported: (o: StreamOrder) => void }) {
  const { locale } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // The report waiting out its undo window, and the one just undone (said on screen).
  const [pending, setPending] = useState<{ orderId: number; progress: Report; dueAt: number } | null>(null);
  const [undone, setUndone] = useState<Report | null>(null);
  const [now, setNow] = useState(() => Date.now());
  const send = useCallback(
    async (orderId: number, p: Report) => {
      setBusy(true);
      setError(null);
      try {
        onReported((await reportProgress(orderId, p)).order);
      } catch (err) {
        setError(errorText(locale, err));
      } finally {
        setBusy(false);
      }
    },
    [onReported, locale],
  );
  const sendRef = useRef(send);
  sendRef.current = send;
  useEffect(() => {
    if (!pending) return;
    const tick = setInterval(() => setNow(Date.now()), 250);
    const due = setTimeout(() => {
      setPending(null);
      void sendRef.current(pending.orderId, pending.progress);
    }, Math.max(0, pending.dueAt - Date.now()));
    return () => {
      clearInterval(tick);
      clearTimeout(due);
    };
  }, [pending]);
  // Leaving the page inside the window sends the report at once: a tap is never lost.
  const pendingRef = useRef(pending);
  pendingRef.current = pending;
  useEffect(
    () => () => {
      const p = pendingRef.current;
      if (p) void reportProgress(p.orderId, p.progress).catch(() => {});
    },
    [],
  );
  if (!active) return <div className="st-order empty" data-testid="station-no-order">{s(locale, 'noOrder')}</div>;
  const o = active;
  const report = (p: Report) => {
    setUndone(null);
    setError(null);
    setNow(Date.now());
    setPending({ orderId: o.id, progress: p, dueAt: Date.now() + REPORT_UNDO_S * 1000 });
  };
  const km = (m: number) => (m / 1000).toFixed(1);
  return (
    <div className={`st-order ${o.progress === 'dispatched' ? 'new' : ''}`} data-testid="station-order" data-order-id={o.id}>
      <div className="st-order-head">
        <b>{s(locale, 'newOrder')}</b>
        <span className="st-tag">{progressName(locale, o.progress)}</span>
        <span className="st-muted">{s(locale, 'orderFrom', { at: formatTime(o.at, locale as Locale, 'time') })}</span>
        {orders.length > 1 && <span className="st-muted">+{orders.length - 1}</span>}
      </div>
      <div className="st-order-unit" data-testid="order-unit">
        {o.unit ? <Link href={`/station/units/${o.unit.id}`}>{o.unit.name}</Link> : '—'}
      </div>
      <div>{o.unit?.address ?? '—'}</div>
      {(o.floor != null || o.pointLabel) && (
        <div>
          {s(locale, 'floorPoint')}：{o.floor != null ? floorName(locale as Locale, o.floor) : ''} {o.pointLabel ?? ''}
        </div>
      )}
      {detail.route && (
        <div data-testid="order-eta">
          {s(locale, detail.route.method === 'road' ? 'eta' : 'etaStraight', { min: Math.max(1, Math.round(detail.route.etaSeconds / 60)), km: km(detail.route.distanceMeters) })}
        </div>
      )}
      {o.unit && (o.unit.contacts.length > 0 || o.unit.controlRoomPhone) && (
        <div className="st-contacts">
          {o.unit.controlRoomPhone && (
            <span>
              {s(locale, 'controlRoom')} <a href={`tel:${o.unit.controlRoomPhone}`}>{o.unit.controlRoomPhone}</a>
            </span>
          )}
          {o.unit.contacts.map((c, i) => (
            <span key={i}>
              {contactRoleName(locale as Locale, c.role)} {c.name} <a href={`tel:${c.phone}`}>{c.phone}</a>
            </span>
          ))}
        </div>
      )}
      <div className="st-water" data-testid="order-water">
        <b>{s(locale, 'water')}</b>
        {detail.water.length === 0 && <span className="st-muted">{s(locale, 'noWater')}</span>}
        {detail.water.map((w) => (
          <span key={w.id}>{s(locale, w.method === 'road' ? 'waterLine' : 'waterStraight', { kind: w.name ?? waterKindName(locale as Locale, w.kind), m: Math.round(w.distanceMeters) })}</span>
        ))}
      </div>
      {pending ? (
        <div className="st-actions st-undo" role="status" data-testid="report-pending" data-progress={pending.progress}>
          <span>{s(locale, 'undoPending', { p: reportName(locale as Locale, pending.progress), n: Math.max(1, Math.ceil((pending.dueAt - now) / 1000)) })}</span>
          <button
            type="button"
            className="primary"
            onClick={() => {
              setUndone(pending.progress);
              setPending(null);
            }}
            data-testid="report-undo"
          >
            {s(locale, 'undo')}
          </button>
          <button
            type="button"
            onClick={() => {
              setPending(null);
              void send(pending.orderId, pending.progress);
            }}
            data-testid="report-now"
          >
            {s(locale, 'sendNow')}
          </button>
        </div>
      ) : (
        <div className="st-actions">
          {NEXT[o.progress].map((p) => (
            <button key={p} type="button" disabled={busy} onClick={() => report(p)} data-testid={`report-${p}`} className={p === 'acknowledged' || p === 'turned_out' ? 'primary' : ''}>
              {reportName(locale as Locale, p)}
            </button>
          ))}
          {undone && (
            <span className="st-muted" data-testid="report-undone">
              {s(locale, 'undone', { p: reportName(locale as Locale, undone) })}
            </span>
          )}
        </div>
      )}
      {error && <div className="st-error">{error}</div>}
    </div>
  );
}

// ---------------------------------------------------------------------------------------
// The center's board: stations live, statistics

function Board({ stations, orders }: { stations: StationState[]; orders: StreamOrder[] }) {
  const { locale } = useI18n();
  const [stats, setStats] = useState<StationStats | null>(null);
  const [days, setDays] = useState(90);
  useEffect(() => {
    const ac = new AbortController();
    fetchStats(days, ac.signal).then(setStats, () => {});
    return () => ac.abort();
  }, [days, orders.map((o) => `${o.id}:${o.progress}`).join(',')]);
  const byId = new Map(orders.map((o) => [o.id, o]));
  return (
    <div className="st-board">
      <section className="st-panel">
        <h2>{s(locale, 'stations')}</h2>
        <table className="st-table" data-testid="station-board">
          <thead>
            <tr>
              <th>{s(locale, 'stations')}</th>
              <th>{s(locale, 'status')}</th>
              <th>{s(locale, 'openOrders')}</th>
            </tr>
          </thead>
          <tbody>
            {stations.map((st) => (
              <tr key={st.id} data-testid={`board-station-${st.id}`}>
                <td>{st.name}</td>
                <td className={`st-status ${st.status}`}>{stationStatusName(locale as Locale, st.status)}</td>
                <td>
                  {st.open.map((d) => {
                    const o = byId.get(d.id);
                    return (
                      <div key={d.id} data-testid={`board-order-${d.id}`} data-progress={o?.progress ?? d.progress}>
                        {o?.unit?.name ?? ''} · {progressName(locale as Locale, o?.progress ?? d.progress)} · {formatTime(d.at, locale as Locale, 'time')}
                      </div>
                    );
                  })}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section className="st-panel">
        <h2>
          {s(locale, 'stats')}{' '}
          <select value={days} onChange={(e) => setDays(Number(e.target.value))}>
            {[30, 90, 365].map((d) => (
              <option key={d} value={d}>
                {locale === 'en' ? `${d} days` : `${d} 天`}
              </option>
            ))}
          </select>
        </h2>
        <div className="st-muted">{s(locale, 'statsHint', { days })}</div>
        {stats?.stations.map((x) => (
          <div key={x.stationId} className="st-stat" data-testid={`stats-${x.stationId}`}>
            <b>{x.name}</b>
            <TimeStrip label={s(locale, 'turnout')} samples={x.turnout.samples} reference={stats.turnoutReferenceS} max={240} median={x.turnout.medianS} within={x.turnout.withinReference} />
            <TimeStrip label={s(locale, 'travel')} samples={x.travel.samples} reference={stats.travelReferenceS} max={720} median={x.travel.medianS} within={x.travel.withinReference} />
          </div>
        ))}
      </section>
    </div>
  );
}

/** One dot per call on a seconds axis, with the reference line. */
function TimeStrip({ label, samples, reference, max, median, within }: { label: string; samples: number[]; reference: number; max: number; median: number | null; within: number | null }) {
  const { locale } = useI18n();
  const w = 260;
  const x = (v: number) => 4 + (Math.min(v, max) / max) * (w - 8);
  return (
    <div className="st-strip">
      <span className="st-strip-label">{label}</span>
      <svg width={w} height={22} role="img" aria-label={label}>
        <line x1={4} x2={w - 4} y1={11} y2={11} stroke="var(--line)" />
        {samples.map((v, i) => (
          <circle key={i} cx={x(v)} cy={11} r={3} fill={v <= reference ? 'rgb(46,204,113)' : 'rgb(255,120,40)'} opacity={0.8} />
        ))}
        <line x1={x(reference)} x2={x(reference)} y1={2} y2={20} stroke="rgb(255,64,64)" strokeDasharray="3 2" />
      </svg>
      <span className="st-muted">
        {samples.length === 0 ? s(locale, 'noData') : `${s(locale, 'median', { v: seconds(locale as Locale, median) })} · ${s(locale, 'within', { p: within == null ? '—' : `${Math.round(within * 100)}%` })}`}
      </span>
    </div>
  );
}
