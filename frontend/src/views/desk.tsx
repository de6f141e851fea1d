// /desk: the monitoring-center operator's alarm desk. Live queue sorted by priority and
// age, keyboard shortcuts, alarm detail (unit, floor, point, phone, timeline, nearest
// stations with ETA) and the alarm kind's procedure: only the steps valid for its kind and
// stage, each with a note (views/desk/procedure-panel.tsx).
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import {
  ALARM_KINDS,
  alarmDtoSchema,
  availableSteps,
  causeLabel,
  CALL_OUTCOMES,
  procedureFor,
  stageOf,
  unitDetailSchema,
  type AlarmDetail,
  type AlarmStep,
  type AlarmStepBody,
  type ProcedureStepId,
  type UnitDetail,
  unitDistrictsSchema,
  dispatchRecordSchema,
  type DispatchRecordDto,
} from '@firelink/common';
import { z } from 'zod';
import { AlertSound, unlockOnGesture } from '../audio/alert.ts';
import { getAlarmDetail, heatCells, nearestWaterForAlarm, suggestStations, takeStep, type HeatMetric, type NearestWater, type Suggestion } from '../api/alarms.ts';
import { ApiError, api } from '../api/http.ts';
import { useI18n } from '../lib/i18n-react.tsx';
import { defineMessages, eventKindName, formatAgo, formatFloor, formatTime, type Locale } from '../lib/i18n.ts';
import { openUnitFinder } from '../lib/open-finder.ts';
import { Link, navigate } from '../lib/router-react.tsx';
import { useSession } from '../lib/session-react.tsx';
import { mayActOnAlarms, accessText, roleName } from '../lib/view-access.ts';
import { loadUnits } from '../live/units-loader.ts';
import { useLive } from '../live/use-live.ts';
import { CommandMap, type CommandMapHandle } from '../map/command-map.tsx';
import type { AlarmView } from '../model/alarm.ts';
import type { UnitInput } from '../model/unit-store.ts';
import { moveSelection } from '../model/alarm-queue.ts';
import { ProcedurePanel } from './desk/procedure-panel.tsx';
import { StormPanel } from './storm/storm-panel.tsx';
import { deskText, type DeskTextKey } from './desk/strings.ts';
import { stationLabels } from './desk/station-labels.ts';
import './desk/queue.css';
import { errorText } from '../lib/errors.ts';

