import type { GateOutcome, GateRow } from '../gate/gate.js';
import { decisionCauses } from '../gate/gate.js';
import type { ProbeResult } from '../probe/probe.js';
import type { FrameWhere } from '../probe/verdict.js';
import { thousands } from '../text/thousands.js';
import { chosenBy, compilerLines } from './compilers.js';
import { cycleSvg } from './cycle-svg.js';
import { escapeXml as x } from './escape.js';
import { overflowSummary } from './overflow-summary.js';
import { DECISION, STATUS } from './status.js';

/**
 * A self-contained HTML report (no script, no external resource): the
 * verdict and what overflowed on each Lwt, the version × case matrix
 * coloured by verdict, then every crash with its cycle drawn as a loop,
 * each frame's symbol, source line and address, the kept evidence and the
 * command that reproduces it. Unexpected crashes come first and open;
 * expected ones are folded.
 */
export interface HtmlReportInput {
  title: string;
  results: ProbeResult[];
  gate?: GateOutcome;
  /** Lines shown under the title: toolchain, stack, command. */
  facts: string[];
  /** When the report was made (ISO 8601); now by default. */
  generatedAt?: string;
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem; color: #1d2329; max-width: 1200px; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; }
h2 { margin-top: 2rem; }
.facts { color: #57606a; margin: 0 0 1rem; padding: 0; list-style: none; }
.summary { margin: 0 0 1.5rem; padding-left: 1.2rem; }
table { border-collapse: collapse; margin-bottom: 1.5rem; }
th, td { border: 1px solid #d0d7de; padding: .4rem .6rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td small, th small { display: block; color: #424a53; font-weight: normal; }
.pass { background: #dafbe1; } .fail, .invalid { background: #ffd8d3; } .untestable { background: #fff1c2; }
.not-applicable { background: #eef0f2; color: #57606a; }
.blocked { color: #b42318; } .ok { color: #1a7f37; } .warn { color: #9a6700; }
.crash { border: 1px solid #d0d7de; border-radius: 8px; padding: .75rem 1.25rem; margin-bottom: 1rem; }
.crash.unexpected { border-color: #b42318; border-width: 2px; }
.crash summary { cursor: pointer; font-weight: 600; }
.frames td, .frames th { font-family: ui-monospace, monospace; font-size: 12px; padding: .15rem .4rem; }
.cycle { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-start; }
.legend { color: #57606a; font-size: 12px; }
.evidence { font-size: 12px; }
code { font-family: ui-monospace, monospace; background: #f6f8fa; padding: 0 .2em; border-radius: 3px; }
svg text { font-family: ui-monospace, monospace; }
`;

/** Text as HTML, with Markdown-style `code` spans (from manifests and messages) as <code>. */
function prose(text: string): string {
  return x(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

/** A matrix column: one Lwt, with its commit when it came from git. */
function columnHead(r: ProbeResult): string {
  const commit = r.lwt.commit ? `<small>commit ${x(r.lwt.commit.slice(0, 12))}</small>` : '';
  return `<th>Lwt ${x(r.lwt.label)} · OCaml ${x(r.compiler.name)}${commit}</th>`;
}

function cell(r: ProbeResult | undefined): string {
  if (!r) return '<td></td>';
  const o = r.observed;
  const depth = o?.depth != null ? `${o.depthIsLowerBound ? ' ≥ ' : ' × '}${thousands(o.depth)}` : '';
  const seen = o ? `${o.outcome}${o.outcome === 'cycle' ? depth : ''}` : r.reason;
  const link = o?.outcome === 'cycle' ? ` <a href="#${anchor(r)}">cycle</a>` : '';
  const status = STATUS[r.status];
  return `<td class="${status.css}" title="${x(r.reason)}"><b>${status.word}</b><small>${x(seen)}${link}</small></td>`;
}

/** One column per Lwt and compiler. */
const column = (r: ProbeResult) => `${r.compiler.name} ${r.lwt.label}`;

const anchor = (r: ProbeResult) => `crash-${r.case}-${column(r)}`.replace(/[^A-Za-z0-9_-]+/g, '-');

function matrix(results: ProbeResult[]): string {
  const versions = [...new Map(results.map((r) => [column(r), r])).values()];
  const cases = [...new Set(results.map((r) => r.case))];
  const head = `<tr><th>case</th>${versions.map(columnHead).join('')}</tr>`;
  const rows = cases.map((c) => {
    const cells = versions.map((v) => cell(results.find((r) => r.case === c && column(r) === column(v))));
    return `<tr><th>${x(c)}</th>${cells.join('')}</tr>`;
  });
  return `<table class="matrix">${head}${rows.join('')}</table>`;
}

function transitionClass(r: GateRow): string {
  if (r.blocking) return 'fail';
  return r.transition === 'untestable' ? 'untestable' : r.transition === 'invalid' ? 'invalid' : 'pass';
}

function gateTable(g: GateOutcome): string {
  const rows = g.rows.map((r) => {
    const transition = `<td class="${transitionClass(r)}"><b>${x(r.transition)}</b><small>${prose(r.why)}</small></td>`;
    return `<tr><th>${x(r.case)}</th>${cell(r.baseline)}${cell(r.candidate)}${transition}</tr>`;
  });
  const head =
    `<tr><th>case</th><th>baseline Lwt ${x(g.baseline)}</th><th>candidate Lwt ${x(g.candidate)}</th>` +
    '<th>transition</th></tr>';
  return `<table class="gate">${head}${rows.join('')}</table>`;
}

function frameRows(frames: FrameWhere[]): string {
  return frames
    .map(
      (f) =>
        `<tr><td>${x(f.name)}</td><td>${x(f.symbol ?? '')}</td><td>${x(f.location ?? '')}</td><td>${x(f.pc)}</td></tr>`,
    )
    .join('');
}

function framesTable(r: ProbeResult): string {
  const where = r.observed?.where;
  if (!where) return '';
  const entry = where.entry.length
    ? `<tr><th colspan="4">entered from (below the cycle)</th></tr>${frameRows(where.entry)}`
    : '';
  return `<table class="frames"><tr><th>frame</th><th>symbol</th><th>source</th><th>return address</th></tr>
<tr><th colspan="4">the cycle, top of the stack first</th></tr>${frameRows(where.cycle)}${entry}</table>`;
}

function evidence(r: ProbeResult): string {
  const dir = r.artifacts ? x(r.artifacts) : '';
  const kept = r.artifacts
    ? `<li>kept: <code>${dir}/case</code> (binary), <code>${dir}/core</code>, <code>${dir}/log.txt</code></li>`
    : '';
  const notes = r.notes.map((n) => `<li>${prose(n)}</li>`).join('');
  // The page's facts name every compiler; a crash says its own when lwt-regress chose it for its tree.
  const compiler = r.compiler.why
    ? `<li>built with OCaml ${x(r.compiler.name)}, ${prose(chosenBy(r.compiler))}</li>`
    : '';
  return `<ul class="evidence">${compiler}${kept}<li>reproduce: <code>${x(r.reproduce)}</code></li>${notes}</ul>`;
}

function crashSection(r: ProbeResult): string {
  const o = r.observed!;
  const unexpected = r.status !== 'pass';
  const depth = `${o.depthIsLowerBound ? 'at least ' : ''}${thousands(o.depth ?? 0)}`;
  const frames = `${o.frames.length} frame${o.frames.length === 1 ? '' : 's'}`;
  const head = `${x(r.case)} on Lwt ${x(r.lwt.label)}: cycle of ${frames} × ${depth}`;
  const known = r.known ? ` (${x(r.known.fixedIn ? `fixed in ${r.known.fixedIn}` : 'not fixed')})` : '';
  const judgement = unexpected
    ? `<p class="blocked">Not expected: ${prose(r.reason)}</p>`
    : `<p class="ok">As expected: ${prose(r.expected?.why || r.reason)}${known}</p>`;
  const legend =
    '<p class="legend">Frames are listed and drawn top of the stack first: ' +
    'an arrow A → B means that A was called by B; ' +
    'the last frame is called again by the first of the next repetition.</p>';
  const open = unexpected ? ' open' : '';
  return `<section class="crash${unexpected ? ' unexpected' : ''}" id="${anchor(r)}"><details${open}>
<summary>${unexpected ? 'Unexpected: ' : 'Expected: '}${head}</summary>
${judgement}
${legend}
<div class="cycle">${cycleSvg(o.frames, o.depth ?? 0, o.depthIsLowerBound ?? false)}
${framesTable(r)}</div>
${evidence(r)}
</details></section>`;
}

function headline(input: HtmlReportInput, results: ProbeResult[]): [string, string] {
  if (input.gate) {
    const decision = DECISION[input.gate.verdict];
    const causes = decisionCauses(input.gate.rows);
    return [decision.tone, causes.length ? `${decision.headline}: ${causes.join('; ')}` : decision.headline];
  }
  const failed = results.filter((r) => r.status === 'fail').length;
  const invalid = new Set(results.filter((r) => r.status === 'invalid').map((r) => r.case)).size;
  const untestable = results.filter((r) => r.status === 'untestable').length;
  if (failed) return ['blocked', `${failed} failed`];
  if (invalid) return ['blocked', `${invalid} invalid case${invalid === 1 ? '' : 's'}`];
  if (untestable) return ['warn', `nothing failed, ${untestable} untestable`];
  return ['ok', 'all cases met their expectations'];
}

export function htmlReport(input: HtmlReportInput): string {
  const results = input.gate ? input.gate.rows.flatMap((r) => [r.baseline, r.candidate]) : input.results;
  const [tone, verdict] = headline(input, results);
  // Unexpected crashes first, and open: they are what a reader came for.
  const crashes = results
    .filter((r) => r.observed?.outcome === 'cycle')
    .sort((a, b) => Number(b.status !== 'pass') - Number(a.status !== 'pass'));
  const generated = input.generatedAt ?? new Date().toISOString();
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${x(input.title)}</title><style>${STYLE}</style></head>
<body>
<h1>${x(input.title)}: <span class="${tone}">${x(verdict)}</span></h1>
<ul class="facts">${[...input.facts, ...compilerLines(results), `generated ${generated}`]
    .map((f) => `<li>${x(f)}</li>`)
    .join('')}</ul>
<ul class="summary">${overflowSummary(results)
    .map((s) => `<li>${x(s)}</li>`)
    .join('')}</ul>
<h2>${input.gate ? 'Transitions' : 'Lwt version × case'}</h2>
${input.gate ? gateTable(input.gate) : matrix(results)}
<h2>Crashes</h2>
${crashes.length ? crashes.map(crashSection).join('\n') : '<p>No run crashed.</p>'}
</body></html>
`;
}
