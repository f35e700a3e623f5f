import type { BisectOutcome } from '../bisect/outcome.js';

/** The bisect's answer in a few lines: what, where, how sure, and how to see it again. */
export function formatBisect(o: BisectOutcome): string {
  const what = o.mode === 'versions' ? 'version' : 'commit';
  const bad = o.findFix ? `First fixed ${what}` : `First bad ${what}`;
  const good = o.findFix ? 'last still crashing' : 'last good';
  const lines: string[] = [];
  if (o.kind === 'found') {
    lines.push(`${bad}: ${o.firstBad.label}   (${good}: ${o.lastGood.label}; OCaml ${o.ocaml})`);
  } else {
    lines.push(
      `${bad}: one of ${o.candidates.map((c) => c.label).join(', ')} — ` +
        `the ones before ${o.firstBad.label} could not be tested   (${good}: ${o.lastGood.label}; OCaml ${o.ocaml})`,
    );
  }
  if (o.observed) lines.push(`  ${o.findFix ? 'there' : 'it shows'}: ${o.observed.summary}`);
  const untestable = o.untestable.map((u) => `${u.label}${u.why ? ` (${u.why})` : ''}`).join(', ');
  lines.push(
    `  ${o.probes} probe${o.probes === 1 ? '' : 's'}, ${o.builds} with a fresh build` +
      (o.untestable.length ? `; untestable: ${untestable}` : ''),
  );
  lines.push(`  reproduce: ${o.reproduce}`);
  return lines.join('\n');
}