/** The desk's own strings beyond desk/strings.ts (queue filter, dispatches, 119). */
const dx = defineMessages(
  {
    'filter.all': '全部',
    'fires.waiting': '共 {n} 起火警待确认',
    'fires.oldest': '最早待确认火警：{unit}（{at} 起）',
    'more': '显示更多（还有 {n} 条）',
    'station.unnamed': '未命名消防站',
    'unit.unnamed': '未命名单位',
    'filter.label': '按类型筛选',
    'cleared': '已恢复',
    'dispatches': '已派出的消防站',
    'dispatch.out': '出动中',
    'dispatch.released': '已归队 {at}',
    'dispatch.release': '归队',
    'dispatch.eta': '预计 {n} 分钟',
    'forward.title': '转 119',
    'forward.pending': '待发送（第 {n} 次尝试）',
    'forward.sent': '已送达 119 · {at}',
    'forward.failed': '发送失败（已尝试 {n} 次），请电话联系 119',
    'forward.none': '核实为真实火警后自动转 119',
    'forward.notConfigured': '本系统未配置 119 自动转报，不会自动发送：请立即电话拨打 119 报警',
    'forward.noneOff': '本系统未配置 119 自动转报：核实为真实火警后请电话拨打 119',
    'forward.rowOff': '未发送：未配置 119 转报',
    'you': '{name}（本人）',
    'stations.sent': '派往 {names}',
    'reason': '离线原因',
    'reason.silent': '超时未收到数据（通信中断或设备关机）',
    'reason.power': '传输装置主电和备电均故障（传输装置断电）',
    'reason.line_fault': '传输装置与控制器之间线路故障（控制器关机或线路断开）',
    'reason.panel_power': '控制器主电和备电均故障（控制器断电）',
    'reason.other': '其他原因',
    'water': '最近可用水源',
    'water.none': '附近没有可用水源',
    'water.failed': '水源未能读取',
    'water.road': '沿道路 {km} 公里',
    'water.straight': '直线 {km} 公里（不在路网上）',
    'water.flow': '{n} 升/秒',
    'water.capacity': '{n} 立方米',
    'water.hydrant': '消火栓',
    'water.pool': '消防水池',
    'water.natural': '天然水源',
  },
  {
    'filter.all': 'All',
    'fires.waiting': '{n} fires awaiting acknowledgement',
    'fires.oldest': 'Longest-waiting fire: {unit} (since {at})',
    'more': 'Show more ({n} left)',
    'station.unnamed': 'Unnamed station',
    'unit.unnamed': 'Unnamed unit',
    'filter.label': 'Filter by kind',
    'cleared': 'Cleared',
    'dispatches': 'Stations dispatched',
    'dispatch.out': 'Out',
    'dispatch.released': 'Back {at}',
    'dispatch.release': 'Release',
    'dispatch.eta': 'ETA {n} min',
    'forward.title': 'Forward to 119',
    'forward.pending': 'Pending (attempt {n})',
    'forward.sent': 'Delivered to 119 · {at}',
    'forward.failed': 'Failed after {n} attempts: call 119 by phone',
    'forward.none': 'Forwarded to 119 automatically once verified as a real fire',
    'forward.notConfigured': 'Forwarding to 119 is not configured on this system, nothing is sent: call 119 by phone now',
    'forward.noneOff': 'Forwarding to 119 is not configured: once verified as a real fire, call 119 by phone',
    'forward.rowOff': 'Not sent: forwarding to 119 is not configured',
    'you': '{name} (you)',
    'stations.sent': 'to {names}',
    'reason': 'Offline because',
    'reason.silent': 'No data within the allowed time (link down or device switched off)',
    'reason.power': 'The transmission unit lost mains and backup power',
    'reason.line_fault': 'Line between transmission unit and panel failed (panel off or cable cut)',
    'reason.panel_power': 'The fire alarm panel lost mains and backup power',
    'reason.other': 'Other reason',
    'water': 'Nearest usable water',
    'water.none': 'No usable water source nearby',
    'water.failed': 'Water sources could not be read',
    'water.road': '{km} km by road',
    'water.straight': '{km} km straight (off the road network)',
    'water.flow': '{n} L/s',
    'water.capacity': '{n} m³',
    'water.hydrant': 'Hydrant',
    'water.pool': 'Fire pool',
    'water.natural': 'Natural source',
  },
);

const OFFLINE_REASONS = ['silent', 'power', 'line_fault', 'panel_power'] as const;
/** A host-offline reason in words (an unknown code reads "other reason", never the raw code). */
function offlineReasonText(locale: Locale, reason: string): string {
  return dx(locale, (OFFLINE_REASONS as readonly string[]).includes(reason) ? (`reason.${reason}` as 'reason.silent') : 'reason.other');
}

const dispatchListSchema = z.object({ dispatches: z.array(dispatchRecordSchema) });

