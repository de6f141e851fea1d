// /wall: the command center's wall display. Full screen, large type, no interaction needed:
// flies to and pulses each new fire alarm with an audible alert, returns to the city
// overview after a dwell and tours the unacknowledged fires (WallTour), shows counters, a
// legend and a ticker of alarm news, a "reconnecting" banner while the stream is down, and a
// banner when the account has no jurisdiction (it would otherwise look like a quiet city).
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { keepSessionAlive } from '../api/session.ts';
import { AlertSound, unlockOnGesture } from '../audio/alert.ts';
import { useI18n } from '../lib/i18n-react.tsx';
import { formatFloor, formatNumber, formatPercent, formatTime, translateDynamic } from '../lib/i18n.ts';
import { navigate } from '../lib/router-react.tsx';
import { useSession } from '../lib/session-react.tsx';
import { loadUnits } from '../live/units-loader.ts';
import { useLive } from '../live/use-live.ts';
import { CommandMap, type CommandMapHandle } from '../map/command-map.tsx';
import { webglRenderer } from '../map/renderer.ts';
import type { RegionRate } from '../model/region-rate.ts';
import type { AlarmView } from '../model/alarm.ts';
import { priorityColor, priorityShape } from '../model/colors.ts';
import { connectionRate, countAlarms } from '../model/counters.ts';
import type { UnitInput } from '../model/unit-store.ts';
import { WallTour, type TourTarget } from '../model/wall-tour.ts';
import { StormPanel } from './storm/storm-panel.tsx';
import { MapSymbol, SpeakerIcon, WallLegend } from './wall-parts.tsx';
import { ws } from './wall-strings.ts';
import { SyntheticBadge } from './synthetic-badge.tsx';
import './wall.css';

/** Ticker rows rendered (the ring holds more; the panel clips what does not fit). */
const TICKER_ROWS = 18;
/** Street zoom the camera flies to for a fire. */
const FIRE_ZOOM = 15.5;
/** Flight to a fire and back to the overview (ms), where WebGL has a GPU. */
const FIRE_FLIGHT_MS = 2500;
const OVERVIEW_FLIGHT_MS = 2500;
/**
 * With software WebGL (no GPU driver) the camera cuts instead of flying: a flight's frames
 * repaint and composite the full screen on the CPU, a few frames a second for the flight's
 * 2.5 s (bench:wall: ~2 frames/s in flight against ~45 at rest), which reads as a stutter
 * rather than a flight and took a quarter of the wall's seconds. A cut costs the frames that
 * draw the new tiles as they arrive.
 */
const cutInsteadOfFlying = () => webglRenderer().software;
/**
 * The same machines get still pulse rings (wall.css .still-rings): each step of an animated
 * ring is a page commit, and each commit reads the WebGL canvases back for the compositor.
 */
const stillRings = () => webglRenderer().software;
/** Fires labelled with their unit's name on the map (the newest unacknowledged). */
const MAX_FIRE_LABELS = 30;
/**
 * Unit colours and alarm dots on the wall are redrawn at most once a second (a new fire at
 * once, and its pulse marker at once): 100,000 units cost ~150 ms a redraw without a GPU.
 */
const WALL_REDRAW_EVERY_MS = 1000;
/**
 * Counters and ticker take the stream's changes at most this often (a new fire at once; the
 * clock's tick brings the last change within a second). The stream re-renders the page up to
 * 5 times a second; every changed text in the side panels is a layout of CJK text and a
 * repaint the compositor has to blend over the map, on the CPU without a GPU.
 */
const PANEL_EVERY_MS = 500;
/**
 * Both map canvases draw at half resolution while the camera flies (a quarter of the
 * pixels): without a GPU a fly-to otherwise repaints and composites two full-screen
 * canvases on the CPU every frame. Full resolution where the camera comes to rest.
 */
const FLIGHT_RESOLUTION = 0.5;
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

/** The overview keeps the units clear of the side panels (counters and legend left, ticker right; see wall.css). */
function overviewPadding(): { top: number; bottom: number; left: number; right: number } {
  const small = window.innerHeight <= 900;
  const ticker = Math.min(480, Math.max(360, 0.24 * window.innerWidth));
  return { top: 100, bottom: small ? 60 : 150, left: (small ? 340 : 380) + 48, right: ticker + 48 };
}

