import { isoSeconds } from './_iso-time.js';
import type { RunEntry } from './run-history.js';
import type { FleetOverview, JobStatus, LastAttempt, StatusSnapshot } from './status-snapshot.js';

/** How {@link renderStatusPage} dresses the page. */
export interface StatusPageOptions {
  /** The page's title. @default 'Mirror status' */
  readonly title?: string;
  /** Asks browsers to reload the page every N seconds (a meta refresh: no JavaScript). @default none */
  readonly refreshSeconds?: number;
  /** How many recent runs the history strip shows. @default 10 */
  readonly historyRuns?: number;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escapeHtml = (text: string) =>
  /[&<>"']/.test(text) ? text.replace(/[&<>"']/g, (c) => ESCAPES[c]!) : text;

/** `00` to `99`: two-digit fields without a template per call (a page formats ~150,000 times). */
const TWO = Array.from({ length: 100 }, (_, n) => (n < 10 ? `0${n}` : `${n}`));

/** `42s`, `7m05s`, `3h05m`, `2d04h`: short spans for crowded cells. */
function span(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${TWO[s % 60]}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${TWO[Math.floor((s % 3600) / 60)]}m`;
  return `${Math.floor(s / 86400)}d${TWO[Math.floor((s % 86400) / 3600)]}h`;
}

const DAY_MS = 86_400_000;
/** `MM-DD ` of each day seen, by day number. */
const monthDays = new Map<number, string>();

/** `11-28 09:05`: a run's start in its tooltip, the date part cached per day. */
function shortStamp(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  let date = monthDays.get(day);
  if (date === undefined) {
    date = `${isoSeconds(day * DAY_MS).slice(5, 10)} `;
    if (monthDays.size > 4096) monthDays.clear();
    monthDays.set(day, date);
  }
  const minutes = Math.floor((ms - day * DAY_MS) / 60_000);
  return `${date}${TWO[Math.floor(minutes / 60)]}:${TWO[minutes % 60]}`;
}

/** A `<time>` element: machine-readable ISO time, shown as `text` or as `2026-11-28 09:05:00Z`. */
function time(ms: number, text?: string): string {
  const t = isoSeconds(ms);
  return `<time datetime="${t}">${text ?? `${t.slice(0, 10)} ${t.slice(11)}`}</time>`;
}

function attemptText(a: LastAttempt): string {
  if (a.result === 'running') return 'running';
  if (a.result === 'interrupted') return 'interrupted';
  if (a.result === 'failed' && a.exitCode !== undefined && a.exitCode !== null)
    return `failed (exit ${a.exitCode})`;
  if (a.result === 'signal' && a.signal) return `killed (${a.signal})`;
  return a.result;
}

/** A run's tooltip; HTML-safe (only `why` is free text, and it is escaped). */
function runTitle(r: RunEntry): string {
  const what =
    r.result === 'failed' && r.exitCode !== undefined && r.exitCode !== null
      ? `failed, exit ${r.exitCode}`
      : r.result === 'signal'
        ? `killed by ${escapeHtml(r.signal ?? 'a signal')}`
        : r.result;
  const took = r.result === 'skipped' ? '' : ` ${span(r.end - r.start)}`;
  // `11-28 09:00 ok 1m05s`: short, since a page of 10,000 jobs carries 100,000 of them.
  return `${shortStamp(r.start)} ${what}${took}${r.why ? ` (${escapeHtml(r.why)})` : ''}`;
}

const RESULT_CLASS: Record<string, string> = {
  ok: 'ok',
  failed: 'bad',
  signal: 'bad',
  timeout: 'bad',
  cancelled: 'off',
  skipped: 'off',
  running: 'run',
  interrupted: 'bad',
};

/** The start of a run's cell in the strip, by result: `<i class="ok" title="`. */
const CELL_OPEN: Record<string, string> = Object.fromEntries(
  Object.entries(RESULT_CLASS).map(([result, cls]) => [result, `<i class="${cls}" title="`]),
);
/** The end of a run's cell, by result: `">o</i>` (the result's first letter). */
const CELL_CLOSE: Record<string, string> = Object.fromEntries(
  Object.keys(RESULT_CLASS).map((result) => [result, `">${result[0]}</i>`]),
);

/** Adds the strip of a job's last `count` runs to `out`. */
function strip(out: string[], runs: readonly RunEntry[], count: number): void {
  const first = Math.max(0, runs.length - count);
  const shown = runs.length - first;
  if (shown === 0) {
    out.push('<span class="none">no runs recorded</span>');
    return;
  }
  out.push(`<span class="strip" aria-label="last ${shown} runs, oldest first">`);
  for (let i = first; i < runs.length; i++) {
    const r = runs[i]!;
    out.push(CELL_OPEN[r.result]!, runTitle(r), CELL_CLOSE[r.result]!);
  }
  out.push('</span>');
}

function row(j: JobStatus, now: number, historyRuns: number): string {
  const success =
    j.lastSuccess === undefined
      ? '<td class="age unknown">never</td>'
      : `<td class="age ${j.freshness}" title="${j.freshness}: interval ${span(j.okIntervalMs)}">${time(j.lastSuccess, `${span(now - j.lastSuccess)} ago`)}</td>`;
  const a = j.lastAttempt;
  const attempt =
    a === undefined
      ? '<td class="attempt">-</td>'
      : `<td class="attempt"><span class="${RESULT_CLASS[a.result]}">${escapeHtml(attemptText(a))}</span>${a.durationMs === undefined ? '' : ` in ${span(a.durationMs)}`}<br><small>${time(a.start)}</small></td>`;
  const next =
    j.state === 'skipped'
      ? '-'
      : j.state === 'running' || j.state === 'locked'
        ? 'after this run'
        : j.state === 'queued'
          ? 'when a worker takes it'
          : j.nextEligible === undefined || j.nextEligible <= now
            ? 'now'
            : `${time(j.nextEligible)}<br><small>in ${span(j.nextEligible - now)}</small>`;
  const out = [
    `<tr id="${escapeHtml(encodeURIComponent(j.job.id))}" class="${j.state}"><th scope="row">${escapeHtml(j.job.id)}</th><td class="state"><b>${j.state}</b></td><td class="reason">${escapeHtml(j.reason)}</td>${success}${attempt}<td class="next">${next}</td><td>`,
  ];
  strip(out, j.history, historyRuns);
  out.push('</td></tr>\n');
  // Joined here, into one flat string: a page of 10,000 rows built of template pieces would keep ~1,000,000 of
  // them alive until the end, each copied by every young-generation collection on the way.
  return out.join('');
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1em 2em;color:#222;background:#fff}
h1{font-size:1.4em;margin:.2em 0}
.summary{display:flex;gap:1.5em;flex-wrap:wrap;margin:.5em 0 1em;padding:0;list-style:none}
.summary li{padding:.3em .8em;border-radius:4px;background:#eef}
.summary li.alert{background:#fdd}
.summary a{color:inherit}
table{border-collapse:collapse;width:100%;table-layout:fixed}
td,th{overflow-wrap:anywhere}
th,td{text-align:left;vertical-align:top;padding:.3em .6em;border-bottom:1px solid #ddd}
thead th{background:#f4f4f4;position:sticky;top:0}
tbody th{font-family:ui-monospace,monospace;font-weight:normal}
td.state b{display:inline-block;min-width:5em;padding:0 .4em;border-radius:3px;text-align:center;font-weight:600}
tr.running b{background:#cde6ff}tr.locked b{background:#e5d4ff}tr.failing b{background:#f8c4c4}
tr.queued b{background:#d9f2e6}tr.waiting b{background:#eee}tr.due b,tr.never b{background:#fff2c2}tr.skipped b{background:#ddd;color:#666}
td.age.fresh{color:#17692c}td.age.late{color:#9a6200}td.age.stale{color:#b3141b;font-weight:600}td.age.unknown{color:#666}
.ok{color:#17692c}.bad{color:#b3141b}.run{color:#0b5cad}.off{color:#666}
.strip i{display:inline-block;width:1.1em;height:1.4em;margin-right:1px;font:10px/1.4em monospace;text-align:center;color:#fff;font-style:normal;overflow:hidden}
.strip i.ok{background:#2e9d47}.strip i.bad{background:#d33}.strip i.off{background:#aaa}.strip i.run{background:#3b82f6}
.none{color:#888;font-size:.9em}
#fleet{margin:1.5em 0}#fleet h2{font-size:1.1em}#fleet ul{margin:0;padding:0;list-style:none}#fleet tr.silent b{color:#b3141b}#fleet tr.stopped b{color:#666}
footer{margin-top:1em;color:#666;font-size:.9em}
time{white-space:nowrap}
`;

/** The fleet's workers: each with its host, pid, heartbeat (and its age), state and what it runs. */
function fleetSection(fleet: FleetOverview, now: number): string {
  const limits = Object.entries(fleet.limits)
    .map(([scope, l]) => `${scope} ${l.used}/${l.max}`)
    .join(', ');
  const rows = fleet.workers.map((w) => {
    const runs =
      w.running
        .map(
          (r) =>
            `<li>${escapeHtml(r.jobId)} <small>(${r.pid === null ? '' : `pid ${r.pid}, `}fence ${r.fence}, since ${time(r.since)})</small></li>`,
        )
        .join('') || '<li class="none">nothing</li>';
    return `<tr class="${w.state}"><th scope="row">${escapeHtml(w.worker)}</th><td>${escapeHtml(w.hostname)}</td><td>${w.pid}</td><td class="state"><b>${w.state}</b></td><td class="heartbeat">${time(w.heartbeat, `${span(now - w.heartbeat)} ago`)}</td><td>${w.running.length}/${w.max}</td><td class="runs"><ul>${runs}</ul></td></tr>\n`;
  });
  return `<section id="fleet">
<h2>Fleet: ${fleet.workers.filter((w) => w.state === 'alive').length} of ${fleet.workers.length} workers alive, ${fleet.queued} queued${limits ? `; slots ${escapeHtml(limits)}` : ''}</h2>
<table>
<colgroup><col style="width:18%"><col style="width:12%"><col style="width:7%"><col style="width:7.5em"><col style="width:12%"><col style="width:6%"><col></colgroup>
<thead><tr><th scope="col">Worker</th><th scope="col">Host</th><th scope="col">Pid</th><th scope="col">State</th><th scope="col">Last heartbeat</th><th scope="col">Jobs</th><th scope="col">Runs</th></tr></thead>
<tbody>
${rows.join('') || '<tr><td colspan="7" class="none">no workers have joined</td></tr>\n'}</tbody>
</table>
</section>
`;
}

/**
 * One static HTML page of a {@link StatusSnapshot}, readable without JavaScript: a header (running/limit,
 * failing, stale), then a row per job with its state and reason, last success and its age (coloured fresh, late
 * or stale against the job's interval), last attempt, next eligible time and a strip of its recent runs; for a
 * fleet's snapshot, a section of its workers (heartbeat, state, what each runs) above the jobs.
 * @example
 * await writeFile('status.html', renderStatusPage(await statusSnapshot(plan.steps, { store, locks, history })));
 */
export function renderStatusPage(snapshot: StatusSnapshot, options: StatusPageOptions = {}): string {
  const title = options.title ?? 'Mirror status';
  const historyRuns = options.historyRuns ?? 10;
  const now = snapshot.at;
  const c = snapshot.counts;
  // Each count links to where its state's rows begin (a <tbody> per state): at 10,000 rows, no scrolling to find them.
  const others = (['locked', 'queued', 'waiting', 'due', 'never', 'skipped'] as const)
    .filter((s) => c[s] > 0)
    .map((s) => `<a href="#state-${s}">${c[s]} ${s}</a>`)
    .join(', ');
  const linked = (state: string, count: number, text: string) =>
    count > 0 ? `<a href="#state-${state}">${text}</a>` : text;
  const refresh =
    options.refreshSeconds === undefined
      ? ''
      : `<meta http-equiv="refresh" content="${options.refreshSeconds}">\n`;
  // Rows joined 256 at a time (~250 KB): strings that large are allocated outside the young generation, so the
  // page is not copied from one young-generation collection to the next as it grows.
  const rows: string[] = [];
  let batch: string[] = [];
  let state: string | undefined;
  for (const j of snapshot.jobs) {
    if (j.state !== state) {
      batch.push(`${state === undefined ? '' : '</tbody>\n'}<tbody id="state-${j.state}">\n`);
      state = j.state;
    }
    batch.push(row(j, now, historyRuns));
    if (batch.length === 256) {
      rows.push(batch.join(''));
      batch = [];
    }
  }
  rows.push(batch.join(''));
  // Entities (&le;, &times;) rather than characters in the page's own text: a page of ASCII is one byte per
  // character in memory and copied as such to the file; one non-Latin-1 character would double all 10 MB of it.
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${refresh}<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${escapeHtml(title)}</h1>
<ul class="summary">
<li id="running" class="${snapshot.running > 0 ? '' : 'idle'}">${linked('running', c.running, `<b>${snapshot.running}/${snapshot.limit}</b> running`)}</li>
<li id="failing" class="${snapshot.failing > 0 ? 'alert' : ''}">${linked('failing', c.failing, `<b>${snapshot.failing}</b> failing`)}</li>
<li id="stale" class="${snapshot.stale > 0 ? 'alert' : ''}"><b>${snapshot.stale}</b> stale</li>
<li id="jobs"><b>${snapshot.jobs.length}</b> jobs${others ? ` (${others})` : ''}</li>
</ul>
<p>As of ${time(now)}. Most urgent first; ages are coloured against each job's own interval: fresh &le; 1&times;, late &le; 2&times;, stale beyond.</p>
</header>
<main>
${snapshot.fleet ? fleetSection(snapshot.fleet, now) : ''}<table>
<colgroup><col style="width:18%"><col style="width:7.5em"><col style="width:25%"><col style="width:9%"><col style="width:14%"><col style="width:14%"><col style="width:13em"></colgroup>
<thead><tr><th scope="col">Job</th><th scope="col">State</th><th scope="col">Why</th><th scope="col">Last success</th><th scope="col">Last attempt</th><th scope="col">Next eligible</th><th scope="col">Recent runs</th></tr></thead>
${state === undefined ? '<tbody>\n' : ''}${rows.join('')}</tbody>
</table>
</main>
<footer>${snapshot.notes.map((n) => `<p class="note">${escapeHtml(n)}</p>`).join('')}<p>Generated by mm (@suite/mirror-scheduler).</p></footer>
</body>
</html>
`;
}
