import type { GateOutcome } from '../gate/gate.js';
import type { ProbeResult } from '../probe/probe.js';
import { escapeXml as x } from './escape.js';
import { thousands } from './thousands.js';

/**
 * A self-contained HTML report (no script, no external resource): the
 * version × case matrix coloured by verdict, and for every crash the cycle
 * drawn as a loop of frames with its repetition count and the frames that
 * entered it.
 */
export interface HtmlReportInput {
  title: string;
  results: ProbeResult[];
  gate?: GateOutcome;
  /** Lines shown under the title: toolchain, stack, command. */
  facts: string[];
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem; color: #1d2329; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; }
.facts { color: #57606a; margin: 0 0 1.5rem; padding: 0; list-style: none; }
table { border-collapse: collapse; margin-bottom: 2rem; }
th, td { border: 1px solid #d0d7de; padding: .4rem .6rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td small { display: block; color: #424a53; }
.pass { background: #dafbe1; } .fail { background: #ffd8d3; } .untestable { background: #fff1c2; } .not-applicable { background: #eef0f2; color: #57606a; }
.blocked { color: #b42318; } .ok { color: #1a7f37; } .warn { color: #9a6700; }
.crash { border: 1px solid #d0d7de; border-radius: 8px; padding: 1rem 1.25rem; margin-bottom: 1.5rem; max-width: 760px; }
.crash h3 { margin-top: 0; }
.entry { font-family: ui-monospace, monospace; font-size: 12px; }
svg text { font-family: ui-monospace, monospace; }
`;

const STATUS_TEXT: Record<ProbeResult['status'], string> = {
  pass: 'pass',
  fail: 'FAIL',
  'not-applicable': 'n/a',
  untestable: 'untestable',
};

function cell(r: ProbeResult | undefined): string {
  if (!r) return '<td></td>';
  const seen = r.observed
    ? r.observed.outcome === 'cycle'
      ? `cycle × ${r.observed.depthAtLeast ? '≥' : ''}${thousands(r.observed.depth ?? 0)}`
      : r.observed.outcome
    : r.reason;
  const link = r.observed?.outcome === 'cycle' ? ` <a href="#${anchor(r)}">loop</a>` : '';
  return `<td class="${r.status}" title="${x(r.reason)}"><b>${STATUS_TEXT[r.status]}</b><small>${x(seen)}${link}</small></td>`;
}

const anchor = (r: ProbeResult) => `crash-${r.case}-${r.ocaml}-${r.lwt.label}`.replace(/[^A-Za-z0-9_-]+/g, '-');

function matrix(results: ProbeResult[]): string {
  const column = (r: ProbeResult) => `Lwt ${r.lwt.label} · OCaml ${r.ocaml}`;
  const versions = [...new Set(results.map(column))];
  const cases = [...new Set(results.map((r) => r.case))];
  const head = `<tr><th>case</th>${versions.map((v) => `<th>${x(v)}</th>`).join('')}</tr>`;
  const rows = cases.map(
    (c) =>
      `<tr><th>${x(c)}</th>${versions.map((v) => cell(results.find((r) => r.case === c && column(r) === v))).join('')}</tr>`,
  );
  return `<table class="matrix">${head}${rows.join('')}</table>`;
}

function gateTable(g: GateOutcome): string {
  const rows = g.rows.map(
    (r) =>
      `<tr><th>${x(r.case)}</th>${cell(r.baseline)}${cell(r.candidate)}<td class="${r.blocking ? 'fail' : r.transition === 'untestable' ? 'untestable' : 'pass'}"><b>${x(r.transition)}</b><small>${x(r.why)}</small></td></tr>`,
  );
  return `<table class="gate"><tr><th>case</th><th>baseline Lwt ${x(g.baseline)}</th><th>candidate Lwt ${x(g.candidate)}</th><th>transition</th></tr>${rows.join('')}</table>`;
}

/** The cycle as a loop: each frame calls the one before it in the list, and the first calls the last again. */
function cycleSvg(frames: string[], repetitions: number): string {
  const n = frames.length;
  const boxWidth = (name: string) => Math.min(300, name.length * 7.4 + 20);
  const widest = Math.max(...frames.map(boxWidth));
  // Far enough out that no box covers the repetition count in the middle.
  const radius = n === 1 ? 0 : Math.max(120, n * 34, widest / 2 + 80);
  const width = Math.max(2 * radius + widest + 40, 360);
  const height = 2 * radius + (n === 1 ? 150 : 90);
  const cx = width / 2;
  const cy = height / 2;
  const at = (i: number) => {
    const a = -Math.PI / 2 + (2 * Math.PI * i) / n;
    return { px: cx + radius * Math.cos(a), py: cy + radius * Math.sin(a) };
  };
  const nodes = frames.map((name, i) => {
    const { px, py } = n === 1 ? { px: cx, py: cy - 40 } : at(i);
    const w = boxWidth(name);
    return `<g class="frame"><rect x="${(px - w / 2).toFixed(1)}" y="${(py - 14).toFixed(1)}" width="${w.toFixed(1)}" height="28" rx="6" fill="#ffffff" stroke="#0969da"/><text x="${px.toFixed(1)}" y="${(py + 4).toFixed(1)}" text-anchor="middle" font-size="12">${x(name)}</text></g>`;
  });
  const edges: string[] = [];
  if (n === 1) {
    edges.push(
      `<path d="M ${cx + 40} ${cy - 26} C ${cx + 120} ${cy + 40}, ${cx - 120} ${cy + 40}, ${cx - 40} ${cy - 26}" fill="none" stroke="#57606a" stroke-width="1.5" marker-end="url(#arrow)"/>`,
    );
  } else {
    for (let i = 0; i < n; i++) {
      // Caller to callee: frame i+1 calls frame i; the top frame calls the bottom one of the next repetition.
      const from = at((i + 1) % n);
      const to = at(i);
      const sx = from.px + (to.px - from.px) * 0.22;
      const sy = from.py + (to.py - from.py) * 0.22;
      const ex = from.px + (to.px - from.px) * 0.78;
      const ey = from.py + (to.py - from.py) * 0.78;
      edges.push(
        `<line x1="${sx.toFixed(1)}" y1="${sy.toFixed(1)}" x2="${ex.toFixed(1)}" y2="${ey.toFixed(1)}" stroke="#57606a" stroke-width="1.5" marker-end="url(#arrow)"/>`,
      );
    }
  }
  const centreY = n === 1 ? cy + 45 : cy;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width.toFixed(0)}" height="${height.toFixed(0)}" viewBox="0 0 ${width.toFixed(0)} ${height.toFixed(0)}" role="img" aria-label="cycle of ${n} frames repeated ${repetitions} times">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#57606a"/></marker></defs>
${edges.join('\n')}
${nodes.join('\n')}
<text x="${cx.toFixed(1)}" y="${centreY.toFixed(1)}" text-anchor="middle" font-size="22" font-weight="bold" fill="#b42318">× ${thousands(repetitions)}</text>
<text x="${cx.toFixed(1)}" y="${(centreY + 18).toFixed(1)}" text-anchor="middle" font-size="11" fill="#57606a">repetitions</text>
</svg>`;
}

function crashSection(r: ProbeResult): string {
  const o = r.observed!;
  const entry = o.entry.length
    ? `<p>Entered from:</p><ol class="entry">${o.entry.map((e) => `<li>${x(e)}</li>`).join('')}</ol>`
    : '';
  return `<section class="crash" id="${anchor(r)}"><h3>${x(r.case)} on Lwt ${x(r.lwt.label)}, OCaml ${x(r.ocaml)}: cycle of ${o.frames.length} frame${o.frames.length === 1 ? '' : 's'} × ${o.depthAtLeast ? 'at least ' : ''}${thousands(o.depth ?? 0)}</h3>
<p class="${r.status === 'fail' ? 'blocked' : 'ok'}">${r.status === 'fail' ? `Not expected: Lwt ${x(r.lwt.version)} should run ${x(r.expected?.outcome ?? '?')} here (${x(r.expected?.why ?? '')})` : `As expected: ${x(r.expected?.why ?? r.reason)}`}</p>
${cycleSvg(o.frames, o.depth ?? 0)}
${entry}
<p><small>reproduce: <code>${x(r.reproduce)}</code></small></p></section>`;
}

export function htmlReport(input: HtmlReportInput): string {
  const results = input.gate ? input.gate.rows.flatMap((r) => [r.baseline, r.candidate]) : input.results;
  const failed = results.filter((r) => r.status === 'fail').length;
  const untestable = results.filter((r) => r.status === 'untestable').length;
  const verdict = input.gate
    ? {
        blocked: ['blocked', 'upgrade blocked'],
        untestable: ['warn', 'not fully tested'],
        pass: ['ok', 'upgrade passes'],
      }[input.gate.verdict]
    : failed
      ? ['blocked', `${failed} failed`]
      : untestable
        ? ['warn', `nothing failed, ${untestable} untestable`]
        : ['ok', 'all cases met their expectations'];
  // Unexpected crashes first: they are what a reader came for.
  const crashes = results
    .filter((r) => r.observed?.outcome === 'cycle')
    .sort((a, b) => Number(b.status === 'fail') - Number(a.status === 'fail'));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${x(input.title)}</title><style>${STYLE}</style></head>
<body>
<h1>${x(input.title)}: <span class="${verdict![0]}">${x(verdict![1]!)}</span></h1>
<ul class="facts">${input.facts.map((f) => `<li>${x(f)}</li>`).join('')}</ul>
<h2>${input.gate ? 'Transitions' : 'Lwt version × case'}</h2>
${input.gate ? gateTable(input.gate) : matrix(results)}
<h2>Crashes</h2>
${crashes.length ? crashes.map(crashSection).join('\n') : '<p>No run crashed.</p>'}
</body></html>
`;
}
