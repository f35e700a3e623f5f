import type { ProbeResult } from '../probe/probe.js';
import { STATUS } from './status.js';
import { thousands } from './thousands.js';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The version × case table printed at the end of a run. */
export function formatMatrix(results: ProbeResult[]): string {
  const rows = results.map((r) => [
    r.lwt.label,
    r.case,
    STATUS[r.status].word,
    r.expected ? r.expected.outcome : '-',
    r.observed ? r.observed.outcome : '-',
    r.observed?.depth != null ? `× ${thousands(r.observed.depth)}` : '',
    r.observed?.outcome === 'cycle' ? r.observed.frames.join(' → ') : r.status === 'pass' ? '' : r.reason,
    seconds(r.timings.totalMs),
  ]);
  const header = ['lwt', 'case', 'verdict', 'expected', 'observed', 'depth', 'cycle / reason', 'time'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (i === 6 ? 0 : r[i]!.length))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 6 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const counts = (['pass', 'fail', 'untestable', 'not-applicable', 'invalid'] as const)
    .filter((s) => s !== 'invalid' || results.some((r) => r.status === s))
    .map((s) => `${results.filter((r) => r.status === s).length} ${STATUS[s].word}`)
    .join(', ');
  const failures = results
    .filter((r) => r.artifacts)
    .map((r) => `  kept for inspection: ${r.artifacts}  (reproduce: ${r.reproduce})`);
  return [line(header), ...rows.map(line), '', `${results.length} probes: ${counts}`, ...failures].join('\n');
}