/** Unacknowledged fires, newest first: the camera's round and the map labels. */
function unhandledFires(alarms: readonly AlarmView[]): AlarmView[] {
  return alarms
    .filter((a) => a.kind === 'fire' && a.state === 'open' && a.lonWgs84 !== null && a.latWgs84 !== null)
    .sort((x, y) => (x.openedAt < y.openedAt ? 1 : x.openedAt > y.openedAt ? -1 : y.id - x.id));
}

export function WallView() {
  const { t, locale, setLocale } = useI18n();
  const { me } = useSession();
  // A role with a jurisdiction (regions or units) but none assigned sees nothing at all.
  const noJurisdiction = !!me && ((me.scope.kind === 'regions' && me.scope.adcodes.length === 0) || (me.scope.kind === 'units' && me.scope.unitIds.length === 0));
  const mapRef = useRef<CommandMapHandle>(null);
  const sound = useMemo(() => new AlertSound(), []);
  const [muted, setMuted] = useState(false);
  const [audioReady, setAudioReady] = useState(false);
  const [rates, setRates] = useState<{ map: Map<number, RegionRate>; version: number }>({ map: new Map(), version: 0 });
  const [unitsLoaded, setUnitsLoaded] = useState(0);
  const now = useClock();
  const tour = useMemo(() => new WallTour(Date.now()), []);
  /** The city overview: the units' bounding box once loaded. */
  const overview = useRef<[number, number, number, number] | null>(null);
  const [focus, setFocus] = useState<number | null>(null);

  const moveTo = useCallback((target: TourTarget | null, fires: readonly AlarmView[]) => {
    if (!target) return;
    if (target.kind === 'overview') {
      if (overview.current) mapRef.current?.fitBounds(overview.current, cutInsteadOfFlying() ? 0 : OVERVIEW_FLIGHT_MS, overviewPadding());
      setFocus(null);
      return;
    }
    const f = fires.find((a) => a.id === target.alarmId);
    if (f && f.lonWgs84 !== null && f.latWgs84 !== null) mapRef.current?.flyTo([f.lonWgs84, f.latWgs84], FIRE_ZOOM, cutInsteadOfFlying() ? 0 : FIRE_FLIGHT_MS);
    setFocus(target.alarmId);
  }, []);

  const onNewFires = useCallback(
    (fires: AlarmView[]) => {
      sound.fire();
      const located = fires.filter((a) => a.lonWgs84 !== null && a.latWgs84 !== null);
      const f = located[located.length - 1];
      if (f) moveTo(tour.newFire(Date.now(), f.id), located);
    },
    [sound, tour, moveTo],
  );
  const live = useLive({ onNewFires });
  // Until the first snapshot, zero counters would read as an all-clear: show "—" instead.
  const blank = noJurisdiction || !live.state.synced;
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
          overview.current = [w, s, e, n];
          // Unless the camera is on a fire already, start on the overview.
          if (tour.current === null) mapRef.current?.fitBounds([w, s, e, n], 0, overviewPadding());
        }
      })
      .catch((err) => console.warn(`units not loaded: ${(err as Error).message}`));
    return () => ac.abort();
  }, [units, tour]);

  useEffect(() => {
    sound.muted = muted;
  }, [muted, sound]);

  // An unattended display: keep its session alive for as long as the page is open, and say
  // so on screen when the server will not (a session not opened for the wall).
  const [sessionKept, setSessionKept] = useState(true);
  useEffect(() => keepSessionAlive(setSessionKept), []);

  // Any click or key unlocks audio (browsers' autoplay policy).
  useEffect(() => unlockOnGesture(sound, setAudioReady), [sound]);

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
        focus: tour.current,
        /** WebGL drawn in software (renderer.ts): the wall cuts instead of flying and its rings stand still. */
        softwareWebgl: webglRenderer().software,
      }),
      /** Located alarms on the map (id and WGS84 position), for the ring-position test. */
      alarms: () => state.queue.list().filter((a) => a.lonWgs84 !== null).map((a) => ({ id: a.id, lonWgs84: a.lonWgs84!, latWgs84: a.latWgs84!, priority: a.priority })),
      /** Holds the camera still (tests that compare screen positions). */
      setTourPaused: (paused: boolean) => {
        tour.paused = paused;
      },
      injectUnits: (list: UnitInput[]) => {
        units.setUnits(list);
        setUnitsLoaded((v) => v + 1);
      },
    };
    (window as unknown as { __firelinkWall?: typeof hook }).__firelinkWall = hook;
  });

  const alarms = state.queue.list();
  const storms = useMemo(() => state.storms(), [state, state.stormsVersion]);
  const latestFire = useMemo(() => {
    let best: AlarmView | null = null;
    for (const a of alarms) {
      if (a.kind !== 'fire') continue;
      if (!best || a.openedAt > best.openedAt) best = a;
    }
    return best;
  }, [alarms]);
  // What the side panels show: the stream's state sampled at most every PANEL_EVERY_MS, at
  // once for a new fire. Read during render (no extra render, no timer): the clock's
  // once-a-second render brings a change that came in a quiet spell.
  const panel = useRef({ at: -Infinity, fire: null as number | null, alarms, tickerVersion: live.tickerVersion, unitsVersion: live.unitsVersion });
  {
    const at = performance.now();
    const p = panel.current;
    const fire = latestFire?.id ?? null;
    if ((at - p.at >= PANEL_EVERY_MS || fire !== p.fire) && (p.alarms !== alarms || p.tickerVersion !== live.tickerVersion || p.unitsVersion !== live.unitsVersion)) {
      panel.current = { at, fire, alarms, tickerVersion: live.tickerVersion, unitsVersion: live.unitsVersion };
    }
  }
  const panelAlarms = panel.current.alarms;
  const counters = useMemo(() => countAlarms(panelAlarms), [panelAlarms]);
  const unhandled = useMemo(() => unhandledFires(alarms), [alarms]);
  // One label per unit (two fires of one building read as one name twice otherwise).
  const labelled = useMemo(() => {
    const seen = new Set<number | null>();
    return unhandled.filter((a) => (a.unitId === null || !seen.has(a.unitId)) && !!seen.add(a.unitId)).slice(0, MAX_FIRE_LABELS);
  }, [unhandled]);

  // The camera's round: once a second, back to the overview after a dwell, on to the next
  // unacknowledged fire after the overview's dwell.
  const unhandledRef = useRef(unhandled);
  unhandledRef.current = unhandled;
  useEffect(() => {
    const list = unhandledRef.current;
    moveTo(tour.tick(now, list.map((a) => a.id)), list);
  }, [now, tour, moveTo]);
  const unitCounts = useMemo(() => units.counts(), [units, panel.current.unitsVersion, unitsLoaded]);
  const rate = connectionRate(unitCounts.openWithControlRoom, unitCounts.withControlRoom);
  const ticker = useMemo(() => state.alarmLog.newestFirst(TICKER_ROWS), [state, panel.current.tickerVersion]);

  const reconnectingFor = Math.max(0, Math.round((now - connection.since) / 1000));
  const down = connection.status === 'reconnecting' || (connection.status === 'connecting' && connection.attempt > 0);

  return (
    <div className={stillRings() ? 'wall still-rings' : 'wall'} data-testid="wall">
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
        labelAlarms={labelled}
        labelAvoid=".wall-header h1, .wall-header .clock, .wall-header button, .wall-header .conn, .wall-side, .wall-ticker, .wall-fire, .wall-notices > *, .wall-sound-hint, .synthetic-badge"
        unitLod
        motionResolution={FLIGHT_RESOLUTION}
        fadeDurationMs={cutInsteadOfFlying() ? 0 : undefined}
      />
      {down && (
        <div className="banner-reconnecting" role="status" data-testid="reconnecting">
          {t('conn.reconnecting', { seconds: reconnectingFor })}
        </div>
      )}
      <div className="wall-header">
        <h1>{t('wall.title')}</h1>
        <span className="clock" data-testid="clock">{formatTime(now, locale, 'datetime')}</span>
        <SyntheticBadge />
        <span className="spacer" />
        <span className={`conn ${connection.status}${noJurisdiction ? ' no-jurisdiction' : ''}`} data-testid="conn-status">
          {noJurisdiction
            ? ws(locale, 'noJurisdiction.short')
            : t(connection.status === 'live' ? 'conn.live' : connection.status === 'stopped' ? 'conn.stopped' : 'conn.connecting')}
        </span>
        <button type="button" className="mute" onClick={() => setMuted((m) => !m)} data-testid="mute" aria-pressed={muted}>
          <SpeakerIcon muted={muted} />
          {muted ? ws(locale, 'mute.off') : ws(locale, 'mute.on')}
        </button>
        <button type="button" onClick={() => setLocale(locale === 'zh-CN' ? 'en' : 'zh-CN')}>{t('nav.language')}</button>
      </div>
      <div className="wall-side">
        <div className="wall-counters" data-testid="counters">
          <div className={`counter fire wide ${counters.unacknowledgedFires > 0 ? 'active' : ''}`} data-testid="counter-fire">
            <div className="label">{ws(locale, 'counter.unackFires')}</div>
            <div className="value">{blank ? '—' : counters.unacknowledgedFires}</div>
            <div className="sub">
              {ws(locale, 'counter.openFires')} <span data-testid="counter-fire-open">{blank ? '—' : (counters.openByKind.fire ?? 0)}</span>
            </div>
          </div>
          <div className="counter">
            <div className="label">{t('counter.unitsOnline')}</div>
            <div className="value" data-testid="counter-online">{blank ? '—' : formatNumber(unitCounts.online, locale)}</div>
          </div>
          <div className="counter">
            <div className="label">{t('counter.connectionRate')}</div>
            <div className="value">{blank ? '—' : formatPercent(rate, locale, 0)}</div>
          </div>
          {(['host_offline', 'off_duty', 'fault', 'supervisory'] as const).map((k, i) => (
            <div key={k} className={`counter ${k}`} data-testid={`counter-${k}`}>
              <div className="label">
                <MapSymbol shape={priorityShape(i + 2)} color={priorityColor(i + 2)} size={14} />
                {t(`counter.${k}`)}
              </div>
              <div className="value">{blank ? '—' : (counters.openByKind[k] ?? 0)}</div>
            </div>
          ))}
          <div className="counter wide">
            <div className="label">{t('counter.openAlarms')}</div>
            <div className="value" data-testid="counter-open">{blank ? '—' : counters.openTotal}</div>
          </div>
        </div>
        <WallLegend locale={locale} stillRings={stillRings()} />
      </div>
      <aside className="wall-ticker">
        <StormPanel live={storms} hideWhenNone />
        <h2>{ws(locale, 'ticker.title')}</h2>
        <ul data-testid="ticker">
          {ticker.length === 0 && <li className="empty">{noJurisdiction ? ws(locale, 'noJurisdiction.short') : ws(locale, 'ticker.empty')}</li>}
          {ticker.map((e) => (
            <li key={e.id} className={e.change === 'opened' ? `opened p${e.priority}` : ''} data-change={e.change}>
              <span className="t">{formatTime(e.at, locale, 'time')}</span>
              <span className="k">
                <MapSymbol shape={priorityShape(e.priority)} color={priorityColor(e.priority)} size={18} outline="#fff" />
                <span className={`p${e.priority}`}>{translateDynamic(locale, 'kind', e.kind)}</span>
                <span className="change">
                  {e.change === 'verified' && e.verdict ? t(`verdict.${e.verdict}`) : ws(locale, `change.${e.change}`)}
                </span>
              </span>
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
        <div className="title">
          {latestFire ? t('wall.latestFire') : noJurisdiction ? ws(locale, 'noJurisdiction.panel') : blank ? t('conn.connecting') : t('wall.noFire')}
          {unhandled.length > 0 && (
            <span className="focus" data-testid="tour-focus">
              {focus !== null && unhandled.some((a) => a.id === focus)
                ? ws(locale, 'focus.fire', { i: unhandled.findIndex((a) => a.id === focus) + 1, n: unhandled.length })
                : ws(locale, 'focus.overview')}
            </span>
          )}
        </div>
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
      {/* Notices float over the map between the left column and the ticker, under the header:
          they never cover the title, the counters or the ticker's heading. */}
      {(noJurisdiction || !sessionKept) && (
        <div className="wall-notices">
          {noJurisdiction && (
            <div className="wall-no-jurisdiction" role="alert" data-testid="no-jurisdiction">
              <div className="title">{ws(locale, 'noJurisdiction.title')}</div>
              <div className="body">{ws(locale, 'noJurisdiction.body', { user: me?.displayName || me?.username || '' })}</div>
            </div>
          )}
          {!sessionKept && (
            <div className="wall-session-warning" role="alert" data-testid="session-not-kept">
              <span>{t('wall.sessionNotKept')}</span>
              <button type="button" className="primary" onClick={() => navigate('/login?next=%2Fwall')} data-testid="session-relogin">
                {t('wall.sessionRelogin')}
              </button>
            </div>
          )}
        </div>
      )}
    </div>
  );
}
