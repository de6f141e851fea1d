// The 6-byte time label: sec, min, hour, day, month, year − 2000, one plain binary byte each
// (not BCD). It is the device's local clock (Asia/Shanghai in the field); we keep it as an
// ISO local time without a zone, e.g. "2026-11-29T10:05:00".

export const TIME_LABEL_BYTES = 6;

// Two-digit strings for 0–255 (hot path: every frame has at least one time label).
const P2 = Array.from({ length: 256 }, (_, n) => (n < 10 ? `0${n}` : String(n)));
const YEARS = Array.from({ length: 256 }, (_, n) => String(2000 + n));

export function readTimeLabel(buf: Buffer, at: number): string {
  return `${YEARS[buf[at + 5]!]}-${P2[buf[at + 4]!]}-${P2[buf[at + 3]!]}T${P2[buf[at + 2]!]}:${P2[buf[at + 1]!]}:${P2[buf[at]!]}`;
}

const ISO_LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/;

/** Writes an ISO local time ("YYYY-MM-DDTHH:MM:SS", years 2000–2255) as a time label. */
export function writeTimeLabel(buf: Buffer, at: number, isoLocal: string): void {
  const m = ISO_LOCAL.exec(isoLocal.slice(0, 19));
  if (!m) throw new RangeError(`time label must be "YYYY-MM-DDTHH:MM:SS" local time, got ${JSON.stringify(isoLocal)}`);
  const [, y, mo, d, h, mi, s] = m;
  const year = Number(y) - 2000;
  if (year < 0 || year > 255) throw new RangeError(`time label year must be 2000–2255, got ${y}`);
  buf[at] = Number(s);
  buf[at + 1] = Number(mi);
  buf[at + 2] = Number(h);
  buf[at + 3] = Number(d);
  buf[at + 4] = Number(mo);
  buf[at + 5] = year;
}

/** True when the label is a real calendar time (devices send zeros or junk when their clock is unset). */
export function isValidTimeLabel(isoLocal: string): boolean {
  const m = ISO_LOCAL.exec(isoLocal);
  if (!m) return false;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return false;
  const dt = new Date(Date.UTC(y, mo - 1, d));
  return dt.getUTCDate() === d;
}

/** Local time in a fixed-offset zone (Asia/Shanghai is UTC+8 all year) as an ISO local string. */
export function isoLocalAt(date: Date, offsetMinutes = 480): string {
  const t = new Date(date.getTime() + offsetMinutes * 60_000);
  return t.toISOString().slice(0, 19);
}
