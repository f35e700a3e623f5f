import type { ProbeResult } from './probe.js';
import { overflowed } from './verdict.js';

/**
 * What a probe says of the overflow, whatever its expectation: it
 * reproduces (the run overflowed), the run was clean, or it cannot tell.
 * Bisect, gate and the reports' summaries all ask this of a result.
 */
export type Reproduction = 'reproduces' | 'clean' | 'untestable';

export function reproductionOf(result: ProbeResult): Reproduction {
  if (result.status === 'untestable' || result.status === 'not-applicable' || !result.observed) return 'untestable';
  if (overflowed(result.observed)) return 'reproduces';
  if (result.observed.outcome === 'clean') return 'clean';
  // A hang, an incomplete run or another crash says nothing about this overflow.
  return 'untestable';
}
