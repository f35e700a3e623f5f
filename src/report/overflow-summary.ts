import { reproduction } from '../bisect/answer.js';
import type { ProbeResult } from '../probe/probe.js';

/**
 * The answer to "does this Lwt overflow?", one line per Lwt version: the
 * stack overflows its cases showed, told apart as known (the case's manifest
 * expects them of this version: an old bug, with the version that fixed it)
 * or not (a regression: the case was expected to run clean).
 */
export function overflowSummary(results: ProbeResult[]): string[] {
  const versions = [...new Set(results.map((r) => r.lwt.label))];
  return versions.map((label) => {
    const mine = results.filter((r) => r.lwt.label === label && reproduction(r) === 'reproduces');
    if (mine.length === 0) return `Lwt ${label}: no stack overflow`;
    const known = mine.filter((r) => r.known);
    const unexpected = mine.filter((r) => !r.known);
    const parts: string[] = [];
    if (unexpected.length > 0) {
      parts.push(
        `${count(unexpected.length, 'unexpected stack overflow')} (${unexpected.map((r) => r.case).join(', ')})`,
      );
    }
    if (known.length > 0) {
      const named = known.map(
        (r) => `${r.case}: ${r.known!.title}, ${r.known!.fixedIn ? `fixed in ${r.known!.fixedIn}` : 'not fixed'}`,
      );
      parts.push(`${count(known.length, 'known stack overflow')} (${named.join('; ')})`);
    }
    return `Lwt ${label}: ${parts.join('; ')}`;
  });
}

const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
