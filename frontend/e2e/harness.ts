// Shared by the browser tests and the wall benchmark: builds the frontend when it is stale,
// starts the real backend (every feature) on a test database with the demo subset, and
// launches Debian's Chromium through playwright-core with every non-localhost request
// blocked and recorded.
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { loadConfig } from '../../backend/src/kernel/config.ts';
import { createLogger } from '../../backend/src/logger.ts';
import { startServer, type RunningServer } from '../../backend/src/main.ts';
import { hashPassword } from '../../backend/src/auth/passwords.ts';
import { freePort } from '../../backend/src/kernel/net.ts';
export { freePort };

export const CHROMIUM = '/usr/bin/chromium';
export const FRONTEND_DIR = fileURLToPath(new URL('..', import.meta.url));
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  // WebGL without a GPU: SwiftShader (software), which Chromium gates behind this flag.
  '--enable-unsafe-swiftshader',
  '--use-angle=swiftshader',
  // The wall's siren must be able to play without a click in tests.
  '--autoplay-policy=no-user-gesture-required',
];

function newestMtime(dir: string): number {
  let t = 0;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.endsWith('.test.ts')) continue;
    const p = join(dir, name);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newestMtime(p) : s.mtimeMs);
  }
  return t;
}

function isFresh(): boolean {
  const index = join(FRONTEND_DIR, 'dist', 'index.html');
  const src = Math.max(newestMtime(join(FRONTEND_DIR, 'src')), statSync(join(FRONTEND_DIR, 'index.html')).mtimeMs, statSync(join(FRONTEND_DIR, 'vite.config.ts')).mtimeMs);
  return existsSync(index) && statSync(index).mtimeMs >= src;
}

/**
 * Runs `vite build` when frontend/dist is missing or older than the sources. Test files
 * run in parallel: a lock directory makes one build while the others wait, then re-check.
 */
export async function ensureFrontendBuilt(log: (m: string) => void = () => {}): Promise<void> {
  if (isFresh()) return;
  const lock = join(tmpdir(), 'firelink-frontend-build.lock');
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than the deadline is from a crashed build.
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 180_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`waited 180 s for another frontend build (lock ${lock}); remove the lock if no build is running`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    if (isFresh()) return;
    log('frontend/dist is stale: running vite build');
    const { build } = await import('vite');
    await build({ root: FRONTEND_DIR, configFile: join(FRONTEND_DIR, 'vite.config.ts'), logLevel: 'warn' });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface Stack {
  server: RunningServer;
  baseUrl: string;
  gbPort: number;
  username: string;
  password: string;
  close: () => Promise<void>;
}

/**
 * Starts the backend with every feature (startServer's default FEATURES) on known free
 * ports; no demo fleet (FIRELINK_SIM_UNITS=0), so the only traffic is what the test sends.
 */
export async function startStack(databaseUrl: string, env: Record<string, string> = {}): Promise<Stack> {
  const port = await freePort();
  const gbPort = await freePort();
  const config = loadConfig({
    PORT: String(port),
    HOST: '127.0.0.1',
    GB26875_PORT: String(gbPort),
    FIRELINK_DEMO: '0',
    FIRELINK_SIM_UNITS: '0',
    LOG_LEVEL: 'silent',
    NODE_ENV: 'test',
    ...env,
  });
  const server = await startServer({ config, databaseUrl, logger: createLogger(process.env.E2E_LOG_LEVEL ?? 'silent') });
  // An operator who sees the whole center (admin scope) logs in through the real login page.
  const username = 'e2e_operator';
  const password = 'e2e-password-123';
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  try {
    await pool.query(
      `INSERT INTO users (username, display_name, password_hash, role) VALUES ($1, $2, $3, 'admin')
       ON CONFLICT (username) DO NOTHING`,
      [username, '值班员 E2E', await hashPassword(password)],
    );
  } finally {
    await pool.end();
  }
  return { server, baseUrl: `http://127.0.0.1:${server.httpPort}`, gbPort, username, password, close: () => server.close() };
}

export interface BrowserSession {
  browser: Browser;
  context: BrowserContext;
  /** Every request to a host other than localhost/127.0.0.1 (blocked). */
  external: string[];
  /** console.error messages and uncaught page errors, per page. */
  errors: string[];
  newPage: () => Promise<Page>;
  close: () => Promise<void>;
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export async function launchBrowser(opts: { viewport?: { width: number; height: number } } = {}): Promise<BrowserSession> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  return sessionIn(browser, opts, () => browser.close());
}

/**
 * One Chromium for a whole test file: each `session()` is a fresh context (its own cookies,
 * viewport and records) whose close() ends only that context; `close()` ends Chromium.
 * Starting Chromium once instead of once a test saves seconds a test on a loaded machine.
 */
export async function launchChromium(): Promise<{ session: (opts?: { viewport?: { width: number; height: number } }) => Promise<BrowserSession>; close: () => Promise<void> }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  return {
    session: (opts = {}) => sessionIn(browser, opts, (context) => context.close()),
    close: () => browser.close(),
  };
}

