/**
 * The bisection itself, pure: an ordered list whose first element is known
 * good and last element known bad, and a three-valued probe. Untestable
 * elements (build failures, not applicable, hangs) are their own outcome:
 * never counted as good or bad, stepped around, and named when they leave
 * the answer ambiguous.
 */
export type Answer = 'good' | 'bad' | 'untestable';

export interface SearchStep {
  index: number;
  answer: Answer;
}

export type SearchResult =
  | { kind: 'found'; firstBad: number; lastGood: number; untestable: number[]; steps: SearchStep[] }
  /**
   * Every element between the last good and the first bad one was
   * untestable: the change is one of them or the first bad.
   */
  | {
      kind: 'ambiguous';
      lastGood: number;
      firstBad: number;
      candidates: number[];
      untestable: number[];
      steps: SearchStep[];
    };

/**
 * Finds the first bad element, assuming the list is good up to some point
 * and bad from there (as git bisect does, the ends are trusted, not probed).
 * Probes the testable element nearest the middle of the open range; an
 * untestable one is remembered and the next nearest is tried. At most
 * ceil(log2(n)) probes plus one per untestable element met.
 */
export async function searchFirstBad(length: number, probe: (index: number) => Promise<Answer>): Promise<SearchResult> {
  if (length < 2) throw new RangeError('bisecting needs at least a good and a bad element');
  let lo = 0;
  let hi = length - 1;
  const untestable = new Set<number>();
  const steps: SearchStep[] = [];
  while (hi - lo > 1) {
    const mid = nearestTestable(lo, hi, untestable);
    if (mid === undefined) {
      const candidates = [...Array(hi - lo).keys()].map((k) => lo + 1 + k);
      return {
        kind: 'ambiguous',
        lastGood: lo,
        firstBad: hi,
        candidates,
        untestable: [...untestable].sort((a, b) => a - b),
        steps,
      };
    }
    const answer = await probe(mid);
    steps.push({ index: mid, answer });
    if (answer === 'good') lo = mid;
    else if (answer === 'bad') hi = mid;
    else untestable.add(mid);
  }
  return { kind: 'found', firstBad: hi, lastGood: lo, untestable: [...untestable].sort((a, b) => a - b), steps };
}

function nearestTestable(lo: number, hi: number, untestable: Set<number>): number | undefined {
  const middle = Math.floor((lo + hi) / 2);
  for (let d = 0; d < hi - lo; d++) {
    for (const i of [middle - d, middle + d + 1]) {
      if (i > lo && i < hi && !untestable.has(i)) return i;
    }
  }
  return undefined;
}
