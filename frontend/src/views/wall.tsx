// /wall: the command center's wall display. Full screen, large type, no interaction needed:
// flies to and pulses each new fire alarm with an audible alert, shows counters and a live
// ticker, and shows a "reconnecting" banner while the stream is down.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { keepSessionAlive } from '../api/session.ts';
import { AlertSound } from '../audio/alert.ts';
import { useI18n } from '../lib/i18n-react.tsx';
import { eventKindName, formatFloor, formatNumber, formatPercent, formatTime } from '../lib/i18n.ts';
import { loadUnits } from '../live/units-loader.ts';
import { useLive } from '../live/use-live.ts';
import { CommandMap, type CommandMapHandle } from '../map/command-map.tsx';
import type { RegionRate } from '../map/layers.ts';
import type { AlarmView } from '../model/alarm.ts';
import { UNIT_STATE_COLORS, UNIT_STATE_NAMES } from '../model/colors.ts';
import { connectionRate, countAlarms } from '../model/counters.ts';
import type { UnitInput } from '../model/unit-store.ts';

/** Ticker rows on screen (the ring holds more). */
const TICKER_ROWS = 24;
/**
 * Unit colours and alarm dots on the wall are redrawn at most once a second (a new fire at
 * once, and its pulse marker at once): 100,000 units cost ~150 ms a redraw without a GPU.
 */
const WALL_REDRAW_EVERY_MS = 1000;
/** The demo city (Nanjing) until units are loaded. */
const DEFAULT_CENTER: [number, number] = [118.78, 32.05];

function useClock(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  return now;
}

