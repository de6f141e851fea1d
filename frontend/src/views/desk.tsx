// /desk: the monitoring-center operator's alarm desk. Live queue sorted by priority and
// age, keyboard shortcuts, alarm detail (unit, floor, point, phone, timeline, nearest
// stations with ETA) and a button for each lifecycle transition.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { unitDetailSchema, type AlarmDetail, type AlarmVerdict, type UnitDetail } from '@firelink/common';
import { getAlarmDetail, heatCells, suggestStations, transition, type HeatMetric, type Suggestion, type Transition } from '../api/alarms.ts';
import { ApiError, api } from '../api/http.ts';
import { useI18n } from '../lib/i18n-react.tsx';
import { eventKindName, formatAgo, formatFloor, formatTime } from '../lib/i18n.ts';
import { Link, navigate } from '../lib/router-react.tsx';
import { loadUnits } from '../live/units-loader.ts';
import { useLive } from '../live/use-live.ts';
import { CommandMap, type CommandMapHandle } from '../map/command-map.tsx';
import { nextActions, type AlarmView } from '../model/alarm.ts';
import { moveSelection } from '../model/alarm-queue.ts';

const VERDICT_KEYS: Record<string, AlarmVerdict> = { v: 'fire', f: 'false_alarm', t: 'test', g: 'fault' };
/** Map dots follow the stream at most twice a second (the queue itself at once); see RedrawGate. */
const DESK_REDRAW_EVERY_MS = 500;

function useNow(everyMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}

