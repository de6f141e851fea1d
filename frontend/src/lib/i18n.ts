// Strings and formats. zh-CN is the default; English is switchable and the choice is kept
// in localStorage. Every time on screen is shown in Asia/Shanghai, whatever the browser's
// own zone is (a wall PC set to UTC must still show Beijing time).

export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'zh-CN';
export const DISPLAY_TIME_ZONE = 'Asia/Shanghai';
export const LOCALE_STORAGE_KEY = 'firelink.locale';

const zh = {
  'app.title': 'FireLink 消防联网指挥',
  'app.synthetic': '演示数据（模拟，非真实单位）',
  'app.short': 'FireLink',
  'nav.wall': '大屏',
  'nav.desk': '接警台',
  'nav.analyst': '分析',
  'nav.onboarding': '联网接入',
  'nav.duty': '值班',
  'nav.supervise': '督办',
  'nav.station': '消防站',
  'nav.logout': '退出',
  'nav.language': 'English',
  'home.intro': '消防设施联网监测 · 指挥态势',
  'home.wall': '指挥大屏：实时火警、计数、事件滚动',
  'home.desk': '接警台：告警队列、确认、核实、派警',
  'home.analyst': '分析：故障率与误报率热力图、排名',
  'home.onboarding': '联网接入：单位建档与开通',
  'login.title': '登录',
  'login.username': '用户名',
  'login.password': '密码',
  'login.submit': '登录',
  'login.failed': '登录失败：{message}',
  'login.unavailable': '登录服务尚未就绪，请稍后再试。',
  'conn.connecting': '正在连接…',
  'conn.live': '实时',
  'conn.reconnecting': '网络中断，正在重新连接（{seconds} 秒）…',
  'conn.stopped': '已断开',
  'wall.title': '消防联网监测指挥大屏',
  'wall.mute': '静音',
  'wall.unmute': '开启声音',
  'wall.soundHint': '点击任意处启用报警声音',
  'wall.sessionNotKept': '本大屏的登录不会自动续期，到期后大屏将退出并停止显示。请以大屏方式重新登录。',
  'wall.sessionRelogin': '重新登录大屏',
  'wall.latestFire': '最新火警',
  'wall.noFire': '当前无未处置火警',
  'wall.ticker': '实时事件',
  'counter.unitsOnline': '在线单位',
  'counter.openAlarms': '未关闭告警',
  'counter.connectionRate': '联网接入率',
  'counter.fire': '火警',
  'counter.host_offline': '主机关机',
  'counter.off_duty': '值班脱岗',
  'counter.fault': '故障',
  'counter.supervisory': '监管',
  'desk.title': '接警台',
  'desk.queue': '告警队列',
  'desk.newFire': '新火警：{unit}（点击处理）',
  'desk.empty': '队列为空',
  'desk.selectHint': '选择一条告警查看详情（J/K 上下，A 确认接警，Esc 取消；其余步骤在右侧按处置流程填写提交）',
  'desk.shortcuts': '快捷键',
  'desk.unit': '单位',
  'desk.address': '地址',
  'desk.building': '建筑',
  'desk.floor': '楼层',
  'desk.point': '点位',
  'desk.phone': '消控室电话',
  'desk.openedAt': '报警时间',
  'desk.lastSeenAt': '最近',
  'desk.events': '事件数',
  'desk.timeline': '处置时间线',
  'desk.nearest': '最近消防站',
  'desk.eta': '预计到达',
  'desk.etaMin': '{n} 分钟',
  'desk.dispatchTo': '派往',
  'desk.noStations': '暂无派警建议',
  'desk.escalated': '已升级',
  'desk.actionFailed': '操作失败：{message}',
  'desk.openUnit': '查看单位',
  'desk.heatmap': 'H3 热力图（相对值）',
  'desk.heat.none': '关闭',
  'desk.heat.fault': '故障率',
  'desk.heat.false': '误报率',
  'action.ack': '确认',
  'action.verify': '核实',
  'action.verify.fire': '真实火警',
  'action.verify.false_alarm': '误报',
  'action.verify.test': '测试',
  'action.verify.fault': '故障',
  'action.dispatch': '派警',
  'action.close': '关闭',
  'kind.fire': '火警',
  'kind.host_offline': '主机关机',
  'kind.off_duty': '值班脱岗',
  'kind.fault': '故障',
  'kind.supervisory': '监管',
  'state.open': '待确认',
  'state.acknowledged': '已确认',
  'state.verified': '已核实',
  'state.dispatched': '已派警',
  'state.closed': '已关闭',
  'verdict.fire': '真实火警',
  'verdict.false_alarm': '误报',
  'verdict.test': '测试',
  'verdict.fault': '故障',
  'unitState.normal': '正常',
  'unitState.fault': '故障',
  'unitState.fire': '火警',
  'unitState.offline': '离线',
  'unitState.unopened': '未开通',
  'unit.title': '单位详情',
  'unit.notFound': '未找到该单位，或无权查看。',
  'unit.loading': '加载中…',
  'unit.category': '类别',
  'unit.onboarding': '接入状态',
  'unit.floors': '楼层',
  'unit.floorsAbove': '地上 {n} 层',
  'unit.floorsBelow': '地下 {n} 层',
  'unit.points': '点位',
  'unit.pointsByFloor': '分层点位',
  'unit.recentEvents': '近期事件',
  'unit.rates': '指标',
  'unit.faultRate': '故障率（每百点·30天）',
  'unit.falseAlarmRate': '误报率',
  'unit.intactRate': '完好率',
  'unit.contacts': '联系人',
  'unit.noEvents': '暂无事件',
  'unit.floorLabel': '{n} 层',
  'unit.basement': 'B{n}',
  'unit.unknownFloor': '未知楼层',
  'map.legend': '图例',
  'map.noStyle': '底图服务不可用，仅显示图层',
  'view.missing': '该视图尚未安装。',
  'error.generic': '出错了：{message}',
  'error.login': '需要登录',
  'time.ago.s': '{n} 秒前',
  'time.ago.m': '{n} 分钟前',
  'time.ago.h': '{n} 小时前',
  'time.ago.d': '{n} 天前',
  'notFound.title': '页面不存在',
  'notFound.back': '返回首页',
} as const;

