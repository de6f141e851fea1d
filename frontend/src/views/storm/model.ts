// The storm panel's model: what a group says, in which order groups are shown, and how a
// `storm` stream message updates the list. Pure (no React, no fetch): tested with node:test.
import type { StormGroup } from '@firelink/common';
import { formatTime, type Locale } from '../../lib/i18n.ts';
import { st, type StormKey } from './strings.ts';

const CAUSES = new Set(['fire', 'fault', 'mains_power_fault', 'backup_power_fault', 'supervisory', 'host_offline', 'duty_check_missed', 'manual_alarm']);

export function causeText(locale: Locale, cause: string): string {
  return st(locale, (CAUSES.has(cause) ? `cause.${cause}` : 'cause.other') as StormKey);
}

/** Minutes (at least 1) from the group's first to its latest member, rounded up. */
export function spanMinutes(g: Pick<StormGroup, 'startedAt' | 'lastAt'>): number {
  return Math.max(1, Math.ceil((Date.parse(g.lastAt) - Date.parse(g.startedAt)) / 60_000));
}

/** The group in one sentence: "鼓楼区：312个单位在最近2分钟内报告主电故障". */
export function stormSentence(locale: Locale, g: StormGroup): string {
  const cause = causeText(locale, g.cause);
  if (g.scope === 'unit') return st(locale, 'unit', { unit: g.unitName ?? st(locale, 'unknownUnit'), members: g.members, minutes: spanMinutes(g), cause });
  const region = g.regionName ?? st(locale, 'unknownRegion');
  if (g.endedAt) return st(locale, 'areaEnded', { region, units: g.units, cause, from: formatTime(g.startedAt, locale, 'minute') });
  return st(locale, 'area', { region, units: g.units, minutes: spanMinutes(g), cause });
}

/** Active groups with open members first, then by latest member, newest first. */
export function sortStorms(groups: readonly StormGroup[]): StormGroup[] {
  const rank = (g: StormGroup) => (g.endedAt === null ? 0 : 2) + (g.open > 0 ? 0 : 1);
  return [...groups].sort((a, b) => rank(a) - rank(b) || (a.lastAt < b.lastAt ? 1 : a.lastAt > b.lastAt ? -1 : b.id - a.id));
}

/** A group from the stream replaces the listed one of that id (or joins the list). */
export function mergeStorm(groups: readonly StormGroup[], g: StormGroup): StormGroup[] {
  const i = groups.findIndex((x) => x.id === g.id);
  if (i < 0) return sortStorms([...groups, g]);
  const next = groups.slice();
  next[i] = g;
  return sortStorms(next);
}
