import { EXIT, type ExitCode } from '../src/errors.js';
import type { GateOutcome } from '../src/gate/gate.js';
import type { ProbeStatus } from '../src/probe/probe.js';

/**
 * The one mapping from results to an exit code, most serious first: a case
 * that contradicts its expectation (1) outranks a broken case manifest (2),
 * which outranks something the machine could not give (8 a tool, 10 the
 * disk), which outranks something that could not be tested (9). CI reads 1 as
 * "this Lwt overflows where it must not", and nothing else may produce it.
 */
export function exitCodeForResults(results: { status: ProbeStatus; machineExit?: ExitCode }[]): ExitCode {
  if (results.some((r) => r.status === 'fail')) return EXIT.failed;
  if (results.some((r) => r.status === 'invalid')) return EXIT.usage;
  // Untestable because the machine could not give what a tree needs (its compiler): the machine's code, 10 or 8.
  const machine = results.map((r) => r.machineExit).filter((c) => c !== undefined);
  if (machine.length > 0) return machine.includes(EXIT.environment) ? EXIT.environment : machine[0]!;
  if (results.some((r) => r.status === 'untestable')) return EXIT.untestable;
  return EXIT.ok;
}

export function exitCodeForGate(outcome: GateOutcome): ExitCode {
  if (outcome.verdict === 'blocked') return EXIT.failed;
  if (outcome.verdict === 'invalid') return EXIT.usage;
  if (outcome.verdict === 'untestable') {
    const machine = exitCodeForResults(outcome.rows.flatMap((r) => [r.baseline, r.candidate]));
    return machine === EXIT.environment || machine === EXIT.toolchain ? machine : EXIT.untestable;
  }
  return EXIT.ok;
}
