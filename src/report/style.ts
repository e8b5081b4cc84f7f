/** The report's inline stylesheet: system fonts only (it must render offline), readable on screen and on A4 paper. */
export const REPORT_CSS = `
:root { --ink: #1a1a1a; --muted: #5b6470; --rule: #d5d9de; --accent: #0b4f8a; --notice: #8a1c1c; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 32px 48px; }
h1 { font-size: 26px; margin: 4px 0 8px; }
h2 { font-size: 20px; margin: 0 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--accent); color: var(--accent); }
h3 { font-size: 16px; margin: 18px 0 6px; }
section { margin-top: 34px; }
p { margin: 6px 0 10px; max-width: 80ch; }
.notice { display: inline-block; margin: 0 0 6px; padding: 4px 10px; border: 2px solid var(--notice); border-radius: 4px; color: var(--notice); font-weight: 600; }
.note { color: var(--muted); font-size: 13px; }
dl.meta { display: flex; flex-wrap: wrap; gap: 6px 28px; margin: 8px 0; }
dl.meta div { display: flex; gap: 6px; }
dl.meta dt { color: var(--muted); }
dl.meta dt::after { content: ":"; }
dl.meta dd { margin: 0; font-weight: 600; }
nav.contents { margin-top: 18px; padding: 10px 14px; background: #f5f7f9; border-radius: 6px; }
nav.contents ol { margin: 4px 0 0; padding-left: 20px; columns: 3; column-gap: 24px; }
table { border-collapse: collapse; margin: 8px 0 12px; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 8px; vertical-align: top; text-align: left; }
table.metrics thead th { border-bottom: 2px solid var(--ink); font-size: 13px; }
table.metrics tbody tr { border-bottom: 1px solid var(--rule); }
table.metrics tbody th { font-weight: 600; overflow-wrap: break-word; max-width: 22ch; }
table.metrics.compact tbody th { max-width: 40ch; }
table.metrics.headline td:last-child { color: var(--muted); font-size: 13px; max-width: 52ch; }
.num { text-align: right; white-space: nowrap; }
thead th.num { white-space: normal; }
td.value, span.value { font-weight: 600; }
span.value, span.ci { display: block; }
span.ci { color: var(--muted); font-size: 12px; }
td.missing { color: var(--muted); }
tr.total th, tr.total td { font-weight: 600; }
table.metrics.grouped tbody { border-top: 2px solid var(--ink); }
table.metrics.grouped th[scope="rowgroup"] { vertical-align: top; }
ul.checks { list-style: none; padding-left: 0; }
.check-pass { color: #1b6e2e; }
.check-fail { color: var(--notice); font-weight: 600; }
span.ci.inline { display: inline; }
table.metrics.folds tbody th, table.metrics.folds td { white-space: nowrap; }
.definitions { margin-top: 14px; padding: 10px 16px; border-left: 4px solid var(--accent); background: #f5f8fb; }
.definitions h3 { margin-top: 4px; }
.definitions dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 6px 0; }
.definitions dt { font-weight: 600; }
.definitions dd { margin: 0; }
table.confusion { font-size: 13px; }
table.confusion th { font-weight: 600; }
table.confusion tbody th { text-align: right; white-space: nowrap; vertical-align: middle; }
table.confusion th.corner { vertical-align: bottom; color: var(--muted); font-weight: 400; white-space: nowrap; }
table.confusion th.rotated { vertical-align: bottom; padding: 4px 0; width: 56px; }
table.confusion th.rotated span { writing-mode: vertical-rl; transform: rotate(180deg); display: inline-block; max-height: 160px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
td.cm { width: 56px; min-width: 56px; height: 34px; text-align: center; vertical-align: middle; border: 1px solid #fff; }
td.cm.zero { color: #9aa3ad; }
td.cm.diagonal { outline: 2px solid var(--ink); outline-offset: -2px; }
td.total { vertical-align: middle; color: var(--muted); }
.panels { display: flex; flex-wrap: wrap; gap: 14px 18px; }
figure { margin: 0; }
figure.panel { width: 240px; }
figure.panel figcaption { font-size: 13px; }
.class-name { display: block; font-weight: 600; font-size: 14px; overflow-wrap: break-word; }
svg.chart { display: block; width: 100%; height: auto; }
svg.chart .grid line { stroke: #e7eaee; stroke-width: 1; }
svg.chart .frame { fill: none; stroke: #9aa3ad; stroke-width: 1; }
svg.chart text { font-size: 10px; fill: var(--muted); }
svg.chart .axis-title { font-size: 11px; fill: var(--ink); }
svg.chart .curve { fill: none; stroke-width: 2; stroke-linejoin: round; }
svg.chart .guide { fill: none; stroke-width: 1.2; stroke-dasharray: 4 3; }
.errors { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 14px; }
figure.error { border: 1px solid var(--rule); border-radius: 6px; padding: 8px; font-size: 12.5px; }
figure.error img, figure.error .no-image { display: block; width: 100%; aspect-ratio: 1; object-fit: contain; background: #f0f2f4; border-radius: 3px; }
figure.error .no-image { display: flex; align-items: center; justify-content: center; color: var(--muted); }
figure.error figcaption span { display: block; overflow-wrap: anywhere; }
figure.error .source { color: var(--muted); font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 11.5px; margin: 4px 0 2px; }
pre.config { background: #f5f7f9; padding: 10px 14px; border-radius: 6px; font-size: 12.5px; overflow-x: auto; white-space: pre-wrap; overflow-wrap: anywhere; }
details.config { margin-top: 14px; }
details.config summary { cursor: pointer; font-weight: 600; padding: 6px 0; }
.table-scroll { max-width: 100%; overflow-x: auto; }
.table-scroll > table { margin-top: 8px; }
div.in-short { margin-top: 18px; padding: 12px 16px; border: 2px solid var(--accent); border-radius: 6px; background: #f5f8fb; }
div.in-short h2 { border-bottom: 0; padding-bottom: 0; }
div.in-short p { font-size: 16px; }
.notice.synthetic { display: block; }
dl.meta dd { overflow-wrap: anywhere; }
footer { margin-top: 40px; padding-top: 10px; border-top: 1px solid var(--rule); color: var(--muted); font-size: 13px; }
@media (max-width: 640px) {
  main { padding: 14px 14px 32px; }
  h1 { font-size: 22px; }
  nav.contents ol { columns: 1; }
  dl.meta { flex-direction: column; gap: 2px; }
  .definitions { padding: 8px 12px; }
  .definitions dl { grid-template-columns: 1fr; gap: 0; }
  .definitions dd { margin-bottom: 8px; }
  /* The headline table stacks: metric and value on one line, its interval and meaning below, full width. */
  table.metrics.headline, table.metrics.headline tbody { display: block; }
  table.metrics.headline thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
  table.metrics.headline tr { display: grid; grid-template-columns: 1fr auto; padding: 6px 0; }
  table.metrics.headline th, table.metrics.headline td { padding: 2px 4px; }
  table.metrics.headline td:nth-child(3) { grid-column: 1 / -1; text-align: left; color: var(--muted); font-size: 13px; }
  table.metrics.headline td:nth-child(3)::before { content: "95% CI "; }
  table.metrics.headline td:last-child { grid-column: 1 / -1; max-width: none; }
  figure.panel { width: 100%; max-width: 320px; }
  .errors { grid-template-columns: repeat(auto-fill, minmax(140px, 1fr)); }
}
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { font-size: 10.5pt; }
  table.metrics { font-size: 8.5pt; }
  table.metrics th, table.metrics td { padding: 3px 4px; }
  table.metrics thead th { font-size: 8pt; }
  span.ci { font-size: 7pt; }
  .panels { gap: 10px 14px; }
  figure.panel { width: calc((100% - 28px) / 3); }
  .errors { grid-template-columns: repeat(5, 1fr); gap: 8px; }
  figure.error { padding: 5px; font-size: 8pt; }
  main { max-width: none; padding: 0; }
  nav.contents { display: none; }
  details.config:not([open]) { display: none; }
  section { margin-top: 20px; break-before: auto; }
  h2, h3 { break-after: avoid; }
  table, figure, .definitions, tr { break-inside: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
`;