export type MessageKey = keyof typeof zh;

const en: Record<MessageKey, string> = {
  'app.title': 'FireLink Fire Monitoring Command',
  'app.synthetic': 'Demo data (synthetic, not real units)',
  'app.short': 'FireLink',
  'nav.wall': 'Wall',
  'nav.desk': 'Desk',
  'nav.analyst': 'Analyst',
  'nav.onboarding': 'Onboarding',
  'nav.duty': 'Duty',
  'nav.supervise': 'Supervision',
  'nav.station': 'Stations',
  'nav.logout': 'Log out',
  'nav.language': '中文',
  'home.intro': 'Fire-facility networked monitoring · command picture',
  'home.wall': 'Wall display: live fire alarms, counters, event ticker',
  'home.desk': 'Alarm desk: queue, acknowledge, verify, dispatch',
  'home.analyst': 'Analyst: fault and false-alarm heatmaps, rankings',
  'home.onboarding': 'Onboarding: unit records and opening',
  'login.title': 'Log in',
  'login.username': 'Username',
  'login.password': 'Password',
  'login.submit': 'Log in',
  'login.failed': 'Login failed: {message}',
  'login.unavailable': 'The login service is not ready yet; try again shortly.',
  'conn.connecting': 'Connecting…',
  'conn.live': 'Live',
  'conn.reconnecting': 'Connection lost, reconnecting ({seconds} s)…',
  'conn.stopped': 'Disconnected',
  'wall.title': 'Fire Monitoring Command Wall',
  'wall.mute': 'Mute',
  'wall.unmute': 'Sound on',
  'wall.soundHint': 'Click anywhere to enable alarm sound',
  'wall.sessionNotKept': 'This screen\'s login is not kept alive: when it ends, the wall logs out and stops. Log in again as a wall display.',
  'wall.sessionRelogin': 'Log in again as wall',
  'wall.latestFire': 'Latest fire alarm',
  'wall.noFire': 'No unhandled fire alarms',
  'wall.ticker': 'Live events',
  'counter.unitsOnline': 'Units online',
  'counter.openAlarms': 'Open alarms',
  'counter.connectionRate': 'Connection rate',
  'counter.fire': 'Fire',
  'counter.host_offline': 'Host offline',
  'counter.off_duty': 'Off duty',
  'counter.fault': 'Fault',
  'counter.supervisory': 'Supervisory',
  'desk.title': 'Alarm desk',
  'desk.queue': 'Alarm queue',
  'desk.newFire': 'New fire: {unit} (click to handle)',
  'desk.empty': 'Queue is empty',
  'desk.selectHint': 'Select an alarm (J/K move, A acknowledge, Esc deselect; the other steps of its procedure are filled in on the right)',
  'desk.shortcuts': 'Shortcuts',
  'desk.unit': 'Unit',
  'desk.address': 'Address',
  'desk.building': 'Building',
  'desk.floor': 'Floor',
  'desk.point': 'Point',
  'desk.phone': 'Control room phone',
  'desk.openedAt': 'Opened',
  'desk.lastSeenAt': 'Last seen',
  'desk.events': 'Events',
  'desk.timeline': 'Timeline',
  'desk.nearest': 'Nearest stations',
  'desk.eta': 'ETA',
  'desk.etaMin': '{n} min',
  'desk.dispatchTo': 'Dispatch to',
  'desk.noStations': 'No dispatch suggestions',
  'desk.escalated': 'Escalated',
  'desk.actionFailed': 'Action failed: {message}',
  'desk.openUnit': 'Open unit',
  'desk.heatmap': 'H3 heatmap (relative)',
  'desk.heat.none': 'Off',
  'desk.heat.fault': 'Fault rate',
  'desk.heat.false': 'False-alarm rate',
  'action.ack': 'Acknowledge',
  'action.verify': 'Verify',
  'action.verify.fire': 'True fire',
  'action.verify.false_alarm': 'False alarm',
  'action.verify.test': 'Test',
  'action.verify.fault': 'Fault',
  'action.dispatch': 'Dispatch',
  'action.close': 'Close',
  'kind.fire': 'Fire',
  'kind.host_offline': 'Host offline',
  'kind.off_duty': 'Off duty',
  'kind.fault': 'Fault',
  'kind.supervisory': 'Supervisory',
  'state.open': 'Open',
  'state.acknowledged': 'Acknowledged',
  'state.verified': 'Verified',
  'state.dispatched': 'Dispatched',
  'state.closed': 'Closed',
  'verdict.fire': 'True fire',
  'verdict.false_alarm': 'False alarm',
  'verdict.test': 'Test',
  'verdict.fault': 'Fault',
  'unitState.normal': 'Normal',
  'unitState.fault': 'Fault',
  'unitState.fire': 'Fire',
  'unitState.offline': 'Offline',
  'unitState.unopened': 'Not open',
  'unit.title': 'Unit',
  'unit.notFound': 'Unit not found, or outside your jurisdiction.',
  'unit.loading': 'Loading…',
  'unit.category': 'Category',
  'unit.onboarding': 'Onboarding',
  'unit.floors': 'Floors',
  'unit.floorsAbove': '{n} above ground',
  'unit.floorsBelow': '{n} below ground',
  'unit.points': 'Points',
  'unit.pointsByFloor': 'Points by floor',
  'unit.recentEvents': 'Recent events',
  'unit.rates': 'Rates',
  'unit.faultRate': 'Fault rate (per 100 points · 30 d)',
  'unit.falseAlarmRate': 'False-alarm rate',
  'unit.intactRate': 'Intact rate',
  'unit.contacts': 'Contacts',
  'unit.noEvents': 'No events',
  'unit.floorLabel': 'Floor {n}',
  'unit.basement': 'B{n}',
  'unit.unknownFloor': 'Unknown floor',
  'map.legend': 'Legend',
  'map.noStyle': 'Basemap unavailable; showing layers only',
  'view.missing': 'This view is not installed yet.',
  'error.generic': 'Error: {message}',
  'error.login': 'Login required',
  'time.ago.s': '{n} s ago',
  'time.ago.m': '{n} min ago',
  'time.ago.h': '{n} h ago',
  'time.ago.d': '{n} d ago',
  'notFound.title': 'Page not found',
  'notFound.back': 'Back to start',
};

