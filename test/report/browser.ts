/**
 * Headless Chromium for the report and dashboard tests: Debian's chromium
 * driven by playwright-core (which downloads no browser of its own), in a
 * fresh profile, with everything that would reach for the network off.
 * In CI a missing chromium fails the run instead of skipping.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.POF_CHROMIUM ?? '/usr/bin/chromium';
const ci = process.env.CI === 'true';
export const browserSkip: string | false = existsSync(CHROMIUM) || ci ? false : `no ${CHROMIUM} (apt-get install chromium)`;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Screenshots are kept here (CI keeps the folder; .gitignore leaves it out). */
export const ARTIFACTS = process.env.POF_TEST_ARTIFACTS ?? path.join(root, 'test-artifacts');

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launch(): Promise<Browser> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'pof-chromium-'));
  const args = ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];
  if (process.getuid?.() === 0) args.push('--no-sandbox');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args,
    viewport: { width: 1280, height: 900 },
    timeout: 60_000,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface Watched {
  page: Page;
  /** Every URL the page asked for (documents, scripts, fetches...). */
  requests: string[];
  /** Console errors and uncaught exceptions. */
  errors: string[];
  /** Content-Security-Policy violations the page reported. */
  cspViolations(): Promise<string[]>;
}

/** A new page that records its requests, errors and CSP violations. */
export async function watchedPage(b: Browser): Promise<Watched> {
  const page = await b.context.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => void requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => void errors.push(String(e)));
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => void w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return { page, requests, errors, cspViolations: () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp) };
}

/** Canvases that hold a Chart.js chart with pixels drawn (not blank). */
export function drawnCharts(page: Page): Promise<number> {
  return page.evaluate(() => {
    const C = (window as unknown as { Chart?: { getChart(c: HTMLCanvasElement): unknown } }).Chart;
    let n = 0;
    for (const c of Array.from(document.querySelectorAll('canvas'))) {
      if (!C?.getChart(c) || c.width === 0 || c.height === 0 || c.closest('[hidden]')) continue;
      const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let painted = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) painted++;
      if (painted > 500) n++;
    }
    return n;
  });
}

export function screenshotPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, name);
}