export function WallView() {
  const { t, locale, setLocale } = useI18n();
  const mapRef = useRef<CommandMapHandle>(null);
  const sound = useMemo(() => new AlertSound(), []);
  const [muted, setMuted] = useState(false);
  const [audioReady, setAudioReady] = useState(false);
  const [rates, setRates] = useState<{ map: Map<number, RegionRate>; version: number }>({ map: new Map(), version: 0 });
  const [unitsLoaded, setUnitsLoaded] = useState(0);
  const now = useClock();

  const onNewFires = useCallback(
    (fires: AlarmView[]) => {
      sound.fire();
      const f = fires[fires.length - 1]!;
      if (f.lonWgs84 !== null && f.latWgs84 !== null) mapRef.current?.flyTo([f.lonWgs84, f.latWgs84], 15.5);
    },
    [sound],
  );
  const live = useLive({ onNewFires });
  const { state, units, connection } = live;

  useEffect(() => {
    const ac = new AbortController();
    loadUnits(units, ac.signal)
      .then(({ rates: r }) => {
        setRates({ map: r, version: Date.now() });
        setUnitsLoaded((v) => v + 1);
        if (units.length > 0) {
          let w = 180, s = 90, e = -180, n = -90;
          for (let i = 0; i < units.length; i++) {
            const x = units.positions[i * 2]!, y = units.positions[i * 2 + 1]!;
            if (x < w) w = x;
            if (x > e) e = x;
            if (y < s) s = y;
            if (y > n) n = y;
          }
          mapRef.current?.fitBounds([w, s, e, n]);
        }
      })
      .catch((err) => console.warn(`units not loaded: ${(err as Error).message}`));
    return () => ac.abort();
  }, [units]);

  useEffect(() => {
    sound.muted = muted;
  }, [muted, sound]);

  // An unattended display: keep its session alive for as long as the page is open, and say
  // so on screen when the server will not (a session not opened for the wall).
  const [sessionKept, setSessionKept] = useState(true);
  useEffect(() => keepSessionAlive(setSessionKept), []);

  // Any click or key unlocks audio (browsers' autoplay policy).
  useEffect(() => {
    const unlock = () => void sound.unlock().then(setAudioReady);
    void sound.unlock().then(setAudioReady);
    window.addEventListener('pointerdown', unlock);
    window.addEventListener('keydown', unlock);
    return () => {
      window.removeEventListener('pointerdown', unlock);
      window.removeEventListener('keydown', unlock);
      sound.close();
    };
  }, [sound]);

  // Test and benchmark hook: read-only figures, plus synthetic units for `bench:wall`.
  useEffect(() => {
    const hook = {
      stats: () => ({
        connection: live.connection.status,
        queue: state.queue.size,
        ticker: state.ticker.size,
        applied: state.applied,
        units: units.length,
        alertsPlayed: sound.played,
      }),
      injectUnits: (list: UnitInput[]) => {
        units.setUnits(list);
        setUnitsLoaded((v) => v + 1);
      },
    };
    (window as unknown as { __firelinkWall?: typeof hook }).__firelinkWall = hook;
  });

  const alarms = state.queue.list();
  const counters = useMemo(() => countAlarms(alarms), [alarms]);
  const unitCounts = useMemo(() => units.counts(), [units, live.unitsVersion, unitsLoaded]);
  const rate = connectionRate(unitCounts.openWithControlRoom, unitCounts.withControlRoom);
  const ticker = useMemo(() => state.ticker.newestFirst(TICKER_ROWS), [state, live.tickerVersion]);
  const latestFire = useMemo(() => {
    let best: AlarmView | null = null;
    for (const a of alarms) {
      if (a.kind !== 'fire') continue;
      if (!best || a.openedAt > best.openedAt) best = a;
    }
    return best;
  }, [alarms]);

  const reconnectingFor = Math.max(0, Math.round((now - connection.since) / 1000));
  const down = connection.status === 'reconnecting' || (connection.status === 'connecting' && connection.attempt > 0);

  return (
    <div className="wall" data-testid="wall">
      <CommandMap
        ref={mapRef}
        units={units}
        unitsVersion={units.version + unitsLoaded * 1_000_000}
        alarms={alarms}
        alarmsVersion={live.queueVersion}
        regionRates={rates.map}
        regionRatesVersion={rates.version}
        center={DEFAULT_CENTER}
        zoom={10.5}
        interactive={false}
        redrawEveryMs={WALL_REDRAW_EVERY_MS}
        urgentKey={latestFire?.id ?? null}
      />
      {down && (
        <div className="banner-reconnecting" role="status" data-testid="reconnecting">
          {t('conn.reconnecting', { seconds: reconnectingFor })}
        </div>
      )}
      <div className="wall-header">
        <h1>{t('wall.title')}</h1>
        <span className="clock" data-testid="clock">{formatTime(now, locale, 'datetime')}</span>
        <span className="spacer" />
        <span className={`conn ${connection.status}`} data-testid="conn-status">
          {t(connection.status === 'live' ? 'conn.live' : connection.status === 'stopped' ? 'conn.stopped' : 'conn.connecting')}
        </span>
        <button type="button" onClick={() => setMuted((m) => !m)} data-testid="mute" aria-pressed={muted}>
          {muted ? `🔇 ${t('wall.unmute')}` : `🔊 ${t('wall.mute')}`}
        </button>
        <button type="button" onClick={() => setLocale(locale === 'zh-CN' ? 'en' : 'zh-CN')}>{t('nav.language')}</button>
      </div>
      <div className="wall-counters" data-testid="counters">
        <div className={`counter fire wide ${counters.unacknowledgedFires > 0 ? 'active' : ''}`} data-testid="counter-fire">
          <div className="label">{t('counter.fire')}</div>
          <div className="value">{counters.openByKind.fire ?? 0}</div>
        </div>
        <div className="counter">
          <div className="label">{t('counter.unitsOnline')}</div>
          <div className="value" data-testid="counter-online">{formatNumber(unitCounts.online, locale)}</div>
        </div>
        <div className="counter">
          <div className="label">{t('counter.connectionRate')}</div>
          <div className="value">{formatPercent(rate, locale, 0)}</div>
        </div>
        {(['host_offline', 'off_duty', 'fault', 'supervisory'] as const).map((k) => (
          <div key={k} className={`counter ${k}`} data-testid={`counter-${k}`}>
            <div className="label">{t(`counter.${k}`)}</div>
            <div className="value">{counters.openByKind[k] ?? 0}</div>
          </div>
        ))}
        <div className="counter wide">
          <div className="label">{t('counter.openAlarms')}</div>
          <div className="value" data-testid="counter-open">{counters.openTotal}</div>
        </div>
        <div className="wall-legend counter wide">
          {UNIT_STATE_NAMES.map((s, i) => (
            <div key={s}>
              <span className="swatch" style={{ background: `rgb(${UNIT_STATE_COLORS[i]!.slice(0, 3).join(',')})` }} />
              {t(`unitState.${s}`)}
            </div>
          ))}
        </div>
      </div>
      <aside className="wall-ticker">
        <h2>{t('wall.ticker')}</h2>
        <ul data-testid="ticker">
          {ticker.map((e) => (
            <li key={e.id}>
              <span className="t">{formatTime(e.at, locale, 'time')}</span>
              <span className={`k p${e.priority}`}>{eventKindName(locale, e.kind)}</span>
              <span className="u">
                {e.unitName ?? '—'}
                {e.floor !== null ? ` · ${formatFloor(e.floor, locale)}` : ''}
                {e.pointLabel ? ` · ${e.pointLabel}` : ''}
              </span>
            </li>
          ))}
        </ul>
      </aside>
      <div className={`wall-fire ${latestFire ? '' : 'none'}`} data-testid="latest-fire">
        <div className="title">{latestFire ? t('wall.latestFire') : t('wall.noFire')}</div>
        {latestFire && (
          <>
            <div className="unit">{latestFire.unitName ?? `#${latestFire.unitId ?? '—'}`}</div>
            <div className="where">
              {formatFloor(latestFire.floor, locale)}
              {latestFire.pointLabel ? ` · ${latestFire.pointLabel}` : ''} · {formatTime(latestFire.openedAt, locale, 'time')} ·{' '}
              <span data-testid="latest-fire-state">
                {latestFire.verdict ? t(`verdict.${latestFire.verdict}`) : t(`state.${latestFire.state}`)}
              </span>
            </div>
          </>
        )}
      </div>
      {!audioReady && !muted && <div className="wall-sound-hint">{t('wall.soundHint')}</div>}
      {!sessionKept && (
        <div className="wall-session-warning" role="alert" data-testid="session-not-kept">
          {t('wall.sessionNotKept')}
        </div>
      )}
    </div>
  );
}
