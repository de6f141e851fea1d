// PDF printing with one shared headless Chromium: launched on the first report, reused for
// every later one (a page per render), relaunched if it dies, closed when the server stops.
// Renders are capped (MAX_RENDERS at a time, MAX_WAITING queued); beyond that the caller gets
// PdfBusyError, which the route answers with 503 and Retry-After.
import type { Browser } from 'playwright-core';

/** Renders at a time: each Chromium page takes ~50–100 MB and a core while printing. */
export const MAX_RENDERS = 2;
/** Requests waiting for a render slot; more get 503 at once. */
export const MAX_WAITING = 4;
/** Seconds a refused caller is told to wait (a report renders in about 1–3 s). */
export const RETRY_AFTER_S = 10;
/** A render that takes longer is abandoned (ms). */
const RENDER_TIMEOUT_MS = 30_000;

export class PdfBusyError extends Error {
  readonly retryAfterSeconds = RETRY_AFTER_S;
  constructor() {
    super(`the PDF printer is busy (${MAX_RENDERS} rendering, ${MAX_WAITING} waiting): retry in ${RETRY_AFTER_S} s or use format=html`);
  }
}

export class PdfRenderer {
  private browser: Promise<Browser> | null = null;
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private closed = false;
  /** Browsers started so far (one unless a browser died). */
  launches = 0;

  constructor(private readonly executablePath: string, private readonly limits = { maxRenders: MAX_RENDERS, maxWaiting: MAX_WAITING }) {}

  /** Prints self-contained HTML to an A4 PDF. Throws PdfBusyError when the queue is full. */
  async render(html: string): Promise<Buffer> {
    if (this.closed) throw new Error('the PDF renderer is closed (server shutting down)');
    await this.acquire();
    try {
      const browser = await this.launch();
      const context = await browser.newContext({ javaScriptEnabled: false });
      try {
        const page = await context.newPage();
        page.setDefaultTimeout(RENDER_TIMEOUT_MS);
        // The report is self-contained: nothing may be fetched while printing.
        await page.route('**/*', (route) => route.abort());
        await page.setContent(html, { waitUntil: 'load' });
        return await page.pdf({ format: 'A4', printBackground: true, margin: { top: '12mm', bottom: '12mm', left: '10mm', right: '10mm' } });
      } finally {
        await context.close().catch(() => {});
      }
    } finally {
      this.release();
    }
  }

  /** Renders in progress and waiting (for tests and metrics). */
  load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  async close(): Promise<void> {
    this.closed = true;
    const b = this.browser;
    this.browser = null;
    if (b) await (await b.catch(() => null))?.close().catch(() => {});
  }

  private acquire(): Promise<void> {
    if (this.running < this.limits.maxRenders) {
      this.running++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.limits.maxWaiting) return Promise.reject(new PdfBusyError());
    // The slot is handed over by release(): running stays counted.
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }

  private launch(): Promise<Browser> {
    if (!this.browser) {
      this.launches++;
      const p = (async () => {
        const { chromium } = await import('playwright-core');
        const b = await chromium.launch({
          executablePath: this.executablePath,
          args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
        });
        // A crashed or killed browser is replaced on the next render.
        b.on('disconnected', () => {
          if (this.browser === p) this.browser = null;
        });
        return b;
      })();
      this.browser = p;
      p.catch(() => {
        if (this.browser === p) this.browser = null;
      });
    }
    return this.browser;
  }
}
