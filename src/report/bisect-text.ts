import type { BisectOutcome, BisectPoint } from '../bisect/outcome.js';
import { chosenBy } from './compilers.js';
import { fitLine, groupReasons } from './reason-groups.js';

/** Candidates listed one per line, up to this many; the rest are counted (all of them are in --json). */
const LISTED = 10;

function candidateLines(candidates: BisectPoint[], width: number): string[] {
  const shown = candidates.slice(-LISTED).map((c) => fitLine(`    ${c.label}`, width));
  const more = candidates.length - shown.length;
  return more > 0 ? [`    … and ${more} before them (all in --json)`, ...shown] : shown;
}

/**
 * The bisect's answer in a few lines: what, where, how sure, and how to see
 * it again. Untestable versions or commits that share a reason say it once;
 * no line is longer than `width` but the commands, which are there to be copied.
 */
export function formatBisect(o: BisectOutcome, width = Number.POSITIVE_INFINITY): string {
  const what = o.mode === 'versions' ? 'version' : 'commit';
  const bad = o.findFix ? `First fixed ${what}` : `First bad ${what}`;
  const good = o.findFix ? 'last still crashing' : 'last good';
  const lines: string[] = [];
  if (o.kind === 'found') {
    lines.push(fitLine(`${bad}: ${o.firstBad.label}   (${good}: ${o.lastGood.label})`, width));
  } else {
    lines.push(
      fitLine(`${bad}: one of these ${o.candidates.length} ${what}s (all but the last untestable):`, width),
      ...candidateLines(o.candidates, width),
      fitLine(`  ${good}: ${o.lastGood.label}`, width),
    );
  }
  if (o.observed) lines.push(fitLine(`  ${o.findFix ? 'there' : 'it shows'}: ${o.observed.summary}`, width));
  lines.push(fitLine(`  OCaml ${o.compiler.name} for every probe, ${chosenBy(o.compiler)}`, width));
  lines.push(`  ${o.probes} probe${o.probes === 1 ? '' : 's'}, ${o.builds} with a fresh build`);
  for (const g of groupReasons(o.untestable.map((u) => ({ label: u.label, reason: u.why ?? '' })))) {
    const count = `${g.labels.length} ${what}${g.labels.length === 1 ? '' : 's'}`;
    const which = g.labels.length === 1 ? ` (${g.labels[0]})` : '';
    lines.push(fitLine(`  ${count} untestable${which}: ${g.reason.replace(/^untestable: /, '')}`, width));
  }
  lines.push(`  reproduce: ${o.reproduce}`);
  return lines.join('\n');
}