export function DeskView({ alarmId }: { alarmId: number | null }) {
  const { t, locale } = useI18n();
  const live = useLive();
  const mapRef = useRef<CommandMapHandle>(null);
  const alarms = live.state.queue.list();
  const newestFireId = useMemo(() => {
    let best: { id: number; at: string } | null = null;
    for (const a of alarms) if (a.kind === 'fire' && (!best || a.openedAt > best.at)) best = { id: a.id, at: a.openedAt };
    return best?.id ?? null;
  }, [alarms]);
  // The jurisdiction's units as map context (one packed request, GET /api/units/positions).
  const [unitsLoaded, setUnitsLoaded] = useState(0);
  useEffect(() => {
    const ac = new AbortController();
    loadUnits(live.units, ac.signal)
      .then(() => setUnitsLoaded((v) => v + 1))
      .catch((err) => {
        if (!ac.signal.aborted) console.warn(`units not loaded: ${(err as Error).message}`);
      });
    return () => ac.abort();
  }, [live.units]);
  const now = useNow(5000);
  const selected = alarmId;
  const select = useCallback((id: number | null) => navigate(id === null ? '/desk' : `/desk/${id}`, { replace: true }), []);

  const [detail, setDetail] = useState<AlarmDetail | null>(null);
  const [unit, setUnit] = useState<UnitDetail | null>(null);
  const [stations, setStations] = useState<Suggestion[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const liveAlarm = selected !== null ? live.state.queue.get(selected) : undefined;
  const [heatMetric, setHeatMetric] = useState<HeatMetric | null>(null);
  const [heat, setHeat] = useState<Array<{ h3: string; value: number }>>([]);
  useEffect(() => {
    setHeat([]);
    if (!heatMetric) return;
    const ac = new AbortController();
    heatCells(heatMetric, ac.signal)
      .then(setHeat)
      .catch((err) => setError((err as Error).message));
    return () => ac.abort();
  }, [heatMetric]);

  // Detail reloads when the selection changes or the live alarm changes version.
  useEffect(() => {
    if (selected === null) {
      setDetail(null);
      return;
    }
    const ac = new AbortController();
    getAlarmDetail(selected, ac.signal)
      .then((d) => {
        // A slow reply must not undo a newer state (e.g. the verify response came first).
        setDetail((cur) => (cur && cur.alarm.id === d.alarm.id && cur.alarm.version > d.alarm.version ? { ...d, alarm: cur.alarm } : d));
        setError(null);
      })
      .catch((err) => {
        if (!ac.signal.aborted) setError((err as Error).message);
      });
    return () => ac.abort();
  }, [selected, liveAlarm?.version]);

  const a = detail?.alarm;
  const lonLat = a?.lonLatWgs84 ?? null;
  useEffect(() => {
    if (lonLat) mapRef.current?.flyTo([lonLat[0], lonLat[1]], 15.5);
  }, [lonLat?.[0], lonLat?.[1]]);

  useEffect(() => {
    setUnit(null);
    if (!a?.unitId) return;
    const ac = new AbortController();
    api(`/api/units/${a.unitId}`, unitDetailSchema, { signal: ac.signal })
      .then(setUnit)
      .catch(() => {});
    return () => ac.abort();
  }, [a?.unitId]);

  useEffect(() => {
    setStations(null);
    if (!lonLat) return;
    const ac = new AbortController();
    suggestStations([lonLat[0], lonLat[1]], 3, ac.signal)
      .then(setStations)
      .catch(() => setStations(null));
    return () => ac.abort();
  }, [lonLat?.[0], lonLat?.[1]]);

  const act = useCallback(
    async (tr: Transition) => {
      const cur = (selected !== null && live.state.queue.get(selected)) || (detail ? { version: detail.alarm.version, id: detail.alarm.id } : null);
      if (!cur || selected === null) return;
      setBusy(true);
      setError(null);
      try {
        const r = await transition(selected, cur.version, tr);
        setDetail((d) => (d && d.alarm.id === r.alarm.id && d.alarm.version <= r.alarm.version ? { ...d, alarm: r.alarm } : d));
      } catch (err) {
        const msg = err instanceof ApiError ? err.message : (err as Error).message;
        setError(t('desk.actionFailed', { message: msg }));
      } finally {
        setBusy(false);
      }
    },
    [selected, detail, live.state, t],
  );

  const actions = a ? nextActions(a) : [];
  const allowed = (x: (typeof actions)[number]) => !busy && actions.includes(x);

  // Keyboard: J/K or arrows move; A acknowledge; V/F/T/G verify (fire/false/test/fault); D dispatch; C close.
  const keyState = useRef({ alarms, selected, allowed, act, stations });
  keyState.current = { alarms, selected, allowed, act, stations };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement || e.ctrlKey || e.metaKey || e.altKey) return;
      const s = keyState.current;
      const k = e.key.toLowerCase();
      if (k === 'j' || e.key === 'ArrowDown') select(moveSelection(s.alarms, s.selected, 1));
      else if (k === 'k' || e.key === 'ArrowUp') select(moveSelection(s.alarms, s.selected, -1));
      else if (k === 'a' && s.allowed('ack')) void s.act({ action: 'ack' });
      else if (VERDICT_KEYS[k] && s.allowed('verify')) void s.act({ action: 'verify', verdict: VERDICT_KEYS[k]! });
      else if (k === 'd' && s.allowed('dispatch')) void s.act({ action: 'dispatch', stationIds: s.stations?.slice(0, 1).map((x) => x.stationId) });
      else if (k === 'c' && s.allowed('close')) void s.act({ action: 'close' });
      else if (e.key === 'Escape') select(null);
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [select]);

  const routes = useMemo(
    () => (stations ?? []).filter((s) => s.pathWgs84).map((s) => ({ id: String(s.stationId), pathWgs84: s.pathWgs84! })),
    [stations],
  );
  const nearest = stations ?? detail?.nearestStations?.map((s) => ({ ...s, pathWgs84: null })) ?? null;
  const phone = unit?.controlRoomPhone ?? unit?.contacts.find((c) => c.role === 'control_room')?.phone ?? null;
  const building = unit?.building;

  return (
    <div className="desk" data-testid="desk">
      <section className="queue">
        <h2>
          <span>{t('desk.queue')}</span>
          <span className={`conn ${live.connection.status}`} data-testid="conn-status">
            {live.connection.status === 'live' ? t('conn.live') : t('conn.connecting')}
          </span>
        </h2>
        {alarms.length === 0 && <div className="hint">{t('desk.empty')}</div>}
        <div role="listbox" aria-label={t('desk.queue')} data-testid="queue">
          {alarms.map((x: AlarmView) => (
            <div
              key={x.id}
              role="option"
              aria-selected={x.id === selected}
              className={`queue-row ${x.id === selected ? 'selected' : ''}`}
              onClick={() => select(x.id)}
              data-testid={`queue-row-${x.id}`}
              data-kind={x.kind}
              data-state={x.state}
            >
              <span className="bar" style={{ background: `var(--${x.kind === 'host_offline' ? 'offline' : x.kind === 'off_duty' ? 'offduty' : x.kind})` }} />
              <span className="name">
                <span className={`tag k-${x.kind}`}>{t(`kind.${x.kind}` as 'kind.fire')}</span>
                {x.escalated && <span className="tag esc">{t('desk.escalated')}</span>}
                {x.unitName ?? `#${x.unitId ?? '—'}`}
              </span>
              <span className="state">{t(`state.${x.state}`)}</span>
              <span className="meta">
                {formatFloor(x.floor, locale)}
                {x.pointLabel ? ` · ${x.pointLabel}` : ''}
              </span>
              <span className="age">{formatAgo(x.openedAt, now, locale)}</span>
            </div>
          ))}
        </div>
      </section>
      <section className="center">
        <CommandMap ref={mapRef} units={live.units} unitsVersion={live.units.version + unitsLoaded * 1_000_000} alarms={alarms} alarmsVersion={live.queueVersion} routes={routes} heat={heat} zoom={11} center={[118.78, 32.05]} redrawEveryMs={DESK_REDRAW_EVERY_MS} urgentKey={newestFireId} />
        <div className="map-tools">
          <span>{t('desk.heatmap')}</span>
          {([null, 'fault_rate', 'false_alarm_rate'] as const).map((m) => (
            <button key={String(m)} type="button" className={heatMetric === m ? 'active' : ''} onClick={() => setHeatMetric(m)} data-testid={`heat-${m ?? 'none'}`}>
              {t(m === null ? 'desk.heat.none' : m === 'fault_rate' ? 'desk.heat.fault' : 'desk.heat.false')}
            </button>
          ))}
        </div>
      </section>
      <section className="detail" data-testid="detail">
        {!a && <div className="hint">{t('desk.selectHint')}</div>}
        {a && (
          <>
            <section>
              <h3>
                <span className={`tag k-${a.kind}`}>{t(`kind.${a.kind}`)}</span>
                <span data-testid="detail-state">{t(`state.${a.state}`)}</span>
                {a.verdict && ` · ${t(`verdict.${a.verdict}`)}`}
              </h3>
              <dl>
                <dt>{t('desk.unit')}</dt>
                <dd>
                  {a.unitName ?? '—'} {a.unitId && <Link href={`/units/${a.unitId}`}>{t('desk.openUnit')}</Link>}
                </dd>
                <dt>{t('desk.address')}</dt>
                <dd>{a.unitAddress ?? '—'}</dd>
                <dt>{t('desk.building')}</dt>
                <dd>{building ? `${building.name ?? '#' + building.id} · ${t('unit.floorsAbove', { n: building.floorsAbove })}` : '—'}</dd>
                <dt>{t('desk.floor')}</dt>
                <dd>{formatFloor(a.floor, locale)}</dd>
                <dt>{t('desk.point')}</dt>
                <dd>{a.pointLabel ?? '—'}</dd>
                <dt>{t('desk.phone')}</dt>
                <dd>{phone ? <a href={`tel:${phone}`}>{phone}</a> : '—'}</dd>
                <dt>{t('desk.openedAt')}</dt>
                <dd>{formatTime(a.openedAt, locale)}</dd>
                <dt>{t('desk.events')}</dt>
                <dd>{a.eventCount}</dd>
              </dl>
            </section>
            <section>
              <div className="actions">
                <button type="button" className="primary" disabled={!allowed('ack')} onClick={() => void act({ action: 'ack' })} data-testid="action-ack">
                  {t('action.ack')} <kbd>A</kbd>
                </button>
                {(['fire', 'false_alarm', 'test', 'fault'] as const).map((v) => (
                  <button
                    key={v}
                    type="button"
                    className={v === 'fire' ? 'danger' : ''}
                    disabled={!allowed('verify')}
                    onClick={() => void act({ action: 'verify', verdict: v })}
                    data-testid={`action-verify-${v}`}
                  >
                    {t(`action.verify.${v}`)} <kbd>{Object.entries(VERDICT_KEYS).find(([, x]) => x === v)![0].toUpperCase()}</kbd>
                  </button>
                ))}
                <button
                  type="button"
                  className="danger"
                  disabled={!allowed('dispatch')}
                  onClick={() => void act({ action: 'dispatch', stationIds: nearest?.slice(0, 1).map((s) => s.stationId) })}
                  data-testid="action-dispatch"
                >
                  {t('action.dispatch')} <kbd>D</kbd>
                </button>
                <button type="button" disabled={!allowed('close')} onClick={() => void act({ action: 'close' })} data-testid="action-close">
                  {t('action.close')} <kbd>C</kbd>
                </button>
              </div>
              {error && <div className="error" role="alert">{error}</div>}
            </section>
            <section>
              <h3>{t('desk.nearest')}</h3>
              {!nearest || nearest.length === 0 ? (
                <div className="meta">{t('desk.noStations')}</div>
              ) : (
                <ul className="timeline stations">
                  {nearest.map((s) => (
                    <li key={s.stationId}>
                      <span>{s.name}</span>
                      <span>
                        {t('desk.eta')} {s.etaS !== null ? `${Math.round(s.etaS / 60)} min` : '—'}
                        {s.distanceMeters !== null ? ` · ${(s.distanceMeters / 1000).toFixed(1)} km` : ''}
                      </span>
                    </li>
                  ))}
                </ul>
              )}
            </section>
            <section>
              <h3>{t('desk.timeline')}</h3>
              <ul className="timeline" data-testid="timeline">
                {[
                  ...(detail?.steps ?? []).map((s) => ({ key: `s${s.id}`, at: s.at, text: `${eventKindName(locale, `step:${s.step}`)}${s.actorName ? ` · ${s.actorName}` : ''}${s.note ? ` · ${s.note}` : ''}` })),
                  ...(detail?.events ?? []).map((e) => ({ key: `e${e.id}`, at: e.receivedAt, text: `${eventKindName(locale, e.kind)}${e.pointLabel ? ` · ${e.pointLabel}` : ''}` })),
                ]
                  .sort((x, y) => (x.at < y.at ? 1 : x.at > y.at ? -1 : 0))
                  .slice(0, 60)
                  .map((x) => (
                    <li key={x.key}>
                      <span className="t">{formatTime(x.at, locale, 'time')}</span>
                      <span>{x.text}</span>
                    </li>
                  ))}
              </ul>
            </section>
          </>
        )}
        <section className="meta">
          <h3>{t('desk.shortcuts')}</h3>
          <div className="hint" style={{ padding: 0 }}>{t('desk.selectHint')}</div>
        </section>
      </section>
    </div>
  );
}
