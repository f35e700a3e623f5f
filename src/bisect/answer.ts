import type { ProbeResult } from '../probe/probe.js';
import type { Answer } from './search.js';

/** Whether a probe saw the case overflow, run clean, or could not tell. */
export type Reproduction = 'reproduces' | 'clean' | 'untestable';

export function reproduction(result: ProbeResult): Reproduction {
  if (result.status === 'untestable' || result.status === 'not-applicable' || !result.observed) return 'untestable';
  const o = result.observed.outcome;
  if (o === 'cycle' || o === 'overflow-without-cycle' || o === 'overflow-exception') return 'reproduces';
  if (o === 'clean') return 'clean';
  // A hang, an incomplete run or another crash says nothing about this overflow.
  return 'untestable';
}

/**
 * The search looks for the first "bad" element. Looking for a regression,
 * bad means the overflow reproduces; looking for the fix (--find-fix), the
 * list runs from crashing to clean and bad means clean.
 */
export function toAnswer(r: Reproduction, findFix: boolean): Answer {
  if (r === 'untestable') return 'untestable';
  return (r === 'reproduces') !== findFix ? 'bad' : 'good';
}