const DICTS: Record<Locale, Record<MessageKey, string>> = { 'zh-CN': zh, en };

/** Names of the normalized event kinds (common/src/event.ts) for the ticker and timelines. */
const EVENT_KIND_NAMES: Record<string, [zh: string, en: string]> = {
  fire: ['火警', 'Fire alarm'],
  fire_cleared: ['火警恢复', 'Fire cleared'],
  manual_alarm: ['手动报警', 'Manual alarm'],
  fault: ['故障', 'Fault'],
  fault_cleared: ['故障恢复', 'Fault cleared'],
  supervisory: ['监管', 'Supervisory'],
  supervisory_cleared: ['监管恢复', 'Supervisory cleared'],
  disabled: ['屏蔽', 'Disabled'],
  disabled_cleared: ['屏蔽解除', 'Disable cleared'],
  started: ['启动', 'Started'],
  stopped: ['停止', 'Stopped'],
  feedback: ['反馈', 'Feedback'],
  feedback_cleared: ['反馈恢复', 'Feedback cleared'],
  mains_power_fault: ['主电故障', 'Mains power fault'],
  mains_power_restored: ['主电恢复', 'Mains power restored'],
  backup_power_fault: ['备电故障', 'Backup power fault'],
  backup_power_restored: ['备电恢复', 'Backup power restored'],
  reset: ['复位', 'Reset'],
  operation: ['操作', 'Operation'],
  host_offline: ['主机关机', 'Host offline'],
  host_online: ['主机上线', 'Host online'],
  duty_check_missed: ['查岗未应答', 'Duty check missed'],
  duty_check_answered: ['查岗已应答', 'Duty check answered'],
  analog_value: ['模拟量', 'Analog value'],
  status: ['状态', 'Status'],
  unregistered_device: ['未登记设备', 'Unregistered device'],
  unknown: ['未知', 'Unknown'],
  off_duty: ['值班脱岗', 'Off duty'],
  'fire:closed': ['火警关闭', 'Fire alarm closed'],
  'host_offline:closed': ['关机告警关闭', 'Offline alarm closed'],
  'off_duty:closed': ['脱岗告警关闭', 'Off-duty alarm closed'],
  'fault:closed': ['故障告警关闭', 'Fault alarm closed'],
  'supervisory:closed': ['监管告警关闭', 'Supervisory alarm closed'],
  // Alarm timeline steps (common/src/live.ts ALARM_STEPS).
  'step:opened': ['报警', 'Opened'],
  'step:acknowledged': ['确认', 'Acknowledged'],
  'step:verified': ['核实', 'Verified'],
  'step:dispatched': ['派警', 'Dispatched'],
  'step:closed': ['关闭', 'Closed'],
  'step:escalated': ['升级', 'Escalated'],
  'step:cleared': ['恢复', 'Cleared'],
  'step:auto_closed': ['自动关闭', 'Auto-closed'],
  'step:forwarded': ['已转119', 'Forwarded to 119'],
  'step:forward_failed': ['转119失败', 'Forward to 119 failed'],
  'step:reopened': ['复报重开', 'Reopened (alarm again soon after clearing)'],
  'step:called': ['电话记录', 'Call recorded'],
  'step:cause': ['原因', 'Cause'],
  'step:deadline': ['限期整改', 'Deadline set'],
  'step:follow_up': ['故障督办', 'Repair follow-up'],
  'step:noted': ['记录', 'Note'],
};

