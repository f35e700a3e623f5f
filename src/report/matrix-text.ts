import type { ProbeResult } from '../probe/probe.js';
import { thousands } from '../text/thousands.js';
import { compilerLines } from './compilers.js';
import { overflowSummary } from './overflow-summary.js';
import { fitLine, groupReasons } from './reason-groups.js';
import { STATUS } from './status.js';

export interface TableStyle {
  /** Lines are cut to this many columns (the long last column loses its end); --json and the reports keep it all. */
  width: number;
  /** ANSI colours for the verdicts: on a terminal, never with NO_COLOR or into a pipe. */
  color: boolean;
}

/** The style for a stream: its terminal's width ($COLUMNS, else 100) and colour when it is a terminal. */
export function styleFor(stream: { isTTY?: boolean; columns?: number }, env = process.env): TableStyle {
  const columns = Number(env.COLUMNS) || stream.columns || 100;
  return { width: Math.max(60, columns), color: Boolean(stream.isTTY) && env.NO_COLOR === undefined };
}

const PLAIN: TableStyle = { width: Number.POSITIVE_INFINITY, color: false };

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

const PAINT: Partial<Record<ProbeResult['status'], string>> = {
  pass: '\u001b[32m',
  fail: '\u001b[1;31m',
  invalid: '\u001b[1;31m',
  untestable: '\u001b[33m',
};

/** The untestable probes, one line per reason they share (the rows cut it short; --json has each in full). */
function untestableLines(results: ProbeResult[], width: number): string[] {
  const untestable = results.filter((r) => r.status === 'untestable');
  return groupReasons(untestable.map((r) => ({ label: r.lwt.label, reason: r.reason }))).map((g) => {
    const lwts = [...new Set(g.labels)];
    const probes = `${g.labels.length} probe${g.labels.length === 1 ? '' : 's'}`;
    return fitLine(`${probes} untestable (Lwt ${lwts.join(', ')}): ${g.reason}`, width);
  });
}

/**
 * The version × case table printed at the end of a run: the short columns
 * padded, the cycle (or the reason) last, each line cut to the width; then
 * what overflowed on each Lwt, and where failing runs were kept.
 */
export function formatMatrix(results: ProbeResult[], style: TableStyle = PLAIN): string {
  const header = ['ocaml', 'lwt', 'case', 'verdict', 'expected', 'observed', 'depth', 'time', 'cycle / reason'];
  const rows = results.map((r) => [
    r.compiler.name,
    r.lwt.label,
    r.case,
    STATUS[r.status].word,
    r.expected ? r.expected.outcome : '-',
    r.observed ? r.observed.outcome : '-',
    r.observed?.depth != null ? `${r.observed.depthIsLowerBound ? '≥ ' : '× '}${thousands(r.observed.depth)}` : '',
    seconds(r.timings.totalMs),
    r.observed?.outcome === 'cycle' ? r.observed.frames.join(' → ') : r.status === 'pass' ? '' : r.reason,
  ]);
  const last = header.length - 1;
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (i === last ? 0 : r[i]!.length))));
  const line = (cells: string[], status?: ProbeResult['status']) => {
    const text = fitLine(
      cells.map((c, i) => (i === last ? c : c.padEnd(widths[i]!))).join('  '),
      style.width,
    ).trimEnd();
    const paint = status && style.color ? PAINT[status] : undefined;
    if (!paint) return text;
    // Only the verdict cell is coloured, so that the columns stay aligned.
    const verdict = header.indexOf('verdict');
    const at = widths.slice(0, verdict).reduce((a, w) => a + w + 2, 0);
    const end = Math.min(text.length, at + widths[verdict]!);
    return `${text.slice(0, at)}${paint}${text.slice(at, end)}\u001b[0m${text.slice(end)}`;
  };
  const counts = (['pass', 'fail', 'untestable', 'not-applicable', 'invalid'] as const)
    .filter((s) => s !== 'invalid' || results.some((r) => r.status === s))
    .map((s) => `${results.filter((r) => r.status === s).length} ${STATUS[s].word}`)
    .join(', ');
  // Paths and commands are never cut: they are there to be copied.
  const kept = results
    .filter((r) => r.artifacts)
    .map((r) => `  kept for inspection: ${r.artifacts}  (reproduce: ${r.reproduce})`);
  return [
    line(header),
    ...rows.map((r, i) => line(r, results[i]!.status)),
    '',
    ...overflowSummary(results),
    ...untestableLines(results, style.width),
    ...compilerLines(results),
    `${results.length} probes: ${counts}`,
    ...kept,
  ].join('\n');
}
