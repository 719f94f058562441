/** The page's stylesheet (inlined by render.ts). */
export const PAGE_STYLE = `
:root { --fg: #1b1b1b; --muted: #555; --line: #d8d8d8; --card: #fff; --bg: #f4f4f2; --warn: #8a4b00; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); }
header { padding: 16px 24px 8px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 0 0 8px; }
.meta { color: var(--muted); margin: 0; }
.status { font-weight: 600; }
.status.bad { color: #b00020; }
.totals { display: flex; flex-wrap: wrap; gap: 8px 20px; margin: 10px 0 0; padding: 0; list-style: none; }
.totals li b { font-size: 18px; display: block; }
.note { color: var(--warn); }
main { display: grid; grid-template-columns: repeat(auto-fit, minmax(440px, 1fr)); gap: 16px; padding: 8px 24px 24px; }
section.card { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 14px 16px; min-width: 0; }
section.wide { grid-column: 1 / -1; }
.chart { position: relative; height: 260px; }
.chart.tall { height: 320px; }
.empty { color: var(--muted); font-style: italic; padding: 24px 0; }
table { border-collapse: collapse; width: 100%; margin-top: 8px; font-size: 13px; }
th, td { text-align: left; padding: 3px 8px 3px 0; border-bottom: 1px solid var(--line); vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.sig { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; word-break: break-all; }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px; margin-right: 6px; vertical-align: -1px; border: 1px solid rgba(0,0,0,.35); }
.unknown { font-weight: 600; color: #7a3b00; }
details summary { cursor: pointer; color: var(--muted); margin-top: 6px; }
footer { color: var(--muted); padding: 0 24px 24px; font-size: 12px; }
@media (max-width: 520px) { main { grid-template-columns: 1fr; padding: 8px; } header { padding: 12px; } }
`;
