// A node:test reporter that prints, once the run ends, how long each test file took
// (slowest first), so a slow suite shows where its time goes. A file's span runs from
// the start of its first top-level test to the end of its last (module loading before the
// first test is not counted); run-tests.ts adds it beside the spec reporter. It writes
// to standard error itself, so its own destination stays empty.
import { writeSync } from 'node:fs';
import { relative } from 'node:path';

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
