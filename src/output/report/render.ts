/**
 * The page: one HTML document with everything inlined (stylesheet,
 * Chart.js, the page script and, for the report, the data), so that a
 * report opens from file:// with no network, and the dashboard's page
 * needs nothing but its own data route.
 *
 * Chart.js is read from the installed package (a dependency of pof) the
 * first time a page is made. Its licence banners are replaced by the full
 * MIT licence texts of Chart.js and of @kurkle/color (which its bundle
 * includes), without their home-page lines, so that the file holds no URL
 * at all; the data is JSON with '<' and '/' escaped, so neither can end
 * its script element nor spell a URL. A Content-Security-Policy allows
 * exactly these inline scripts and this stylesheet (by hash) and no
 * fetch, except the data route on the live page.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PofError } from '../../errors.js';
import type { ReportData } from './data.js';
import { PAGE_SCRIPT } from './page-script.js';
import { PAGE_STYLE } from './page-style.js';

export interface PageOptions {
  /** The heading and the document title. */
  title: string;
  /** A line under the heading (the capture's name and packet count, say). */
  subtitle?: string;
  /** pof's version, for the footer. */
  version: string;
  /** When the page was made (ISO 8601); the footer says it. */
  generatedAt?: string;
  /** Live page: where its data is fetched from (relative to the page), how often, and the window. */
  live?: { dataPath: string; refreshMs: number; windowS: number };
}

interface ChartLib {
  code: string;
  version: string;
}

let chartLib: ChartLib | undefined;

function licenceText(dir: string): string | null {
  for (const f of ['LICENSE.md', 'LICENSE', 'LICENSE.txt']) {
    const p = path.join(dir, f);
    if (existsSync(p)) return readFileSync(p, 'utf8').trim();
  }
  return null;
}

/** The package folder that holds `file` (the nearest package.json with `name`). */
function packageDir(file: string, name: string): string | null {
  let d = path.dirname(file);
  for (;;) {
    const pj = path.join(d, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === name) return d;
      } catch {
        /* not this one */
      }
    }
    const up = path.dirname(d);
    if (up === d) return null;
    d = up;
  }
}

/** Chart.js's UMD bundle with its licences in full and no URL (see the file comment). */
export function chartLibrary(): ChartLib {
  if (chartLib) return chartLib;
  const req = createRequire(import.meta.url);
  let main: string;
  try {
    main = req.resolve('chart.js');
  } catch (e) {
    throw new PofError('E_CONFIG', 'report: the chart library (npm package chart.js, a dependency of pof) is not installed: run npm install', { cause: e });
  }
  const dir = packageDir(main, 'chart.js');
  const bundle = dir && path.join(dir, 'dist', 'chart.umd.min.js');
  if (!bundle || !existsSync(bundle)) throw new PofError('E_CONFIG', `report: chart.js has no dist/chart.umd.min.js under ${dir ?? path.dirname(main)}`);
  let code = readFileSync(bundle, 'utf8');
  const version = /Chart\.js v([0-9][^\s*]*)/.exec(code)?.[1] ?? 'unknown';
  let colorDir: string | null = null;
  try {
    colorDir = packageDir(createRequire(main).resolve('@kurkle/color'), '@kurkle/color');
  } catch {
    /* bundled into Chart.js; its notice below still stands */
  }
  const colorVersion = /@kurkle\/color v([0-9][^\s*]*)/.exec(code)?.[1] ?? '';
  const notices = [
    `Chart.js v${version}, inlined from the npm package chart.js.\n\n${licenceText(dir) ?? 'Copyright (c) Chart.js Contributors. Released under the MIT License.'}`,
    `@kurkle/color v${colorVersion}, bundled inside Chart.js.\n\n${(colorDir && licenceText(colorDir)) ?? 'Copyright (c) Jukka Kurkela. Released under the MIT License.'}`,
  ];
  // The banners, minus their home-page lines: the notices above carry the licences in full.
  code = code.replace(/\/\*![\s\S]*?\*\//g, (banner) => banner.replace(/\n \* (?:https?:)?\/\/\S*/g, ''));
  code = `/*!\n${notices.join('\n\n').replace(/\*\//g, '* /')}\n*/\n` + code;
  // Inside a script element "</script" would end it; in JS, "<\/" is the same text.
  code = code.replace(/<\/(script)/gi, '<\\/$1');
  chartLib = { code, version };
  return chartLib;
}

/** JSON that is safe inside a script element and spells no URL ('<', '>', '&', '/' and U+2028/9 escaped). */
export function inlineJson(v: unknown): string {
  return JSON.stringify(v).replace(/[<>&/\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function sha256(s: string): string {
  return `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;
}

export interface Page {
  html: string;
  /** The Content-Security-Policy the page carries (also sent as a header by the dashboard). */
  csp: string;
}

/** The page; `data` is inlined for a report and omitted on the live page (it fetches it). */
export function renderPage(data: ReportData | null, o: PageOptions): Page {
  const lib = chartLibrary();
  const config = inlineJson({ live: !!o.live, dataPath: o.live?.dataPath ?? null, refreshMs: o.live?.refreshMs ?? 0, windowS: o.live?.windowS ?? 0 });
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(lib.code)} ${sha256(PAGE_SCRIPT)}`,
    `style-src ${sha256(PAGE_STYLE)}`,
    // Swatches are coloured through the CSSOM, which style-src does not govern.
    `connect-src ${o.live ? "'self'" : "'none'"}`,
    "img-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const title = escapeHtml(o.title);
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="pof ${escapeHtml(o.version)}">
<title>${title}</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<header>
<h1>${title}</h1>
${o.subtitle ? `<p class="meta">${escapeHtml(o.subtitle)}</p>\n` : ''}<p class="meta" id="span"></p>
<p class="status" id="status" role="status"></p>
<ul class="totals" id="totals"></ul>
<p class="note" id="approx" hidden>Some tables were full: the rarest entries were folded away, so small counts are lower bounds.</p>
<noscript><p class="note">This page draws its charts and tables with JavaScript.</p></noscript>
</header>
<main id="cards"></main>
<footer>Made by pof ${escapeHtml(o.version)}${o.generatedAt ? ` on ${escapeHtml(o.generatedAt)}` : ''}. Charts: Chart.js ${escapeHtml(lib.version)} (MIT licence, inlined). OS families are read from the signature labels; counts are of observations (one SYN per connection).</footer>
<script type="application/json" id="pof-config">${config}</script>
${data ? `<script type="application/json" id="pof-data">${inlineJson(data)}</script>\n` : ''}<script>${lib.code}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
  return { html, csp };
}
