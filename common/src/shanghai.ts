// Asia/Shanghai calendar arithmetic. China keeps UTC+8 all year (no daylight saving), so a
// fixed offset is exact; dates shown to users and deadlines are Shanghai dates.
export const SHANGHAI_OFFSET_MS = 8 * 3600_000;

/** The Asia/Shanghai calendar date (YYYY-MM-DD) of an instant. */
export function shanghaiDate(at: Date = new Date()): string {
  return new Date(at.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
}
