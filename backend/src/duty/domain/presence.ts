// "Nobody watching is an alarm", the pure rule. A staffed post (someone is
// rostered now) needs an operator desk connected to the live stream, and a wall display when
// walls are required. A screen counts for a post when its user's jurisdiction covers the
// post's region. Absent longer than the threshold → unattended; a screen back → attended.
// Pure: the caller passes who is connected, the open records and the clock.
import type { Role } from '@firelink/common';

export type Screen = 'desk' | 'wall';

/** Roles whose desk keeps a post attended (those who handle alarms). */
export const DESK_ROLES: readonly Role[] = ['operator', 'dispatcher', 'admin'];

export interface Watcher {
  role: Role | string;
  view: Screen | null;
  /** Whether the watcher's jurisdiction covers the post. */
  covers: (post: number) => boolean;
}

export interface PresenceInput {
  /** Posts someone is rostered for now. */
  posts: readonly number[];
  watchers: readonly Watcher[];
  screens: readonly Screen[];
  /** `${post}:${screen}` → ms the screen was last seen (updated in place for the present ones). */
  lastSeen: Map<string, number>;
  /** Open unattended records. */
  open: ReadonlyArray<{ post: number; screen: Screen }>;
  nowMs: number;
  afterMs: number;
}

export interface PresenceDecision {
  raise: Array<{ post: number; screen: Screen; absentSinceMs: number }>;
  clear: Array<{ post: number; screen: Screen }>;
}

export function screenPresent(watchers: readonly Watcher[], post: number, screen: Screen): boolean {
  return watchers.some((w) => w.view === screen && (screen === 'wall' || DESK_ROLES.includes(w.role as Role)) && w.covers(post));
}

export function decidePresence(i: PresenceInput): PresenceDecision {
  const out: PresenceDecision = { raise: [], clear: [] };
  const isOpen = new Set(i.open.map((o) => `${o.post}:${o.screen}`));
  const staffed = new Set(i.posts);
  for (const post of i.posts) {
    for (const screen of i.screens) {
      const key = `${post}:${screen}`;
      if (screenPresent(i.watchers, post, screen)) {
        i.lastSeen.set(key, i.nowMs);
        if (isOpen.has(key)) out.clear.push({ post, screen });
        continue;
      }
      // First look at a post nobody watches: the absence counts from now.
      if (!i.lastSeen.has(key)) i.lastSeen.set(key, i.nowMs);
      const since = i.lastSeen.get(key)!;
      if (!isOpen.has(key) && i.nowMs - since >= i.afterMs) out.raise.push({ post, screen, absentSinceMs: since });
    }
  }
  // A post no longer staffed (its shift ended) is no longer unattended.
  for (const o of i.open) if (!staffed.has(o.post) || !i.screens.includes(o.screen)) out.clear.push(o);
  return out;
}