/** A timeline line for a step: its name, who, what it recorded (translated) and the note. */
function stepText(
  s: AlarmStep,
  kind: string,
  locale: Locale,
  verdictName: (v: string) => string,
  ctx: { me: { username: string; displayName: string } | null; stationName: (id: number) => string | null },
): string {
  const parts = [eventKindName(locale, `step:${s.step}`)];
  const system = s.actorName === 'system';
  if (s.actorName) parts.push(system ? deskText(locale, 'system') : ctx.me && s.actorName === ctx.me.username ? dx(locale, 'you', { name: ctx.me.displayName }) : s.actorName);
  const d = (s.detail ?? {}) as { verdict?: string; cause?: string; deadlineAt?: string; stationIds?: number[]; call?: { number: string; answeredBy?: string; outcome: string; durationS: number } };
  const tx = (k: DeskTextKey, p?: Record<string, string | number>) => deskText(locale, k, p);
  if (d.verdict) parts.push(tx('detail.verdict', { v: verdictName(d.verdict) }));
  if (d.cause) parts.push(tx('detail.cause', { v: causeLabel(kind, d.cause, locale) }));
  if (d.deadlineAt) parts.push(tx('detail.deadline', { v: formatTime(d.deadlineAt, locale, 'minute') }));
  if (d.call) {
    const o = CALL_OUTCOMES.find((x) => x.code === d.call!.outcome);
    parts.push(
      tx('detail.call', { number: d.call.number, who: d.call.answeredBy || tx('nobody'), outcome: o ? (locale === 'en' ? o.en : o.zh) : d.call.outcome, seconds: d.call.durationS }),
    );
  }
  if (d.stationIds?.length) {
    const names = d.stationIds.map((id) => ctx.stationName(id));
    parts.push(names.every((n) => n !== null) ? dx(locale, 'stations.sent', { names: names.join(locale === 'en' ? ', ' : '、') }) : tx('detail.stations', { n: d.stationIds.length }));
  }
  // The pipeline's own notes (event ids, delivery errors, timeouts) are technical English:
  // shown on the English screen only.
  if (s.note && (!system || locale === 'en')) parts.push(s.note);
  return parts.join(' · ');
}
/** Queue rows rendered at first and added by "more". */
const QUEUE_PAGE = 150;
/** The desk map's city view (the demo city, Nanjing). */
const DESK_CENTER: [number, number] = [118.78, 32.05];
const DESK_ZOOM = 11;
/**
 * While the map moves, with 5,000 units or more below street zoom, the units are grid cells
 * (every unit its own clickable point again where the map comes to rest), and the map draws
 * at half resolution, in a drag and a wheel zoom as in a fly-to (MapController.motionResolution,
 * gestureResolution). deck.gl draws into the basemap's canvas (interleaved). Without a GPU
 * every frame of a drag is rasterised on the CPU and each canvas read back before it is
 * composited (the page's main thread waits for that, ~870 ms of every second in a trace of a
 * drag with two full-resolution canvases): 100,000 points cost ~150 ms a frame there (README,
 * the wall's figures), ~1,500 cells far less, and a quarter of the pixels in one canvas less again.
 */
