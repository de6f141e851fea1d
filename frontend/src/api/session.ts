// Keeps the cookie session of an unattended screen alive: the wall display runs for days, a
// session ends SESSION_TTL_HOURS after its last refresh (and SESSION_MAX_DAYS after login).
// A network error is retried at the next tick; an ended session goes to the login page
// (api() handles 401), exactly as on any other request.
import { z } from 'zod';
import { ApiError, api } from './http.ts';

/** Refresh this often: far inside the shortest sensible SESSION_TTL_HOURS (1 h). */
export const SESSION_REFRESH_EVERY_MS = 15 * 60_000;

const refreshReply = z.object({ expiresAt: z.string() });

/**
 * Refreshes now and every `everyMs`; returns the stop function. `onKept(false)` when the
 * server will not keep this session alive (not a wall-display session: 403), so the screen
 * can say so before it is logged out; `onKept(true)` after a successful refresh.
 */
export function keepSessionAlive(onKept: (kept: boolean) => void = () => {}, everyMs = SESSION_REFRESH_EVERY_MS): () => void {
  const refresh = () =>
    void api('/api/auth/refresh', refreshReply, { method: 'POST' }).then(
      () => onKept(true),
      (err: Error) => {
        if (err instanceof ApiError && err.status === 403) onKept(false);
        console.warn(`session refresh failed (will retry in ${Math.round(everyMs / 60_000)} min): ${err.message}`);
      },
    );
  refresh();
  const t = setInterval(refresh, everyMs);
  return () => clearInterval(t);
}