/** Name of an event kind or alarm step; unknown kinds are shown as they are. */
export function eventKindName(locale: Locale, kind: string): string {
  const n = EVENT_KIND_NAMES[kind];
  return n ? n[locale === 'zh-CN' ? 0 : 1] : kind;
}

export function isLocale(v: unknown): v is Locale {
  return typeof v === 'string' && (LOCALES as readonly string[]).includes(v);
}

/** The stored choice, or zh-CN. `stored` is what localStorage holds (may be junk). */
export function resolveLocale(stored: string | null | undefined): Locale {
  return isLocale(stored) ? stored : DEFAULT_LOCALE;
}

function interpolate(s: string, params?: Record<string, string | number>): string {
  if (!params) return s;
  return s.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

export function translate(locale: Locale, key: MessageKey, params?: Record<string, string | number>): string {
  return interpolate(DICTS[locale][key] ?? zh[key] ?? key, params);
}

/**
 * A view's own dictionary (kept in its folder so the view stays self-contained), resolved
 * by the same rules as the app's: English when chosen, zh-CN as the fallback, `{name}`
 * parameters.
 */
export function defineMessages<K extends string>(zhDict: Record<K, string>, enDict: Record<K, string>) {
  return (locale: Locale | string, key: K, params?: Record<string, string | number>): string =>
    interpolate((locale === 'en' ? enDict[key] : undefined) ?? zhDict[key] ?? key, params);
}

/** Translates a dynamic key (alarm kind, state…) with a fallback for unknown values. */
export function translateDynamic(locale: Locale, prefix: string, value: string): string {
  const key = `${prefix}.${value}`;
  return key in zh ? translate(locale, key as MessageKey) : value;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
type TimeKind = 'datetime' | 'minute' | 'time' | 'date';
function dtf(locale: Locale, kind: TimeKind): Intl.DateTimeFormat {
  const k = `${locale}|${kind}`;
  let f = formatters.get(k);
  if (!f) {
    const opts: Intl.DateTimeFormatOptions = { timeZone: DISPLAY_TIME_ZONE, hourCycle: 'h23' };
    if (kind !== 'time') Object.assign(opts, { year: 'numeric', month: '2-digit', day: '2-digit' });
    if (kind !== 'date') Object.assign(opts, { hour: '2-digit', minute: '2-digit' });
    if (kind === 'datetime' || kind === 'time') opts.second = '2-digit';
    f = new Intl.DateTimeFormat(locale === 'zh-CN' ? 'zh-CN' : 'en-GB', opts);
    formatters.set(k, f);
  }
  return f;
}

/** Formats an ISO 8601 time (or epoch ms) in Asia/Shanghai; '—' for missing/invalid. 'minute' is a date and time without seconds. */
export function formatTime(value: string | number | null | undefined, locale: Locale, kind: TimeKind = 'datetime'): string {
  if (value === null || value === undefined || value === '') return '—';
  const d = typeof value === 'number' ? new Date(value) : new Date(value);
  if (Number.isNaN(d.getTime())) return '—';
  return dtf(locale, kind).format(d);
}

export function formatAgo(value: string | number, nowMs: number, locale: Locale): string {
  const t = typeof value === 'number' ? value : Date.parse(value);
  if (Number.isNaN(t)) return '—';
  const s = Math.max(0, Math.round((nowMs - t) / 1000));
  if (s < 60) return translate(locale, 'time.ago.s', { n: s });
  if (s < 3600) return translate(locale, 'time.ago.m', { n: Math.floor(s / 60) });
  if (s < 86400) return translate(locale, 'time.ago.h', { n: Math.floor(s / 3600) });
  return translate(locale, 'time.ago.d', { n: Math.floor(s / 86400) });
}

export function formatPercent(v: number | null | undefined, locale: Locale, digits = 1): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return new Intl.NumberFormat(locale, { style: 'percent', minimumFractionDigits: digits, maximumFractionDigits: digits }).format(v);
}

export function formatNumber(v: number | null | undefined, locale: Locale): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return new Intl.NumberFormat(locale).format(v);
}

/** Floor label: 3 → "3 层" / "Floor 3", -1 → "B1", null → unknown. */
export function formatFloor(floor: number | null | undefined, locale: Locale): string {
  if (floor === null || floor === undefined) return translate(locale, 'unit.unknownFloor');
  if (floor < 0) return translate(locale, 'unit.basement', { n: -floor });
  return translate(locale, 'unit.floorLabel', { n: floor });
}
