import type { GateOutcome } from '../gate/gate.js';
import { decisionCauses } from '../gate/gate.js';
import type { ProbeResult } from '../probe/probe.js';
import { thousands } from '../text/thousands.js';
import { chosenBy, compilerLines } from './compilers.js';
import { mdCode, mdText } from './escape.js';
import { overflowSummary } from './overflow-summary.js';
import { groupReasons, sharedReason } from './reason-groups.js';
import { DECISION, STATUS } from './status.js';

function observedCell(r: ProbeResult): string {
  if (!r.observed) return mdText(r.reason);
  if (r.observed.outcome === 'cycle')
    return `cycle × ${thousands(r.observed.depth ?? 0)}: ${mdCode(r.observed.frames.join(' → '))}`;
  return mdText(r.observed.summary);
}

/** The reasons probes were untestable for, each once (numbered), and the number of each probe's. */
function untestableReasons(results: ProbeResult[]): { lines: string[]; numberOf: (r: ProbeResult) => number } {
  const untestable = results.filter((r) => r.status === 'untestable');
  const groups = groupReasons(untestable.map((r) => ({ label: r.lwt.label, reason: r.reason })));
  const lines = groups.map((g, i) => {
    const lwts = [...new Set(g.labels)].map(mdText).join(', ');
    return `${i + 1}. ${g.labels.length} probe${g.labels.length === 1 ? '' : 's'} (Lwt ${lwts}): ${mdText(g.reason)}`;
  });
  const numberOf = (r: ProbeResult) => groups.findIndex((g) => g.reason === sharedReason(r.reason, r.lwt.label)) + 1;
  return { lines, numberOf };
}

/** The version × case table of a run, for a CI job summary or a pull-request comment. */
export function runMarkdown(results: ProbeResult[]): string {
  // Untestable probes point at their reason, said once below the table.
  const reasons = untestableReasons(results);
  const cell = (r: ProbeResult) =>
    r.status === 'untestable' ? `reason ${reasons.numberOf(r)} below` : observedCell(r);
  const failed = results.filter((r) => r.status === 'fail');
  const invalid = results.filter((r) => r.status === 'invalid');
  const untestable = results.filter((r) => r.status === 'untestable');
  const head = failed.length
    ? `❌ **${failed.length} case${failed.length === 1 ? '' : 's'} failed**`
    : invalid.length
      ? `⛔ **${invalid.length} invalid case${invalid.length === 1 ? '' : 's'}**`
      : untestable.length
        ? `⚠️ **nothing failed, ${untestable.length} untestable**`
        : '✅ **all cases met their expectations**';
  const rows = results.map(
    (r) =>
      `| ${mdText(r.compiler.name)} | ${mdText(r.lwt.label)} | ${mdText(r.case)} ` +
      `| ${STATUS[r.status].icon} ${STATUS[r.status].word} | ${r.expected?.outcome ?? '-'} | ${cell(r)} |`,
  );
  const repro = failed.map(
    (r) =>
      `- ${mdCode(r.case)} on Lwt ${mdText(r.lwt.label)}, OCaml ${mdText(r.compiler.name)}: ${mdText(r.reason)}  \n` +
      `  reproduce: ${mdCode(r.reproduce)}`,
  );
  return [
    `## lwt-regress: ${head}`,
    '',
    '| OCaml | Lwt | case | verdict | expected | observed |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    ...overflowSummary(results).map((line) => `- ${mdText(line)}`),
    ...compilerLines(results).map((line) => `- ${mdText(line)}`),
    ...(reasons.lines.length ? ['', '### Untestable', ...reasons.lines] : []),
    ...(repro.length ? ['', '### Failures', ...repro] : []),
    '',
  ].join('\n');
}

const TRANSITION: Record<GateOutcome['rows'][number]['transition'], string> = {
  invalid: '⛔ invalid case',
  regressed: '❌ regressed',
  'expectation-broken': '❌ expectation broken',
  fixed: '🎉 fixed',
  unchanged: 'unchanged',
  'not-applicable': '➖ n/a',
  untestable: '⚠️ untestable',
};

/** The gate's decision and every transition, readable at a glance. */
export function gateMarkdown(g: GateOutcome): string {
  const decision = DECISION[g.verdict];
  const causes = decisionCauses(g.rows);
  const head = `${decision.icon} **${decision.headline}**${causes.length ? `: ${mdText(causes.join('; '))}` : ''}`;
  const rows = g.rows.map(
    (r) =>
      `| ${mdText(r.case)} | ${observedCell(r.baseline)} | ${observedCell(r.candidate)} ` +
      `| ${TRANSITION[r.transition]} |`,
  );
  const blocking = g.rows
    .filter((r) => r.blocking)
    .map((r) => `- ${mdCode(r.case)}: ${mdText(r.why)}  \n  reproduce: ${mdCode(r.candidate.reproduce)}`);
  return [
    `## lwt-regress gate: Lwt ${mdText(g.baseline)} → ${mdText(g.candidate)} ` +
      `on OCaml ${mdText(g.compiler.name)}: ${head}`,
    '',
    `OCaml ${mdText(g.compiler.name)} for both: ${mdText(chosenBy(g.compiler))}`,
    '',
    `| case | baseline ${mdText(g.baseline)} | candidate ${mdText(g.candidate)} | transition |`,
    '|---|---|---|---|',
    ...rows,
    ...(blocking.length ? ['', '### Blocking', ...blocking] : []),
    '',
  ].join('\n');
}
