import type { ProbeResult } from '../probe/probe.js';
import { thousands } from './thousands.js';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

const STATUS: Record<ProbeResult['status'], string> = {
  pass: 'pass',
  fail: 'FAIL',
  'not-applicable': 'n/a',
  untestable: 'untestable',
};

/** The version × case table printed at the end of a run. */
export function formatMatrix(results: ProbeResult[]): string {
  const rows = results.map((r) => [
    r.ocaml,
    r.lwt.label,
    r.case,
    STATUS[r.status],
    r.expected ? r.expected.outcome : '-',
    r.observed ? r.observed.outcome : '-',
    r.observed?.depth != null ? `× ${r.observed.depthAtLeast ? '≥' : ''}${thousands(r.observed.depth)}` : '',
    r.observed?.outcome === 'cycle' ? r.observed.frames.join(' → ') : r.status === 'pass' ? '' : r.reason,
    seconds(r.timings.totalMs),
  ]);
  const header = ['ocaml', 'lwt', 'case', 'verdict', 'expected', 'observed', 'depth', 'cycle / reason', 'time'];
  const free = header.indexOf('cycle / reason');
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (i === free ? 0 : r[i]!.length))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === free ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const counts = (['pass', 'fail', 'untestable', 'not-applicable'] as const)
    .map((s) => `${results.filter((r) => r.status === s).length} ${STATUS[s]}`)
    .join(', ');
  const failures = results
    .filter((r) => r.artifacts)
    .map((r) => `  kept for inspection: ${r.artifacts}  (reproduce: ${r.reproduce})`);
  return [line(header), ...rows.map(line), '', `${results.length} probes: ${counts}`, ...failures].join('\n');
}
