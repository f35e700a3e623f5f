import { EXIT, type ExitCode } from '../src/errors.js';
import type { GateOutcome } from '../src/gate/gate.js';
import type { ProbeStatus } from '../src/probe/probe.js';

/**
 * The one mapping from results to an exit code, most serious first: a case
 * that contradicts its expectation (1) outranks a broken case manifest (2),
 * which outranks something that could not be tested (9). CI reads 1 as
 * "this Lwt overflows where it must not", and nothing else may produce it.
 */
export function exitCodeForResults(results: { status: ProbeStatus }[]): ExitCode {
  if (results.some((r) => r.status === 'fail')) return EXIT.failed;
  if (results.some((r) => r.status === 'invalid')) return EXIT.usage;
  if (results.some((r) => r.status === 'untestable')) return EXIT.untestable;
  return EXIT.ok;
}

export function exitCodeForGate(outcome: GateOutcome): ExitCode {
  if (outcome.verdict === 'blocked') return EXIT.failed;
  if (outcome.verdict === 'invalid') return EXIT.usage;
  if (outcome.verdict === 'untestable') return EXIT.untestable;
  return EXIT.ok;
}