const DESK_MOTION_RESOLUTION = 0.5;
/** The same city as a box, flown back to with the camera upright. */
const DESK_CITY: [number, number, number, number] = [118.62, 31.93, 118.94, 32.17];
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
  const { me } = useSession();
  // A supervisor reads the desk; only operators and dispatchers take steps (no button that
  // would end in 403).
  const canAct = mayActOnAlarms(me?.role);
  // A fire that arrives while the operator works: the siren (unlocked by the first click or
  // key, as browsers require) and a banner above the queue (it pushes the rows down, never
  // covers them) until it is clicked or no fire waits for acknowledgement.
  const sound = useMemo(() => new AlertSound(), []);
  const [fireArrived, setFireArrived] = useState(false);
  const onNewFires = useCallback(() => {
    sound.fire();
    setFireArrived(true);
  }, [sound]);
  useEffect(() => unlockOnGesture(sound), [sound]);
  const live = useLive({ onNewFires });
  const mapRef = useRef<CommandMapHandle>(null);
  const alarms = live.state.queue.list();
  // The banner names the queue's top unacknowledged fire (unacknowledged fires are newest
  // first), never another one: the fire it names is the row right under it.
  const topOpenFire = useMemo(() => alarms.find((x) => x.kind === 'fire' && x.state === 'open') ?? null, [alarms]);
  // How many fires wait for acknowledgement, and the longest-waiting one: unacknowledged fires
  // are newest first, so it sinks as others arrive, and the queue's head names it (a
  // walk-through found it at row 104 of 104 in a storm).
  const { openFires, oldestOpenFire } = useMemo(() => {
    let n = 0;
    let oldest: (typeof alarms)[number] | null = null;
    for (const x of alarms) {
      if (x.kind !== 'fire' || x.state !== 'open') continue;
      n++;
      if (!oldest || x.openedAt < oldest.openedAt) oldest = x;
    }
    return { openFires: n, oldestOpenFire: oldest };
  }, [alarms]);
  // A desk opened while fires wait for acknowledgement announces them as well: the banner at
  // once and the siren (it sounds with the first click or key that unlocks audio). Later
  // snapshots (reconnects) announce only fires that are new to the queue (LiveState).
  const announcedAtLoad = useRef(false);
  const synced = live.state.synced;
  useEffect(() => {
    if (announcedAtLoad.current || !synced) return;
    announcedAtLoad.current = true;
    if (topOpenFire) {
      setFireArrived(true);
      sound.fire();
    }
  }, [synced, topOpenFire, sound]);
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
  // Benchmark hook (bench:wall --desk): synthetic units on the map, as the wall's injectUnits.
  useEffect(() => {
    (window as unknown as { __firelinkDesk?: unknown }).__firelinkDesk = {
      units: () => live.units.length,
      injectUnits: (list: UnitInput[]) => {
        live.units.setUnits(list);
        setUnitsLoaded((v) => v + 1);
      },
    };
  }, [live.units]);
  const now = useNow(5000);
  const selected = alarmId;
  // Kind filter of the queue (null: every kind) and the per-kind counts on its buttons.
  const [kindFilter, setKindFilter] = useState<string | null>(null);
  const kindCounts = useMemo(() => {
    const c: Record<string, number> = {};
    for (const x of alarms) c[x.kind] = (c[x.kind] ?? 0) + 1;
    return c;
  }, [alarms]);
  const shown = useMemo(() => (kindFilter ? alarms.filter((x) => x.kind === kindFilter) : alarms), [alarms, kindFilter]);
  // Rows rendered: the most urgent QUEUE_PAGE, more on request, always down to the selected
  // one (J/K). Hundreds of rows re-rendered with every stream change slowed the desk down.
  const [rowLimit, setRowLimit] = useState(QUEUE_PAGE);
  const selectedIndex = useMemo(() => (alarmId === null ? -1 : shown.findIndex((x) => x.id === alarmId)), [shown, alarmId]);
  const rowsShown = Math.max(rowLimit, selectedIndex + 20);
  // District names (the caller's jurisdiction) to tell apart stations of the same name.
  const [districts, setDistricts] = useState<Map<number, string>>(new Map());
  useEffect(() => {
    const ac = new AbortController();
    api('/api/units/districts', unitDistrictsSchema, { signal: ac.signal })
      .then((r) => setDistricts(new Map(r.districts.map((d) => [d.adcode, locale === 'en' && d.nameEn ? d.nameEn : d.name]))))
      .catch(() => {});
    return () => ac.abort();
  }, [locale]);
  const select = useCallback((id: number | null) => navigate(id === null ? '/desk' : `/desk/${id}`, { replace: true }), []);
  /** Opens a fire named in the queue's head; its row shows in the list too: a filter on another kind is lifted. */
  const openFire = (id: number) => {
    if (kindFilter !== null && kindFilter !== 'fire') setKindFilter(null);
    select(id);
  };
  // Alarm storms from the stream (the panel merges them with its own polled list).
  const storms = useMemo(() => live.state.storms(), [live.state, live.state.stormsVersion]);
  // A click on a unit or alarm on the map selects that unit's most urgent alarm in the queue;
  // a unit without one opens in the finder.
  const onUnitClick = useCallback(
    (unitId: number) => {
      const a = live.state.queue.list().find((x) => x.unitId === unitId);
      if (a) select(a.id);
      else openUnitFinder({ unitId });
    },
    [live.state.queue, select],
  );

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
      .catch((err) => setError(errorText(locale, err)));
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
        if (!ac.signal.aborted) setError(errorText(locale, err));
      });
    return () => ac.abort();
  }, [selected, liveAlarm?.version]);

  const a = detail?.alarm;
  // This server sends nothing to 119 (no endpoint configured): the operator phones 119.
  const forwardOff = detail?.forward119Configured === false;
  // Nearest stations and routes only where the kind's procedure can dispatch (fire): a host
  // offline, off-duty, fault or supervisory alarm sends nobody.
  const canDispatch = !!a && !!procedureFor(a.kind)?.steps.some((s) => s.step === 'dispatch');
  const lonLat = a?.lonLatWgs84 ?? null;
  const dispatchAt = canDispatch ? lonLat : null;
  useEffect(() => {
    if (lonLat) mapRef.current?.flyTo([lonLat[0], lonLat[1]], 15.5);
  }, [lonLat?.[0], lonLat?.[1]]);
  // No alarm selected (Esc): back to the city.
  const wasSelected = useRef(false);
  useEffect(() => {
    if (selected === null && wasSelected.current) mapRef.current?.fitBounds(DESK_CITY, 1500);
    wasSelected.current = selected !== null;
  }, [selected]);

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
    if (!dispatchAt) return;
    const ac = new AbortController();
    suggestStations([dispatchAt[0], dispatchAt[1]], 3, ac.signal)
      .then((list) => {
        setStations(list);
        // The camera takes in the alarm and the routes of its nearest stations (at street
        // zoom the stations were off screen): a jump, which also ends the fly-to. A second
        // flight kept a software-WebGL desk busy long enough to delay its own buttons.
        let w = dispatchAt[0], e = w, so = dispatchAt[1], n = so;
        for (const st of list) for (const [x, y] of st.pathWgs84 ?? []) {
          w = Math.min(w, x); e = Math.max(e, x); so = Math.min(so, y); n = Math.max(n, y);
        }
        if (e - w > 1e-5 || n - so > 1e-5) mapRef.current?.fitBounds([w, so, e, n], 0, { top: 70, bottom: 40, left: 40, right: 40 });
      })
      .catch(() => setStations(null));
    return () => ac.abort();
  }, [dispatchAt?.[0], dispatchAt?.[1]]);

  // Fire alarms: the 3 nearest usable water sources by road (null: loading; 'failed': not read).
  const [water, setWater] = useState<NearestWater[] | 'failed' | null>(null);
  const waterFor = a?.kind === 'fire' && a.lonLatWgs84 ? a.id : null;
  useEffect(() => {
    setWater(null);
    if (waterFor === null) return;
    const ac = new AbortController();
    nearestWaterForAlarm(waterFor, 3, ac.signal)
      .then(setWater)
      .catch(() => {
        if (!ac.signal.aborted) setWater('failed');
      });
    return () => ac.abort();
  }, [waterFor]);

  // Stations sent to this alarm (DISPATCH's records): who is out, who is back, and release.
  const [dispatches, setDispatches] = useState<DispatchRecordDto[]>([]);
  const [dispatchesVersion, setDispatchesVersion] = useState(0);
  useEffect(() => {
    setDispatches([]);
    if (selected === null || !canDispatch) return;
    const ac = new AbortController();
    api(`/api/dispatch/records?alarmId=${selected}`, dispatchListSchema, { signal: ac.signal })
      .then((r) => setDispatches(r.dispatches))
      .catch(() => {});
    return () => ac.abort();
  }, [selected, canDispatch, liveAlarm?.version, dispatchesVersion]);
  const release = useCallback(async (dispatchId: number) => {
    setBusy(true);
    setError(null);
    try {
      await api(`/api/dispatch/records/${dispatchId}/release`, null, { method: 'POST' });
      setDispatchesVersion((v) => v + 1);
    } catch (err) {
      setError(errorText(locale, err));
    } finally {
      setBusy(false);
    }
  }, [locale]);

  const act = useCallback(
    async (step: ProcedureStepId, body: Omit<AlarmStepBody, 'version'>): Promise<boolean> => {
      const cur = (selected !== null && live.state.queue.get(selected)) || (detail ? { version: detail.alarm.version, id: detail.alarm.id } : null);
      if (!cur || selected === null) return false;
      // The detail may be newer than the queue (our own step's reply came before the stream).
      const version = detail && detail.alarm.id === selected ? Math.max(detail.alarm.version, cur.version) : cur.version;
      setBusy(true);
      setError(null);
      try {
        const r = await takeStep(selected, step, { version, ...body });
        setDetail((d) => (d && d.alarm.id === r.alarm.id && d.alarm.version <= r.alarm.version ? { ...d, alarm: r.alarm } : d));
        if (step === 'dispatch') setDispatchesVersion((v) => v + 1);
        // Reload for the new step, call and 119 rows.
        getAlarmDetail(selected)
          .then((d) => setDetail((c) => (c && c.alarm.id === d.alarm.id && c.alarm.version > d.alarm.version ? { ...d, alarm: c.alarm } : d)))
          .catch(() => {});
        return true;
      } catch (err) {
        const body = err instanceof ApiError ? (err.body as { refusal?: string; current?: unknown } | null) : null;
        const current = alarmDtoSchema.safeParse(body?.current);
        if (current.success) setDetail((d) => (d && d.alarm.id === current.data.id ? { ...d, alarm: current.data } : d));
        const key = `refusal.${body?.refusal ?? 'failed'}` as DeskTextKey;
        const msg = deskText(locale, key);
        setError(msg === key ? deskText(locale, 'refusal.failed') : msg);
        return false;
      } finally {
        setBusy(false);
      }
    },
    [selected, detail, live.state, locale],
  );

  const canAck = canAct && !busy && !!a && availableSteps({ kind: a.kind, stage: stageOf(a), verdict: a.verdict, cleared: a.clearedAt != null }).some((r) => r.step === 'ack');

  // Keyboard: J/K or arrows move; A acknowledges; Esc deselects. The other steps need their form.
  // J/K move through the rows shown (the kind filter applies).
  const keyState = useRef({ alarms: shown, selected, canAck, act });
  keyState.current = { alarms: shown, selected, canAck, act };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target;
      if (t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement || e.ctrlKey || e.metaKey || e.altKey) return;
      const s = keyState.current;
      const k = e.key.toLowerCase();
      if (k === 'j' || e.key === 'ArrowDown') select(moveSelection(s.alarms, s.selected, 1));
      else if (k === 'k' || e.key === 'ArrowUp') select(moveSelection(s.alarms, s.selected, -1));
      else if (k === 'a' && s.canAck) void s.act('ack', {});
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
  const nearest: Array<Suggestion & { regionAdcode?: number | null }> | null = stations ?? detail?.nearestStations?.map((s) => ({ ...s, pathWgs84: null })) ?? null;
  const labels = useMemo(
    () => stationLabels([...(nearest ?? []), ...dispatches.map((d) => ({ stationId: d.stationId, name: d.stationName ?? dx(locale, 'station.unnamed') }))], districts, locale),
    [nearest, dispatches, districts, locale],
  );
  const stationName = (id: number): string | null => labels.get(id) ?? null;
  const meName = me ? { username: me.username, displayName: me.displayName } : null;
  const phone = unit?.controlRoomPhone ?? unit?.contacts.find((c) => c.role === 'control_room')?.phone ?? null;
  const building = unit?.building;

  return (
    <div className="desk" data-testid="desk">
      <section className="queue">
        {/* The head (title, new-fire banner, filter) stays put; only the rows below it scroll. */}
        <div className="queue-head">
          <h2>
            <span>{t('desk.queue')}</span>
            <span className={`conn ${live.connection.status}`} data-testid="conn-status">
              {live.connection.status === 'live' ? t('conn.live') : t('conn.connecting')}
            </span>
          </h2>
          {fireArrived && topOpenFire && (
            <button
              type="button"
              className="desk-new-fire"
              data-testid="desk-new-fire"
              data-alarm-id={topOpenFire.id}
              onClick={() => {
                openFire(topOpenFire.id);
                setFireArrived(false);
              }}
            >
              {t('desk.newFire', { unit: topOpenFire.unitName ?? '—' })}
              {openFires > 1 && <span className="more">{dx(locale, 'fires.waiting', { n: openFires })}</span>}
            </button>
          )}
          {openFires > 1 && oldestOpenFire && oldestOpenFire.id !== topOpenFire?.id && (
            <button
              type="button"
              className="desk-oldest-fire"
              data-testid="desk-oldest-fire"
              data-alarm-id={oldestOpenFire.id}
              onClick={() => openFire(oldestOpenFire.id)}
            >
              {dx(locale, 'fires.oldest', { unit: oldestOpenFire.unitName ?? '—', at: formatTime(oldestOpenFire.openedAt, locale, 'time') })}
            </button>
          )}
          {alarms.length > 0 && (
            <div className="queue-filter" role="group" aria-label={dx(locale, 'filter.label')} data-testid="queue-filter">
              <button type="button" className={kindFilter === null ? 'active' : ''} aria-pressed={kindFilter === null} onClick={() => setKindFilter(null)} data-testid="filter-all">
                {dx(locale, 'filter.all')} <b>{alarms.length}</b>
              </button>
              {ALARM_KINDS.filter((k) => (kindCounts[k] ?? 0) > 0).map((k) => (
                <button
                  key={k}
                  type="button"
                  className={`k-${k} ${kindFilter === k ? 'active' : ''}`}
                  aria-pressed={kindFilter === k}
                  onClick={() => setKindFilter(kindFilter === k ? null : k)}
                  data-testid={`filter-${k}`}
                >
                  {t(`kind.${k}` as 'kind.fire')} <b>{kindCounts[k]}</b>
                </button>
              ))}
            </div>
          )}
          {/* Storms in the head, a few lines high: eight storms pushed the first row off a 1280×800 screen. */}
          <StormPanel live={storms} onSelectAlarm={select} hideWhenNone />
        </div>
        <div className="queue-body">
          {alarms.length === 0 && <div className="hint">{t('desk.empty')}</div>}
          <div role="listbox" aria-label={t('desk.queue')} data-testid="queue">
            {shown.slice(0, rowsShown).map((x: AlarmView) => (
              <div
                key={x.id}
                role="option"
                aria-selected={x.id === selected}
                className={`queue-row ${x.id === selected ? 'selected' : ''} ${x.cleared ? 'cleared' : ''}`}
                onClick={() => select(x.id)}
                data-testid={`queue-row-${x.id}`}
                data-kind={x.kind}
                data-state={x.state}
              >
                <span className="bar" style={{ background: `var(--${x.kind === 'host_offline' ? 'offline' : x.kind === 'off_duty' ? 'offduty' : x.kind})` }} />
                <span className="name">
                  <span className={`tag k-${x.kind}`}>{t(`kind.${x.kind}` as 'kind.fire')}</span>
                  {x.escalated && <span className="tag esc">{t('desk.escalated')}</span>}
                  {x.cleared && <span className="tag cleared" data-testid="tag-cleared">{dx(locale, 'cleared')}</span>}
                  {x.unitName ?? dx(locale, 'unit.unnamed')}
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
          {shown.length > rowsShown && (
            <button type="button" className="queue-more" onClick={() => setRowLimit(rowsShown + QUEUE_PAGE)} data-testid="queue-more">
              {dx(locale, 'more', { n: shown.length - rowsShown })}
            </button>
          )}
        </div>
      </section>
      <section className="center">
        <CommandMap ref={mapRef} units={live.units} unitsVersion={live.units.version + unitsLoaded * 1_000_000} alarms={alarms} alarmsVersion={live.queueVersion} routes={routes} heat={heat} zoom={DESK_ZOOM} center={DESK_CENTER} redrawEveryMs={DESK_REDRAW_EVERY_MS} urgentKey={newestFireId} onUnitClick={onUnitClick} unitLod="moving" motionResolution={DESK_MOTION_RESOLUTION} gestureResolution interleaved />
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
                <dd>{building ? `${building.name ? `${building.name} · ` : ''}${t('unit.floorsAbove', { n: building.floorsAbove })}` : '—'}</dd>
                <dt>{t('desk.floor')}</dt>
                <dd>{formatFloor(a.floor, locale)}</dd>
                <dt>{t('desk.point')}</dt>
                <dd>{a.pointLabel ?? '—'}</dd>
                <dt>{t('desk.phone')}</dt>
                <dd>{phone ? <a href={`tel:${phone}`}>{phone}</a> : '—'}</dd>
                {a.kind === 'host_offline' && a.reason && (
                  <>
                    <dt>{dx(locale, 'reason')}</dt>
                    <dd data-testid="detail-reason" data-reason={a.reason}>{offlineReasonText(locale, a.reason)}</dd>
                  </>
                )}
                <dt>{t('desk.openedAt')}</dt>
                <dd>{formatTime(a.openedAt, locale)}</dd>
                <dt>{t('desk.events')}</dt>
                <dd>{a.eventCount}</dd>
              </dl>
            </section>
            {/* A true fire on a server without a 119 endpoint: said at the top, in plain words, until
                it is dispatched (the call to 119 is part of that step) or closed. */}
            {forwardOff && a.verdict === 'fire' && a.state !== 'dispatched' && a.state !== 'closed' && (
              <section className="forward-off" role="alert" data-testid="forward-not-configured">
                {dx(locale, 'forward.notConfigured')}
              </section>
            )}
            {canAct ? (
              <ProcedurePanel
                alarm={a}
                calls={detail?.calls ?? []}
                phone={phone}
                stations={nearest?.map((x) => ({ stationId: x.stationId, name: labels.get(x.stationId) ?? x.name })) ?? null}
                forward119Configured={!forwardOff}
                busy={busy}
                error={error}
                onStep={act}
              />
            ) : (
              <section className="read-only" data-testid="desk-read-only">
                {me ? accessText(locale, 'readOnly', { role: roleName(locale, me.role) }) : null}
              </section>
            )}
            {canDispatch && <section>
              <h3>{t('desk.nearest')}</h3>
              {!nearest || nearest.length === 0 ? (
                <div className="meta">{t('desk.noStations')}</div>
              ) : (
                <ul className="timeline stations">
                  {nearest.map((s) => (
                    <li key={s.stationId}>
                      <span>{labels.get(s.stationId) ?? s.name}</span>
                      <span>
                        {t('desk.eta')} {s.etaS !== null ? t('desk.etaMin', { n: Math.round(s.etaS / 60) }) : '—'}
                        {s.distanceMeters !== null ? ` · ${(s.distanceMeters / 1000).toFixed(1)} km` : ''}
                      </span>
                    </li>
                  ))}
                </ul>
              )}
            </section>}
            {waterFor !== null && (
              <section data-testid="water">
                <h3>{dx(locale, 'water')}</h3>
                {water === null ? (
                  <div className="meta">…</div>
                ) : water === 'failed' ? (
                  <div className="meta">{dx(locale, 'water.failed')}</div>
                ) : water.length === 0 ? (
                  <div className="meta">{dx(locale, 'water.none')}</div>
                ) : (
                  <ul className="timeline stations">
                    {water.map((w) => (
                      <li key={w.id} data-testid={`water-${w.id}`} data-method={w.method}>
                        <span>
                          {dx(locale, `water.${w.kind}`)}{w.name || w.address ? ` ${w.name ?? w.address}` : ''}
                          {w.flowLps !== null ? ` · ${dx(locale, 'water.flow', { n: w.flowLps })}` : w.capacityM3 !== null ? ` · ${dx(locale, 'water.capacity', { n: w.capacityM3 })}` : ''}
                        </span>
                        <span>{dx(locale, w.method === 'road' ? 'water.road' : 'water.straight', { km: (w.distanceMeters / 1000).toFixed(2) })}</span>
                      </li>
                    ))}
                  </ul>
                )}
              </section>
            )}
            {canDispatch && dispatches.length > 0 && (
              <section data-testid="dispatches">
                <h3>{dx(locale, 'dispatches')}</h3>
                <ul className="timeline stations">
                  {dispatches.map((d) => (
                    <li key={d.id} data-testid={`dispatch-${d.id}`} data-released={d.releasedAt ? '1' : '0'}>
                      <span>{labels.get(d.stationId) ?? d.stationName ?? dx(locale, 'station.unnamed')}</span>
                      <span>
                        {d.releasedAt ? (
                          dx(locale, 'dispatch.released', { at: formatTime(d.releasedAt, locale, 'time') })
                        ) : (
                          <>
                            {dx(locale, 'dispatch.out')}
                            {d.etaSeconds !== null ? ` · ${dx(locale, 'dispatch.eta', { n: Math.round(d.etaSeconds / 60) })}` : ''}
                            {canAct && (
                              <button type="button" className="small" disabled={busy} onClick={() => void release(d.id)} data-testid={`release-${d.id}`}>
                                {dx(locale, 'dispatch.release')}
                              </button>
                            )}
                          </>
                        )}
                      </span>
                    </li>
                  ))}
                </ul>
              </section>
            )}
            {a.kind === 'fire' && (
              <section data-testid="forwards" data-configured={forwardOff ? 'false' : 'true'}>
                <h3>{dx(locale, 'forward.title')}</h3>
                {(detail?.forwards ?? []).length === 0 ? (
                  a.verdict === 'fire' && forwardOff ? null : <div className="meta">{dx(locale, forwardOff ? 'forward.noneOff' : 'forward.none')}</div>
                ) : (
                  <ul className="timeline">
                    {detail!.forwards.map((f) => (
                      <li key={f.id} className={`forward ${f.status}`} data-testid={`forward-${f.status}`}>
                        <span className="t">{formatTime(f.createdAt, locale, 'time')}</span>
                        <span>
                          {f.status === 'sent'
                            ? dx(locale, 'forward.sent', { at: formatTime(f.sentAt, locale, 'time') })
                            : f.status === 'failed'
                              ? dx(locale, 'forward.failed', { n: f.attempts })
                              : f.status === 'not_configured'
                                ? dx(locale, 'forward.rowOff')
                                : dx(locale, 'forward.pending', { n: Math.max(1, f.attempts) })}
                        </span>
                      </li>
                    ))}
                  </ul>
                )}
              </section>
            )}
            <section>
              <h3>{t('desk.timeline')}</h3>
              <ul className="timeline" data-testid="timeline">
                {[
                  ...(detail?.steps ?? []).map((s) => ({ key: `s${s.id}`, at: s.at, text: stepText(s, a.kind, locale, (v) => t(`verdict.${v}` as 'verdict.fire'), { me: meName, stationName }) })),
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
        {/* Without a selection the hint above already lists the keys: printed once. */}
        {a && <section className="meta">
          <h3>{t('desk.shortcuts')}</h3>
          <div className="hint" style={{ padding: 0 }}>{deskText(locale, 'hint.keys')}</div>
        </section>}
      </section>
    </div>
  );
}
