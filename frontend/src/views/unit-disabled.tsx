// The unit view's disabled (屏蔽) points: how many points and whole systems are disabled now,
// for how long the longest of them, the disabled hours of the last 30 days and what is
// disabled (a risk indicator). The figures come with the unit detail
// (GET /api/units/:id, `disabled`), the same facts the duty view and analytics read.
import type { UnitDisabled } from '@firelink/common';
import { defineMessages, formatTime, type Locale } from '../lib/i18n.ts';

const zh = {
  title: '屏蔽点位',
  now: '当前屏蔽',
  systems: '其中整个系统 {n} 个',
  longest: '最久已屏蔽',
  days: '{n} 天',
  lessThanDay: '不足 1 天',
  since: '自 {time}',
  hours: '近 {days} 天累计屏蔽',
  hoursValue: '{n} 小时',
  spells: '共 {n} 次屏蔽',
  none: '当前无屏蔽点位',
  system: '系统 {type}-{address}（整个系统）',
  component: '部件 {address}',
  colTarget: '屏蔽对象',
  colSince: '屏蔽时间',
  colFor: '已屏蔽',
} as const;
type Key = keyof typeof zh;
const en: Record<Key, string> = {
  title: 'Disabled points',
  now: 'Disabled now',
  systems: 'including {n} whole system(s)',
  longest: 'Longest disabled',
  days: '{n} d',
  lessThanDay: 'under a day',
  since: 'since {time}',
  hours: 'Disabled, last {days} days',
  hoursValue: '{n} h',
  spells: '{n} spell(s)',
  none: 'No point is disabled now',
  system: 'System {type}-{address} (whole system)',
  component: 'Component {address}',
  colTarget: 'Disabled',
  colSince: 'Since',
  colFor: 'For',
};
const text = defineMessages<Key>(zh, en);

const DAY_MS = 86_400_000;

/** Whole days a target has been disabled at `nowMs`. */
export function disabledDays(since: string, nowMs: number): number {
  return Math.max(0, Math.floor((nowMs - Date.parse(since)) / DAY_MS));
}

function forHowLong(locale: Locale, since: string, nowMs: number): string {
  const d = disabledDays(since, nowMs);
  return d === 0 ? text(locale, 'lessThanDay') : text(locale, 'days', { n: d });
}

export function UnitDisabledPanel({ disabled, locale, nowMs }: { disabled: UnitDisabled; locale: Locale; nowMs: number }) {
  const d = disabled;
  return (
    <section data-testid="unit-disabled">
      <h3>{text(locale, 'title')}</h3>
      <div className="rates">
        <div className="counter">
          <div className="label">{text(locale, 'now')}</div>
          <div className="value" data-testid="unit-disabled-now">{d.now}</div>
          {d.systemsNow > 0 && <div className="meta">{text(locale, 'systems', { n: d.systemsNow })}</div>}
        </div>
        <div className="counter">
          <div className="label">{text(locale, 'longest')}</div>
          <div className="value" data-testid="unit-disabled-longest">{d.oldestSince ? forHowLong(locale, d.oldestSince, nowMs) : '—'}</div>
          {d.oldestSince && <div className="meta">{text(locale, 'since', { time: formatTime(d.oldestSince, locale, 'date') })}</div>}
        </div>
        <div className="counter">
          <div className="label">{text(locale, 'hours', { days: d.windowDays })}</div>
          <div className="value">{text(locale, 'hoursValue', { n: d.hoursInWindow })}</div>
          <div className="meta">{text(locale, 'spells', { n: d.spellsInWindow })}</div>
        </div>
      </div>
      {d.targets.length === 0 ? (
        <div className="meta">{text(locale, 'none')}</div>
      ) : (
        <table className="points unit-disabled-targets">
          <thead>
            <tr><th>{text(locale, 'colTarget')}</th><th>{text(locale, 'colSince')}</th><th>{text(locale, 'colFor')}</th></tr>
          </thead>
          <tbody>
            {d.targets.map((t, i) => (
              <tr key={i} data-testid="unit-disabled-target">
                <td>
                  {t.componentAddress == null
                    ? text(locale, 'system', { type: t.systemType ?? '—', address: t.systemAddress ?? '—' })
                    : (t.label ?? text(locale, 'component', { address: t.componentAddress }))}
                </td>
                <td>{formatTime(t.since, locale, 'minute')}</td>
                <td>{forHowLong(locale, t.since, nowMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
