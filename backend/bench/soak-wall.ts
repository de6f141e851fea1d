// Child process of bench:soak (--wall): one /wall page in headless Chromium, logged in as the
// stack's operator. Playwright's client keeps an object for every request and response the
// page makes for as long as the page lives; in the soak's own process those would be counted
// as the server's heap (about 30 MB an hour), so the browser is driven from here.
// argv[2]: JSON {baseUrl, username, password}. Prints "live" once the wall's stream is live,
// then answers each "heap" line on stdin with the page's JS heap after GC in bytes; "quit" ends it.
import { createInterface } from 'node:readline';
import { launchBrowser, login } from '../../frontend/e2e/harness.ts';

const input = JSON.parse(process.argv[2] ?? '{}') as { baseUrl: string; username: string; password: string };
const browser = await launchBrowser({ viewport: { width: 1920, height: 1080 } });
try {
  const page = await browser.newPage();
  await login(page, input.baseUrl, input, '/wall');
  // Polled with evaluate (a string: this file is type-checked without the DOM library).
  for (const started = Date.now(); !(await page.evaluate(`!!document.querySelector('[data-testid=conn-status]')?.classList.contains('live')`)); ) {
    if (Date.now() - started > 60_000) throw new Error('bench:soak: the /wall page did not go live within 60 s');
    await new Promise((r) => setTimeout(r, 250));
  }
  const cdp = await browser.context.newCDPSession(page);
  await cdp.send('HeapProfiler.enable');
  process.stdout.write('live\n');
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() === 'quit') break;
    await cdp.send('HeapProfiler.collectGarbage');
    process.stdout.write(`${((await cdp.send('Runtime.getHeapUsage')) as { usedSize: number }).usedSize}\n`);
  }
} finally {
  await browser.close().catch(() => {});
}
process.exit(0);
