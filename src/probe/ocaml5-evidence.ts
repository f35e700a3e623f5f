import type { Expectation } from '../cases/manifest.js';
import type { RunResult } from '../run/run-under-limits.js';
import type { Evidence } from './evidence.js';
import type { Observation } from './verdict.js';

/**
 * OCaml 5 reports an overflow as an exception, so a run shows one only
 * through a core taken at the raise (gdb) or the Stack_overflow's printed
 * backtrace, and only gdb tells whether it escaped or Lwt caught it (the
 * runtime and Lwt.async_exception_hook print it alike). This names what is
 * missing for the expectation (undefined when there is enough).
 */
export function missingFiberEvidence(
  expected: Expectation,
  evidence: Evidence,
  observed: Observation,
  run: RunResult,
): string | undefined {
  if (expected.outcome !== 'cycle' || evidence.kind === 'core' || observed.outcome === 'clean') return undefined;
  if (evidence.kind === 'hang') return undefined;
  const noCore = `no core (${run.capture.note ?? 'no core was taken'})`;
  const fix = 'install gdb so that a core is taken at the raise';
  if (evidence.kind === 'exception' && evidence.backtrace.length > 0) {
    if (!expected.exception || observed.handling) return undefined;
    return (
      `the OCaml 5 evidence is missing: ${noCore}, ` +
      'and the printed Stack_overflow does not tell whether Lwt caught it ' +
      `(Lwt.async_exception_hook prints it as the runtime does); ${fix}`
    );
  }
  const noBacktrace =
    evidence.kind === 'exception'
      ? `${evidence.exception} was printed without a backtrace ` +
        '(backtraces are off: the program was built without -g or turned them off)'
      : `the run printed no Stack_overflow backtrace (${observed.summary})`;
  return `the OCaml 5 evidence is missing: ${noCore}, and ${noBacktrace}; ${fix}`;
}
