// Month, date and date-time pickers made of <select>s, in the UI's language. The browser's own
// <input type=month|date|datetime-local> speaks the browser's language: an English Chromium
// showed "December 2026" and "mm/dd/yyyy, --:-- --" on the Chinese screen. Values are the same
// strings those inputs use ('2026-12', '2026-12-05', '2026-12-05T08:30'), so a form keeps its
// parsing. A hidden input carries the whole value (forms, tests).
import type { Locale } from './i18n.ts';

const EN_MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const daysIn = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();

interface Parts {
  y: number;
  m: number;
  d: number;
  hh: number;
  mm: number;
}

/** The parts of '2026-12-05T08:30' (or a prefix of it); missing parts are 1 / 0. */
export function parseParts(v: string): Parts | null {
  const r = /^(\d{4})-(\d{2})(?:-(\d{2}))?(?:T(\d{2}):(\d{2}))?$/.exec(v);
  if (!r) return null;
  return { y: +r[1]!, m: +r[2]!, d: r[3] ? +r[3] : 1, hh: r[4] ? +r[4] : 0, mm: r[5] ? +r[5] : 0 };
}

export function formatParts(p: Parts, kind: 'month' | 'date' | 'datetime'): string {
  const d = Math.min(p.d, daysIn(p.y, p.m));
  const month = `${p.y}-${pad(p.m)}`;
  if (kind === 'month') return month;
  const date = `${month}-${pad(d)}`;
  return kind === 'date' ? date : `${date}T${pad(p.hh)}:${pad(p.mm)}`;
}

export interface DateSelectsProps {
  kind: 'month' | 'date' | 'datetime';
  value: string;
  onChange: (value: string) => void;
  locale: Locale;
  /** Years offered (default: last year to next year). */
  years?: [number, number];
  /** Minutes step of the minute list (default 5; the value's own minute is always offered). */
  minuteStep?: number;
  /** data-testid of the hidden input with the whole value; the parts get `-year`, `-month`… */
  testId?: string;
  name?: string;
  className?: string;
}

export function DateSelects({ kind, value, onChange, locale, years, minuteStep = 5, testId, name, className }: DateSelectsProps) {
  const now = new Date();
  const p = parseParts(value) ?? { y: now.getFullYear(), m: now.getMonth() + 1, d: now.getDate(), hh: now.getHours(), mm: 0 };
  const [y0, y1] = years ?? [now.getFullYear() - 1, now.getFullYear() + 1];
  const yearList = range(Math.min(y0, p.y), Math.max(y1, p.y));
  const minutes = [...new Set([...range(0, Math.floor(59 / minuteStep)).map((i) => i * minuteStep), p.mm])].sort((a, b) => a - b);
  const zh = locale !== 'en';
  const set = (q: Partial<Parts>) => onChange(formatParts({ ...p, ...q }, kind));
  const sel = (part: string, v: number, list: number[], label: (n: number) => string, field: keyof Parts, aria: string) => (
    <select value={v} onChange={(e) => set({ [field]: Number(e.target.value) })} aria-label={aria} data-testid={testId ? `${testId}-${part}` : undefined}>
      {list.map((n) => (
        <option key={n} value={n}>
          {label(n)}
        </option>
      ))}
    </select>
  );
  return (
    <span className={`date-selects ${className ?? ''}`}>
      {sel('year', p.y, yearList, (n) => (zh ? `${n}年` : String(n)), 'y', zh ? '年' : 'Year')}
      {sel('month', p.m, range(1, 12), (n) => (zh ? `${n}月` : EN_MONTHS[n - 1]!), 'm', zh ? '月' : 'Month')}
      {kind !== 'month' && sel('day', Math.min(p.d, daysIn(p.y, p.m)), range(1, daysIn(p.y, p.m)), (n) => (zh ? `${n}日` : String(n)), 'd', zh ? '日' : 'Day')}
      {kind === 'datetime' && sel('hour', p.hh, range(0, 23), (n) => (zh ? `${pad(n)}时` : pad(n)), 'hh', zh ? '时' : 'Hour')}
      {kind === 'datetime' && sel('minute', p.mm, minutes, (n) => (zh ? `${pad(n)}分` : `:${pad(n)}`), 'mm', zh ? '分' : 'Minute')}
      <input type="hidden" name={name} value={formatParts(p, kind)} data-testid={testId} />
    </span>
  );
}
