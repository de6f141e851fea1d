// Which views each role may open, and where it may act rather than only read. The same
// role lists the backend checks (alarms/routes.ts OPERATORS, analytics, onboarding,
// duty/routes.ts READ, supervision/routes.ts), so the navigation offers no view whose
// requests would all end in 403 and no button that a role cannot use.
import type { Role } from '@firelink/common';
import { defineMessages, type Locale } from './i18n.ts';

/** Views of the top bar, by path. A path not listed here is open to every role. */
export const VIEW_ROLES: Readonly<Record<string, readonly Role[]>> = {
  '/wall': ['admin', 'operator', 'dispatcher', 'supervisor', 'analyst'],
  '/desk': ['admin', 'operator', 'dispatcher', 'supervisor'],
  '/analyst': ['admin', 'analyst', 'supervisor'],
  '/onboarding': ['admin', 'supervisor', 'maintainer'],
  '/duty': ['admin', 'operator', 'dispatcher', 'supervisor'],
  '/supervise': ['admin', 'supervisor'],
  '/station': ['admin', 'operator', 'dispatcher', 'supervisor', 'station'],
};

/** Roles that take alarm steps (acknowledge, verify, dispatch, close): alarms/routes.ts OPERATORS. */
export const ALARM_ACTORS: readonly Role[] = ['admin', 'operator', 'dispatcher'];

/** The view's entry in VIEW_ROLES: '/desk/12' → '/desk'. */
function viewOf(path: string): string | null {
  const m = /^\/[^/?#]+/.exec(path);
  return m ? m[0] : null;
}

export function mayOpen(role: Role | null | undefined, path: string): boolean {
  const v = viewOf(path);
  const roles = v ? VIEW_ROLES[v] : undefined;
  if (!roles) return true;
  return !!role && roles.includes(role);
}

export function mayActOnAlarms(role: Role | null | undefined): boolean {
  return !!role && ALARM_ACTORS.includes(role);
}

const zh: Record<Role, string> = {
  admin: '系统管理员',
  operator: '值班员',
  dispatcher: '调度员',
  supervisor: '监督员',
  station: '消防站',
  analyst: '分析员',
  unit_user: '单位用户',
  maintainer: '维保人员',
};
const en: Record<Role, string> = {
  admin: 'administrator',
  operator: 'operator',
  dispatcher: 'dispatcher',
  supervisor: 'supervisor',
  station: 'fire station',
  analyst: 'analyst',
  unit_user: 'unit user',
  maintainer: 'maintainer',
};
export const roleName = (locale: Locale, role: Role): string => (locale === 'en' ? en[role] : zh[role]);

const text = defineMessages(
  {
    'denied.title': '此页面不属于您的岗位',
    'denied.body': '“{view}”供{roles}使用；您的账号是{role}。请从上方导航进入您可用的页面，或联系系统管理员调整岗位。',
    'denied.home': '返回首页',
    'readOnly': '只读：您的岗位（{role}）可以查看告警，但确认、核实、派警和关闭由值班员或调度员操作。',
  },
  {
    'denied.title': 'This page is not part of your role',
    'denied.body': '"{view}" is for {roles}; your account is a {role}. Use the navigation above for the pages you can use, or ask an administrator to change your role.',
    'denied.home': 'Back to start',
    'readOnly': 'Read only: your role ({role}) can see alarms; operators and dispatchers acknowledge, verify, dispatch and close them.',
  },
);

export function accessText(locale: Locale, key: 'denied.title' | 'denied.home' | 'readOnly', params?: Record<string, string>): string {
  return text(locale, key, params);
}

/** "'Analyst' is for administrator, analyst, supervisor; your account is a maintainer." */
export function deniedText(locale: Locale, path: string, viewName: string, role: Role): string {
  const v = viewOf(path);
  const roles = (v ? VIEW_ROLES[v] : undefined) ?? [];
  const sep = locale === 'en' ? ', ' : '、';
  return text(locale, 'denied.body', { view: viewName, roles: roles.map((r) => roleName(locale, r)).join(sep), role: roleName(locale, role) });
}
