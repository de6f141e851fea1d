// A node:test reporter that prints, once the run ends, how long each test file took
// (slowest first), so a slow suite shows where its time goes. A file's span runs from
// the start of its first top-level test to the end of its last (module loading before the
// first test is not counted); run-tests.ts adds it beside the spec reporter. It writes
// to standard error itself, so its own destination stays empty, and keeps the times in
// TIMES_FILE, from which the next run starts the longest files first.
import { mkdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** Each test file's last time in ms, by its path from the repository root. */
export const TIMES_FILE = join('node_modules', '.cache', 'firelink', 'test-times.json');

/**
 * The times kept by earlier runs (an empty object when there are none).
 * @param {string} root
 * @returns {Record<string, number>}
 */
export function readTimes(root) {
  try {
    return JSON.parse(readFileSync(join(root, TIMES_FILE), 'utf8'));
  } catch {
    return {};
  }
}

// (Plain JavaScript: node loads reporters before the TypeScript loader.)

/**
 * @param {AsyncIterable<{ type: string, data: { nesting: number, file?: string, message?: string, details?: { duration_ms?: number } } }>} source
 * @returns {AsyncGenerator<string>}
 */
export default async function* fileTimes(source) {
  /** @type {Map<string, { start: number, end: number, failed: boolean }>} */
  const files = new Map();
  for await (const ev of source) {
    // The run's closing summary starts with its count of tests; the table goes out then,
    // written at once, because --test-force-exit ends the process before a reporter's
    // own output (and before the summary's last lines).
    if (ev.type === 'test:diagnostic' && ev.data.nesting === 0 && /^tests \d+$/.test(String(ev.data.message))) {
      writeSync(2, table(files));
      keep(files);
      continue;
    }
    if ((ev.type !== 'test:pass' && ev.type !== 'test:fail') || ev.data.nesting !== 0 || !ev.data.file) continue;
    const now = Date.now();
    const start = now - (ev.data.details?.duration_ms ?? 0);
    const span = files.get(ev.data.file) ?? { start, end: now, failed: false };
    span.start = Math.min(span.start, start);
    span.end = Math.max(span.end, now);
    span.failed ||= ev.type === 'test:fail';
    files.set(ev.data.file, span);
  }
  yield '';
}

/** @param {Map<string, { start: number, end: number, failed: boolean }>} files */
function table(files) {
  const rows = [...files].map(([file, s]) => ({ file: relative(process.cwd(), file), ms: s.end - s.start, failed: s.failed })).sort((a, b) => b.ms - a.ms);
  return [`\nper-file times (${rows.length} files):\n`, ...rows.map((r) => `${(r.ms / 1000).toFixed(1).padStart(7)} s  ${r.file}${r.failed ? '  (failed)' : ''}\n`)].join('');
}

/** @param {Map<string, { start: number, end: number, failed: boolean }>} files */
function keep(files) {
  const root = process.cwd();
  const times = readTimes(root);
  for (const [file, s] of files) times[relative(root, file)] = Math.round(s.end - s.start);
  try {
    mkdirSync(dirname(join(root, TIMES_FILE)), { recursive: true });
    writeFileSync(join(root, TIMES_FILE), JSON.stringify(times, null, 1));
  } catch {
    // Only an ordering hint: a read-only tree runs in the default order.
  }
}
