// Small shared pieces of the supervise sections: error words, a status line, today's date in Shanghai.
import { ApiError } from '../../api/http.ts';
import { ws } from './work-strings.ts';

/** The screen's own words for a failed request (never the server's English text). */
export function errText(locale: string, err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 403) return ws(locale, 'errForbidden');
    if (err.status === 404) return ws(locale, 'errNotFound');
    if (err.status === 409) return ws(locale, 'errConflict');
    if (err.status === 400) return ws(locale, 'errInvalid');
    if (err.status === 413) return ws(locale, 'errTooLarge');
    if (err.status === 503) return ws(locale, 'errBusy');
  }
  return ws(locale, 'errGeneric');
}

export type Msg = { ok: boolean; text: string } | null;
export function Status({ msg }: { msg: Msg }) {
  if (!msg) return null;
  return (
    <div className={msg.ok ? 'sv-ok' : 'sv-error'} role="status" data-testid="sv-work-message">
      {msg.text}
    </div>
  );
}

/** Today as YYYY-MM-DD in Asia/Shanghai. */
export function shanghaiToday(now = Date.now()): string {
  return new Date(now + 8 * 3_600_000).toISOString().slice(0, 10);
}

/** A percentage stored as 0–100 with one decimal, or '—'. */
export function pct(v: number | null | undefined): string {
  return v == null || !Number.isFinite(v) ? '—' : `${v.toFixed(1)}%`;
}
