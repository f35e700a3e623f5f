import type { GateOutcome } from '../gate/gate.js';
import type { ProbeResult } from '../probe/probe.js';
import { escapeCell } from './escape.js';
import { thousands } from './thousands.js';

const ICON: Record<ProbeResult['status'], string> = {
  pass: '✅ pass',
  fail: '❌ FAIL',
  'not-applicable': '➖ n/a',
  untestable: '⚠️ untestable',
};

function observedCell(r: ProbeResult): string {
  if (!r.observed) return escapeCell(r.reason);
  if (r.observed.outcome === 'cycle')
    return `cycle × ${r.observed.depthAtLeast ? '≥' : ''}${thousands(r.observed.depth ?? 0)}: \`${escapeCell(r.observed.frames.join(' → '))}\``;
  return escapeCell(r.observed.summary);
}

/** The version × case table of a run, for a CI job summary or a pull-request comment. */
export function runMarkdown(results: ProbeResult[]): string {
  const failed = results.filter((r) => r.status === 'fail');
  const untestable = results.filter((r) => r.status === 'untestable');
  const head = failed.length
    ? `❌ **${failed.length} case${failed.length === 1 ? '' : 's'} failed**`
    : untestable.length
      ? `⚠️ **nothing failed, ${untestable.length} untestable**`
      : '✅ **all cases met their expectations**';
  const rows = results.map(
    (r) =>
      `| ${escapeCell(r.ocaml)} | ${escapeCell(r.lwt.label)} | ${r.case} | ${ICON[r.status]} | ${r.expected?.outcome ?? '-'} | ${observedCell(r)} |`,
  );
  const repro = failed.map(
    (r) =>
      `- \`${r.case}\` on Lwt ${escapeCell(r.lwt.label)}, OCaml ${escapeCell(r.ocaml)}: ${escapeCell(r.reason)}  \n  reproduce: \`${r.reproduce}\``,
  );
  return [
    `## lwt-regress: ${head}`,
    '',
    '| OCaml | Lwt | case | verdict | expected | observed |',
    '|---|---|---|---|---|---|',
    ...rows,
    ...(repro.length ? ['', '### Failures', ...repro] : []),
    '',
  ].join('\n');
}

const TRANSITION: Record<GateOutcome['rows'][number]['transition'], string> = {
  regressed: '❌ regressed',
  'expectation-broken': '❌ expectation broken',
  fixed: '🎉 fixed',
  unchanged: 'unchanged',
  'not-applicable': '➖ n/a',
  untestable: '⚠️ untestable',
};

/** The gate's decision and every transition, readable at a glance. */
export function gateMarkdown(g: GateOutcome): string {
  const head =
    g.verdict === 'blocked'
      ? '❌ **upgrade blocked**'
      : g.verdict === 'untestable'
        ? '⚠️ **not fully tested**'
        : '✅ **upgrade passes**';
  const rows = g.rows.map(
    (r) => `| ${r.case} | ${observedCell(r.baseline)} | ${observedCell(r.candidate)} | ${TRANSITION[r.transition]} |`,
  );
  const blocking = g.rows
    .filter((r) => r.blocking)
    .map((r) => `- \`${r.case}\`: ${escapeCell(r.why)}  \n  reproduce: \`${r.candidate.reproduce}\``);
  return [
    `## lwt-regress gate: Lwt ${escapeCell(g.baseline)} → ${escapeCell(g.candidate)} on OCaml ${escapeCell(g.ocaml)}: ${head}`,
    '',
    `| case | baseline ${escapeCell(g.baseline)} | candidate ${escapeCell(g.candidate)} | transition |`,
    '|---|---|---|---|',
    ...rows,
    ...(blocking.length ? ['', '### Blocking', ...blocking] : []),
    '',
  ].join('\n');
}