async function sessionIn(browser: Browser, opts: { viewport?: { width: number; height: number } }, close: (context: BrowserContext) => Promise<void>): Promise<BrowserSession> {
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 720 }, locale: 'zh-CN', timezoneId: 'UTC' });
  const external: string[] = [];
  const errors: string[] = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if ((url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'ws:' || url.protocol === 'wss:') && !LOCAL_HOSTS.has(url.hostname)) {
      external.push(url.href);
      return route.abort('blockedbyclient');
    }
    return route.continue();
  });
  context.on('weberror', (e) => errors.push(`pageerror: ${e.error().message}`));
  const newPage = async () => {
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    // WebSockets are not routed by context.route: record those too.
    page.on('websocket', (ws) => {
      const u = new URL(ws.url());
      if (!LOCAL_HOSTS.has(u.hostname)) external.push(u.href);
    });
    return page;
  };
  return { browser, context, external, errors, newPage, close: () => close(context) };
}

export async function login(page: Page, baseUrl: string, stack: Pick<Stack, 'username' | 'password'>, next = '/'): Promise<void> {
  await page.goto(`${baseUrl}/login?next=${encodeURIComponent(next)}`);
  await page.fill('input[name=username]', stack.username);
  await page.fill('input[name=password]', stack.password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('button[type=submit]')]);
}

/** Waits until the page's command map has its style and visible tiles loaded. */
export async function waitForMapIdle(page: Page, timeoutMs = 30_000): Promise<void> {
  await page.waitForFunction(
    () => {
      const c = (window as unknown as { __firelinkMap?: { map: { loaded: () => boolean; areTilesLoaded: () => boolean } } }).__firelinkMap;
      return !!c && c.map.loaded() && c.map.areTilesLoaded();
    },
    null,
    { timeout: timeoutMs, polling: 250 },
  );
}

/**
 * Reads a screenshot in the browser (decoding the PNG bytes there): the number of distinct
 * colours (every 4th pixel) and the RGBA of the given pixels (CSS px at device scale 1).
 */
async function readScreenshot(page: Page, png: Buffer, points: Array<[number, number]>): Promise<{ distinct: number; pixels: Array<[number, number, number, number]> }> {
  return page.evaluate(
    async ({ b64, points }) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width;
      c.height = img.height;
      const g = c.getContext('2d')!;
      g.drawImage(img, 0, 0);
      const d = g.getImageData(0, 0, c.width, c.height).data;
      const seen = new Set<number>();
      for (let i = 0; i < d.length; i += 16) seen.add((d[i]! << 16) | (d[i + 1]! << 8) | d[i + 2]!);
      const pixels = points.map(([x, y]) => {
        const i = (Math.round(y) * c.width + Math.round(x)) * 4;
        return [d[i]!, d[i + 1]!, d[i + 2]!, d[i + 3]!] as [number, number, number, number];
      });
      return { distinct: seen.size, pixels };
    },
    { b64: png.toString('base64'), points },
  );
}

/**
 * Distinct colours in a screenshot: a blank or single-colour page gives a handful; a drawn
 * map gives hundreds.
 */
export async function distinctColours(page: Page, png: Buffer): Promise<number> {
  return (await readScreenshot(page, png, [])).distinct;
}

/** RGBA of one pixel of a screenshot. */
export async function pixelAt(page: Page, png: Buffer, x: number, y: number): Promise<[number, number, number, number]> {
  return (await readScreenshot(page, png, [[x, y]])).pixels[0]!;
}
