// Strings of the unit finder and the unit view's labels for codes the server sends as they
// are: onboarding states, contact roles, point states. Component types come from
// common's GB/T 26875 table, unit categories from GET /api/units/categories.
import { COMPONENT_TYPES, CONTACT_ROLES, ONBOARDING_STATES, SYSTEM_TYPES, type OnboardingState } from '@firelink/common';
import { defineMessages, type Locale } from '../../lib/i18n.ts';

type ContactRole = (typeof CONTACT_ROLES)[number];

type Key =
  | 'find'
  | 'findHint'
  | 'title'
  | 'placeholder'
  | 'district'
  | 'allDistricts'
  | 'category'
  | 'allCategories'
  | 'results'
  | 'noResults'
  | 'loading'
  | 'failed'
  | 'more'
  | 'clicked'
  | 'close'
  | 'openAlarms'
  | 'noOpenAlarms'
  | 'allFloors'
  | 'highRisk'
  | 'colName'
  | 'colAddress'
  | 'colDistrict'
  | 'colState'
  | 'points'
  | 'colType'
  | 'colPointState'
  | 'unlocated';

export const finderText = defineMessages<Key>(
  {
    find: '查找单位',
    findHint: '按名称、地址查找单位（快捷键 /）',
    title: '查找单位',
    placeholder: '单位名称、地址或编号的一部分',
    district: '辖区',
    allDistricts: '全部辖区',
    category: '类别',
    allCategories: '全部类别',
    results: '共 {n} 个单位',
    noResults: '没有符合条件的单位',
    loading: '查找中…',
    failed: '查找失败：{message}',
    more: '显示更多（已显示 {n} 个）',
    clicked: '地图上点选的单位',
    close: '关闭',
    openAlarms: '未关闭告警',
    noOpenAlarms: '无未关闭告警',
    allFloors: '全部楼层',
    highRisk: '火灾高危',
    colName: '单位名称',
    colAddress: '地址',
    colDistrict: '辖区',
    colState: '接入状态',
    points: '{n} 个点位',
    colType: '部件类型',
    colPointState: '状态',
    unlocated: '{n} 个点位未标注位置，未在地图上显示',
  },
  {
    find: 'Find unit',
    findHint: 'Find a unit by name or address (shortcut /)',
    title: 'Find a unit',
    placeholder: 'Part of a unit name, address or code',
    district: 'District',
    allDistricts: 'All districts',
    category: 'Category',
    allCategories: 'All categories',
    results: '{n} units',
    noResults: 'No unit matches',
    loading: 'Searching…',
    failed: 'Search failed: {message}',
    more: 'Show more ({n} shown)',
    clicked: 'Unit clicked on the map',
    close: 'Close',
    openAlarms: 'Open alarms',
    noOpenAlarms: 'No open alarms',
    allFloors: 'All floors',
    highRisk: 'High fire risk',
    colName: 'Unit',
    colAddress: 'Address',
    colDistrict: 'District',
    colState: 'Onboarding',
    points: '{n} points',
    colType: 'Component type',
    colPointState: 'State',
    unlocated: '{n} points have no drawn position and are not on the map',
  },
);

const onboardingState = defineMessages<OnboardingState>(
  { registered: '已登记', collecting: '信息采集', verified: '现场核实', reviewed: '主任审核', open: '已开通', suspended: '暂停', closed: '注销' },
  { registered: 'Registered', collecting: 'Collecting', verified: 'Verified on site', reviewed: 'Reviewed', open: 'Open', suspended: 'Suspended', closed: 'Closed' },
);

const contactRole = defineMessages<ContactRole>(
  { responsible: '消防安全责任人', manager: '消防安全管理人', control_room: '消控室值班', other: '其他联系人' },
  { responsible: 'Fire safety responsible person', manager: 'Fire safety manager', control_room: 'Control room on duty', other: 'Other contact' },
);

/** Point states as ingest writes them (pointStateOf in ingest/src/domain/batch-plan.ts). */
export const POINT_STATES = ['fire', 'fault', 'supervisory', 'disabled', 'normal'] as const;
const pointState = defineMessages<(typeof POINT_STATES)[number]>(
  { fire: '火警', fault: '故障', supervisory: '监管', disabled: '屏蔽', normal: '正常' },
  { fire: 'Fire', fault: 'Fault', supervisory: 'Supervisory', disabled: 'Disabled', normal: 'Normal' },
);

const isOneOf = <T extends string>(list: readonly T[], v: string): v is T => (list as readonly string[]).includes(v);

export const onboardingStateName = (locale: Locale, s: string) => (isOneOf(ONBOARDING_STATES, s) ? onboardingState(locale, s) : s);
export const contactRoleName = (locale: Locale, r: string) => (isOneOf(CONTACT_ROLES, r) ? contactRole(locale, r) : r);
export const pointStateName = (locale: Locale, s: string) => (isOneOf(POINT_STATES, s) ? pointState(locale, s) : s);

/** GB/T 26875 component type name; vendor codes (128–255) and unknown ones as "部件类型 N". */
export function componentTypeName(locale: Locale, code: number): string {
  const n = COMPONENT_TYPES[code];
  if (n) return locale === 'en' ? n.en : n.zh;
  return locale === 'en' ? `Component type ${code}` : `部件类型 ${code}`;
}

export function systemTypeName(locale: Locale, code: number | null): string | null {
  if (code == null) return null;
  const n = SYSTEM_TYPES[code];
  return n ? (locale === 'en' ? n.en : n.zh) : null;
}
