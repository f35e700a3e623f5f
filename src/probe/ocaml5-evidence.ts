import type { Expectation } from '../cases/manifest.js';
import type { RunResult } from '../run/run-under-limits.js';
import type { Evidence } from './evidence.js';
import type { Observation } from './verdict.js';

/**
 * OCaml 5 reports an overflow as an exception, so a run shows one only
 * through a core taken at the raise (gdb) or the Stack_overflow's printed
 * backtrace. Without both, a run expected to overflow that did not end clean
 * cannot be judged: this says which evidence is missing (undefined when
 * there is enough).
 */
export function missingFiberEvidence(
  expected: Expectation,
  evidence: Evidence,
  observed: Observation,
  run: RunResult,
): string | undefined {
  if (expected.outcome !== 'cycle' || evidence.kind === 'core' || observed.outcome === 'clean') return undefined;
  if (evidence.kind === 'hang' || (evidence.kind === 'exception' && evidence.backtrace.length > 0)) return undefined;
  const noCore = run.capture.note ?? 'no core was taken';
  const noBacktrace =
    evidence.kind === 'exception'
      ? `${evidence.exception} was printed without a backtrace (backtraces are off: the program was built without -g or turned them off)`
      : `the run printed no Stack_overflow backtrace (${observed.summary})`;
  return `the OCaml 5 evidence is missing: no core (${noCore}), and ${noBacktrace}; install gdb so that a core is taken at the raise`;
}
