import type { RunResult } from '../run/run-under-limits.js';

/** What one run of a case left behind. */
export type Evidence =
  /**
   * `raised`: OCaml 5, the core taken as the runtime raised Stack_overflow,
   * whether it escaped, and what the program did after.
   */
  | { kind: 'core'; core: string; signal: string; raised?: { at: string; uncaught: boolean; after: Evidence } }
  | { kind: 'signal-without-core'; signal: string; why: string }
  | { kind: 'not-started'; why: string }
  /**
   * `printedBy`: `runtime` when printed with the constructor's name, which only the
   * runtime's own handler does (so it was uncaught); `printexc` when printed
   * with Printexc.to_string's words, as both Printexc's uncaught-exception
   * handler and Lwt's async_exception_hook do.
   */
  | { kind: 'exception'; exception: string; backtrace: string[]; printedBy: 'runtime' | 'printexc' }
  | { kind: 'hang'; seconds: number }
  | { kind: 'clean'; message: string }
  | { kind: 'incomplete'; message: string }
  | { kind: 'failure'; exitCode: number | undefined; message: string };

const lastLine = (text: string) => text.trim().split('\n').pop() ?? '';

/**
 * Classifies a run: a signal with a core, an uncaught overflow exception, a
 * hang, a clean or incomplete exit, or something else. `cleanWhen`: a case
 * must say `clean: …` as its last word (so that work an overflow cut short
 * inside Lwt is not taken for success); any other program (`lwt-regress
 * check`) is clean when it exits 0.
 */
export function classifyRun(
  run: RunResult,
  timeoutMs: number,
  cleanWhen: 'clean-line' | 'exit-0' = 'clean-line',
): Evidence {
  if (run.startFailed) return { kind: 'not-started', why: run.startFailed };
  if (run.core && run.raised) {
    const after = classifyRun({ ...run, core: undefined, raised: undefined }, timeoutMs, cleanWhen);
    return { kind: 'core', core: run.core, signal: 'SIGTRAP', raised: { ...run.raised, after } };
  }
  if (run.timedOut) return { kind: 'hang', seconds: timeoutMs / 1000 };
  if (run.signal) {
    return run.core
      ? { kind: 'core', core: run.core, signal: run.signal }
      : { kind: 'signal-without-core', signal: run.signal, why: run.capture.note ?? 'no core file appeared' };
  }
  // Without Printexc linked, the runtime prints an uncaught exception's constructor (runtime/printexc.c);
  // Printexc's handler and Lwt's default async_exception_hook print Printexc.to_string's words ("Stack overflow").
  const fatal = /Fatal error: exception (Stack_overflow|Stack overflow)$/m.exec(run.stderr);
  if (fatal) {
    const backtrace = run.stderr.split('\n').filter((l) => /^(Raised|Called from|Re-raised)/.test(l));
    const printedBy = fatal[1]!.includes('_') ? 'runtime' : 'printexc';
    return { kind: 'exception', exception: fatal[1]!.replace(' ', '_'), backtrace, printedBy };
  }
  if (run.exitCode === 0 && /^clean:/m.test(run.stdout)) return { kind: 'clean', message: lastLine(run.stdout) };
  if (run.exitCode === 0 && cleanWhen === 'exit-0') return { kind: 'clean', message: 'exit 0' };
  if (/^incomplete:/m.test(run.stdout)) return { kind: 'incomplete', message: lastLine(run.stdout) };
  return {
    kind: 'failure',
    exitCode: run.exitCode,
    // The runtime's own line names what ended it (an Out_of_memory, a Failure); a backtrace after it, where.
    message:
      /^Fatal error: .*$/m.exec(run.stderr)?.[0] ??
      (lastLine(run.stderr) || lastLine(run.stdout) || `exit ${run.exitCode}`),
  };
}
